// The repair credit, alone and in front of the planner: the amplification a
// member can cause, measured by driving the planner as the session does.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { REPAIR_WINDOW_MS } from '../../src/defaults.js';
import { symbolCount } from '../../src/image/geometry.js';
import { Stream } from '../../src/protocol/constants.js';
import { NackKind } from '../../src/protocol/packets.js';
import { REPAIR_CREDIT_FACTOR, RepairBudget } from '../../src/sender/repair-budget.js';
import { RepairPlanner, type ChunkGeometry } from '../../src/sender/repair-planner.js';

describe('RepairBudget', () => {
  it('grows with the first pass, charges what fits and refuses the rest whole', () => {
    const b = new RepairBudget(2);
    const m = { repairCharged: 0 };
    expect(b.charge(m, 1)).toBe(false); // nothing sent yet: nothing to ask for
    b.firstPassSent(1000);
    expect(b.credit(m)).toBe(2000);
    expect(b.charge(m, 1500)).toBe(true);
    expect(b.charge(m, 600)).toBe(false);
    expect(m.repairCharged).toBe(1500);
    expect(b.charge(m, 500)).toBe(true);
    expect(b.credit(m)).toBe(0);
    b.firstPassSent(10);
    expect(b.credit(m)).toBe(20);
  });
});

/**
 * A 64-chunk image of 1 MiB chunks (1444-byte symbols, stripes of 200), all
 * sent once; then one member NACKs every chunk as a whole chunk every
 * `everyMs`, and every repair round the planner makes is counted. Returns
 * the first pass's bytes, what the member was charged and the repair bytes
 * the rounds carry (sources + parity, margins included).
 */
function amplification(o: { rounds: number; everyMs: number; factor?: number }) {
  const symbolSize = 1444;
  const chunkSize = 1024 * 1024;
  const chunks = 64;
  const geometry: ChunkGeometry = { streamChunks: (s) => (s === Stream.Image ? chunks : 0), chunkLength: () => chunkSize };
  const planner = new RepairPlanner({ stripeSize: 200, symbolSize, fecRatio: 0, imageChunks: chunks }, geometry);
  const budget = new RepairBudget(o.factor);
  for (let c = 0; c < chunks; c++) budget.firstPassSent(chunkSize);
  const member = { repairCharged: 0 };
  const clock = new FakeClock(0);
  const whole = Array.from({ length: chunks }, (_, chunk) => ({ stream: Stream.Image, chunk, kind: NackKind.WholeChunk, pairs: [] as number[] }));
  let repairBytes = 0;
  let overBudget = 0;
  for (let round = 0; round < o.rounds; round++) {
    // A NACK packet holds ~170 whole-chunk entries: all 64 fit in one.
    overBudget += planner.onNack(whole, clock.now(), (bytes) => budget.charge(member, bytes)).overBudget;
    clock.advance(REPAIR_WINDOW_MS);
    for (let r = planner.take(clock.now()); r; r = planner.take(clock.now())) {
      const { symbols, parity } = planner.round(r, chunkSize, clock.now(), 100e6);
      repairBytes += (symbols.length + parity.length) * symbolSize;
    }
    clock.advance(o.everyMs - REPAIR_WINDOW_MS);
  }
  return { firstPass: chunks * chunkSize, charged: member.repairCharged, repairBytes, overBudget, symbolsPerChunk: symbolCount(chunkSize, symbolSize) };
}

describe('amplification a member can cause (issue 16)', () => {
  it('whole-chunk NACKs of every chunk, repeated: the rounds stop at the credit, 2x the first pass asked', () => {
    const a = amplification({ rounds: 20, everyMs: 1000 });
    const credit = REPAIR_CREDIT_FACTOR * a.firstPass;
    // What the member's entries asked for never exceeds its credit...
    expect(a.charged).toBeLessThanOrEqual(credit);
    // ...and is within one chunk's ask of it: every entry it could afford was served.
    expect(credit - a.charged).toBeLessThan(a.symbolsPerChunk * 1444);
    expect(a.overBudget).toBeGreaterThan(0);
    // The repair bytes sent for it: its ask, plus the sender's own loss margin
    // (which a NACK naming everything drives to its 20% cap).
    expect(a.repairBytes).toBeLessThanOrEqual(1.5 * credit);
    // Figures for bench/RESULTS.md ("Issue 16: amplification").
    console.log(`amplification: first pass ${a.firstPass} B, credit ${credit} B, charged ${a.charged} B, repair sent ${a.repairBytes} B (${(a.repairBytes / a.firstPass).toFixed(2)}x the first pass), entries refused ${a.overBudget}`);
  });

  it('without the budget the same member makes the sender repair without end', () => {
    const a = amplification({ rounds: 20, everyMs: 1000, factor: Infinity });
    expect(a.overBudget).toBe(0);
    expect(a.repairBytes).toBeGreaterThan(19 * a.firstPass);
  });
});
