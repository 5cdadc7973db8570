import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { FIRST_PASS_NACK_INTERVAL_MS, IDLE_TICK_MS, NACK_BACKOFF_MS, NACK_HOLDOFF_MS, NACK_INTERVAL_MS, STATUS_INTERVAL_MS } from '../../src/defaults.js';
import { Phase } from '../../src/protocol/constants.js';
import {
  advertTrustMs,
  backoffWindowMs,
  firstFinalReportWaitMs,
  heartbeatMs,
  jitteredMs,
  nackHoldoffMs,
  nextFinalReportWaitMs,
  nextTickMs,
  progressTickMs,
  tickIntervalMs,
} from '../../src/receiver/timing.js';

describe('receiver timing', () => {
  it('ticks often in the repair tail, less with losses outstanding, rarely when idle', () => {
    expect(tickIntervalMs(Phase.Repairing, false)).toBe(NACK_INTERVAL_MS);
    expect(tickIntervalMs(Phase.Sending, true)).toBe(FIRST_PASS_NACK_INTERVAL_MS);
    expect(tickIntervalMs(Phase.Sending, false)).toBe(IDLE_TICK_MS);
    expect(tickIntervalMs(undefined, false)).toBe(IDLE_TICK_MS);
  });

  it('wakes early for a report whose backoff ends first, but never in under 1 ms', () => {
    const clock = new FakeClock(1000);
    expect(nextTickMs(250, Infinity, clock.now())).toBe(250);
    expect(nextTickMs(250, 1030, clock.now())).toBe(30);
    clock.advance(40);
    expect(nextTickMs(250, 1030, clock.now())).toBe(1);
  });

  it('holds a repeated NACK back for a repair round at the sender\'s rate', () => {
    expect(nackHoldoffMs(0)).toBe(NACK_HOLDOFF_MS);
    expect(nackHoldoffMs(1_000_000)).toBe(NACK_HOLDOFF_MS); // a fast link: the floor
    expect(nackHoldoffMs(1000)).toBeCloseTo(60 + (4 * 128 * 1024) / 1024, 9); // 1000 KiB/s: 572 ms
  });

  it('takes the backoff window and heartbeat from the ANNOUNCE, with defaults for 0', () => {
    expect(backoffWindowMs(0)).toBe(NACK_BACKOFF_MS);
    expect(backoffWindowMs(undefined)).toBe(NACK_BACKOFF_MS);
    expect(backoffWindowMs(300)).toBe(300);
    expect(heartbeatMs(0)).toBe(STATUS_INTERVAL_MS);
    expect(heartbeatMs(undefined)).toBe(STATUS_INTERVAL_MS);
    expect(heartbeatMs(25)).toBe(2500);
  });

  it('trusts a REPAIR_ADV for the sender\'s collection window, at least the holdoff', () => {
    expect(advertTrustMs(NACK_BACKOFF_MS)).toBe(NACK_HOLDOFF_MS);
    expect(advertTrustMs(500)).toBe(500 + FIRST_PASS_NACK_INTERVAL_MS + 60);
  });

  it('runs a tick within the default backoff window of an ANNOUNCE of progress', () => {
    expect(progressTickMs(() => 0)).toBe(0);
    expect(progressTickMs(() => 0.5)).toBe(NACK_BACKOFF_MS / 2);
  });

  it('spaces final reports from an eighth of the heartbeat (0.5 to 4 s), doubling up to 4 s, jittered ±50%', () => {
    expect(firstFinalReportWaitMs(1000)).toBe(500);
    expect(firstFinalReportWaitMs(8000)).toBe(1000);
    expect(firstFinalReportWaitMs(60_000)).toBe(4000);
    expect(nextFinalReportWaitMs(1000)).toBe(2000);
    expect(nextFinalReportWaitMs(3000)).toBe(4000);
    expect(jitteredMs(1000, () => 0)).toBe(500);
    expect(jitteredMs(1000, () => 0.999)).toBeCloseTo(1499, 6);
  });
});
