// A stream session's flow control: the sender keeps (and reads) chunks only
// within a window past the slowest live receiver's contiguous point (its
// STATUS chunksDone: every chunk below it is output). A receiver that holds
// the reader back for longer than the receiver timeout fails, with a message
// that says so; one that joins after chunks were forgotten fails at once.
// Nobody is ever skipped silently.
import type { Participant, Participants } from './participants.js';

export interface WindowedSource {
  /** The slowest live receiver's point: what is below it may be forgotten. */
  setFloor(floor: number): void;
  readonly forgottenBelow: number;
  readonly readHead: number;
  /** The reader waits for the window to move. */
  readonly blocked: boolean;
}

export interface WindowVerdict {
  participant: Participant;
  message: string;
}

export class StreamWindow {
  /** Since when each live receiver at the floor has held a blocked reader back. */
  private readonly holding = new Map<number, number>();

  constructor(
    private readonly source: WindowedSource,
    private readonly window: number,
  ) {}

  /** A receiver reported: a new one may have joined too late; the floor follows the slowest. Returns who fails. */
  reported(table: Participants, receiverId: number): WindowVerdict[] {
    const p = table.get(receiverId);
    const late = p && p.statuses === 1 ? this.joined(p) : undefined;
    this.update(table.active());
    return late ? [late] : [];
  }

  /** Every watchdog tick: who held the reader back too long fails (see check), then the floor follows the rest. */
  tick(table: Participants, now: number, timeoutMs: number): WindowVerdict[] {
    const failed = this.check(table.active(), now, timeoutMs);
    this.update(table.active().filter((p) => !failed.some((f) => f.participant === p)));
    return failed;
  }

  /** Moves the floor to the slowest live receiver's point (none live: nothing holds the reader). */
  update(live: Participant[]): void {
    if (live.length === 0) return;
    let floor = Infinity;
    for (const p of live) floor = Math.min(floor, p.chunksDone);
    this.source.setFloor(floor);
  }

  /** A receiver that just joined: fails if chunks it needs are already forgotten. */
  joined(p: Participant): WindowVerdict | undefined {
    const gone = this.source.forgottenBelow;
    if (gone === 0 || p.chunksDone >= gone) return undefined;
    return { participant: p, message: `joined the stream after its first ${gone} chunks were sent and forgotten: it cannot be delivered whole` };
  }

  /**
   * Every watchdog tick: live receivers that have held a blocked reader
   * back (at the floor) for longer than `timeoutMs` fail.
   */
  check(live: Participant[], now: number, timeoutMs: number): WindowVerdict[] {
    const out: WindowVerdict[] = [];
    const floor = this.source.forgottenBelow;
    const holders = this.source.blocked ? live.filter((p) => p.chunksDone <= floor) : [];
    for (const id of this.holding.keys()) if (!holders.some((p) => p.id === id)) this.holding.delete(id);
    for (const p of holders) {
      const since = this.holding.get(p.id) ?? now;
      this.holding.set(p.id, since);
      if (now - since <= timeoutMs) continue;
      this.holding.delete(p.id);
      out.push({
        participant: p,
        message: `fell behind the stream: it had output ${p.chunksDone} chunks while the sender waited ${((now - since) / 1000).toFixed(1)} s (over --receiver-timeout) to read chunk ${this.source.readHead}, a window of ${this.window} chunks ahead of it`,
      });
    }
    return out;
  }
}
