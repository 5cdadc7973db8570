// The catch-up path: each catching-up receiver's NACKs wait in a repair
// queue of its own, served at its own pace once the group needs nothing
// (no first-pass chunk left, no group repair due), one round at a time, so
// that they never preempt the group's pass or repairs, and never go out
// faster than that receiver takes them in. Rounds are multicast parity like
// every repair: one round fixes different losses at different receivers.
import { Stream } from '../protocol/constants.js';
import type { NackEntry } from '../protocol/packets.js';
import { RepairQueue, type RepairRequest } from './repairs.js';

/** A pace never goes below this (bytes/s): a stalled receiver is lost by its silence, not starved. */
export const MIN_PACE = 250_000;
/** At most one change of a pace per this many ms: a report's figures span about that. */
const ADJUST_MS = 500;
/** Cut when less than this share of what is sent reaches it; grow when more than GROW_ABOVE does. */
const CUT_BELOW = 0.85;
const GROW_ABOVE = 0.95;
const GROWTH = 1.1;
/** A cut aims just under the rate that reached it. */
const CUT_MARGIN = 0.95;

/**
 * One receiver's repair pace, from what its reports show reaches it: the
 * share of the DATA sent that it received, and the rate it received at.
 * Losing more than 15%: the pace drops just under what reached it (the
 * larger of the rate it received at, right while its link is full, and the
 * pace times the share, right while its rounds go alone with gaps between
 * them); losing under 5%: it grows by 10%, up to the ceiling. At most one
 * change every ADJUST_MS.
 */
export class CatchUpPace {
  private changedAt = -Infinity;

  /** `ceiling`: the session's --rate (bytes/s, 0: none). */
  constructor(
    public rate: number,
    private readonly ceiling: number,
  ) {
    this.rate = this.bounded(rate);
  }

  delivered(now: number, ratio: number, bytesPerSecond: number): void {
    if (now - this.changedAt < ADJUST_MS) return;
    if (ratio < CUT_BELOW) this.rate = this.bounded(Math.max(bytesPerSecond, this.rate * ratio) * CUT_MARGIN);
    else if (ratio > GROW_ABOVE) this.rate = this.bounded(this.rate * GROWTH);
    else return;
    this.changedAt = now;
  }

  private bounded(rate: number): number {
    return Math.max(MIN_PACE, this.ceiling > 0 ? Math.min(this.ceiling, rate) : rate);
  }
}

interface Member {
  queue: RepairQueue;
  pace: CatchUpPace;
  /** Image chunks at or above this go to the group's queue (a late joiner catches up only on what the pass had sent). */
  below: number;
}

/** A catch-up round to send: which receiver's, the request, the queue it came from and the pace to send it at. */
export interface CatchUpRound {
  id: number;
  request: RepairRequest;
  queue: RepairQueue;
  rate: number;
}

export class CatchUpQueues {
  private readonly members = new Map<number, Member>();
  private lastServed = -1;

  /** `id` catches up from now on, at `rate` bytes/s to start with, on image chunks below `below` (Infinity: all). */
  add(id: number, rate: number, ceiling: number, below = Infinity): void {
    if (!this.members.has(id)) this.members.set(id, { queue: new RepairQueue(0), pace: new CatchUpPace(rate, ceiling), below });
  }

  has(id: number): boolean {
    return this.members.has(id);
  }

  /** Forgets `id` and whatever it still waited for (it is done, failed or lost). */
  remove(id: number): void {
    this.members.delete(id);
  }

  /** The receivers on the path. */
  ids(): number[] {
    return [...this.members.keys()];
  }

  pace(id: number): CatchUpPace | undefined {
    return this.members.get(id)?.pace;
  }

  /**
   * The queue a NACK entry from `id` joins, if `id` catches up on that
   * chunk; undefined: the group's. The manifest is always the group's: it is
   * small, and without it a receiver can take in none of the pass.
   */
  route(id: number, e: NackEntry): RepairQueue | undefined {
    const m = this.members.get(id);
    return m && e.stream === Stream.Image && e.chunk < m.below ? m.queue : undefined;
  }

  /** Whether any catch-up round is waiting. */
  get pending(): boolean {
    for (const m of this.members.values()) if (m.queue.size > 0) return true;
    return false;
  }

  /** The next round due, taking receivers in turn so that a slow one cannot hold the others' catch-up back. */
  next(now: number): CatchUpRound | undefined {
    const ids = [...this.members.keys()].sort((a, b) => a - b);
    const start = ids.findIndex((id) => id > this.lastServed);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[(Math.max(0, start) + i) % ids.length]!;
      const m = this.members.get(id)!;
      const request = m.queue.take(now);
      if (!request) continue;
      this.lastServed = id;
      return { id, request, queue: m.queue, rate: m.pace.rate };
    }
    return undefined;
  }
}
