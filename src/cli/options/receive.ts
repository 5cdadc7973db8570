// `blockcast receive`: its options, in help groups, and how they become
// ReceiveOptions. Defaults are applied by the receiver's options; here they
// are only shown.
import { Command, Option } from 'commander';
import { DEFAULT_GROUP, DEFAULT_PORT } from '../../defaults.js';
import { RECEIVE_DEFAULTS } from '../../receiver/options.js';
import { loadGroupKey, loadTrustedKey } from '../../security/keys.js';
import type { receiveCommand } from '../receive.js';
import { int, num, size } from './parse.js';
import { INTERFACE_HELP, WORKERS_HELP } from './send.js';

export function addReceiveCommand(program: Command): Command {
  const d = RECEIVE_DEFAULTS;
  return program
    .command('receive')
    .description('join a session and write the image to TARGET (a file, created or resized, or a block device), to stdout (-), or to a command (--pipe)')
    .argument('[target]', 'file or block device to write, or - for stdout (the image in order; --json then goes to stderr)')
    .optionsGroup('Network:')
    .option('-i, --interface <iface>', INTERFACE_HELP)
    .option('-g, --group <addr>', `multicast group (default: ${DEFAULT_GROUP})`)
    .option('-p, --port <n>', `UDP data port (default: ${DEFAULT_PORT})`, int('port'))
    .option('--control-port <n>', "UDP port this receiver reports from and gets the sender's ACKs on (default: 0, ephemeral; fix it for a stateless firewall)", int('control-port'))
    .option('--socket-buffer <bytes>', 'socket buffer size (SO_RCVBUFFORCE as root)', size('socket-buffer'))
    .addOption(new Option('--no-gro', 'do not use UDP GRO on the receive socket'))
    .option('--pipe <cmd>', 'instead of TARGET: run CMD via /bin/sh -c with the image, in order, on its stdin; its exit status must be 0')
    .optionsGroup('Session:')
    .option('--name <name>', 'name reported to the sender, which send --receivers lists (default: hostname)')
    .option('--session <id>', 'accept only this session id', int('session'))
    .option('--expect-digest <hex>', 'accept only an image with this digest (blockcast digest IMAGE prints it); anything else fails before writing')
    .option('--wait-timeout <s>', `give up if no sender appears within this many seconds (0 = wait forever) (default: ${d.waitTimeout})`, num('wait-timeout'))
    .addOption(new Option('--no-resume', "start over: do not keep the chunks the target's journal lists from an interrupted run (a new journal is still written)"))
    .option('--rehash', 'read the whole target back and keep every chunk that already matches the image (no journal needed; costs a full read)')
    .option('--journal <file>', 'resume journal (default: TARGET.blockcast-journal; for a block device, /var/lib/blockcast/DEVICE.journal)')
    .option('--sender-timeout <s>', `fail if the sender goes silent this long mid-transfer (default: ${d.senderTimeout})`, num('sender-timeout'))
    .optionsGroup('Security:')
    .option('--trust <file>', 'accept only sessions signed by this Ed25519 public key (PREFIX.pub from blockcast keygen); repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .option('--group-key <file>', 'accept only sealed sessions of this group key (blockcast keygen --group-key FILE)')
    .optionsGroup('Tuning:')
    .option('--max-buffer <bytes>', `memory for chunks being assembled (default: ${d.maxBuffer / 2 ** 20}m)`, size('max-buffer'))
    .option('--workers <n>', WORKERS_HELP, int('workers'))
    .option('--target-zeroed', "the target already reads as zeros (new disk, new sparse file): skip writing the image's zero chunks")
    .optionsGroup('Output:')
    .option('--json', 'print machine-readable events, one JSON object per line, on stdout (stderr with -)')
    .option('-q, --quiet', 'print nothing but errors')
    .addOption(new Option('--no-progress', 'no live progress bar (there is none with --json, --quiet or when stderr is not a terminal)'))
    .option('--progress-interval <s>', 'seconds between --json progress events (default: 1)', num('progress-interval'))
    .action(async (target: string | undefined, o: Record<string, unknown>) => {
      const { trust, groupKey, ...rest } = o;
      const keys = {
        ...(trust ? { trusted: (trust as string[]).map(loadTrustedKey) } : {}),
        ...(groupKey ? { groupKey: loadGroupKey(groupKey as string) } : {}),
      };
      const { receiveCommand: run } = await import('../receive.js'); // on use: start-up loads no command it does not run
      process.exitCode = await run({ target, keys, ...rest } as Parameters<typeof receiveCommand>[0]);
    });
}
