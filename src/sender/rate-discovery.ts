// Rate discovery: finds the rate the path to the receivers that keep up
// carries, below the --rate ceiling. A pure policy: the session passes the
// time and the receivers' latest reports in (docs/PROTOCOL.md, "Rate
// discovery").
//
// After BBR: the estimate `bottleneck` is what the path delivered, and the
// pacing cycles through gains around it: a probe above it, a drain below
// it, then a cruise at it. A probe gets through when the path delivered
// nearly all it sent (the next reaches further: 1.25, then 1.5 while they
// get through); one that only filled a queue on the way is drained at once,
// and the next probe looks gently (1.1), so that a queue the sender never
// feels (a slower switch port further on) is not overrun every cycle.
// Start-up runs at a quarter of the ceiling, doubling while reports show
// the path took it all; once one shows less, or congestion, what it received
// is the estimate (only reports of intervals after the data began count, so
// the figure is whole): drain, then cruise.
// A report is congested when its loss
// stands clearly above that receiver's random-loss floor (the least loss it
// reported over the last FLOOR_WINDOW_MS): then what it received is the
// bottleneck. Otherwise the path carried what was sent (received ÷ (1 −
// loss)), and the estimate may only grow. Random loss does not grow with the
// rate, so it stays at the floor and never cuts the rate.

const PROBE_GAIN = 1.25;
/** Probes that keep getting through (a bottleneck gone): 1.25, then 1.5 each phase (2 lost half of a probe's excess on a queue of 50 ms). */
const MAX_PROBE_GAIN = 1.5;
/** After a probe that found nothing: the path is at its bottleneck, look gently. */
const GENTLE_PROBE_GAIN = 1.1;
/** A probe got through if the path delivered at least this share of its rate. */
const PROBE_THROUGH = 0.95;
const DRAIN_GAIN = 0.8;
const STARTUP_GAIN = 0.25;
/** With heartbeats rarer than this, no start-up: the session begins at the ceiling. */
const STARTUP_MAX_HEARTBEAT_MS = 1000;
/** Start-up waits this many phases for a first report. */
const STARTUP_PHASES = 4;
/** A cruise lasts about this long (6 phases in small groups; fewer, longer ones in large groups, whose reports are rarer). */
const CRUISE_MS = 3000;
/** Congested: loss above the floor by this much, or by the floor itself if larger. */
const CONGESTION_MARGIN = 0.03;
const FLOOR_WINDOW_MS = 10_000;
const MIN_PHASE_MS = 500;
/** A report's interval must start this long after a rate change to show the new rate (the trip to the receivers). */
const PROPAGATION_MS = 50;
const MIN_RATE = 1e6; // bytes/s: never stall completely
/** A report of an interval in which the sender sent less than this share of its rate is not taken. */
const IDLE_SHARE = 0.2;

/** One receiver's latest figures (participants.ts computes them from its STATUS). */
export interface RateReport {
  id: number;
  /** When the sender took the report (its clock), and the receiver's interval it covers, ms. */
  at: number;
  intervalMs: number;
  /** DATA bytes/s received over the interval, and the fraction of the DATA sent that it lost. */
  bytesPerSecond: number;
  lossFraction: number;
  /** What the sender sent over that interval (bytes/s), when it knows. */
  offered?: number;
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

type Phase = 'startup' | 'probe' | 'drain' | 'cruise';

export class RateDiscovery {
  /** What the path is estimated to carry, bytes/s. */
  bottleneck: number;
  /** The pacing rate it asks for, bytes/s. */
  rate: number;
  /** Times the estimate was cut by a congested report or a full local queue. */
  cuts = 0;
  private phase: Phase = 'startup';
  /** Probes in a row that got through: each next one reaches further; -1 after one that found nothing (a gentle probe next). */
  private probeStreak = 0;
  /** The current phase's gain; start-up's, doubling. */
  private gain = 1;
  private startupGain = STARTUP_GAIN;
  private started = false;
  /** The sender's own wire rate lately (bytes/s), 0 until measured. */
  private sent = 0;
  private cruiseLeft = 1;
  private phaseMs = MIN_PHASE_MS;
  private phaseStart: number;
  private rateSince: number;
  private congestedThisPhase = false;
  /** The best share of what it was offered that the path delivered in this probe. */
  private probeDelivered = 0;
  private readonly used = new Map<number, number>(); // id → `at` of the report last taken
  private readonly floors = new Map<number, { at: number; loss: number }[]>();
  /** Per receiver whose congested reports cut the estimate lately: the estimate before its first cut, and when. */
  private readonly cutBy = new Map<number, { before: number; at: number; startupGain?: number }>();

