// The image side of the receiver: completed chunks verified and written at
// their offsets through the worker pool, zero chunks made zero, corrupt
// chunks fetched again, and the whole-image digest checked at the end.
import { sleep, type Clock } from '../core/clock.js';
import { BlockcastError, errnoName } from '../errors.js';
import { chunkLength } from '../image/geometry.js';
import { checkHeldChunks } from '../image/holdings.js';
import type { ChunkPool } from '../image/pool.js';
import type { Target } from '../image/target.js';
import type { NativeReceiver } from '../native/binding.js';
import { Stream } from '../protocol/constants.js';
import { imageDigestOf, isZeroChunk, type Manifest } from '../protocol/manifest.js';
import { zeroHash } from '../protocol/hash.js';
import { ChunkFailures } from './chunk-failures.js';
import type { Journal } from './journal.js';
import type { ChunkSlots } from './slots.js';
import type { AssemblyCounters } from './stats.js';

const MAX_PENDING_WRITES = 8;
export { MAX_CHUNK_FAILURES, MAX_SAME_BYTES_FAILURES } from './chunk-failures.js';
/** Zero ranges are cleared at most this many bytes per call, so progress stays visible. */
const ZERO_RANGE_MAX = 256 * 1024 * 1024;

export interface WriterHooks {
  /** True once the session has an outcome: nothing more is written. */
  ended(): boolean;
  fail(err: Error): void;
  warning(message: string): void;
  progress(written: number, chunkCount: number): void;
  /** More chunks are on the target. */
  wrote(): void;
  /** Every chunk is on the target: the digest check starts. */
  verifying(): void;
  /** The image is verified and synced. */
  complete(digest: Buffer): void;
  /** A resumed receiver has checked what the target already holds. */
  resumed?(): void;
}

/** What a restarted receiver takes from the target before asking for anything (see resume.ts). */
export interface ResumeFrom {
  /** Chunks to check: a trusted journal's, or every chunk (--rehash). */
  candidates: number[] | 'all';
  /** Mark the candidates complete before checking them (a journal's are almost surely there), so none is asked for meanwhile. */
  holdFirst: boolean;
  /** The candidates are already in the journal being appended to. */
  journaled: boolean;
}

export interface WriterDeps {
  rx: Pick<NativeReceiver, 'reopen' | 'hold'>;
  pool: Pick<ChunkPool, 'unpackAndWrite' | 'zero' | 'pack' | 'threads'>;
  target: Target;
  /** The target already reads as zeros (--target-zeroed). */
  targetZeroed: boolean;
  /** Every DATA byte is authenticated (a sealed session): any MAX_CHUNK_FAILURES failures of one chunk are fatal. */
  sealed?: boolean;
  slots: ChunkSlots;
  counters: AssemblyCounters;
  hooks: WriterHooks;
  /** Verified chunks are recorded here once durable, so a restart resumes. */
  journal?: Journal;
  resume?: ResumeFrom;
}

export class ImageWriter {
  private manifest?: Manifest;
  /** Each written chunk's hash, as the worker computed it on the written data. */
  private readonly digests: (Buffer | undefined)[];
  private written = 0;
  /** Completed image chunks waiting for a verified write (and, before the manifest, for it). */
  private readonly backlog: { chunk: number; slot: number; length: number; coding: number }[] = [];
  private readonly failures: ChunkFailures;
  private writing = 0;
  /** The final digest check and fsync have started. */
  private finishing = false;

  constructor(
    private readonly deps: WriterDeps,
    chunkCount: number,
  ) {
    this.digests = new Array(chunkCount);
    this.failures = new ChunkFailures(!!deps.sealed);
  }

  get chunksDone(): number {
    return this.written;
  }

  /** Completed image chunks waiting (for a worker, or for the manifest). */
  get backlogged(): number {
    return this.backlog.length;
  }

