import { describe, expect, it } from 'vitest';
import { LossEstimate, RepairQueue, repairMargin } from '../../src/sender/repairs.js';

describe('RepairQueue', () => {
  it('merges requests for one chunk into one repair and serves the oldest chunk first', () => {
    const q = new RepairQueue();
    expect(q.add(0, 7, 10, [0, 2])).toBe(2);
    expect(q.add(0, 3, 10, [9, 1])).toBe(1);
    expect(q.add(0, 7, 10, [1, 3, 8, 1])).toBe(4); // another receiver: overlaps symbol 1
    expect(q.size).toBe(2);
    expect(q.take()).toEqual({ stream: 0, chunk: 7, symbols: Uint32Array.from([0, 1, 2, 3, 8]), parity: [] });
    expect(q.take()).toEqual({ stream: 0, chunk: 3, symbols: Uint32Array.from([9]), parity: [] });
    expect(q.take()).toBeUndefined();
  });

  it('merges FEC stripe needs as a maximum, less the sources resent in the stripe', () => {
    const q = new RepairQueue();
    // 70 symbols in stripes of 32: stripes 0 and 1 have 32 sources, stripe 2 has 6.
    expect(q.addNeeds(0, 5, 70, 32, [0, 3, 2, 1])).toBe(4); // receiver A
    expect(q.addNeeds(0, 5, 70, 32, [0, 5, 1, 2])).toBe(7); // receiver B
    expect(q.plan(0, 5)).toEqual([0, 5, 1, 2, 2, 1]); // what REPAIR_ADV announces
    expect(q.add(0, 5, 70, [0, 2])).toBe(2); // receiver C without FEC state: sources 0 and 1
    expect(q.take()).toEqual({ stream: 0, chunk: 5, symbols: Uint32Array.from([0, 1]), parity: [[0, 3], [1, 2], [2, 1]] });
    expect(q.addNeeds(0, 5, 70, 32, [2, 7])).toBe(-1); // stripe 2 has only 6 sources
    expect(q.addNeeds(0, 5, 70, 32, [3, 1])).toBe(-1); // no stripe 3
  });

  it('takes parity already on its way off late reports, and only while it may still be on its way', () => {
    const q = new RepairQueue();
    q.addNeeds(0, 5, 70, 32, [0, 5, 1, 2], 0);
    expect(q.take(0)).toEqual({ stream: 0, chunk: 5, symbols: new Uint32Array(0), parity: [[0, 5], [1, 2]] });
    q.sent(0, 5, 3, [[0, 5], [1, 2]], 100, 0);
    // A receiver that reported before that round reached it: stripe 0 is covered, stripe 1 needs 1 more.
    expect(q.addNeeds(0, 5, 70, 32, [0, 4, 1, 3], 50)).toBe(7);
    expect(q.take(50)).toEqual({ stream: 0, chunk: 5, symbols: new Uint32Array(0), parity: [[1, 1]] });
    // Fully covered: no round at all.
    expect(q.addNeeds(0, 5, 70, 32, [0, 5], 60)).toBe(5);
    expect(q.size).toBe(0);
    // Once the round has had time to arrive, a need is a new loss.
    expect(q.addNeeds(0, 5, 70, 32, [0, 2], 100)).toBe(2);
    expect(q.take(100)).toEqual({ stream: 0, chunk: 5, symbols: new Uint32Array(0), parity: [[0, 2]] });
  });

  it("keeps each chunk's collection window as it was when the chunk was first requested", () => {
    const q = new RepairQueue(660); // a large group's first pass
    q.addNeeds(0, 1, 70, 32, [0, 1], 0);
    q.windowMs = 60; // the repair tail
    q.addNeeds(0, 2, 70, 32, [0, 2], 100);
    q.addNeeds(0, 1, 70, 32, [0, 3], 150); // a later report joins chunk 1's open round
    expect(q.dueIn(100)).toBe(60);
    expect(q.take(159)).toBeUndefined();
    expect(q.take(160)).toEqual({ stream: 0, chunk: 2, symbols: new Uint32Array(0), parity: [[0, 2]] });
    expect(q.dueIn(160)).toBe(500);
    expect(q.take(660)).toEqual({ stream: 0, chunk: 1, symbols: new Uint32Array(0), parity: [[0, 3]] });
  });

  it('rejects runs outside the chunk', () => {
    const q = new RepairQueue();
    expect(q.add(0, 1, 10, [8, 3])).toBe(-1);
    expect(q.add(0, 1, 10, [2, 0])).toBe(-1);
    expect(q.size).toBe(0);
  });
});

describe('repairMargin', () => {
  // P(at least `need` of `need + margin` repair symbols arrive) when each is lost with probability p.
  const success = (need: number, margin: number, p: number): number => {
    let sum = 0;
    const n = need + margin;
    for (let lost = 0; lost <= margin; lost++) {
      let c = 1;
      for (let i = 0; i < lost; i++) c = (c * (n - i)) / (i + 1);
      sum += c * p ** lost * (1 - p) ** (n - lost);
    }
    return sum;
  };

  it('adds nothing on a clean path, or where losses are rare and needs small', () => {
    expect(repairMargin(50, 0)).toBe(0);
    for (const need of [1, 2, 3, 5]) expect(repairMargin(need, 0.01)).toBe(0);
    expect(repairMargin(0, 0.05)).toBe(0);
  });

  it('makes one round enough at least 95% of the time, where an exact round often falls short', () => {
    for (const [need, loss] of [[10, 0.05], [40, 0.05], [20, 0.1], [6, 0.03], [100, 0.01]] as const) {
      const margin = repairMargin(need, loss);
      expect(margin).toBeGreaterThan(0);
      expect(margin).toBeLessThanOrEqual(Math.ceil(need / 2));
      expect(success(need, margin, loss)).toBeGreaterThanOrEqual(0.95);
      expect(success(need, margin - 1, loss)).toBeLessThan(0.95); // the fewest that do
      expect(success(need, 0, loss)).toBeLessThan(0.85);
    }
  });
});

describe('LossEstimate', () => {
  it('follows the share asked for in chunks\' first rounds and ignores later rounds', () => {
    const e = new LossEstimate(100);
    for (let c = 0; c < 60; c++) e.firstRound(c, 36, 726); // ~5% of every chunk
    expect(e.value).toBeGreaterThan(0.045);
    expect(e.value).toBeLessThan(0.05);
    const before = e.value;
    for (let c = 0; c < 60; c++) e.firstRound(c, 2, 726); // second rounds
    expect(e.value).toBe(before);
  });

  it('reads one burst as a little loss, not as a lossy path', () => {
    const e = new LossEstimate(10);
    e.firstRound(2, 50, 726);
    expect(e.value).toBeLessThan(0.005);
  });
});
