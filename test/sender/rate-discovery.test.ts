// Rate discovery against synthetic paths: a simulated link (a bottleneck
// that may appear mid-session, random loss) turns the pacing rate into the
// reports two receivers would send every 250 ms.
import { describe, expect, it } from 'vitest';
import { RateDiscovery, type RateReport } from '../../src/sender/rate-discovery.js';

const MB = 1e6;
const STEP_MS = 50;
const REPORT_MS = 250;

interface Path {
  /** The bottleneck at time t (bytes/s), Infinity for none. */
  bottleneck: (t: number) => number;
  randomLoss: number;
  /** A queue before the bottleneck (bytes): the excess waits there, and only what overflows it is lost. Without: lost at once. */
  queueBytes?: number;
}

let lost = 0; // bytes the last simulation lost at the bottleneck (random loss aside)
let sentBytes = 0;

/** Runs the controller for `seconds`; returns the pacing rate at every step. */
function simulate(ceiling: number, path: Path, seconds: number): { t: number; rate: number }[] {
  const d = new RateDiscovery(ceiling, 0);
  lost = 0;
  sentBytes = 0;
  const trace: { t: number; rate: number }[] = [];
  const sent: { rate: number; carried: number }[] = []; // per step, within the current report interval
  const reports: RateReport[] = [];
  let queued = 0;
  for (let t = STEP_MS; t <= seconds * 1000; t += STEP_MS) {
    const rate = d.rate;
    const x = path.bottleneck(t);
    let carried = Math.min(rate, x);
    if (path.queueBytes !== undefined) {
      const dt = STEP_MS / 1000;
      queued += (rate - x) * dt;
      carried = queued > 0 ? x : rate;
      if (queued > path.queueBytes) lost += queued - path.queueBytes;
      queued = Math.min(path.queueBytes, Math.max(0, queued));
    } else lost += ((rate - carried) * STEP_MS) / 1000;
    sentBytes += (rate * STEP_MS) / 1000;
    sent.push({ rate, carried: carried * (1 - path.randomLoss) });
    if (t % REPORT_MS === 0) {
      const offered = sent.reduce((a, s) => a + s.rate, 0) / sent.length;
      const received = sent.reduce((a, s) => a + s.carried, 0) / sent.length;
      reports.length = 0;
      // Two receivers behind the same path, reporting 20 ms apart.
      for (const id of [1, 2]) reports.push({ id, at: t + 20 * id, intervalMs: REPORT_MS, bytesPerSecond: received, lossFraction: 1 - received / offered });
      sent.length = 0;
    }
    d.update({ now: t + 40, reports: reports.filter((r) => r.at <= t + 40), sentBytesPerSecond: rate, localQueueFull: false, heartbeatMs: 200 });
    trace.push({ t, rate: d.rate });
  }
  return trace;
}

function meanRate(trace: { t: number; rate: number }[], fromS: number, toS: number): number {
  const w = trace.filter((x) => x.t >= fromS * 1000 && x.t < toS * 1000);
  return w.reduce((a, x) => a + x.rate, 0) / w.length;
}

