// The sender's table of receivers: who joined, what they reported, and who
// has gone silent for too long. Who may join or report is admission.ts's
// call; this table trusts what it is given.
import { FailReason, ReceiverState, type FailReasonValue, type ReceiverStateValue } from '../protocol/constants.js';
import type { Status } from '../protocol/packets.js';
import type { CatchUpWhy } from './pace.js';
import type { RateReport } from './rate-discovery.js';
import { receiveRate, type RxCounters } from './receive-rate.js';

export type ParticipantState = 'joined' | 'receiving' | 'done' | 'failed' | 'lost';

export interface Participant {
  id: number;
  name: string;
  /** Where it joined from: every later report must come from here (admission.ts). */
  address: string;
  port: number;
  /** Its join nonce: every later STATUS must carry it. */
  nonce: Buffer;
  state: ParticipantState;
  reason: FailReasonValue;
  capacity: number;
  chunksDone: number;
  packets: number;
  duplicates: number;
  malformed: number;
  /** Source symbols this receiver asked to have repaired. */
  symbolsRequested: number;
  nackPackets: number;
  /** Repair bytes its NACK entries were charged against its repair credit (repair-budget.ts). */
  repairCharged: number;
  joinedAt: number;
  lastHeard: number;
  /** When it became done, failed or lost (lost: when last heard). */
  endedAt?: number;
  /** Why the sender failed it, if it did (its report's reason says why otherwise). */
  message?: string;
  /** Times it rejoined after a restart (admission.ts isRejoin): each ended the run before it, which the summary does not count as lost. */
  rejoins: number;
  /** STATUS reports taken: a receiver joins on the ACK of its first and reports again at once (see confirmed()). */
  statuses: number;
  digest?: Buffer;
  /** Whether it keeps up with the group or is served on the catch-up path (slow-receivers.ts). */
  pace: 'main' | 'catch-up';
  /** Set once it was moved to catch-up (kept after it caught up, for the summary). */
  catchUp?: CatchUpRecord;
  /** DATA bytes/s it received, and the fraction of the DATA sent that it lost, over its latest report interval (receive-rate.ts); 0 until known. */
  rxBytesPerSecond: number;
  lossFraction: number;
  /** When those were taken (the sender's clock) and the receiver's interval they cover, ms; undefined until known. */
  rxMeasuredAt?: number;
  rxIntervalMs: number;
  /** Its cumulative counters at the start of the interval being measured. */
  rxCounters?: RxCounters;
}

/** When and why a receiver was moved to catch-up. */
export interface CatchUpRecord {
  why: CatchUpWhy;
  /** The figures behind it, for people. */
  detail: string;
  /** When (the session's clock) and at which first-pass progress (image chunks sent). */
  since: number;
  atChunk: number;
  caughtUp: boolean;
}

/**
 * A receiver has joined at its end once it reports after the ACK of its
 * first STATUS: before that its DATA would be dropped as early, so the
 * first pass waits for it.
 */
export function confirmed(p: Participant): boolean {
  return p.statuses >= 2;
}

export interface ReceiverSummary {
  id: number;
  name: string;
  address: string;
  /** The UDP port it reports from (receive --control-port, else ephemeral). */
  port: number;
  state: ParticipantState;
  reason: number;
  packets: number;
  duplicates: number;
  malformed: number;
  symbolsRequested: number;
  nackPackets: number;
  repairCharged: number;
  /** Chunks it had written, as last reported. */
  chunksDone: number;
  /** Times it restarted and rejoined, if it did (its earlier runs were replaced, not lost). */
  rejoins?: number;
  /** From its join to its end (done, failed or lost) or to the summary, s. */
  seconds: number;
  /** Why the sender failed it, if it did. */
  message?: string;
  /** If it was moved to catch-up: why, at which first-pass chunk, how long after its join (s), and whether it caught up. */
  catchUp?: { why: CatchUpWhy; detail: string; atChunk: number; afterSeconds: number; caughtUp: boolean };
}

export interface StatusIntake {
  /** Which of the report bytes' purposes (ControlBytes) it counts under. */
  purpose: 'joins' | 'finals' | 'overload' | 'heartbeats';
  events: [event: 'receiver-joined' | 'receiver-done' | 'receiver-failed', summary: ReceiverSummary & { message?: string }][];
  ack: boolean;
  /** The state the ACK acknowledges: a join's final state is not taken (see update), so its ACK says JOINED and the receiver retries. */
  ackState: ReceiverStateValue;
}

