import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { NACK_HOLDOFF_MS } from '../../src/defaults.js';
import { Phase, Stream } from '../../src/protocol/constants.js';
import { NackKind } from '../../src/protocol/packets.js';
import { nackBackoffMs } from '../../src/receiver/backoff.js';
import { MAX_ADVERTS, MAX_SUPPRESSIONS, NackPolicy, streamsToCheck, type NackAnnounce, type StreamLosses } from '../../src/receiver/nack-policy.js';
import { advertTrustMs } from '../../src/receiver/timing.js';

const sending: NackAnnounce = { phase: Phase.Sending, progress: 10, chunkCount: 100, groupSize: 1, nackBackoffMs: 0, rateKiB: 0 };
const repairing: NackAnnounce = { ...sending, phase: Phase.Repairing };

/** One stream's losses in the native receiver's flat form: (chunk, kind, count, pairs...) per entry. */
function losses(stream: number, ...entries: [chunk: number, kind: number, pairs: number[]][]): StreamLosses {
  const flat: number[] = [];
  for (const [chunk, kind, pairs] of entries) flat.push(chunk, kind, pairs.length / 2, ...pairs);
  return { stream, flat: Uint32Array.from(flat) };
}

/** A policy whose random backoff is always 0: losses are reported at once. */
const eager = (): NackPolicy => new NackPolicy(undefined, () => 0);

describe('NACK policy: what is due', () => {
  it('looks at nothing while the sender waits to start', () => {
    expect(eager().reach({ ...sending, phase: Phase.Waiting }, 2, true, 50, 1)).toBeUndefined();
  });

  it('asks for the manifest first, and for image chunks once it is known', () => {
    const p = eager();
    // Nothing of the image seen and no progress: only the manifest chunks seen so far.
    expect(p.reach({ ...sending, progress: 0 }, 3, false, -1, 1)).toEqual({ manifestBelow: 1, imageBelow: 0 });
    // The sender has moved on to the image: the whole manifest is due.
    expect(p.reach(sending, 3, false, 12, 1)).toEqual({ manifestBelow: 3, imageBelow: 0 });
    expect(p.reach({ ...sending, progress: 0 }, 3, false, 0, -1)).toEqual({ manifestBelow: 3, imageBelow: 0 });
    expect(p.reach({ ...repairing, progress: 0 }, 3, false, -1, -1)).toEqual({ manifestBelow: 3, imageBelow: 0 });
  });

  it('trusts data beyond the announced progress only a few chunks ahead', () => {
    const p = eager();
    expect(p.reach(sending, 3, true, 5, 2)).toEqual({ manifestBelow: 0, imageBelow: 10 });
    expect(p.reach(sending, 3, true, 14, 2)).toEqual({ manifestBelow: 0, imageBelow: 14 });
    expect(p.reach(sending, 3, true, 90, 2)).toEqual({ manifestBelow: 0, imageBelow: 18 });
    expect(p.reach(repairing, 3, true, 5, 2)).toEqual({ manifestBelow: 0, imageBelow: 100 });
  });

  it('lists the streams to ask about, manifest first, skipping empty ones', () => {
    expect(streamsToCheck({ manifestBelow: 3, imageBelow: 0 })).toEqual([{ stream: Stream.Manifest, below: 3 }]);
    expect(streamsToCheck({ manifestBelow: 0, imageBelow: 7 })).toEqual([{ stream: Stream.Image, below: 7 }]);
  });
});

