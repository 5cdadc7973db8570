// The sender's options: what a caller may set, the defaults, and the checks
// that turn a caller's options into the values a session runs with. The
// library and the CLI both take their defaults from here.
import { resolveSenderKeys } from '../security/options.js';
import type { SenderKeys } from '../security/session-keys.js';
import { randomInt } from 'node:crypto';
import { DEFAULT_FEC_STRIPE, DEFAULT_GROUP, DEFAULT_PORT, DEFAULT_RATE, DEFAULT_RECEIVER_TIMEOUT_S, DEFAULT_SOCKET_BUFFER, DEFAULT_TTL } from '../defaults.js';
import { BlockcastError } from '../errors.js';
import { DEFAULT_CHUNK_SIZE, DEFAULT_MTU, symbolCount, symbolSizeForMtu } from '../image/geometry.js';
import { SEND_DEFAULT_CODEC, resolveCodec, type ChunkCodec, type CodecName } from '../image/codec.js';
import { defaultWorkerThreads } from '../image/pool.js';
import { interfaceMtu, resolveInterface } from '../net/interface.js';
import { MAX_CHUNK_SIZE, SEAL_TRAILER_SIZE } from '../protocol/constants.js';
import { checkInteger, checkMulticastGroup, checkNumber, parseRate } from '../validate.js';
import { SLOW_RECEIVER_POLICIES, type SlowReceiverPolicy } from './slow-receivers.js';

export interface SendOptions {
  /** A file, block device or prepared image; `-`: stdin, sent as a stream session as it is read. */
  image: string;
  /** `-` only: bytes of image kept for repair past the slowest receiver (the reader stops there). */
  window?: number;
  /** Signing key and group key (docs/SECURITY.md); none: an open session. */
  keys?: SenderKeys;
  group?: string;
  port?: number;
  interface?: string;
  mtu?: number;
  /** Bits per second ("800m", "10g", "unlimited") or bytes per second as a number. */
  rate?: string | number;
  /** 'on' (default): find the path's rate below `rate`; 'off': send at `rate`, as udpcast's --max-bitrate. */
  rateDiscovery?: 'on' | 'off' | boolean;
  ttl?: number;
  chunkSize?: number;
  /** Start once this many receivers have joined (default 1). */
  minReceivers?: number;
  /** Start this many seconds after the first receiver joined, even with fewer than minReceivers. */
  maxWait?: number;
  /** Declare a receiver lost after this many seconds of silence. */
  receiverTimeout?: number;
  socketBuffer?: number;
  gso?: boolean;
  /** Sources per Reed-Solomon stripe for NACK repair with fresh parity; 0 repairs by retransmission. */
  fecStripe?: number;
  /** Proactive FEC: parity sent with the first pass, as a fraction of each stripe (e.g. 0.05); default 0. */
  fecRatio?: number;
  /** Deliver to receivers on the sender's own host too (IP_MULTICAST_LOOP, default true). */
  loopback?: boolean;
  /** Fixed session id (random by default). */
  session?: number;
  /** false: send a raw image's chunks uncoded, as codec 'none' does (default true). */
  compress?: boolean;
  /** How a raw image's chunks are coded where that shrinks them: zstd, lz4 or none (default SEND_DEFAULT_CODEC, zstd -1); prepared images are sent as they were prepared. */
  codec?: CodecName;
  /** zstd's level (default 1); a level alone means zstd. */
  level?: number;
  /** Worker threads that compress, hash, read and write chunks (default: the cores, at most 4). */
  workers?: number;
  /** UDP port of the unicast socket receivers report to (default: port + 1; 0: an ephemeral port). */
  controlPort?: number;
  /** Fail (ENORECEIVERS, exit 4) if the send has not started this many seconds after waiting began (default 0: wait forever). */
  startTimeout?: number;
  /** Receivers' names (--name, default their hostname): start once every one of them has joined (start.ts). */
  receivers?: string[];
  /** A receiver that cannot keep up: 'catch-up' (default) serves it at its own pace without slowing the others, 'wait' slows everyone to it, 'drop' fails it (slow-receivers.ts). */
  slowReceivers?: SlowReceiverPolicy;
}

/** The options a session runs with: every one set, checked, and the interface resolved. */
export type ResolvedSendOptions = Required<Omit<SendOptions, 'interface' | 'keys' | 'compress' | 'codec' | 'level' | 'rateDiscovery'>> & {
  keys: SenderKeys;
  rateDiscovery: boolean;
  codec: ChunkCodec;
  interfaceAddress: string; interfaceName: string; rateBytes: number;
  /** Payload bytes per datagram: the MTU less headers and, when sealed, the trailer. */
  symbolSize: number };

/** The default of every option that has a fixed one (interface, session and workers depend on the host or chance). */
export const SEND_DEFAULTS = {
  group: DEFAULT_GROUP,
  port: DEFAULT_PORT,
  mtu: DEFAULT_MTU,
  rate: DEFAULT_RATE,
  ttl: DEFAULT_TTL,
  chunkSize: DEFAULT_CHUNK_SIZE,
  minReceivers: 1,
  maxWait: 0,
  receiverTimeout: DEFAULT_RECEIVER_TIMEOUT_S,
  socketBuffer: DEFAULT_SOCKET_BUFFER,
  gso: true,
  fecStripe: DEFAULT_FEC_STRIPE,
  fecRatio: 0,
  loopback: true,
  window: 128 * 1024 * 1024,
  startTimeout: 0,
  slowReceivers: 'catch-up',
} as const;

