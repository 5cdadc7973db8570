// A receiver's receive rate and loss from the cumulative counters of two
// STATUS reports, and the participant fields that keep them.
import { describe, expect, it } from 'vitest';
import { Participants } from '../../src/sender/participants.js';
import { receiveRate } from '../../src/sender/receive-rate.js';
import { makeStatus } from '../helpers/status.js';

describe('receiveRate', () => {
  it('takes wire bytes (datagrams and their IP/UDP headers) over the receiver\'s own interval, and loss as datagrams sent but not taken', () => {
    const r = receiveRate({ clockMs: 1000, dataBytes: 0, packets: 0, sequenced: 0 }, { clockMs: 1250, dataBytes: 2_472_280, packets: 990, sequenced: 1000 });
    expect(r).toEqual({ bytesPerSecond: 10_000_000, lossFraction: 0.01, intervalMs: 250 });
  });

  it('waits for a longer interval, follows the clock through its wrap, and restarts on counters that went back', () => {
    expect(receiveRate({ clockMs: 0, dataBytes: 0, packets: 0, sequenced: 0 }, { clockMs: 100, dataBytes: 1, packets: 1, sequenced: 1 })).toBe('wait');
    const wrapped = receiveRate({ clockMs: 2 ** 32 - 100, dataBytes: 0, packets: 0, sequenced: 0 }, { clockMs: 100, dataBytes: 144, packets: 2, sequenced: 2 });
    expect(wrapped).toEqual({ bytesPerSecond: 1000, lossFraction: 0, intervalMs: 200 });
    expect(receiveRate({ clockMs: 0, dataBytes: 10, packets: 1, sequenced: 1 }, { clockMs: 500, dataBytes: 5, packets: 1, sequenced: 1 })).toBe('restart');
  });
});

describe('Participant rxBytesPerSecond and lossFraction', () => {
  it('are set from the second report on, over the interval between them', () => {
    const ps = new Participants();
    ps.update(makeStatus(7, { clockMs: 5000, dataBytes: 1000, packets: 10, sequenced: 10 }), '10.0.0.2', 4000, 100);
    const p = ps.get(7)!;
    expect([p.rxBytesPerSecond, p.lossFraction, p.rxMeasuredAt]).toEqual([0, 0, undefined]);
    ps.update(makeStatus(7, { clockMs: 5100, dataBytes: 5000, packets: 20, sequenced: 20 }), '10.0.0.2', 4000, 200); // too short: kept for the next
    expect(p.rxMeasuredAt).toBeUndefined();
    ps.update(makeStatus(7, { clockMs: 5500, dataBytes: 975_800, packets: 910, sequenced: 1010 }), '10.0.0.2', 4000, 600);
    expect([p.rxBytesPerSecond, p.lossFraction, p.rxIntervalMs, p.rxMeasuredAt]).toEqual([2_000_000, 0.1, 500, 600]);
  });
});