describe('RateDiscovery', () => {
  it('converges within a few seconds to 0.9-1.0 of a bottleneck below the ceiling', () => {
    const x = 25 * MB; // 200 Mbit/s under a 1 Gbit/s ceiling
    const trace = simulate(125 * MB, { bottleneck: () => x, randomLoss: 0 }, 30);
    const after3s = trace.filter((s) => s.t >= 3000);
    // Probes go above the bottleneck briefly; the time-averaged rate is what the link carries.
    expect(meanRate(trace, 3, 30) / x).toBeGreaterThanOrEqual(0.9);
    expect(meanRate(trace, 3, 30) / x).toBeLessThanOrEqual(1.05);
    expect(Math.max(...after3s.map((s) => s.rate)) / x).toBeLessThanOrEqual(1.3);
    expect(Math.min(...after3s.map((s) => s.rate)) / x).toBeGreaterThanOrEqual(0.75);
  });

  it('stays at the ceiling under 1% random loss with no bottleneck', () => {
    const ceiling = 125 * MB;
    const trace = simulate(ceiling, { bottleneck: () => Infinity, randomLoss: 0.01 }, 30);
    // Start-up: a quarter of the ceiling, doubled at each report of an interval that ran at it.
    expect(trace.filter((s) => s.t < 500).every((s) => s.rate === ceiling / 4)).toBe(true);
    expect(trace.filter((s) => s.t >= 1000).every((s) => s.rate === ceiling)).toBe(true);
  });

  it('under 5% random loss, recovers the ceiling after at most one cut', () => {
    const ceiling = 125 * MB;
    const trace = simulate(ceiling, { bottleneck: () => Infinity, randomLoss: 0.05 }, 30);
    expect(meanRate(trace, 10, 30)).toBe(ceiling);
  });

  it('backs off when a bottleneck appears mid-session, and probes back up once it is gone', () => {
    const ceiling = 125 * MB;
    const x = 25 * MB;
    const bottleneck = (t: number): number => (t >= 10_000 && t < 30_000 ? x : Infinity);
    const trace = simulate(ceiling, { bottleneck, randomLoss: 0.01 }, 45);
    expect(meanRate(trace, 1, 10)).toBe(ceiling);
    expect(meanRate(trace, 13, 30) / x).toBeGreaterThanOrEqual(0.9);
    expect(meanRate(trace, 13, 30) / x).toBeLessThanOrEqual(1.05);
    expect(meanRate(trace, 37, 45)).toBe(ceiling); // within 7 s: the rest of a cruise, a gentle probe, then probes of growing gain
  });

  it('behind a queue it never feels (a slower switch port), runs near the bottleneck and overruns the queue rarely', () => {
    const x = 25 * MB;
    // 50 ms of queue at 200 Mbit/s, as tbf's `latency 50ms` gives.
    const trace = simulate(125 * MB, { bottleneck: () => x, randomLoss: 0, queueBytes: 0.05 * x }, 60);
    expect(meanRate(trace, 5, 60) / x).toBeGreaterThanOrEqual(0.95);
    // Probes that found nothing are not repeated at full gain: under 1% of what is sent is lost.
    expect(lost / sentBytes).toBeLessThan(0.01);
  });

  it('starts at a quarter of the ceiling and, without a report, goes on at the ceiling after four phases', () => {
    const d = new RateDiscovery(100 * MB, 0);
    expect(d.update({ now: 100, reports: [], sentBytesPerSecond: 0, localQueueFull: false, heartbeatMs: 200 })).toBe(25 * MB);
    expect(d.update({ now: 2000, reports: [], sentBytesPerSecond: 0, localQueueFull: false, heartbeatMs: 200 })).toBe(25 * MB);
    expect(d.update({ now: 2100, reports: [], sentBytesPerSecond: 0, localQueueFull: false, heartbeatMs: 200 })).toBe(100 * MB);
  });

  it('in start-up, a report of an interval that began before the data did says nothing', () => {
    const d = new RateDiscovery(100 * MB, 0);
    d.update({ now: 1000, reports: [], sentBytesPerSecond: 0, localQueueFull: false, heartbeatMs: 200 });
    // 300 ms long, 100 of them with data: a receive rate a third of the truth.
    const straddling: RateReport = { id: 1, at: 1100, intervalMs: 300, bytesPerSecond: 8 * MB, lossFraction: 0 };
    expect(d.update({ now: 1100, reports: [straddling], sentBytesPerSecond: 25 * MB, localQueueFull: false, heartbeatMs: 200 })).toBe(25 * MB);
    const whole: RateReport = { id: 1, at: 1300, intervalMs: 200, bytesPerSecond: 25 * MB, lossFraction: 0 };
    expect(d.update({ now: 1300, reports: [whole], sentBytesPerSecond: 25 * MB, localQueueFull: false, heartbeatMs: 200 })).toBe(50 * MB);
  });

  it('in start-up, a path that took all the sender managed to send (less than its pace) is not found wanting', () => {
    const d = new RateDiscovery(100 * MB, 0);
    d.update({ now: 0, reports: [], sentBytesPerSecond: 0, localQueueFull: false, heartbeatMs: 200 });
    // Paced at 25 MB/s, the sender's pipeline still starting sent 15: all of it arrived.
    const r: RateReport = { id: 1, at: 400, intervalMs: 200, bytesPerSecond: 15 * MB, lossFraction: 0 };
    expect(d.update({ now: 400, reports: [r], sentBytesPerSecond: 15 * MB, localQueueFull: false, heartbeatMs: 200 })).toBe(50 * MB);
  });

  it('paces at what its own link takes when the local queue is full', () => {
    const d = new RateDiscovery(125 * MB, 0);
    expect(d.update({ now: 300, reports: [], sentBytesPerSecond: 25 * MB, localQueueFull: true, heartbeatMs: 200 })).toBe(25 * MB);
    expect(d.cuts).toBe(1);
  });
});

