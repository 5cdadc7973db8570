// Encoding and decoding of the packets handled in TypeScript, from the field
// tables in wire.ts. DATA packets are built and parsed natively (through
// the generated native/src/wire.h); encodeData here exists for tests and
// tools. Decoders return null for anything malformed: callers count and
// drop it.
//
// Encoders write plain bodies (flags 0); src/security/ signs and seals them
// (setting the header's flags, appending a signature or a trailer) and
// verifies them before any decoder runs. Decoders take the trailer and
// signature sizes from the header's flags, so no length check here
// hard-codes a size; they never check a tag themselves.
import { readFields, writeFields, type FieldValues } from './fields.js';
import { packetType, signatureSize, trailerSize } from './header.js';
import {
  AckBody,
  AnnounceBody,
  COMMON_HEADER_SIZE,
  Coding,
  CommonHeader,
  DATA_HEADER_SIZE,
  DataHeader,
  HASH_SIZE,
  MAGIC,
  MAX_CONTROL_PACKET,
  MAX_NAME_BYTES,
  MAX_UDP_PAYLOAD,
  NackEntryHeader,
  NackFixed,
  NackKind,
  PacketType,
  Pair,
  Phase,
  ReceiverState,
  RepairAdvFixed,
  StatusFixed,
  StatusFlag,
  VERSION,
  type FailReasonValue,
  type FieldSpec,
  type Layout,
  type NackKindValue,
  type PacketTypeValue,
  type PhaseValue,
  type ReceiverStateValue,
  type ValueOf,
} from './wire.js';

export { NackKind, type NackKindValue };
export { headerFlags, packetType, signatureSize, trailerSize } from './header.js';

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
  /** The AEAD of a sealed session (Cipher.None when open). */
  cipher: number;
  /** Random per run of the sender (NONCE_SIZE bytes). */
  salt: Buffer;
  /** AnnounceFlag bits (0 when omitted): Stream, a session whose image is read as it is sent. */
  streamFlags?: number;
  /** Stream sessions: image chunks per manifest segment. */
  segmentChunks?: number;
  /** Stream sessions: manifest segments published so far. */
  segments?: number;
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
  /** The receiver's join nonce (NONCE_SIZE bytes), the same in all its reports. */
  nonce: Buffer;
  /** Rate discovery, cumulative since its first DATA: DATA payload bytes taken, and DATA datagrams the sender sent meanwhile (by seq). */
  dataBytes?: number;
  sequenced?: number;
  /** The receiver's monotonic clock (ms mod 2^32) when it read the figures. */
  clockMs?: number;
}

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
  /** The join nonce of the STATUS acknowledged. */
  nonce: Buffer;
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

export const ANNOUNCE_SIZE = AnnounceBody.size;
/** A STATUS before its name; DONE adds the image digest (HASH_SIZE bytes) in between. */
export const STATUS_FIXED_SIZE = StatusFixed.size;
export const NACK_FIXED_SIZE = NackFixed.size;
export const NACK_ENTRY_SIZE = NackEntryHeader.size;
export const NACK_RANGE_SIZE = Pair.size;
export const ACK_SIZE = AckBody.size;
export const REPAIR_ADV_FIXED_SIZE = RepairAdvFixed.size;

function common(type: PacketTypeValue, session: number): FieldValues<typeof CommonHeader.specs> {
  return { magic: MAGIC, version: VERSION, type, flags: 0, session: session >>> 0 };
}

/** A packet body of `bodySize` bytes, its fixed part written from `values`. */
function packet<F extends readonly FieldSpec[]>(l: Layout<F>, values: FieldValues<F>, bodySize: number): Buffer {
  const b = Buffer.alloc(bodySize);
  writeFields(l, b, values);
  return b;
}

/**
 * The body of a packet, without its trailer and signature (sizes from the
 * header's flags), if its common header is valid and of `type`, else null.
 */
function body(b: Buffer, type: PacketTypeValue): Buffer | null {
  if (packetType(b) !== type) return null;
  const end = b.length - trailerSize(b) - signatureSize(b);
  return end >= COMMON_HEADER_SIZE ? b.subarray(0, end) : null;
}

function inEnum<E extends Record<string, number>>(e: E, v: number): v is ValueOf<E> {
  return Object.values(e).includes(v);
}


export function encodeAnnounce(a: Announce): Buffer {
  return packet(
    AnnounceBody,
    {
      ...common(PacketType.Announce, a.session),
      phase: a.phase,
      heartbeat: Math.min(255, a.heartbeat),
      controlPort: a.controlPort,
      imageSize: a.imageSize,
      chunkSize: a.chunkSize,
      symbolSize: a.symbolSize,
      stripeSize: a.stripeSize,
      chunkCount: a.chunkCount,
      manifestSize: a.manifestSize,
      progress: a.progress,
      rateKiB: Math.min(0xffffffff, Math.round(a.rateKiB)),
      manifestDigest: a.manifestDigest,
      groupSize: Math.min(0xffff, a.groupSize),
      nackBackoffMs: Math.min(0xffff, Math.round(a.nackBackoffMs)),
      cipher: a.cipher,
      salt: a.salt,
      streamFlags: a.streamFlags ?? 0,
      segmentChunks: a.segmentChunks ?? 0,
      segments: a.segments ?? 0,
    },
    ANNOUNCE_SIZE,
  );
}

