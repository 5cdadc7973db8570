// Pending repairs, per chunk. Source symbols named missing are merged as a
// union (a symbol lost by many receivers is resent once). FEC stripe needs
// are merged as a maximum: one fresh parity symbol fixes a different loss at
// each receiver, so a round costs the neediest receiver's count, not the sum.
import { monotonicClock } from '../core/clock.js';

export interface RepairRequest {
  stream: number;
  chunk: number;
  /** Source symbols to resend. */
  symbols: Uint32Array;
  /** [stripe, count] of fresh parity symbols to send. */
  parity: [number, number][];
}

interface Pending {
  stream: number;
  chunk: number;
  due: number; // when its collection window, opened by the chunk's first request, closes
  want: Uint8Array; // per source symbol
  needs?: Uint16Array; // per stripe
  stripeSize: number;
}

/**
 * Extra parity for a stripe that needs `need` symbols, on a path that loses
 * a share `loss` of them. The repair crosses the same lossy path, and a
 * round one symbol short costs the chunk another NACK round trip (~200 ms)
 * and another repair (measured, one receiver at 5% loss: two rounds per
 * chunk, and the sender's first pass halved). The margin is the fewest
 * extra symbols with which at least `need` arrive with probability 0.95
 * (binomial). Where losses are rare (1%) and needs small, that is zero, so
 * low-loss repair costs no more. `loss` is capped at 20%.
 */
export function repairMargin(need: number, loss: number): number {
  if (need <= 0 || !(loss > 0)) return 0;
  const p = Math.min(loss, 0.2);
  for (let margin = 0; margin < need; margin++) if (atMost(margin, need + margin, p) >= 0.95) return margin;
  return need;
}

/**
 * The loss rate repairs will meet: a moving average over chunks' first
 * repair rounds of the share of the chunk's symbols asked for (the
 * neediest receiver's, per stripe). Chunk-wide rather than per stripe, so
 * that one burst does not read as a lossy path.
 */
export class LossEstimate {
  value = 0;
  private readonly seen: Uint8Array;

  constructor(chunkCount: number) {
    this.seen = new Uint8Array(chunkCount);
  }

  /** Counts a chunk's first repair round only: later rounds ask for what the repair itself lost. */
  firstRound(chunk: number, asked: number, symbols: number): void {
    if (chunk >= this.seen.length || this.seen[chunk] || symbols <= 0) return;
    this.seen[chunk] = 1;
    this.value += (Math.min(1, asked / symbols) - this.value) / 16;
  }
}

/** P(X ≤ k) for X ~ Binomial(n, p), 0 < p < 1. */
function atMost(k: number, n: number, p: number): number {
  let term = (1 - p) ** n;
  let sum = term;
  for (let i = 0; i < k; i++) {
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
    sum += term;
  }
  return sum;
}

export class RepairQueue {
  // Insertion order = order of first request: the oldest need is served first.
  private readonly pending = new Map<number, Pending>();
  /**
   * Parity per stripe of each chunk's recent rounds, and until when a report
   * may predate its arrival: a receiver that reported before a round reached
   * it asks for what is already on its way, and only its need beyond that is
   * new (NORM's repair holdoff, per stripe).
   */
  private readonly recent = new Map<number, { until: number; sent: Uint16Array }>();

  get size(): number {
    return this.pending.size;
  }

  /**
   * `windowMs`: how long a chunk's first request waits for other receivers'
   * reports of the same loss before its repair goes out, so that one round,
   * whose cost is the neediest receiver's, not the sum, answers them all.
   * It follows the window over which receivers spread their reports; a
   * change applies to chunks first requested after it.
   */
  constructor(public windowMs = 0) {}

  private entry(stream: number, chunk: number, symbolCount: number, stripeSize: number, now = monotonicClock.now()): Pending {
    const key = stream * 2 ** 32 + chunk;
    let e = this.pending.get(key);
    if (!e) {
      e = { stream, chunk, due: now + this.windowMs, want: new Uint8Array(symbolCount), stripeSize };
      this.pending.set(key, e);
    }
    return e;
  }

  /**
   * Adds runs of missing sources ([start, count, ...]) for a chunk with
   * `symbolCount` symbols. Returns the number of symbols named, or -1 if a
   * run falls outside the chunk (the report is malformed).
   */
  add(stream: number, chunk: number, symbolCount: number, ranges: number[], now = monotonicClock.now()): number {
    for (let i = 0; i < ranges.length; i += 2) {
      if (ranges[i + 1]! === 0 || ranges[i]! + ranges[i + 1]! > symbolCount) return -1;
    }
    const e = this.entry(stream, chunk, symbolCount, 0, now);
    let named = 0;
    for (let i = 0; i < ranges.length; i += 2) {
      e.want.fill(1, ranges[i]!, ranges[i]! + ranges[i + 1]!);
      named += ranges[i + 1]!;
    }
    return named;
  }

