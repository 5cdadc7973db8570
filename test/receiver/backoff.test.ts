import { describe, expect, it } from 'vitest';
import { nackBackoffMs } from '../../src/receiver/backoff.js';

describe('nackBackoffMs', () => {
  it('stays within the window', () => {
    expect(nackBackoffMs(500, 200, 0)).toBe(0);
    expect(nackBackoffMs(500, 200, 1)).toBeCloseTo(500, 9);
    for (let i = 0; i < 1000; i++) {
      const t = nackBackoffMs(500, 200);
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThan(500);
    }
  });

  it('lets few receivers of a large group report early, and spreads a small group evenly', () => {
    // P(t < W/2) = (e^(λ/2) - 1) / (e^λ - 1), λ = ln N + 1: about 4% for 200 receivers.
    const early = (n: number): number => {
      let count = 0;
      for (let i = 0; i < 1000; i++) if (nackBackoffMs(100, n, (i + 0.5) / 1000) < 50) count++;
      return count / 1000;
    };
    expect(early(200)).toBeCloseTo(0.041, 2);
    expect(early(1)).toBeCloseTo(0.378, 2); // λ = 1
  });
});