const stateNames: Record<number, ParticipantState> = {
  [ReceiverState.Joined]: 'joined',
  [ReceiverState.Receiving]: 'receiving',
  [ReceiverState.Done]: 'done',
  [ReceiverState.Failed]: 'failed',
};

export function isTerminal(state: ParticipantState): boolean {
  return state === 'done' || state === 'failed' || state === 'lost';
}

export class Participants {
  private readonly byId = new Map<number, Participant>();

  get size(): number {
    return this.byId.size;
  }

  all(): Participant[] {
    return [...this.byId.values()];
  }

  get(id: number): Participant | undefined {
    return this.byId.get(id);
  }

  /**
   * Applies a STATUS report; returns the participant and whether its state
   * changed. A report from a new id joins it, pinned to `address`:`port` and
   * the report's nonce. A join's DONE or FAILED is not taken: only a member
   * reports a final state, so a stranger's one packet never adds a node that
   * is done (a real receiver whose earlier reports were lost retries it).
   */
  update(s: Status, address: string, port: number, now: number): { participant: Participant; isNew: boolean; changed: boolean } {
    let p = this.byId.get(s.receiverId);
    const isNew = !p;
    if (!p) {
      p = {
        id: s.receiverId,
        name: s.name,
        address,
        port,
        nonce: Buffer.from(s.nonce),
        state: 'joined',
        reason: FailReason.None,
        capacity: s.capacity,
        chunksDone: 0,
        packets: 0,
        duplicates: 0,
        malformed: 0,
        symbolsRequested: 0,
        nackPackets: 0,
        repairCharged: 0,
        joinedAt: now,
        lastHeard: now,
        statuses: 0,
        rejoins: 0,
        pace: 'main',
        rxBytesPerSecond: 0,
        lossFraction: 0,
        rxIntervalMs: 0,
      };
      this.byId.set(p.id, p);
    }
    p.lastHeard = now;
    p.statuses++;
    p.chunksDone = s.chunksDone;
    p.packets = s.packets;
    p.duplicates = s.duplicates;
    p.malformed = s.malformed;
    p.capacity = s.capacity;
    measureReceiveRate(p, s, now);
    // A terminal state sticks: a late heartbeat must not revive a lost receiver's verdict.
    // Its final report does count: lost only meant silent (a long fsync, a congested path).
    const final = s.state === ReceiverState.Done || s.state === ReceiverState.Failed;
    const next = isNew && final ? 'joined' : (stateNames[s.state] ?? p.state);
    const open = !isTerminal(p.state) || (p.state === 'lost' && final);
    const changed = isNew || (open && next !== p.state);
    if (open) {
      p.state = next;
      p.reason = s.reason;
      if (next === 'done') p.digest = s.imageDigest;
      if (isTerminal(next)) p.endedAt = now;
    }
    return { participant: p, isNew, changed };
  }

  /**
   * A member restarted (admission.ts isRejoin): its earlier run ends,
   * replaced, and the new one starts from the port and nonce it rejoined
   * with. Its repair credit starts over, as a new receiver's would.
   */
  rejoin(s: Status, port: number, now: number): Participant {
    const p = this.byId.get(s.receiverId)!;
    Object.assign(p, { port, nonce: Buffer.from(s.nonce), state: 'joined', reason: FailReason.None, chunksDone: 0, repairCharged: 0, joinedAt: now, lastHeard: now, statuses: 0 });
    p.rejoins++;
    delete p.endedAt;
    delete p.message;
    delete p.digest;
    return p;
  }

  /** A NACK from `id` (if it joined): it is alive, and one more NACK is counted. */
  heardNack(id: number, now: number): Participant | undefined {
    const p = this.byId.get(id);
    if (p) {
      p.lastHeard = now;
      p.nackPackets++;
    }
    return p;
  }

  /**
   * Takes a STATUS report in: the events it makes (a receiver is done only
   * if the digest it reported is the image's), what it was for, and whether
   * to acknowledge it (joins and final reports are).
   */
  intake(s: Status, address: string, port: number, now: number, imageDigest: Buffer): StatusIntake {
    const { participant: p, isNew, changed } = this.update(s, address, port, now);
    const final = s.state === ReceiverState.Done || s.state === ReceiverState.Failed;
    const events: StatusIntake['events'] = [];
    if (isNew) events.push(['receiver-joined', summarize(p)]);
    if (changed && p.state === 'done') {
      if (!p.digest?.equals(imageDigest)) {
        p.state = 'failed';
        p.message = 'reported a digest that does not match the image';
        events.push(['receiver-failed', { ...summarize(p), message: p.message }]);
      } else {
        events.push(['receiver-done', summarize(p)]);
      }
    } else if (changed && p.state === 'failed') {
      events.push(['receiver-failed', summarize(p)]);
    }
    const ackState = isNew && final ? ReceiverState.Joined : s.state;
    return { purpose: isNew ? 'joins' : final ? 'finals' : s.overloaded ? 'overload' : 'heartbeats', events, ack: final || isNew || s.state === ReceiverState.Joined, ackState };
  }

