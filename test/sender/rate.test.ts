import { describe, expect, it } from 'vitest';
import { RateController } from '../../src/sender/rate.js';

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
});
