import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { REPAIR_HOLD_MS, REPAIR_WINDOW_MS, collectionWindowMs } from '../../src/defaults.js';
import { REPAIR_BIT, Stream } from '../../src/protocol/constants.js';
import { NackKind, type NackEntry } from '../../src/protocol/packets.js';
import { repairSymbolId } from '../../src/protocol/symbols.js';
import { wholeChunkNeeds } from '../../src/sender/parity.js';
import { RepairPlanner, type ChunkGeometry } from '../../src/sender/repair-planner.js';

const I = Stream.Image;
const M = Stream.Manifest;
/** Image chunk 0: 70 symbols of 1000 bytes (stripes of 32, 32 and 6); chunk 1: a zero chunk; chunk 2: 10 symbols. Manifest: 1 chunk of 5 symbols. */
const geometry: ChunkGeometry = {
  streamChunks: (stream) => (stream === I ? 3 : stream === M ? 1 : 0),
  chunkLength: (stream, chunk) => (stream === M ? 5000 : [70_000, 0, 10_000][chunk]!),
};
const planner = (o: { stripeSize?: number; fecRatio?: number } = {}) => new RepairPlanner({ stripeSize: o.stripeSize ?? 32, symbolSize: 1000, fecRatio: o.fecRatio ?? 0, imageChunks: 3 }, geometry);
const needs = (chunk: number, pairs: number[], stream: number = I): NackEntry => ({ stream, chunk, kind: NackKind.StripeNeeds, pairs });
const runs = (chunk: number, pairs: number[], stream: number = I): NackEntry => ({ stream, chunk, kind: NackKind.SourceRuns, pairs });
const parityIds = (stripe: number, from: number, n: number) => Array.from({ length: n }, (_, i) => repairSymbolId(stripe, from + i));

describe('repairSymbolId', () => {
  it('puts the repair bit, the stripe and the parity index in one id', () => {
    expect(repairSymbolId(0, 0)).toBe(REPAIR_BIT);
    expect(repairSymbolId(3, 7)).toBe((REPAIR_BIT + 3 * 65536 + 7) >>> 0);
    expect(repairSymbolId(0x7fff, 0xffff)).toBe(0xffffffff);
  });
});

describe('RepairPlanner NACK intake', () => {
  it('gathers reports of a loss over the collection window, then serves one round for all', () => {
    const clock = new FakeClock(1000);
    const p = planner();
    expect(p.onNack([needs(0, [0, 3])], clock.now())).toEqual({ symbolsRequested: 3, adverts: [{ stream: I, chunk: 0, stripes: [0, 3] }], malformed: false, overBudget: 0 });
    clock.advance(10);
    expect(p.onNack([needs(0, [0, 5, 1, 2])], clock.now()).adverts).toEqual([{ stream: I, chunk: 0, stripes: [0, 5, 1, 2] }]);
    expect(p.dueIn(clock.now())).toBe(REPAIR_WINDOW_MS - 10);
    expect(p.take(clock.now())).toBeUndefined();
    clock.advance(REPAIR_WINDOW_MS - 10);
    expect(p.dueIn(clock.now())).toBe(0);
    expect(p.take(clock.now())).toEqual({ stream: I, chunk: 0, symbols: new Uint32Array(0), parity: [[0, 5], [1, 2]] });
  });

  it('multicasts a REPAIR_ADV only when the planned round grows', () => {
    const p = planner();
    expect(p.onNack([needs(0, [0, 4])], 0).adverts).toHaveLength(1);
    expect(p.onNack([needs(0, [0, 2])], 0).adverts).toEqual([]); // already covered: the receiver stays silent
    expect(p.onNack([runs(0, [0, 2])], 0).adverts).toEqual([]); // source runs are not advertised
  });

  it('asks for everything of a chunk a receiver has nothing of', () => {
    const fec = planner();
    expect(fec.onNack([{ stream: I, chunk: 0, kind: NackKind.WholeChunk, pairs: [] }], 0)).toEqual({
      symbolsRequested: 70,
      adverts: [{ stream: I, chunk: 0, stripes: wholeChunkNeeds(70, 32) }],
      malformed: false,
      overBudget: 0,
    });
    expect(wholeChunkNeeds(70, 32)).toEqual([0, 32, 1, 32, 2, 6]);
    const plain = planner({ stripeSize: 0 });
    expect(plain.onNack([{ stream: M, chunk: 0, kind: NackKind.WholeChunk, pairs: [] }], 0).symbolsRequested).toBe(5);
    expect(plain.take(REPAIR_WINDOW_MS)).toEqual({ stream: M, chunk: 0, symbols: Uint32Array.from([0, 1, 2, 3, 4]), parity: [] });
  });

  it('skips chunks with nothing to repair, and stops at a malformed entry keeping those before it', () => {
    const p = planner();
    expect(p.onNack([needs(1, [0, 1])], 0)).toEqual({ symbolsRequested: 0, adverts: [], malformed: false, overBudget: 0 }); // a zero chunk
    expect(p.onNack([needs(2, [0, 1]), runs(0, [69, 2]), needs(0, [0, 1])], 0)).toEqual({
      symbolsRequested: 1,
      adverts: [{ stream: I, chunk: 2, stripes: [0, 1] }],
      malformed: true,
      overBudget: 0,
    });
    expect(p.onNack([needs(3, [0, 1])], 0).malformed).toBe(true); // beyond the image
    expect(p.onNack([needs(0, [0, 1], 7)], 0).malformed).toBe(true); // no such stream
    expect(planner({ stripeSize: 0 }).onNack([needs(0, [0, 1])], 0).malformed).toBe(true); // stripe needs without FEC
  });

  it('follows the NACK backoff window announced to receivers', () => {
    const p = planner();
    p.setBackoff(300);
    p.onNack([needs(0, [0, 1])], 0);
    expect(p.dueIn(0)).toBe(collectionWindowMs(300));
  });
});