  /** Receivers still in the session: not done, failed or lost. */
  active(): Participant[] {
    return this.all().filter((p) => !isTerminal(p.state));
  }

  /** Marks receivers silent for longer than `timeoutMs` as lost and returns them (`now` on the clock `update` was given). */
  expire(now: number, timeoutMs: number): Participant[] {
    const lost: Participant[] = [];
    for (const p of this.byId.values()) {
      if (!isTerminal(p.state) && now - p.lastHeard > timeoutMs) {
        p.state = 'lost';
        p.endedAt = p.lastHeard;
        lost.push(p);
      }
    }
    return lost;
  }

  /** Fails a member for a reason of the sender's (e.g. its repair budget ran out); returns whether it was still in the session. */
  fail(p: Participant, now = p.lastHeard): boolean {
    if (isTerminal(p.state)) return false;
    p.state = 'failed';
    p.endedAt = now;
    return true;
  }

  /**
   * Makes room in a full table: forgets the longest-silent lost receiver
   * (a flood of joins that never report again ends up here). Returns its id,
   * or undefined if none is lost.
   */
  evictLost(): number | undefined {
    let oldest: Participant | undefined;
    for (const p of this.byId.values()) if (p.state === 'lost' && (!oldest || p.lastHeard < oldest.lastHeard)) oldest = p;
    if (oldest) this.byId.delete(oldest.id);
    return oldest?.id;
  }

  allTerminal(): boolean {
    return this.byId.size > 0 && this.all().every((p) => isTerminal(p.state));
  }
}

/** Updates a participant's receive rate and loss from a STATUS's cumulative counters. */
function measureReceiveRate(p: Participant, s: Status, now: number): void {
  if (s.clockMs === undefined || s.dataBytes === undefined || s.sequenced === undefined) return;
  const next: RxCounters = { clockMs: s.clockMs, dataBytes: s.dataBytes, packets: s.packets, sequenced: s.sequenced };
  const r = p.rxCounters ? receiveRate(p.rxCounters, next) : 'restart';
  if (r === 'wait') return;
  p.rxCounters = next;
  if (r === 'restart') return;
  p.rxBytesPerSecond = r.bytesPerSecond;
  p.lossFraction = r.lossFraction;
  p.rxIntervalMs = r.intervalMs;
  p.rxMeasuredAt = now;
}

/** Its latest receive rate and loss for rate discovery; none until measured. */
export function rateReport(p: Participant): RateReport[] {
  if (p.rxMeasuredAt === undefined) return [];
  return [{ id: p.id, at: p.rxMeasuredAt, intervalMs: p.rxIntervalMs, bytesPerSecond: p.rxBytesPerSecond, lossFraction: p.lossFraction }];
}

/** `now`: when the session summarises (a receiver still in it counts up to then). */
export function summarize(p: Participant, now = p.endedAt ?? p.lastHeard): ReceiverSummary {
  return {
    id: p.id,
    name: p.name,
    address: p.address,
    port: p.port,
    state: p.state,
    reason: p.reason,
    packets: p.packets,
    duplicates: p.duplicates,
    malformed: p.malformed,
    symbolsRequested: p.symbolsRequested,
    nackPackets: p.nackPackets,
    repairCharged: p.repairCharged,
    chunksDone: p.chunksDone,
    ...(p.rejoins ? { rejoins: p.rejoins } : {}),
    seconds: Math.max(0, ((p.endedAt ?? now) - p.joinedAt) / 1000),
    ...(p.message ? { message: p.message } : {}),
    ...(p.catchUp ? { catchUp: { why: p.catchUp.why, detail: p.catchUp.detail, atChunk: p.catchUp.atChunk, afterSeconds: Math.max(0, (p.catchUp.since - p.joinedAt) / 1000), caughtUp: p.catchUp.caughtUp } } : {}),
  };
}