export function decodeAnnounce(b: Buffer): Announce | null {
  const p = body(b, PacketType.Announce);
  const f = p && p.length === ANNOUNCE_SIZE ? readFields(AnnounceBody, p) : null;
  if (!f || !inEnum(Phase, f.phase) || f.imageSize > Number.MAX_SAFE_INTEGER) return null;
  const { magic: _m, version: _v, type: _t, flags: _f, ...rest } = f;
  return { ...rest, phase: f.phase };
}

export function encodeStatus(s: Status): Buffer {
  const name = Buffer.from(s.name, 'utf8').subarray(0, MAX_NAME_BYTES);
  // Only DONE carries the digest: heartbeats of hundreds of receivers stay small.
  const digestSize = s.state === ReceiverState.Done ? HASH_SIZE : 0;
  const b = packet(
    StatusFixed,
    {
      ...common(PacketType.Status, s.session),
      receiverId: s.receiverId >>> 0,
      state: s.state,
      reason: s.reason,
      nameLength: name.length,
      statusFlags: s.overloaded ? StatusFlag.Overloaded : 0,
      chunksDone: s.chunksDone,
      capacity: Math.min(s.capacity, Number.MAX_SAFE_INTEGER),
      packets: s.packets,
      malformed: Math.min(s.malformed, 0xffffffff),
      duplicates: Math.min(s.duplicates, 0xffffffff),
      nonce: s.nonce,
      dataBytes: Math.min(s.dataBytes ?? 0, Number.MAX_SAFE_INTEGER),
      sequenced: Math.min(s.sequenced ?? 0, Number.MAX_SAFE_INTEGER),
      clockMs: (s.clockMs ?? 0) >>> 0,
    },
    STATUS_FIXED_SIZE + digestSize + name.length,
  );
  if (digestSize) s.imageDigest.copy(b, STATUS_FIXED_SIZE, 0, HASH_SIZE);
  name.copy(b, STATUS_FIXED_SIZE + digestSize);
  return b;
}

export function decodeStatus(b: Buffer): Status | null {
  const p = body(b, PacketType.Status);
  const f = p && readFields(StatusFixed, p);
  if (!p || !f || !inEnum(ReceiverState, f.state)) return null;
  const digestSize = f.state === ReceiverState.Done ? HASH_SIZE : 0;
  if (f.nameLength > MAX_NAME_BYTES || p.length !== STATUS_FIXED_SIZE + digestSize + f.nameLength) return null;
  if (f.statusFlags & ~StatusFlag.Overloaded) return null;
  const nameAt = STATUS_FIXED_SIZE + digestSize;
  return {
    session: f.session,
    receiverId: f.receiverId,
    state: f.state,
    reason: f.reason as FailReasonValue,
    overloaded: (f.statusFlags & StatusFlag.Overloaded) !== 0,
    chunksDone: f.chunksDone,
    capacity: Math.min(f.capacity, Number.MAX_SAFE_INTEGER),
    packets: Math.min(f.packets, Number.MAX_SAFE_INTEGER),
    malformed: f.malformed,
    duplicates: f.duplicates,
    dataBytes: Math.min(f.dataBytes, Number.MAX_SAFE_INTEGER),
    sequenced: Math.min(f.sequenced, Number.MAX_SAFE_INTEGER),
    clockMs: f.clockMs,
    imageDigest: digestSize ? Buffer.from(p.subarray(STATUS_FIXED_SIZE, nameAt)) : Buffer.alloc(HASH_SIZE),
    name: p.toString('utf8', nameAt, nameAt + f.nameLength),
    nonce: f.nonce,
  };
}

/**
 * Packs NACK entries into as few packets as fit MAX_CONTROL_PACKET bytes
 * once the security layer has added `overhead` bytes (its trailer). An
 * entry with more ranges than fit one packet is split across packets.
 */
