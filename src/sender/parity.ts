// FEC parity for repairs and for the first pass: which repair symbols of a
// stripe go out, so that no receiver is sent the same one twice.
import { symbolCount } from '../image/geometry.js';
import { repairSymbolId } from '../protocol/symbols.js';

/** Stripe needs [stripe, count, ...] covering every source of a chunk. */
export function wholeChunkNeeds(symbols: number, stripeSize: number): number[] {
  const pairs: number[] = [];
  for (let s = 0; s * stripeSize < symbols; s++) pairs.push(s, Math.min(stripeSize, symbols - s * stripeSize));
  return pairs;
}

export interface ParityOptions {
  /** Sources per stripe (0: no FEC). */
  stripeSize: number;
  symbolSize: number;
  /** Proactive parity per first-pass stripe, as a fraction of its sources. */
  fecRatio: number;
}

export class ParityAllocator {
  private readonly used = new Map<number, Uint8Array>();

  /** `chunkLength`: a chunk's bytes on the wire. */
  constructor(
    private readonly o: ParityOptions,
    private readonly chunkLength: (stream: number, chunk: number) => number,
  ) {}

  /**
   * Turns stripe needs into repair symbols. Each round uses parity indices no
   * receiver has been sent in this session, so every repair symbol is useful
   * to every receiver still missing something in that stripe. A stripe has
   * only 255 - k of them: when they would run out, the stripe's sources are
   * resent instead (they fix any receiver's loss in that stripe) and its
   * parity starts over. `margins` (repairMargin, per need) are sent on top
   * while the stripe's parity lasts, so that one round survives the loss it
   * repairs.
   */
  fresh(stream: number, chunk: number, sources: Uint32Array, needs: [number, number][], margins: number[] = []): { symbols: Uint32Array; parity: Uint32Array } {
    const k = this.o.stripeSize;
    if (needs.length === 0 || k === 0) return { symbols: sources, parity: new Uint32Array(0) };
    const count = symbolCount(this.chunkLength(stream, chunk), this.o.symbolSize);
    const resend = new Set(sources);
    const ids: number[] = [];
    for (const [i, [stripe, need]] of needs.entries()) {
      const fresh = this.allocate(stream, chunk, stripe, need, margins[i] ?? 0);
      if (fresh) {
        ids.push(...fresh);
        continue;
      }
      const first = stripe * k;
      for (let s = first; s < first + Math.min(k, count - first); s++) resend.add(s);
    }
    return { symbols: Uint32Array.from([...resend].sort((x, y) => x - y)), parity: Uint32Array.from(ids) };
  }

  /**
   * `n` unused parity symbol ids of one stripe, plus up to `extra` more while
   * they last, or undefined (and the stripe's parity reset) when `n` would
   * run out.
   */
  allocate(stream: number, chunk: number, stripe: number, n: number, extra = 0): number[] | undefined {
    const k = this.o.stripeSize;
    const key = stream * 2 ** 32 + chunk;
    const count = symbolCount(this.chunkLength(stream, chunk), this.o.symbolSize);
    let used = this.used.get(key);
    if (!used) {
      used = new Uint8Array(Math.ceil(count / k));
      this.used.set(key, used);
    }
    const left = 255 - Math.min(k, count - stripe * k) - used[stripe]!;
    if (n > left) {
      used[stripe] = 0;
      return undefined;
    }
    const ids: number[] = [];
    for (let i = 0; i < n + Math.min(extra, left - n); i++) ids.push(repairSymbolId(stripe, used[stripe]!++));
    return ids;
  }

  /**
   * Proactive FEC (--fec RATIO): parity sent with a chunk's first pass, so a
   * receiver on a lossy link rebuilds most losses without asking. Stripes
   * are interleaved (one parity of each in turn), so a burst of loss costs
   * every stripe a little instead of one stripe a lot. Undefined when
   * proactive FEC is off.
   */
  proactive(stream: number, chunk: number): Uint32Array | undefined {
    const k = this.o.stripeSize;
    if (this.o.fecRatio <= 0 || k === 0) return undefined;
    const count = symbolCount(this.chunkLength(stream, chunk), this.o.symbolSize);
    const perStripe: number[][] = [];
    for (let s = 0; s * k < count; s++) {
      const size = Math.min(k, count - s * k);
      perStripe.push(this.allocate(stream, chunk, s, Math.ceil(size * this.o.fecRatio)) ?? []);
    }
    const ids: number[] = [];
    for (let round = 0; perStripe.some((p) => round < p.length); round++) for (const p of perStripe) if (round < p.length) ids.push(p[round]!);
    return Uint32Array.from(ids);
  }
}
