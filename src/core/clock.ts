// Monotonic time for every timeout and interval. The wall clock (Date.now)
// steps when a PXE-booted node sets its time from NTP mid-session; a
// monotonic clock never does. Parts take a Clock so tests can drive time.

export interface Clock {
  /** Milliseconds on a monotonic timeline (arbitrary origin, never steps). */
  now(): number;
}

export const monotonicClock: Clock = {
  now: () => performance.now(),
};

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  constructor(private t = 0) {}

  now(): number {
    return this.t;
  }

  advance(ms: number): void {
    this.t += ms;
  }

  set(ms: number): void {
    this.t = ms;
  }
}

/** Resolves after `ms` (real time): for awaiting inside async session code. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
