// Everything the receiver tells the sender over its unicast control
// socket: STATUS heartbeats, overload reports, NACKs, and the final report
// retried until the sender acknowledges it.
import { monotonicClock, type Clock } from '../core/clock.js';
import type { BlockcastError } from '../errors.js';
import type { NativeReceiverStats } from '../native/binding.js';
import { FailReason, HASH_SIZE, Phase, ReceiverState, type FailReasonValue, type ReceiverStateValue } from '../protocol/constants.js';
import { decodeAck, encodeNacks, encodeStatus, type Ack, type Announce, type NackEntry } from '../protocol/packets.js';
import { reportCounters, type ReportCounters } from './stats.js';
import { firstFinalReportWaitMs, heartbeatMs, jitteredMs, nextFinalReportWaitMs } from './timing.js';

export const OVERLOAD_REPORT_MS = 50;
/** Tries of the final report before giving up. */
const FINAL_REPORT_TRIES = 8;

/** The figures a STATUS packet carries besides the state. */
export interface StatusFigures {
  chunksDone: number;
  capacity: number;
  packets: number;
  malformed: number;
  duplicates: number;
  /** Rate discovery (docs/PROTOCOL.md): cumulative DATA bytes and datagrams sent by seq, read at `clockMs`. */
  dataBytes?: number;
  sequenced?: number;
  clockMs?: number;
}

/** The figures for STATUS from the native receiver's counters (none before it exists), read at `nowMs` (monotonic). */
export function statusFigures(
  s: Pick<NativeReceiverStats, 'dataPackets' | 'malformed' | 'duplicates' | 'dataBytes' | 'sequenced'> | undefined,
  chunksDone: number,
  capacity: number,
  nowMs: number = performance.now(),
): StatusFigures {
  return {
    chunksDone,
    capacity,
    packets: s?.dataPackets ?? 0,
    malformed: s?.malformed ?? 0,
    duplicates: s?.duplicates ?? 0,
    dataBytes: s?.dataBytes ?? 0,
    sequenced: s?.sequenced ?? 0,
    clockMs: Math.floor(nowMs) % 2 ** 32,
  };
}

export interface ReporterDeps {
  receiverId: number;
  /** The join nonce (NONCE_SIZE random bytes) every STATUS carries and the sender's ACK echoes. */
  nonce: Buffer;
  name: string;
  send(packet: Buffer, port: number, address: string): void;
  /** Seals a report for the session of `announce` (sealed sessions); identity by default. */
  wrap?: (packet: Buffer, announce: Announce) => Buffer;
  /** Bytes `wrap` adds (NACKs are packed to leave room for them). */
  overhead?: number;
  /** The state STATUS reports now. */
  state(): ReceiverStateValue;
  figures(): StatusFigures;
  clock?: Clock;
  /** Calls `fire` after `ms`; returns a function that cancels it. Tests pass one driven by a fake clock. */
  delay?: (ms: number, fire: () => void) => () => void;
  counters?: ReportCounters;
  random?: () => number;
}

/** After the wait, read what has arrived (an ACK, maybe) before trying again: setImmediate runs after the socket reads. */
function delayThenRead(ms: number, fire: () => void): () => void {
  const timer = setTimeout(() => setImmediate(fire), ms);
  return () => clearTimeout(timer);
}

/** Why a failure is reported to the sender; undefined when there is nobody to tell. */
export function failReasonOf(err: Error): FailReasonValue | undefined {
  const code = (err as BlockcastError).code;
  if (code === 'ESENDERENDED' || code === 'ENOSENDER') return undefined;
  return code === 'ETARGETTOOSMALL'
    ? FailReason.TargetTooSmall
    : code === 'ETARGETIO'
      ? FailReason.TargetIo
      : code === 'EDIGEST'
        ? FailReason.DigestMismatch
        : FailReason.Aborted;
}

/** Stream sessions: progress reports every this many chunks output, at most every PROGRESS_MIN_MS. */
export const PROGRESS_STEP = 8;
const PROGRESS_MIN_MS = 50;

export class Reporter {
  readonly counters: ReportCounters;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly delay: (ms: number, fire: () => void) => () => void;
  /** The sender's latest ANNOUNCE and its address, once one is accepted. */
  private sender?: { announce: Announce; address: string };
  // -Infinity, not 0: a monotonic clock starts near 0 with the process.
  private lastStatus = -Infinity;
  private lastDrops = 0;
  private lastOverloadReport = -Infinity;
  /** chunksDone in the last progress report (stream sessions). */
  private lastProgress = 0;
  private readonly acked = new Set<number>();
  /** Wakes reportFinal() when an ACK arrives, or the sender ends. */
  private ackArrived?: () => void;
  private senderEnded = false;

  constructor(private readonly deps: ReporterDeps) {
    this.counters = deps.counters ?? reportCounters();
    this.clock = deps.clock ?? monotonicClock;
    this.random = deps.random ?? Math.random;
    this.delay = deps.delay ?? delayThenRead;
  }

  /** Reports go to the sender of this session from now on. */
  join(announce: Announce, address: string): void {
    this.sender = { announce, address };
  }

  /** The sender's latest ANNOUNCE: its heartbeat interval, phase and control port. */
  update(announce: Announce): void {
    if (this.sender) this.sender.announce = announce;
  }

  private transmit(packet: Buffer): void {
    const s = this.sender!;
    this.deps.send(this.deps.wrap ? this.deps.wrap(packet, s.announce) : packet, s.announce.controlPort, s.address);
  }