/** `send -`: the image comes from stdin. */
export const STDIN_IMAGE = '-';

/** The sender's report socket: the data port + 1, fixed so that a firewall can be opened for it. */
export function defaultControlPort(port: number): number {
  return port < 65535 ? port + 1 : port - 1;
}

function onOff(name: string, v: unknown): boolean {
  if (v === true || v === 'on') return true;
  if (v === false || v === 'off') return false;
  throw new BlockcastError('EINVALIDOPTION', `${name} must be on or off, not ${String(v)}`);
}

/** Fills in defaults and checks every option; throws BlockcastError EINVALIDOPTION naming the first bad one. */
export function resolveSendOptions(options: SendOptions): ResolvedSendOptions {
  const d = SEND_DEFAULTS;
  const iface = resolveInterface(options.interface);
  const chunkSize = checkInteger('chunkSize', options.chunkSize ?? d.chunkSize, 4096, MAX_CHUNK_SIZE);
  // By default no more than the interface's own MTU: a datagram larger than
  // a frame is fragmented without GSO and refused (EMSGSIZE) with it.
  const mtu = checkInteger('mtu', options.mtu ?? Math.min(d.mtu, interfaceMtu(iface.name) ?? d.mtu), 576, 65535);
  const keys = resolveSenderKeys(options.keys);
  const symbolSize = symbolSizeForMtu(mtu, keys.groupKey ? SEAL_TRAILER_SIZE : 0);
  const port = checkInteger('port', options.port ?? d.port, 1, 65535);
  if (symbolCount(chunkSize, symbolSize) > 65535) throw new BlockcastError('EINVALIDOPTION', `chunkSize ${chunkSize} needs more than 65535 symbols at mtu ${mtu}`);
  return {
    image: options.image,
    keys,
    group: checkMulticastGroup('group', options.group ?? d.group),
    port,
    interfaceAddress: iface.address,
    interfaceName: iface.name,
    mtu,
    symbolSize,
    rate: options.rate ?? d.rate,
    rateBytes: parseRate('rate', options.rate ?? d.rate),
    rateDiscovery: onOff('rateDiscovery', options.rateDiscovery ?? true),
    ttl: checkInteger('ttl', options.ttl ?? d.ttl, 0, 255),
    chunkSize,
    minReceivers: checkInteger('minReceivers', options.minReceivers ?? d.minReceivers, 1, 100000),
    maxWait: checkNumber('maxWait', options.maxWait ?? d.maxWait, 0, 1e9),
    receiverTimeout: checkNumber('receiverTimeout', options.receiverTimeout ?? d.receiverTimeout, 0.5, 1e6),
    socketBuffer: checkInteger('socketBuffer', options.socketBuffer ?? d.socketBuffer, 0, 2 ** 31 - 1),
    gso: options.gso ?? d.gso,
    fecStripe: checkInteger('fecStripe', options.fecStripe ?? d.fecStripe, 0, 254),
    fecRatio: checkNumber('fec', options.fecRatio ?? d.fecRatio, 0, 1),
    loopback: options.loopback ?? d.loopback,
    window: checkInteger('window', options.window ?? d.window, 4096, 2 ** 40),
    codec: resolveCodec(options, SEND_DEFAULT_CODEC),
    workers: checkInteger('workers', options.workers ?? defaultWorkerThreads(), 1, 64),
    controlPort: checkControlPort(options.controlPort, port),
    startTimeout: checkNumber('startTimeout', options.startTimeout ?? d.startTimeout, 0, 1e9),
    receivers: checkNames(options.receivers ?? []),
    slowReceivers: checkPolicy(options.slowReceivers ?? d.slowReceivers),
    session: options.session === undefined ? randomInt(1, 2 ** 32 - 1) : checkInteger('session', options.session, 1, 2 ** 32 - 1),
  };
}

function checkControlPort(value: number | undefined, port: number): number {
  const controlPort = checkInteger('controlPort', value ?? defaultControlPort(port), 0, 65535);
  if (controlPort === port) throw new BlockcastError('EINVALIDOPTION', `controlPort ${controlPort} is the data port: receivers on this host listen there; choose another`);
  return controlPort;
}

function checkPolicy(value: string): SlowReceiverPolicy {
  if (!(SLOW_RECEIVER_POLICIES as readonly string[]).includes(value)) throw new BlockcastError('EINVALIDOPTION', `Expected one of ${SLOW_RECEIVER_POLICIES.join(', ')} for slowReceivers but received ${JSON.stringify(value)}`);
  return value as SlowReceiverPolicy;
}

/** Receivers' names as they report them (at most 64 bytes), each once. */
function checkNames(names: string[]): string[] {
  for (const n of names) {
    if (n === '' || Buffer.byteLength(n) > 64) throw new BlockcastError('EINVALIDOPTION', `Expected receiver names of 1 to 64 bytes for receivers but received ${JSON.stringify(n)}`);
  }
  return [...new Set(names)];
}
