// The sender's timing rules, as pure functions of what they depend on: the
// pacing rate (bytes/s; 0 or less when unknown), the group's size and the
// session's options.
import { MAX_NACK_BACKOFF_MS, MAX_TAIL_NACK_BACKOFF_MS, NACK_BACKOFF_MS, REPAIR_HOLD_MS } from '../defaults.js';

const TAIL_BACKOFF_BYTES = 64 * 1024;
const HEARTBEAT_BYTES = 108; // a STATUS (no digest) with a short name, plus IP/UDP headers

/**
 * The window over which receivers spread the first report of a loss. It
 * must outlast a REPAIR_ADV's trip to them, which queues behind data on a
 * slow link, for the exponential backoff to let the few early reports
 * silence the rest. In a group's first pass a repair can wait (new data
 * fills the link meanwhile): two chunks' time on the wire, at most 500 ms.
 * In the repair tail each round trip adds to the session's time: 64 KiB's
 * time on the wire, 20 to 200 ms. One receiver has no one to wait for.
 */
export function nackBackoffWindow(groupSize: number, rate: number, firstPass: boolean, chunkSize: number): number {
  if (groupSize <= 1 || rate <= 0) return NACK_BACKOFF_MS;
  const [bytes, most] = firstPass ? [2 * chunkSize, MAX_NACK_BACKOFF_MS] : [TAIL_BACKOFF_BYTES, MAX_TAIL_NACK_BACKOFF_MS];
  // Whole 10 ms, so that a measured rate's jitter does not change every ANNOUNCE (receivers skip repeats).
  return Math.min(most, Math.max(NACK_BACKOFF_MS, Math.round((bytes / rate) * 100) * 10));
}

/**
 * Receivers' STATUS heartbeat interval, in tenths of a second: about 0.25%
 * of the link for all heartbeats together (as RTCP shares its bandwidth),
 * never rarer than every 25 s. Rate discovery wants reports often in small
 * groups: at most every 0.2 s up to 4 receivers, every 0.05 s × N up to 20,
 * once a second from 20 on (so large groups report as they always did).
 */
export function heartbeatTenths(groupSize: number, rate: number): number {
  if (!(rate > 0)) return 10;
  const seconds = (groupSize * HEARTBEAT_BYTES) / (0.0025 * rate);
  const least = Math.min(1, Math.max(0.2, 0.05 * groupSize));
  return Math.round(Math.min(25, Math.max(least, seconds)) * 10);
}

/**
 * How long a receiver may be silent before it is lost, ms: silence means
 * lost only after several heartbeats have been missed, and never under 4 s
 * (four of the 1 s heartbeats small groups had before rate discovery made
 * theirs more frequent: a busy receiver is not lost sooner for it).
 */
export function receiverTimeoutMs(receiverTimeoutS: number, heartbeat: number): number {
  return Math.max(receiverTimeoutS * 1000, 4 * Math.max(10, heartbeat) * 100);
}

/**
 * Until when reports of a chunk may predate a repair round of `symbols`
 * symbols sent at `now`: the round's time on the wire, plus REPAIR_HOLD_MS
 * for a report's trip. Reports that reach us before this round has reached
 * receivers ask for it again.
 */
export function repairHoldUntil(now: number, symbols: number, symbolSize: number, rate: number): number {
  const wireMs = rate > 0 ? ((symbols * symbolSize) / rate) * 1000 : 0;
  return now + wireMs + REPAIR_HOLD_MS;
}

/** Whether the wait for receivers is over: enough joined, or `maxWait` seconds have passed since the first did; never with nobody. */
export function readyToStart(ready: number, minReceivers: number, maxWaitS: number, firstJoinAt: number, now: number): boolean {
  if (ready <= 0) return false;
  if (ready >= minReceivers) return true;
  return maxWaitS > 0 && ready > 0 && now - firstJoinAt >= maxWaitS * 1000;
}

/** How often the sender says it is still waiting for receivers, ms. */
export const WAITING_NOTICE_MS = 10_000;
