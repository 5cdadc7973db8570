// What an in-order writer knows of the image's chunks: their hashes and
// zero flags, all at once from a file session's manifest, or a segment at a
// time in a stream session (whose size is known only at its last segment).
import { HASH_SIZE } from '../protocol/constants.js';
import { isZeroChunk, type Manifest } from '../protocol/manifest.js';
import type { Segment } from '../protocol/segments.js';

export interface ChunkCatalog {
  readonly chunkSize: number;
  /** Chunks 0..known-1 have known hashes (grows in a stream session). */
  readonly known: number;
  /** The image's chunk count, size and digest, once known. */
  readonly total: number | undefined;
  readonly imageSize: number | undefined;
  readonly imageDigest: Buffer | undefined;
  hash(chunk: number): Buffer;
  isZero(chunk: number): boolean;
  /** Chunks below `chunk` are output: their entries may be forgotten. */
  release(chunk: number): void;
}

/** Raw bytes of a chunk: chunkSize, but the last one's rest. */
export function rawLengthOf(c: Pick<ChunkCatalog, 'chunkSize' | 'total' | 'imageSize'>, chunk: number): number {
  return c.total !== undefined && chunk === c.total - 1 ? c.imageSize! - chunk * c.chunkSize : c.chunkSize;
}

/** A file session: the whole manifest, known before any chunk is output. */
export function manifestCatalog(m: Manifest): ChunkCatalog {
  const total = m.chunkHashes.length;
  return {
    chunkSize: m.chunkSize,
    known: total,
    total,
    imageSize: m.imageSize,
    imageDigest: m.imageDigest,
    hash: (c) => m.chunkHashes[c]!,
    isZero: (c) => isZeroChunk(m, c),
    release: () => {},
  };
}

/** A stream session: segments taken (from SegmentChain) in any order; chunks are known up to the first gap. */
export class SegmentCatalog implements ChunkCatalog {
  private readonly segments = new Map<number, Segment>();
  /** Segments 0..complete-1 are all taken (or released). */
  private complete = 0;
  total: number | undefined;
  imageSize: number | undefined;
  imageDigest: Buffer | undefined;

  constructor(
    readonly chunkSize: number,
    readonly segmentChunks: number,
  ) {}

  get known(): number {
    if (this.total !== undefined && this.complete * this.segmentChunks >= this.total) return this.total;
    return this.complete * this.segmentChunks;
  }

  /** A taken segment (its place is checked by decodeSegment). */
  add(s: Segment): void {
    if (s.index < this.complete || this.segments.has(s.index)) return;
    this.segments.set(s.index, s);
    if (s.last) {
      this.total = s.index * this.segmentChunks + s.chunkHashes.length;
      this.imageSize = s.imageSize;
      this.imageDigest = s.imageDigest;
    }
    while (this.segments.has(this.complete)) this.complete++;
  }

  private entry(chunk: number): { s: Segment; i: number } {
    const s = this.segments.get(Math.floor(chunk / this.segmentChunks));
    if (!s) throw new Error(`chunk ${chunk}: its segment is not known`);
    return { s, i: chunk % this.segmentChunks };
  }

  hash(chunk: number): Buffer {
    const { s, i } = this.entry(chunk);
    return s.chunkHashes[i] ?? Buffer.alloc(HASH_SIZE);
  }

  isZero(chunk: number): boolean {
    const { s, i } = this.entry(chunk);
    return s.zero[i] ?? false;
  }

  release(chunk: number): void {
    const below = Math.floor(chunk / this.segmentChunks);
    for (const index of this.segments.keys()) if (index < below) this.segments.delete(index);
  }
}
