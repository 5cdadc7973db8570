// Manifest segments: the manifest of a stream session (`send -`), whose
// image is read as it is sent. Segment s lists the hashes and zero flags of
// image chunks [s·K, s·K + m); the last one also the image size and digest.
// Each names the BLAKE3 of the one before it, and ANNOUNCE names the newest:
// a hash chain whose head the (signed) ANNOUNCE authenticates. Segment s
// travels as chunk s of stream 1. docs/PROTOCOL.md, docs/SECURITY.md.
import { HASH_SIZE } from './constants.js';
import { HASH_ALGORITHM_BLAKE3, hash, zeroHash } from './hash.js';
import { zeroBitmap } from './manifest.js';

export const SEGMENT_MAGIC = 'BCSEGM01';
export const SEGMENT_HEADER_SIZE = 96;
/** Segment flag: the image ends with this segment (its size and digest are set). */
export const SEGMENT_LAST = 1;
/** Image chunks per segment by default: a segment every 8 MiB of 1 MiB chunks (a receiver outputs a chunk only once its segment is in). */
export const DEFAULT_SEGMENT_CHUNKS = 8;
/** The most chunks a segment may list (it must fit the smallest chunk size, 4 KiB). */
export const MAX_SEGMENT_CHUNKS = 96;
/**
 * The most chunks a stream session may have: receivers size their tables
 * for the announced bound (about 4 bytes a chunk natively). Senders announce
 * DEFAULT_STREAM_CHUNKS: 1 TiB of 1 MiB chunks.
 */
export const MAX_STREAM_CHUNKS = 2 ** 22;
export const DEFAULT_STREAM_CHUNKS = 2 ** 20;

export interface Segment {
  index: number;
  /** Hashes of the raw chunks it covers, and which are all zeros. */
  chunkHashes: Buffer[];
  zero: boolean[];
  last: boolean;
  /** The previous segment's BLAKE3 (zeros for segment 0). */
  previous: Buffer;
  /** The last segment: the image size, and its digest (BLAKE3 of every chunk hash in order). */
  imageSize: number;
  imageDigest: Buffer;
}

/** Segments a stream of at most `bound` chunks may have: one more than full ones, for an empty last segment. */
export function segmentSlots(bound: number, segmentChunks: number): number {
  return Math.floor(bound / segmentChunks) + 1;
}

export function segmentBytes(chunks: number): number {
  return SEGMENT_HEADER_SIZE + chunks * HASH_SIZE + Math.ceil(chunks / 8);
}

export function encodeSegment(s: Segment): Buffer {
  const m = s.chunkHashes.length;
  const b = Buffer.alloc(segmentBytes(m));
  b.write(SEGMENT_MAGIC, 0, 'latin1');
  b.writeUInt32LE(s.index, 8);
  b.writeUInt16LE(m, 12);
  b.writeUInt8(s.last ? SEGMENT_LAST : 0, 14);
  b.writeUInt8(HASH_ALGORITHM_BLAKE3, 15);
  b.writeBigUInt64LE(BigInt(s.last ? s.imageSize : 0), 24);
  s.previous.copy(b, 32);
  if (s.last) s.imageDigest.copy(b, 64);
  s.chunkHashes.forEach((h, i) => h.copy(b, SEGMENT_HEADER_SIZE + i * HASH_SIZE));
  zeroBitmap(s.zero).copy(b, SEGMENT_HEADER_SIZE + m * HASH_SIZE);
  return b;
}

/**
 * Parses a segment and checks it against the session's geometry: its index,
 * its chunk count (K, fewer only in the last), its zero flags against the
 * hashes of zeros, and in the last the size against the chunks it closes.
 * Throws with the reason. Whether it is the sender's is the chain's call.
 */