  /** The manifest is known: zero chunks are done, backlogged chunks can be verified and written. */
  start(m: Manifest): void {
    this.manifest = m;
    if (this.deps.resume) void this.resume(m, this.deps.resume).catch((err: unknown) => this.deps.hooks.fail(err as Error));
    void this.zeroChunks().catch((err: unknown) => this.deps.hooks.fail(err as Error));
    this.drain();
  }

  /** A completed image chunk in slot `slot`. */
  add(chunk: number, slot: number, length: number, coding: number): void {
    if (this.deps.hooks.ended()) return;
    this.backlog.push({ chunk, slot, length, coding });
    this.deps.counters.maxBacklog = Math.max(this.deps.counters.maxBacklog, this.backlog.length);
    this.drain();
  }

  /** Waits for writes in flight, up to `ms`: their fd must stay open until they finish. */
  async settle(clock: Clock, ms: number): Promise<void> {
    const deadline = clock.now() + ms;
    while (this.writing > 0 && clock.now() < deadline) await sleep(5);
  }

  /**
   * The image's zero chunks are never sent. On a target known to read as
   * zeros they are done at once; otherwise each run of them is zeroed in a
   * worker (ZERO_RANGE or PUNCH_HOLE for files, BLKZEROOUT for devices), so
   * no stale data survives where the image has zeros.
   */
  private async zeroChunks(): Promise<void> {
    const { target, hooks, counters } = this.deps;
    const m = this.manifest!;
    const count = m.chunkHashes.length;
    const known = target.info.created || this.deps.targetZeroed;
    for (let c = 0; c < count && !hooks.ended(); ) {
      if (!isZeroChunk(m, c)) {
        c++;
        continue;
      }
      let end = c + 1;
      while (end < count && isZeroChunk(m, end) && (end + 1 - c) * m.chunkSize <= ZERO_RANGE_MAX) end++;
      const offset = c * m.chunkSize;
      const length = Math.min(end * m.chunkSize, m.imageSize) - offset;
      if (!known) {
        const r = await this.deps.pool.zero(target.fd, offset, length, target.info.kind === 'block');
        if (r.errno !== 0) {
          throw new BlockcastError('ETARGETIO', `Zeroing ${this.deps.target.path} at offset ${offset} (${length} bytes) failed: ${errnoName(r.errno)}`);
        }
      }
      for (; c < end; c++) {
        this.digests[c] = zeroHash(chunkLength(m.imageSize, m.chunkSize, c));
        this.written++;
        known ? counters.skippedZeroChunks++ : counters.zeroedChunks++;
      }
      hooks.wrote();
      hooks.progress(this.written, count);
      this.checkComplete();
    }
  }

  /**
   * A restarted receiver: the candidate chunks the target already holds
   * (hashed against the manifest) are kept as if just written; the others
   * are received. Journal candidates are held natively first, so the
   * receiver never asks for them unless the check fails.
   */
  private async resume(m: Manifest, from: ResumeFrom): Promise<void> {
    const { rx, target, pool, counters, hooks, journal } = this.deps;
    const count = m.chunkHashes.length;
    const candidates = from.candidates === 'all' ? Array.from({ length: count }, (_, c) => c) : from.candidates.filter((c) => c < count && !isZeroChunk(m, c));
    if (from.holdFirst) for (const c of candidates) rx.hold(Stream.Image, c);
    try {
      counters.rehashedChunks += await checkHeldChunks(m, target.fd, pool, candidates, (r) => {
        if (!r.held) {
          if (from.holdFirst && !this.digests[r.chunk]) rx.reopen(Stream.Image, r.chunk);
          return;
        }
        if (this.digests[r.chunk]) return; // received meanwhile
        if (!from.holdFirst) rx.hold(Stream.Image, r.chunk);
        this.digests[r.chunk] = r.digest;
        this.written++;
        counters.keptChunks++;
        if (!from.journaled) journal?.add(r.chunk);
      }, hooks.ended);
    } catch (err) {
      throw new BlockcastError('ETARGETIO', `Reading ${target.path} back to resume failed: ${(err as Error).message}`, { cause: err });
    }
    hooks.resumed?.();
    hooks.progress(this.written, count);
    this.checkComplete();
  }

