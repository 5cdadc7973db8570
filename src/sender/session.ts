// The sender's session: prepare the manifest, announce, wait for receivers,
// send every chunk once, then serve NACK-driven repairs until every receiver
// is done or lost. This facade wires the parts and runs the state machine;
// policy lives in the parts, and the paced packet path is native.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type Clock, monotonicClock, sleep } from '../core/clock.js';
import { ANNOUNCE_INTERVAL_MS } from '../defaults.js';
import { BlockcastError } from '../errors.js';
import { NONCE_SIZE } from '../protocol/constants.js';
import { SenderSecurity } from '../security/session-keys.js';
import { Admission } from './admission.js';
import { announce } from './announcer.js';
import type { SendChunks } from './chunks.js';
import { ReportSocket } from './control.js';
import { openFilePass } from './file-pass.js';
import { STDIN_IMAGE, resolveSendOptions, type ResolvedSendOptions, type SendOptions } from './options.js';
import { openStreamPass, type StreamChunks, type StreamPass } from './stream-pass.js';
import { Participants, confirmed, summarize, type Participant, type ReceiverSummary } from './participants.js';
import { sendProgress, type SendProgress } from './progress.js';
import { Pacing } from './rate.js';
import { RepairBudget } from './repair-budget.js';
import type { RepairPlanner } from './repair-planner.js';
import type { SendScheduler } from './scheduler.js';
import { Dispatcher } from './dispatch.js';
import { ReportIntake } from './report-intake.js';
import { SlowReceivers } from './slow-receivers.js';
import { senderStateMachine } from './state.js';
import { SenderStats, type SendSummary } from './stats.js';
import { StartGate, type StartDecision } from './start.js';
import { WAITING_NOTICE_MS } from './timing.js';
import { Transmitter } from './transmitter.js';

export type { SendOptions } from './options.js';
export type { ReceiverSummary } from './participants.js';
export type { ControlBytes, SendSummary } from './stats.js';
export type { SendProgress } from './progress.js';

export class SenderSession extends EventEmitter {
  readonly opts: ResolvedSendOptions;
  private readonly state = senderStateMachine();
  private readonly participants = new Participants();
  private readonly stats = new SenderStats();
  private readonly budget = new RepairBudget();
  private admission?: Admission;
  /** New for every run: keys derive from it and signed ACKs bind it (docs/SECURITY.md). */
  private readonly salt = randomBytes(NONCE_SIZE);
  private readonly security: SenderSecurity;
  private chunks?: SendChunks | StreamChunks;
  private stream?: StreamPass; // `send -` (stream-pass.ts)
  private planner?: RepairPlanner;
  private scheduler?: SendScheduler;
  private tx?: Transmitter;
  private reports?: ReportSocket;
  private pacing?: Pacing;
  private gate?: StartGate;
  private fatal?: Error;
  private settle?: () => void;
  private aborted = false;
  private readonly stopping = new AbortController();
  private firstPassDone = false;
  private slow?: SlowReceivers; // --slow-receivers: who keeps up, and the catch-up path
  private dispatch?: Dispatcher;
  private intake?: ReportIntake; // STATUS, NACKs and the watch over receivers

  /** `clock`: a monotonic clock for every timeout (tests may pass a fake one). */
  constructor(options: SendOptions, private readonly clock: Clock = monotonicClock) {
    super();
    this.opts = resolveSendOptions(options);
    this.security = new SenderSecurity(this.opts.keys, this.opts.session, this.salt);
  }

  /** Every receiver that joined so far, as the summary would list it. */
  receivers(): ReceiverSummary[] {
    const now = this.clock.now();
    return this.participants.all().map((p) => summarize(p, now));
  }

  get symbolSize(): number {
    return this.opts.symbolSize;
  }

  /** Where the send stands, for progress displays; undefined until the image is prepared and the socket open. */
  progress(): SendProgress | undefined {
    if (!this.chunks || !this.tx) return undefined;
    const src = this.chunks.source;
    const chunksSent = this.firstPassDone ? src.chunkCount : this.tx.firstPassProgress;
    return sendProgress({ phase: this.state.state, image: src, chunkSize: this.opts.chunkSize, mtu: this.opts.mtu, chunksSent, wireBytes: this.tx.stats().bytes, repairSymbols: this.stats.repairSymbols, receivers: this.participants.all() });
  }

  /** Stops the session early; run() resolves with the receivers' states so far. */
  abort(): void {
    this.aborted = true;
    this.stopping.abort(); // a `send -` still waiting for stdin's first chunk stops waiting
    this.settle?.();
  }