describe('RepairPlanner rounds', () => {
  it('sends fresh parity no receiver has had, and takes it off reports that predate its arrival', () => {
    const clock = new FakeClock(0);
    const p = planner();
    p.onNack([needs(0, [0, 3, 2, 1])], clock.now());
    clock.advance(REPAIR_WINDOW_MS);
    const r1 = p.take(clock.now())!;
    const round1 = p.round(r1, 70_000, clock.now(), 1e6);
    expect(round1).toEqual({ symbols: new Uint32Array(0), parity: Uint32Array.from([...parityIds(0, 0, 3), ...parityIds(2, 0, 1)]) });
    // A report sent before round 1 arrived: only its need beyond round 1 is new.
    clock.advance(REPAIR_HOLD_MS);
    expect(p.onNack([needs(0, [0, 5])], clock.now()).adverts).toEqual([{ stream: I, chunk: 0, stripes: [0, 2] }]);
    clock.advance(REPAIR_WINDOW_MS);
    const round2 = p.round(p.take(clock.now())!, 70_000, clock.now(), 1e6);
    expect(round2.parity).toEqual(Uint32Array.from(parityIds(0, 3, 2))); // the next unused indices
    // Once round 2 has had time to arrive (4 symbols at 1 MB/s + the hold), a need is a new loss.
    clock.advance(2 + REPAIR_HOLD_MS);
    expect(p.onNack([needs(0, [0, 2])], clock.now()).adverts).toEqual([{ stream: I, chunk: 0, stripes: [0, 2] }]);
  });

  it('resends a stripe\'s sources when its parity would run out, and starts its parity over', () => {
    const big: ChunkGeometry = { streamChunks: () => 1, chunkLength: () => 200_000 }; // one stripe of 200 sources: 55 parity
    const p = new RepairPlanner({ stripeSize: 200, symbolSize: 1000, fecRatio: 0, imageChunks: 1 }, big);
    let t = 0;
    const round = (need: number) => {
      t += 1000; // past the previous round's hold
      p.onNack([needs(0, [0, need])], t);
      t += 1000;
      return p.round(p.take(t)!, 200_000, t, 0);
    };
    expect(round(50).parity).toEqual(Uint32Array.from(parityIds(0, 0, 50)));
    const resent = round(10); // 5 left
    expect(resent.parity).toHaveLength(0);
    expect(resent.symbols).toEqual(Uint32Array.from({ length: 200 }, (_, i) => i));
    expect(round(10).parity.subarray(0, 10)).toEqual(Uint32Array.from(parityIds(0, 0, 10)));
  });

  it('adds a margin once the loss estimate says repairs cross a lossy path', () => {
    const p = planner();
    let t = 0;
    // Chunk 0's first round: 7 of 70 symbols lost (10%).
    p.onNack([needs(0, [0, 3, 1, 3, 2, 1])], t);
    t += 100;
    expect(p.round(p.take(t)!, 70_000, t, 0).parity).toHaveLength(7); // no estimate yet: no margin
    t += 1000;
    p.onNack([needs(0, [0, 20])], t);
    t += 100;
    expect(p.round(p.take(t)!, 70_000, t, 0).parity.length).toBeGreaterThan(20);
  });

  it('resends sources named missing without FEC', () => {
    const p = planner({ stripeSize: 0 });
    p.onNack([runs(0, [3, 2]), runs(0, [4, 2])], 0);
    expect(p.round(p.take(1000)!, 70_000, 1000, 0)).toEqual({ symbols: Uint32Array.from([3, 4, 5]), parity: new Uint32Array(0) });
  });
});

describe('RepairPlanner first pass', () => {
  it('sends the chunk as it is without proactive FEC', () => {
    expect(planner().firstPass(I, 0, 70_000)).toEqual({});
    expect(planner({ stripeSize: 0, fecRatio: 0.1 }).firstPass(I, 0, 70_000)).toEqual({});
  });

  it('adds proactive parity, one of each stripe in turn, and never repeats it in repairs', () => {
    const p = planner({ fecRatio: 0.1 });
    const { symbols, parity } = p.firstPass(I, 0, 70_000);
    expect(symbols).toEqual(Uint32Array.from({ length: 70 }, (_, i) => i));
    // ceil(32 * 0.1) = 4, 4, ceil(6 * 0.1) = 1
    expect(parity).toEqual(Uint32Array.from([repairSymbolId(0, 0), repairSymbolId(1, 0), repairSymbolId(2, 0), ...[1, 2, 3].flatMap((i) => [repairSymbolId(0, i), repairSymbolId(1, i)])]));
    p.onNack([needs(0, [0, 1])], 0);
    expect(p.round(p.take(1000)!, 70_000, 1000, 0).parity).toEqual(Uint32Array.from([repairSymbolId(0, 4)]));
  });
});
