// The worker pool for reading, compressing, hashing and writing chunks.
// Buffers travel to workers by transfer, never by copy.
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import type { PackResult, PackTask, ReadResult, UnpackVerifyResult, UnpackWriteResult, ZeroResult } from './chunk.worker.js';
import type { ChunkCodec } from './codec.js';
import { NativeWriter } from './native-writer.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// Workers need compiled JavaScript: under vitest this module runs from src/,
// so point at the build output, which `npm test` refreshes first.
const workerFile = here.includes(`${path.sep}src${path.sep}`)
  ? path.resolve(here, '..', '..', 'dist', 'image', 'chunk.worker.js')
  : path.join(here, 'chunk.worker.js');

// Loaded on first use: a receiver that writes natively never starts a worker,
// and piscina's modules cost ~0.08 CPU s of every start-up (issue 18).
const require = createRequire(import.meta.url);
const loadPiscina = (): typeof Piscina => (require('piscina') as typeof import('piscina')).Piscina;

/** Worker threads by default: one per core, at most 4 (more only adds memory). */
export const defaultWorkerThreads = (): number => Math.max(1, Math.min(4, os.availableParallelism()));

export class ChunkPool {
  private piscina?: Piscina;
  private readonly minThreads: number;
  readonly threads: number;
  /** Resolves once every pre-started worker thread is running (at once without `prewarm`); rejects with the error of one that failed to start. */
  readonly started: Promise<void>;

  /** Verified writes of the codings the addon decodes, on `threads` native threads (nativeWrites). */
  private readonly writer?: NativeWriter;

  /**
   * `prewarm`: start every worker now rather than on first use. `nativeWrites`
   * (receivers): verified writes go to native threads (NativeWriter), and
   * worker threads start only for what those cannot do (zeroing ranges, a
   * coding the addon does not decode).
   */
  constructor({ threads = defaultWorkerThreads(), prewarm = false, nativeWrites = false } = {}) {
    this.threads = threads;
    if (nativeWrites) {
      this.writer = new NativeWriter(threads);
      prewarm = false;
    }
    this.minThreads = prewarm ? threads : this.writer ? 0 : 1;
    // A native-writing receiver creates the pool only if a task needs a worker.
    if (!this.writer) void this.pool;
    // Listen now: the threads exist but report 'online' only on a later turn.
    this.started = prewarm ? Promise.all(this.pool.threads.map((w) => once(w, 'online'))).then(() => undefined) : Promise.resolve();
    this.started.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  }

  /** Reads a chunk of an image; see PackTask for what comes back. */
  pack(task: Omit<PackTask, 'kind'>): Promise<PackResult> {
    return this.pool.run({ kind: 'pack', ...task });
  }

  /** Scans, hashes and compresses `length` bytes at `offset` of `buffer`, read by the caller (stdin): shared memory is read in place, an ArrayBuffer is moved to the worker. */
  packBytes(buffer: ArrayBuffer | SharedArrayBuffer, offset: number, length: number, codec: ChunkCodec): Promise<PackResult> {
    const task = { kind: 'pack-bytes', buffer, offset, length, codec };
    return buffer instanceof SharedArrayBuffer ? this.pool.run(task) : this.pool.run(task, { transferList: [buffer] });
  }

  /** Reads `length` bytes and checks their hash (a prepared image's stored chunk). */
  readVerified(fd: number, offset: number, length: number, expected: Buffer): Promise<ReadResult> {
    return this.pool.run({ kind: 'read', fd, offset, length, expected });
  }

  /**
   * Decodes the first `length` bytes of `buffer`, verifies them against
   * `expected` and writes them at `offset`. On a worker the buffer's memory
   * is moved there and back (detached here until the result returns it); on
   * the native writer it stays put. Either way, use the result's buffer.
   */
  unpackAndWrite(
    task: { fd: number; offset: number; buffer: ArrayBuffer; length: number; coding: number; rawLength: number; expected: Buffer },
  ): Promise<UnpackWriteResult> {
    if (this.writer && NativeWriter.decodes(task.coding)) return this.writer.unpackAndWrite(task);
    return this.pool.run({ kind: 'unpack-write', ...task }, { transferList: [task.buffer] });
  }

  /**
   * Decodes and verifies like unpackAndWrite, but hands the raw bytes back
   * instead of writing them (see UnpackVerifyResult). With `into` and the
   * native writer, a coded chunk is decoded into `into` and the buffer stays
   * put; otherwise a worker takes the buffer and moves it back.
   */
  unpackAndVerify(task: { buffer: ArrayBuffer; length: number; coding: number; rawLength: number; expected: Buffer; into?: Buffer }): Promise<UnpackVerifyResult> {
    const { into, ...rest } = task;
    if (into && this.writer && NativeWriter.decodes(task.coding)) return this.writer.verifyInto({ ...rest, into });
    return this.pool.run({ kind: 'unpack-verify', ...rest }, { transferList: [task.buffer] });
  }

  /** Makes a range of the target read as zeros. */
  zero(fd: number, offset: number, length: number, block: boolean): Promise<ZeroResult> {
    return this.pool.run({ kind: 'zero', fd, offset, length, block });
  }

  get queueSize(): number {
    return this.piscina?.queueSize ?? 0;
  }

  async close(): Promise<void> {
    this.writer?.close();
    await this.piscina?.destroy();
  }

  private get pool(): Piscina {
    this.piscina ??= new (loadPiscina())({ filename: workerFile, minThreads: this.minThreads, maxThreads: this.threads, idleTimeout: 30_000 });
    return this.piscina;
  }
}
