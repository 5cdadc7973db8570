// The image side of a receiver whose target is a stream (stdout, a pipe
// command): chunks are verified in the workers and handed on strictly in
// order. A chunk that completes early waits in its slot, within a window of
// the slots; zero chunks are output as zeros. Nothing unverified is output.
import { sleep, type Clock } from '../core/clock.js';
import { BlockcastError } from '../errors.js';
import type { OrderedOutput } from '../image/output.js';
import type { ChunkPool } from '../image/pool.js';
import type { NativeReceiver } from '../native/binding.js';
import { Stream } from '../protocol/constants.js';
import { zeroHash } from '../protocol/hash.js';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import type { Manifest } from '../protocol/manifest.js';
import { manifestCatalog, rawLengthOf, type ChunkCatalog } from './catalog.js';
import type { ChunkSlots } from './slots.js';
import type { AssemblyCounters } from './stats.js';
import { ChunkFailures } from './chunk-failures.js';
import type { WriterHooks } from './writer.js';

/** What the chunk assembly and the session need of a writer, whatever its target. */
export interface ChunkWriter {
  readonly chunksDone: number;
  /** Completed image chunks waiting (for a worker, for the manifest, or for their turn). */
  readonly backlogged: number;
  start(m: Manifest): void;
  add(chunk: number, slot: number, length: number, coding: number): void;
  settle(clock: Clock, ms: number): Promise<void>;
}

/** Chunks verified ahead of the one being output (they use a worker each). */
const VERIFY_AHEAD = 16;

/**
 * Completed chunks an in-order receiver holds while an earlier one is
 * missing: all slots but a reserve (a quarter, at least 2) in which the
 * missing chunks can still be assembled. Beyond it the chunk farthest ahead
 * is forgotten and requested again, so the window never stalls itself.
 */
export function orderWindow(slotCount: number): number {
  return Math.max(1, slotCount - Math.max(2, Math.floor(slotCount / 4)));
}

interface Held {
  slot: number;
  length: number;
  coding: number;
}

interface Verified {
  slot: number;
  digest: Buffer;
  /** The raw bytes: in the slot (raw coding) or a buffer of their own (decoded). */
  data: Buffer;
  ownsSlot: boolean;
  wireLength: number;
  /** The decode buffer holding `data`, reused once the bytes are output. */
  spare?: Buffer;
}

export interface OrderedWriterDeps {
  rx: Pick<NativeReceiver, 'reopen'>;
  pool: Pick<ChunkPool, 'unpackAndVerify'>;
  output: OrderedOutput;
  sealed?: boolean;
  /** Accept only an image with this digest (lower-case hex); a stream's is known only at its end. */
  expectDigest?: string;
  slots: ChunkSlots;
  counters: AssemblyCounters;
  hooks: WriterHooks;
}

export class OrderedWriter implements ChunkWriter {
  private catalog?: ChunkCatalog;
  private next = 0;
  private readonly held = new Map<number, Held>();
  private readonly verifying = new Map<number, Promise<Verified | undefined>>();
  /** The image digest, over the hashes of the chunks output, in order. */
  private readonly digest = new Blake3Hasher();
  private readonly failures: ChunkFailures;
  private wake?: () => void;
  private zeros?: Buffer;
  private busy = false;
  /** Decode buffers (at most VERIFY_AHEAD in use): a coded chunk is decoded into one, never into fresh memory. */
  private readonly spares: Buffer[] = [];

  constructor(private readonly deps: OrderedWriterDeps) {
    this.failures = new ChunkFailures(!!deps.sealed);
  }

  get chunksDone(): number {
    return this.next;
  }

  get backlogged(): number {
    return this.held.size + this.verifying.size;
  }

  /** A file session: the manifest is known. */
  start(m: Manifest): void {
    this.follow(manifestCatalog(m));
  }

  /** Outputs the chunks `catalog` knows, as it learns them (a stream session: call grew() when it does). */
  follow(catalog: ChunkCatalog): void {
    this.catalog = catalog;
    this.zeros = Buffer.alloc(catalog.chunkSize);
    this.busy = true;
    void this.run()
      .catch((err: unknown) => this.deps.hooks.fail(err as Error))
      .finally(() => (this.busy = false));
  }

  /** The catalog knows more chunks. */
  grew(): void {
    this.wake?.();
  }

  add(chunk: number, slot: number, length: number, coding: number): void {
    const { hooks, slots, counters } = this.deps;
    const total = this.catalog?.total;
    if (hooks.ended() || chunk < this.next || (total !== undefined && chunk >= total) || this.held.has(chunk) || this.verifying.has(chunk)) {
      slots.lend(slot);
      return;
    }
    this.held.set(chunk, { slot, length, coding });
    counters.maxBacklog = Math.max(counters.maxBacklog, this.backlogged);
    if (this.held.size + this.verifying.size > orderWindow(slots.count)) this.dropFarthest();
    this.wake?.();
  }

  /** The window is full: forget the held chunk farthest ahead (it is requested again later). */
  private dropFarthest(): void {
    let far = -1;
    for (const c of this.held.keys()) far = Math.max(far, c);
    if (far < 0) return;
    const h = this.held.get(far)!;
    this.held.delete(far);
    this.deps.counters.windowDrops++;
    this.deps.rx.reopen(Stream.Image, far);
    this.deps.slots.lend(h.slot);
  }

