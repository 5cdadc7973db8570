// `blockcast keygen`: the key files of signed and sealed sessions.
import { ExitCode } from '../errors.js';
import { generateGroupKey, generateSigningKeys } from '../security/keys.js';
import { makeReporter } from './report.js';

export interface KeygenCommandOptions {
  /** PREFIX: writes PREFIX.key and PREFIX.pub. */
  prefix?: string;
  /** Writes a group key to this file instead. */
  groupKey?: string;
  json?: boolean;
  quiet?: boolean;
}

export function keygenCommand(opts: KeygenCommandOptions): number {
  const r = makeReporter(!!opts.json, opts.quiet);
  if (!opts.prefix === !opts.groupKey) {
    process.stderr.write('blockcast: keygen needs either PREFIX (a signing key pair) or --group-key FILE\n');
    return ExitCode.Usage;
  }
  if (opts.groupKey) {
    generateGroupKey(opts.groupKey);
    r.event('keygen', { groupKey: opts.groupKey });
    r.human(`wrote group key ${opts.groupKey} (mode 600): pass it as --group-key to send and to every receive`);
    return ExitCode.Ok;
  }
  const { privateFile, publicFile } = generateSigningKeys(opts.prefix!);
  r.event('keygen', { privateKey: privateFile, publicKey: publicFile });
  r.human(`wrote ${privateFile} (mode 600; send --sign-key) and ${publicFile} (receive --trust)`);
  return ExitCode.Ok;
}
