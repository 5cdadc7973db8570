// NACK-driven repair, as decisions: what a report adds to the pending
// repairs, which REPAIR_ADV to multicast, and what each repair round sends.
// It sends nothing itself; the session carries its decisions out.
import { NACK_BACKOFF_MS, collectionWindowMs } from '../defaults.js';
import { symbolCount } from '../image/geometry.js';
import { Stream } from '../protocol/constants.js';
import { NackKind, type NackEntry } from '../protocol/packets.js';
import { ParityAllocator, wholeChunkNeeds, type ParityOptions } from './parity.js';
import { LossEstimate, RepairQueue, repairMargin, type RepairRequest } from './repairs.js';
import { repairHoldUntil } from './timing.js';

/** What the planner needs to know of the chunks. */
export interface ChunkGeometry {
  /** Chunks of a stream (0 for a stream that does not exist). */
  streamChunks(stream: number): number;
  /** Bytes of a chunk on the wire (0: not sent yet, or a zero chunk). */
  chunkLength(stream: number, chunk: number): number;
}

/** A REPAIR_ADV to multicast: the parity planned so far for a chunk, flat [stripe, count, ...]. */
export interface RepairAdvert {
  stream: number;
  chunk: number;
  stripes: number[];
}

export interface NackDecision {
  /** Source symbols the report named (for the receiver's summary). */
  symbolsRequested: number;
  adverts: RepairAdvert[];
  /** An entry was out of range: the entries before it were taken, the rest not. */
  malformed: boolean;
  /** Entries dropped because the reporter could not afford them (see onNack's `afford`). */
  overBudget: number;
}

/** The symbols a job carries (both undefined: every source symbol of the chunk). */
export interface JobSymbols {
  symbols?: Uint32Array;
  parity?: Uint32Array;
}

export class RepairPlanner {
  private readonly queue = new RepairQueue(collectionWindowMs(NACK_BACKOFF_MS));
  private readonly loss: LossEstimate;
  private readonly parity: ParityAllocator;

  constructor(
    private readonly o: ParityOptions & { imageChunks: number },
    private readonly chunks: ChunkGeometry,
  ) {
    this.loss = new LossEstimate(o.imageChunks);
    this.parity = new ParityAllocator(o, (stream, chunk) => chunks.chunkLength(stream, chunk));
  }

  /** Gathers each loss's reports over the window receivers are told to spread them over. */
  setBackoff(backoffMs: number): void {
    this.queue.windowMs = collectionWindowMs(backoffMs);
  }

