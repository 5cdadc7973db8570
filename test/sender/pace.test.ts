import { describe, expect, it } from 'vitest';
import { PaceClassifier, SUSTAIN_MS, behind, median, type PaceSignals } from '../../src/sender/pace.js';
import { PaceSignalsTracker } from '../../src/sender/pace-signals.js';

const healthy = (id: number): PaceSignals => ({ id, delivery: 0.99, nackShare: 0.01, overloads: 0 });

describe('pace classifier', () => {
  it('finds a receiver that receives far less than the others, with the figures why', () => {
    const slow: PaceSignals = { id: 4, delivery: 0.21, nackShare: 0.2, overloads: 0 };
    expect(behind(slow, [healthy(1), healthy(2), healthy(3)])).toEqual({ why: 'low-delivery', detail: 'receives 21% of what is sent; the others 99%' });
    expect(behind(healthy(1), [healthy(2), slow])).toBeUndefined();
    // Counted late but lacking nothing (it asks for no repair): not behind.
    expect(behind({ ...slow, nackShare: 0.01 }, [healthy(1), healthy(2), healthy(3)])).toBeUndefined();
  });

  it('finds one that asks for far more repair, or keeps reporting overload, while the others do not', () => {
    expect(behind({ id: 4, nackShare: 0.8, overloads: 0 }, [healthy(1), healthy(2)])?.why).toBe('nack-volume');
    expect(behind({ id: 4, overloads: 5 }, [healthy(1), healthy(2)])?.why).toBe('overload');
    // Others that are overloaded too, or ask for as much: the same path, nobody is behind.
    expect(behind({ id: 4, overloads: 5 }, [{ id: 1, overloads: 4 }])).toBeUndefined();
    expect(behind({ id: 4, nackShare: 0.3, overloads: 0 }, [{ id: 1, nackShare: 0.25, overloads: 0 }])).toBeUndefined();
  });

  it('never moves anyone when every receiver is slow: that is the path', () => {
    const lossy = (id: number, delivery: number): PaceSignals => ({ id, delivery, nackShare: 1 - delivery, overloads: 3 });
    // The others receive under 80% themselves: the bottleneck is shared.
    expect(behind(lossy(1, 0.3), [lossy(2, 0.6), lossy(3, 0.6)])).toBeUndefined();
    const c = new PaceClassifier();
    for (let t = 0; t <= 2000; t += 250) expect(c.evaluate([lossy(1, 0.5), lossy(2, 0.5), lossy(3, 0.5)], t)).toEqual([]);
  });

  it('moves a receiver only once it has been behind for a sustained spell', () => {
    const c = new PaceClassifier();
    const slow: PaceSignals = { id: 9, delivery: 0.2, nackShare: 0.2, overloads: 0 };
    expect(c.evaluate([healthy(1), healthy(2), slow], 0)).toEqual([]);
    // Caught up in between: the spell starts again.
    expect(c.evaluate([healthy(1), healthy(2), healthy(9)], 250)).toEqual([]);
    expect(c.evaluate([healthy(1), healthy(2), slow], 500)).toEqual([]);
    expect(c.evaluate([healthy(1), healthy(2), slow], 500 + SUSTAIN_MS - 1)).toEqual([]);
    expect(c.evaluate([healthy(1), healthy(2), slow], 500 + SUSTAIN_MS)).toEqual([{ id: 9, why: 'low-delivery', detail: 'receives 20% of what is sent; the others 99%' }]);
  });

  it('judges two receivers against each other, and a lone receiver never', () => {
    const c = new PaceClassifier();
    const slow: PaceSignals = { id: 2, delivery: 0.2, nackShare: 0.2, overloads: 0 };
    c.evaluate([healthy(1), slow], 0);
    expect(c.evaluate([healthy(1), slow], SUSTAIN_MS).map((v) => v.id)).toEqual([2]);
    expect(c.evaluate([slow], 0)).toEqual([]);
    expect(c.evaluate([slow], 10 * SUSTAIN_MS)).toEqual([]);
  });

  it('takes the lower median of what is known', () => {
    expect(median([3, undefined, 1, 2, 4])).toBe(2);
    expect(median([undefined])).toBeUndefined();
  });
});

describe('pace signals', () => {
  it('measures delivery from STATUS packet counts against what was sent, over the window', () => {
    const t = new PaceSignalsTracker(1000);
    t.status(1, 0, 0, 0, false);
    t.status(1, 500, 100, 500, true);
    t.status(1, 900, 200, 1000, true);
    expect(t.signals(1)).toMatchObject({ id: 1, delivery: 0.2, overloads: 2 });
    expect(t.delivered(1)).toEqual({ ratio: 0.2, bytesPerSecond: (100 * 1000 * 1000) / 400, at: 900 });
    // Samples older than the window are forgotten but for the newest of them.
    t.status(1, 2000, 300, 1500, false);
    expect(t.signals(1)).toMatchObject({ delivery: 0.2, overloads: 1 });
  });

  it('measures repair asked for per first-pass byte once enough was sent', () => {
    const t = new PaceSignalsTracker(1000);
    t.tick(1, 0, 0, 0);
    t.tick(1, 250, 100, 512 * 1024);
    expect(t.signals(1).nackShare).toBeUndefined(); // too little sent to judge
    t.tick(1, 500, 1000, 2 * 1024 * 1024);
    expect(t.signals(1).nackShare).toBeCloseTo((1000 * 1000) / (2 * 1024 * 1024));
  });
});
