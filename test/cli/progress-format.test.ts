// The live progress text and figures, without a terminal: sizes, rates,
// ETAs, bars, and the trackers that turn session snapshots into them.
import { describe, expect, it } from 'vitest';
import { wantsBar } from '../../src/cli/progress.js';
import { formatBar, formatBytes, formatEta, formatRate, receiverLines, senderLines } from '../../src/cli/progress-format.js';
import { etaSeconds, percentOf, RateMeter, ReceiveTracker, receiverProgressEvent, SendTracker, senderProgressEvent } from '../../src/cli/progress-view.js';
import { receiveProgress } from '../../src/receiver/progress.js';
import type { SendProgress } from '../../src/sender/progress.js';

const MB = 1e6;

function sendSnapshot(over: Partial<SendProgress> = {}): SendProgress {
  return {
    phase: 'sending',
    imageSize: 100 * MB,
    chunkSize: MB,
    chunkCount: 100,
    chunksSent: 0,
    bytesSent: 0,
    wireBytes: 0,
    repairBytes: 0,
    receivers: [
      { name: 'a', address: '10.0.0.1', state: 'receiving', chunksDone: 0, packets: 0, symbolsRequested: 0, nackPackets: 0, pace: 'main' },
      { name: 'b', address: '10.0.0.2', state: 'done', chunksDone: 100, packets: 0, symbolsRequested: 0, nackPackets: 0, pace: 'main' },
      { name: 'c', address: '10.0.0.3', state: 'lost', chunksDone: 3, packets: 0, symbolsRequested: 0, nackPackets: 0, pace: 'main' },
    ],
    ...over,
  };
}

describe('progress formatting', () => {
  it('writes sizes in decimal units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.5 kB');
    expect(formatBytes(512 * MB)).toBe('512.0 MB');
    expect(formatBytes(2.25e9)).toBe('2.3 GB');
    expect(formatBytes(-1)).toBe('?');
  });

  it('writes rates, unknown ones as --', () => {
    expect(formatRate(95.24 * MB)).toBe('95.2 MB/s');
    expect(formatRate(undefined)).toBe('-- B/s');
  });

  it('writes ETAs in seconds, minutes or hours, unknown ones as --', () => {
    expect(formatEta(0)).toBe('0s');
    expect(formatEta(41.2)).toBe('42s');
    expect(formatEta(185)).toBe('3m05s');
    expect(formatEta(3720)).toBe('1h02m');
    expect(formatEta(undefined)).toBe('--');
    expect(formatEta(Infinity)).toBe('--');
  });

  it('draws bars of a fixed width', () => {
    expect(formatBar(0, 10)).toBe('[----------]');
    expect(formatBar(45, 10)).toBe('[####------]');
    expect(formatBar(100, 10)).toBe('[##########]');
    expect(formatBar(150, 10)).toBe('[##########]');
  });

  it('says 100% only when done', () => {
    expect(percentOf(0, 10)).toBe(0);
    expect(percentOf(9999, 10000)).toBe(99.9);
    expect(percentOf(10, 10)).toBe(100);
    expect(percentOf(0, 0)).toBe(100);
  });

  it('estimates time to go from a rate', () => {
    expect(etaSeconds(100, 10)).toBe(10);
    expect(etaSeconds(0, undefined)).toBe(0);
    expect(etaSeconds(100, 0)).toBeUndefined();
    expect(etaSeconds(100, undefined)).toBeUndefined();
  });
});

describe('rate meter', () => {
  it('measures over the last window, forgetting older samples', () => {
    const m = new RateMeter(1000);
    expect(m.add(0, 0)).toBeUndefined();
    expect(m.add(500, 50)).toBe(100);
    expect(m.add(1000, 100)).toBe(100);
    // A stall: the rate falls as the window moves past the last progress.
    m.add(1500, 100);
    expect(m.add(2000, 100)).toBe(0);
    expect(m.add(2500, 400)).toBe(300);
  });
});

