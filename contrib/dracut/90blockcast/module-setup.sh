#!/bin/bash
# dracut module: puts blockcast into the initramfs, so a node can image its
# disk before any system is on it. Needs the bundle of `npm run bundle`
# unpacked to /opt/blockcast. Disks to image at boot, and where the session
# settings come from, in /etc/dracut.conf.d/blockcast.conf:
#   add_dracutmodules+=" blockcast "
#   blockcast_disks="/dev/sda"
# with /etc/blockcast/receive.conf as for blockcast-receive@.service.

blockcast_root=/opt/blockcast

# Only when asked for (add_dracutmodules), and only with the bundle present.
check() {
    [[ -x $blockcast_root/bin/blockcast ]] || return 1
    return 255
}

depends() {
    echo network systemd
}

install() {
    local file disk unit=blockcast-receive@.service
    # ELF files with the libraries they need (the C and C++ runtimes); the
    # addon finds the libraries bundled beside it itself ($ORIGIN).
    while IFS= read -r -d '' file; do
        case $file in
            */bin/node | *.node | *.so | *.so.*) inst_binary "$file" ;;
            *) inst_simple "$file" ;;
        esac
    done < <(find "$blockcast_root" -type f -print0)
    inst_multiple readlink dirname
    inst_simple "$blockcast_root/lib/node_modules/blockcast/contrib/systemd/$unit" "$systemdsystemunitdir/$unit"
    [[ -f /etc/blockcast/receive.conf ]] && inst_simple /etc/blockcast/receive.conf
    for disk in ${blockcast_disks:-}; do
        mkdir -p "$initdir$systemdsystemunitdir/initrd.target.wants"
        ln_r "$systemdsystemunitdir/$unit" \
            "$systemdsystemunitdir/initrd.target.wants/blockcast-receive@$(systemd-escape --path "$disk").service"
    done
}