  /**
   * Takes a NACK's entries into the pending repairs. `afford(bytes)` is asked
   * before each entry is taken, with the symbols it adds (source runs: the
   * symbols named; stripe needs: beyond parity already on its way) × the
   * symbol size, and charges the reporter if it returns true; an entry it
   * refuses is dropped whole (repair-budget.ts). `catchUp(entry)`: the
   * queue of a catching-up reporter, if the entry is for it (catch-up.ts):
   * it is charged only what that queue lacks, and no REPAIR_ADV tells the
   * others of a round that waits for its turn.
   */
  onNack(entries: NackEntry[], now: number, afford: (bytes: number) => boolean = () => true, catchUp: (e: NackEntry) => RepairQueue | undefined = () => undefined): NackDecision {
    const k = this.o.stripeSize;
    const decision: NackDecision = { symbolsRequested: 0, adverts: [], malformed: false, overBudget: 0 };
    for (const e of entries) {
      if (e.chunk >= this.chunks.streamChunks(e.stream)) return { ...decision, malformed: true };
      const length = this.chunks.chunkLength(e.stream, e.chunk);
      if (length === 0) continue; // a zero chunk, or one not sent yet: nothing to repair
      const symbols = symbolCount(length, this.o.symbolSize);
      let { kind, pairs } = e;
      if (kind === NackKind.WholeChunk) {
        // The receiver has none of it and does not know its length: ask for everything.
        kind = k > 0 ? NackKind.StripeNeeds : NackKind.SourceRuns;
        pairs = k > 0 ? wholeChunkNeeds(symbols, k) : [0, symbols];
      }
      const own = catchUp(e);
      const queue = own ?? this.queue;
      // Charged what the entry adds: a stripe need less parity already on its way to it.
      const adds = own ? own.unplanned(e.stream, e.chunk, kind === NackKind.StripeNeeds, pairs, now) : kind === NackKind.StripeNeeds ? this.queue.newNeed(e.stream, e.chunk, pairs, now) : asked(pairs);
      if (adds > 0 && !afford(adds * this.o.symbolSize)) {
        decision.overBudget++;
        continue;
      }
      const before = kind === NackKind.StripeNeeds ? this.queue.plan(e.stream, e.chunk).join() : '';
      const named = kind === NackKind.StripeNeeds ? (k > 0 ? queue.addNeeds(e.stream, e.chunk, symbols, k, pairs, now) : -1) : queue.add(e.stream, e.chunk, symbols, pairs, now);
      if (named < 0) return { ...decision, malformed: true };
      decision.symbolsRequested += named;
      if (kind === NackKind.StripeNeeds && !own) {
        // Tell every receiver what this round will carry, so those it
        // already covers stay silent (NORM-style NACK suppression).
        const plan = this.queue.plan(e.stream, e.chunk);
        if (plan.join() !== before) decision.adverts.push({ stream: e.stream, chunk: e.chunk, stripes: plan });
      }
    }
    return decision;
  }

  /** Milliseconds until the next pending repair is due (0: now), or undefined if none. */
  dueIn(now: number): number | undefined {
    return this.queue.dueIn(now);
  }

  /** The oldest pending repair whose collection window has closed. */
  take(now: number): RepairRequest | undefined {
    return this.queue.take(now);
  }

  /**
   * The symbols of a repair round for `r`, whose chunk is `wireLength` bytes
   * on the wire, sent at `now` at `rate` bytes/s, taken from `queue` (a
   * catch-up queue, or by default the group's).
   */
  round(r: RepairRequest, wireLength: number, now: number, rate: number, queue: RepairQueue = this.queue): { symbols: Uint32Array; parity: Uint32Array } {
    const k = this.o.stripeSize;
    const count = symbolCount(wireLength, this.o.symbolSize);
    // The margin follows the loss seen so far; this round's own need then joins the estimate.
    const margins = r.parity.map(([, n]) => repairMargin(n, this.loss.value));
    if (r.stream === Stream.Image && queue === this.queue) { // a catch-up receiver's needs say nothing of the group's path
      this.loss.firstRound(r.chunk, r.symbols.length + r.parity.reduce((sum, [, n]) => sum + n, 0), count);
    }
    const { symbols, parity } = this.parity.fresh(r.stream, r.chunk, r.symbols, r.parity, margins);
    if (k > 0) {
      // Reports that reach us before this round has reached receivers ask for it again.
      // Only the need counts against them, not the margin, which is there for the round's own loss.
      queue.sent(r.stream, r.chunk, Math.ceil(count / k), r.parity, repairHoldUntil(now, symbols.length + parity.length, this.o.symbolSize, rate), now);
    }
    return { symbols, parity };
  }

  /** A chunk's first-pass job: with proactive parity, every source and the parity; else the chunk as it is. */
  firstPass(stream: number, chunk: number, wireLength: number): JobSymbols {
    const parity = this.parity.proactive(stream, chunk);
    if (!parity) return {};
    return { symbols: Uint32Array.from({ length: symbolCount(wireLength, this.o.symbolSize) }, (_, s) => s), parity };
  }
}

/** Symbols an entry's pairs name: the lengths of source runs (the second of each pair). */
function asked(pairs: number[]): number {
  let n = 0;
  for (let i = 1; i < pairs.length; i += 2) n += pairs[i]!;
  return n;
}
