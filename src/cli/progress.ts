// Live progress for send and receive: a few times a second a session's
// snapshot goes through a tracker (rates, ETA) to a bar on stderr when that
// is a terminal (cli-progress), or every --progress-interval seconds to a
// --json `progress` event. Never per packet: the session is only sampled.
import type cliProgress from 'cli-progress';
import { createRequire } from 'node:module';
import { monotonicClock, type Clock } from '../core/clock.js';
import type { ReceiveProgress } from '../receiver/progress.js';
import type { SendProgress } from '../sender/progress.js';
import { receiverLines, senderLines } from './progress-format.js';
import { ReceiveTracker, receiverProgressEvent, SendTracker, senderProgressEvent, type ReceiverView, type SenderView } from './progress-view.js';
import type { Reporter } from './report.js';
import { checkNumber } from '../validate.js';

// Loaded only for a bar on a terminal, not by every start-up (~0.05 CPU s).
const require = createRequire(import.meta.url);

/** How often the bar is redrawn (at most; it is drawn only when its text changes). */
export const BAR_REDRAW_MS = 200;
export const DEFAULT_PROGRESS_INTERVAL_S = 1;

export interface ProgressOptions {
  json?: boolean;
  quiet?: boolean;
  /** false with --no-progress. */
  progress?: boolean;
  /** Seconds between --json progress events. */
  progressInterval?: number;
}

/** A bar only for people: not with --json, --quiet or --no-progress, and only when stderr is a terminal. */
export function wantsBar(o: ProgressOptions, stream: { isTTY?: boolean } = process.stderr): boolean {
  return o.progress !== false && !o.json && !o.quiet && stream.isTTY === true;
}

/** What one side (sender or receiver) turns its snapshot into. */
export interface ProgressKind<P, V> {
  /** Lines the bar takes on the terminal. */
  lineCount: number;
  update(p: P, t: number): V;
  lines(p: P, v: V): string[];
  event(p: P, v: V): Record<string, unknown>;
}

/** Lines redrawn in place at the bottom of stderr; lines logged meanwhile go above them. */
class LiveLines {
  private readonly multi: cliProgress.MultiBar;
  private readonly bars: cliProgress.SingleBar[] = [];
  private readonly onExit = (): void => this.stop();

  constructor(count: number) {
    const bars = require('cli-progress') as typeof cliProgress;
    this.multi = new bars.MultiBar({
      stream: process.stderr,
      fps: 1000 / BAR_REDRAW_MS,
      // Wrapping stays on (a killed process leaves no terminal mode behind); cli-progress cuts lines to the width.
      linewrap: true,
      clearOnComplete: true,
      format: (_options, _params, payload: { text?: string }) => payload.text ?? '',
    });
    for (let i = 0; i < count; i++) this.bars.push(this.multi.create(1, 0, { text: '' }));
    process.once('exit', this.onExit);
  }

  set(lines: string[]): void {
    const width = Math.max(20, (process.stderr.columns || 80) - 1);
    lines.forEach((text, i) => this.bars[i]?.update(0, { text: text.slice(0, width) }));
  }

  /** Printed above the bar at its next redraw (ESC[K clears what is left of an old bar line). */
  log(line: string): void {
    this.multi.log(`${line}\x1b[K\n`);
  }

  stop(): void {
    process.off('exit', this.onExit);
    this.multi.update(); // prints lines logged since the last redraw
    this.multi.stop();
  }
}

/**
 * Samples a session while it runs. start() when the transfer starts,
 * stop() on every way out (errors and SIGINT too), final() for the last
 * --json event before the summary.
 */
export class LiveProgress<P, V> {
  private timer?: NodeJS.Timeout;
  private bar?: LiveLines;
  private started = false;
  private readonly json: boolean;
  private readonly barWanted: boolean;
  private readonly intervalMs: number;

  constructor(
    private readonly reporter: Reporter,
    o: ProgressOptions,
    private readonly sample: () => P | undefined,
    private readonly kind: ProgressKind<P, V>,
    private readonly clock: Clock = monotonicClock,
  ) {
    this.json = !!o.json;
    this.barWanted = wantsBar(o);
    this.intervalMs = checkNumber('progress-interval', o.progressInterval ?? DEFAULT_PROGRESS_INTERVAL_S, 0.05, 86400) * 1000;
  }

  start(): void {
    if (this.started || (!this.json && !this.barWanted)) return;
    this.started = true;
    if (this.barWanted) {
      this.bar = new LiveLines(this.kind.lineCount);
      this.reporter.divert((line) => this.bar?.log(line));
    }
    this.timer = setInterval(() => this.tick(), this.json ? this.intervalMs : BAR_REDRAW_MS);
    this.timer.unref();
    this.tick();
  }

  /** Stops the bar and clears it; human lines go straight to stderr again. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!this.bar) return;
    this.bar.stop();
    this.bar = undefined;
    this.reporter.divert(undefined);
  }

  /** The last --json progress event, if the transfer started (100% once it completed). */
  final(): void {
    this.stop();
    const p = this.json && this.started ? this.sample() : undefined;
    if (p !== undefined) this.reporter.event('progress', this.kind.event(p, this.kind.update(p, this.clock.now())));
  }

  private tick(): void {
    const p = this.sample();
    if (p === undefined) return;
    const v = this.kind.update(p, this.clock.now());
    if (this.json) this.reporter.event('progress', this.kind.event(p, v));
    this.bar?.set(this.kind.lines(p, v));
  }
}

export function senderProgress(reporter: Reporter, o: ProgressOptions, sample: () => SendProgress | undefined): LiveProgress<SendProgress, SenderView> {
  const tracker = new SendTracker();
  return new LiveProgress(reporter, o, sample, { lineCount: 2, update: (p, t) => tracker.update(p, t), lines: (_p, v) => senderLines(v), event: senderProgressEvent });
}

export function receiverProgress(reporter: Reporter, o: ProgressOptions, sample: () => ReceiveProgress | undefined): LiveProgress<ReceiveProgress, ReceiverView> {
  const tracker = new ReceiveTracker();
  return new LiveProgress(reporter, o, sample, { lineCount: 2, update: (p, t) => tracker.update(p, t), lines: receiverLines, event: receiverProgressEvent });
}
