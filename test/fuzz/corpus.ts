// Valid packets of every type, the fuzzers' starting points: ANNOUNCE,
// STATUS (heartbeat and DONE), NACK of each kind, ACK, REPAIR_ADV, DATA of
// both streams and codings with source and repair ids, and copies of each
// with the v3 header flags (SEALED, SIGNED, ENCRYPTED) set and random
// trailers and signatures appended. Field values are random but in range.
import { compressSync } from 'lz4-napi';
import {
  Coding,
  HASH_SIZE,
  HeaderFlag,
  NONCE_SIZE,
  OFF_SESSION,
  PacketType,
  Phase,
  ReceiverState,
  SEAL_TRAILER_SIZE,
  SIGNATURE_SIZE,
  Stream,
  MIN_SYMBOL_SIZE,
} from '../../src/protocol/constants.js';
import { encodeManifest, imageDigestOf, zeroBitmap } from '../../src/protocol/manifest.js';
import { encodeAck, encodeAnnounce, encodeData, encodeNacks, encodeRepairAdv, encodeStatus, NackKind, type NackEntry } from '../../src/protocol/packets.js';
import { zeroHash } from '../../src/protocol/hash.js';
import { repairSymbolId } from '../../src/protocol/symbols.js';
import { CommonHeader, offsetOf } from '../../src/protocol/wire.js';
import type { Rng } from './rng.js';

export const OFF_FLAGS = offsetOf(CommonHeader, 'flags');

/** A packet with `flags` set in its header and the bytes they promise appended (random: no tag is checked here). */
export function withFlags(rng: Rng, packet: Buffer, flags: number): Buffer {
  const extra = (flags & HeaderFlag.Signed ? SIGNATURE_SIZE : 0) + (flags & HeaderFlag.Sealed ? SEAL_TRAILER_SIZE : 0);
  const b = Buffer.concat([packet, rng.bytes(extra)]);
  b.writeUInt16LE(flags, OFF_FLAGS);
  return b;
}

function announce(rng: Rng, session: number): Buffer {
  const chunkSize = rng.pick([4096, 65536, 1 << 20, 4 << 20]);
  const chunkCount = 1 + rng.int(5000);
  return encodeAnnounce({
    session,
    phase: rng.pick(Object.values(Phase)),
    controlPort: rng.int(65536),
    imageSize: (chunkCount - 1) * chunkSize + 1 + rng.int(chunkSize),
    chunkSize,
    symbolSize: rng.pick([MIN_SYMBOL_SIZE, 1428, 1448, 8928]),
    stripeSize: rng.pick([0, 8, 32, 64]),
    chunkCount,
    manifestSize: 64 + chunkCount * 33,
    progress: rng.int(chunkCount + 1),
    rateKiB: rng.int(200000),
    heartbeat: rng.int(256),
    manifestDigest: rng.bytes(HASH_SIZE),
    groupSize: rng.int(300),
    nackBackoffMs: rng.int(1000),
    cipher: rng.int(3),
    salt: rng.bytes(NONCE_SIZE),
  });
}

function status(rng: Rng, session: number): Buffer {
  return encodeStatus({
    session,
    receiverId: rng.u32(),
    state: rng.pick(Object.values(ReceiverState)),
    reason: rng.int(7) as 0,
    overloaded: rng.chance(0.3),
    chunksDone: rng.int(5000),
    capacity: rng.int(2 ** 40),
    packets: rng.int(2 ** 32),
    malformed: rng.int(100),
    duplicates: rng.int(100),
    imageDigest: rng.bytes(HASH_SIZE),
    name: `node-${rng.int(1000)}`.repeat(1 + rng.int(8)),
    nonce: rng.bytes(NONCE_SIZE),
  });
}

