// Sending rate that follows the slowest receiver: a receiver that starts to
// drop datagrams for its own reasons (full socket buffer, no assembly
// memory, writes lagging) flags STATUS as overloaded; the sender cuts its
// rate multiplicatively, then recovers additively up to its ceiling (AIMD,
// as TCP does): --rate, or below it the rate that rate discovery
// (rate-discovery.ts) finds the path carries. Random loss on the wire is
// repaired, not taken as overload.
import type { NativeSenderStats } from '../native/binding.js';
import { RateDiscovery, type RateReport } from './rate-discovery.js';

const DECREASE = 0.7;
const DECREASE_HOLDOFF_MS = 100; // one cut per round of reports
const INCREASE_AFTER_MS = 250; // quiet time before recovering
const INCREASE_STEP = 0.05; // of the ceiling, per tick
const MIN_RATE = 1e6; // bytes/s: never stall completely

export class RateController {
  /** Current pacing rate in bytes/s; 0 means unpaced. */
  current: number;
  decreases = 0;
  lowest: number;
  private lastDecrease = -Infinity;
  private peakObserved = 0;

  /** `ceiling`: --rate in bytes/s, 0 for unlimited. */
  constructor(
    private ceiling: number,
    private readonly apply: (bytesPerSecond: number) => void,
  ) {
    this.current = ceiling;
    this.lowest = ceiling;
  }

  /**
   * A new ceiling (rate discovery's): the rate follows it at once unless an
   * overload cut is recent, when it only stays below it.
   */
  setCeiling(now: number, top: number): void {
    if (top === this.ceiling) return;
    this.ceiling = top;
    const next = now - this.lastDecrease < INCREASE_AFTER_MS ? Math.min(this.current, top) : top;
    if (next === this.current) return;
    this.current = next;
    this.lowest = this.lowest > 0 ? Math.min(this.lowest, next) : next;
    this.apply(next);
  }

  /** A receiver reports overload. `observed`: recent wire throughput in bytes/s. */
  onOverload(now: number, observed: number): boolean {
    if (now - this.lastDecrease < DECREASE_HOLDOFF_MS) return false;
    this.lastDecrease = now;
    this.peakObserved = Math.max(this.peakObserved, observed);
    const base = this.current > 0 ? Math.min(this.current, Math.max(observed, MIN_RATE)) : Math.max(observed, MIN_RATE);
    this.current = Math.max(MIN_RATE, base * DECREASE);
    this.lowest = this.lowest > 0 ? Math.min(this.lowest, this.current) : this.current;
    this.decreases++;
    this.apply(this.current);
    return true;
  }

  /** Called periodically: recover towards the ceiling after a quiet spell. Returns true if the rate changed. */
  tick(now: number, observed: number): boolean {
    this.peakObserved = Math.max(this.peakObserved, observed);
    if (this.current === this.ceiling || now - this.lastDecrease < INCREASE_AFTER_MS) return false;
    const top = this.ceiling > 0 ? this.ceiling : this.peakObserved;
    this.current = Math.min(top, this.current + top * INCREASE_STEP);
    if (this.ceiling > 0 && this.current >= this.ceiling) this.current = this.ceiling;
    this.apply(this.current);
    return true;
  }
}

/** The rate measured on the wire: bytes/s between the last two samples of the native sender's byte count. */
export class WireMeter {
  rate = 0;
  private at?: number;
  private bytes = 0;
  /** The last 2 s of samples (ticks and reports), for the rate over a receiver's interval. */
  private readonly history: { at: number; bytes: number }[] = [];

  sample(now: number, bytes: number): void {
    if (this.at !== undefined && now > this.at) this.rate = ((bytes - this.bytes) * 1000) / (now - this.at);
    this.at = now;
    this.bytes = bytes;
    this.mark(now, bytes);
  }

  /** Records the byte count at `now` without moving `rate`. */
  mark(now: number, bytes: number): void {
    this.history.push({ at: now, bytes });
    while (this.history.length > 2 && this.history[1]!.at < now - 2000) this.history.shift();
  }

  /** What was sent over [from, to] (bytes/s), from the samples around it; undefined if they do not reach back that far. */
  rateBetween(from: number, to: number): number | undefined {
    const h = this.history;
    if (h.length < 2 || h[0]!.at > from || to - from <= 0) return undefined;
    return ((this.bytesAt(to) - this.bytesAt(from)) * 1000) / (to - from);
  }

