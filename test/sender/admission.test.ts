// Who may report to the sender: joins, members pinned to their address and
// nonce, and the limits on members, joins and reports, on a fake clock.
import { makeStatus } from '../helpers/status.js';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { ReceiverState } from '../../src/protocol/constants.js';
import type { Status } from '../../src/protocol/packets.js';
import { Admission, MEMBER_LIMITS, noDrops, type MemberLimits } from '../../src/sender/admission.js';
import { Participants } from '../../src/sender/participants.js';
import { TokenBucket } from '../../src/sender/token-bucket.js';

const digest = Buffer.alloc(32, 7);
const nonceOf = (id: number) => Buffer.alloc(16, id);
const status = (receiverId: number, o: Partial<Status> = {}): Status => makeStatus(receiverId, { nonce: nonceOf(receiverId), ...o });

/** An admission over a fresh table; `report` runs a STATUS through it and, if taken, into the table. */
function setup(limits: Partial<MemberLimits> = {}) {
  const clock = new FakeClock(0);
  const members = new Participants();
  const dropped = noDrops();
  const admission = new Admission(members, dropped, clock.now(), 1, { ...MEMBER_LIMITS, ...limits });
  const report = (s: Status, address = `10.0.0.${s.receiverId}`, port = 4000) => {
    const v = admission.status(s, address, port, clock.now());
    if (v.take) members.intake(s, address, port, clock.now(), digest);
    return v;
  };
  return { clock, members, dropped, admission, report };
}

describe('TokenBucket', () => {
  it('allows a burst, then the rate, on the clock it is given', () => {
    const b = new TokenBucket(3, 10, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(99)).toBe(false);
    expect(b.take(100)).toBe(true);
    expect(b.take(10_000) && b.take(10_000) && b.take(10_000)).toBe(true);
    expect(b.take(10_000)).toBe(false); // never more than the burst
  });
});

