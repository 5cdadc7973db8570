import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { MAX_NACK_BACKOFF_MS, MAX_TAIL_NACK_BACKOFF_MS, NACK_BACKOFF_MS, REPAIR_HOLD_MS } from '../../src/defaults.js';
import { heartbeatTenths, nackBackoffWindow, readyToStart, receiverTimeoutMs, repairHoldUntil } from '../../src/sender/timing.js';

const MiB = 1024 * 1024;

describe('nackBackoffWindow', () => {
  it('is the default for one receiver or an unknown rate', () => {
    expect(nackBackoffWindow(1, 1e6, true, MiB)).toBe(NACK_BACKOFF_MS);
    expect(nackBackoffWindow(16, 0, true, MiB)).toBe(NACK_BACKOFF_MS);
    expect(nackBackoffWindow(16, -5, false, MiB)).toBe(NACK_BACKOFF_MS);
  });

  it('is two chunks on the wire in the first pass, at most 500 ms', () => {
    expect(nackBackoffWindow(16, 50e6, true, MiB)).toBe(40); // 2 MiB at 50 MB/s: 41.9 ms, in whole 10 ms
    expect(nackBackoffWindow(16, 6.25e6, true, MiB)).toBe(340); // 50 Mbit/s
    expect(nackBackoffWindow(16, 1e6, true, MiB)).toBe(MAX_NACK_BACKOFF_MS);
    expect(nackBackoffWindow(16, 1e9, true, MiB)).toBe(NACK_BACKOFF_MS); // a fast link: never below the default
  });

  it('is 64 KiB on the wire in the repair tail, 20 to 200 ms', () => {
    expect(nackBackoffWindow(16, 1.25e6, false, MiB)).toBe(50); // 64 KiB at 10 Mbit/s: 52.4 ms
    expect(nackBackoffWindow(16, 6.25e6, false, MiB)).toBe(NACK_BACKOFF_MS); // 10.5 ms: never below the default
    expect(nackBackoffWindow(16, 1e5, false, MiB)).toBe(MAX_TAIL_NACK_BACKOFF_MS);
    expect(nackBackoffWindow(16, 1e9, false, MiB)).toBe(NACK_BACKOFF_MS);
  });
});

describe('heartbeatTenths', () => {
  it('shares 0.25% of the link among all heartbeats, between 1 and 25 s', () => {
    expect(heartbeatTenths(4, 0)).toBe(10);
    expect(heartbeatTenths(4, Number.NaN)).toBe(10);
    expect(heartbeatTenths(4, 125e6)).toBe(2); // 1 Gbit/s, a small group: every 0.2 s for rate discovery
    expect(heartbeatTenths(10, 125e6)).toBe(5);
    expect(heartbeatTenths(40, 125e6)).toBe(10); // from 20 receivers on: once a second
    expect(heartbeatTenths(1000, 125e3)).toBe(250); // 1 Mbit/s, 1000 receivers: the rarest
    expect(heartbeatTenths(100, 1e6)).toBe(43); // 10800 B at 2500 B/s
  });
});

describe('receiverTimeoutMs', () => {
  it('is --receiver-timeout, or four heartbeats if they are rarer', () => {
    expect(receiverTimeoutMs(10, 10)).toBe(10_000);
    expect(receiverTimeoutMs(10, 250)).toBe(100_000);
    expect(receiverTimeoutMs(2, 2)).toBe(4000); // a small group's 0.2 s heartbeats: still four seconds at least
    expect(receiverTimeoutMs(0.5, 10)).toBe(4000);
  });
});

describe('repairHoldUntil', () => {
  it('is the round on the wire plus a report round trip', () => {
    const clock = new FakeClock(1000);
    expect(repairHoldUntil(clock.now(), 100, 1000, 1e6)).toBe(1000 + 100 + REPAIR_HOLD_MS);
    expect(repairHoldUntil(clock.now(), 100, 1000, 0)).toBe(1000 + REPAIR_HOLD_MS); // unpaced and unmeasured
  });
});

describe('readyToStart', () => {
  it('starts with enough receivers, or --max-wait after the first joined', () => {
    const clock = new FakeClock(0);
    const joined = 100;
    clock.set(joined);
    expect(readyToStart(2, 2, 0, joined, clock.now())).toBe(true);
    expect(readyToStart(1, 2, 0, joined, clock.now())).toBe(false); // no --max-wait: wait for ever
    clock.advance(1999);
    expect(readyToStart(1, 2, 2, joined, clock.now())).toBe(false);
    clock.advance(1);
    expect(readyToStart(1, 2, 2, joined, clock.now())).toBe(true);
    expect(readyToStart(0, 2, 2, joined, clock.now())).toBe(false); // nobody to send to
    expect(readyToStart(0, 0, 0, joined, clock.now())).toBe(false); // never with nobody, whatever the options
  });
});
