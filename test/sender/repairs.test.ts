import { describe, expect, it } from 'vitest';
import { RepairQueue } from '../../src/sender/repairs.js';

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

  it('rejects runs outside the chunk', () => {
    const q = new RepairQueue();
    expect(q.add(0, 1, 10, [8, 3])).toBe(-1);
    expect(q.add(0, 1, 10, [2, 0])).toBe(-1);
    expect(q.size).toBe(0);
  });
});
