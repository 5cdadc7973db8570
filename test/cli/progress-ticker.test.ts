// The progress ticker without a terminal: --json events at the interval
// asked (sampling the session, never driven by packets), a last one on
// final(), none after stop(), and no bar when stderr is not a terminal.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { LiveProgress, type ProgressKind } from '../../src/cli/progress.js';
import type { Reporter } from '../../src/cli/report.js';

function recorder(): Reporter & { events: Record<string, unknown>[]; lines: string[] } {
  const events: Record<string, unknown>[] = [];
  const lines: string[] = [];
  return { events, lines, event: (type, data) => events.push({ event: type, ...data }), human: (l) => lines.push(l), divert: () => {} };
}

const kind: ProgressKind<number, number> = {
  lineCount: 1,
  update: (p) => p * 10,
  lines: (p) => [`at ${p}`],
  event: (p, v) => ({ done: p, tenfold: v }),
};

afterEach(() => {
  vi.useRealTimers();
});

describe('progress ticker', () => {
  it('emits a --json progress event every interval, and a last one on final()', () => {
    vi.useFakeTimers();
    const r = recorder();
    const clock = new FakeClock();
    let done = 0;
    const samples = vi.fn(() => done);
    const live = new LiveProgress(r, { json: true, progressInterval: 0.5 }, samples, kind, clock);
    live.start();
    expect(r.events).toEqual([{ event: 'progress', done: 0, tenfold: 0 }]);
    done = 3;
    vi.advanceTimersByTime(1600);
    expect(r.events.length).toBe(4);
    expect(samples).toHaveBeenCalledTimes(4);
    done = 7;
    live.final();
    expect(r.events[r.events.length - 1]).toEqual({ event: 'progress', done: 7, tenfold: 70 });
    vi.advanceTimersByTime(5000);
    expect(r.events.length).toBe(5);
  });

  it('stays silent before start, when the session has no snapshot yet, and without --json on a non-terminal', () => {
    vi.useFakeTimers();
    const r = recorder();
    const none = new LiveProgress<number, number>(r, { json: true }, () => undefined, kind);
    none.start();
    vi.advanceTimersByTime(3000);
    none.final();
    expect(r.events).toEqual([]);
    const notStarted = new LiveProgress(r, { json: true }, () => 1, kind);
    notStarted.final();
    expect(r.events).toEqual([]);
    const isTTY = process.stderr.isTTY;
    const write = vi.spyOn(process.stderr, 'write');
    try {
      Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
      const plain = new LiveProgress(r, {}, () => 1, kind);
      plain.start();
      vi.advanceTimersByTime(3000);
      plain.stop();
      expect(write).not.toHaveBeenCalled();
    } finally {
      Object.defineProperty(process.stderr, 'isTTY', { value: isTTY, configurable: true });
      write.mockRestore();
    }
    expect(r.events).toEqual([]);
  });
});
