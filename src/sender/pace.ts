// Which receivers keep up with the group and which must catch up: a pure
// policy over what receivers' reports show (no clock, no sockets; the
// session passes the time). A receiver is moved to catch-up when, for a
// sustained spell, its reports show it cannot keep up while the others can:
// it receives a far smaller share of what the sender sends, asks for far
// more repair per first-pass byte, or keeps reporting overload. When every
// receiver is slow it is the path, not a receiver: that is the rate
// controller's job, and nobody is moved.

/** Why a receiver was moved to catch-up. */
export type CatchUpWhy = 'late-join' | 'low-delivery' | 'nack-volume' | 'overload';

/** What the classifier reads of one receiver over the recent window. */
export interface PaceSignals {
  id: number;
  /** Its DATA packets received ÷ DATA packets sent, over the window (undefined: not enough reports yet). */
  delivery?: number;
  /** Repair symbols it asked for × symbol size ÷ first-pass bytes sent, over the window (undefined: too little sent). */
  nackShare?: number;
  /** STATUS reports with OVERLOADED set, over the window. */
  overloads: number;
}

export interface Verdict {
  id: number;
  why: CatchUpWhy;
  /** The figures behind it, for people: "receives 21% of what is sent; the others 99%". */
  detail: string;
}

/** A receiver is behind while below this share of the others' median delivery… */
export const DELIVERY_FACTOR = 0.7;
/** …and only if the others receive at least this share themselves (else the path is the bottleneck)… */
export const OTHERS_KEEP_UP = 0.8;
/**
 * …and it asks for at least this share of what is sent: packets it lacks
 * are packets it asks for. A receiver that only counts late (its reports
 * trail the packets queued on the way, or it is short of CPU for a moment)
 * reads as low delivery too, but asks for nothing.
 */
export const DELIVERY_NACKS_MIN = 0.1;
/** Behind on NACKs: asks for more than this share of what is sent, and NACK_FACTOR × the others' median plus NACK_SLACK. */
export const NACK_SHARE_MIN = 0.25;
export const NACK_FACTOR = 4;
export const NACK_SLACK = 0.05;
/** Behind on overload: at least this many OVERLOADED reports in the window while the others' median is none. */
export const OVERLOADS_MIN = 3;
/** How long a receiver must be behind, evaluation after evaluation, before it is moved (ms). */
export const SUSTAIN_MS = 500;

/** Why `s` is behind the others now, or undefined if it is not. */
export function behind(s: PaceSignals, others: PaceSignals[]): Omit<Verdict, 'id'> | undefined {
  if (others.length === 0) return undefined;
  const delivery = median(others.map((o) => o.delivery));
  const asks = s.nackShare ?? 0;
  if (s.delivery !== undefined && delivery !== undefined && delivery >= OTHERS_KEEP_UP && s.delivery < DELIVERY_FACTOR * delivery && asks >= DELIVERY_NACKS_MIN) {
    return { why: 'low-delivery', detail: `receives ${pct(s.delivery)} of what is sent; the others ${pct(delivery)}` };
  }
  const nacks = median(others.map((o) => o.nackShare)) ?? 0;
  if (s.nackShare !== undefined && s.nackShare > NACK_SHARE_MIN && s.nackShare > NACK_FACTOR * nacks + NACK_SLACK) {
    return { why: 'nack-volume', detail: `asks for repair of ${pct(s.nackShare)} of what is sent; the others ${pct(nacks)}` };
  }
  const overloads = median(others.map((o) => o.overloads)) ?? 0;
  if (s.overloads >= OVERLOADS_MIN && overloads === 0) return { why: 'overload', detail: `reported overload ${s.overloads} times in ${WINDOW_MS / 1000} s; the others none` };
  return undefined;
}

/** The window over which signals are measured (ms). */
export const WINDOW_MS = 1000;

/**
 * Tracks, evaluation after evaluation, which keeping-up receivers are
 * behind and since when; returns those behind for SUSTAIN_MS. Receivers are
 * judged against the others that keep up, and only while at least as many
 * of those keep up as are behind: a minority is slow, not the path.
 */
export class PaceClassifier {
  private readonly behindSince = new Map<number, number>();

  evaluate(keepingUp: PaceSignals[], now: number): Verdict[] {
    const found: (Verdict & { since: number })[] = [];
    for (const s of keepingUp) {
      const b = behind(s, keepingUp.filter((o) => o !== s));
      if (!b) {
        this.behindSince.delete(s.id);
        continue;
      }
      const since = this.behindSince.get(s.id) ?? now;
      this.behindSince.set(s.id, since);
      found.push({ id: s.id, ...b, since });
    }
    for (const id of this.behindSince.keys()) if (!keepingUp.some((s) => s.id === id)) this.behindSince.delete(id);
    if (found.length * 2 > keepingUp.length) return []; // most are "behind": the path is slow
    return found.filter((f) => now - f.since >= SUSTAIN_MS).map(({ id, why, detail }) => {
      this.behindSince.delete(id);
      return { id, why, detail };
    });
  }
}

/** The median of the known values (lower median for an even count), undefined if none is known. */
export function median(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  return known.length === 0 ? undefined : known[Math.floor((known.length - 1) / 2)];
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
