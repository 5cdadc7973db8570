// A receiver's receive rate and loss between two of its STATUS reports:
// STATUS carries cumulative counters read at the receiver's own clock
// (docs/PROTOCOL.md, "Rate discovery"), so a lost report only lengthens the
// next interval.

import { IP_UDP_OVERHEAD } from '../protocol/constants.js';

/** The cumulative figures of one STATUS. */
export interface RxCounters {
  clockMs: number;
  dataBytes: number;
  packets: number;
  sequenced: number;
}

export interface RxRate {
  /**
   * Wire bytes/s received, counted as the sender's pacer counts them (each
   * datagram with its IP and UDP headers): the receiver counts datagram
   * bytes only, and an estimate ~2% short of the link at MTU 1500 would
   * leave that much of it unused for the whole session.
   */
  bytesPerSecond: number;
  lossFraction: number;
  intervalMs: number;
}

/** Intervals shorter than this say little (an overload or progress report right after a heartbeat): wait for a longer one. */
export const MIN_RATE_INTERVAL_MS = 150;
const CLOCK_WRAP = 2 ** 32;

/**
 * The rate over the interval from `prev` to `next`; 'wait' when the
 * interval is too short to say (keep `prev`), 'restart' when the counters
 * went backwards (take `next` as the new start).
 */
export function receiveRate(prev: RxCounters, next: RxCounters): RxRate | 'wait' | 'restart' {
  const intervalMs = (((next.clockMs - prev.clockMs) % CLOCK_WRAP) + CLOCK_WRAP) % CLOCK_WRAP;
  const bytes = next.dataBytes - prev.dataBytes;
  const taken = next.packets - prev.packets;
  const sent = next.sequenced - prev.sequenced;
  if (bytes < 0 || taken < 0 || sent < 0 || intervalMs > 600_000) return 'restart';
  if (intervalMs < MIN_RATE_INTERVAL_MS) return 'wait';
  return {
    bytesPerSecond: ((bytes + taken * IP_UDP_OVERHEAD) * 1000) / intervalMs,
    lossFraction: sent > 0 ? Math.min(1, Math.max(0, (sent - taken) / sent)) : 0,
    intervalMs,
  };
}
