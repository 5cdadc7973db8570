import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { BlockcastError } from '../../src/errors.js';
import { FailReason, PacketType, Phase, ReceiverState, Stream, type ReceiverStateValue } from '../../src/protocol/constants.js';
import { NackKind, decodeNack, decodeStatus, encodeAck, packetType, type Announce } from '../../src/protocol/packets.js';
import { OVERLOAD_REPORT_MS, Reporter, failReasonOf } from '../../src/receiver/reporter.js';

const SESSION = 0x77;
const RECEIVER = 1234;
const NONCE = Buffer.alloc(16, 0x5a);
const announce = (over: Partial<Announce> = {}): Announce => ({
  session: SESSION, phase: Phase.Sending, controlPort: 4000, imageSize: 1 << 20, chunkSize: 1 << 20, symbolSize: 1444,
  stripeSize: 0, chunkCount: 1, manifestSize: 96, progress: 0, rateKiB: 0, heartbeat: 0, manifestDigest: Buffer.alloc(32), groupSize: 1, nackBackoffMs: 0, cipher: 0, salt: Buffer.alloc(16),
  ...over,
});

interface Sent {
  packet: Buffer;
  port: number;
  address: string;
}

/** Timers on a FakeClock: advance() fires what falls due, then lets the awaiting code run. */
class FakeTimers {
  private pending: { at: number; fire: () => void }[] = [];

  constructor(private readonly clock: FakeClock) {}

  delay = (ms: number, fire: () => void): (() => void) => {
    const t = { at: this.clock.now() + ms, fire };
    this.pending.push(t);
    return () => void (this.pending = this.pending.filter((p) => p !== t));
  };

  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      await new Promise((r) => setImmediate(r)); // let promise continuations schedule their next timer
      const next = this.pending.filter((p) => p.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.clock.set(next.at);
      this.pending = this.pending.filter((p) => p !== next);
      next.fire();
    }
    this.clock.set(end);
    await new Promise((r) => setImmediate(r));
  }
}

function setup(state: ReceiverStateValue = ReceiverState.Joined) {
  const clock = new FakeClock(0);
  const timers = new FakeTimers(clock);
  const sent: Sent[] = [];
  const current = { state };
  const reporter = new Reporter({
    receiverId: RECEIVER,
    nonce: NONCE,
    name: 'node-1',
    clock,
    delay: timers.delay,
    random: () => 0.5, // no jitter
    send: (packet, port, address) => sent.push({ packet, port, address }),
    state: () => current.state,
    figures: () => ({ chunksDone: 3, capacity: 1 << 30, packets: 10, malformed: 1, duplicates: 2 }),
  });
  const statuses = () => sent.filter((s) => packetType(s.packet) === PacketType.Status).map((s) => decodeStatus(s.packet)!);
  const advance = (ms: number): Promise<void> => timers.advance(ms);
  return { clock, sent, current, reporter, statuses, advance };
}

describe('reporter: STATUS while receiving', () => {
  it('sends nothing before it has joined a sender', () => {
    const { reporter, sent } = setup();
    reporter.sendStatus(0);
    reporter.heartbeat(5000);
    reporter.reportOverload(5000, 9, 0, 8);
    expect(sent).toEqual([]);
  });

  it('sends STATUS to the sender\'s control port with the current state and figures', () => {
    const { reporter, sent, statuses } = setup();
    reporter.join(announce(), '10.0.0.1');
    reporter.sendStatus(0);
    expect(sent[0]).toMatchObject({ port: 4000, address: '10.0.0.1' });
    expect(statuses()[0]).toMatchObject({
      session: SESSION, receiverId: RECEIVER, state: ReceiverState.Joined, reason: FailReason.None, overloaded: false,
      chunksDone: 3, capacity: 1 << 30, packets: 10, malformed: 1, duplicates: 2, name: 'node-1',
    });
  });

  it('heartbeats at the interval the ANNOUNCE asks for, NACKs or not (the sender paces catch-up by its figures)', () => {
    const { reporter, clock, statuses } = setup();
    /** Heartbeats after `ms` more; returns how many STATUS packets have gone out. */
    const heartbeatAfter = (ms: number): number => {
      clock.advance(ms);
      reporter.heartbeat(clock.now());
      return statuses().length;
    };
    reporter.join(announce(), '10.0.0.1');
    reporter.sendStatus(clock.now());
    expect(heartbeatAfter(999)).toBe(1);
    expect(heartbeatAfter(1)).toBe(2);
    reporter.update(announce({ heartbeat: 30 })); // every 3 s
    clock.advance(2000);
    reporter.sendNacks(clock.now(), [{ stream: Stream.Image, chunk: 0, kind: NackKind.WholeChunk, pairs: [] }]);
    expect(heartbeatAfter(999)).toBe(2);
    expect(heartbeatAfter(1)).toBe(3); // 3 s after the last STATUS, though a NACK went 1 s ago
  });

  it('sends NACKs for the entries it is given and counts the packets', () => {
    const { reporter, sent } = setup();
    reporter.join(announce(), '10.0.0.1');
    reporter.sendNacks(0, []);
    expect(sent).toEqual([]);
    reporter.sendNacks(0, [{ stream: Stream.Image, chunk: 5, kind: NackKind.SourceRuns, pairs: [0, 3] }]);
    expect(decodeNack(sent[0]!.packet)).toEqual({
      session: SESSION, receiverId: RECEIVER, entries: [{ stream: Stream.Image, chunk: 5, kind: NackKind.SourceRuns, pairs: [0, 3] }],
    });
    expect(reporter.counters.nackPackets).toBe(1);
  });
});