function nacks(rng: Rng, session: number): Buffer[] {
  const entries: NackEntry[] = [];
  for (let i = 0, n = 1 + rng.int(6); i < n; i++) {
    const kind = rng.pick([NackKind.SourceRuns, NackKind.StripeNeeds, NackKind.WholeChunk]);
    const pairs = kind === NackKind.WholeChunk ? [] : Array.from({ length: 2 * (1 + rng.int(rng.chance(0.1) ? 400 : 8)) }, () => rng.int(300));
    entries.push({ stream: rng.int(2), chunk: rng.int(5000), kind, pairs });
  }
  return encodeNacks(session, rng.u32(), entries);
}

function data(rng: Rng, session: number): Buffer {
  const symbolSize = rng.pick([MIN_SYMBOL_SIZE, 1024, 1448]);
  const length = 1 + rng.int(64 * symbolSize);
  const symbols = Math.ceil(length / symbolSize);
  const repair = rng.chance(0.3);
  const symbol = repair ? repairSymbolId(rng.int(4), rng.int(64)) : rng.int(symbols);
  const payload = repair ? symbolSize : Math.min(symbolSize, length - symbol * symbolSize);
  if (rng.chance(0.3)) {
    // An LZ4-coded chunk: its first symbol starts with the raw-size prefix.
    const raw = Buffer.alloc(symbolSize * 4, rng.int(256));
    const wire = compressSync(raw);
    return encodeData(session, rng.pick([Stream.Image, Stream.Manifest]), rng.int(5000), 0, wire.subarray(0, Math.min(symbolSize, wire.length)), wire.length, Coding.Lz4);
  }
  return encodeData(session, rng.pick([Stream.Image, Stream.Manifest]), rng.int(5000), symbol, rng.bytes(payload), length, Coding.Raw);
}

/** Control and data packets of every type for `session`, each plain and with header flags (SEALED, SIGNED, ENCRYPTED). */
export function seedPackets(rng: Rng, session: number, count = 64): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const base = [announce(rng, session), status(rng, session), ...nacks(rng, session), encodeAck({ session, receiverId: rng.u32(), state: rng.pick(Object.values(ReceiverState)), nonce: rng.bytes(NONCE_SIZE) })];
    base.push(encodeRepairAdv({ session, stream: rng.int(2), chunk: rng.int(5000), stripes: Array.from({ length: 2 * rng.int(12) }, () => rng.int(100)) }));
    base.push(data(rng, session));
    for (const p of base) {
      out.push(p);
      out.push(withFlags(rng, p, flagsFor(rng, p.readUInt8(offsetOf(CommonHeader, 'type')))));
    }
  }
  return out;
}

/** A set of header flags the packet type allows (sometimes one it does not). */
function flagsFor(rng: Rng, type: number): number {
  if (rng.chance(0.1)) return rng.int(8);
  if (type === PacketType.Data) return rng.pick([HeaderFlag.Sealed, HeaderFlag.Sealed | HeaderFlag.Encrypted]);
  if (type === PacketType.Announce || type === PacketType.Ack) return rng.pick([HeaderFlag.Sealed, HeaderFlag.Signed, HeaderFlag.Sealed | HeaderFlag.Signed]);
  return HeaderFlag.Sealed;
}

/** A valid encoded manifest of a few chunks, some of them zero. */
export function seedManifest(rng: Rng): Buffer {
  const chunkSize = rng.pick([4096, 65536]);
  const count = 1 + rng.int(20);
  const imageSize = (count - 1) * chunkSize + 1 + rng.int(chunkSize);
  const zero = Array.from({ length: count }, () => rng.chance(0.3));
  const chunkHashes = zero.map((z, c) => (z ? zeroHash(Math.min(chunkSize, imageSize - c * chunkSize)) : rng.bytes(HASH_SIZE)));
  return encodeManifest({ imageSize, chunkSize, chunkHashes, zero: zeroBitmap(zero), imageDigest: imageDigestOf(chunkHashes) });
}

/** The session id a packet claims (0 when it is too short to claim one). */
export function sessionOf(b: Buffer): number {
  return b.length >= OFF_SESSION + 4 ? b.readUInt32LE(OFF_SESSION) : 0;
}