export function decodeSegment(b: Buffer, g: { index: number; segmentChunks: number; chunkSize: number }): Segment {
  if (b.length < SEGMENT_HEADER_SIZE || b.toString('latin1', 0, 8) !== SEGMENT_MAGIC) throw new Error('segment: bad magic');
  const index = b.readUInt32LE(8);
  const m = b.readUInt16LE(12);
  const flags = b.readUInt8(14);
  if (index !== g.index) throw new Error(`segment: index ${index} in the place of ${g.index}`);
  if (b.readUInt8(15) !== HASH_ALGORITHM_BLAKE3 || b.readUInt32LE(16) !== 0 || b.readUInt32LE(20) !== 0 || (flags & ~SEGMENT_LAST) !== 0) throw new Error('segment: bad header');
  const last = (flags & SEGMENT_LAST) !== 0;
  // Only the last may be short, or even empty (an image ending on a segment boundary).
  if ((m === 0 && !last) || m > g.segmentChunks || (!last && m !== g.segmentChunks)) throw new Error(`segment: ${m} chunks, expected ${g.segmentChunks}`);
  if (b.length !== segmentBytes(m)) throw new Error('segment: wrong length');
  const first = index * g.segmentChunks;
  const imageSize = Number(b.readBigUInt64LE(24));
  const sizeFits = m === 0 ? imageSize === first * g.chunkSize && first > 0 : imageSize > (first + m - 1) * g.chunkSize && imageSize <= (first + m) * g.chunkSize;
  if (last ? !sizeFits : imageSize !== 0) throw new Error('segment: image size does not match its chunks');
  const chunkHashes: Buffer[] = [];
  const zero: boolean[] = [];
  for (let i = 0; i < m; i++) {
    const h = Buffer.from(b.subarray(SEGMENT_HEADER_SIZE + i * HASH_SIZE, SEGMENT_HEADER_SIZE + (i + 1) * HASH_SIZE));
    const z = ((b[SEGMENT_HEADER_SIZE + m * HASH_SIZE + (i >> 3)]! >> (i & 7)) & 1) === 1;
    const length = last && i === m - 1 ? imageSize - (first + i) * g.chunkSize : g.chunkSize;
    if (z && !h.equals(zeroHash(length))) throw new Error(`segment: chunk ${first + i} is marked zero but its hash is not that of zeros`);
    chunkHashes.push(h);
    zero.push(z);
  }
  if (m % 8 !== 0 && b[b.length - 1]! >> (m % 8) !== 0) throw new Error('segment: zero bits beyond its chunks');
  const digest = Buffer.from(b.subarray(64, 96));
  if (!last && !digest.equals(Buffer.alloc(HASH_SIZE))) throw new Error('segment: digest in a segment that is not the last');
  return { index, chunkHashes, zero, last, previous: Buffer.from(b.subarray(32, 64)), imageSize, imageDigest: digest };
}

/**
 * Which received segments are the sender's. A segment is taken when its
 * hash is the head an accepted ANNOUNCE named for it (the ANNOUNCE that
 * said `segments = s + 1`), or when the next segment, itself taken, names it
 * as its previous. Everything here is bounded by the segments announced.
 */
export class SegmentChain {
  /** Heads announced: segment index -> its hash. */
  private readonly heads = new Map<number, Buffer>();
  /** Received, not yet taken: index -> bytes. */
  private readonly pending = new Map<number, Buffer>();
  /** Taken: index -> the hash of its predecessor it names (for the back link). */
  private readonly previousOf = new Map<number, Buffer>();

  /**
   * `take`: a vouched-for segment, to decode and use; returns the previous
   * hash it names, or undefined if it is malformed. `reject`: the segment
   * received at `index` is not the one vouched for (forged, or corrupt):
   * fetch it again.
   */
  constructor(
    private readonly take: (index: number, bytes: Buffer) => Buffer | undefined,
    private readonly reject: (index: number) => void,
  ) {}

  /** An accepted ANNOUNCE: `segments` published, the newest hashing to `head`. */
  announced(segments: number, head: Buffer): void {
    if (segments === 0) return;
    const s = segments - 1;
    if (this.previousOf.has(s) || this.heads.has(s)) return;
    this.heads.set(s, Buffer.from(head));
    this.settle(s);
  }

  /** A segment's bytes arrived (stream 1 chunk `index`). */
  received(index: number, bytes: Buffer): void {
    if (this.previousOf.has(index)) return;
    this.pending.set(index, bytes);
    this.settle(index);
  }

  /** True once segment `index` has been taken. */
  has(index: number): boolean {
    return this.previousOf.has(index);
  }

  /** Takes segment `index` if it is vouched for, then walks back along the chain. */
  private settle(index: number): void {
    for (let s = index; s >= 0; s--) {
      const bytes = this.pending.get(s);
      if (!bytes || this.previousOf.has(s)) return;
      const vouchers = [this.heads.get(s), this.previousOf.get(s + 1)].filter((v) => v !== undefined);
      if (vouchers.length === 0) return; // wait for the ANNOUNCE or the next segment
      this.pending.delete(s);
      const h = hash(bytes);
      if (!vouchers.some((v) => v.equals(h))) {
        this.reject(s);
        return;
      }
      const previous = this.take(s, bytes);
      if (!previous) return; // vouched for yet malformed: the sender's own fault, reported by take
      this.previousOf.set(s, previous);
      this.heads.delete(s);
    }
  }
}
