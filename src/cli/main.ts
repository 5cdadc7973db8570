#!/usr/bin/env node
// blockcast command line: send, receive, prepare, demo.
import os from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BlockcastError, ExitCode } from '../errors.js';
import { DEFAULT_GROUP, DEFAULT_PORT } from '../defaults.js';
import { native } from '../native/binding.js';
import { DEFAULT_CHUNK_SIZE } from '../image/geometry.js';
import { lz4Backend } from '../image/lz4.js';
import { RECEIVE_DEFAULTS } from '../receiver/options.js';
import { parseSize } from '../validate.js';
import { SEND_DEFAULTS } from '../sender/options.js';
import { receiveCommand } from './receive.js';
import { sendCommand } from './send.js';
import { demoCommand } from './demo.js';
import { prepareCommand } from './prepare.js';
import { keygenCommand } from './keygen.js';
import { loadGroupKey, loadSigningKey, loadTrustedKey } from '../security/keys.js';
import { CIPHER_NAMES } from '../security/options.js';

// LZ4 compression runs on libuv's thread pool (lz4-napi's async API). Its
// default of 4 threads on a 2-core machine only adds malloc arenas that keep
// freed output buffers: a pool the size of the machine measured ~80 MB less
// peak RSS on a 2 GiB image. Read when the pool starts, i.e. on first use.
process.env.UV_THREADPOOL_SIZE ??= String(Math.min(4, Math.max(2, os.availableParallelism())));
// lz4-napi allocates with mimalloc, which by default keeps freed pages for a
// while; compressed chunks are freed on another thread than the one that
// made them, and the pages pile up (~60 MB more peak RSS on a 2 GiB image).
// Read when lz4-napi loads, i.e. in the first worker that compresses.
process.env.MIMALLOC_PURGE_DELAY ??= '0';
native.tuneMalloc();

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer`);
    return n;
  };
}
function num(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number`);
    return n;
  };
}
function size(name: string) {
  return (v: string): number => {
    try {
      return parseSize(name, v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

function common(cmd: Command): Command {
  return cmd
    .option('-i, --interface <iface>', 'interface name or local IPv4 address (default: the default route\'s interface, else loopback)')
    .option('-g, --group <addr>', `multicast group (default: ${DEFAULT_GROUP})`)
    .option('-p, --port <n>', `UDP data port (default: ${DEFAULT_PORT})`, int('port'))
    .option('--socket-buffer <bytes>', 'socket buffer size (SO_SNDBUFFORCE/SO_RCVBUFFORCE as root)', size('socket-buffer'))
    .option('--json', 'print machine-readable events, one JSON object per line, on stdout')
    .option('-q, --quiet', 'print nothing but errors');
}

const program = new Command('blockcast')
  .description('Multicast block-level disk images to many nodes at once')
  .version(`0.1.0 (FEC backend: ${native.fec.backend}; LZ4: ${lz4Backend})`)
  .showHelpAfterError()
  .exitOverride();

common(
  program
    .command('send')
    .description('multicast IMAGE (a file or block device, or - for stdin) to every receiver that joins')
    .argument('<image>', 'image file or block device to send, or - to read it from stdin as it is sent (size unknown until its end)'),
)
  .option('--window <bytes>', `with -: image kept for repair past the slowest receiver; reading stops there (default: ${SEND_DEFAULTS.window / 2 ** 20}m)`, size('window'))
  // Defaults are applied by the sender's options (one place for the CLI and the library); here they are only shown.
  .option('--mtu <n>', `link MTU; each datagram fits one frame (9000 for jumbo frames) (default: the interface's MTU, at most ${SEND_DEFAULTS.mtu})`, int('mtu'))
  .option('-r, --rate <bits>', `pacing rate in bits/s, e.g. 800m, 10g, or unlimited (default: ${SEND_DEFAULTS.rate})`)
  .option('--ttl <n>', `multicast TTL (default: ${SEND_DEFAULTS.ttl})`, int('ttl'))
  .option('--chunk-size <bytes>', `bytes per chunk (default: ${SEND_DEFAULTS.chunkSize / 2 ** 20}m)`, size('chunk-size'))
  .option('-n, --min-receivers <n>', `start once this many receivers have joined (default: ${SEND_DEFAULTS.minReceivers})`, int('min-receivers'))
  .option('-w, --max-wait <s>', `start this many seconds after the first receiver joined, even with fewer than --min-receivers (default: ${SEND_DEFAULTS.maxWait})`, num('max-wait'))
  .option('--receiver-timeout <s>', `declare a silent receiver lost after this many seconds (default: ${SEND_DEFAULTS.receiverTimeout})`, num('receiver-timeout'))
  .option('--session <id>', 'session id (default: random)', int('session'))
  .option('--fec-stripe <k>', `sources per Reed-Solomon stripe; lost packets are repaired with fresh parity (0: retransmit them instead) (default: ${SEND_DEFAULTS.fecStripe})`, int('fec-stripe'))
  .option('--workers <n>', 'worker threads that compress, hash, read and write chunks (default: the cores, at most 4)', int('workers'))
  .option('--fec <ratio>', 'proactive FEC: also send this fraction of parity with the first pass, e.g. 0.05 on a link known to be lossy', num('fec'))
  .addOption(new Option('--no-compress', 'send chunks uncompressed (for images of already-compressed data)'))
  .addOption(new Option('--no-gso', 'do not use UDP GSO (send with sendmmsg only)'))
  .addOption(new Option('--no-loopback', 'do not deliver to receivers on this host (IP_MULTICAST_LOOP off)'))
  .option('--sign-key <file>', 'sign the session with this Ed25519 private key (blockcast keygen PREFIX writes PREFIX.key); receivers check it with --trust PREFIX.pub')
  .option('--group-key <file>', 'seal every packet with this group key (blockcast keygen --group-key FILE); receivers need the same file')
  .addOption(new Option('--cipher <name>', 'AEAD of a sealed session (default: aes-256-gcm where the CPU has AES-NI)').choices(Object.keys(CIPHER_NAMES)))
  .addOption(new Option('--no-encrypt', 'with --group-key: authenticate DATA but send it in the clear'))
  .action(async (image: string, o: Record<string, unknown>) => {
    const { fec, signKey, groupKey, cipher, encrypt, ...rest } = o;
    const keys = {
      ...(signKey ? { signKey: loadSigningKey(signKey as string) } : {}),
      ...(groupKey ? { groupKey: loadGroupKey(groupKey as string), encryptData: encrypt !== false } : {}),
      ...(cipher ? { cipher: CIPHER_NAMES[cipher as string] } : {}),
    };
    process.exitCode = await sendCommand({ image, keys, ...rest, ...(fec === undefined ? {} : { fecRatio: fec }) } as Parameters<typeof sendCommand>[0]);
  });

common(
  program
    .command('receive')
    .description('join a session and write the image to TARGET (a file, created or resized, or a block device), to stdout (-), or to a command (--pipe)')
    .argument('[target]', 'file or block device to write, or - for stdout (the image in order; --json then goes to stderr)'),
)
  .option('--pipe <cmd>', 'instead of TARGET: run CMD via /bin/sh -c with the image, in order, on its stdin; its exit status must be 0')
  .option('--session <id>', 'accept only this session id', int('session'))
  .option('--expect-digest <hex>', 'accept only an image with this digest; anything else fails before writing')
  .option('--name <name>', 'name reported to the sender (default: hostname)')
  // Defaults are applied by the receiver's options (one place for the CLI and the library); here they are only shown.
  .option('--wait-timeout <s>', `give up if no sender appears within this many seconds (0 = wait forever) (default: ${RECEIVE_DEFAULTS.waitTimeout})`, num('wait-timeout'))
  .option('--sender-timeout <s>', `fail if the sender goes silent this long mid-transfer (default: ${RECEIVE_DEFAULTS.senderTimeout})`, num('sender-timeout'))
  .option('--max-buffer <bytes>', `memory for chunks being assembled (default: ${RECEIVE_DEFAULTS.maxBuffer / 2 ** 20}m)`, size('max-buffer'))
  .option('--workers <n>', 'worker threads that compress, hash, read and write chunks (default: the cores, at most 4)', int('workers'))
  .option('--target-zeroed', 'the target already reads as zeros (new disk, new sparse file): skip writing the image\'s zero chunks')
  .addOption(new Option('--no-gro', 'do not use UDP GRO on the receive socket'))
  .option('--trust <file>', 'accept only sessions signed by this Ed25519 public key (PREFIX.pub from blockcast keygen); repeatable', (v: string, prev: string[] = []) => [...prev, v])
  .option('--group-key <file>', 'accept only sealed sessions of this group key (blockcast keygen --group-key FILE)')
  .action(async (target: string | undefined, o: Record<string, unknown>) => {
    const { trust, groupKey, ...rest } = o;
    const keys = {
      ...(trust ? { trusted: (trust as string[]).map(loadTrustedKey) } : {}),
      ...(groupKey ? { groupKey: loadGroupKey(groupKey as string) } : {}),
    };
    process.exitCode = await receiveCommand({ target, keys, ...rest } as Parameters<typeof receiveCommand>[0]);
  });

program
  .command('prepare')
  .description('read, hash and compress IMAGE once into PREPARED, which `send` then sends with no compression work')
  .argument('<image>', 'image file or block device')
  .requiredOption('-o, --output <file>', 'prepared image to write')
  .option('--chunk-size <bytes>', `bytes per chunk (default: ${DEFAULT_CHUNK_SIZE / 2 ** 20}m)`, size('chunk-size'))
  .addOption(new Option('--no-compress', 'store chunks uncompressed (zero chunks are still left out)'))
  .option('--workers <n>', 'worker threads that compress, hash, read and write chunks (default: the cores, at most 4)', int('workers'))
  .option('--json', 'print machine-readable events, one JSON object per line, on stdout')
  .option('-q, --quiet', 'print nothing but errors')
  .action(async (image: string, o: Omit<Parameters<typeof prepareCommand>[0], 'image'>) => {
    process.exitCode = await prepareCommand({ image, ...o });
  });

program
  .command('keygen')
  .description('write a signing key pair (PREFIX.key for send --sign-key, PREFIX.pub for receive --trust), or with --group-key a group key for sealed sessions')
  .argument('[prefix]', 'path prefix of the key pair to write')
  .option('--group-key <file>', 'write a random 256-bit group key to FILE (mode 600) instead')
  .option('--json', 'print machine-readable events, one JSON object per line, on stdout')
  .option('-q, --quiet', 'print nothing but errors')
  .action((prefix: string | undefined, o: Omit<Parameters<typeof keygenCommand>[0], 'prefix'>) => {
    process.exitCode = keygenCommand({ prefix, ...o });
  });

program
  .command('demo')
  .description('make a sample image, multicast it on loopback to 3 receivers, verify them and print MB/s')
  .option('--size <bytes>', 'image size', size('size'), 256 * 1024 * 1024)
  .option('--receivers <n>', 'number of receivers', int('receivers'), 3)
  .option('-r, --rate <bits>', 'highest pacing rate (the sender slows down if a receiver is overloaded)', '10g')
  .option('--dir <path>', 'working directory (default: a fresh temporary directory)')
  .option('--keep', 'keep the image and targets')
  .action(async (o: Parameters<typeof demoCommand>[0]) => {
    process.exitCode = await demoCommand(o);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const e = err as { code?: string; exitCode?: number; message: string };
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
    process.exitCode = ExitCode.Ok;
  } else if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
    process.exitCode = ExitCode.Usage;
  } else if (err instanceof BlockcastError) {
    process.stderr.write(`blockcast: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`blockcast: ${e.message}\n`);
    process.exitCode = ExitCode.Failed;
  }
}
