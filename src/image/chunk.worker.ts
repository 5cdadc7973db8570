// Worker-thread tasks (piscina). Sender: read a chunk, detect zeros, hash,
// compress. Receiver: decompress, verify against the manifest and pwrite, or
// zero a range. The main thread only orchestrates; compression, hashing and
// disk I/O never block it.
import { readSync, writeSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Piscina } from 'piscina';
import { native } from '../native/binding.js';
import { Coding, type CodingValue } from '../protocol/constants.js';
import { hash, zeroHash } from '../protocol/hash.js';
import type { ChunkCodec } from './codec.js';
import { lz4Expand, lz4Shrink } from './lz4.js';
import { ZSTD_UNAVAILABLE, zstdExpand, zstdShrink } from './zstd.js';

export interface PackTask {
  kind: 'pack';
  fd: number;
  offset: number;
  length: number;
  /** Detect an all-zero chunk and hash the raw bytes. */
  scan: boolean;
  /** Return the wire bytes: coded with `codec` if that shrinks the chunk, else raw. */
  wire: boolean;
  codec: ChunkCodec;
  /** Also hash the wire bytes (prepared images store it to catch a corrupt file). */
  wireDigest: boolean;
}

export interface PackResult {
  zero: boolean;
  digest?: Uint8Array;
  data?: Uint8Array;
  coding: CodingValue;
  wireDigest?: Uint8Array;
}

/** A chunk read elsewhere (stdin): detect zeros, hash, compress; the bytes are shared (the reader's ring) or moved in, and the wire bytes come back in a buffer of their own. */
export interface PackBytesTask {
  kind: 'pack-bytes';
  buffer: ArrayBuffer | SharedArrayBuffer;
  offset: number;
  length: number;
  codec: ChunkCodec;
}

export interface ReadTask {
  kind: 'read';
  fd: number;
  offset: number;
  length: number;
  expected: Uint8Array;
}

export type ReadResult = { ok: true; data: Uint8Array } | { ok: false; digest: Uint8Array };

export interface UnpackWriteTask {
  kind: 'unpack-write';
  fd: number;
  offset: number;
  /** The receiver's chunk buffer, moved here and moved back in the result. */
  buffer: ArrayBuffer;
  /** Wire bytes at the start of `buffer`, and how they are coded. */
  length: number;
  coding: number;
  rawLength: number;
  expected: Uint8Array;
}

export type UnpackWriteResult = { buffer: ArrayBuffer } & (
  | { ok: true; digest: Uint8Array }
  /** `wireDigest`: the hash of the wire bytes that failed, so that a receiver can tell the same bytes failing again from varying junk. */
  | { ok: false; reason: 'mismatch' | 'undecodable'; message: string; wireDigest: Uint8Array }
  | { ok: false; reason: 'io'; code: string; message: string }
  /** A coding this build cannot decode (zstd without libzstd): fetching it again will not help. */
  | { ok: false; reason: 'unsupported'; message: string }
);

/** Decode and verify only (an in-order receiver writes the raw bytes itself). */
export interface UnpackVerifyTask extends Omit<UnpackWriteTask, 'kind' | 'fd' | 'offset'> {
  kind: 'unpack-verify';
}

/**
 * `raw`: the verified raw bytes. A raw chunk's are the first `rawLength`
 * bytes of `buffer` itself (undefined here); a decoded one's are a new
 * buffer, moved back with it.
 */
export type UnpackVerifyResult = { buffer: ArrayBuffer } & (
  /** `decodedInto`: the raw bytes are in the task's `into` buffer (the native path). */
  | { ok: true; digest: Uint8Array; raw?: ArrayBuffer; decodedInto?: boolean }
  | { ok: false; reason: 'mismatch' | 'undecodable'; message: string; wireDigest: Uint8Array }
);

export interface ZeroTask {
  kind: 'zero';
  fd: number;
  offset: number;
  length: number;
  block: boolean;
}

export type ZeroResult = { errno: number; method: string };

export type ChunkTask = PackTask | PackBytesTask | ReadTask | UnpackWriteTask | UnpackVerifyTask | ZeroTask;

const ZEROS = Buffer.alloc(64 * 1024 * 1024);

function readRange(fd: number, offset: number, length: number): Buffer {
  return readInto(Buffer.allocUnsafeSlow(length), fd, offset);
}

