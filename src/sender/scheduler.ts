// Which job goes to the native sender next: repairs first, then the chunks
// of the current pass, while the native queues hold too little.
import { Stream } from '../protocol/constants.js';
import type { ChunkRef } from './chunks.js';

// First-pass chunks queued in the native sender: at least NORMAL_DEPTH, and
// more while they hold under NORMAL_BYTES, so that well-compressed chunks
// still give the send thread ~0.3 s of work at 50 Mbit/s when this process's
// event loop is slow to refill it (measured: 2 s idle in a 91 s pass at N = 16).
const NORMAL_DEPTH = 3;
const NORMAL_BYTES = 2 * 1024 * 1024;
const NORMAL_MAX_DEPTH = 32;
const URGENT_DEPTH = 2; // repair jobs queued ahead of them

/** What the native sender has queued: repair (urgent) jobs, and pass (normal) jobs with their bytes. */
export interface QueueDepth {
  urgent: number;
  normal: number;
  normalBytes: number;
}

/**
 * A pass over the chunks, handed out one at a time (in the spirit of
 * piscina's pluggable taskQueue). The first pass is one; a catch-up pass, a
 * delta-only pass or a carousel would be others.
 */
export interface ChunkQueue {
  /** Chunks not handed out yet, counting those prune() has not dropped yet (0: the pass is over). */
  readonly size: number;
  /** Drops chunks at the head that need no sending. */
  prune(): void;
  /** The next chunk to send, or null when none is left. */
  shift(): ChunkRef | null;
  /** Adds a chunk to the end of the pass. */
  push(ref: ChunkRef): void;
}

/** What the first pass needs to know of the image. */
export interface FirstPassChunks {
  manifestChunks: number;
  imageChunks: number;
  isZero(chunk: number): boolean;
}

/** Every chunk once, in order: the manifest's, then the image's but its zero chunks. */
export class FirstPassScheduler implements ChunkQueue {
  private next = 0; // index over manifest chunks then image chunks
  private readonly extra: ChunkRef[] = [];

  constructor(private readonly chunks: FirstPassChunks) {}

  private get total(): number {
    return this.chunks.manifestChunks + this.chunks.imageChunks;
  }

  get size(): number {
    return this.total - this.next + this.extra.length;
  }

  /** Zero chunks are never sent: the manifest names them. */
  prune(): void {
    const m = this.chunks.manifestChunks;
    while (this.next < this.total && this.next >= m && this.chunks.isZero(this.next - m)) this.next++;
  }

  shift(): ChunkRef | null {
    this.prune();
    if (this.next >= this.total) return this.extra.shift() ?? null;
    const i = this.next++;
    const m = this.chunks.manifestChunks;
    return i < m ? { stream: Stream.Manifest, chunk: i } : { stream: Stream.Image, chunk: i - m };
  }

  push(ref: ChunkRef): void {
    this.extra.push(ref);
  }
}

export class SendScheduler {
  constructor(readonly pass: ChunkQueue) {}

  /**
   * What to queue next: 'repair' when one is due (`repairDue` 0) and few
   * repairs are queued, else the pass's next chunk while the native sender
   * holds too little of the pass, else null (wait for a job to complete).
   */
  next(depth: QueueDepth, repairDue: number | undefined): 'repair' | ChunkRef | null {
    if (depth.urgent < URGENT_DEPTH && repairDue === 0) return 'repair';
    this.pass.prune();
    const wantMore = depth.normal < NORMAL_DEPTH || (depth.normal < NORMAL_MAX_DEPTH && depth.normalBytes < NORMAL_BYTES);
    return wantMore && this.pass.size > 0 ? this.pass.shift() : null;
  }

  /**
   * When to come back for a pending repair whose collection window is still
   * open, ms (undefined: no need, or repairs are queued deep enough that a
   * completion will come back first).
   */
  repairWakeIn(depth: QueueDepth, repairDue: number | undefined): number | undefined {
    return depth.urgent < URGENT_DEPTH && repairDue !== undefined && repairDue > 0 ? repairDue : undefined;
  }
}

/** One timer that only ever moves earlier: the next time the scheduler must look again. */
export class Wakeup {
  private timer?: NodeJS.Timeout;
  private at = 0;

  /** Runs `fn` in `delay` ms unless it is already set to run by then. */
  arm(delay: number | undefined, now: number, fn: () => void): void {
    if (delay === undefined || (this.timer && this.at <= now + delay)) return;
    clearTimeout(this.timer);
    this.at = now + delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fn();
    }, delay);
  }

  cancel(): void {
    clearTimeout(this.timer);
  }
}