  async run(): Promise<SendSummary> {
    try {
      const prepareSeconds = await this.prepare();
      await this.openSockets();
      const announcer = setInterval(() => this.announce(), ANNOUNCE_INTERVAL_MS);
      const watchdog = setInterval(() => this.intake!.watch(), 250);
      try {
        this.announce();
        if (await this.waitForReceivers()) {
          this.stats.start(this.clock.now(), this.tx!.stats());
          this.state.to('sending');
          this.emit('start', { receivers: this.participants.active().length, session: this.opts.session });
          this.announce();
          await this.transfer();
        }
      } finally {
        clearInterval(announcer);
        clearInterval(watchdog);
      }
      return await this.finish(prepareSeconds);
    } catch (err) {
      if (this.state.can('failed')) this.state.to('failed');
      throw err;
    } finally {
      this.cleanup();
    }
  }

  private async prepare(): Promise<number> {
    const t0 = this.clock.now();
    const failed = (p: Participant, message: string): unknown => this.participants.fail(p) && this.emit('receiver-failed', { ...summarize(p), message });
    const pass = this.opts.image === STDIN_IMAGE // `send -`: stdin, read as the session goes
      ? (this.stream = await openStreamPass(this.opts, this.symbolSize, { ready: () => this.pump(), ended: (err) => this.onJobsDone(err ? [err] : []), failed }, this.stopping.signal))
      : await openFilePass(this.opts, this.symbolSize, (done, total) => this.emit('prepare-progress', { done, total }));
    ({ chunks: this.chunks, planner: this.planner, scheduler: this.scheduler } = pass);
    // A stream's window follows its slowest receiver (stream-window.ts): there it is 'wait'.
    const policy = this.stream ? 'wait' : this.opts.slowReceivers;
    this.slow = new SlowReceivers({ policy, symbolSize: this.symbolSize, ceiling: this.opts.rateBytes, chunkCount: this.chunks.source.chunkCount });
    const seconds = (this.clock.now() - t0) / 1000;
    this.emit('prepared', pass.prepared(seconds));
    return seconds;
  }

  private async openSockets(): Promise<void> {
    const tx = new Transmitter(this.opts, this.symbolSize, (done) => this.onJobsDone(done), this.security.dataSeal());
    this.tx = tx;
    this.admission = new Admission(this.participants, this.stats.dropped, this.clock.now(), this.opts.minReceivers);
    this.pacing = new Pacing(this.opts.rateBytes, this.opts.rateDiscovery, this.clock.now(), (r) => {
      this.dispatch!.groupRate(r);
      this.emit('rate', { bytesPerSecond: Math.round(r) });
    });
    const parts = { tx, chunks: this.chunks!, planner: this.planner!, scheduler: this.scheduler!, stats: this.stats, budget: this.budget, pacing: this.pacing, slow: this.slow!, clock: this.clock, ...(this.stream ? { stream: this.stream } : {}) };
    this.dispatch = new Dispatcher(parts, { sending: () => this.state.is('sending') || this.state.is('repairing'), stopped: () => !!this.fatal || this.aborted, passOver: () => this.firstPassDone, fail: (err) => this.fail(err) });
    const { session, receiverTimeout } = this.opts;
    const intake = new ReportIntake({ ...parts, session, receiverTimeout, participants: this.participants, admission: this.admission, reports: () => this.reports, security: this.security }, {
      phase: () => (this.state.is('waiting') || this.state.is('sending') || this.state.is('repairing') ? (this.state.state as 'waiting' | 'sending' | 'repairing') : 'other'),
      emit: (event, payload) => void this.emit(event, payload),
      settle: () => this.settle?.(),
      pump: () => this.pump(),
    });
    this.intake = intake;
    this.reports = await ReportSocket.open(this.opts.session, this.security, {
      nonceOf: (id) => this.participants.get(id)?.nonce,
      rejected: (why, address, port) => {
        if (why === 'replayed') this.stats.dropped.replayed++;
        else this.stats.dropped.unauthenticated++;
        this.emit('forged', { why, address, port });
      },
      received: (bytes) => this.stats.reportIn(bytes),
      status: (s, bytes, address, port) => intake.status(s, bytes, address, port),
      nack: (n, bytes, address, port) => intake.nack(n, bytes, address, port),
      malformed: (address) => {
        this.stats.dropped.malformed++;
        this.emit('malformed', { address });
      },
      error: (err) => this.fail(err),
      warning: (message) => void this.emit('warning', { message }),
    }, this.opts.controlPort);
  }