function readInto(buf: Buffer, fd: number, offset: number): Buffer {
  const length = buf.length;
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, offset + done);
    if (n === 0) throw new Error(`image shrank while reading at offset ${offset + done}`);
    done += n;
  }
  return buf;
}

// lz4-napi's output buffers live in native memory that V8 does not see, so a
// worker's garbage collector, whose JS heap hardly grows, would let hundreds
// of MB of dead ones pile up (measured: 400 MB over a 2 GiB image with 4
// workers). Collect every few chunks instead; on a heap this small that
// costs well under a millisecond.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
const COLLECT_EVERY = 8;
let sinceCollect = 0;

function collectGarbage(): void {
  if (++sinceCollect < COLLECT_EVERY) return;
  sinceCollect = 0;
  collect();
}

// Reused for every chunk this worker reads, except one that goes back raw
// (it is moved to the main thread, and a new one is made): fresh 1 MiB
// buffers per chunk would pile up faster than the worker collects them.
// `coded` takes LZ4 or zstd output (compressing) or raw output (decompressing).
let scratch: Buffer | undefined;
let coded: Buffer | undefined;

/** `buf` if it holds `length` bytes, else a new buffer that does (at least 1 MiB). */
function atLeast(buf: Buffer | undefined, length: number): Buffer {
  return buf && buf.length >= length ? buf : Buffer.allocUnsafeSlow(Math.max(length, 1024 * 1024));
}

function codedScratch(length: number): Buffer {
  return (coded = atLeast(coded, length));
}

/** `raw` coded with `codec` if that shrinks it (the coding set in `result`), else `raw`. */
async function shrink(raw: Buffer, codec: ChunkCodec, result: PackResult): Promise<Buffer> {
  const packed = codec.name === 'zstd' ? zstdShrink(raw, codedScratch(raw.length), codec.level) : codec.name === 'lz4' ? await lz4Shrink(raw, codedScratch(raw.length)) : undefined;
  if (!packed) return raw;
  result.coding = codec.name === 'zstd' ? Coding.Zstd : Coding.Lz4;
  return packed;
}

async function pack(t: PackTask): Promise<unknown> {
  scratch = atLeast(scratch, t.length);
  const raw = readInto(scratch.subarray(0, t.length), t.fd, t.offset);
  const result: PackResult = { zero: false, coding: Coding.Raw };
  if (t.scan) {
    result.zero = raw.equals(ZEROS.subarray(0, raw.length));
    result.digest = result.zero ? zeroHash(raw.length) : hash(raw);
    if (result.zero) return result;
  }
  if (!t.wire) return result;
  const data = await shrink(raw, t.codec, result);
  result.data = data;
  if (t.wireDigest) result.wireDigest = hash(data);
  collectGarbage();
  // lz4-napi's output lives in native memory (it is copied), and so does a
  // short last chunk, in part of the scratch buffer; the rest moves.
  if (data === raw ? raw.length !== raw.buffer.byteLength : result.coding === Coding.Lz4 && !native.lz4) return result;
  if (data === raw) scratch = undefined;
  return Piscina.move({ [Piscina.transferableSymbol]: data.buffer, [Piscina.valueSymbol]: result } as never);
}

async function packBytes(t: PackBytesTask): Promise<unknown> {
  const raw = Buffer.from(t.buffer, t.offset, t.length);
  const zero = raw.equals(ZEROS.subarray(0, raw.length));
  const result: PackResult = { zero, digest: zero ? zeroHash(raw.length) : hash(raw), coding: Coding.Raw };
  if (zero) return result;
  const data = await shrink(raw, t.codec, result);
  collectGarbage();
  // Moved back whole: the buffer is the data's own, else a copy that is.
  let own = data;
  if (data.buffer instanceof SharedArrayBuffer || data.byteOffset !== 0 || data.length !== data.buffer.byteLength) data.copy((own = Buffer.allocUnsafeSlow(data.length)));
  result.data = own;
  return Piscina.move({ [Piscina.transferableSymbol]: own.buffer, [Piscina.valueSymbol]: result } as never);
}

function readVerified(t: ReadTask): unknown {
  const data = readRange(t.fd, t.offset, t.length);
  const digest = hash(data);
  if (!digest.equals(Buffer.from(t.expected))) return { ok: false, digest } satisfies ReadResult;
  return Piscina.move({ [Piscina.transferableSymbol]: data.buffer, [Piscina.valueSymbol]: { ok: true, data } } as never);
}

