import { describe, expect, it } from 'vitest';
import { Stream } from '../../src/protocol/constants.js';
import { NackKind, type NackEntry } from '../../src/protocol/packets.js';
import { CatchUpPace, CatchUpQueues, MIN_PACE } from '../../src/sender/catch-up.js';
import { RepairPlanner, type ChunkGeometry } from '../../src/sender/repair-planner.js';
import { RepairQueue } from '../../src/sender/repairs.js';

const I = Stream.Image;
const M = Stream.Manifest;
const needs = (chunk: number, pairs: number[], stream: number = I): NackEntry => ({ stream, chunk, kind: NackKind.StripeNeeds, pairs });
const runs = (chunk: number, pairs: number[]): NackEntry => ({ stream: I, chunk, kind: NackKind.SourceRuns, pairs });
/** Image chunks of 70 symbols of 1000 bytes (stripes of 32, 32 and 6); one manifest chunk of 5. */
const geometry: ChunkGeometry = { streamChunks: (s) => (s === I ? 10 : 1), chunkLength: (s) => (s === M ? 5000 : 70_000) };

describe('catch-up pace', () => {
  it('drops just under what reaches the receiver, then grows while nearly all of it arrives', () => {
    const p = new CatchUpPace(40e6, 47.5e6);
    p.delivered(0, 0.25, 5e6); // a quarter reaches it, alone on the wire with gaps: 40 MB/s × 0.25 × 0.95
    expect(p.rate).toBeCloseTo(9.5e6);
    p.delivered(100, 0.1, 1e6); // at most one change per 500 ms
    expect(p.rate).toBeCloseTo(9.5e6);
    p.delivered(600, 0.99, 9e6);
    expect(p.rate).toBeCloseTo(10.45e6);
    p.delivered(1200, 0.9, 9e6); // between: holds
    expect(p.rate).toBeCloseTo(10.45e6);
    // Behind a full link while the group's pass goes at 50 MB/s: what reached it, not a share of its pace.
    p.delivered(1800, 0.08, 4e6);
    expect(p.rate).toBeCloseTo(3.8e6);
    p.delivered(2400, 0.08, 4e6);
    expect(p.rate).toBeCloseTo(3.8e6);
  });

  it('stays between its floor and the session ceiling', () => {
    const p = new CatchUpPace(1e6, 2e6);
    p.delivered(0, 0.01, 0);
    expect(p.rate).toBe(MIN_PACE);
    const q = new CatchUpPace(100e6, 2e6);
    expect(q.rate).toBe(2e6);
    for (let t = 0; t < 10_000; t += 500) q.delivered(t, 1, 2e6);
    expect(q.rate).toBe(2e6);
  });
});

describe('catch-up queues', () => {
  it("route a slow receiver's every entry, a late joiner's only below where the pass stood", () => {
    const q = new CatchUpQueues();
    q.add(1, 1e6, 0);
    q.add(2, 1e6, 0, 5);
    expect(q.route(1, needs(9, [0, 1]))).toBeInstanceOf(RepairQueue);
    expect(q.route(2, needs(4, [0, 1]))).toBeInstanceOf(RepairQueue);
    expect(q.route(2, needs(5, [0, 1]))).toBeUndefined(); // sent since it joined: the group's
    expect(q.route(1, needs(0, [0, 1], M))).toBeUndefined(); // the manifest: small, and needed to take in the pass
    expect(q.route(3, needs(0, [0, 1]))).toBeUndefined(); // keeps up
  });

  it('serves catching-up receivers in turn, each at its own pace', () => {
    const q = new CatchUpQueues();
    q.add(1, 1e6, 0);
    q.add(2, 3e6, 0);
    for (const id of [1, 2]) for (const chunk of [0, 1]) q.route(id, needs(chunk, [0, 1]))!.addNeeds(I, chunk, 70, 32, [0, id], 0);
    expect(q.pending).toBe(true);
    const order = [];
    for (let r; (r = q.next(0)); ) order.push([r.id, r.request.chunk, r.rate, r.request.parity]);
    expect(order).toEqual([
      [1, 0, 1e6, [[0, 1]]],
      [2, 0, 3e6, [[0, 2]]],
      [1, 1, 1e6, [[0, 1]]],
      [2, 1, 3e6, [[0, 2]]],
    ]);
    expect(q.pending).toBe(false);
    q.remove(1);
    expect(q.ids()).toEqual([2]);
  });
});

describe('catch-up NACK intake', () => {
  it('keeps a catching-up receiver off the group queue and its REPAIR_ADVs, and charges it only what it adds', () => {
    const planner = new RepairPlanner({ stripeSize: 32, symbolSize: 1000, fecRatio: 0, imageChunks: 10 }, geometry);
    const own = new RepairQueue(0);
    const charged: number[] = [];
    const afford = (bytes: number): boolean => (charged.push(bytes), true);
    const d = planner.onNack([needs(3, [0, 20, 1, 5]), runs(4, [0, 10])], 0, afford, () => own);
    expect(d).toMatchObject({ symbolsRequested: 35, adverts: [], overBudget: 0 });
    expect(planner.dueIn(0)).toBeUndefined(); // nothing for the group
    expect(own.size).toBe(2);
    // It asks again for what it still lacks while its round waits: charged nothing more.
    planner.onNack([needs(3, [0, 20, 1, 5]), runs(4, [5, 5])], 10, afford, () => own);
    // More than before: charged the difference only.
    planner.onNack([needs(3, [0, 22]), runs(4, [8, 4])], 20, afford, () => own);
    expect(charged).toEqual([25_000, 10_000, 2_000, 2_000]);
    const r = own.take(20)!;
    expect(r.parity).toEqual([[0, 22], [1, 5]]);
    const round = planner.round(r, 70_000, 20, 1e6, own);
    expect(round.parity.length).toBe(27);
    // The round's parity is on its way: a report that predates it adds nothing.
    expect(own.unplanned(I, 3, true, [0, 22], 21)).toBe(0);
  });
});
