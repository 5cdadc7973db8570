// What the sender sends from: a raw image (a regular file or a block device)
// or a prepared one (see prepared.ts). Both give the same manifest for the
// same image, and each chunk's bytes as they go on the wire.
import { closeSync, openSync, readSync } from 'node:fs';
import { BlockcastError } from '../errors.js';
import { native } from '../native/binding.js';
import type { CodingValue } from '../protocol/constants.js';
import type { ChunkCodec } from './codec.js';
import { encodeManifest, imageDigestOf, isZeroChunk, zeroBitmap, type Manifest } from '../protocol/manifest.js';
import { zeroHash } from '../protocol/hash.js';
import { blockDeviceSize, pathKind } from './device.js';
import { chunkCount, chunkLength } from './geometry.js';
import type { ChunkPool } from './pool.js';

export interface WireChunk {
  data: Buffer;
  coding: CodingValue;
}

export interface ImageSource {
  readonly path: string;
  readonly kind: 'raw' | 'prepared';
  readonly manifest: Manifest;
  /** The manifest as it travels (stream 1). */
  readonly encodedManifest: Buffer;
  readonly size: number;
  readonly chunkSize: number;
  readonly chunkCount: number;
  /** Whether chunks are compressed where that shrinks them. */
  readonly compressed: boolean;
  isZero(chunk: number): boolean;
  /** Wire length of a chunk once it has been read (0 before, and for zero chunks). */
  wireLength(chunk: number): number;
  /**
   * A chunk's wire bytes. `readAhead` (the first pass) also starts loading the
   * chunks that follow; a repair passes false, since the chunks after an old
   * chunk were sent long ago and loading them again would only evict chunks
   * that other repairs still need.
   */
  wire(chunk: number, readAhead?: boolean): Promise<WireChunk>;
  close(): void;
}

export interface OpenImageOptions {
  chunkSize: number;
  /** How a raw image's chunks are coded as they are sent (a prepared image's were chosen by prepare). */
  codec: ChunkCodec;
  pool: ChunkPool;
  onProgress?: (done: number, total: number) => void;
}

export const PREPARED_MAGIC = 'BCPREP01';

