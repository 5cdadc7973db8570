// Rate discovery: finds the rate the path to the receivers that keep up
// carries, below the --rate ceiling. A pure policy: the session passes the
// time and the receivers' latest reports in (docs/PROTOCOL.md, "Rate
// discovery").
//
// After BBR: the estimate `bottleneck` is what the path delivered, and the
// pacing cycles through gains around it: a probe above it (1.25, more while
// probes get through), a drain below it (0.8), then a cruise at it. A report is congested when its loss
// stands clearly above that receiver's random-loss floor (the least loss it
// reported over the last FLOOR_WINDOW_MS): then what it received is the
// bottleneck. Otherwise the path carried what was sent (received ÷ (1 −
// loss)), and the estimate may only grow. Random loss does not grow with the
// rate, so it stays at the floor and never cuts the rate.

const PROBE_GAIN = 1.25;
const MAX_PROBE_GAIN = 2; // probes that keep getting through: 1.25, 1.5, 2 (a bottleneck gone, BBR's startup)
const DRAIN_GAIN = 0.8;
/** A cruise lasts about this long (6 phases in small groups; fewer, longer ones in large groups, whose reports are rarer). */
const CRUISE_MS = 3000;
/** Congested: loss above the floor by this much, or by the floor itself if larger. */
const CONGESTION_MARGIN = 0.03;
const FLOOR_WINDOW_MS = 10_000;
const MIN_PHASE_MS = 500;
/** A report's interval must start this long after a rate change to show the new rate (the trip to the receivers). */
const PROPAGATION_MS = 50;
const MIN_RATE = 1e6; // bytes/s: never stall completely

/** One receiver's latest figures (participants.ts computes them from its STATUS). */
export interface RateReport {
  id: number;
  /** When the sender took the report (its clock), and the receiver's interval it covers, ms. */
  at: number;
  intervalMs: number;
  /** DATA bytes/s received over the interval, and the fraction of the DATA sent that it lost. */
  bytesPerSecond: number;
  lossFraction: number;
}

export interface DiscoveryInput {
  now: number;
  /** The latest report of every receiver that keeps up. */
  reports: readonly RateReport[];
  /** The sender's own wire rate lately (bytes/s), and whether its local queue (qdisc) was full meanwhile. */
  sentBytesPerSecond: number;
  localQueueFull: boolean;
  /** The receivers' heartbeat interval, ms: a phase lasts long enough for a report or two. */
  heartbeatMs: number;
}

type Phase = 'probe' | 'drain' | 'cruise';

export class RateDiscovery {
  /** What the path is estimated to carry, bytes/s. */
  bottleneck: number;
  /** The pacing rate it asks for, bytes/s. */
  rate: number;
  /** Times the estimate was cut by a congested report or a full local queue. */
  cuts = 0;
  private phase: Phase = 'cruise';
  /** Probes in a row that got through: each next one reaches further (probeGain). */
  private probeStreak = 0;
  private cruiseLeft = 1;
  private phaseMs = MIN_PHASE_MS;
  private phaseStart: number;
  private rateSince: number;
  private congestedThisPhase = false;
  private readonly used = new Map<number, number>(); // id → `at` of the report last taken
  private readonly floors = new Map<number, { at: number; loss: number }[]>();
  /** Per receiver whose congested reports cut the estimate lately: the estimate before its first cut, and when. */
  private readonly cutBy = new Map<number, { before: number; at: number }>();

  /** `ceiling`: --rate in bytes/s (> 0). */
  constructor(private readonly ceiling: number, now: number) {
    this.bottleneck = ceiling;
    this.rate = ceiling;
    this.phaseStart = now;
    this.rateSince = now;
  }

  /** Takes what is new; returns the pacing rate (changed or not). */
  update(input: DiscoveryInput): number {
    const { now } = input;
    if (input.localQueueFull && input.sentBytesPerSecond > 0 && input.sentBytesPerSecond < this.rate) {
      // The sender's own link is the bottleneck: pace at what it takes.
      this.cut(Math.max(MIN_RATE, input.sentBytesPerSecond), now);
    }
    for (const r of input.reports) this.take(r, now);
    this.phaseMs = Math.max(MIN_PHASE_MS, 2 * input.heartbeatMs + 100);
    if (now - this.phaseStart >= this.phaseMs) this.nextPhase(now);
    return this.rate;
  }