  /**
   * Asks a candidate session's sender to let this receiver join: a JOINED
   * STATUS carrying the join nonce, which only a live sender can echo.
   */
  probe(announce: Announce, address: string): void {
    const packet = this.statusPacket(ReceiverState.Joined, FailReason.None, undefined, false, announce.session);
    this.deps.send(this.deps.wrap ? this.deps.wrap(packet, announce) : packet, announce.controlPort, address);
  }

  /** True if an ACK is meant for this run of this receiver: its id and its join nonce. */
  isForMe(a: Ack): boolean {
    return a.receiverId === this.deps.receiverId && a.nonce.equals(this.deps.nonce);
  }

  private statusPacket(state: ReceiverStateValue, reason: FailReasonValue, digest?: Buffer, overloaded = false, session = this.sender!.announce.session): Buffer {
    const f = this.deps.figures();
    return encodeStatus({
      session,
      receiverId: this.deps.receiverId,
      state,
      reason,
      overloaded,
      chunksDone: f.chunksDone,
      capacity: f.capacity,
      packets: f.packets,
      malformed: f.malformed,
      duplicates: f.duplicates,
      dataBytes: f.dataBytes ?? 0,
      sequenced: f.sequenced ?? 0,
      clockMs: f.clockMs ?? 0,
      imageDigest: digest ?? Buffer.alloc(HASH_SIZE),
      name: this.deps.name,
      nonce: this.deps.nonce,
    });
  }

  /** Sends a STATUS of the current state now. */
  sendStatus(now: number): void {
    this.lastStatus = now;
    if (!this.sender) return;
    this.transmit(this.statusPacket(this.deps.state(), FailReason.None));
  }

  /**
   * A stream session: the sender reads no further than a window past the
   * slowest receiver's chunksDone (every chunk below it output), so tell it
   * of progress every PROGRESS_STEP chunks (at most every PROGRESS_MIN_MS).
   */
  reportProgress(now: number, chunksDone: number): void {
    if (!this.sender || chunksDone - this.lastProgress < PROGRESS_STEP || now - this.lastStatus < PROGRESS_MIN_MS) return;
    this.lastProgress = chunksDone;
    this.sendStatus(now);
  }

  /** Sends a STATUS heartbeat as often as the sender's ANNOUNCE asks (default every second). */
  heartbeat(now: number): void {
    if (now - this.lastStatus < this.heartbeatMs()) return;
    this.sendStatus(now);
  }

  private heartbeatMs(): number {
    return heartbeatMs(this.sender?.announce.heartbeat);
  }

  /**
   * Tells the sender to slow down when this receiver drops datagrams for
   * its own reasons (socket buffer full, no free chunk buffer), or is about
   * to: three quarters of its chunk buffers are busy.
   */
  reportOverload(now: number, drops: number, freeSlots: number, slotCount: number): void {
    if (!this.sender || this.sender.announce.phase === Phase.Waiting) return;
    const overloaded = drops > this.lastDrops || freeSlots < slotCount / 4;
    this.lastDrops = drops;
    if (!overloaded || now - this.lastOverloadReport < OVERLOAD_REPORT_MS) return;
    this.lastOverloadReport = now;
    this.counters.overloadReports++;
    this.transmit(this.statusPacket(this.deps.state(), FailReason.None, undefined, true));
  }

  sendNacks(_now: number, entries: NackEntry[]): void {
    if (!this.sender || entries.length === 0) return;
    for (const packet of encodeNacks(this.sender.announce.session, this.deps.receiverId, entries, this.deps.overhead)) {
      this.transmit(packet);
      this.counters.nackPackets++;
    }
    // A NACK does not stand in for a heartbeat: the sender paces a catching-up
    // receiver's repairs by the figures STATUS carries (packets received), and
    // a receiver that NACKs all the time would otherwise never send them.
  }

  /** An ACK (raw or decoded) from the sender's control socket: stops the retries of the final report it acknowledges. */
  onAck(msg: Buffer | Ack): void {
    const a = Buffer.isBuffer(msg) ? decodeAck(msg) : msg;
    if (a && this.sender && a.session === this.sender.announce.session && this.isForMe(a)) {
      this.acked.add(a.state);
      this.ackArrived?.();
    }
  }

  /** A sender that has ended will not acknowledge a final report: stop retrying it. */
  onSenderEnded(): void {
    this.senderEnded = true;
    this.ackArrived?.();
  }

  reportDone(digest: Buffer): Promise<boolean> {
    return this.reportFinal(FailReason.None, digest);
  }

  async reportFailure(err: Error): Promise<void> {
    const reason = failReasonOf(err);
    if (reason === undefined) return; // nobody to tell
    await this.reportFinal(reason);
  }

  /**
   * Sends the final state until the sender acknowledges it or ends, or
   * gives up: 8 tries, twice as far apart each time up to 4 s, each wait
   * jittered ±50% (see firstFinalReportWaitMs).
   */
  private async reportFinal(reason: FailReasonValue, digest?: Buffer): Promise<boolean> {
    if (!this.sender) return false;
    const state = this.deps.state();
    const packet = this.statusPacket(state, reason, digest);
    const start = this.clock.now();
    for (
      let i = 0, wait = firstFinalReportWaitMs(this.heartbeatMs());
      i < FINAL_REPORT_TRIES && !this.acked.has(state) && !this.senderEnded;
      i++, wait = nextFinalReportWaitMs(wait)
    ) {
      this.transmit(packet);
      this.counters.finalReports++;
      await this.waitForAck(jitteredMs(wait, this.random));
    }
    this.ackArrived = undefined;
    this.counters.finalReportMs = this.clock.now() - start;
    return this.acked.has(state);
  }

  private waitForAck(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const cancel = this.delay(ms, resolve);
      this.ackArrived = () => {
        cancel();
        resolve();
      };
    });
  }
}