describe('Admission', () => {
  it('takes a join, then only the member at the address, port and nonce it joined with', () => {
    const { report, dropped, members } = setup();
    expect(report(status(1, { state: ReceiverState.Joined }))).toEqual({ take: 'join', overload: false });
    expect(report(status(1))).toEqual({ take: 'member', overload: false });
    expect(report(status(1), '10.6.6.6')).toEqual({ take: false, member: undefined, why: 'forged' });
    expect(report(status(1), '10.0.0.1', 4001)).toMatchObject({ take: false, why: 'forged' });
    expect(report(status(1, { nonce: Buffer.alloc(16, 9) }))).toMatchObject({ take: false, why: 'forged' });
    expect(dropped.forged).toBe(3);
    expect(members.get(1)!.address).toBe('10.0.0.1');
  });

  it('takes a restarted member back (same id and address, JOINED, a fresh nonce from any port); nothing else with another nonce', () => {
    const { report, dropped, members } = setup();
    report(status(1, { state: ReceiverState.Joined }));
    report(status(1));
    const again = status(1, { state: ReceiverState.Joined, nonce: Buffer.alloc(16, 42) });
    expect(report(again, '10.6.6.6', 5000)).toMatchObject({ take: false, why: 'forged' }); // another address
    expect(report({ ...again, state: ReceiverState.Receiving }, '10.0.0.1', 5000)).toMatchObject({ take: false, why: 'forged' });
    expect(report(again, '10.0.0.1', 5000)).toEqual({ take: 'rejoin', overload: false });
    members.rejoin(again, 5000, 0);
    expect(report(status(1, { nonce: Buffer.alloc(16, 42) }), '10.0.0.1', 5000)).toEqual({ take: 'member', overload: false });
    expect(report(status(1), '10.0.0.1', 4000)).toMatchObject({ take: false, why: 'forged' }); // the old run's reports
    report(status(1, { state: ReceiverState.Done, imageDigest: digest, nonce: Buffer.alloc(16, 42) }), '10.0.0.1', 5000);
    expect(report(status(1, { state: ReceiverState.Joined, nonce: Buffer.alloc(16, 43) }), '10.0.0.1', 5001)).toMatchObject({ why: 'forged' }); // done: nothing to resume
    expect(dropped.forged).toBe(4);
  });

  it('never lets a forged DONE mark a member done', () => {
    const { report, members } = setup();
    report(status(1, { state: ReceiverState.Joined }));
    expect(report(status(1, { state: ReceiverState.Done, imageDigest: digest }), '10.6.6.6').take).toBe(false);
    expect(report(status(1, { state: ReceiverState.Done, imageDigest: digest, nonce: Buffer.alloc(16) })).take).toBe(false);
    expect(members.get(1)!.state).toBe('joined');
  });

  it('takes NACKs only from a live member at its address; unknown ids and finished members are non-members', () => {
    const { report, admission, dropped, members, clock } = setup();
    report(status(1, { state: ReceiverState.Joined }));
    expect(admission.nack(1, '10.0.0.1', 4000, 0).member?.id).toBe(1);
    expect(admission.nack(1, '10.0.0.1', 4999, 0)).toMatchObject({ member: undefined, why: 'forged' });
    expect(admission.nack(77, '10.0.0.77', 4000, 0)).toMatchObject({ member: undefined, why: 'nonMember' });
    members.expire(clock.now() + 1, 0);
    expect(admission.nack(1, '10.0.0.1', 4000, 0)).toMatchObject({ why: 'nonMember' });
    expect(dropped).toMatchObject({ forged: 1, nonMember: 2 });
  });

  it('takes overload only from a joined, live member', () => {
    const { report, dropped, members, clock } = setup();
    expect(report(status(1, { state: ReceiverState.Joined, overloaded: true }))).toEqual({ take: 'join', overload: false });
    expect(report(status(1, { overloaded: true }))).toEqual({ take: 'member', overload: true });
    expect(report(status(1, { overloaded: true }), '10.6.6.6').take).toBe(false);
    members.expire(clock.now() + 1, 0);
    expect(report(status(1, { overloaded: true }))).toEqual({ take: 'member', overload: false });
    expect(dropped).toMatchObject({ overloadIgnored: 2, forged: 1 });
  });

  it("limits a member's reports to its bucket, which a legit receiver never empties", () => {
    const { report, admission, dropped, clock } = setup();
    report(status(1, { state: ReceiverState.Joined }));
    // The protocol's busiest legit pace for 10 s: a NACK tick every 20 ms of 3 packets,
    // an overload report every 50 ms, a heartbeat a second: 170 reports/s.
    for (let t = 0; t < 10_000; t += 10) {
      clock.set(t);
      if (t % 20 === 0) for (let i = 0; i < 3; i++) expect(admission.nack(1, '10.0.0.1', 4000, t).member).toBeDefined();
      if (t % 50 === 0) expect(report(status(1, { overloaded: true })).take).toBe('member');
      if (t % 1000 === 0) expect(report(status(1)).take).toBe('member');
    }
    expect(dropped.rateLimited).toBe(0);
    // A flood: the burst, then the refill rate.
    clock.set(20_000);
    let taken = 0;
    for (let i = 0; i < 10_000; i++) if (admission.nack(1, '10.0.0.1', 4000, clock.now()).member) taken++;
    expect(taken).toBe(MEMBER_LIMITS.reportBurst);
    clock.advance(400);
    for (let i = 0; i < 10_000; i++) if (admission.nack(1, '10.0.0.1', 4000, clock.now()).member) taken++;
    expect(taken).toBe(MEMBER_LIMITS.reportBurst + 0.4 * MEMBER_LIMITS.reportsPerSecond);
    expect(dropped.rateLimited).toBe(20_000 - taken);
  });

  it('bounds the table and the join rate; a full table makes room by forgetting lost members', () => {
    const { report, dropped, members, clock } = setup({ maxMembers: 50, joinBurst: 20, joinsPerSecond: 10 });
    let joined = 0;
    for (let id = 1; id <= 1000; id++) if (report(status(id, { state: ReceiverState.Joined })).take) joined++;
    expect(joined).toBe(20);
    // 10 joins a second for 10 s, but room for 30 more only.
    for (let id = 1001; id <= 2000; id++) {
      if (id % 100 === 0) clock.advance(1000);
      if (report(status(id, { state: ReceiverState.Joined })).take) joined++;
    }
    expect(joined).toBe(50);
    expect(members.size).toBe(50);
    expect(dropped.joinsRefused).toBe(2000 - 50);
    // The fakes fall silent and are lost: new joins replace them.
    members.expire(clock.now() + 1, 0);
    clock.advance(1000);
    expect(report(status(5000, { state: ReceiverState.Joined })).take).toBe('join');
    expect(members.size).toBe(50);
  });

  it('always has room for the receivers the sender waits for', () => {
    const members = new Participants();
    const a = new Admission(members, noDrops(), 0, 30, { ...MEMBER_LIMITS, maxMembers: 10 });
    let n = 0;
    for (let id = 1; id <= 40; id++) {
      const s = status(id);
      if (a.status(s, 'x', id, 0).take) {
        members.intake(s, 'x', id, 0, digest);
        n++;
      }
    }
    expect(n).toBe(30);
  });
});
