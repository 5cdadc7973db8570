import { makeStatus } from '../helpers/status.js';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { ReceiverState, type ReceiverStateValue } from '../../src/protocol/constants.js';
import type { Status } from '../../src/protocol/packets.js';
import { Participants } from '../../src/sender/participants.js';
import { receiverTimeoutMs } from '../../src/sender/timing.js';

const digest = Buffer.alloc(32, 7);
const status = (receiverId: number, state: ReceiverStateValue, o: Partial<Status> = {}): Status =>
  makeStatus(receiverId, { state, imageDigest: state === ReceiverState.Done ? digest : Buffer.alloc(0), ...o });

describe('Participants', () => {
  it('says what a STATUS is for, which events it makes and whether to acknowledge it', () => {
    const ps = new Participants();
    const joined = ps.intake(status(1, ReceiverState.Joined), '10.0.0.1', 4000, 0, digest);
    expect(joined.purpose).toBe('joins');
    expect(joined.ack).toBe(true);
    expect(joined.events.map(([e]) => e)).toEqual(['receiver-joined']);
    expect(joined.events[0]![1]).toMatchObject({ id: 1, name: 'node1', address: '10.0.0.1', state: 'joined' });
    expect(joined.ackState).toBe(ReceiverState.Joined);
    expect(ps.intake(status(1, ReceiverState.Receiving), '10.0.0.1', 4000, 1, digest)).toEqual({ purpose: 'heartbeats', events: [], ack: false, ackState: ReceiverState.Receiving });
    expect(ps.intake(status(1, ReceiverState.Receiving, { overloaded: true }), '10.0.0.1', 4000, 2, digest).purpose).toBe('overload');
    const done = ps.intake(status(1, ReceiverState.Done), '10.0.0.1', 4000, 3, digest);
    expect(done.purpose).toBe('finals');
    expect(done.ack).toBe(true);
    expect(done.events.map(([e]) => e)).toEqual(['receiver-done']);
    // A retried DONE is acknowledged again but makes no new event.
    expect(ps.intake(status(1, ReceiverState.Done), '10.0.0.1', 4000, 4, digest)).toEqual({ purpose: 'finals', events: [], ack: true, ackState: ReceiverState.Done });
  });

  it('fails a receiver that reports the wrong digest', () => {
    const ps = new Participants();
    ps.intake(status(2, ReceiverState.Receiving), '10.0.0.2', 4000, 0, digest);
    const r = ps.intake(status(2, ReceiverState.Done, { imageDigest: Buffer.alloc(32, 1) }), '10.0.0.2', 4000, 1, digest);
    expect(r.events.map(([e, s]) => [e, s.state, s.message])).toEqual([['receiver-failed', 'failed', 'reported a digest that does not match the image']]);
    expect(ps.get(2)!.state).toBe('failed');
  });

  it('takes no final state from a join: a stranger\'s one DONE adds no node that is done, and its ACK says JOINED so a real receiver retries', () => {
    const ps = new Participants();
    const r = ps.intake(status(3, ReceiverState.Done), '10.0.0.3', 4000, 0, digest);
    expect(r.events.map(([e, s]) => [e, s.state])).toEqual([['receiver-joined', 'joined']]);
    expect(r).toMatchObject({ purpose: 'joins', ack: true, ackState: ReceiverState.Joined });
    // The member's retry is taken.
    expect(ps.intake(status(3, ReceiverState.Done), '10.0.0.3', 4000, 1, digest).events.map(([e]) => e)).toEqual(['receiver-done']);
  });

  it('pins a member to where it joined from and its nonce, and evicts the longest-silent lost one to make room', () => {
    const ps = new Participants();
    ps.intake(status(1, ReceiverState.Joined, { nonce: Buffer.alloc(16, 1) }), '10.0.0.1', 4000, 0, digest);
    ps.intake(status(1, ReceiverState.Receiving), '10.9.9.9', 5000, 1, digest);
    expect(ps.get(1)).toMatchObject({ address: '10.0.0.1', port: 4000, nonce: Buffer.alloc(16, 1) });
    ps.intake(status(2, ReceiverState.Joined), 'b', 1, 0, digest);
    ps.intake(status(3, ReceiverState.Joined), 'c', 1, 5, digest);
    expect(ps.evictLost()).toBeUndefined();
    ps.expire(100, 10);
    expect(ps.evictLost()).toBe(2);
    expect(ps.get(2)).toBeUndefined();
    expect(ps.fail(ps.get(3)!)).toBe(false); // lost already: terminal
  });

  it('loses receivers silent for longer than the timeout on the clock, and a NACK counts as a sign of life', () => {
    const clock = new FakeClock(5000);
    const ps = new Participants();
    ps.intake(status(1, ReceiverState.Receiving), 'a', 1, clock.now(), digest);
    ps.intake(status(2, ReceiverState.Receiving), 'b', 1, clock.now(), digest);
    const timeout = receiverTimeoutMs(10, 10);
    clock.advance(timeout - 1);
    expect(ps.heardNack(2, clock.now())!.nackPackets).toBe(1);
    expect(ps.heardNack(9, clock.now())).toBeUndefined();
    expect(ps.expire(clock.now(), timeout)).toEqual([]);
    clock.advance(2);
    expect(ps.expire(clock.now(), timeout).map((p) => p.id)).toEqual([1]);
    expect(ps.get(1)!.state).toBe('lost');
    // A late heartbeat does not revive a lost receiver's verdict.
    expect(ps.intake(status(1, ReceiverState.Receiving), 'a', 1, clock.now(), digest).events).toEqual([]);
    expect(ps.get(1)!.state).toBe('lost');
    expect(ps.active().map((p) => p.id)).toEqual([2]);
  });

  it('counts a DONE (or FAILED) that arrives after the receiver was declared lost: lost only meant silent', () => {
    const ps = new Participants();
    ps.intake(status(1, ReceiverState.Receiving), 'a', 1, 0, digest);
    ps.intake(status(2, ReceiverState.Receiving), 'b', 1, 0, digest);
    expect(ps.expire(100, 10).map((p) => p.id)).toEqual([1, 2]);
    const done = ps.intake(status(1, ReceiverState.Done), 'a', 1, 200, digest);
    expect(done.events.map(([e]) => e)).toEqual(['receiver-done']);
    expect(done.ack).toBe(true);
    expect(ps.get(1)!.state).toBe('done');
    expect(ps.intake(status(2, ReceiverState.Failed), 'b', 1, 200, digest).events.map(([e]) => e)).toEqual(['receiver-failed']);
    // A wrong digest after lost is still a failure, never done.
    ps.intake(status(3, ReceiverState.Receiving), 'c', 1, 300, digest);
    ps.expire(400, 10);
    ps.intake(status(3, ReceiverState.Done, { imageDigest: Buffer.alloc(32, 1) }), 'c', 1, 500, digest);
    expect(ps.get(3)!.state).toBe('failed');
  });

  it("a rejoin replaces the member's earlier run: new port and nonce, joined again, counted, its credit restored", () => {
    const ps = new Participants();
    ps.intake(status(1, ReceiverState.Receiving, { nonce: Buffer.alloc(16, 1) }), 'a', 1, 0, digest);
    Object.assign(ps.get(1)!, { repairCharged: 99, chunksDone: 5 });
    ps.expire(100, 10);
    const p = ps.rejoin(status(1, ReceiverState.Joined, { nonce: Buffer.alloc(16, 2) }), 7, 150);
    expect(p).toMatchObject({ state: 'joined', port: 7, rejoins: 1, repairCharged: 0, chunksDone: 0, joinedAt: 150 });
    expect(p.nonce).toEqual(Buffer.alloc(16, 2));
    expect(ps.intake(status(1, ReceiverState.Joined, { nonce: Buffer.alloc(16, 2) }), 'a', 7, 160, digest).ack).toBe(true);
    expect(ps.intake(status(1, ReceiverState.Done, { nonce: Buffer.alloc(16, 2) }), 'a', 7, 170, digest).events.map(([e]) => e)).toEqual(['receiver-done']);
  });
});
