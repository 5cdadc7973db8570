// Prepared images: `blockcast prepare` reads, hashes and compresses an image
// once, so that every later send of it costs no compression CPU and no
// hashing pass. The file holds the chunks' wire bytes, a table locating
// them (with a hash of each, so a corrupt file is caught before it is sent)
// and the manifest, the very one a raw send of the image would produce.
//
// Layout (little-endian):
//   header   64 bytes: magic "BCPREP01", u32 header size, u32 flags (bit 0:
//            compressed), u64 table offset, u64 manifest offset,
//            u64 manifest length, u32 chunk count, u32 chunk size, u64 image size
//   table    48 bytes per chunk: u64 offset, u32 wire length (0: zero chunk),
//            u8 coding (the chunk's own: raw where its codec did not
//            shrink it), 3 reserved, 32 BLAKE3 of the wire bytes
//   data     the chunks' wire bytes
//   manifest
import { closeSync, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { BlockcastError } from '../errors.js';
import { Coding, HASH_SIZE, MAX_CHUNK_SIZE } from '../protocol/constants.js';
import { decodeManifest, encodeManifest, imageDigestOf, isZeroChunk, zeroBitmap, type Manifest } from '../protocol/manifest.js';
import { zeroHash } from '../protocol/hash.js';
import type { ChunkCodec } from './codec.js';
import { blockDeviceSize, pathKind } from './device.js';
import { chunkCount, chunkLength } from './geometry.js';
import type { ChunkPool } from './pool.js';
import { PREPARED_MAGIC, WireCache, nonZeroSuccessors, type ImageSource, type WireChunk } from './source.js';

const HEADER_SIZE = 64;
const ENTRY_SIZE = 48;
const FLAG_COMPRESSED = 1;
const KNOWN_CODINGS: ReadonlySet<number> = new Set(Object.values(Coding));

interface Entry {
  offset: number;
  length: number;
  coding: number;
  digest: Buffer;
}

export class PreparedImage implements ImageSource {
  readonly kind = 'prepared';
  private readonly cache: WireCache;
  private readonly following: Int32Array;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly manifest: Manifest,
    readonly encodedManifest: Buffer,
    readonly compressed: boolean,
    private readonly entries: Entry[],
    pool: ChunkPool,
  ) {
    this.following = nonZeroSuccessors(this.chunkCount, (c) => this.isZero(c));
    this.cache = new WireCache(
      async (c) => {
        const e = this.entries[c]!;
        const r = await pool.readVerified(fd, e.offset, e.length, e.digest);
        if (!r.ok) {
          throw new BlockcastError(
            'EIMAGE',
            `Prepared image ${path} is corrupt: chunk ${c} (${e.length} bytes at offset ${e.offset}) does not match its stored hash`,
          );
        }
        return { data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength), coding: e.coding as WireChunk['coding'] };
      },
      (c) => (this.following[c]! < 0 ? undefined : this.following[c]),
      2 * pool.threads,
      manifest.chunkSize,
    );
  }

  /** Reads and checks the header, table and manifest; chunk data is checked as it is read. */
  static open(path: string, fd: number, fileSize: number, pool: ChunkPool): PreparedImage {
    const bad = (why: string): BlockcastError => new BlockcastError('EIMAGE', `Prepared image ${path} is corrupt: ${why}`);
    const head = readExactly(fd, 0, HEADER_SIZE, fileSize);
    if (!head) throw bad('shorter than its header');
    const flags = head.readUInt32LE(12);
    const tableOffset = Number(head.readBigUInt64LE(16));
    const manifestOffset = Number(head.readBigUInt64LE(24));
    const manifestLength = Number(head.readBigUInt64LE(32));
    const count = head.readUInt32LE(40);
    const chunkSize = head.readUInt32LE(44);
    const imageSize = Number(head.readBigUInt64LE(48));
    if (head.readUInt32LE(8) !== HEADER_SIZE) throw bad('unknown header size');
    if (chunkSize < 4096 || chunkSize > MAX_CHUNK_SIZE || count !== chunkCount(imageSize, chunkSize)) throw bad('inconsistent geometry');
    const table = readExactly(fd, tableOffset, count * ENTRY_SIZE, fileSize);
    const manifestBytes = readExactly(fd, manifestOffset, manifestLength, fileSize);
    if (!table || !manifestBytes) throw bad('truncated');
    let manifest: Manifest;
    try {
      manifest = decodeManifest(manifestBytes);
    } catch (err) {
      throw bad((err as Error).message);
    }
    if (manifest.imageSize !== imageSize || manifest.chunkSize !== chunkSize) throw bad('manifest geometry differs from the header');
    const entries: Entry[] = [];
    for (let c = 0; c < count; c++) {
      const o = c * ENTRY_SIZE;
      const e = { offset: Number(table.readBigUInt64LE(o)), length: table.readUInt32LE(o + 8), coding: table.readUInt8(o + 12), digest: Buffer.from(table.subarray(o + 16, o + 16 + HASH_SIZE)) };
      const zero = isZeroChunk(manifest, c);
      if (zero !== (e.length === 0)) throw bad(`chunk ${c}: table and manifest disagree on whether it is zero`);
      if (!zero && (e.length > chunkLength(imageSize, chunkSize, c) || e.offset + e.length > fileSize || !KNOWN_CODINGS.has(e.coding))) {
        throw bad(`chunk ${c}: table entry out of range${KNOWN_CODINGS.has(e.coding) ? '' : ` (unknown coding ${e.coding})`}`);
      }
      entries.push(e);
    }
    return new PreparedImage(path, fd, manifest, manifestBytes, (flags & FLAG_COMPRESSED) !== 0, entries, pool);
  }

  get size(): number {
    return this.manifest.imageSize;
  }

  get chunkSize(): number {
    return this.manifest.chunkSize;
  }

  get chunkCount(): number {
    return this.manifest.chunkHashes.length;
  }

  isZero(chunk: number): boolean {
    return isZeroChunk(this.manifest, chunk);
  }

  wireLength(chunk: number): number {
    return this.entries[chunk]!.length;
  }

  wire(chunk: number, readAhead = true): Promise<WireChunk> {
    return this.cache.get(chunk, readAhead);
  }

  /** Stored chunks and their bytes by coding value (zero chunks are not stored). */
  codings(): Map<number, { chunks: number; bytes: number }> {
    const out = new Map<number, { chunks: number; bytes: number }>();
    for (const e of this.entries) {
      if (e.length === 0) continue;
      const c = out.get(e.coding) ?? { chunks: 0, bytes: 0 };
      c.chunks++;
      c.bytes += e.length;
      out.set(e.coding, c);
    }
    return out;
  }

  /** The prepared file's size in bytes. */
  fileSize(): number {
    return fstatSync(this.fd).size;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function readExactly(fd: number, offset: number, length: number, fileSize: number): Buffer | undefined {
  if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > fileSize) return undefined;
  const b = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, b, done, length - done, offset + done);
    if (n === 0) return undefined;
    done += n;
  }
  return b;
}