  /** `ceiling`: --rate in bytes/s (> 0). */
  constructor(private readonly ceiling: number, now: number) {
    this.bottleneck = ceiling;
    // Start-up at a quarter of the ceiling, doubling at each report that
    // shows the path took it all: a slower path (a 200 Mbit/s port under the
    // default 1 Gbit/s) is found with little overrun, a fast one reached in
    // two reports' time (measured: with the ceiling from the start, a
    // quarter of such a session's wire bytes were repairs).
    this.rate = ceiling * STARTUP_GAIN;
    this.phaseStart = now;
    this.rateSince = now;
  }

  /** Takes what is new; returns the pacing rate (changed or not). */
  update(input: DiscoveryInput): number {
    const { now } = input;
    if (!this.started) {
      // Sending begins: only reports of intervals after this say how the path takes it.
      this.started = true;
      this.phaseStart = this.rateSince = now;
      // Start-up needs reports within a fraction of a second; a large group's come seconds apart.
      if (input.heartbeatMs > STARTUP_MAX_HEARTBEAT_MS) this.enter('cruise', now);
    }
    if (input.localQueueFull && input.sentBytesPerSecond > 0 && input.sentBytesPerSecond < this.rate) {
      // The sender's own link is the bottleneck: pace at what it takes.
      this.cut(Math.max(MIN_RATE, input.sentBytesPerSecond), now, false); // its queue pushes back, nothing to drain
    }
    if (input.sentBytesPerSecond > 0) this.sent = input.sentBytesPerSecond;
    for (const r of input.reports) this.take(r, now);
    this.phaseMs = Math.max(MIN_PHASE_MS, 2 * input.heartbeatMs + 100);
    if (now - this.phaseStart >= (this.phase === 'startup' ? STARTUP_PHASES : 1) * this.phaseMs) this.nextPhase(now);
    return this.rate;
  }

