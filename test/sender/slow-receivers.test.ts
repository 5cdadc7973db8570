import { describe, expect, it } from 'vitest';
import { NackKind } from '../../src/protocol/packets.js';
import { Stream } from '../../src/protocol/constants.js';
import { BlockcastError } from '../../src/errors.js';
import { resolveSendOptions } from '../../src/sender/options.js';
import { SUSTAIN_MS } from '../../src/sender/pace.js';
import type { Participant } from '../../src/sender/participants.js';
import { SlowReceivers, type SlowReceiverPolicy } from '../../src/sender/slow-receivers.js';

const member = (id: number): Participant =>
  ({ id, name: `r${id}`, address: `10.0.0.${id}`, port: 1000 + id, state: 'receiving', packets: 0, symbolsRequested: 0, chunksDone: 0, joinedAt: 0, lastHeard: 0, pace: 'main' }) as unknown as Participant;

/** Three receivers, r3 receiving a fifth of what is sent, over a second of the pass; returns the events of the last evaluation. */
function session(policy: SlowReceiverPolicy) {
  const slow = new SlowReceivers({ policy, symbolSize: 1400, ceiling: 50e6, chunkCount: 100 });
  const members = [member(1), member(2), member(3)];
  const failed: number[] = [];
  const fail = (p: Participant): boolean => (failed.push(p.id), (p.state = 'failed'), true);
  let events: ReturnType<SlowReceivers['evaluate']> = [];
  for (let t = 0; t <= 1000 + SUSTAIN_MS; t += 250) {
    const tx = t * 30; // DATA packets sent so far
    for (const p of members) {
      p.packets = p.id === 3 ? tx / 5 : tx;
      if (p.id === 3) p.symbolsRequested = tx - p.packets; // and it asks for what it lacks
      slow.status(p, t, tx, false);
    }
    events = [...events, ...slow.evaluate(members, t, t * 40_000, t / 20, 40e6, true, fail)];
  }
  return { slow, members, failed, events };
}

describe('slow receivers', () => {
  it('moves a receiver that cannot keep up to catch-up, and the rate controller stops hearing it', () => {
    const { slow, members, events } = session('catch-up');
    expect(events).toHaveLength(1);
    const [name, e] = events[0]!;
    expect(name).toBe('receiver-catching-up');
    expect(e).toMatchObject({ id: 3, name: 'r3', why: 'low-delivery', detail: 'receives 20% of what is sent; the others 100%', chunkCount: 100 });
    expect(members[2]!.pace).toBe('catch-up');
    expect(members[2]!.catchUp).toMatchObject({ why: 'low-delivery', caughtUp: false });
    expect(slow.keepsUp(members[2]!)).toBe(false);
    expect(slow.keepsUp(members[0]!)).toBe(true);
    // Its NACKs go to its own queue; the others' to the group's.
    const entry = { stream: Stream.Image, chunk: 5, kind: NackKind.SourceRuns, pairs: [0, 1] };
    expect(slow.queues.route(3, entry)).toBeDefined();
    expect(slow.queues.route(1, entry)).toBeUndefined();
    // It starts at about what reaches it: a fifth of 30 packets/ms of 1400 bytes.
    expect(e.bytesPerSecond).toBeCloseTo(8.4e6, -5);
    // Done: caught up, and off the path.
    members[2]!.state = 'done';
    expect(slow.settle((id) => members.find((p) => p.id === id)).map(([n, x]) => [n, x.name])).toEqual([['receiver-caught-up', 'r3']]);
    expect(members[2]!.catchUp?.caughtUp).toBe(true);
    expect(slow.queues.ids()).toEqual([]);
  });

  it('with drop, fails it with the figures why', () => {
    const { members, failed, events } = session('drop');
    expect(failed).toEqual([3]);
    expect(events.map(([n]) => n)).toEqual(['receiver-dropped']);
    expect(members[2]!.message).toBe('dropped: cannot keep up with the group (receives 20% of what is sent; the others 100%); --slow-receivers drop');
    expect(members[2]!.pace).toBe('main');
  });

  it('with wait, moves nobody, late joiners included', () => {
    const { slow, members, events } = session('wait');
    expect(events).toEqual([]);
    expect(slow.lateJoin(member(4), 0, 40, 40e6)).toEqual([]);
    expect(members.every((p) => p.pace === 'main')).toBe(true);
  });

  it('starts a late joiner on catch-up for the chunks the pass had sent', () => {
    const slow = new SlowReceivers({ policy: 'catch-up', symbolSize: 1400, ceiling: 0, chunkCount: 100 });
    const late = member(7);
    expect(slow.lateJoin(late, 5000, 40, 40e6)).toEqual([['receiver-catching-up', expect.objectContaining({ name: 'r7', why: 'late-join', atChunk: 40, detail: 'joined after 40 of 100 chunks were sent' })]]);
    expect(slow.queues.route(7, { stream: Stream.Image, chunk: 39, kind: NackKind.SourceRuns, pairs: [0, 1] })).toBeDefined();
    expect(slow.queues.route(7, { stream: Stream.Image, chunk: 40, kind: NackKind.SourceRuns, pairs: [0, 1] })).toBeUndefined();
    expect(slow.lateJoin(member(8), 5000, 0, 40e6)).toEqual([]); // nothing sent yet: not late
  });

  it('takes the policy as an option, catch-up by default, and refuses others', () => {
    expect(resolveSendOptions({ image: 'x', interface: '127.0.0.1' }).slowReceivers).toBe('catch-up');
    expect(resolveSendOptions({ image: 'x', interface: '127.0.0.1', slowReceivers: 'drop' }).slowReceivers).toBe('drop');
    expect(() => resolveSendOptions({ image: 'x', interface: '127.0.0.1', slowReceivers: 'skip' as SlowReceiverPolicy })).toThrow(BlockcastError);
    expect(() => resolveSendOptions({ image: 'x', interface: '127.0.0.1', slowReceivers: 'skip' as SlowReceiverPolicy })).toThrow('Expected one of catch-up, wait, drop for slowReceivers but received "skip"');
  });
});
