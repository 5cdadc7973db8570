// A token bucket on the caller's clock: up to `capacity` events at once,
// `perSecond` on average. Small enough to own; the libraries on npm read the
// wall clock, and every policy here runs on a Clock that tests can drive.

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly capacity: number,
    readonly perSecond: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.at = now;
  }

  /** Takes one token if there is one (`now` in ms on the clock the bucket was made with). */
  take(now: number): boolean {
    if (now > this.at) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) * this.perSecond) / 1000);
      this.at = now;
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