describe('sender progress', () => {
  it('shows the first pass with logical and wire rates, ETA, receiver counts and repair share', () => {
    const t = new SendTracker();
    t.update(sendSnapshot(), 0);
    const v = t.update(sendSnapshot({ chunksSent: 25, bytesSent: 25 * MB, wireBytes: 20 * MB, repairBytes: MB }), 1000);
    expect(v).toMatchObject({ stage: 'first-pass', percent: 25, bytesPerSecond: 25 * MB, wireBytesPerSecond: 20 * MB, etaSeconds: 3, repairShare: 0.05, missing: 1 });
    expect(v.counts).toEqual({ joined: 3, done: 1, failed: 0, lost: 1, catchingUp: 0 });
    const [pass, receivers] = senderLines(v);
    expect(pass).toBe('sending [####------------]  25.0% 25/100 ETA 3s | 25.0 MB/s, wire 20.0 MB/s');
    expect(receivers).toBe('receivers: 3 joined, 1 done, 0 failed, 1 lost, 0 catching up | repair 5.0%');
  });

  it('after the first pass, follows the slowest receiver still missing data', () => {
    const t = new SendTracker();
    const receivers = (done: number): SendProgress['receivers'] => [
      { name: 'a', address: '10.0.0.1', state: 'receiving', chunksDone: done, packets: 0, symbolsRequested: 7, nackPackets: 2, pace: 'catch-up' },
      { name: 'b', address: '10.0.0.2', state: 'receiving', chunksDone: 99, packets: 0, symbolsRequested: 0, nackPackets: 0, pace: 'main' },
    ];
    t.update(sendSnapshot({ phase: 'repairing', chunksSent: 100, bytesSent: 100 * MB, receivers: receivers(80) }), 0);
    const p = sendSnapshot({ phase: 'repairing', chunksSent: 100, bytesSent: 100 * MB, wireBytes: 110 * MB, repairBytes: 11 * MB, receivers: receivers(90) });
    const v = t.update(p, 2000);
    expect(v).toMatchObject({ stage: 'repair', percent: 90, value: 90, missing: 2, etaSeconds: 2, repairShare: 0.1 });
    expect(senderLines(v)[0]).toMatch(/^repair  \[#{14}-{2}\]  90\.0% ETA 2s \| 2 receivers missing data \| slowest 90\/100 \| wire 55\.0 MB\/s$/);
    const e = senderProgressEvent(p, v);
    expect(e).toMatchObject({ phase: 'repairing', stage: 'repair', percent: 90, repairShare: 0.1, etaSeconds: 2, counts: { joined: 2, done: 0, catchingUp: 1 } });
    expect(senderLines(v)[1]).toContain('1 catching up');
    expect(e.receivers).toEqual([
      { name: 'a', address: '10.0.0.1', state: 'receiving', chunksDone: 90, packets: 0, symbolsRequested: 7, nackPackets: 2, pace: 'catch-up', percent: 90 },
      { name: 'b', address: '10.0.0.2', state: 'receiving', chunksDone: 99, packets: 0, symbolsRequested: 0, nackPackets: 0, pace: 'main', percent: 99 },
    ]);
  });

  it('is at 100% once every receiver is done', () => {
    const done = sendSnapshot({ phase: 'ended', chunksSent: 100, bytesSent: 100 * MB, receivers: [{ name: 'a', address: '10.0.0.1', state: 'done', chunksDone: 100, packets: 1, symbolsRequested: 0, nackPackets: 0, pace: 'main' }] });
    const v = new SendTracker().update(done, 0);
    expect(v).toMatchObject({ stage: 'ended', percent: 100, etaSeconds: 0, missing: 0 });
  });
});

describe('receiver progress', () => {
  it('shows bytes written of the image, rate, ETA and repairs asked', () => {
    const image = { imageSize: 10 * MB + 5, chunkSize: MB, chunkCount: 11 };
    const t = new ReceiveTracker();
    t.update(receiveProgress('Receiving', image, 0, { wireBytes: 0, symbolsRequested: 0, nackPackets: 0 }), 0);
    const p = receiveProgress('Receiving', image, 4, { wireBytes: 2 * MB, symbolsRequested: 12, nackPackets: 3 });
    const v = t.update(p, 2000);
    expect(p.bytesWritten).toBe(4 * MB);
    expect(v).toMatchObject({ percent: 36.3, bytesPerSecond: 2 * MB });
    expect(v.etaSeconds).toBeCloseTo(3.0000025);
    expect(receiverLines(p, v)).toEqual(['receiving [#####-----------]  36.3% ETA 4s | 2.0 MB/s | 4.0 MB of 10.0 MB', 'repairs asked: 12 symbols in 3 NACKs']);
    expect(receiverProgressEvent(p, v)).toEqual({
      state: 'receiving', imageSize: 10 * MB + 5, chunkCount: 11, chunksDone: 4, bytesWritten: 4 * MB, percent: 36.3,
      bytesPerSecond: 2 * MB, etaSeconds: 3, wireBytes: 2 * MB, symbolsRequested: 12, nackPackets: 3,
    });
    const last = receiveProgress('Done', image, 11, { wireBytes: 9 * MB, symbolsRequested: 12, nackPackets: 3 });
    expect(receiverProgressEvent(last, t.update(last, 3000))).toMatchObject({ state: 'done', bytesWritten: 10 * MB + 5, percent: 100, etaSeconds: 0 });
  });
});

describe('when to draw a bar', () => {
  it('only on a terminal, and not with --json, --quiet or --no-progress', () => {
    const tty = { isTTY: true };
    expect(wantsBar({}, tty)).toBe(true);
    expect(wantsBar({ progress: true }, tty)).toBe(true);
    expect(wantsBar({ json: true }, tty)).toBe(false);
    expect(wantsBar({ quiet: true }, tty)).toBe(false);
    expect(wantsBar({ progress: false }, tty)).toBe(false);
    expect(wantsBar({}, { isTTY: false })).toBe(false);
    expect(wantsBar({}, {})).toBe(false);
  });
});