  private announce(): void {
    if (!this.tx || !this.chunks || !this.reports || !this.pacing) return;
    const { session, fecStripe: stripeSize, chunkSize } = this.opts;
    const warning = announce({ session, stripeSize, chunkSize, symbolSize: this.symbolSize, salt: this.salt, security: this.security, participants: this.participants, planner: this.planner!, chunks: this.chunks, tx: this.tx, pacing: this.pacing, reports: this.reports }, this.state.state);
    if (warning) this.emit('warning', { message: warning });
  }

  /** Resolves once `done()` holds, checked on every event that may change it (settle) and every `pollMs` if given. */
  private until(done: () => boolean, pollMs = 0): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = pollMs > 0 ? setInterval(() => this.settle?.(), pollMs) : undefined;
      this.settle = () => {
        if (!done()) return;
        clearInterval(timer);
        this.settle = undefined;
        resolve();
      };
    });
  }

  /** SIGUSR1: starts with whoever has joined (once confirmed) if still waiting; how many have (0: keeps waiting), undefined if not waiting. */
  startNow(): number | undefined {
    if (!this.state.is('waiting')) return undefined;
    const joined = this.participants.active().length; // none before the gate exists: reports are not read yet
    if (this.gate?.force(joined)) this.settle?.();
    return joined;
  }

  /**
   * Announces until the start rule (start.ts) holds: never with nobody
   * joined, so a session lured away by a replay waits rather than sending
   * to nobody; with a 'waiting' event every WAITING_NOTICE_MS. False if
   * aborted first, or once --start-timeout has passed (then finish()
   * announces the end and throws ENORECEIVERS).
   */
  private async waitForReceivers(): Promise<boolean> {
    const gate = new StartGate(this.opts, this.clock.now());
    this.gate = gate;
    const joinedNames = (): string[] => this.participants.active().filter(confirmed).map((p) => p.name);
    let noticeAt = gate.since + WAITING_NOTICE_MS;
    let decision: StartDecision = 'wait';
    await this.until(() => {
      if (this.aborted || this.fatal) return true;
      const joined = joinedNames();
      const now = this.clock.now();
      if (now >= noticeAt) {
        noticeAt = now + WAITING_NOTICE_MS;
        this.emit('waiting', { joined: joined.length, needed: gate.needed, missing: gate.missing(joined), seconds: Math.round((now - gate.since) / 1000) });
      }
      decision = gate.decide(joined, now);
      return decision !== 'wait';
    }, 50);
    this.gate = undefined;
    if (this.fatal) throw this.fatal;
    // Thrown once the end is announced, so that receivers which joined stop at once.
    if ((decision as StartDecision) === 'timeout') this.fatal = new BlockcastError('ENORECEIVERS', gate.timeoutMessage(joinedNames()));
    return !this.aborted && !this.fatal;
  }

  private transfer(): Promise<void> {
    const done = this.until(() => this.aborted || !!this.fatal || ((this.state.is('repairing') || !!this.stream) && this.participants.allTerminal()));
    this.pump();
    this.settle?.();
    return done;
  }

  private pump(): void {
    this.dispatch?.pump();
  }

  private onJobsDone(errors: Error[]): void {
    for (const err of errors) this.fail(err);
    if (this.state.is('sending') && (this.stream?.chunks.readAll ?? true) && this.scheduler!.pass.size === 0 && !this.tx!.passInFlight()) {
      this.state.to('repairing');
      this.firstPassDone = true; // trailing zero chunks are never sent: the pass covers them too
      this.emit('first-pass', this.stats.firstPassDone(this.clock.now(), this.tx!.stats()));
      this.announce();
    } else if (this.stream?.segmentsSent(this.tx!.firstPassManifest)) this.announce(); // receivers take a segment once announced
    this.emit('progress', { chunksSent: this.tx!.firstPassProgress, chunkCount: this.chunks!.source.chunkCount });
    this.pump();
    this.settle?.();
  }

  private fail(err: Error): void {
    this.fatal ??= err;
    this.settle?.();
  }

  private async finish(prepareSeconds: number): Promise<SendSummary> {
    await this.tx!.drain(2000, this.clock);
    this.state.to('ending');
    for (let i = 0; i < 3; i++) {
      this.announce();
      await sleep(30);
    }
    if (this.fatal) throw this.fatal;
    const summary = this.stats.summary({
      session: this.opts.session,
      chunks: this.chunks!,
      prepareSeconds,
      now: this.clock.now(),
      native: this.tx!.stats(),
      receivers: this.participants.all(),
      listed: this.opts.receivers,
      rate: this.pacing?.record,
      aborted: this.aborted,
    });
    this.state.to('ended');
    return summary;
  }

  private cleanup(): void {
    this.settle = undefined;
    this.dispatch?.cancel();
    this.tx?.close();
    this.reports?.close();
    this.chunks?.close();
    this.stats.close();
  }
}
