// The packet mutator: one to four stacked mutations of a valid packet —
// bit flips, bytes set to boundary values, u16/u32/u64 boundaries written at
// the field offsets of the packet type's wire.ts layout, header flags,
// truncation, extension, insertion and deletion, splicing two packets — or,
// now and then, random bytes of any length up to 65507.
import { MAX_UDP_PAYLOAD } from '../../src/protocol/constants.js';
import {
  AckBody,
  AnnounceBody,
  CommonHeader,
  DataHeader,
  NackEntryHeader,
  NackFixed,
  PacketType,
  Pair,
  RepairAdvFixed,
  StatusFixed,
  type Field,
  type Layout,
} from '../../src/protocol/wire.js';
import { OFF_FLAGS } from './corpus.js';
import type { Rng } from './rng.js';

const BYTE_BOUNDARIES = [0, 1, 0x7f, 0x80, 0xfe, 0xff];
const BOUNDARIES: Readonly<Record<number, readonly number[]>> = {
  1: BYTE_BOUNDARIES,
  2: [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff],
  4: [0, 1, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff],
};
const U64_BOUNDARIES = [0n, 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];

/** Fields of each packet type as laid out from offset 0, plus the repeated parts after the fixed one. */
function fieldsOf(type: number): { fields: readonly Field[]; repeat?: Layout; from?: number } {
  const table: Record<number, { fixed: Layout; repeat?: Layout }> = {
    [PacketType.Data]: { fixed: DataHeader },
    [PacketType.Announce]: { fixed: AnnounceBody },
    [PacketType.Status]: { fixed: StatusFixed },
    [PacketType.Nack]: { fixed: NackFixed, repeat: NackEntryHeader },
    [PacketType.Ack]: { fixed: AckBody },
    [PacketType.RepairAdv]: { fixed: RepairAdvFixed, repeat: Pair },
  };
  const t = table[type];
  if (!t) return { fields: CommonHeader.fields };
  return { fields: t.fixed.fields, repeat: t.repeat, from: t.fixed.size };
}

/** Writes a boundary value of `size` bytes at `at`, if it fits. */
function writeBoundary(rng: Rng, b: Buffer, at: number, size: number): void {
  if (at < 0 || at + size > b.length) return;
  if (size === 8) return void b.writeBigUInt64LE(rng.pick(U64_BOUNDARIES), at);
  const values = BOUNDARIES[size];
  if (!values) return; // hashes and nonces: bit flips reach them
  let v = rng.pick(values);
  if (rng.chance(0.25)) v = (v + rng.pick([-1, 1])) >>> 0;
  b.writeUIntLE((v >>> 0) % 2 ** (8 * size), at, size);
}

function fieldBoundary(rng: Rng, b: Buffer): void {
  const { fields, repeat, from } = fieldsOf(b.length > 5 ? b[5]! : 0);
  if (repeat && from !== undefined && rng.chance(0.3)) {
    // A field of an entry or pair after the fixed part (NACK entries are
    // variable length: aim at the first, or at any aligned offset).
    const f = rng.pick(repeat.fields);
    const base = from + (rng.chance(0.5) ? 0 : repeat.size * rng.int(Math.max(1, (b.length - from) / repeat.size)));
    return writeBoundary(rng, b, base + f.offset, f.size);
  }
  const f = rng.pick(fields);
  writeBoundary(rng, b, f.offset, f.size);
}

/** One mutation of `b` (may return a new buffer); `other` is the splice partner. */
function mutateOnce(rng: Rng, b: Buffer, other: Buffer): Buffer {
  const at = (): number => rng.int(Math.max(1, b.length));
  switch (rng.int(11)) {
    case 0: // bit flips
      for (let i = 0, n = 1 + rng.int(4); i < n && b.length; i++) b[at()]! ^= 1 << rng.int(8);
      return b;
    case 1: // a byte set to a boundary value
      if (b.length) b[at()] = rng.pick(BYTE_BOUNDARIES);
      return b;
    case 2:
    case 3: // a field set to a boundary of its width
      fieldBoundary(rng, b);
      return b;
    case 4: // header flags: any combination, legal or not
      if (b.length >= OFF_FLAGS + 2) b.writeUInt16LE(rng.chance(0.7) ? rng.int(8) : rng.int(0x10000), OFF_FLAGS);
      return b;
    case 5: // truncation
      return b.subarray(0, rng.chance(0.5) ? rng.int(b.length + 1) : Math.max(0, b.length - 1 - rng.int(32)));
    case 6: // extension
      return Buffer.concat([b, rng.bytes(rng.chance(0.8) ? 1 + rng.int(64) : rng.int(4096))]);
    case 7: { // insert or delete bytes in the middle
      const i = at();
      const n = 1 + rng.int(16);
      return rng.chance(0.5) ? Buffer.concat([b.subarray(0, i), rng.bytes(n), b.subarray(i)]) : Buffer.concat([b.subarray(0, i), b.subarray(i + n)]);
    }
    case 8: // splice: the head of one packet, the tail of another
      return Buffer.concat([b.subarray(0, at()), other.subarray(rng.int(other.length + 1))]);
    case 9: // a random run of bytes overwritten
      if (b.length) rng.bytes(Math.min(b.length, 1 + rng.int(16))).copy(b, at());
      return b;
    default: // a u32 anywhere set to a boundary
      writeBoundary(rng, b, at(), rng.pick([2, 4]));
      return b;
  }
}

/** Random bytes of any length 0..65507 (mostly short); half of them keep `like`'s common header so they get past the first check. */
export function randomPacket(rng: Rng, like: Buffer): Buffer {
  const len = rng.chance(0.9) ? rng.int(2048) : rng.int(MAX_UDP_PAYLOAD + 1);
  const b = rng.bytes(len);
  if (rng.chance(0.5)) like.copy(b, 0, 0, Math.min(CommonHeader.size, len));
  return b;
}

/** A mutated copy of `packet` (never `packet` itself), or random bytes. */
export function mutate(rng: Rng, packet: Buffer, corpus: readonly Buffer[]): Buffer {
  if (rng.chance(0.03)) return randomPacket(rng, packet);
  let b: Buffer = Buffer.from(packet);
  for (let i = 0, n = 1 + rng.int(rng.chance(0.8) ? 2 : 4); i < n; i++) b = mutateOnce(rng, b, rng.pick(corpus));
  return b.length > MAX_UDP_PAYLOAD ? b.subarray(0, MAX_UDP_PAYLOAD) : b;
}
