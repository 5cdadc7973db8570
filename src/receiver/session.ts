// The receiver's session: find a live sender (a candidate joined only when
// its ACK echoes this run's nonce), pin it, check the target, assemble the
// manifest, verify and write every chunk at its offset, NACK what is
// missing, and report DONE only once the whole-image digest matches.
// This module wires the parts together and runs the state machine; each
// part is in its own module (see state.ts for the states).
import { randomBytes, randomInt } from 'node:crypto';
import type dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { monotonicClock, type Clock } from '../core/clock.js';
import { IDLE_TICK_MS } from '../defaults.js';
import { BlockcastError } from '../errors.js';
import type { ChunkPool } from '../image/pool.js';
import { openOutput, type OrderedOutput } from '../image/output.js';
import type { Target } from '../image/target.js';
import type { NativeReceiver, NativeReceiverBatch } from '../native/binding.js';
import { NONCE_SIZE, Phase } from '../protocol/constants.js';
import type { Announce } from '../protocol/packets.js';
import type { ChunkAssembly } from './assembly.js';
import { openSide, type SideHooks, type StreamAssembly } from './stream-assembly.js';
import type { Candidate } from './candidates.js';
import { openTarget } from './join.js';
import { listen } from './listen.js';
import { NackPolicy, planLossReports } from './nack-policy.js';
import { outputsInOrder, resolveReceiveOptions, type ReceiveOptions, type ResolvedReceiveOptions } from './options.js';
import { receiveProgress, type ReceiveProgress } from './progress.js';
import { sendReport } from './report-send.js';
import { Reporter, statusFigures } from './reporter.js';
import type { ChunkSlots } from './slots.js';
import { isFinal, receiverStateMachine, wireState } from './state.js';
import { isStream } from './pinning.js';
import { SenderLink } from './sender-link.js';
import { ReceiveStats, type ReceiveSummary } from './stats.js';
import { nextTickMs, progressTickMs, tickIntervalMs } from './timing.js';
import { acceptAnySender, keyedVerifier, type SenderVerifier } from './verifier.js';
import { ReceiverSecurity } from '../security/session-keys.js';
import type { ChunkWriter } from './ordered-writer.js';
import type { Journal } from './journal.js';
import { ResumePlan } from './resume.js';

export type { ReceiveOptions } from './options.js';
export type { ReceiveSummary } from './stats.js';

export class ReceiverSession extends EventEmitter {
  readonly opts: ResolvedReceiveOptions;
  /** Random, or the interrupted run's (from the target's journal): the sender then takes this run as a rejoin. */
  readonly receiverId: number;
  /** Fresh for every run: the sender's ACK must echo it, which no recording can. */
  readonly joinNonce = randomBytes(NONCE_SIZE);
  private readonly machine = receiverStateMachine();
  private readonly figures: ReceiveStats;
  private readonly nacks: NackPolicy;
  private readonly reporter: Reporter;
  private readonly link: SenderLink;
  private readonly verifier: SenderVerifier;
  private rx?: NativeReceiver;
  private control?: dgram.Socket;
  private pool?: ChunkPool;
  private target?: Target;
  private readonly resumePlan?: ResumePlan; // a target written at offsets: its journal, and what a restart keeps
  private journal?: Journal;
  private output?: OrderedOutput; // instead of a target: stdout, a pipe command, a stream session's file
  private slots?: ChunkSlots;
  private writer?: ChunkWriter;
  private assembly?: Pick<ChunkAssembly, 'manifestChunks' | 'haveManifest' | 'onChunk'>;
  private stream?: StreamAssembly; // a stream session's (also `assembly`): segments, and the catalog they build
  private error?: Error;
  private digest?: Buffer;
  private wake?: () => void;
  private timer?: NodeJS.Timeout;
  private waitStart = 0;
  /** The native receiver's per-tick figures (see NativeReceiver.sample), reused every tick. */
  private readonly sample = new Float64Array(4);

