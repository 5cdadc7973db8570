// Pending repairs, per chunk. Source symbols named missing are merged as a
// union (a symbol lost by many receivers is resent once). FEC stripe needs
// are merged as a maximum: one fresh parity symbol fixes a different loss at
// each receiver, so a round costs the neediest receiver's count, not the sum.

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

  private entry(stream: number, chunk: number, symbolCount: number, stripeSize: number, now = performance.now()): Pending {
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
  add(stream: number, chunk: number, symbolCount: number, ranges: number[]): number {
    for (let i = 0; i < ranges.length; i += 2) {
      if (ranges[i + 1]! === 0 || ranges[i]! + ranges[i + 1]! > symbolCount) return -1;
    }
    const e = this.entry(stream, chunk, symbolCount, 0);
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
  addNeeds(stream: number, chunk: number, symbolCount: number, stripeSize: number, pairs: number[], now = performance.now()): number {
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
   * Records a round's parity ([stripe, count]) as sent: reports of the chunk
   * that arrive before `until` (the round's time on the wire plus a report's
   * round trip) are taken to predate it.
   */
  sent(stream: number, chunk: number, stripes: number, parity: [number, number][], until: number, now = performance.now()): void {
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
  dueIn(now = performance.now()): number | undefined {
    let due = Infinity;
    for (const e of this.pending.values()) due = Math.min(due, e.due);
    return due === Infinity ? undefined : Math.max(0, due - now);
  }

  /** Takes the oldest pending repair whose window has closed. Sources resent in a stripe count against its parity need. */
  take(now = performance.now()): RepairRequest | undefined {
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
