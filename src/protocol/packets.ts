// Encoding and decoding of the control packets handled in TypeScript
// (ANNOUNCE, STATUS, NACK, ACK). DATA packets are built and parsed in native
// code; encodeData here exists for tests and tools. Decoders return null for
// anything malformed: callers count and drop it.
import {
  COMMON_HEADER_SIZE,
  Coding,
  DATA_HEADER_SIZE,
  OFF_CHUNK,
  OFF_CODING,
  OFF_LENGTH,
  OFF_STREAM,
  OFF_SYMBOL,
  FailReasonValue,
  HASH_SIZE,
  MAGIC,
  MAX_CONTROL_PACKET,
  PacketType,
  PacketTypeValue,
  PhaseValue,
  ReceiverState,
  ReceiverStateValue,
  VERSION,
} from './constants.js';

export interface Announce {
  session: number;
  phase: PhaseValue;
  controlPort: number;
  imageSize: number;
  chunkSize: number;
  symbolSize: number;
  chunkCount: number;
  /** Sources per FEC stripe; 0 when the sender repairs by retransmission only. */
  stripeSize: number;
  manifestSize: number;
  /** Image chunks whose first-pass transmission has finished. */
  progress: number;
  /** The sender's current pacing rate in KiB/s (0: unpaced); receivers time their NACK holdoff by it. */
  rateKiB: number;
  /** How often receivers send STATUS heartbeats, in units of 100 ms (0: the default, 1 s). */
  heartbeat: number;
  manifestDigest: Buffer;
  /** Receivers the sender knows of (saturating at 65535): receivers scale their NACK backoff by it. */
  groupSize: number;
  /** The window, in ms, over which receivers spread the first report of a loss (0: the default, 20 ms). */
  nackBackoffMs: number;
}

export interface Status {
  session: number;
  receiverId: number;
  state: ReceiverStateValue;
  reason: FailReasonValue;
  /** The receiver is dropping (or about to drop) datagrams for its own reasons: slow down. */
  overloaded: boolean;
  chunksDone: number;
  capacity: number;
  packets: number;
  malformed: number;
  duplicates: number;
  imageDigest: Buffer;
  name: string;
}

export const NackKind = { SourceRuns: 1, StripeNeeds: 2, WholeChunk: 3 } as const;
export type NackKindValue = (typeof NackKind)[keyof typeof NackKind];

export interface NackEntry {
  stream: number;
  chunk: number;
  kind: NackKindValue;
  /**
   * Flat pairs. SourceRuns: [start, count, ...] runs of missing source
   * symbols. StripeNeeds: [stripe, need, ...]: how many more symbols (any
   * source or fresh parity) each stripe needs. WholeChunk: none (nothing
   * of the chunk arrived and the receiver does not know its wire length).
   */
  pairs: number[];
}

export interface Nack {
  session: number;
  receiverId: number;
  entries: NackEntry[];
}

export interface Ack {
  session: number;
  receiverId: number;
  state: ReceiverStateValue;
}

export const ANNOUNCE_SIZE = 84;
/** A STATUS before its name; DONE adds the image digest (HASH_SIZE bytes) in between. */
export const STATUS_FIXED_SIZE = 48;
export const STATUS_FLAG_OVERLOADED = 1;
export const MAX_NAME_BYTES = 64;
export const NACK_FIXED_SIZE = 20;
export const NACK_ENTRY_SIZE = 8;
export const NACK_RANGE_SIZE = 4;
export const ACK_SIZE = 20;

function header(buf: Buffer, type: PacketTypeValue, session: number): void {
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt8(VERSION, 4);
  buf.writeUInt8(type, 5);
  buf.writeUInt16LE(0, 6);
  buf.writeUInt32LE(session >>> 0, 8);
}

/** Returns the packet type if the common header is valid, else null. */
export function packetType(buf: Buffer): number | null {
  if (buf.length < COMMON_HEADER_SIZE) return null;
  if (buf.readUInt32LE(0) !== MAGIC || buf.readUInt8(4) !== VERSION || buf.readUInt16LE(6) !== 0) return null;
  return buf.readUInt8(5);
}

