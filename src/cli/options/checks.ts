// `blockcast digest`, `inspect` and `verify`: checks of images and targets.
import { Command } from 'commander';
import { DEFAULT_CHUNK_SIZE } from '../../image/geometry.js';
import type { CheckOptions } from '../checks.js';
import { int, size } from './parse.js';
import { WORKERS_HELP } from './send.js';

const CHUNK_HELP = `a raw image's chunk size, as it is (or was) sent or prepared: the digest depends on it (default: ${DEFAULT_CHUNK_SIZE / 2 ** 20}m; a prepared image has its own)`;

/** Loaded on use: start-up loads no command it does not run. */
const checks = () => import('../checks.js');

function output(cmd: Command): Command {
  return cmd
    .option('--json', 'print machine-readable events, one JSON object per line, on stdout')
    .option('-q, --quiet', 'print nothing but errors');
}

export function addCheckCommands(program: Command): void {
  output(
    program
      .command('digest')
      .description('print the image digest that receive --expect-digest takes (the one send and prepare report)')
      .argument('<image>', 'raw image (file or block device; hashed as a send scans it) or prepared image')
      .option('--chunk-size <bytes>', CHUNK_HELP, size('chunk-size'))
      .option('--workers <n>', WORKERS_HELP, int('workers')),
  ).action(async (image: string, o: CheckOptions) => {
    process.exitCode = await (await checks()).digestCommand(image, o);
  });

  output(
    program
      .command('inspect')
      .description('summarise a prepared image: size, chunks, zero chunks, codings, ratio, digest')
      .argument('<prepared>', 'prepared image (from blockcast prepare)'),
  ).action(async (prepared: string, o: CheckOptions) => {
    process.exitCode = await (await checks()).inspectCommand(prepared, o);
  });

  output(
    program
      .command('verify')
      .description("read TARGET back and compare every chunk with the image's chunk hashes: exit 0 if it matches, 5 naming the first bad chunk")
      .argument('<target>', 'written file or block device (may be larger than the image)')
      .argument('<image>', 'raw image (hashed as a send scans it) or prepared image (its stored manifest is used)')
      .option('--chunk-size <bytes>', `a raw image's chunk size: the unit a bad range is found in (default: ${DEFAULT_CHUNK_SIZE / 2 ** 20}m; a prepared image has its own)`, size('chunk-size'))
      .option('--workers <n>', WORKERS_HELP, int('workers')),
  ).action(async (target: string, image: string, o: CheckOptions) => {
    process.exitCode = await (await checks()).verifyCommand(target, image, o);
  });
}