  private bytesAt(t: number): number {
    const h = this.history;
    for (let i = h.length - 1; i > 0; i--) {
      const a = h[i - 1]!;
      const b = h[i]!;
      if (a.at <= t) return b.at <= a.at ? b.bytes : a.bytes + ((b.bytes - a.bytes) * (Math.min(t, b.at) - a.at)) / (b.at - a.at);
    }
    return h[0]!.bytes;
  }
}

/** What the session's pacing samples every tick besides the native sender's counters. */
export interface PacingSample {
  /** Whether the rate may change (not while waiting for receivers). */
  recover: boolean;
  /** The latest report of every receiver that keeps up, and their heartbeat interval (ms). */
  reports: readonly RateReport[];
  heartbeatMs: number;
}

/** The session's pacing: rate discovery (unless off), the overload controller under it, and the rate measured on the wire. */
export class Pacing {
  readonly control: RateController;
  readonly wire = new WireMeter();
  readonly discovery?: RateDiscovery;
  private queueFullWaits = 0;

  /** `discover`: find the path's rate below `ceiling` (needs a ceiling: unlimited is unpaced). */
  constructor(ceiling: number, discover: boolean, now: number, apply: (bytesPerSecond: number) => void) {
    this.control = new RateController(ceiling, apply);
    if (discover && ceiling > 0) this.discovery = new RateDiscovery(ceiling, now);
  }

  /** Samples the wire's byte count; with `recover`, lets the rate follow discovery and recover after a quiet spell. */
  sample(now: number, tx: Pick<NativeSenderStats, 'bytes' | 'queueFullWaits'> | undefined, s: PacingSample): void {
    this.wire.sample(now, tx?.bytes ?? 0);
    const queueFull = (tx?.queueFullWaits ?? 0) > this.queueFullWaits;
    this.queueFullWaits = tx?.queueFullWaits ?? 0;
    if (!s.recover) return;
    if (this.discovery) {
      // A receiver that no longer reports here (failed, lost, moved) no longer holds the rate down.
      this.discovery.retain(new Set(s.reports.map((r) => r.id)), now);
      const top = this.discovery.update({ now, reports: this.withOffered(s.reports), sentBytesPerSecond: this.wire.rate, localQueueFull: queueFull, heartbeatMs: s.heartbeatMs });
      this.control.setCeiling(now, top);
    }
    this.control.tick(now, this.wire.rate);
  }

  /**
   * A report from a receiver that keeps up, as it arrives: discovery takes
   * it at once rather than at the next tick (up to 250 ms later, which at a
   * start-up or probe rate is that much more overrun).
   */
  report(now: number, reports: readonly RateReport[], heartbeatMs: number, sentBytes: number): void {
    if (!this.discovery || reports.length === 0) return;
    this.wire.mark(now, sentBytes);
    const top = this.discovery.update({ now, reports: this.withOffered(reports), sentBytesPerSecond: this.wire.rate, localQueueFull: false, heartbeatMs });
    this.control.setCeiling(now, top);
  }

  /** Each report with what the sender sent over its interval (what the path was offered). */
  private withOffered(reports: readonly RateReport[]): RateReport[] {
    return reports.map((r) => {
      const offered = this.wire.rateBetween(r.at - r.intervalMs, r.at);
      return offered === undefined ? r : { ...r, offered };
    });
  }

  /** A receiver left the main pace (catch-up, dropped): discovery undoes the cuts it caused. */
  forget(id: number, now: number): void {
    this.discovery?.forget(id, now);
  }

  /** A receiver reports overload. */
  overload(now: number): void {
    this.control.onOverload(now, this.wire.rate);
  }

  /** The pacing rate, else the rate measured on the wire (bytes/s; 0 or less when unknown). */
  get rate(): number {
    return this.control.current || this.wire.rate;
  }

  /** For the summary: rate cuts (overload and discovery) and the lowest rate used. */
  get record(): { decreases: number; lowest: number } {
    return { decreases: this.control.decreases + (this.discovery?.cuts ?? 0), lowest: this.control.lowest };
  }
}
