// The receiver's timing rules as pure functions of what the sender
// announced and what is outstanding, so they can be tested without a clock.
import { FIRST_PASS_NACK_INTERVAL_MS, IDLE_TICK_MS, NACK_BACKOFF_MS, NACK_HOLDOFF_MS, NACK_INTERVAL_MS, STATUS_INTERVAL_MS, collectionWindowMs } from '../defaults.js';
import { Phase } from '../protocol/constants.js';

/** A typical repair round for one chunk, for timing the NACK holdoff. */
const REPAIR_BURST_BYTES = 128 * 1024;

/**
 * One timer serves NACKs, overload reports and heartbeats, since each
 * wake-up costs and hundreds of receivers may share a host. It runs every
 * 20 ms once the sender only repairs (the tail, where each round trip
 * counts), every 100 ms while losses below the sender's progress are
 * outstanding in its first pass, and every 250 ms when there is nothing to
 * report; an ANNOUNCE with new progress runs it at once (progressTickMs).
 */
export function tickIntervalMs(phase: number | undefined, outstanding: boolean): number {
  return phase === Phase.Repairing ? NACK_INTERVAL_MS : outstanding ? FIRST_PASS_NACK_INTERVAL_MS : IDLE_TICK_MS;
}

/** The wait before the next tick: a report held back by its random backoff goes out when that ends. */
export function nextTickMs(intervalMs: number, nextDue: number, now: number): number {
  return Math.max(1, Math.min(intervalMs, nextDue - now));
}

/**
 * Ask again only after a repair round could have arrived: the sender's
 * collection window plus the time a sizeable repair takes at its rate.
 */
export function nackHoldoffMs(rateKiB: number): number {
  return rateKiB > 0 ? Math.max(NACK_HOLDOFF_MS, 60 + (4 * REPAIR_BURST_BYTES) / (rateKiB * 1.024)) : NACK_HOLDOFF_MS;
}

/** The window the sender asks reports to be spread over (0 in its ANNOUNCE: the default). */
export function backoffWindowMs(announcedBackoffMs: number | undefined): number {
  return announcedBackoffMs || NACK_BACKOFF_MS;
}

/** How long a REPAIR_ADV is trusted to describe the sender's coming round. */
export function advertTrustMs(backoffWindow: number): number {
  return Math.max(NACK_HOLDOFF_MS, collectionWindowMs(backoffWindow));
}

/** The STATUS heartbeat interval the sender's ANNOUNCE asks for (in tenths of a second; 0: the default). */
export function heartbeatMs(announcedHeartbeat: number | undefined): number {
  return announcedHeartbeat ? announcedHeartbeat * 100 : STATUS_INTERVAL_MS;
}

/** An ANNOUNCE with new progress runs the tick soon, at a random point of the default backoff window. */
export function progressTickMs(random: () => number = Math.random): number {
  return random() * NACK_BACKOFF_MS;
}

/**
 * The final report's retries: the first wait is an eighth of the heartbeat
 * interval, 0.5 to 4 s, then twice as far apart each time up to 4 s. The
 * sender stretches that interval with the group's size and its link's
 * slowness, and hundreds of receivers finishing together would otherwise
 * retry faster than a busy sender answers, adding to its queue.
 */
export function firstFinalReportWaitMs(heartbeat: number): number {
  return Math.min(4000, Math.max(500, heartbeat / 8));
}

export function nextFinalReportWaitMs(waitMs: number): number {
  return Math.min(4000, waitMs * 2);
}

/** Each wait of the final report jittered ±50%. */
export function jitteredMs(waitMs: number, random: () => number = Math.random): number {
  return waitMs * (0.5 + random());
}