describe('reporter: overload', () => {
  it('reports new drops or three quarters of the slots busy, at most every OVERLOAD_REPORT_MS', () => {
    const { reporter, clock, statuses } = setup(ReceiverState.Receiving);
    reporter.join(announce({ phase: Phase.Waiting }), '10.0.0.1');
    reporter.reportOverload(clock.now(), 5, 0, 8);
    expect(statuses()).toHaveLength(0); // the sender has not started: nothing to slow down
    reporter.update(announce());
    reporter.reportOverload(clock.now(), 5, 8, 8); // drops seen during Waiting were not counted
    expect(statuses()).toHaveLength(1);
    expect(statuses()[0]).toMatchObject({ overloaded: true, state: ReceiverState.Receiving });
    clock.advance(OVERLOAD_REPORT_MS - 1);
    reporter.reportOverload(clock.now(), 6, 8, 8);
    expect(statuses()).toHaveLength(1);
    clock.advance(1);
    reporter.reportOverload(clock.now(), 6, 8, 8); // no new drops, slots free: fine
    expect(statuses()).toHaveLength(1);
    reporter.reportOverload(clock.now(), 6, 1, 8); // 1 of 8 slots free
    expect(statuses()).toHaveLength(2);
    expect(reporter.counters.overloadReports).toBe(2);
  });
});

describe('reporter: final report', () => {
  it('retries DONE with doubling waits until the sender acknowledges it', async () => {
    const { reporter, current, statuses, advance } = setup(ReceiverState.Done);
    reporter.join(announce(), '10.0.0.1');
    const digest = Buffer.alloc(32, 7);
    const done = reporter.reportDone(digest);
    expect(statuses()).toHaveLength(1);
    expect(statuses()[0]).toMatchObject({ state: ReceiverState.Done, reason: FailReason.None, imageDigest: digest });
    await advance(499); // first wait: heartbeat (1 s) / 8, at least 500 ms
    expect(statuses()).toHaveLength(1);
    await advance(1);
    expect(statuses()).toHaveLength(2);
    await advance(1000);
    expect(statuses()).toHaveLength(3);
    // ACKs for someone else, or another session, change nothing.
    reporter.onAck(encodeAck({ session: SESSION, receiverId: RECEIVER + 1, state: ReceiverState.Done, nonce: NONCE }));
    reporter.onAck(encodeAck({ session: SESSION + 1, receiverId: RECEIVER, state: ReceiverState.Done, nonce: NONCE }));
    await advance(1000);
    expect(statuses()).toHaveLength(3);
    reporter.onAck(encodeAck({ session: SESSION, receiverId: RECEIVER, state: ReceiverState.Done, nonce: NONCE }));
    expect(await done).toBe(true);
    expect(reporter.counters.finalReports).toBe(3);
    expect(reporter.counters.finalReportMs).toBe(2500);
    expect(current.state).toBe(ReceiverState.Done);
  });

  it('gives up after 8 tries, waits capped at 4 s', async () => {
    const { reporter, statuses, advance } = setup(ReceiverState.Done);
    reporter.join(announce(), '10.0.0.1');
    const done = reporter.reportDone(Buffer.alloc(32));
    for (const wait of [500, 1000, 2000, 4000, 4000, 4000, 4000, 4000]) await advance(wait);
    expect(await done).toBe(false);
    expect(statuses()).toHaveLength(8);
    expect(reporter.counters.finalReportMs).toBe(23_500);
  });

  it('stops when the sender ends', async () => {
    const { reporter, statuses } = setup(ReceiverState.Done);
    reporter.join(announce(), '10.0.0.1');
    const done = reporter.reportDone(Buffer.alloc(32));
    reporter.onSenderEnded();
    expect(await done).toBe(false);
    expect(statuses()).toHaveLength(1);
  });

  it('reports a failure with its reason, and none when there is nobody to tell', async () => {
    const { reporter, statuses } = setup(ReceiverState.Failed);
    reporter.join(announce(), '10.0.0.1');
    await reporter.reportFailure(new BlockcastError('ENOSENDER', 'gone'));
    expect(statuses()).toHaveLength(0);
    const failing = reporter.reportFailure(new BlockcastError('ETARGETTOOSMALL', 'small'));
    reporter.onAck(encodeAck({ session: SESSION, receiverId: RECEIVER, state: ReceiverState.Failed, nonce: NONCE }));
    await failing;
    expect(statuses()).toEqual([expect.objectContaining({ state: ReceiverState.Failed, reason: FailReason.TargetTooSmall })]);
  });

  it('does not report without a sender', async () => {
    const { reporter, sent } = setup(ReceiverState.Done);
    expect(await reporter.reportDone(Buffer.alloc(32))).toBe(false);
    expect(sent).toEqual([]);
  });
});

describe('failReasonOf', () => {
  it('maps error codes to STATUS reasons', () => {
    expect(failReasonOf(new BlockcastError('ESENDERENDED', ''))).toBeUndefined();
    expect(failReasonOf(new BlockcastError('ENOSENDER', ''))).toBeUndefined();
    expect(failReasonOf(new BlockcastError('ETARGETTOOSMALL', ''))).toBe(FailReason.TargetTooSmall);
    expect(failReasonOf(new BlockcastError('ETARGETIO', ''))).toBe(FailReason.TargetIo);
    expect(failReasonOf(new BlockcastError('EDIGEST', ''))).toBe(FailReason.DigestMismatch);
    expect(failReasonOf(new BlockcastError('EABORTED', ''))).toBe(FailReason.Aborted);
    expect(failReasonOf(new Error('socket'))).toBe(FailReason.Aborted);
  });
});