/** The raw chunk from its wire bytes, or why it cannot be decoded. */
function unpack(t: Pick<UnpackWriteTask, 'buffer' | 'length' | 'coding' | 'rawLength'>, into = codedScratch(t.rawLength)): Buffer | string {
  const wire = Buffer.from(t.buffer, 0, t.length);
  if (t.coding === Coding.Raw) return t.length === t.rawLength ? wire : `raw chunk of ${t.length} bytes, expected ${t.rawLength}`;
  if (t.coding === Coding.Zstd) return zstdExpand(wire, t.rawLength, into);
  if (t.coding !== Coding.Lz4) return `unknown coding ${t.coding}`;
  return lz4Expand(wire, t.rawLength, into);
}

function unpackAndWrite(t: UnpackWriteTask): UnpackWriteResult {
  if (t.coding === Coding.Zstd && !native.zstd) return { ok: false, reason: 'unsupported', message: `chunk is zstd-coded, but ${ZSTD_UNAVAILABLE}`, buffer: t.buffer };
  const data = unpack(t);
  const wireDigest = (): Buffer => hash(Buffer.from(t.buffer, 0, t.length));
  if (typeof data === 'string') return { ok: false, reason: 'undecodable', message: data, wireDigest: wireDigest(), buffer: t.buffer };
  const digest = hash(data);
  if (!digest.equals(Buffer.from(t.expected))) {
    // A raw chunk's wire bytes are the bytes just hashed.
    return { ok: false, reason: 'mismatch', message: 'hash mismatch', wireDigest: t.coding === Coding.Raw ? digest : wireDigest(), buffer: t.buffer };
  }
  try {
    let done = 0;
    while (done < data.length) done += writeSync(t.fd, data, done, data.length - done, t.offset + done);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, reason: 'io', code: e.code ?? 'EIO', message: e.message, buffer: t.buffer };
  }
  return { ok: true, digest, buffer: t.buffer };
}

function unpackAndVerify(t: UnpackVerifyTask): unknown {
  // A decoded chunk goes to the main thread: decode it straight into memory it can own.
  const data = t.coding === Coding.Raw ? unpack(t) : unpack(t, Buffer.from(new ArrayBuffer(t.rawLength)));
  const wireDigest = (): Buffer => hash(Buffer.from(t.buffer, 0, t.length));
  if (typeof data === 'string') return moveBack({ ok: false, reason: 'undecodable', message: data, wireDigest: wireDigest(), buffer: t.buffer });
  const digest = hash(data);
  if (!digest.equals(Buffer.from(t.expected))) {
    return moveBack({ ok: false, reason: 'mismatch', message: 'hash mismatch', wireDigest: t.coding === Coding.Raw ? digest : wireDigest(), buffer: t.buffer });
  }
  if (t.coding === Coding.Raw) return moveBack({ ok: true, digest, buffer: t.buffer });
  let raw = data.buffer as ArrayBuffer;
  if (data.byteOffset !== 0 || raw.byteLength !== data.length) {
    raw = new ArrayBuffer(data.length); // decoded elsewhere (lz4-napi): copy
    Buffer.from(raw).set(data);
  }
  const result: UnpackVerifyResult = { ok: true, digest, raw, buffer: t.buffer };
  return Piscina.move({ [Piscina.transferableSymbol]: [t.buffer, raw], [Piscina.valueSymbol]: result } as never);
}

/** Hands the chunk buffer back to the main thread by transfer, not copy. */
function moveBack(result: UnpackWriteResult | UnpackVerifyResult): unknown {
  return Piscina.move({ [Piscina.transferableSymbol]: result.buffer, [Piscina.valueSymbol]: result } as never);
}

export default function run(task: ChunkTask): unknown {
  // Piscina awaits a returned promise (pack), or takes the value as it is.
  switch (task.kind) {
    case 'pack':
      return pack(task);
    case 'pack-bytes':
      return packBytes(task);
    case 'read':
      return readVerified(task);
    case 'unpack-write':
      return moveBack(unpackAndWrite(task));
    case 'unpack-verify':
      return unpackAndVerify(task);
    case 'zero':
      return native.fs.zeroRange(task.fd, task.offset, task.length, task.block) satisfies ZeroResult;
  }
}