export function encodeNacks(session: number, receiverId: number, entries: NackEntry[], overhead = 0): Buffer[] {
  const limit = MAX_CONTROL_PACKET - overhead;
  const packets: Buffer[] = [];
  let parts: Buffer[] = [];
  let size = NACK_FIXED_SIZE;
  let count = 0;
  const finish = (): void => {
    if (count === 0) return;
    const head = Buffer.alloc(NACK_FIXED_SIZE);
    writeFields(NackFixed, head, { ...common(PacketType.Nack, session), receiverId: receiverId >>> 0, count });
    packets.push(Buffer.concat([head, ...parts]));
    parts = [];
    size = NACK_FIXED_SIZE;
    count = 0;
  };
  for (const e of entries) {
    let r = 0;
    const totalRanges = e.pairs.length / 2;
    do {
      if (size + NACK_ENTRY_SIZE + NACK_RANGE_SIZE > limit) finish();
      const room = Math.floor((limit - size - NACK_ENTRY_SIZE) / NACK_RANGE_SIZE);
      const n = Math.min(room, totalRanges - r, 0xffff);
      const part = Buffer.alloc(NACK_ENTRY_SIZE + n * NACK_RANGE_SIZE);
      writeFields(NackEntryHeader, part, { stream: e.stream, kind: e.kind, count: n, chunk: e.chunk });
      writePairs(part, NACK_ENTRY_SIZE, e.pairs, r, n);
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
  const p = body(b, PacketType.Nack);
  const f = p && readFields(NackFixed, p);
  if (!p || !f || b.length > MAX_UDP_PAYLOAD) return null;
  const entries: NackEntry[] = [];
  let off = NACK_FIXED_SIZE;
  for (let i = 0; i < f.count; i++) {
    const e = readFields(NackEntryHeader, p, off);
    if (!e) return null;
    off += NACK_ENTRY_SIZE;
    if (!inEnum(NackKind, e.kind) || (e.kind === NackKind.WholeChunk && e.count !== 0) || off + e.count * NACK_RANGE_SIZE > p.length) return null;
    entries.push({ stream: e.stream, chunk: e.chunk, kind: e.kind, pairs: readPairs(p, off, e.count) });
    off += e.count * NACK_RANGE_SIZE;
  }
  if (off !== p.length) return null;
  return { session: f.session, receiverId: f.receiverId, entries };
}

export function encodeAck(a: Ack): Buffer {
  return packet(AckBody, { ...common(PacketType.Ack, a.session), receiverId: a.receiverId >>> 0, state: a.state, nonce: a.nonce }, ACK_SIZE);
}

export function decodeAck(b: Buffer): Ack | null {
  const p = body(b, PacketType.Ack);
  const f = p && p.length === ACK_SIZE ? readFields(AckBody, p) : null;
  if (!f || !inEnum(ReceiverState, f.state)) return null;
  return { session: f.session, receiverId: f.receiverId, state: f.state, nonce: f.nonce };
}

/** A REPAIR_ADV that fits MAX_CONTROL_PACKET once `overhead` bytes (the trailer) are added. */
export function encodeRepairAdv(a: RepairAdv, overhead = 0): Buffer {
  const n = Math.min(a.stripes.length / 2, Math.floor((MAX_CONTROL_PACKET - overhead - REPAIR_ADV_FIXED_SIZE) / Pair.size));
  const b = packet(RepairAdvFixed, { ...common(PacketType.RepairAdv, a.session), stream: a.stream, count: n, chunk: a.chunk >>> 0 }, REPAIR_ADV_FIXED_SIZE + Pair.size * n);
  writePairs(b, REPAIR_ADV_FIXED_SIZE, a.stripes, 0, n);
  return b;
}

export function decodeRepairAdv(b: Buffer): RepairAdv | null {
  const p = body(b, PacketType.RepairAdv);
  const f = p && readFields(RepairAdvFixed, p);
  if (!p || !f || p.length !== REPAIR_ADV_FIXED_SIZE + Pair.size * f.count) return null;
  return { session: f.session, stream: f.stream, chunk: f.chunk, stripes: readPairs(p, REPAIR_ADV_FIXED_SIZE, f.count) };
}

/** One DATA datagram (the native sender builds these; JS needs them for tests and tools). */
export function encodeData(session: number, stream: number, chunk: number, symbol: number, payload: Buffer, chunkLength: number, coding: number = Coding.Raw, seq = 0): Buffer {
  const b = packet(
    DataHeader,
    { ...common(PacketType.Data, session), stream, coding, seq: seq & 0xffff, chunk: chunk >>> 0, symbol: symbol >>> 0, length: chunkLength >>> 0 },
    DATA_HEADER_SIZE + payload.length,
  );
  payload.copy(b, DATA_HEADER_SIZE);
  return b;
}

/** Writes pairs[2·from ..] as `n` (u16, u16) pairs at `offset`. */
function writePairs(b: Buffer, offset: number, pairs: number[], from: number, n: number): void {
  for (let i = 0; i < n; i++) writeFields(Pair, b, { a: pairs[2 * (from + i)]!, b: pairs[2 * (from + i) + 1]! }, offset + Pair.size * i);
}

function readPairs(b: Buffer, offset: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = readFields(Pair, b, offset + Pair.size * i)!;
    out.push(x.a, x.b);
  }
  return out;
}
