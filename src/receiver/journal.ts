// A receiver's journal of verified chunks, so that restarting the same
// `blockcast receive` resumes. It is keyed by the manifest's digest (another
// image's journal is never trusted) and only ever appended to after the
// target's data is durable: fdatasync of the target first, then the record,
// in batches, so a crash can lose the newest records but never mark a chunk
// that is not on the disk. Format in docs/PROTOCOL.md ("Resume journal").
import { closeSync, fdatasync, openSync, readFileSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { hash, hashAll } from '../protocol/hash.js';

export const JOURNAL_MAGIC = 'BCJRNL01';
export const JOURNAL_HEADER_SIZE = 64;
export const JOURNAL_RECORD_SIZE = 16;
/** A file target's journal lives beside it, with this suffix. */
export const JOURNAL_SUFFIX = '.blockcast-journal';
/** A block device's journal lives here (the device itself has no room for one). */
export const JOURNAL_DIR = '/var/lib/blockcast';
/**
 * Records are written after this many verified chunks, or JOURNAL_INTERVAL_MS, whichever comes first:
 * a restart loses at most that much (a quarter second of a 1 Gbit/s transfer is ~30 chunks), and each
 * batch costs one fdatasync of the target on libuv's threads (docs/PROTOCOL.md has the measured cost).
 */
export const JOURNAL_BATCH_CHUNKS = 32;
export const JOURNAL_INTERVAL_MS = 250;

/** What a journal is of: the image (by its manifest's digest) and its geometry. */
export interface JournalKey {
  manifestDigest: Buffer;
  chunkCount: number;
  chunkSize: number;
}

export type JournalVerdict = 'trusted' | 'missing' | 'other-image' | 'corrupt';

export interface JournalContents {
  verdict: JournalVerdict;
  /** The receiver id the journal was written under (any image's): a restarted receiver reuses it, so the sender takes it as a rejoin. */
  receiverId?: number;
  /** Chunks the journal says are on the target (trusted only). */
  chunks: number[];
  /** Bytes after the last good record (a torn write): ignored. */
  tornBytes: number;
}

/** Where the journal of `target` lives: `--journal FILE`, else beside a file, else under JOURNAL_DIR for a block device. */
export function journalPath(target: string, kind: 'file' | 'block' | 'missing' | 'other', override?: string): string {
  if (override) return override;
  if (kind !== 'block') return target + JOURNAL_SUFFIX;
  let real = target;
  try {
    real = realpathSync(target); // /dev/disk/by-id/... and /dev/sda share one journal
  } catch {
    // keep the name given
  }
  return path.join(JOURNAL_DIR, real.replace(/^\/+/, '').replace(/\//g, '_') + '.journal');
}

function headerCheck(header: Buffer): Buffer {
  return hash(header.subarray(0, JOURNAL_HEADER_SIZE - 8)).subarray(0, 8);
}

function recordCheck(digest: Buffer, first: number, count: number): Buffer {
  const run = Buffer.alloc(8);
  run.writeUInt32LE(first, 0);
  run.writeUInt32LE(count, 4);
  return hashAll([digest, run]).subarray(0, 8);
}

export function encodeHeader(key: JournalKey, receiverId: number): Buffer {
  const b = Buffer.alloc(JOURNAL_HEADER_SIZE);
  b.write(JOURNAL_MAGIC, 0, 'latin1');
  b.writeUInt32LE(1, 8); // version
  b.writeUInt32LE(receiverId >>> 0, 12);
  b.writeUInt32LE(key.chunkCount, 16);
  b.writeUInt32LE(key.chunkSize, 20);
  key.manifestDigest.copy(b, 24, 0, 32);
  headerCheck(b).copy(b, 56);
  return b;
}

/** One record per run of consecutive chunks. */
export function encodeRecords(digest: Buffer, chunks: number[]): Buffer {
  const sorted = [...chunks].sort((a, b) => a - b);
  const out: Buffer[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1;
    while (j < sorted.length && sorted[j]! <= sorted[j - 1]! + 1) j++;
    const first = sorted[i]!;
    const count = sorted[j - 1]! - first + 1;
    const r = Buffer.alloc(JOURNAL_RECORD_SIZE);
    r.writeUInt32LE(first, 0);
    r.writeUInt32LE(count, 4);
    recordCheck(digest, first, count).copy(r, 8);
    out.push(r);
    i = j;
  }
  return Buffer.concat(out);
}

/** Reads a journal; `key` undefined reads only the receiver id. Never throws: an unreadable journal is simply not trusted. */
export function readJournal(file: string, key?: JournalKey): JournalContents {
  let b: Buffer;
  try {
    b = readFileSync(file);
  } catch {
    return { verdict: 'missing', chunks: [], tornBytes: 0 };
  }
  if (b.length < JOURNAL_HEADER_SIZE || b.toString('latin1', 0, 8) !== JOURNAL_MAGIC || b.readUInt32LE(8) !== 1 || !headerCheck(b).equals(b.subarray(56, 64))) {
    return { verdict: 'corrupt', chunks: [], tornBytes: 0 };
  }
  const receiverId = b.readUInt32LE(12);
  const digest = b.subarray(24, 56);
  if (!key || !digest.equals(key.manifestDigest) || b.readUInt32LE(16) !== key.chunkCount || b.readUInt32LE(20) !== key.chunkSize) {
    return { verdict: 'other-image', receiverId, chunks: [], tornBytes: 0 };
  }
  const held = new Set<number>();
  let at = JOURNAL_HEADER_SIZE;
  for (; at + JOURNAL_RECORD_SIZE <= b.length; at += JOURNAL_RECORD_SIZE) {
    const first = b.readUInt32LE(at);
    const count = b.readUInt32LE(at + 4);
    if (count === 0 || first + count > key.chunkCount || !recordCheck(digest, first, count).equals(b.subarray(at + 8, at + 16))) break;
    for (let c = first; c < first + count; c++) held.add(c);
  }
  return { verdict: 'trusted', receiverId, chunks: [...held].sort((x, y) => x - y), tornBytes: b.length - at };
}

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

/**
 * The journal being written. `add` a chunk once it is verified and written;
 * every JOURNAL_BATCH_CHUNKS chunks or JOURNAL_INTERVAL_MS the target is
 * fdatasynced (on libuv's threads, off the event loop) and only then are
 * the chunks' records appended. An error turns the journal off with one
 * warning: the transfer goes on, only a restart would start over.
 */
export class Journal {
  private fd?: number;
  private pending: number[] = [];
  private flushing?: Promise<void>;
  private readonly timer: NodeJS.Timeout;
  /** Batches written (each one fdatasync of the target), and how long their syncs took in all. */
  syncs = 0;
  syncMs = 0;

  /** Opens `file` to append to a trusted journal of `key` (`append`), or starts it over with a fresh header. */
  constructor(
    readonly file: string,
    private readonly key: JournalKey,
    receiverId: number,
    append: boolean,
    private readonly targetFd: number,
    private readonly warn: (message: string) => void,
  ) {
    try {
      if (append) {
        this.fd = openSync(file, 'a');
      } else {
        this.fd = openSync(file, 'w', 0o600);
        writeSync(this.fd, encodeHeader(key, receiverId));
      }
    } catch (err) {
      this.disable(err as Error);
    }
    this.timer = setInterval(() => void this.flush(), JOURNAL_INTERVAL_MS);
    this.timer.unref();
  }

  add(chunk: number): void {
    if (this.fd === undefined) return;
    this.pending.push(chunk);
    if (this.pending.length >= JOURNAL_BATCH_CHUNKS) void this.flush();
  }

  /** Makes every chunk added so far durable and recorded (one batch at a time). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.fd === undefined || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.write(batch);
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  private async write(batch: number[]): Promise<void> {
    const t0 = performance.now();
    try {
      await fdatasyncAsync(this.targetFd);
      this.syncMs += performance.now() - t0;
      this.syncs++;
      if (this.fd !== undefined) writeSync(this.fd, encodeRecords(this.key.manifestDigest, batch));
    } catch (err) {
      this.disable(err as Error);
    }
  }

  /** The image is complete and synced: the journal has served (and must not outlive a target that may change). */
  async remove(): Promise<void> {
    await this.close();
    try {
      unlinkSync(this.file);
    } catch {
      // already gone
    }
  }

  /** Flushes what is pending (a failed or aborted session keeps its progress), then closes. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private disable(err: Error): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.pending = [];
    this.warn(`the resume journal ${this.file} is off (${err.message}): a restart will not resume`);
  }
}
