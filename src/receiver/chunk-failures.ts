// When a chunk that failed verification is worth fetching again, and when
// the failures mean the sender's own copy is corrupt. Shared by the image
// writer (offsets) and the ordered writer (pipes).
import { BlockcastError } from '../errors.js';
import { Stream } from '../protocol/constants.js';

/**
 * The same wire bytes of a chunk failing verification this often: the
 * sender's copy is corrupt (it sends the same bytes every time). Junk that
 * varies, which is what anyone can send to an open session, is never fatal.
 */
export const MAX_SAME_BYTES_FAILURES = 3;
/** In a sealed session every byte is the sender's: any failures of one chunk this often are fatal. */
export const MAX_CHUNK_FAILURES = 5;
/** Distinct failing wire hashes remembered per chunk (the oldest is forgotten first), so junk cannot grow memory. */
const MAX_FAILED_HASHES = 4;

/** What a writer lends failed() to count, say, re-fetch or fail. */
export interface FailureDeps {
  counters: { corruptChunks: number };
  hooks: { warning(message: string): void; fail(err: Error): void };
  rx: { reopen(stream: number, chunk: number): void };
}

export class ChunkFailures {
  /** Per chunk that failed: its failures in all, and per hash of the failing wire bytes. */
  private readonly failures = new Map<number, { total: number; byWire: Map<string, number> }>();

  /** `sealed`: every DATA byte is authenticated, so any MAX_CHUNK_FAILURES failures of one chunk are fatal. */
  constructor(private readonly sealed: boolean) {}

  /**
   * A chunk failed verification: counted and said; junk (corrupt in transit,
   * or sent by anyone) is fetched again, a fatal pattern fails the session.
   */
  failed(chunk: number, message: string, wireHash: string, deps: FailureDeps): void {
    deps.counters.corruptChunks++;
    deps.hooks.warning(`chunk ${chunk} failed verification (${message}); fetching it again`);
    const fatal = this.record(chunk, wireHash, message);
    if (fatal) deps.hooks.fail(fatal);
    else deps.rx.reopen(Stream.Image, chunk);
  }

  /** Counts one failure of `chunk`'s wire bytes; returns the error naming it when it is fatal, else undefined (fetch it again). */
  record(chunk: number, wireHash: string, message: string): BlockcastError | undefined {
    let f = this.failures.get(chunk);
    if (!f) this.failures.set(chunk, (f = { total: 0, byWire: new Map() }));
    f.total++;
    const same = (f.byWire.get(wireHash) ?? 0) + 1;
    f.byWire.delete(wireHash);
    f.byWire.set(wireHash, same);
    if (f.byWire.size > MAX_FAILED_HASHES) f.byWire.delete(f.byWire.keys().next().value!);
    if (!(this.sealed ? f.total >= MAX_CHUNK_FAILURES : same >= MAX_SAME_BYTES_FAILURES)) return undefined;
    const times = this.sealed ? f.total : same;
    const what = this.sealed ? '' : ' with the same bytes';
    return new BlockcastError('EDIGEST', `Chunk ${chunk} failed verification ${times} times${what} (${message}): the sender's copy of the image is corrupt`);
  }

  /** The chunk verified: forget its failures. */
  clear(chunk: number): void {
    this.failures.delete(chunk);
  }
}
