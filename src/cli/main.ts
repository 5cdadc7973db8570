#!/usr/bin/env node
// blockcast command line: send, receive, prepare, keygen, digest, inspect,
// verify, demo. Each of send, receive and the checks defines its options in
// options/; the short ones are here.
import './early-signals.js'; // first: before anything else loads
import { realpathSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { BlockcastError, ExitCode } from '../errors.js';
import { native } from '../native/binding.js';
import { DEFAULT_CHUNK_SIZE } from '../image/geometry.js';
import { CODEC_NAMES, PREPARE_DEFAULT_CODEC, codecLabel } from '../image/codec.js';
// Commands are loaded when run (import() in each action): start-up then
// loads only the one it runs, ~0.1 CPU s less for a receiver (issue 18).
import type { demoCommand } from './demo.js';
import type { prepareCommand } from './prepare.js';
import { versionText } from './version.js';
import type { keygenCommand } from './keygen.js';
import { addCheckCommands } from './options/checks.js';
import { int, size } from './options/parse.js';
import { addReceiveCommand } from './options/receive.js';
import { addSendCommand, WORKERS_HELP } from './options/send.js';

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

/** The whole command line, defined but not parsed (scripts/completion.mjs and scripts/man.mjs read it). */
export const program = new Command('blockcast')
  .description('Multicast block-level disk images to many nodes at once')
  .version(versionText())
  .showHelpAfterError()
  .exitOverride();

program.commandsGroup('Transfer:');
addSendCommand(program);
addReceiveCommand(program);

program
  .command('prepare')
  .description('read, hash and compress IMAGE once into PREPARED, which `send` then sends with no compression work')
  .argument('<image>', 'image file or block device')
  .requiredOption('-o, --output <file>', 'prepared image to write')
  .option('--chunk-size <bytes>', `bytes per chunk (default: ${DEFAULT_CHUNK_SIZE / 2 ** 20}m)`, size('chunk-size'))
  .addOption(new Option('--codec <name>', `how chunks are compressed, each only where that shrinks it (default: ${codecLabel(PREPARE_DEFAULT_CODEC)})`).choices(CODEC_NAMES))
  .option('--level <n>', `zstd level, 1-22 (default: ${PREPARE_DEFAULT_CODEC.level})`, int('level'))
  .addOption(new Option('--no-compress', 'store chunks uncompressed (zero chunks are still left out; same as --codec none)'))
  .option('--workers <n>', WORKERS_HELP, int('workers'))
  .option('--json', 'print machine-readable events, one JSON object per line, on stdout')
  .option('-q, --quiet', 'print nothing but errors')
  .action(async (image: string, o: Omit<Parameters<typeof prepareCommand>[0], 'image'>) => {
    process.exitCode = await (await import('./prepare.js')).prepareCommand({ image, ...o });
  });

program.commandsGroup('Checks:');
addCheckCommands(program);

program.commandsGroup('Setup:');
program
  .command('keygen')
  .description('write a signing key pair (PREFIX.key for send --sign-key, PREFIX.pub for receive --trust), or with --group-key a group key for sealed sessions')
  .argument('[prefix]', 'path prefix of the key pair to write')
  .option('--group-key <file>', 'write a random 256-bit group key to FILE (mode 600) instead')
  .option('--json', 'print machine-readable events, one JSON object per line, on stdout')
  .option('-q, --quiet', 'print nothing but errors')
  .action(async (prefix: string | undefined, o: Omit<Parameters<typeof keygenCommand>[0], 'prefix'>) => {
    process.exitCode = (await import('./keygen.js')).keygenCommand({ prefix, ...o });
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
    process.exitCode = await (await import('./demo.js')).demoCommand(o);
  });

// Parse only when run as the CLI (directly or through npm's bin link), not
// when imported for the program's definition.
function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
const runAsCli = isEntryPoint();
try {
  if (runAsCli) await program.parseAsync(process.argv);
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
