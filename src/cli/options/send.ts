// `blockcast send`: its options, in help groups, and how they become SendOptions.
// Defaults are applied by the sender's options (one place for the CLI and the
// library); here they are only shown.
import { Command, Option } from 'commander';
import { DEFAULT_GROUP, DEFAULT_PORT } from '../../defaults.js';
import { loadGroupKey, loadSigningKey } from '../../security/keys.js';
import { CIPHER_NAMES } from '../../security/options.js';
import { SEND_DEFAULTS } from '../../sender/options.js';
import { SLOW_RECEIVER_POLICIES } from '../../sender/slow-receivers.js';
import type { SendCommandOptions } from '../send.js';
import { int, nameList, num, size } from './parse.js';
import { CODEC_NAMES, SEND_DEFAULT_CODEC, codecLabel } from '../../image/codec.js';

export const WORKERS_HELP = 'worker threads that compress, hash, read and write chunks (default: the cores, at most 4)';
export const INTERFACE_HELP = "interface name or local IPv4 address (default: the default route's interface; with no default route, required)";

const SEND_NOTES = `
Starting: the sender starts, never with nobody joined, as soon as one of these holds:
SIGUSR1 arrived; every --receivers name and at least --min-receivers receivers have
joined; --max-wait seconds have passed since the first join. If none has held
--start-timeout seconds after it began waiting, it exits 4 naming who is missing.

Firewall: receivers take UDP --port (multicast) in; this host takes UDP
--control-port (unicast reports) in. README "Firewall and switches" has the rest.

Exit codes: 0 every receiver done; 1 a receiver failed, was lost or (--receivers)
never joined; 2 usage; 3 image problem; 4 no receivers (--start-timeout).`;