/** Opens a raw or prepared image (told apart by the prepared magic). */
export async function openImage(path: string, opts: OpenImageOptions): Promise<ImageSource> {
  const { kind, stats } = pathKind(path);
  if (kind === 'missing') throw new BlockcastError('EIMAGE', `Image ${path} does not exist`);
  if (kind === 'other' || !stats) throw new BlockcastError('EIMAGE', `Image ${path} is neither a regular file nor a block device`);
  const size = kind === 'block' ? blockDeviceSize(stats) : stats.size;
  if (size === 0) throw new BlockcastError('EIMAGE', `Image ${path} is empty`);
  const fd = openSync(path, 'r');
  try {
    const magic = Buffer.alloc(8);
    readSync(fd, magic, 0, 8, 0);
    if (magic.toString('latin1') === PREPARED_MAGIC) {
      const { PreparedImage } = await import('./prepared.js');
      return PreparedImage.open(path, fd, size, opts.pool);
    }
    return await RawImage.open(path, fd, size, kind === 'block', opts);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * Recently sent wire chunks, so that repairs (which arrive a NACK holdoff,
 * ~60–300 ms, after a chunk went out) skip the disk, the prepared image's
 * hash check and, for raw images, a second compression; and loads started
 * ahead of the first pass, so reading and compression run in the workers
 * while earlier chunks are on the wire. Bounded in bytes, not chunks:
 * compressed chunks are small, so the same memory covers more of the recent
 * past. The default budget holds ~0.75 s of incompressible data at 1 Gbit/s
 * (measured: with 32 MiB, uncapped at 5% loss, repairs of a random image
 * missed the cache and the sender's workers read and hashed 2.5× the image).
 */
export const WIRE_CACHE_BYTES = 96 * 1024 * 1024;
export class WireCache {
  private readonly entries = new Map<number, { promise: Promise<WireChunk>; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly load: (chunk: number) => Promise<WireChunk>,
    private readonly next: (chunk: number) => number | undefined,
    private readonly readAhead: number,
    /** Loads in flight count as this many bytes until they resolve. */
    private readonly chunkSize: number,
    private readonly budget = WIRE_CACHE_BYTES,
  ) {}

  /** The chunk, from memory if it is there; `readAhead`: also start loading the chunks after it. */
  get(chunk: number, readAhead = true): Promise<WireChunk> {
    const hit = this.fetch(chunk);
    let c: number | undefined = chunk;
    if (readAhead) for (let i = 0; i < this.readAhead && (c = this.next(c)) !== undefined; i++) void this.fetch(c).catch(() => {});
    return hit;
  }

  private fetch(chunk: number): Promise<WireChunk> {
    const cached = this.entries.get(chunk);
    if (cached) {
      this.entries.delete(chunk); // re-insert: Map order is the LRU order
      this.entries.set(chunk, cached);
      return cached.promise;
    }
    const entry = { promise: this.load(chunk), bytes: this.chunkSize };
    this.entries.set(chunk, entry);
    this.bytes += entry.bytes;
    entry.promise.then(
      (w) => {
        if (this.entries.get(chunk) !== entry) return;
        this.bytes += w.data.length - entry.bytes;
        entry.bytes = w.data.length;
      },
      () => {
        if (this.entries.get(chunk) !== entry) return;
        this.entries.delete(chunk);
        this.bytes -= entry.bytes;
      },
    );
    while (this.bytes > this.budget && this.entries.size > 1) {
      const [oldest, e] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.bytes -= e.bytes;
    }
    return entry.promise;
  }
}

/**
 * A raw image. Opening it reads it once: holes (SEEK_DATA) and all-zero
 * chunks become zero entries, every other chunk is hashed in the workers.
 * Sending reads and compresses each chunk again, ahead of the wire.
 */
export class RawImage implements ImageSource {
  readonly kind = 'raw';
  readonly chunkCount: number;
  private readonly cache: WireCache;
  private readonly lengths: Uint32Array;
  private readonly following: Int32Array; // next non-zero chunk after each chunk, -1 if none

  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly size: number,
    readonly chunkSize: number,
    private readonly codec: ChunkCodec,
    readonly manifest: Manifest,
    readonly encodedManifest: Buffer,
    pool: ChunkPool,
  ) {
    this.chunkCount = chunkCount(size, chunkSize);
    this.lengths = new Uint32Array(this.chunkCount);
    this.following = nonZeroSuccessors(this.chunkCount, (c) => this.isZero(c));
    this.cache = new WireCache(
      async (c) => {
        const r = await pool.pack({ fd, offset: c * chunkSize, length: this.rawLength(c), scan: false, wire: true, codec, wireDigest: false });
        const data = Buffer.from(r.data!.buffer, r.data!.byteOffset, r.data!.byteLength);
        this.lengths[c] = data.length;
        return { data, coding: r.coding };
      },
      (c) => this.nextNonZero(c),
      2 * pool.threads,
      chunkSize,
    );
  }

  static async open(path: string, fd: number, size: number, block: boolean, opts: OpenImageOptions): Promise<RawImage> {
    const { chunkSize, pool } = opts;
    const count = chunkCount(size, chunkSize);
    const hashes: Buffer[] = new Array(count);
    const zero: boolean[] = new Array(count).fill(false);
    let next = 0;
    let done = 0;
    let dataFrom = 0; // first data offset at or after the current chunk (SEEK_DATA)
    const worker = async (): Promise<void> => {
      while (next < count) {
        const c = next++;
        const offset = c * chunkSize;
        const length = chunkLength(size, chunkSize, c);
        if (!block && dataFrom <= offset) dataFrom = nextData(fd, offset, size);
        if (!block && dataFrom >= offset + length) {
          zero[c] = true; // a hole: nothing to read
          hashes[c] = zeroHash(length);
        } else {
          const r = await pool.pack({ fd, offset, length, scan: true, wire: false, codec: { name: 'none', level: 0 }, wireDigest: false });
          zero[c] = r.zero;
          hashes[c] = Buffer.from(r.digest!);
        }
        if (++done % 64 === 0) opts.onProgress?.(done, count);
      }
    };
    await Promise.all(Array.from({ length: 2 * pool.threads }, worker));
    const manifest: Manifest = { imageSize: size, chunkSize, chunkHashes: hashes, zero: zeroBitmap(zero), imageDigest: imageDigestOf(hashes) };
    return new RawImage(path, fd, size, chunkSize, opts.codec, manifest, encodeManifest(manifest), pool);
  }

  get compressed(): boolean {
    return this.codec.name !== 'none';
  }

  rawLength(chunk: number): number {
    return chunkLength(this.size, this.chunkSize, chunk);
  }

  isZero(chunk: number): boolean {
    return isZeroChunk(this.manifest, chunk);
  }

  wireLength(chunk: number): number {
    return this.lengths[chunk]!;
  }

  private nextNonZero(chunk: number): number | undefined {
    const n = this.following[chunk]!;
    return n < 0 ? undefined : n;
  }

  wire(chunk: number, readAhead = true): Promise<WireChunk> {
    return this.cache.get(chunk, readAhead);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** For each chunk, the next chunk after it that is not all zeros (-1: none): read-ahead skips zeros in O(1). */
export function nonZeroSuccessors(count: number, isZero: (c: number) => boolean): Int32Array {
  const out = new Int32Array(count);
  let next = -1;
  for (let c = count - 1; c >= 0; c--) {
    out[c] = next;
    if (!isZero(c)) next = c;
  }
  return out;
}

/** The first data at or after `offset`, or `size` if only a hole follows. */
function nextData(fd: number, offset: number, size: number): number {
  const d = native.fs.seekData(fd, offset);
  return d < 0 ? size : d;
}