describe('a receiver that leaves the main pace', () => {
  it('takes back the cuts its own slow path caused, and only those', () => {
    const d = new RateDiscovery(100 * MB, 0);
    const report = (id: number, at: number, bytesPerSecond: number, lossFraction: number): RateReport => ({ id, at, intervalMs: 200, bytesPerSecond, lossFraction });
    const at = (now: number, reports: RateReport[]): number => d.update({ now, reports, sentBytesPerSecond: d.rate, localQueueFull: false, heartbeatMs: 200 });
    // Start-up (25, 50, 100 MB/s): both take all of it; then receiver 2 (behind a slow port) loses 80%.
    at(0, []);
    at(400, [report(1, 400, 25 * MB, 0)]);
    expect(at(800, [report(1, 800, 50 * MB, 0)])).toBe(100 * MB);
    at(1200, [report(1, 1200, 100 * MB, 0), report(2, 1200, 20 * MB, 0.8)]);
    expect(d.bottleneck).toBe(20 * MB);
    d.forget(2, 1300);
    expect(d.bottleneck).toBe(100 * MB);
    expect(d.rate).toBe(100 * MB);
    // Forgetting a receiver that cut nothing changes nothing.
    d.forget(1, 1400);
    expect(d.bottleneck).toBe(100 * MB);
  });
});

describe('a receiver that ends start-up on its own slow path', () => {
  it('once forgotten, start-up goes on where it was', () => {
    const d = new RateDiscovery(100 * MB, 0);
    const at = (now: number, reports: RateReport[]): number => d.update({ now, reports, sentBytesPerSecond: d.rate, localQueueFull: false, heartbeatMs: 200 });
    at(0, []);
    // Receiver 2, behind 10 MB/s, takes a fraction of start-up's 25 MB/s and fills its queue: the estimate falls to it.
    expect(at(400, [{ id: 2, at: 400, intervalMs: 200, bytesPerSecond: 10 * MB, lossFraction: 0 }])).toBe(10 * MB * 0.8);
    d.forget(2, 600);
    expect(d.rate).toBe(25 * MB);
    expect(d.state).toBe('startup');
    // Receiver 1 takes it all: start-up doubles on.
    expect(at(900, [{ id: 1, at: 900, intervalMs: 200, bytesPerSecond: 25 * MB, lossFraction: 0 }])).toBe(50 * MB);
  });
});

describe('receivers that stop reporting', () => {
  it('retain() undoes the cuts of every receiver no longer among those that keep up (failed, lost)', () => {
    const d = new RateDiscovery(100 * MB, 0);
    const at = (now: number, reports: RateReport[]): number => d.update({ now, reports, sentBytesPerSecond: d.rate, localQueueFull: false, heartbeatMs: 200 });
    at(0, []);
    at(400, [{ id: 1, at: 400, intervalMs: 200, bytesPerSecond: 25 * MB, lossFraction: 0 }]);
    at(800, [{ id: 1, at: 800, intervalMs: 200, bytesPerSecond: 50 * MB, lossFraction: 0 }]);
    // Receiver 3's consumer stalls: it loses 90%.
    at(1200, [{ id: 3, at: 1200, intervalMs: 200, bytesPerSecond: 2 * MB, lossFraction: 0.9 }]);
    expect(d.bottleneck).toBe(2 * MB);
    d.retain(new Set([1, 3]), 1300);
    expect(d.bottleneck).toBe(2 * MB);
    d.retain(new Set([1]), 1400); // it failed
    expect(d.bottleneck).toBe(100 * MB);
  });
});

describe('a sender with nothing to send yet', () => {
  it('takes no report of an interval in which it sent next to nothing (a stream waiting for its input)', () => {
    const d = new RateDiscovery(100 * MB, 0);
    d.update({ now: 0, reports: [], sentBytesPerSecond: 0, localQueueFull: false, heartbeatMs: 200 });
    const idle: RateReport = { id: 1, at: 400, intervalMs: 200, bytesPerSecond: 0, lossFraction: 0, offered: 0 };
    expect(d.update({ now: 400, reports: [idle], sentBytesPerSecond: 0, localQueueFull: false, heartbeatMs: 200 })).toBe(25 * MB);
    expect(d.bottleneck).toBe(100 * MB);
  });
});

describe('a large group', () => {
  it('whose reports come seconds apart skips start-up and begins at the ceiling', () => {
    const d = new RateDiscovery(100 * MB, 0);
    expect(d.update({ now: 0, reports: [], sentBytesPerSecond: 0, localQueueFull: false, heartbeatMs: 5000 })).toBe(100 * MB);
  });
});
