// Which job the native sender gets next, and at whose pace: the group's
// repairs first, then the first pass (the scheduler's call), and once the
// group needs nothing, catch-up rounds at their receiver's own pace
// (catch-up.ts). The native sender runs at one rate: the rate controller's
// while the group's jobs go, a catch-up receiver's while its round goes.
import type { Clock } from '../core/clock.js';
import { Stream } from '../protocol/constants.js';
import type { ChunkRef, SendChunks } from './chunks.js';
import type { Pacing } from './rate.js';
import type { RepairBudget } from './repair-budget.js';
import type { RepairPlanner } from './repair-planner.js';
import { Wakeup, type SendScheduler } from './scheduler.js';
import type { SlowReceivers } from './slow-receivers.js';
import type { SenderStats } from './stats.js';
import type { StreamChunks, StreamPass } from './stream-pass.js';
import type { Transmitter } from './transmitter.js';

export interface DispatchParts {
  tx: Transmitter;
  chunks: SendChunks | StreamChunks;
  planner: RepairPlanner;
  scheduler: SendScheduler;
  stats: SenderStats;
  budget: RepairBudget;
  pacing: Pacing;
  slow: SlowReceivers;
  stream?: StreamPass;
  clock: Clock;
}

export interface DispatchHooks {
  /** Between start and end: data sent while a stream waits could finish every receiver before the start. */
  sending(): boolean;
  /** Aborted or failed: stop. */
  stopped(): boolean;
  /** The first pass is over: catch-up rounds may go. */
  passOver(): boolean;
  fail(err: Error): void;
}

export class Dispatcher {
  private pumping = false;
  private readonly repairWakeup = new Wakeup();
  /** Whose pace the native sender runs at. */
  private wirePace: 'group' | 'catch-up' = 'group';

  constructor(
    private readonly p: DispatchParts,
    private readonly hooks: DispatchHooks,
  ) {}

  /** The rate controller's rate: applied now unless a catch-up round is on its way (then at the next group job). */
  groupRate(bytesPerSecond: number): void {
    if (this.wirePace === 'group') this.p.tx.setRate(bytesPerSecond);
  }

  /** Keeps the native queues topped up. */
  pump(): void {
    if (this.pumping || !this.hooks.sending()) return;
    this.pumping = true;
    void this.pumpLoop()
      .catch((err: unknown) => this.hooks.fail(err as Error))
      .finally(() => {
        this.pumping = false;
      });
  }

  cancel(): void {
    this.repairWakeup.cancel();
  }

  private async pumpLoop(): Promise<void> {
    const { tx, planner, scheduler, clock } = this.p;
    for (;;) {
      if (this.hooks.stopped()) return;
      const depth = tx.depth();
      const now = clock.now();
      const due = planner.dueIn(now);
      // Come back when the next repair's collection window closes (windows
      // differ in length, so a later request may close first).
      this.repairWakeup.arm(scheduler.repairWakeIn(depth, due), now, () => this.pump());
      const next = scheduler.next(depth, due);
      if (next === null) {
        // One round at a time, alone on the wire, so that it goes at its receiver's pace; its completion pumps again.
        if (this.hooks.passOver() && due === undefined && depth.urgent + depth.normal === 0) await this.sendCatchUp(now);
        return;
      }
      this.pace('group', this.p.pacing.control.current);
      await (next === 'repair' ? this.sendRepair(now) : this.sendFirstPass(next));
    }
  }

  private async sendRepair(now: number): Promise<void> {
    const { planner, stream, chunks, pacing } = this.p;
    const r = planner.take(now)!;
    if (stream && !stream.chunks.available(r.stream, r.chunk)) return; // forgotten: below every live receiver's point
    const wire = await chunks.data(r.stream, r.chunk, false);
    const { symbols, parity } = planner.round(r, wire.data.length, this.p.clock.now(), pacing.rate);
    this.p.stats.repairRound(symbols.length, parity.length);
    this.p.tx.submit({ stream: r.stream, chunk: r.chunk, wire, urgent: true, symbols, parity });
  }

  private async sendCatchUp(now: number): Promise<void> {
    const c = this.p.slow.queues.next(now);
    if (!c) return;
    const wire = await this.p.chunks.data(c.request.stream, c.request.chunk, false);
    const { symbols, parity } = this.p.planner.round(c.request, wire.data.length, this.p.clock.now(), c.rate, c.queue);
    this.p.stats.repairRound(symbols.length, parity.length);
    this.pace('catch-up', c.rate);
    this.p.tx.submit({ stream: c.request.stream, chunk: c.request.chunk, wire, urgent: true, symbols, parity });
  }

  private async sendFirstPass({ stream, chunk }: ChunkRef): Promise<void> {
    const { chunks, stats, planner } = this.p;
    const wire = await chunks.data(stream, chunk);
    if (stream === Stream.Image) stats.imageChunkSent(wire.data.length, chunks.rawLength(chunk));
    this.p.budget.firstPassSent(wire.data.length);
    const { symbols, parity } = planner.firstPass(stream, chunk, wire.data.length);
    if (parity) stats.proactiveParity(parity.length);
    this.p.tx.submit({ stream, chunk, wire, urgent: false, symbols, parity });
  }

  private pace(whose: 'group' | 'catch-up', rate: number): void {
    if (whose === 'group' && this.wirePace === 'group') return; // the rate controller sets it
    this.wirePace = whose;
    this.p.tx.setRate(rate);
  }
}