export function addSendCommand(program: Command): Command {
  const d = SEND_DEFAULTS;
  return program
    .command('send')
    .description('multicast IMAGE (a file, a block device, a prepared image, or - for stdin) to every receiver that joins')
    .argument('<image>', 'image file, block device or prepared image to send, or - to read it from stdin as it is sent (size unknown until its end)')
    .optionsGroup('Network:')
    .option('-i, --interface <iface>', INTERFACE_HELP)
    .option('-g, --group <addr>', `multicast group (default: ${DEFAULT_GROUP})`)
    .option('-p, --port <n>', `UDP data port, multicast to the receivers (default: ${DEFAULT_PORT})`, int('port'))
    .option('--control-port <n>', 'UDP port receivers report to, unicast (default: the data port + 1; 0: ephemeral)', int('control-port'))
    .option('--mtu <n>', `link MTU; each datagram fits one frame (9000 for jumbo frames) (default: the interface's MTU, at most ${d.mtu})`, int('mtu'))
    .option('--ttl <n>', `multicast TTL: routers to cross + 1 (default: ${d.ttl})`, int('ttl'))
    .option('--socket-buffer <bytes>', 'socket buffer size (SO_SNDBUFFORCE as root)', size('socket-buffer'))
    .addOption(new Option('--no-gso', 'do not use UDP GSO (send with sendmmsg only)'))
    .addOption(new Option('--no-loopback', 'do not deliver to receivers on this host (IP_MULTICAST_LOOP off)'))
    .optionsGroup('Session start:')
    .option('-n, --min-receivers <n>', `start once this many receivers have joined (default: ${d.minReceivers})`, int('min-receivers'))
    .option('--receivers <names>', 'start once all of these have joined (NAME,... or @FILE, one a line; names are the receivers\' --name, default their hostname); others may join too; the summary names the missing')
    .option('-w, --max-wait <s>', `start this many seconds after the first receiver joined, even with fewer than --min-receivers or some --receivers missing (default: ${d.maxWait}: never)`, num('max-wait'))
    .option('--start-timeout <s>', `exit 4 if not started this many seconds after waiting began, naming who is missing (default: ${d.startTimeout}: wait forever); SIGUSR1 starts at once with whoever joined`, num('start-timeout'))
    .option('--session <id>', 'session id (default: random)', int('session'))
    .optionsGroup('Security:')
    .option('--sign-key <file>', 'sign the session with this Ed25519 private key (blockcast keygen PREFIX writes PREFIX.key); receivers check it with --trust PREFIX.pub')
    .option('--group-key <file>', 'seal every packet with this group key (blockcast keygen --group-key FILE); receivers need the same file')
    .addOption(new Option('--cipher <name>', 'AEAD of a sealed session (default: the fastest here: aegis-256 where the CPU has AES instructions)').choices(Object.keys(CIPHER_NAMES)))
    .addOption(new Option('--no-encrypt', 'with --group-key: authenticate DATA but send it in the clear'))
    .optionsGroup('Tuning:')
    .option('-r, --rate <bits>', `highest pacing rate in bits/s, e.g. 800m, 10g, or unlimited (unpaced, no rate discovery) (default: ${d.rate})`)
    .addOption(new Option('--rate-discovery <mode>', 'on: find the rate the path to the receivers carries, up to --rate; off: always send at --rate (as udpcast\'s --max-bitrate) (default: on)').choices(['on', 'off']))
    .option('--chunk-size <bytes>', `bytes per chunk (default: ${d.chunkSize / 2 ** 20}m)`, size('chunk-size'))
    .option('--fec-stripe <k>', `sources per Reed-Solomon stripe; lost packets are repaired with fresh parity (0: retransmit them instead) (default: ${d.fecStripe})`, int('fec-stripe'))
    .option('--fec <ratio>', 'proactive FEC: also send this fraction of parity with the first pass, e.g. 0.05 on a link known to be lossy', num('fec'))
    .addOption(new Option('--slow-receivers <policy>', `a receiver that cannot keep up with the others: catch-up serves it at its own pace without slowing them, wait slows everyone to it (as udpcast), drop fails it (default: ${d.slowReceivers})`).choices(SLOW_RECEIVER_POLICIES))
    .option('--receiver-timeout <s>', `declare a silent receiver lost after this many seconds (default: ${d.receiverTimeout})`, num('receiver-timeout'))
    .option('--window <bytes>', `with -: image kept for repair past the slowest receiver; reading stops there (default: ${d.window / 2 ** 20}m)`, size('window'))
    .option('--workers <n>', WORKERS_HELP, int('workers'))
    .addOption(new Option('--codec <name>', `how a raw image's chunks are compressed on the way (default: ${codecLabel(SEND_DEFAULT_CODEC)}; a prepared image goes as prepared)`).choices(CODEC_NAMES))
    .option('--level <n>', `zstd level, 1-22 (default: ${SEND_DEFAULT_CODEC.level})`, int('level'))
    .addOption(new Option('--no-compress', 'send chunks uncompressed (for images of already-compressed data; same as --codec none)'))
    .optionsGroup('Output:')
    .option('--json', 'print machine-readable events, one JSON object per line, on stdout')
    .option('-q, --quiet', 'print nothing but errors')
    .addOption(new Option('--no-progress', 'no live progress bar (there is none with --json, --quiet or when stderr is not a terminal)'))
    .option('--progress-interval <s>', 'seconds between --json progress events (default: 1)', num('progress-interval'))
    .option('--status-file <file>', "write each receiver's outcome (name, address, state, reason, bytes, seconds) as JSON to FILE at the end")
    .addHelpText('after', SEND_NOTES)
    .action(async (image: string, o: Record<string, unknown>) => {
      const { fec, signKey, groupKey, cipher, encrypt, receivers, ...rest } = o;
      const keys = {
        ...(signKey ? { signKey: loadSigningKey(signKey as string) } : {}),
        ...(groupKey ? { groupKey: loadGroupKey(groupKey as string), encryptData: encrypt !== false } : {}),
        ...(cipher ? { cipher: CIPHER_NAMES[cipher as string] } : {}),
      };
      const { sendCommand } = await import('../send.js'); // on use: start-up loads no command it does not run
      process.exitCode = await sendCommand({
        image,
        keys,
        ...rest,
        ...(fec === undefined ? {} : { fecRatio: fec }),
        ...(receivers === undefined ? {} : { receivers: nameList(receivers as string) }),
      } as SendCommandOptions);
    });
}