  /**
   * Adds FEC stripe needs ([stripe, need, ...]), less parity of a recent
   * round still on its way. Returns the symbols the report named, or -1 if a
   * stripe or a need is out of range for the chunk.
   */
  addNeeds(stream: number, chunk: number, symbolCount: number, stripeSize: number, pairs: number[], now = monotonicClock.now()): number {
    const stripes = Math.ceil(symbolCount / stripeSize);
    for (let i = 0; i < pairs.length; i += 2) {
      const [s, need] = [pairs[i]!, pairs[i + 1]!];
      if (s >= stripes || need === 0 || need > Math.min(stripeSize, symbolCount - s * stripeSize)) return -1;
    }
    const key = stream * 2 ** 32 + chunk;
    const recent = this.recent.get(key);
    const onTheWay = recent && now < recent.until ? recent.sent : undefined;
    let named = 0;
    let e: Pending | undefined = this.pending.get(key);
    for (let i = 0; i < pairs.length; i += 2) {
      named += pairs[i + 1]!;
      const need = pairs[i + 1]! - (onTheWay?.[pairs[i]!] ?? 0);
      if (need <= 0) continue;
      e ??= this.entry(stream, chunk, symbolCount, stripeSize, now);
      e.stripeSize = stripeSize;
      e.needs ??= new Uint16Array(stripes);
      e.needs[pairs[i]!] = Math.max(e.needs[pairs[i]!]!, need);
    }
    return named;
  }

  /**
   * Of stripe needs ([stripe, need, ...]), the symbols beyond the parity of
   * recent rounds still on their way: what they would add (addNeeds
   * subtracts the same), so what a report is charged for (repair-budget.ts).
   */
  newNeed(stream: number, chunk: number, pairs: number[], now = monotonicClock.now()): number {
    const recent = this.recent.get(stream * 2 ** 32 + chunk);
    const onTheWay = recent && now < recent.until ? recent.sent : undefined;
    let n = 0;
    for (let i = 0; i < pairs.length; i += 2) n += Math.max(0, pairs[i + 1]! - (onTheWay?.[pairs[i]!] ?? 0));
    return n;
  }

  /**
   * What an entry adds beyond what this queue already holds for the chunk
   * and parity still on its way: source runs, the symbols not yet wanted;
   * stripe needs, the need beyond pending and recent parity. A catch-up
   * receiver is charged only this, since it asks again for what it still
   * lacks while its repair waits for its turn (catch-up.ts).
   */
  unplanned(stream: number, chunk: number, stripeNeeds: boolean, pairs: number[], now = monotonicClock.now()): number {
    const e = this.pending.get(stream * 2 ** 32 + chunk);
    if (stripeNeeds) {
      const recent = this.recent.get(stream * 2 ** 32 + chunk);
      const onTheWay = recent && now < recent.until ? recent.sent : undefined;
      let n = 0;
      for (let i = 0; i < pairs.length; i += 2) n += Math.max(0, pairs[i + 1]! - (onTheWay?.[pairs[i]!] ?? 0) - (e?.needs?.[pairs[i]!] ?? 0));
      return n;
    }
    let n = 0;
    for (let i = 0; i < pairs.length; i += 2) {
      for (let s = pairs[i]!; s < pairs[i]! + pairs[i + 1]!; s++) if (!e || s >= e.want.length || !e.want[s]) n++;
    }
    return n;
  }

  /**
   * Records a round's parity ([stripe, count]) as sent: reports of the chunk
   * that arrive before `until` (the round's time on the wire plus a report's
   * round trip) are taken to predate it.
   */
  sent(stream: number, chunk: number, stripes: number, parity: [number, number][], until: number, now = monotonicClock.now()): void {
    const key = stream * 2 ** 32 + chunk;
    let r = this.recent.get(key);
    if (!r || now >= r.until) r = { until, sent: new Uint16Array(stripes) };
    r.until = Math.max(r.until, until);
    for (const [s, n] of parity) if (s < stripes) r.sent[s] = Math.min(0xffff, r.sent[s]! + n);
    this.recent.set(key, r);
    // Forget rounds long past, so the map stays as small as what is in flight.
    if (this.recent.size > 1024) for (const [k, v] of this.recent) if (now >= v.until) this.recent.delete(k);
  }

  /** The parity planned so far for a pending chunk, flat [stripe, count, ...] (empty if none). */
  plan(stream: number, chunk: number): number[] {
    const needs = this.pending.get(stream * 2 ** 32 + chunk)?.needs;
    const out: number[] = [];
    needs?.forEach((n, s) => {
      if (n > 0) out.push(s, n);
    });
    return out;
  }

  /** Milliseconds until the next pending repair is due (0: now), or undefined if none. */
  dueIn(now = monotonicClock.now()): number | undefined {
    let due = Infinity;
    for (const e of this.pending.values()) due = Math.min(due, e.due);
    return due === Infinity ? undefined : Math.max(0, due - now);
  }

  /** Takes the oldest pending repair whose window has closed. Sources resent in a stripe count against its parity need. */
  take(now = monotonicClock.now()): RepairRequest | undefined {
    let found: [number, Pending] | undefined;
    for (const entry of this.pending) {
      if (now >= entry[1].due) {
        found = entry;
        break;
      }
    }
    if (!found) return undefined;
    const [key, e] = found;
    this.pending.delete(key);
    const ids: number[] = [];
    e.want.forEach((w, i) => {
      if (w) ids.push(i);
    });
    const parity: [number, number][] = [];
    if (e.needs) {
      const perStripe = new Uint16Array(e.needs.length);
      for (const id of ids) perStripe[Math.floor(id / e.stripeSize)]!++;
      e.needs.forEach((need, s) => {
        const rest = need - perStripe[s]!;
        if (rest > 0) parity.push([s, rest]);
      });
    }
    return { stream: e.stream, chunk: e.chunk, symbols: Uint32Array.from(ids), parity };
  }
}
