// Who may report to the sender. A receiver joins with its first STATUS; from
// then on its id is pinned to the source address and port it joined from and
// to its join nonce, so a stranger who learns (or guesses) an id can neither
// NACK for it, report it overloaded, nor report it DONE. Members are limited
// in number, joins and reports in rate, so a flood costs bounded memory and
// CPU. Holds with or without keys (docs/SECURITY.md, "Limits on members").
import { ReceiverState } from '../protocol/constants.js';
import type { Status } from '../protocol/packets.js';
import { isTerminal, type Participant, type Participants } from './participants.js';
import { TokenBucket } from './token-bucket.js';

/**
 * The limits, from the protocol's own pacing (docs/PROTOCOL.md): a receiver
 * NACKs at most every 20 ms in the repair tail (50 ticks/s), and a tick of
 * 256 entries per stream fits in a few packets; it reports overload at most
 * every 50 ms (20/s), heartbeats at most once a second, retries a final
 * report at most 8 times over seconds. A legit receiver thus sends well
 * under 100 reports a second; its bucket holds a burst of 200 and refills at
 * 250/s, so only a receiver that sends several times what the protocol
 * allows is ever limited, and a dropped NACK costs it only a holdoff.
 * Joins: a burst of 1,000 receivers booted together all join at once; after
 * that 500 joins/s (a refused join is retried with the next heartbeat).
 */
export const MEMBER_LIMITS = {
  maxMembers: 10_000,
  joinBurst: 1000,
  joinsPerSecond: 500,
  reportBurst: 200,
  reportsPerSecond: 250,
};
export type MemberLimits = typeof MEMBER_LIMITS;

/** Reports dropped, by why (the sender's summary has them). */
export interface DroppedReports {
  /** Undecodable, of another session, or of an unknown type. */
  malformed: number;
  /** Claimed a member's id from another address or port, or (STATUS) with another join nonce. */
  forged: number;
  /** NACKs from an id that is not a live member (never joined, or done, failed or lost). */
  nonMember: number;
  /** OVERLOADED flags not taken: from a join, or from a member that is not live. */
  overloadIgnored: number;
  /** A member's reports beyond its rate limit. */
  rateLimited: number;
  /** Joins refused: the table is full, or joins come faster than the join limit. */
  joinsRefused: number;
  /** NACK entries beyond the member's repair credit (repair-budget.ts). */
  overBudget: number;
  /** Sealed sessions: reports without a valid tag (unsealed, or sealed with another key). */
  unauthenticated: number;
  /** Sealed sessions: reports whose sequence number was seen before (replays). */
  replayed: number;
}

export function noDrops(): DroppedReports {
  return { malformed: 0, forged: 0, nonMember: 0, overloadIgnored: 0, rateLimited: 0, joinsRefused: 0, overBudget: 0, unauthenticated: 0, replayed: 0 };
}

/**
 * What to do with a STATUS: take it as a join, a rejoin (a restarted member: see isRejoin) or a member's report
 * (with or without its overload flag), or drop it and why.
 */
export type StatusVerdict = { take: 'join' | 'rejoin' | 'member'; overload: boolean } | { take: false; why: 'forged' | 'rateLimited' | 'joinsRefused' };
/** What to do with a NACK: the member it is from, or drop it and why. */
export type NackVerdict = { member: Participant } | { member: undefined; why: 'forged' | 'nonMember' | 'rateLimited' };

export class Admission {
  private readonly joins: TokenBucket;
  private readonly buckets = new Map<number, TokenBucket>();
  private readonly maxMembers: number;

  /** `minReceivers`: the table always has room for the receivers the sender waits for. */
  constructor(
    private readonly members: Participants,
    private readonly dropped: DroppedReports,
    now: number,
    minReceivers = 1,
    private readonly limits: MemberLimits = MEMBER_LIMITS,
  ) {
    this.joins = new TokenBucket(limits.joinBurst, limits.joinsPerSecond, now);
    this.maxMembers = Math.max(limits.maxMembers, minReceivers);
  }

  status(s: Status, address: string, port: number, now: number): StatusVerdict {
    const p = this.members.get(s.receiverId);
    if (!p) {
      if (!this.roomToJoin(now)) return this.drop('joinsRefused');
      this.buckets.set(s.receiverId, new TokenBucket(this.limits.reportBurst, this.limits.reportsPerSecond, now));
      // Not a member yet: its overload (maybe a stranger's) slows nobody down.
      if (s.overloaded) this.dropped.overloadIgnored++;
      return { take: 'join', overload: false };
    }
    if (isRejoin(p, s, address)) {
      if (!this.joins.take(now)) return this.drop('joinsRefused');
      this.buckets.set(s.receiverId, new TokenBucket(this.limits.reportBurst, this.limits.reportsPerSecond, now));
      return { take: 'rejoin', overload: false };
    }
    if (!pinned(p, address, port) || !p.nonce.equals(s.nonce)) return this.drop('forged');
    if (!this.withinRate(p, now)) return this.drop('rateLimited');
    const live = !isTerminal(p.state);
    if (s.overloaded && !live) this.dropped.overloadIgnored++;
    return { take: 'member', overload: s.overloaded && live };
  }

  nack(receiverId: number, address: string, port: number, now: number): NackVerdict {
    const p = this.members.get(receiverId);
    if (!p) return this.drop('nonMember');
    if (!pinned(p, address, port)) return this.drop('forged');
    if (!this.withinRate(p, now)) return this.drop('rateLimited');
    // Done or failed needs no repair; lost is declared so and repaired no more.
    if (isTerminal(p.state)) return this.drop('nonMember');
    return { member: p };
  }

  /** The join rate first: a flood of refused joins then costs O(1) each, and only admitted ones scan a full table. */
  private roomToJoin(now: number): boolean {
    if (!this.joins.take(now)) return false;
    if (this.members.size < this.maxMembers) return true;
    const evicted = this.members.evictLost();
    if (evicted === undefined) return false;
    this.buckets.delete(evicted);
    return true;
  }

  private withinRate(p: Participant, now: number): boolean {
    return this.buckets.get(p.id)?.take(now) ?? true;
  }

  private drop<W extends keyof DroppedReports>(why: W): { take: false; member: undefined; why: W } {
    this.dropped[why]++;
    return { take: false, member: undefined, why };
  }
}

/**
 * A restarted receiver: the member's id (kept in its resume journal) from the
 * same address, asking to join (state JOINED) with a fresh nonce, from
 * whatever port it now has. Its old run ends there (the table's rejoin());
 * a member that is done has nothing to resume.
 */
function isRejoin(p: Participant, s: Status, address: string): boolean {
  return p.address === address && s.state === ReceiverState.Joined && !p.nonce.equals(s.nonce) && p.state !== 'done';
}

function pinned(p: Participant, address: string, port: number): boolean {
  return p.address === address && p.port === port;
}
