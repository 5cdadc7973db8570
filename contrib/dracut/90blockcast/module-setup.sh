#!/bin/bash
# dracut module: puts blockcast into the initramfs, so a node can image its
# disk before any system is on it. Needs the bundle of `npm run bundle`
# unpacked to /opt/blockcast (or where blockcast_root says); in the
# initramfs it is always /opt/blockcast, where the unit looks. Disks to
# image at boot, and where the session settings come from, in
# /etc/dracut.conf.d/blockcast.conf:
#   add_dracutmodules+=" blockcast "
#   blockcast_disks="/dev/sda"
# with /etc/blockcast/receive.conf as for blockcast-receive@.service
# (blockcast_receive_conf="FILE" takes it from elsewhere).
# test/package/install.test.ts builds an initramfs with it and runs the
# receiver from inside.

blockcast_root=${blockcast_root:-/opt/blockcast}
blockcast_receive_conf=${blockcast_receive_conf:-/etc/blockcast/receive.conf}

# Only when asked for (add_dracutmodules), and only with the bundle present.
check() {
    [[ -x $blockcast_root/bin/blockcast ]] || return 1
    return 255
}

depends() {
    echo network systemd
}

# An ELF file of the bundle and the system libraries it links (the C and C++
# runtimes, librt for some of the npm addons). dracut-install resolves
# libraries only for executable files, and npm's addons are mode 0644; the
# bundle's own libraries (libisal beside our addon, found by $ORIGIN) are
# installed as files of the bundle.
inst_elf_with_libraries() {
    local lib
    inst_binary "$1" "$2"
    for lib in $(ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p'); do
        [[ $lib == "$blockcast_root"/* ]] || inst_library "$lib"
    done
}

install() {
    local file disk unit=blockcast-receive@.service
    while IFS= read -r -d '' file; do
        case $file in
            */bin/node | *.node | *.so | *.so.*) inst_elf_with_libraries "$file" "/opt/blockcast/${file#"$blockcast_root"/}" ;;
            *) inst_simple "$file" "/opt/blockcast/${file#"$blockcast_root"/}" ;;
        esac
    done < <(find "$blockcast_root" -type f -print0)
    inst_multiple sh readlink dirname
    inst_simple "$blockcast_root/lib/node_modules/blockcast/contrib/systemd/$unit" "$systemdsystemunitdir/$unit"
    [[ -f $blockcast_receive_conf ]] && inst_simple "$blockcast_receive_conf" /etc/blockcast/receive.conf
    for disk in ${blockcast_disks:-}; do
        mkdir -p "$initdir$systemdsystemunitdir/initrd.target.wants"
        ln_r "$systemdsystemunitdir/$unit" \
            "$systemdsystemunitdir/initrd.target.wants/blockcast-receive@$(systemd-escape --path "$disk").service"
    done
}