  /**
   * `verifier` decides whether an ANNOUNCE or ACK is the sender's own
   * (signatures, tags: src/security); by default any well-formed one is.
   */
  constructor(
    options: ReceiveOptions,
    private readonly clock: Clock = monotonicClock,
    verifier?: (joinNonce: Buffer) => SenderVerifier,
  ) {
    super();
    this.opts = resolveReceiveOptions(options);
    if (!outputsInOrder(this.opts)) this.resumePlan = new ResumePlan(this.opts);
    this.receiverId = this.resumePlan?.previousId ?? randomInt(1, 2 ** 32 - 1);
    const keyed = this.opts.keys.groupKey || this.opts.keys.trusted?.length;
    this.verifier = verifier ? verifier(this.joinNonce) : keyed ? keyedVerifier(new ReceiverSecurity(this.opts.keys, this.joinNonce)) : acceptAnySender();
    this.figures = new ReceiveStats(clock);
    this.nacks = new NackPolicy(this.figures);
    this.reporter = new Reporter({
      receiverId: this.receiverId,
      nonce: this.joinNonce,
      name: this.opts.name,
      clock,
      counters: this.figures,
      send: (packet, port, address) => sendReport(this.control!, packet, port, address, (message) => this.emit('warning', { message })),
      ...(this.verifier.wrapReport ? { wrap: (packet: Buffer, a: Announce) => this.verifier.wrapReport!(packet, a) } : {}),
      overhead: this.verifier.overhead ?? 0,
      state: () => wireState(this.machine.state),
      figures: () => statusFigures(this.rx?.stats(), this.writer?.chunksDone ?? 0, this.target?.info.capacity ?? this.output?.capacity ?? 0),
    });
    this.link = new SenderLink({ session: this.opts.session, clock, verifier: this.verifier, reporter: this.reporter, nacks: this.nacks, counters: this.figures, hooks: {
      ended: () => this.ended(),
      candidate: (a, address) => {
        if (this.machine.is('Listening')) this.machine.to('Candidate');
        this.emit('candidate', { session: a.session, sender: address });
      },
      noCandidates: () => void (this.machine.is('Candidate') && this.machine.to('Listening')),
      warning: (message) => void this.emit('warning', { message }),
      join: (c) => this.join(c),
      updated: (a, moved) => this.onUpdate(a, moved),
    } });
  }

  /** Native counters (datagrams, malformed, foreign, ...) for monitoring and tests. */
  stats = (): ReturnType<NativeReceiver['stats']> | undefined => this.rx?.stats();

  /** Where the receive stands, for progress displays; undefined until a sender is joined. */
  progress = (): ReceiveProgress | undefined => this.link.pin && receiveProgress(this.machine.state, this.image(), this.writer?.chunksDone ?? 0, this.figures);

  /** The joined session's ANNOUNCE, with a stream's size and chunk count once its last segment told them. */
  private image(): Announce {
    const c = this.stream?.catalog;
    return c ? { ...this.link.pin!.announce, imageSize: c.imageSize ?? 0, chunkCount: c.total ?? c.known } : this.link.pin!.announce;
  }

  abort(): void {
    this.conclude(new BlockcastError('EABORTED', 'Receive aborted'));
  }

