// A clock step (a PXE node setting its time from NTP mid-session) must not
// fire or stall a timeout: every timeout reads the monotonic Clock, never
// the wall clock. Stepping the wall clock an hour either way leaves the
// monotonic clock, and the parts that time out on it, where they were.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { monotonicClock } from '../../src/core/clock.js';
import { ReceiverState } from '../../src/protocol/constants.js';
import { Participants } from '../../src/sender/participants.js';
import { makeStatus } from '../helpers/status.js';
import { repoRoot } from '../helpers/cli.js';
import { tsSources as sources } from '../helpers/sources.js';

afterEach(() => vi.useRealTimers());

describe('clock step', () => {
  it('a wall-clock step of an hour either way moves the monotonic clock not at all', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const before = monotonicClock.now();
    vi.setSystemTime(Date.now() + 3600_000);
    const after = monotonicClock.now();
    vi.setSystemTime(Date.now() - 7200_000);
    expect(after - before).toBeLessThan(1000);
    expect(monotonicClock.now() - before).toBeLessThan(1000);
  });

  it('a receiver is lost only after the timeout on the monotonic clock, whatever the wall clock does', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const ps = new Participants();
    ps.intake(makeStatus(1, { state: ReceiverState.Receiving }), 'a', 1, monotonicClock.now(), Buffer.alloc(32));
    vi.setSystemTime(Date.now() + 3600_000);
    expect(ps.expire(monotonicClock.now(), 10_000)).toEqual([]);
  });

  it('no timeout or interval in src/ reads the wall clock (Date.now / new Date) for timing', () => {
    const offenders = sources(path.join(repoRoot, 'src'))
      .flatMap((f) => readFileSync(f, 'utf8').split('\n').map((line, i) => ({ f, i, line })))
      .filter(({ line }) => /Date\.now\(\)|new Date\(\)\.getTime\(\)/.test(line) && !line.trim().startsWith('//'));
    expect(offenders.map(({ f, i, line }) => `${path.relative(repoRoot, f)}:${i + 1}: ${line.trim()}`)).toEqual([]);
  });
});