describe('NACK policy: when to report', () => {
  it('reports a loss, then not again within the holdoff', () => {
    const clock = new FakeClock(0);
    const p = eager();
    const lost = [losses(Stream.Image, [3, NackKind.SourceRuns, [0, 2, 5, 1]])];
    const first = p.plan(clock.now(), sending, lost);
    expect(first.entries).toEqual([{ stream: Stream.Image, chunk: 3, kind: NackKind.SourceRuns, pairs: [0, 2, 5, 1] }]);
    expect(first.outstanding).toBe(true);
    expect(p.counters.symbolsRequested).toBe(3);
    clock.advance(NACK_HOLDOFF_MS - 1);
    const held = p.plan(clock.now(), sending, lost);
    expect(held).toEqual({ entries: [], outstanding: true });
    clock.advance(1);
    expect(p.plan(clock.now(), sending, lost).entries).toHaveLength(1);
    expect(p.counters.symbolsRequested).toBe(6);
  });

  it('holds reports back longer on a slow sender', () => {
    const clock = new FakeClock(1000);
    const p = eager();
    const slow = { ...sending, rateKiB: 1000 }; // holdoff 572 ms
    const lost = [losses(Stream.Image, [3, NackKind.WholeChunk, []])];
    expect(p.plan(clock.now(), slow, lost).entries).toHaveLength(1);
    clock.advance(500);
    expect(p.plan(clock.now(), slow, lost).entries).toHaveLength(0);
    clock.advance(72);
    expect(p.plan(clock.now(), slow, lost).entries).toHaveLength(1);
  });

  it('waits out the random backoff before a first report, and says when it ends', () => {
    const clock = new FakeClock(0);
    const p = new NackPolicy(undefined, () => 0.5);
    const announce = { ...sending, groupSize: 50, nackBackoffMs: 200 };
    const delay = nackBackoffMs(200, 50, 0.5);
    const lost = [losses(Stream.Image, [4, NackKind.WholeChunk, []])];
    expect(p.nextDue()).toBe(Infinity);
    expect(p.plan(clock.now(), announce, lost)).toEqual({ entries: [], outstanding: true });
    expect(p.nextDue()).toBe(delay);
    clock.set(delay);
    expect(p.plan(clock.now(), announce, lost).entries).toEqual([{ stream: Stream.Image, chunk: 4, kind: NackKind.WholeChunk, pairs: [] }]);
    expect(p.nextDue()).toBe(Infinity);
  });

  it('forgets the backoff of a loss repaired before it was reported', () => {
    const clock = new FakeClock(0);
    const p = new NackPolicy(undefined, () => 0.9);
    p.plan(clock.now(), sending, [losses(Stream.Image, [4, NackKind.WholeChunk, []])]);
    expect(p.nextDue()).toBeLessThan(Infinity);
    clock.advance(5);
    expect(p.plan(clock.now(), sending, [])).toEqual({ entries: [], outstanding: false });
    expect(p.nextDue()).toBe(Infinity);
  });

  it('skips stripe entries held parity already covers, but not whole-chunk entries', () => {
    const p = eager();
    const plan = p.plan(0, sending, [losses(Stream.Image, [1, NackKind.StripeNeeds, []], [2, NackKind.WholeChunk, []])]);
    expect(plan.entries.map((e) => e.chunk)).toEqual([2]);
    expect(plan.outstanding).toBe(true);
  });

  it('keeps the manifest and the image apart', () => {
    const p = eager();
    const both = [losses(Stream.Manifest, [0, NackKind.WholeChunk, []]), losses(Stream.Image, [0, NackKind.WholeChunk, []])];
    expect(p.plan(0, sending, both).entries.map((e) => e.stream)).toEqual([Stream.Manifest, Stream.Image]);
  });
});