export interface PrepareOptions {
  chunkSize: number;
  /** Each chunk is stored coded with it where that shrinks the chunk, else raw. */
  codec: ChunkCodec;
  pool: ChunkPool;
  onProgress?: (done: number, total: number) => void;
}

export interface PrepareSummary {
  imageSize: number;
  chunkCount: number;
  zeroChunks: number;
  /** Bytes of chunk data stored (what a send puts on the wire, before headers). */
  wireBytes: number;
  imageDigest: string;
  seconds: number;
}

/**
 * Writes a prepared image of `input` to `output`: read, zero-detect, hash and
 * compress every chunk in the workers (a bounded number at a time), written
 * in order. Written to a temporary name and renamed, so a failed run never
 * leaves a file that looks prepared.
 */
export async function prepareImage(input: string, output: string, opts: PrepareOptions): Promise<PrepareSummary> {
  const t0 = performance.now();
  const { kind, stats } = pathKind(input);
  if (kind === 'missing') throw new BlockcastError('EIMAGE', `Image ${input} does not exist`);
  if (kind === 'other' || !stats) throw new BlockcastError('EIMAGE', `Image ${input} is neither a regular file nor a block device`);
  const size = kind === 'block' ? blockDeviceSize(stats) : stats.size;
  if (size === 0) throw new BlockcastError('EIMAGE', `Image ${input} is empty`);
  const { chunkSize, pool } = opts;
  const count = chunkCount(size, chunkSize);
  const inFd = openSync(input, 'r');
  const tmp = `${output}.partial-${process.pid}`;
  const outFd = openSync(tmp, 'w');
  try {
    const table = Buffer.alloc(count * ENTRY_SIZE);
    const hashes: Buffer[] = new Array(count);
    const zero: boolean[] = new Array(count).fill(false);
    let offset = HEADER_SIZE + table.length;
    let wireBytes = 0;
    let zeroChunks = 0;
    // Chunks are packed concurrently but written in order, keeping at most
    // `window` results in memory.
    const window = 4 * pool.threads;
    const inFlight = new Map<number, ReturnType<ChunkPool['pack']>>();
    const start = (c: number): void => {
      if (c < count) {
        inFlight.set(c, pool.pack({ fd: inFd, offset: c * chunkSize, length: chunkLength(size, chunkSize, c), scan: true, wire: true, codec: opts.codec, wireDigest: true }));
      }
    };
    for (let c = 0; c < Math.min(window, count); c++) start(c);
    for (let c = 0; c < count; c++) {
      const r = await inFlight.get(c)!;
      inFlight.delete(c);
      start(c + window);
      hashes[c] = r.zero ? zeroHash(chunkLength(size, chunkSize, c)) : Buffer.from(r.digest!);
      zero[c] = r.zero;
      const e = c * ENTRY_SIZE;
      if (r.zero) {
        zeroChunks++;
      } else {
        const data = r.data!;
        writeAll(outFd, Buffer.from(data.buffer, data.byteOffset, data.byteLength), offset);
        table.writeBigUInt64LE(BigInt(offset), e);
        table.writeUInt32LE(data.byteLength, e + 8);
        table.writeUInt8(r.coding, e + 12);
        Buffer.from(r.wireDigest!).copy(table, e + 16);
        offset += data.byteLength;
        wireBytes += data.byteLength;
      }
      if ((c + 1) % 64 === 0) opts.onProgress?.(c + 1, count);
    }
    const manifest = encodeManifest({ imageSize: size, chunkSize, chunkHashes: hashes, zero: zeroBitmap(zero), imageDigest: imageDigestOf(hashes) });
    writeAll(outFd, manifest, offset);
    const head = Buffer.alloc(HEADER_SIZE);
    head.write(PREPARED_MAGIC, 0, 'latin1');
    head.writeUInt32LE(HEADER_SIZE, 8);
    head.writeUInt32LE(opts.codec.name !== 'none' ? FLAG_COMPRESSED : 0, 12);
    head.writeBigUInt64LE(BigInt(HEADER_SIZE), 16);
    head.writeBigUInt64LE(BigInt(offset), 24);
    head.writeBigUInt64LE(BigInt(manifest.length), 32);
    head.writeUInt32LE(count, 40);
    head.writeUInt32LE(chunkSize, 44);
    head.writeBigUInt64LE(BigInt(size), 48);
    writeAll(outFd, table, HEADER_SIZE);
    writeAll(outFd, head, 0);
    if (fstatSync(outFd).size !== offset + manifest.length) throw new Error('prepared image has an unexpected size');
    closeSync(outFd);
    renameSync(tmp, output);
    return { imageSize: size, chunkCount: count, zeroChunks, wireBytes, imageDigest: imageDigestOf(hashes).toString('hex'), seconds: (performance.now() - t0) / 1000 };
  } catch (err) {
    try {
      closeSync(outFd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC') throw new BlockcastError('ETARGETIO', `Writing prepared image ${output} failed: disk full`, { cause: err });
    throw err;
  } finally {
    closeSync(inFd);
  }
}

function writeAll(fd: number, data: Buffer, position: number): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done);
}