  /** Starts verified writes for backlogged chunks, a bounded number at a time. */
  private drain(): void {
    const m = this.manifest;
    if (!m) return;
    const { slots, hooks } = this.deps;
    while (this.writing < MAX_PENDING_WRITES && this.backlog.length > 0 && !hooks.ended()) {
      const { chunk, slot, length, coding } = this.backlog.shift()!;
      if (isZeroChunk(m, chunk) || this.digests[chunk]) {
        slots.lend(slot); // arrived before the manifest said it is never sent, or already written
        continue;
      }
      this.writing++;
      const offset = chunk * m.chunkSize;
      const rawLength = chunkLength(m.imageSize, m.chunkSize, chunk);
      this.deps.pool
        .unpackAndWrite({ fd: this.deps.target.fd, offset, buffer: slots.buffer(slot).buffer as ArrayBuffer, length, coding, rawLength, expected: m.chunkHashes[chunk]! })
        .then((r) => {
          this.writing--;
          slots.returned(slot, r.buffer);
          if (r.ok) this.wroteChunk(chunk, length, Buffer.from(r.digest));
          else if (r.reason === 'mismatch' || r.reason === 'undecodable') this.failures.failed(chunk, r.message, Buffer.from(r.wireDigest).toString('hex'), this.deps);
          else if (r.reason === 'unsupported') hooks.fail(new BlockcastError('ENATIVE', `Chunk ${chunk} cannot be decoded: ${r.message}`));
          else {
            const hint = 'code' in r && r.code === 'ENOSPC' ? ' (disk full)' : '';
            hooks.fail(new BlockcastError('ETARGETIO', `Writing ${this.deps.target.path} at offset ${offset} failed${hint}: ${r.message}`));
          }
          this.checkComplete();
          this.drain();
        })
        .catch((err: unknown) => hooks.fail(err as Error));
    }
  }

  private wroteChunk(chunk: number, length: number, digest: Buffer): void {
    if (this.digests[chunk]) return;
    this.failures.clear(chunk);
    this.digests[chunk] = digest;
    this.written++;
    this.deps.journal?.add(chunk);
    this.deps.counters.wireBytes += length;
    this.deps.hooks.wrote();
    if (this.written % 16 === 0) this.deps.hooks.progress(this.written, this.manifest!.chunkHashes.length);
  }


  private checkComplete(): void {
    const m = this.manifest;
    if (!m || this.finishing || this.deps.hooks.ended() || this.written < m.chunkHashes.length) return;
    this.finishing = true;
    this.deps.hooks.verifying();
    // The digest is rebuilt from what was hashed on the written (or kept) data.
    const digest = imageDigestOf(this.digests as Buffer[]);
    if (!digest.equals(m.imageDigest)) {
      this.deps.hooks.fail(new BlockcastError('EDIGEST', 'The written image does not match the manifest digest'));
      return;
    }
    void this.finish(digest).catch((err: unknown) => this.deps.hooks.fail(err as Error));
  }

  /** The final fsync runs on libuv's threads: heartbeats go on while a large target flushes. */
  private async finish(digest: Buffer): Promise<void> {
    const { target, hooks, journal } = this.deps;
    try {
      await target.sync();
    } catch (err) {
      throw new BlockcastError('ETARGETIO', `fsync of ${target.path} failed: ${(err as Error).message}`);
    }
    // Unlinked (or replaced) while open: the writes went to an inode no path names.
    const moved = target.movedAway();
    if (moved) throw new BlockcastError('ETARGETIO', `The target ${target.path} ${moved} during the transfer: the verified image went to a deleted file, and ${target.path} does not hold it`);
    await journal?.remove();
    hooks.complete(digest);
  }
}
