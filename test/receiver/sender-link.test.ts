// The receiver's link to its sender on a fake clock: a sender whose ACK comes
// after the candidate timed out (its event loop stalled, as with 100
// receivers on two cores) is still joined, the receiver staying a Candidate
// meanwhile; an ACK that does not echo the nonce never joins.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { Phase, ReceiverState } from '../../src/protocol/constants.js';
import { encodeAck, encodeAnnounce, type Announce } from '../../src/protocol/packets.js';
import { CANDIDATE_TIMEOUT_MS } from '../../src/receiver/candidates.js';
import { NackPolicy } from '../../src/receiver/nack-policy.js';
import { Reporter } from '../../src/receiver/reporter.js';
import { SenderLink } from '../../src/receiver/sender-link.js';
import { ReceiveStats } from '../../src/receiver/stats.js';
import { acceptAnySender } from '../../src/receiver/verifier.js';

const announce: Announce = {
  session: 7, phase: Phase.Sending, controlPort: 4001, imageSize: 1 << 20, chunkSize: 1 << 20, symbolSize: 1444, stripeSize: 0, chunkCount: 1,
  manifestSize: 97, progress: 0, rateKiB: 0, heartbeat: 0, manifestDigest: Buffer.alloc(32, 1), groupSize: 0, nackBackoffMs: 0, cipher: 0, salt: Buffer.alloc(16, 2),
};
const OPTS = { waitTimeout: 60, senderTimeout: 10, group: '239.1.1.1', port: 4000 };

function setup() {
  const clock = new FakeClock(0);
  const nonce = Buffer.alloc(16, 3);
  const probes: number[] = [];
  const reporter = new Reporter({ receiverId: 42, nonce, name: 'r', clock, send: () => void probes.push(clock.now()), state: () => ReceiverState.Joined, figures: () => ({ chunksDone: 0, capacity: 0, packets: 0, malformed: 0, duplicates: 0 }) });
  const counters = { forged: 0, staleAnnounces: 0 };
  const joined: Announce[] = [];
  let listening = 0;
  const link = new SenderLink({ clock, verifier: acceptAnySender(), reporter, nacks: new NackPolicy(new ReceiveStats(clock)), counters, hooks: {
    ended: () => false,
    candidate: () => {},
    noCandidates: () => void listening++,
    warning: () => {},
    join: (c) => void joined.push(c.announce),
    updated: () => {},
  } });
  const hear = (a: Announce): void => link.onControls([{ data: encodeAnnounce(a), address: '10.0.0.1', port: 4000 }]);
  const ack = (n = nonce): void => link.onAck(encodeAck({ session: 7, receiverId: 42, state: ReceiverState.Joined, nonce: n }), '10.0.0.1', 4001);
  return { clock, link, probes, counters, joined, hear, ack, listening: () => listening };
}

describe('SenderLink', () => {
  it('joins a sender whose ACK comes after the candidate timed out, and stays a candidate meanwhile', () => {
    const t = setup();
    t.hear(announce);
    expect(t.probes).toEqual([0]);
    t.clock.set(CANDIDATE_TIMEOUT_MS + 10);
    expect(t.link.check(t.clock.now(), 0, OPTS)).toBeUndefined();
    t.hear({ ...announce, progress: 5 }); // the sender goes on announcing while the session is ignored
    expect(t.listening()).toBe(0);
    t.ack(Buffer.alloc(16, 9)); // not this run's nonce: never joins
    expect(t.joined).toEqual([]);
    expect(t.counters.forged).toBe(1);
    t.clock.advance(500);
    t.ack(); // the late answer to the first probe
    expect(t.joined).toHaveLength(1);
    expect(t.joined[0]).toMatchObject({ session: 7, progress: 5 });
    expect(t.link.pin?.address).toBe('10.0.0.1');
  });

  it('goes back to listening once a dropped candidate can no longer be joined', () => {
    const t = setup();
    t.hear(announce);
    t.clock.set(CANDIDATE_TIMEOUT_MS + 10);
    t.link.check(t.clock.now(), 0, OPTS);
    expect(t.listening()).toBe(0);
    t.clock.set(CANDIDATE_TIMEOUT_MS + 10_000 + 20); // past the session's ignore time
    t.link.check(t.clock.now(), 0, OPTS);
    expect(t.listening()).toBe(1);
    t.ack();
    expect(t.joined).toEqual([]);
  });
});
