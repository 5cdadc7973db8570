// The sender's intake of reports on a fake clock: a join is acknowledged, a
// stranger claiming a member's id is counted as forged, a NACK before the
// start repairs nothing, one past the budget in the repair tail fails its
// member, and the watch loses a receiver that went silent.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { ReceiverState } from '../../src/protocol/constants.js';
import type { Nack } from '../../src/protocol/packets.js';
import { Admission } from '../../src/sender/admission.js';
import { Participants } from '../../src/sender/participants.js';
import { Pacing } from '../../src/sender/rate.js';
import { RepairBudget } from '../../src/sender/repair-budget.js';
import type { RepairPlanner } from '../../src/sender/repair-planner.js';
import { ReportIntake, type IntakeHooks, type IntakeParts } from '../../src/sender/report-intake.js';
import { SlowReceivers } from '../../src/sender/slow-receivers.js';
import { SenderStats } from '../../src/sender/stats.js';
import { makeStatus } from '../helpers/status.js';

const nonce = Buffer.alloc(16, 3);
const stats: SenderStats[] = [];
afterEach(() => stats.splice(0).forEach((s) => s.close()));

function setup(phase: ReturnType<IntakeHooks['phase']>) {
  const clock = new FakeClock(1000);
  const participants = new Participants();
  const s = new SenderStats();
  stats.push(s);
  const asked: number[] = [];
  const acks: number[] = [];
  const events: [string, Record<string, unknown>][] = [];
  let settled = 0;
  // The planner's budget check is what is under test here: it asks for 1 MB an entry.
  const planner = { onNack: (entries: Nack['entries'], _now: number, afford: (bytes: number) => boolean) => {
    asked.push(entries.length);
    const overBudget = entries.filter(() => !afford(1e6)).length;
    return { symbolsRequested: entries.length, adverts: [], malformed: false, overBudget };
  } } as unknown as RepairPlanner;
  const parts: IntakeParts = {
    session: 1,
    receiverTimeout: 2,
    participants,
    admission: new Admission(participants, s.dropped, clock.now()),
    stats: s,
    budget: new RepairBudget(),
    pacing: new Pacing(10e6, true, clock.now(), () => {}),
    planner,
    slow: new SlowReceivers({ policy: 'catch-up', symbolSize: 1428, ceiling: 10e6, chunkCount: 16 }),
    tx: { stats: () => ({ packets: 0, bytes: 0, queueFullWaits: 0 }), firstPassProgress: 0, sendControl: () => 0 } as unknown as IntakeParts['tx'],
    reports: () => ({ ack: (id: number) => acks.push(id) }) as unknown as ReturnType<IntakeParts['reports']>,
    security: { wrapControl: (b: Buffer) => b, overhead: 0 } as unknown as IntakeParts['security'],
    chunks: { imageDigest: () => Buffer.alloc(32) } as unknown as IntakeParts['chunks'],
    clock,
  };
  const intake = new ReportIntake(parts, {
    phase: () => phase,
    emit: (event, payload) => void events.push([event, payload as Record<string, unknown>]),
    settle: () => void settled++,
    pump: () => {},
  });
  const join = (id: number): void => intake.status(makeStatus(id, { state: ReceiverState.Joined, nonce }), 60, '10.0.0.2', 4000);
  const nack = (id: number, entries: number): void => intake.nack({ session: 1, receiverId: id, entries: Array.from({ length: entries }, (_, chunk) => ({ stream: 0, chunk, kind: 1, pairs: [0, 1] })) } as unknown as Nack, 40, '10.0.0.2', 4000);
  return { clock, intake, participants, asked, acks, events, join, nack, settled: () => settled };
}

describe('ReportIntake', () => {
  it('acknowledges a join, and counts a stranger claiming the member\'s id as forged', () => {
    const t = setup('waiting');
    t.join(7);
    expect(t.events.map(([e]) => e)).toEqual(['receiver-joined']);
    expect(t.acks).toEqual([7]);
    t.intake.status(makeStatus(7, { nonce }), 60, '10.0.0.66', 4000);
    expect(t.events.at(-1)).toEqual(['forged', { receiverId: 7, address: '10.0.0.66', port: 4000 }]);
    expect(t.participants.get(7)?.address).toBe('10.0.0.2');
  });

  it('repairs nothing before the start; in the repair tail a NACK past the budget fails its member', () => {
    const waiting = setup('waiting');
    waiting.join(7);
    waiting.nack(7, 3);
    expect(waiting.asked).toEqual([]);
    const t = setup('repairing');
    t.join(7);
    t.nack(7, 2); // the budget is 2x the first pass's bytes, and nothing was sent: over it
    expect(t.asked).toEqual([2]);
    expect(t.participants.get(7)?.state).toBe('failed');
    const failed = t.events.find(([e]) => e === 'receiver-failed')![1];
    expect(failed.message).toMatch(/asked for more repair than its budget \(2x the image's wire bytes\)/);
    expect(t.settled()).toBeGreaterThan(0);
  });

  it('loses a receiver silent for longer than the receiver timeout (at least 4 s), on the fake clock', () => {
    const t = setup('sending');
    t.join(7);
    t.clock.advance(3900);
    t.intake.watch();
    expect(t.events.some(([e]) => e === 'receiver-lost')).toBe(false);
    t.clock.advance(200);
    t.intake.watch();
    expect(t.events.find(([e]) => e === 'receiver-lost')?.[1]).toMatchObject({ id: 7, state: 'lost' });
  });

  it('after a stall of the event loop, loses nobody until reports waiting in the socket could be read', () => {
    const t = setup('sending');
    t.join(7);
    t.clock.advance(250);
    t.intake.watch();
    t.clock.advance(5000); // the loop stalled: this watch runs late
    t.intake.watch();
    expect(t.events.some(([e]) => e === 'receiver-lost')).toBe(false);
    t.clock.advance(250); // on time again, and still nothing heard
    t.intake.watch();
    expect(t.events.find(([e]) => e === 'receiver-lost')?.[1]).toMatchObject({ id: 7, state: 'lost' });
  });
});
