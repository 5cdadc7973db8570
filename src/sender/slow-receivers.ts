// --slow-receivers: what the session does with a receiver that cannot keep
// up with the group. 'catch-up' (default) moves it to the catch-up path
// (catch-up.ts): the group goes on at the pace of those that keep up, and
// it gets what it lacks at its own pace once the group needs nothing.
// 'drop' fails it and the rest go on. 'wait' is the old way (udpcast's):
// nobody is moved, and the rate follows the slowest. Late joiners, in
// 'catch-up' and 'drop' alike, catch up on the chunks sent before they came.
import { PaceClassifier, type CatchUpWhy } from './pace.js';
import { PaceSignalsTracker } from './pace-signals.js';
import { CatchUpQueues } from './catch-up.js';
import { isTerminal, summarize, type Participant } from './participants.js';

export const SLOW_RECEIVER_POLICIES = ['catch-up', 'wait', 'drop'] as const;
export type SlowReceiverPolicy = (typeof SLOW_RECEIVER_POLICIES)[number];

export type SlowEventName = 'receiver-catching-up' | 'receiver-caught-up' | 'receiver-dropped';
export type SlowEvent = [SlowEventName, Record<string, unknown>];

export interface SlowReceiversOptions {
  policy: SlowReceiverPolicy;
  symbolSize: number;
  /** --rate in bytes/s (0: none): no catch-up pace exceeds it. */
  ceiling: number;
  /** Image chunks: events say where the pass stood. */
  chunkCount: number;
}

export class SlowReceivers {
  readonly queues = new CatchUpQueues();
  private readonly signals: PaceSignalsTracker;
  private readonly classifier = new PaceClassifier();

  constructor(private readonly o: SlowReceiversOptions) {
    this.signals = new PaceSignalsTracker(o.symbolSize);
  }

  /** Whether the rate controller hears `p`'s overload: not while it catches up. */
  keepsUp(p: Participant): boolean {
    return p.pace !== 'catch-up';
  }

  /** A member's STATUS: `txPackets` DATA packets sent so far. A catching-up receiver's pace follows what reaches it. */
  status(p: Participant, now: number, txPackets: number, overloaded: boolean): void {
    this.signals.status(p.id, now, p.packets, txPackets, overloaded);
    const pace = this.queues.pace(p.id);
    const d = pace ? this.signals.delivered(p.id) : undefined;
    if (pace && d) pace.delivered(now, d.ratio, d.bytesPerSecond);
  }

  /** A receiver joined after the pass had sent `progress` image chunks: it catches up on those. */
  lateJoin(p: Participant, now: number, progress: number, mainRate: number): SlowEvent[] {
    if (this.o.policy === 'wait' || progress === 0) return [];
    return [this.move(p, 'late-join', `joined after ${progress} of ${this.o.chunkCount} chunks were sent`, now, progress, mainRate, progress)];
  }

  /**
   * Every evaluation (a few times a second): samples what receivers asked
   * for; with `classify` (the first pass runs, and receivers may be moved),
   * moves or drops those behind. `fail` fails a member (false: it had ended).
   */
  evaluate(members: Participant[], now: number, firstPassBytes: number, progress: number, mainRate: number, classify: boolean, fail: (p: Participant) => boolean): SlowEvent[] {
    const live = members.filter((p) => !isTerminal(p.state));
    for (const p of live) this.signals.tick(p.id, now, p.symbolsRequested, firstPassBytes);
    if (this.o.policy === 'wait' || !classify) return [];
    const keeping = live.filter((p) => p.pace === 'main');
    const events: SlowEvent[] = [];
    for (const v of this.classifier.evaluate(keeping.map((p) => this.signals.signals(p.id)), now)) {
      const p = keeping.find((x) => x.id === v.id)!;
      if (this.o.policy === 'drop') {
        if (!fail(p)) continue;
        p.message = `dropped: cannot keep up with the group (${v.detail}); --slow-receivers drop`;
        events.push(['receiver-dropped', { ...summarize(p), why: v.why, detail: v.detail, atChunk: progress, chunkCount: this.o.chunkCount }]);
        continue;
      }
      // Its first pace: the rate its reports show reaching it, else its share of the group's
      // (what it receives, or what it does not ask for again), at least 5% of it.
      const delivered = this.signals.delivered(p.id)?.bytesPerSecond;
      const s = this.signals.signals(p.id);
      const rate = delivered || mainRate * Math.max(0.05, s.delivery ?? 1 - Math.min(1, s.nackShare ?? 0));
      events.push(this.move(p, v.why, v.detail, now, progress, rate));
    }
    return events;
  }

  /**
   * Catching-up receivers that have ended leave the path: one that is done
   * has caught up (its event comes before its 'receiver-done').
   */
  settle(get: (id: number) => Participant | undefined): SlowEvent[] {
    const events: SlowEvent[] = [];
    for (const p of this.catchingUp(get)) {
      if (!isTerminal(p.state)) continue;
      this.queues.remove(p.id);
      this.signals.forget(p.id);
      if (p.state !== 'done') continue;
      p.pace = 'main';
      p.catchUp!.caughtUp = true;
      events.push(['receiver-caught-up', { ...summarize(p), why: p.catchUp!.why }]);
    }
    return events;
  }

  private *catchingUp(get: (id: number) => Participant | undefined): Generator<Participant> {
    for (const id of this.queues.ids()) {
      const p = get(id);
      if (p) yield p;
      else this.queues.remove(id);
    }
  }

  private move(p: Participant, why: CatchUpWhy, detail: string, now: number, progress: number, rate: number, below = Infinity): SlowEvent {
    p.pace = 'catch-up';
    p.catchUp = { why, detail, since: now, atChunk: progress, caughtUp: false };
    this.queues.add(p.id, rate, this.o.ceiling, below);
    return ['receiver-catching-up', { ...summarize(p), why, detail, atChunk: progress, chunkCount: this.o.chunkCount, bytesPerSecond: Math.round(this.queues.pace(p.id)!.rate) }];
  }
}