export function packetSession(buf: Buffer): number {
  return buf.readUInt32LE(8);
}

export function encodeAnnounce(a: Announce): Buffer {
  const b = Buffer.alloc(ANNOUNCE_SIZE);
  header(b, PacketType.Announce, a.session);
  b.writeUInt8(a.phase, 12);
  b.writeUInt8(Math.min(255, a.heartbeat), 13);
  b.writeUInt16LE(a.controlPort, 14);
  b.writeBigUInt64LE(BigInt(a.imageSize), 16);
  b.writeUInt32LE(a.chunkSize, 24);
  b.writeUInt16LE(a.symbolSize, 28);
  b.writeUInt16LE(a.stripeSize, 30);
  b.writeUInt32LE(a.chunkCount, 32);
  b.writeUInt32LE(a.manifestSize, 36);
  b.writeUInt32LE(a.progress, 40);
  b.writeUInt32LE(Math.min(0xffffffff, Math.round(a.rateKiB)), 44);
  a.manifestDigest.copy(b, 48, 0, HASH_SIZE);
  b.writeUInt16LE(Math.min(0xffff, a.groupSize), 80);
  b.writeUInt16LE(Math.min(0xffff, Math.round(a.nackBackoffMs)), 82);
  return b;
}

export function decodeAnnounce(b: Buffer): Announce | null {
  if (packetType(b) !== PacketType.Announce || b.length < ANNOUNCE_SIZE) return null;
  const phase = b.readUInt8(12);
  if (phase < 1 || phase > 4) return null;
  const imageSize = b.readBigUInt64LE(16);
  if (imageSize > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return {
    session: b.readUInt32LE(8),
    phase: phase as PhaseValue,
    heartbeat: b.readUInt8(13),
    controlPort: b.readUInt16LE(14),
    imageSize: Number(imageSize),
    chunkSize: b.readUInt32LE(24),
    symbolSize: b.readUInt16LE(28),
    chunkCount: b.readUInt32LE(32),
    stripeSize: b.readUInt16LE(30),
    manifestSize: b.readUInt32LE(36),
    progress: b.readUInt32LE(40),
    rateKiB: b.readUInt32LE(44),
    manifestDigest: Buffer.from(b.subarray(48, 48 + HASH_SIZE)),
    groupSize: b.readUInt16LE(80),
    nackBackoffMs: b.readUInt16LE(82),
  };
}

export function encodeStatus(s: Status): Buffer {
  const name = Buffer.from(s.name, 'utf8').subarray(0, MAX_NAME_BYTES);
  // Only DONE carries the digest: heartbeats of hundreds of receivers stay small.
  const digestSize = s.state === ReceiverState.Done ? HASH_SIZE : 0;
  const b = Buffer.alloc(STATUS_FIXED_SIZE + digestSize + name.length);
  header(b, PacketType.Status, s.session);
  b.writeUInt32LE(s.receiverId >>> 0, 12);
  b.writeUInt8(s.state, 16);
  b.writeUInt8(s.reason, 17);
  b.writeUInt8(name.length, 18);
  b.writeUInt8(s.overloaded ? STATUS_FLAG_OVERLOADED : 0, 19);
  b.writeUInt32LE(s.chunksDone, 20);
  b.writeBigUInt64LE(BigInt(Math.min(s.capacity, Number.MAX_SAFE_INTEGER)), 24);
  b.writeBigUInt64LE(BigInt(s.packets), 32);
  b.writeUInt32LE(Math.min(s.malformed, 0xffffffff), 40);
  b.writeUInt32LE(Math.min(s.duplicates, 0xffffffff), 44);
  if (digestSize) s.imageDigest.copy(b, STATUS_FIXED_SIZE, 0, HASH_SIZE);
  name.copy(b, STATUS_FIXED_SIZE + digestSize);
  return b;
}

export function decodeStatus(b: Buffer): Status | null {
  if (packetType(b) !== PacketType.Status || b.length < STATUS_FIXED_SIZE) return null;
  const state = b.readUInt8(16);
  const nameLength = b.readUInt8(18);
  const flags = b.readUInt8(19);
  const digestSize = state === ReceiverState.Done ? HASH_SIZE : 0;
  if (state < 1 || state > 4 || nameLength > MAX_NAME_BYTES || b.length !== STATUS_FIXED_SIZE + digestSize + nameLength) return null;
  if (flags & ~STATUS_FLAG_OVERLOADED) return null;
  const capacity = b.readBigUInt64LE(24);
  const packets = b.readBigUInt64LE(32);
  return {
    session: b.readUInt32LE(8),
    receiverId: b.readUInt32LE(12),
    state: state as ReceiverStateValue,
    reason: b.readUInt8(17) as FailReasonValue,
    overloaded: (flags & STATUS_FLAG_OVERLOADED) !== 0,
    chunksDone: b.readUInt32LE(20),
    capacity: Number(capacity > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : capacity),
    packets: Number(packets > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : packets),
    malformed: b.readUInt32LE(40),
    duplicates: b.readUInt32LE(44),
    imageDigest: digestSize ? Buffer.from(b.subarray(STATUS_FIXED_SIZE, STATUS_FIXED_SIZE + HASH_SIZE)) : Buffer.alloc(HASH_SIZE),
    name: b.toString('utf8', STATUS_FIXED_SIZE + digestSize, STATUS_FIXED_SIZE + digestSize + nameLength),
  };
}

/**
 * Packs NACK entries into as few packets as fit MAX_CONTROL_PACKET bytes.
 * An entry with more ranges than fit one packet is split across packets.
 */
export function encodeNacks(session: number, receiverId: number, entries: NackEntry[]): Buffer[] {
  const packets: Buffer[] = [];
  let parts: Buffer[] = [];
  let size = NACK_FIXED_SIZE;
  let count = 0;
  const finish = (): void => {
    if (count === 0) return;
    const head = Buffer.alloc(NACK_FIXED_SIZE);
    header(head, PacketType.Nack, session);
    head.writeUInt32LE(receiverId >>> 0, 12);
    head.writeUInt16LE(count, 16);
    packets.push(Buffer.concat([head, ...parts]));
    parts = [];
    size = NACK_FIXED_SIZE;
    count = 0;
  };
  for (const e of entries) {
    let r = 0;
    const totalRanges = e.pairs.length / 2;
    do {
      if (size + NACK_ENTRY_SIZE + NACK_RANGE_SIZE > MAX_CONTROL_PACKET) finish();
      const room = Math.floor((MAX_CONTROL_PACKET - size - NACK_ENTRY_SIZE) / NACK_RANGE_SIZE);
      const n = Math.min(room, totalRanges - r, 0xffff);
      const part = Buffer.alloc(NACK_ENTRY_SIZE + n * NACK_RANGE_SIZE);
      part.writeUInt8(e.stream, 0);
      part.writeUInt8(e.kind, 1);
      part.writeUInt16LE(n, 2);
      part.writeUInt32LE(e.chunk, 4);
      for (let i = 0; i < n; i++) {
        part.writeUInt16LE(e.pairs[2 * (r + i)]!, NACK_ENTRY_SIZE + 4 * i);
        part.writeUInt16LE(e.pairs[2 * (r + i) + 1]!, NACK_ENTRY_SIZE + 4 * i + 2);
      }
      parts.push(part);
      size += part.length;
      count++;
      r += n;
    } while (r < totalRanges);
  }
  finish();
  return packets;
}

export function decodeNack(b: Buffer): Nack | null {
  if (packetType(b) !== PacketType.Nack || b.length < NACK_FIXED_SIZE || b.length > 65507) return null;
  const count = b.readUInt16LE(16);
  const entries: NackEntry[] = [];
  let off = NACK_FIXED_SIZE;
  for (let i = 0; i < count; i++) {
    if (off + NACK_ENTRY_SIZE > b.length) return null;
    const stream = b.readUInt8(off);
    const kind = b.readUInt8(off + 1);
    const n = b.readUInt16LE(off + 2);
    const chunk = b.readUInt32LE(off + 4);
    off += NACK_ENTRY_SIZE;
    if (kind < NackKind.SourceRuns || kind > NackKind.WholeChunk || (kind === NackKind.WholeChunk && n !== 0) || off + n * NACK_RANGE_SIZE > b.length) return null;
    const pairs: number[] = [];
    for (let j = 0; j < n; j++, off += NACK_RANGE_SIZE) pairs.push(b.readUInt16LE(off), b.readUInt16LE(off + 2));
    entries.push({ stream, chunk, kind: kind as NackKindValue, pairs });
  }
  if (off !== b.length) return null;
  return { session: b.readUInt32LE(8), receiverId: b.readUInt32LE(12), entries };
}

export function encodeAck(a: Ack): Buffer {
  const b = Buffer.alloc(ACK_SIZE);
  header(b, PacketType.Ack, a.session);
  b.writeUInt32LE(a.receiverId >>> 0, 12);
  b.writeUInt8(a.state, 16);
  return b;
}

export function decodeAck(b: Buffer): Ack | null {
  if (packetType(b) !== PacketType.Ack || b.length !== ACK_SIZE) return null;
  const state = b.readUInt8(16);
  if (state < 1 || state > 4) return null;
  return { session: b.readUInt32LE(8), receiverId: b.readUInt32LE(12), state: state as ReceiverStateValue };
}

/** Builds one DATA datagram (tests and tools; the sender builds these natively). */
/** One DATA datagram (the native sender builds these; JS needs them for tests and tools). */
export function encodeData(
  session: number,
  stream: number,
  chunk: number,
  symbol: number,
  payload: Buffer,
  chunkLength: number,
  coding: number = Coding.Raw,
): Buffer {
  const b = Buffer.alloc(DATA_HEADER_SIZE + payload.length);
  header(b, PacketType.Data, session);
  b.writeUInt8(stream, OFF_STREAM);
  b.writeUInt8(coding, OFF_CODING);
  b.writeUInt32LE(chunk >>> 0, OFF_CHUNK);
  b.writeUInt32LE(symbol >>> 0, OFF_SYMBOL);
  b.writeUInt32LE(chunkLength >>> 0, OFF_LENGTH);
  payload.copy(b, DATA_HEADER_SIZE);
  return b;
}

/**
 * REPAIR_ADV: the repair the sender will send for one chunk when its
 * collection window closes: per stripe, how many fresh parity symbols. A
 * receiver whose needs are all covered stays silent (NACK suppression).
 */
export interface RepairAdv {
  session: number;
  stream: number;
  chunk: number;
  /** Flat [stripe, count, ...]. */
  stripes: number[];
}

export const REPAIR_ADV_FIXED_SIZE = 20;

export function encodeRepairAdv(a: RepairAdv): Buffer {
  const n = Math.min(a.stripes.length / 2, Math.floor((MAX_CONTROL_PACKET - REPAIR_ADV_FIXED_SIZE) / 4));
  const b = Buffer.alloc(REPAIR_ADV_FIXED_SIZE + 4 * n);
  header(b, PacketType.RepairAdv, a.session);
  b.writeUInt8(a.stream, 12);
  b.writeUInt16LE(n, 14);
  b.writeUInt32LE(a.chunk >>> 0, 16);
  for (let i = 0; i < n; i++) {
    b.writeUInt16LE(a.stripes[2 * i]!, REPAIR_ADV_FIXED_SIZE + 4 * i);
    b.writeUInt16LE(a.stripes[2 * i + 1]!, REPAIR_ADV_FIXED_SIZE + 4 * i + 2);
  }
  return b;
}

export function decodeRepairAdv(b: Buffer): RepairAdv | null {
  if (packetType(b) !== PacketType.RepairAdv || b.length < REPAIR_ADV_FIXED_SIZE) return null;
  const n = b.readUInt16LE(14);
  if (b.readUInt8(13) !== 0 || b.length !== REPAIR_ADV_FIXED_SIZE + 4 * n) return null;
  const stripes: number[] = [];
  for (let i = 0; i < n; i++) stripes.push(b.readUInt16LE(REPAIR_ADV_FIXED_SIZE + 4 * i), b.readUInt16LE(REPAIR_ADV_FIXED_SIZE + 4 * i + 2));
  return { session: b.readUInt32LE(8), stream: b.readUInt8(12), chunk: b.readUInt32LE(16), stripes };
}
