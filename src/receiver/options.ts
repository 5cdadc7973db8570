// What a receiver can be told, its defaults, and their checks: the one
// place both the library API and the command line take them from.
import os from 'node:os';
import { DEFAULT_GROUP, DEFAULT_MAX_BUFFER, DEFAULT_PORT, DEFAULT_SENDER_TIMEOUT_S, DEFAULT_SOCKET_BUFFER } from '../defaults.js';
import { BlockcastError } from '../errors.js';
import { STDOUT_TARGET } from '../image/output.js';
import { defaultWorkerThreads } from '../image/pool.js';
import { resolveInterface } from '../net/interface.js';
import { MAX_CHUNK_SIZE } from '../protocol/constants.js';
import { checkInteger, checkMulticastGroup, checkNumber } from '../validate.js';
import { resolveReceiverKeys } from '../security/options.js';
import type { ReceiverKeys } from '../security/session-keys.js';

export interface ReceiveOptions {
  /** A file or block device (written at offsets), or `-`: stdout, in order. Omitted with `pipe`. */
  target?: string;
  /** Instead of a target: run this command via /bin/sh -c with the image, in order, on its stdin. */
  pipe?: string;
  /** Trusted signers and the group key (docs/SECURITY.md); none: any sender is accepted. */
  keys?: ReceiverKeys;
  group?: string;
  port?: number;
  interface?: string;
  /** Accept only this session id. */
  session?: number;
  /** Accept only an image whose digest (hex) is this. */
  expectDigest?: string;
  name?: string;
  /** Give up if no sender is found within this many seconds (0 = wait forever). */
  waitTimeout?: number;
  /** Fail if the sender goes silent for this many seconds mid-transfer. */
  senderTimeout?: number;
  /** Bytes of chunk buffers: assembling, verifying and writing (bounds memory). */
  maxBuffer?: number;
  socketBuffer?: number;
  gro?: boolean;
  /**
   * The target already reads as zeros (a fresh disk, a new sparse file), so
   * the image's zero chunks need no writing. A file the receiver creates
   * itself is known to be zero without this.
   */
  targetZeroed?: boolean;
  /** Worker threads that compress, hash, read and write chunks (default: the cores, at most 4). */
  workers?: number;
  /**
   * UDP port this receiver reports from and the sender's ACKs come back to
   * (default 0: an ephemeral port; ACKs are replies, which a stateful
   * firewall lets in). Fix it for a stateless firewall.
   */
  controlPort?: number;
  /**
   * Resume from the target's journal (default true): a restart of the same
   * receive keeps the chunks an interrupted run verified (each re-hashed
   * before it is kept). False starts over (a new journal is still written).
   */
  resume?: boolean;
  /** Re-hash every chunk of the target against the manifest and keep those that match (no journal needed). */
  rehash?: boolean;
  /** The resume journal's file (default: TARGET.blockcast-journal; for a block device, under /var/lib/blockcast). */
  journal?: string;
}

/** Options with every default applied and every value checked. */
export type ResolvedReceiveOptions = Required<Omit<ReceiveOptions, 'interface' | 'session' | 'expectDigest' | 'keys' | 'pipe' | 'journal'>> & {
  keys: ReceiverKeys;
  journal?: string;
  pipe?: string;
  interfaceAddress: string;
  session?: number;
  expectDigest?: string;
};

/**
 * The fixed defaults. The name (the hostname), the interface (the default
 * route's) and the workers (the cores, at most 4) depend on the host and are
 * found when the options are resolved.
 */
export const RECEIVE_DEFAULTS = {
  group: DEFAULT_GROUP,
  port: DEFAULT_PORT,
  waitTimeout: 0,
  senderTimeout: DEFAULT_SENDER_TIMEOUT_S,
  maxBuffer: DEFAULT_MAX_BUFFER,
  socketBuffer: DEFAULT_SOCKET_BUFFER,
  gro: true,
  targetZeroed: false,
  controlPort: 0,
  resume: true,
  rehash: false,
} as const;

/** Applies the defaults and checks every value; throws EINVALIDOPTION naming the first bad one. */
export function resolveReceiveOptions(options: ReceiveOptions): ResolvedReceiveOptions {
  const d = RECEIVE_DEFAULTS;
  if (options.pipe !== undefined) {
    if (options.target) throw new BlockcastError('EINVALIDOPTION', `Give either a target (${options.target}) or a pipe command, not both`);
    if (!options.pipe.trim()) throw new BlockcastError('EINVALIDOPTION', 'The pipe command is empty');
  } else if (!options.target) {
    throw new BlockcastError('EINVALIDOPTION', 'A target (file, block device, or - for stdout) or a pipe command is required');
  }
  if (options.expectDigest !== undefined && !/^[0-9a-f]{64}$/i.test(options.expectDigest)) {
    throw new BlockcastError('EINVALIDOPTION', `Expected 64 hex digits for expectDigest but received ${JSON.stringify(options.expectDigest)}`);
  }
  const opts: ResolvedReceiveOptions = {
    target: options.target ?? '',
    keys: resolveReceiverKeys(options.keys),
    group: checkMulticastGroup('group', options.group ?? d.group),
    port: checkInteger('port', options.port ?? d.port, 1, 65535),
    interfaceAddress: resolveInterface(options.interface).address,
    name: (options.name ?? os.hostname()).slice(0, 64),
    waitTimeout: checkNumber('waitTimeout', options.waitTimeout ?? d.waitTimeout, 0, 1e9),
    senderTimeout: checkNumber('senderTimeout', options.senderTimeout ?? d.senderTimeout, 0.5, 1e6),
    maxBuffer: checkInteger('maxBuffer', options.maxBuffer ?? d.maxBuffer, 2 * MAX_CHUNK_SIZE, 2 ** 45),
    socketBuffer: checkInteger('socketBuffer', options.socketBuffer ?? d.socketBuffer, 0, 2 ** 31 - 1),
    gro: options.gro ?? d.gro,
    targetZeroed: options.targetZeroed ?? d.targetZeroed,
    workers: checkInteger('workers', options.workers ?? defaultWorkerThreads(), 1, 64),
    controlPort: checkInteger('controlPort', options.controlPort ?? d.controlPort, 0, 65535),
    resume: options.resume ?? d.resume,
    rehash: options.rehash ?? d.rehash,
  };
  if (options.journal !== undefined) {
    if (!options.journal.trim()) throw new BlockcastError('EINVALIDOPTION', 'The journal file name is empty');
    opts.journal = options.journal;
  }
  if (options.pipe !== undefined) opts.pipe = options.pipe;
  if (options.session !== undefined) opts.session = checkInteger('session', options.session, 1, 2 ** 32 - 1);
  if (options.expectDigest !== undefined) opts.expectDigest = options.expectDigest.toLowerCase();
  return opts;
}

/** The image goes out in order (stdout or a pipe command), not at offsets. */
export function outputsInOrder(o: { target?: string; pipe?: string }): boolean {
  return o.pipe !== undefined || o.target === STDOUT_TARGET;
}