  async settle(clock: Clock, ms: number): Promise<void> {
    const deadline = clock.now() + ms;
    while (this.busy && clock.now() < deadline) {
      this.wake?.(); // a loop waiting for a chunk sees that the session ended
      await sleep(5);
    }
  }

  /** Outputs chunk after chunk, each once it is verified, then checks the digest and closes the output. */
  private async run(): Promise<void> {
    const m = this.catalog!;
    const { hooks, output } = this.deps;
    while (m.total === undefined || this.next < m.total) {
      if (hooks.ended()) return;
      const c = this.next;
      if (c >= m.known) {
        await this.nextEvent();
        continue;
      }
      const length = rawLengthOf(m, c);
      if (m.isZero(c)) {
        this.forget(c); // something arrived for a chunk never sent (before its segment said so)
        await output.zeros(this.zeros!.subarray(0, length));
        this.digest.update(zeroHash(length));
        this.deps.counters.zeroedChunks++;
        this.advance();
        continue;
      }
      this.startVerifying(m);
      const pending = this.verifying.get(c);
      if (!pending) {
        await this.nextEvent();
        continue;
      }
      const v = await pending;
      this.verifying.delete(c);
      if (!v) continue; // failed verification: requested again
      if (hooks.ended()) return this.release(v);
      await output.write(v.data);
      this.release(v);
      this.digest.update(v.digest);
      this.deps.counters.wireBytes += v.wireLength;
      this.advance();
    }
    hooks.verifying();
    // Every chunk matched its manifest hash; the digest is rebuilt from them as for a file.
    const digest = this.digest.digestBuffer();
    if (!digest.equals(m.imageDigest!)) throw new BlockcastError('EDIGEST', `The image written to ${output.name} does not match the manifest digest`);
    const expected = this.deps.expectDigest;
    if (expected && digest.toString('hex') !== expected) {
      // A stream's digest is known only at its end, after its bytes went out: the exit status says it.
      throw new BlockcastError('EDIGEST', `The sender's image is ${digest.toString('hex')}, not the expected ${expected}; its ${output.written} bytes were already output to ${output.name}`);
    }
    await output.finish();
    hooks.complete(digest);
  }

  private nextEvent(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  private forget(chunk: number): void {
    const h = this.held.get(chunk);
    if (!h) return;
    this.held.delete(chunk);
    this.deps.slots.lend(h.slot);
  }

  private advance(): void {
    this.next++;
    this.catalog!.release(this.next);
    this.deps.hooks.wrote();
    const count = this.catalog!.total ?? this.catalog!.known;
    if (this.next % 16 === 0 || this.next === count) this.deps.hooks.progress(this.next, count);
  }

  private release(v: Verified): void {
    if (v.spare) this.spares.push(v.spare);
    if (v.ownsSlot) return;
    this.deps.slots.lend(v.slot);
  }

  private spare(): Buffer {
    return this.spares.pop() ?? Buffer.allocUnsafeSlow(this.catalog!.chunkSize);
  }

  /** Starts verifying the held chunks among the next VERIFY_AHEAD. */
  private startVerifying(m: ChunkCatalog): void {
    const { pool, slots } = this.deps;
    for (let c = this.next; c < this.next + VERIFY_AHEAD && c < m.known; c++) {
      const h = this.held.get(c);
      if (!h || this.verifying.has(c) || m.isZero(c)) continue;
      this.held.delete(c);
      const rawLength = rawLengthOf(m, c);
      const into = this.spare();
      const task = { buffer: slots.buffer(h.slot).buffer as ArrayBuffer, length: h.length, coding: h.coding, rawLength, expected: m.hash(c), into };
      const chunk = c;
      this.verifying.set(
        c,
        pool.unpackAndVerify(task).then((r): Verified | undefined => {
          if (!r.ok || !r.decodedInto) this.spares.push(into);
          if (!r.ok) {
            slots.returned(h.slot, r.buffer);
            this.failures.failed(chunk, r.message, Buffer.from(r.wireDigest).toString('hex'), this.deps);
            return undefined;
          }
          this.failures.clear(chunk);
          if (r.decodedInto) {
            slots.returned(h.slot, r.buffer); // decoded (natively, into a spare): the slot is free at once
            return { slot: h.slot, digest: Buffer.from(r.digest), data: into.subarray(0, rawLength), ownsSlot: true, wireLength: h.length, spare: into };
          }
          if (r.raw) {
            slots.returned(h.slot, r.buffer); // decoded: the slot is free at once
            return { slot: h.slot, digest: Buffer.from(r.digest), data: Buffer.from(r.raw), ownsSlot: true, wireLength: h.length };
          }
          // Raw: the bytes are the slot's; it is lent again once they are output.
          slots.restore(h.slot, r.buffer);
          return { slot: h.slot, digest: Buffer.from(r.digest), data: slots.buffer(h.slot).subarray(0, rawLength), ownsSlot: false, wireLength: h.length };
        }),
      );
    }
  }
}
