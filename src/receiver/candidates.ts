// Sessions a receiver has heard announced but not joined. Each candidate is
// asked, by a STATUS carrying this run's join nonce, whether a live sender
// stands behind it; only an ACK echoing the nonce joins it. A recording
// cannot echo a nonce chosen now, so a replayed session stays a candidate
// until it times out, and its session id is then ignored for a while.
// A live sender that answers late (its event loop or this node starved of
// CPU, as 100 receivers on two cores are) still echoes the nonce: its ACK
// joins the session while the id is ignored, so a late answer does not
// cost the node the whole first pass.
// A pure policy: it sends nothing and reads no clock.
import { Phase } from '../protocol/constants.js';
import type { Announce } from '../protocol/packets.js';
import { changedField, goesBack } from './pinning.js';

/** Candidates asked at once; more ANNOUNCEs of new sessions wait until one is dropped. */
export const MAX_CANDIDATES = 4;
/** A candidate whose sender has not answered by then is dropped. */
export const CANDIDATE_TIMEOUT_MS = 3000;
/** A dropped candidate's session id is ignored this long. */
export const IGNORE_MS = 10_000;
/** The first retry of a candidate's STATUS; each later one waits twice as long. */
export const FIRST_PROBE_RETRY_MS = 250;
/** Ignored session ids remembered at most (the oldest is forgotten first). */
const MAX_IGNORED = 64;

export interface Candidate {
  /** Its latest ANNOUNCE; the fixed fields are those of the first. */
  announce: Announce;
  address: string;
  since: number;
  nextProbe: number;
  retryMs: number;
}

/**
 * What an ANNOUNCE did: made a new candidate, updated one, was forged
 * (another fixed field for the same session and address), was ignored (a
 * session dropped lately, or a stale or ENDED one), or found no room.
 */
export type Offer = 'new' | 'updated' | 'forged' | 'ignored' | 'full';

const keyOf = (session: number, address: string): string => `${session >>> 0}@${address}`;

export class Candidates {
  private readonly byKey = new Map<string, Candidate>();
  /** Candidates dropped unanswered, while their session is ignored: a late ACK still joins them. */
  private readonly late = new Map<string, Candidate>();
  /** Session id -> until when it is ignored. */
  private readonly ignored = new Map<number, number>();

  constructor(private readonly limit = MAX_CANDIDATES) {}

  get size(): number {
    return this.byKey.size;
  }

  /** Takes an ANNOUNCE from `address` in (geometry already checked). */
  offer(a: Announce, address: string, now: number): Offer {
    const key = keyOf(a.session, address);
    const known = this.byKey.get(key);
    if (known) {
      if (changedField(known.announce, a) !== undefined) return 'forged';
      if (goesBack(known.announce, a)) return 'ignored';
      // A sender that ends will never answer: stop asking it.
      if (a.phase === Phase.Ended) this.byKey.delete(key);
      else known.announce = a;
      return 'updated';
    }
    if (a.phase === Phase.Ended || this.isIgnored(a.session, now)) {
      this.keepLate(key, a);
      return 'ignored';
    }
    if (this.byKey.size >= this.limit) return 'full';
    this.byKey.set(key, { announce: a, address, since: now, nextProbe: now, retryMs: FIRST_PROBE_RETRY_MS });
    return 'new';
  }

  /** Ignores a session id for IGNORE_MS (dropped, or unusable). */
  ignore(session: number, now: number): void {
    this.ignored.delete(session);
    this.ignored.set(session, now + IGNORE_MS);
    if (this.ignored.size > MAX_IGNORED) this.ignored.delete(this.ignored.keys().next().value!);
  }

  isIgnored(session: number, now: number): boolean {
    const until = this.ignored.get(session);
    if (until === undefined) return false;
    if (now < until) return true;
    this.ignored.delete(session);
    return false;
  }

  /**
   * Drops candidates that have not answered within CANDIDATE_TIMEOUT_MS
   * (their sessions are ignored from now), and returns those whose STATUS
   * is due now, each scheduled for its next retry.
   */
  due(now: number): Candidate[] {
    const out: Candidate[] = [];
    for (const [key, c] of this.byKey) {
      if (now - c.since >= CANDIDATE_TIMEOUT_MS) {
        this.byKey.delete(key);
        this.ignore(c.announce.session, now);
        this.late.delete(key);
        this.late.set(key, c);
        if (this.late.size > MAX_IGNORED) this.late.delete(this.late.keys().next().value!);
        continue;
      }
      if (now < c.nextProbe) continue;
      c.nextProbe = now + c.retryMs;
      c.retryMs *= 2;
      out.push(c);
    }
    return out;
  }

  /** Candidates asked, and those dropped whose late ACK may still join them (a receiver waiting for either stays a Candidate). */
  pending(now: number): number {
    for (const [key, c] of this.late) if (!this.isIgnored(c.announce.session, now)) this.late.delete(key);
    return this.byKey.size + this.late.size;
  }

  /** When the next STATUS or timeout falls due (Infinity: no candidate). */
  nextDue(): number {
    let next = Infinity;
    for (const c of this.byKey.values()) next = Math.min(next, c.nextProbe, c.since + CANDIDATE_TIMEOUT_MS);
    return next;
  }

  /** The candidate an ACK of `session` answers, if it came from that candidate's control socket. */
  answered(session: number, address: string, port: number, now: number): Candidate | undefined {
    const key = keyOf(session, address);
    const c = this.byKey.get(key) ?? (this.isIgnored(session, now) ? this.late.get(key) : undefined);
    return c && c.announce.controlPort === port ? c : undefined;
  }

  clear(): void {
    this.byKey.clear();
    this.late.clear();
  }

  /** A dropped candidate's sender goes on announcing: keep its latest ANNOUNCE for a late ACK (none once it ends). */
  private keepLate(key: string, a: Announce): void {
    const c = this.late.get(key);
    if (!c || changedField(c.announce, a) !== undefined || goesBack(c.announce, a)) return;
    if (a.phase === Phase.Ended) this.late.delete(key);
    else c.announce = a;
  }
}
