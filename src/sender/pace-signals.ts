// What each receiver's reports show over the recent window, for the pace
// classifier (pace.ts) and a catching-up receiver's own repair pacing
// (catch-up.ts): how much of what the sender sends reaches it, how much
// repair it asks for per first-pass byte, how often it reports overload.
import { WINDOW_MS, type PaceSignals } from './pace.js';

/** Enough sent in a window to judge delivery by (DATA packets)… */
const MIN_SENT_PACKETS = 64;
/** …and NACK volume by (first-pass bytes). */
const MIN_FIRST_PASS_BYTES = 1024 * 1024;

interface StatusSample {
  at: number;
  /** DATA packets the receiver reported received, and the sender had sent when the report arrived. */
  rx: number;
  tx: number;
  overloaded: boolean;
}

interface TickSample {
  at: number;
  symbolsRequested: number;
  firstPassBytes: number;
}

class Track {
  statuses: StatusSample[] = [];
  ticks: TickSample[] = [];
}

export class PaceSignalsTracker {
  private readonly tracks = new Map<number, Track>();

  constructor(private readonly symbolSize: number) {}

  private track(id: number): Track {
    let t = this.tracks.get(id);
    if (!t) this.tracks.set(id, (t = new Track()));
    return t;
  }

  /** A STATUS from `id`: `rx` DATA packets it received so far, `tx` the sender sent so far. */
  status(id: number, now: number, rx: number, tx: number, overloaded: boolean): void {
    const t = this.track(id);
    t.statuses.push({ at: now, rx, tx, overloaded });
    trim(t.statuses, now);
  }

  /** Every evaluation: what `id` asked for so far, and the first-pass bytes sent so far. */
  tick(id: number, now: number, symbolsRequested: number, firstPassBytes: number): void {
    const t = this.track(id);
    t.ticks.push({ at: now, symbolsRequested, firstPassBytes });
    trim(t.ticks, now);
  }

  forget(id: number): void {
    this.tracks.delete(id);
  }

  signals(id: number): PaceSignals {
    const t = this.tracks.get(id);
    const s: PaceSignals = { id, overloads: 0 };
    if (!t) return s;
    s.overloads = t.statuses.filter((x) => x.overloaded).length;
    const d = deltas(t.statuses);
    if (d && d.tx >= MIN_SENT_PACKETS) s.delivery = Math.min(1, d.rx / d.tx);
    const first = t.ticks[0];
    const last = t.ticks[t.ticks.length - 1];
    if (first && last && last.firstPassBytes - first.firstPassBytes >= MIN_FIRST_PASS_BYTES) {
      s.nackShare = ((last.symbolsRequested - first.symbolsRequested) * this.symbolSize) / (last.firstPassBytes - first.firstPassBytes);
    }
    return s;
  }

  /**
   * Between its last two reports that span enough sent packets: the share of
   * what was sent that reached `id`, and the rate it received at (bytes/s).
   * Undefined until it has reported that far.
   */
  delivered(id: number): { ratio: number; bytesPerSecond: number; at: number } | undefined {
    const st = this.tracks.get(id)?.statuses;
    if (!st || st.length < 2) return undefined;
    const last = st[st.length - 1]!;
    for (let i = st.length - 2; i >= 0; i--) {
      const from = st[i]!;
      if (last.tx - from.tx < MIN_SENT_PACKETS || last.at <= from.at) continue;
      const rx = Math.max(0, last.rx - from.rx);
      return { ratio: Math.min(1, rx / (last.tx - from.tx)), bytesPerSecond: (rx * this.symbolSize * 1000) / (last.at - from.at), at: last.at };
    }
    return undefined;
  }
}

/** Growth from the first to the last sample of the window, undefined with fewer than two. */
function deltas(st: StatusSample[]): { rx: number; tx: number } | undefined {
  if (st.length < 2) return undefined;
  const a = st[0]!;
  const b = st[st.length - 1]!;
  return { rx: Math.max(0, b.rx - a.rx), tx: b.tx - a.tx };
}

/** Keeps the samples of the last WINDOW_MS, and always the newest before it (a window's start). */
function trim<T extends { at: number }>(samples: T[], now: number): void {
  let drop = 0;
  while (drop + 1 < samples.length && samples[drop + 1]!.at <= now - WINDOW_MS) drop++;
  if (drop > 0) samples.splice(0, drop);
}
