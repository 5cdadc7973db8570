// When a waiting sender starts, gives up, or keeps waiting. It starts, never
// with nobody joined, when: a start was forced (SIGUSR1); or every listed
// receiver (--receivers) and at least --min-receivers have joined; or
// --max-wait seconds have passed since the first join. Otherwise, once
// --start-timeout seconds have passed since waiting began, it gives up.
import { readyToStart } from './timing.js';

export interface StartRule {
  minReceivers: number;
  /** Seconds after the first join to start anyway (0: never). */
  maxWait: number;
  /** Seconds after waiting began to give up (0: never). */
  startTimeout: number;
  /** Names that must all have joined. */
  receivers: string[];
}

export type StartDecision = 'wait' | 'start' | 'timeout';

export class StartGate {
  private firstJoin?: number;
  private forced = false;

  constructor(
    private readonly rule: StartRule,
    /** When waiting began (ms, the session's clock). */
    readonly since: number,
  ) {}

  /** How many receivers the rule waits for. */
  get needed(): number {
    return Math.max(this.rule.minReceivers, this.rule.receivers.length);
  }

  /** Listed receivers not among `joined` names. */
  missing(joined: string[]): string[] {
    const present = new Set(joined);
    return this.rule.receivers.filter((n) => !present.has(n));
  }

  /** Start at the next decision with whoever has joined; false (and no effect) if nobody has. */
  force(joined: number): boolean {
    if (joined <= 0) return false;
    this.forced = true;
    return true;
  }

  /** `joined`: names of the receivers confirmed so far. */
  decide(joined: string[], now: number): StartDecision {
    if (this.ready(joined, now)) return 'start';
    return this.rule.startTimeout > 0 && now - this.since >= this.rule.startTimeout * 1000 ? 'timeout' : 'wait';
  }

  private ready(joined: string[], now: number): boolean {
    if (joined.length === 0) return false;
    this.firstJoin ??= now;
    if (this.forced) return true;
    // A listed receiver missing makes the minimum unmeetable: only --max-wait can start then.
    const minimum = this.missing(joined).length === 0 ? this.rule.minReceivers : Infinity;
    return readyToStart(joined.length, minimum, this.rule.maxWait, this.firstJoin, now);
  }

  /** Why the wait ended without a start, for the ENORECEIVERS error. */
  timeoutMessage(joined: string[]): string {
    const missing = this.missing(joined);
    return (
      `Not started after ${this.rule.startTimeout} s (--start-timeout): ${joined.length} of ${this.needed} receiver(s) joined` +
      (missing.length > 0 ? `; missing: ${missing.join(', ')}` : '')
    );
  }
}