  private take(r: RateReport, now: number): void {
    // Only a report whose whole interval ran at the current rate says anything of it.
    if (this.used.get(r.id) === r.at || r.at - r.intervalMs < this.rateSince + PROPAGATION_MS) return;
    this.used.set(r.id, r.at);
    // The sender sent next to nothing over it (a stream waiting for its input): it says nothing of the path.
    if (r.offered !== undefined && r.offered < IDLE_SHARE * this.rate) return;
    const floor = this.floor(r);
    if (r.lossFraction > floor + Math.max(CONGESTION_MARGIN, floor)) {
      this.congestedThisPhase = true;
      this.cutFor(r.id, r.bytesPerSecond, now);
    } else {
      const carried = r.bytesPerSecond / Math.max(0.5, 1 - r.lossFraction);
      if (this.phase === 'startup') {
        if (carried < PROBE_THROUGH * this.offered(r)) return this.cutFor(r.id, carried, now); // a queue fills on the way
        this.startupGain *= 2;
        return this.enter(this.startupGain >= 1 ? 'cruise' : 'startup', now);
      }
      if (this.phase === 'probe') this.probeDelivered = Math.max(this.probeDelivered, carried / this.offered(r));
      // Never above what was sent: a receiver's interval that caught a queued burst reads high.
      this.bottleneck = Math.min(this.ceiling, Math.max(this.bottleneck, Math.min(carried, this.rate)));
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
    if (c.startupGain === undefined) return this.enter('cruise', now);
    // Its report ended start-up: start-up goes on where it was, not at the ceiling unseen.
    this.startupGain = c.startupGain;
    this.rateSince = now;
    this.enter('startup', now);
  }

  /** Forgets every receiver but `ids` (those that keep up): one that failed, was lost or dropped no longer holds the rate down. */
  retain(ids: ReadonlySet<number>, now: number): void {
    for (const id of [...this.cutBy.keys()]) if (!ids.has(id)) this.forget(id, now);
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

  /** A cut that receiver `id`'s report calls for, remembered so that forget() can undo it. */
  private cutFor(id: number, bottleneck: number, now: number): void {
    const earlier = this.cutBy.get(id);
    if (!earlier || earlier.at < now - FLOOR_WINDOW_MS) {
      this.cutBy.set(id, { before: this.bottleneck, at: now, ...(this.phase === 'startup' ? { startupGain: this.startupGain } : {}) });
    }
    this.cut(Math.max(MIN_RATE, bottleneck), now);
  }

  /** Congestion: the estimate is what got through; drain what a probe or start-up queued, then cruise at it, and probe gently next (the path is at its bottleneck). */
  private cut(bottleneck: number, now: number, drain = true): void {
    if (this.phase === 'probe' || bottleneck < this.bottleneck) this.cuts++;
    this.probeStreak = -1;
    this.bottleneck = Math.min(this.ceiling, bottleneck);
    this.cruiseLeft = this.cruisePhases();
    this.enter(drain && (this.phase === 'probe' || this.phase === 'startup') ? 'drain' : 'cruise', now);
  }

  private nextPhase(now: number): void {
    if (this.phase === 'startup') return this.enter('cruise', now); // no report said how the path took it: go on at the ceiling
    if (this.phase === 'probe') {
      if (this.congestedThisPhase) this.probeStreak = -1;
      else if (this.probeDelivered >= PROBE_THROUGH) {
        this.probeStreak++;
        return this.enter('probe', now); // it got through: probe again, further
      } else this.probeStreak = -1; // delivery stayed flat: it only filled a queue
      return this.enter('drain', now);
    }
    if (this.phase === 'drain') return this.enter('cruise', now);
    if (--this.cruiseLeft > 0) return this.enter('cruise', now);
    this.enter(this.bottleneck >= this.ceiling ? 'cruise' : 'probe', now);
  }

  private enter(phase: Phase, now: number): void {
    if (phase === 'cruise' && this.phase !== 'cruise') this.cruiseLeft = this.cruisePhases();
    const after = this.phase;
    this.phase = phase;
    this.congestedThisPhase = false;
    this.probeDelivered = 0;
    this.phaseStart = now;
    // A drain after a probe takes back what the probe queued (1.1 → 0.9, 1.25 → 0.8); after start-up, 0.8.
    const drain = after === 'probe' ? Math.max(DRAIN_GAIN, 2 - this.gain) : DRAIN_GAIN;
    const gain = phase === 'startup' ? this.startupGain : phase === 'probe' ? this.probeGain() : phase === 'drain' ? drain : 1;
    this.gain = gain;
    const rate = Math.max(MIN_RATE, Math.min(this.ceiling, this.bottleneck * gain));
    if (rate !== this.rate) this.rateSince = now; // reports of the old rate no longer count
    this.rate = rate;
  }

  /**
   * What the path was offered: the pacing rate, or what the sender managed
   * to send if less (its pipeline starting, its CPU short): a path that took
   * all of that was not found wanting.
   */
  private offered(r?: RateReport): number {
    if (r?.offered !== undefined && r.offered > 0) return Math.min(this.rate, r.offered);
    return this.sent > 0 ? Math.min(this.rate, this.sent) : this.rate;
  }

  private probeGain(): number {
    return this.probeStreak < 0 ? GENTLE_PROBE_GAIN : Math.min(MAX_PROBE_GAIN, 1 + (PROBE_GAIN - 1) * 2 ** this.probeStreak);
  }

  private cruisePhases(): number {
    return Math.max(1, Math.round(CRUISE_MS / this.phaseMs));
  }

  get state(): Phase {
    return this.phase;
  }
}
