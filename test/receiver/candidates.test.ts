// Which sessions a receiver asks to join, and how long: a pure policy on a
// fake clock. Only the session's code sends STATUS and reads ACKs.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { Phase } from '../../src/protocol/constants.js';
import type { Announce } from '../../src/protocol/packets.js';
import { CANDIDATE_TIMEOUT_MS, Candidates, FIRST_PROBE_RETRY_MS, IGNORE_MS, MAX_CANDIDATES } from '../../src/receiver/candidates.js';

const base: Announce = {
  session: 7, phase: Phase.Waiting, controlPort: 4000, imageSize: 1 << 20, chunkSize: 1 << 20, symbolSize: 1444, stripeSize: 0, chunkCount: 1,
  manifestSize: 97, progress: 0, rateKiB: 0, heartbeat: 0, manifestDigest: Buffer.alloc(32, 1), groupSize: 0, nackBackoffMs: 0, cipher: 0, salt: Buffer.alloc(16, 2),
};
const announce = (over: Partial<Announce> = {}): Announce => ({ ...base, ...over });

describe('join candidates', () => {
  it('asks a new candidate at once, then after 250, 500, 1000 ms, and drops it unanswered after 3 s', () => {
    const clock = new FakeClock(0);
    const c = new Candidates();
    expect(c.offer(announce(), '10.0.0.1', clock.now())).toBe('new');
    const asked: number[] = [];
    for (let t = 0; t <= CANDIDATE_TIMEOUT_MS; t += 10) {
      clock.set(t);
      if (c.due(clock.now()).length > 0) asked.push(t);
    }
    expect(asked).toEqual([0, FIRST_PROBE_RETRY_MS, 3 * FIRST_PROBE_RETRY_MS, 7 * FIRST_PROBE_RETRY_MS]);
    expect(c.size).toBe(0);
    // Its session is ignored for a while, then may be a candidate again.
    expect(c.offer(announce(), '10.0.0.1', clock.now())).toBe('ignored');
    expect(c.offer(announce(), '10.0.0.9', clock.now())).toBe('ignored');
    clock.advance(IGNORE_MS);
    expect(c.offer(announce(), '10.0.0.1', clock.now())).toBe('new');
  });

  it('still takes a late ACK of a candidate dropped unanswered, while its session is ignored, with its latest ANNOUNCE', () => {
    const c = new Candidates();
    c.offer(announce(), '10.0.0.1', 0);
    c.due(CANDIDATE_TIMEOUT_MS);
    expect(c.size).toBe(0);
    expect(c.pending(CANDIDATE_TIMEOUT_MS)).toBe(1); // the receiver stays a Candidate meanwhile
    expect(c.offer(announce({ phase: Phase.Sending, progress: 3 }), '10.0.0.1', CANDIDATE_TIMEOUT_MS + 100)).toBe('ignored');
    expect(c.answered(7, '10.0.0.1', 4001, CANDIDATE_TIMEOUT_MS + 200)).toBeUndefined();
    expect(c.answered(7, '10.0.0.2', 4000, CANDIDATE_TIMEOUT_MS + 200)).toBeUndefined();
    expect(c.answered(7, '10.0.0.1', 4000, CANDIDATE_TIMEOUT_MS + 200)?.announce).toMatchObject({ phase: Phase.Sending, progress: 3 });
    // Not once the session is no longer ignored (it is then a new candidate, asked again).
    expect(c.answered(7, '10.0.0.1', 4000, CANDIDATE_TIMEOUT_MS + IGNORE_MS)).toBeUndefined();
    expect(c.pending(CANDIDATE_TIMEOUT_MS + IGNORE_MS)).toBe(0);
    // Nor once its sender has ended.
    const d = new Candidates();
    d.offer(announce(), '10.0.0.1', 0);
    d.due(CANDIDATE_TIMEOUT_MS);
    d.offer(announce({ phase: Phase.Ended }), '10.0.0.1', CANDIDATE_TIMEOUT_MS + 100);
    expect(d.answered(7, '10.0.0.1', 4000, CANDIDATE_TIMEOUT_MS + 200)).toBeUndefined();
  });

  it('takes an ACK only from the candidate address and control port', () => {
    const c = new Candidates();
    c.offer(announce(), '10.0.0.1', 0);
    expect(c.answered(7, '10.0.0.2', 4000, 0)).toBeUndefined();
    expect(c.answered(7, '10.0.0.1', 4001, 0)).toBeUndefined();
    expect(c.answered(8, '10.0.0.1', 4000, 0)).toBeUndefined();
    expect(c.answered(7, '10.0.0.1', 4000, 0)?.announce.session).toBe(7);
  });

  it('holds at most MAX_CANDIDATES; an ANNOUNCE of a further session waits for room', () => {
    const c = new Candidates();
    for (let s = 1; s <= MAX_CANDIDATES; s++) expect(c.offer(announce({ session: s }), '10.0.0.1', 0)).toBe('new');
    expect(c.offer(announce({ session: 99 }), '10.0.0.1', 0)).toBe('full');
    expect(c.size).toBe(MAX_CANDIDATES);
  });

  it('keeps a candidate\'s fixed fields: a same-session ANNOUNCE that changes one is forged; one going back changes nothing', () => {
    const c = new Candidates();
    c.offer(announce({ phase: Phase.Sending, progress: 5 }), '10.0.0.1', 0);
    expect(c.offer(announce({ phase: Phase.Sending, imageSize: 2 << 20 }), '10.0.0.1', 0)).toBe('forged');
    expect(c.offer(announce({ phase: Phase.Sending, manifestDigest: Buffer.alloc(32, 9) }), '10.0.0.1', 0)).toBe('forged');
    expect(c.offer(announce({ phase: Phase.Waiting }), '10.0.0.1', 0)).toBe('ignored');
    expect(c.offer(announce({ phase: Phase.Sending, progress: 6, rateKiB: 100 }), '10.0.0.1', 0)).toBe('updated');
    expect(c.answered(7, '10.0.0.1', 4000, 0)?.announce).toMatchObject({ imageSize: 1 << 20, progress: 6, rateKiB: 100 });
  });

  it('never takes an ENDED session, and stops asking a candidate whose sender ends', () => {
    const c = new Candidates();
    expect(c.offer(announce({ phase: Phase.Ended }), '10.0.0.1', 0)).toBe('ignored');
    c.offer(announce(), '10.0.0.1', 0);
    expect(c.offer(announce({ phase: Phase.Ended }), '10.0.0.1', 0)).toBe('updated');
    expect(c.size).toBe(0);
  });

  it('reports when the next STATUS or timeout falls due', () => {
    const c = new Candidates();
    expect(c.nextDue()).toBe(Infinity);
    c.offer(announce(), '10.0.0.1', 100);
    expect(c.nextDue()).toBe(100);
    c.due(100);
    expect(c.nextDue()).toBe(100 + FIRST_PROBE_RETRY_MS);
  });
});
