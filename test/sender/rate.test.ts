import { describe, expect, it } from 'vitest';
import { Pacing, RateController, WireMeter } from '../../src/sender/rate.js';

describe('RateController', () => {
  it('cuts the rate on overload, once per holdoff, and recovers to the ceiling when quiet', () => {
    const applied: number[] = [];
    const rc = new RateController(100e6, (r) => applied.push(r));
    expect(rc.onOverload(1000, 100e6)).toBe(true);
    expect(rc.current).toBeCloseTo(70e6);
    expect(rc.onOverload(1050, 100e6)).toBe(false); // same round of reports
    expect(rc.onOverload(1200, 70e6)).toBe(true);
    expect(rc.current).toBeCloseTo(49e6);
    expect(rc.tick(1300, 49e6)).toBe(false); // not quiet long enough
    let t = 1500;
    while (rc.current < 100e6 && t < 100_000) rc.tick((t += 250), rc.current);
    expect(rc.current).toBe(100e6);
    expect(rc.decreases).toBe(2);
    expect(rc.lowest).toBeCloseTo(49e6);
    expect(applied.at(-1)).toBe(100e6);
  });

  it('starts from the observed rate when unpaced, and never stalls', () => {
    const rc = new RateController(0, () => {});
    rc.onOverload(0, 400e6);
    expect(rc.current).toBeCloseTo(280e6);
    for (let t = 1000; t < 10_000; t += 200) rc.onOverload(t, 0);
    expect(rc.current).toBe(1e6);
  });

  it('follows a new ceiling at once, unless an overload cut is recent: then it stays below it', () => {
    const applied: number[] = [];
    const rc = new RateController(100e6, (r) => applied.push(r));
    rc.setCeiling(0, 20e6);
    expect(rc.current).toBe(20e6);
    rc.setCeiling(1000, 30e6);
    expect(rc.current).toBe(30e6);
    rc.onOverload(2000, 30e6);
    rc.setCeiling(2100, 40e6);
    expect(rc.current).toBeCloseTo(21e6); // recovers towards 40e6 by ticks, not at once
    expect(applied).toEqual([20e6, 30e6, 21e6]);
  });
});

describe('Pacing', () => {
  it('with discovery, cuts to what a congested receiver received; off, stays at --rate', () => {
    const report = { id: 1, at: 1000, intervalMs: 250, bytesPerSecond: 25e6, lossFraction: 0.75 };
    const on = new Pacing(100e6, true, 0, () => {});
    on.sample(1000, { bytes: 0, queueFullWaits: 0 }, { recover: true, reports: [report], heartbeatMs: 200 });
    expect(on.control.current).toBe(25e6);
    const off = new Pacing(100e6, false, 0, () => {});
    off.sample(1000, { bytes: 0, queueFullWaits: 0 }, { recover: true, reports: [report], heartbeatMs: 200 });
    expect(off.control.current).toBe(100e6);
    expect(off.discovery).toBeUndefined();
  });
});

describe('WireMeter.rateBetween', () => {
  it('gives what was sent over a receiver\'s interval from the samples around it, and nothing before them', () => {
    const w = new WireMeter();
    w.sample(1000, 0);
    w.mark(1100, 1_000_000);
    w.sample(1250, 1_000_000); // nothing sent from 1100 to 1250
    w.mark(1400, 4_000_000);
    expect(w.rateBetween(1000, 1100)).toBeCloseTo(10_000_000);
    expect(w.rateBetween(1100, 1250)).toBe(0);
    expect(w.rateBetween(1250, 1400)).toBeCloseTo(20_000_000);
    expect(w.rateBetween(1050, 1150)).toBeCloseTo(5_000_000); // half of each side
    expect(w.rateBetween(900, 1100)).toBeUndefined();
  });
});