describe('NACK policy: suppression by REPAIR_ADV', () => {
  const needs = (pairs: number[]): StreamLosses[] => [losses(Stream.Image, [7, NackKind.StripeNeeds, pairs])];

  it('stays silent when a recent advert plans enough parity in every stripe', () => {
    const clock = new FakeClock(0);
    const p = eager();
    p.advertise(Stream.Image, 7, [0, 3, 1, 2], clock.now());
    clock.advance(10);
    expect(p.plan(clock.now(), sending, needs([0, 3, 1, 1]))).toEqual({ entries: [], outstanding: true });
    expect(p.counters).toEqual({ nacksSuppressed: 1, symbolsRequested: 0 });
    // The suppressed report counts as made: the holdoff applies to it.
    clock.advance(NACK_HOLDOFF_MS - 1);
    expect(p.plan(clock.now(), sending, needs([0, 3, 1, 1])).entries).toEqual([]);
    expect(p.counters.nacksSuppressed).toBe(1);
  });

  it('reports when the advert plans too little, or names another stripe', () => {
    const p = eager();
    p.advertise(Stream.Image, 7, [0, 3], 0);
    expect(p.plan(1, sending, needs([0, 4])).entries).toHaveLength(1);
    const q = eager();
    q.advertise(Stream.Image, 7, [0, 3], 0);
    expect(q.plan(1, sending, needs([1, 1])).entries).toHaveLength(1);
    expect(q.counters).toEqual({ nacksSuppressed: 0, symbolsRequested: 1 });
  });

  it('ignores an advert older than the trust window, and drops it', () => {
    const clock = new FakeClock(0);
    const p = eager();
    p.advertise(Stream.Image, 7, [0, 3], clock.now());
    p.advertise(Stream.Image, 8, [0, 3], clock.now());
    expect(p.advertCount).toBe(2);
    clock.advance(advertTrustMs(20));
    expect(p.plan(clock.now(), sending, []).entries).toEqual([]);
    expect(p.advertCount).toBe(2); // exactly the window old: still trusted
    clock.advance(1);
    expect(p.plan(clock.now(), sending, needs([0, 1])).entries).toHaveLength(1);
    expect(p.advertCount).toBe(0);
  });

  it('trusts adverts longer when the sender spreads reports over a wider window', () => {
    const clock = new FakeClock(0);
    const p = eager();
    const wide = { ...sending, nackBackoffMs: 300 };
    p.advertise(Stream.Image, 7, [0, 3], clock.now());
    clock.advance(advertTrustMs(300));
    expect(p.plan(clock.now(), wide, needs([0, 1])).entries).toEqual([]);
    expect(p.counters.nacksSuppressed).toBe(1);
  });

  it('holds at most MAX_ADVERTS adverts, forgetting the oldest first', () => {
    const p = eager();
    for (let c = 0; c < MAX_ADVERTS + 500; c++) p.advertise(Stream.Image, c, [0, 3], 0);
    expect(p.advertCount).toBe(MAX_ADVERTS);
    // Chunk 0's advert was among the first: forgotten, so its need is reported.
    expect(p.plan(1, sending, [losses(Stream.Image, [0, NackKind.StripeNeeds, [0, 1]])]).entries).toHaveLength(1);
    // The newest are kept: chunk MAX_ADVERTS + 499's need is covered.
    expect(p.plan(1, sending, [losses(Stream.Image, [MAX_ADVERTS + 499, NackKind.StripeNeeds, [0, 1]])]).entries).toEqual([]);
  });

  it('stays silent for a chunk at most MAX_SUPPRESSIONS times in a row, however many adverts come', () => {
    const clock = new FakeClock(0);
    const p = eager();
    const sent: number[] = [];
    for (let round = 0; round < 3 * (MAX_SUPPRESSIONS + 1); round++) {
      // A fresh (forged) advert before every round, each claiming to cover the need.
      p.advertise(Stream.Image, 7, [0, 3], clock.now());
      if (p.plan(clock.now(), sending, needs([0, 1])).entries.length > 0) sent.push(round);
      clock.advance(NACK_HOLDOFF_MS);
    }
    expect(sent).toEqual([2, 5, 8]);
    expect(MAX_SUPPRESSIONS).toBe(2);
    expect(p.counters.nacksSuppressed).toBe(6);
  });
});

describe('NACK policy: a large request', () => {
  it('asks again for an entry only once the bytes asked before it could have been sent at the announced rate', () => {
    // 1 MiB chunks at 8 MiB/s: the 40th whole chunk of one request cannot arrive within 5 s.
    const a: NackAnnounce = { ...repairing, rateKiB: 8192, chunkSize: 1 << 20, symbolSize: 1024 };
    const p = eager();
    const clock = new FakeClock(0);
    const all = losses(Stream.Image, ...Array.from({ length: 40 }, (_, c): [number, number, number[]] => [c, NackKind.WholeChunk, []]));
    expect(p.plan(clock.now(), a, [all]).entries.length).toBe(40);
    clock.advance(NACK_HOLDOFF_MS * 4);
    // Only the first entries' repairs are due by now: only those are asked for again.
    const again = p.plan(clock.now(), a, [all]).entries.map((e) => e.chunk);
    expect(again.length).toBeGreaterThan(0);
    expect(again.length).toBeLessThan(40 * ((NACK_HOLDOFF_MS * 4) / 5000) + 2);
    expect(again).toEqual(Array.from({ length: again.length }, (_, c) => c));
    clock.advance(6000);
    expect(p.plan(clock.now(), a, [all]).entries.length).toBe(40);
  });
});
