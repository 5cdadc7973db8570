// What a progress display shows, computed from the sessions' snapshots
// (src/sender/progress.ts, src/receiver/progress.ts): rates over a sliding
// window, ETA, receiver counts. Pure: times come in as arguments, so tests
// need neither a terminal nor a clock.
import type { ReceiveProgress } from '../receiver/progress.js';
import type { SendProgress } from '../sender/progress.js';

/** Rates are measured over this much history: smooth enough to read, recent enough to follow a change of pace. */
export const RATE_WINDOW_MS = 3000;

/** A rate of change of one counter, over the samples of the last RATE_WINDOW_MS. */
export class RateMeter {
  private readonly samples: { t: number; v: number }[] = [];

  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  /** Records `value` at `t` ms; returns the rate per second, undefined until two samples span some time. */
  add(t: number, value: number): number | undefined {
    this.samples.push({ t, v: value });
    // Keep one sample at or before the window's start so the span covers the whole window.
    while (this.samples.length > 2 && this.samples[1]!.t <= t - this.windowMs) this.samples.shift();
    return this.rate();
  }

  rate(): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.t <= first.t) return undefined;
    return Math.max(0, ((last.v - first.v) * 1000) / (last.t - first.t));
  }
}

/** Seconds to go at `rate` per second; undefined when the rate is unknown or nil. */
export function etaSeconds(remaining: number, rate: number | undefined): number | undefined {
  if (remaining <= 0) return 0;
  if (rate === undefined || !(rate > 0)) return undefined;
  return remaining / rate;
}

/** A percentage with one decimal, 100 only when done. */
export function percentOf(done: number, total: number): number {
  if (total <= 0 || done >= total) return 100;
  return Math.min(99.9, Math.floor((done / total) * 1000) / 10);
}

export interface ReceiverCounts {
  joined: number;
  done: number;
  failed: number;
  lost: number;
  /** Receivers still in the session on the catch-up path (too slow for the group, or late). */
  catchingUp: number;
}

export interface SenderView {
  /** 'first-pass' until every chunk was sent once, then 'repair' while receivers still miss data. */
  stage: 'waiting' | 'first-pass' | 'repair' | 'ending' | 'ended';
  percent: number;
  /** Image bytes the first pass covers per second (0 once it is over). */
  bytesPerSecond?: number;
  /** The bar's position and end: first-pass chunks, or the slowest active receiver's chunks in the repair stage. */
  value: number;
  total: number;
  wireBytesPerSecond?: number;
  etaSeconds?: number;
  counts: ReceiverCounts;
  /** Receivers still in the session (joined, not done, failed or lost). */
  missing: number;
  /** Repair bytes / DATA bytes on the wire, 0..1. */
  repairShare: number;
}

export class SendTracker {
  private readonly logical = new RateMeter();
  private readonly wire = new RateMeter();
  private readonly slowest = new RateMeter();

  update(p: SendProgress, t: number): SenderView {
    const counts: ReceiverCounts = { joined: p.receivers.length, done: 0, failed: 0, lost: 0, catchingUp: 0 };
    let slowest = p.chunkCount;
    let missing = 0;
    for (const r of p.receivers) {
      if (r.state === 'done' || r.state === 'failed' || r.state === 'lost') counts[r.state]++;
      else {
        missing++;
        if (r.pace === 'catch-up') counts.catchingUp++;
        slowest = Math.min(slowest, r.chunksDone);
      }
    }
    const bytesPerSecond = this.logical.add(t, p.bytesSent);
    const wireBytesPerSecond = this.wire.add(t, p.wireBytes);
    const slowestRate = this.slowest.add(t, slowest);
    const repairShare = p.wireBytes > 0 ? Math.min(1, p.repairBytes / p.wireBytes) : 0;
    const base = { counts, missing, repairShare, bytesPerSecond, wireBytesPerSecond };
    if (p.phase === 'waiting') return { ...base, stage: 'waiting', percent: 0, value: 0, total: p.chunkCount };
    if (p.phase === 'sending') {
      return { ...base, stage: 'first-pass', percent: percentOf(p.chunksSent, p.chunkCount), value: p.chunksSent, total: p.chunkCount, etaSeconds: etaSeconds(p.imageSize - p.bytesSent, bytesPerSecond) };
    }
    const stage = p.phase === 'repairing' ? 'repair' : p.phase === 'ending' ? 'ending' : 'ended';
    return { ...base, stage, percent: percentOf(slowest, p.chunkCount), value: slowest, total: p.chunkCount, etaSeconds: etaSeconds(p.chunkCount - slowest, slowestRate) };
  }
}

export interface ReceiverView {
  percent: number;
  bytesPerSecond?: number;
  etaSeconds?: number;
}

export class ReceiveTracker {
  private readonly written = new RateMeter();

  update(p: ReceiveProgress, t: number): ReceiverView {
    const bytesPerSecond = this.written.add(t, p.bytesWritten);
    return { percent: percentOf(p.chunksDone, p.chunkCount), bytesPerSecond, etaSeconds: etaSeconds(p.imageSize - p.bytesWritten, bytesPerSecond) };
  }
}

const round = (n: number | undefined): number | null => (n === undefined ? null : Math.round(n));
const round1 = (n: number | undefined): number | null => (n === undefined ? null : Math.round(n * 10) / 10);

/** The sender's --json `progress` event (README "JSON events"). */
export function senderProgressEvent(p: SendProgress, v: SenderView): Record<string, unknown> {
  return {
    phase: p.phase,
    stage: v.stage,
    imageSize: p.imageSize,
    chunkCount: p.chunkCount,
    chunksSent: p.chunksSent,
    bytesSent: p.bytesSent,
    percent: v.percent,
    bytesPerSecond: round(v.bytesPerSecond),
    wireBytes: p.wireBytes,
    wireBytesPerSecond: round(v.wireBytesPerSecond),
    repairBytes: p.repairBytes,
    repairShare: Math.round(v.repairShare * 10000) / 10000,
    etaSeconds: round1(v.etaSeconds),
    counts: v.counts,
    receivers: p.receivers.map((r) => ({ ...r, percent: percentOf(r.chunksDone, p.chunkCount) })),
  };
}

/** The receiver's --json `progress` event (README "JSON events"). */
export function receiverProgressEvent(p: ReceiveProgress, v: ReceiverView): Record<string, unknown> {
  return {
    state: p.state.toLowerCase(),
    imageSize: p.imageSize,
    chunkCount: p.chunkCount,
    chunksDone: p.chunksDone,
    bytesWritten: p.bytesWritten,
    percent: v.percent,
    bytesPerSecond: round(v.bytesPerSecond),
    etaSeconds: round1(v.etaSeconds),
    wireBytes: p.wireBytes,
    symbolsRequested: p.symbolsRequested,
    nackPackets: p.nackPackets,
  };
}
