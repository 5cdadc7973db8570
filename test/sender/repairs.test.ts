import { describe, expect, it } from 'vitest';
import { RepairQueue } from '../../src/sender/repairs.js';

describe('RepairQueue', () => {
  it('merges requests for one chunk into one repair and serves the oldest chunk first', () => {
    const q = new RepairQueue();
    expect(q.add(0, 7, 10, [0, 2])).toBe(2);
    expect(q.add(0, 3, 10, [9, 1])).toBe(1);
    expect(q.add(0, 7, 10, [1, 3, 8, 1])).toBe(4); // another receiver: overlaps symbol 1
    expect(q.size).toBe(2);
    expect(q.take()).toEqual({ stream: 0, chunk: 7, symbols: Uint32Array.from([0, 1, 2, 3, 8]) });
    expect(q.take()).toEqual({ stream: 0, chunk: 3, symbols: Uint32Array.from([9]) });
    expect(q.take()).toBeUndefined();
  });

  it('rejects runs outside the chunk', () => {
    const q = new RepairQueue();
    expect(q.add(0, 1, 10, [8, 3])).toBe(-1);
    expect(q.add(0, 1, 10, [2, 0])).toBe(-1);
    expect(q.size).toBe(0);
  });
});