  private take(r: RateReport, now: number): void {
    // Only a report whose whole interval ran at the current rate says anything of it.
    if (this.used.get(r.id) === r.at || r.at - r.intervalMs < this.rateSince + PROPAGATION_MS) return;
    this.used.set(r.id, r.at);
    const floor = this.floor(r);
    if (r.lossFraction > floor + Math.max(CONGESTION_MARGIN, floor)) {
      this.congestedThisPhase = true;
      const earlier = this.cutBy.get(r.id);
      if (!earlier || earlier.at < now - FLOOR_WINDOW_MS) this.cutBy.set(r.id, { before: this.bottleneck, at: now });
      this.cut(Math.max(MIN_RATE, r.bytesPerSecond), now);
    } else {
      const carried = r.bytesPerSecond / Math.max(0.5, 1 - r.lossFraction);
      this.bottleneck = Math.min(this.ceiling, Math.max(this.bottleneck, carried));
    }
  }

  /**
   * A receiver no longer keeps up with the group (moved to catch-up, or
   * dropped): the cuts its reports caused in the last FLOOR_WINDOW_MS are
   * undone, back to the estimate before them — it was its own path, not the
   * group's, that was slow. The others' reports cut again if that was wrong.
   */
  forget(id: number, now: number): void {
    const c = this.cutBy.get(id);
    this.cutBy.delete(id);
    this.floors.delete(id);
    this.used.delete(id);
    if (!c || c.at < now - FLOOR_WINDOW_MS || c.before <= this.bottleneck) return;
    this.bottleneck = Math.min(this.ceiling, c.before);
    this.probeStreak = 0;
    this.enter('cruise', now);
  }

  /** The least loss this receiver reported over the window, before this report (so a first report of heavy loss is congestion). */
  private floor(r: RateReport): number {
    const list = this.floors.get(r.id) ?? [];
    while (list.length > 0 && list[0]!.at < r.at - FLOOR_WINDOW_MS) list.shift();
    const floor = list.length > 0 ? Math.min(...list.map((x) => x.loss)) : 0;
    list.push({ at: r.at, loss: r.lossFraction });
    if (list.length > 256) list.shift();
    this.floors.set(r.id, list);
    return floor;
  }

  /** Congestion: the estimate is what got through; drain what queued, then cruise at it. */
  private cut(bottleneck: number, now: number): void {
    if (this.phase === 'probe' || bottleneck < this.bottleneck) this.cuts++;
    this.probeStreak = 0;
    this.bottleneck = Math.min(this.ceiling, bottleneck);
    this.cruiseLeft = this.cruisePhases();
    this.enter(this.phase === 'probe' ? 'drain' : 'cruise', now);
  }

  private nextPhase(now: number): void {
    if (this.phase === 'probe') {
      this.probeStreak = this.congestedThisPhase ? 0 : this.probeStreak + 1;
      return this.enter(this.congestedThisPhase ? 'drain' : 'probe', now); // a probe that got through: probe again
    }
    if (this.phase === 'drain') return this.enter('cruise', now);
    if (--this.cruiseLeft > 0) return this.enter('cruise', now);
    this.enter(this.bottleneck >= this.ceiling ? 'cruise' : 'probe', now);
  }

  private enter(phase: Phase, now: number): void {
    if (phase === 'cruise' && this.phase !== 'cruise') this.cruiseLeft = this.cruisePhases();
    this.phase = phase;
    this.congestedThisPhase = false;
    this.phaseStart = now;
    const gain = phase === 'probe' ? Math.min(MAX_PROBE_GAIN, 1 + (PROBE_GAIN - 1) * 2 ** this.probeStreak) : phase === 'drain' ? DRAIN_GAIN : 1;
    const rate = Math.max(MIN_RATE, Math.min(this.ceiling, this.bottleneck * gain));
    if (rate !== this.rate) this.rateSince = now; // reports of the old rate no longer count
    this.rate = rate;
  }

  private cruisePhases(): number {
    return Math.max(1, Math.round(CRUISE_MS / this.phaseMs));
  }

  get state(): Phase {
    return this.phase;
  }
}