  async run(): Promise<ReceiveSummary> {
    try {
      ({ pool: this.pool, control: this.control, rx: this.rx } = await listen(this.opts, {
        ack: (msg, address, port) => this.link.onAck(msg, address, port),
        batch: (batch) => this.onBatch(batch),
        error: (err) => this.conclude(err),
      }));
      // Provisioners start the sender once every node reports this.
      this.emit('ready', { group: this.opts.group, port: this.opts.port, interfaceAddress: this.opts.interfaceAddress });
      this.waitStart = this.clock.now();
      this.schedule(IDLE_TICK_MS);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (this.ended()) resolve();
      });
      clearTimeout(this.timer);
      if (this.error) {
        await this.reporter.reportFailure(this.error);
        throw this.error;
      }
      const acknowledged = await this.reporter.reportDone(this.digest!);
      Object.assign(this.figures, { journalSyncs: this.journal?.syncs ?? 0, journalSyncSeconds: (this.journal?.syncMs ?? 0) / 1000 });
      return this.figures.summary(this.image(), this.digest!, acknowledged, this.rx!.stats());
    } finally {
      clearTimeout(this.timer);
      await this.cleanup();
    }
  }

  /** True once the session has an outcome (Done or Failed). */
  private ended(): boolean {
    return isFinal(this.machine.state);
  }

  /** Ends the session with an error (Failed) or the verified image's digest (Done); the first outcome stands. */
  private conclude(error?: Error, digest?: Buffer): void {
    if (this.ended()) return;
    this.error = error;
    this.digest = digest;
    this.machine.to(error ? 'Failed' : 'Done');
    this.wake?.();
  }

  private onBatch(batch: NativeReceiverBatch): void {
    this.link.onControls(batch.controls);
    for (const c of batch.chunks) this.assembly!.onChunk(c);
    // Batches come as fast as data does, timer ticks maybe only every 250 ms:
    // tell a fast sender of overload from here.
    if (batch.chunks.length > 0 && this.link.pin && !this.ended()) {
      this.rx!.sample(this.sample);
      this.reporter.reportOverload(this.clock.now(), this.sample[2]!, this.sample[3]!, this.slots!.count);
    }
  }

  /** The joined sender announced again (sender-link.ts took it). */
  private onUpdate(a: Announce, moved: boolean): void {
    this.stream?.announced(a);
    // The sender has passed more chunks: look for losses in them now.
    if (moved && this.assembly?.haveManifest) this.schedule(progressTickMs());
    if (a.phase === Phase.Ended) {
      const written = this.writer?.chunksDone ?? 0;
      this.conclude(new BlockcastError('ESENDERENDED', `The sender ended the session with ${written} of ${this.stream ? (this.stream.catalog.total ?? "the stream's") : a.chunkCount} chunks written`));
    }
  }

  /** A candidate's sender echoed the nonce (sender-link.ts pinned it): open the target (nothing is opened before). */
  private join(c: Candidate): void {
    const a = c.announce;
    this.reporter.join(a, c.address);
    this.emit('session', { session: a.session, sender: c.address, imageSize: a.imageSize, chunkCount: a.chunkCount });
    try {
      if (outputsInOrder(this.opts) || isStream(a)) this.output = openOutput(this.opts);
      else this.target = openTarget(this.opts.target, a.imageSize);
    } catch (err) {
      this.conclude(err as Error);
      return;
    }
    if (this.ended()) return; // aborted from a 'session' listener
    // Sealed: from now on the native receiver takes only DATA sealed with this run's key.
    const dataKey = this.verifier.joined?.(a);
    try {
      if (dataKey) this.rx!.setSealKey(a.cipher, dataKey);
    } catch (err) {
      this.conclude(new BlockcastError('ENATIVE', `cannot open the session's sealed DATA: ${(err as Error).message}`, { cause: err }));
      return;
    }
    this.machine.to('Joined');
    const opts = { ...this.opts, sealed: this.verifier.sealed ?? false };
    const resume = this.target && this.resumePlan?.open(a, this.target, this.receiverId, (message) => this.emit('warning', { message }));
    this.journal = resume?.journal;
    if (resume?.from) {
      this.machine.to('Resuming'); // what the target holds is checked before anything is asked for
      this.emit('resume', { journal: resume.file, journalState: resume.verdict, candidates: resume.candidates });
    }
    const side = openSide({ rx: this.rx!, pool: this.pool!, destination: this.output ?? this.target!, announce: a, opts, counters: this.figures, hooks: this.sideHooks(), resume });
    ({ slots: this.slots, writer: this.writer, assembly: this.assembly, stream: this.stream } = side);
    this.figures.start();
    this.reporter.sendStatus(this.clock.now());
  }

  /** The chunk side's hooks: its parts report back through these. */
  private sideHooks = (): SideHooks => ({
    ended: () => this.ended(),
    fail: (err) => this.conclude(err),
    warning: (message) => this.emit('warning', { message }),
    manifest: (m) => this.emit('manifest', { imageDigest: m.imageDigest.toString('hex'), chunkCount: m.chunkHashes.length }),
    progress: (written, chunkCount) => this.emit('progress', { written, chunkCount }),
    // The first chunk on the target: STATUS says Receiving from now on.
    wrote: () => {
      if (this.machine.is('Joined')) this.machine.to('Receiving');
      // A stream's sender reads no further than a window past the slowest receiver.
      if (this.stream) this.reporter.reportProgress(this.clock.now(), this.writer!.chunksDone);
    },
    resumed: () => void (this.machine.is('Resuming') && this.machine.to('Receiving')),
    verifying: () => this.machine.to('Verifying'),
    complete: (digest) => this.conclude(undefined, digest),
  });

  /** Runs tick() after `ms`: the one timer for NACKs, overload reports and heartbeats (see tickIntervalMs). */
  private schedule(ms: number): void {
    clearTimeout(this.timer);
    // Node runs due timers before it reads sockets: a receiver that waited
    // for the CPU would report before reading the REPAIR_ADVs (and data)
    // that arrived meanwhile. setImmediate runs the tick after that read.
    if (!this.ended()) this.timer = setTimeout(() => setImmediate(() => this.tick()), ms);
  }

  private tick(): void {
    if (this.ended()) return;
    const outstanding = this.check();
    const pin = this.link.pin;
    const interval = tickIntervalMs(pin?.announce.phase, outstanding);
    const due = pin ? this.nacks.nextDue() : this.link.nextDue();
    this.schedule(nextTickMs(interval, due, this.clock.now()));
  }

  /** Returns true while losses are outstanding: incomplete chunks the sender has passed. */
  private check(): boolean {
    const now = this.clock.now();
    const pin = this.link.pin;
    const silence = this.link.check(now, this.waitStart, this.opts);
    if (silence) this.conclude(silence);
    if (!pin || silence) return false;
    const sample = this.sample;
    this.rx!.sample(sample);
    const { entries, outstanding } = planLossReports(this.nacks, this.rx!, pin.announce, this.assembly!, this.stream, now, sample[0]!, sample[1]!);
    this.reporter.sendNacks(now, entries);
    this.reporter.reportOverload(now, sample[2]!, sample[3]!, this.slots!.count);
    if (this.stream) this.reporter.reportProgress(now, this.writer!.chunksDone); // one held back by its 50 ms spacing
    this.reporter.heartbeat(now);
    return outstanding;
  }

  private async cleanup(): Promise<void> {
    // Wait for writes in flight: their fd must stay open until they finish.
    await this.writer?.settle(this.clock, 5000);
    await this.journal?.close(); // a failed or aborted run keeps what it verified
    this.rx?.close();
    this.control?.close();
    await this.pool?.close();
    this.target?.close();
    // A failed session stops its pipe command: it must not take a partial image for a whole one.
    if (this.error) this.output?.abort();
  }
}
