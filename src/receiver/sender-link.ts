// The receiver's link to its sender: ANNOUNCEs offer candidates, each asked
// at once whether a live sender stands behind it (a STATUS whose ACK must
// echo this run's nonce); once one is joined, its ANNOUNCEs, ACKs and
// REPAIR_ADVs are taken only from its pinned address and session, and only
// if the verifier accepts them. Everything else is counted as forged (or
// stale) and dropped. The session decides what a join or an update means.
import type { Clock } from '../core/clock.js';
import { BlockcastError } from '../errors.js';
import type { NativeControlPacket } from '../native/binding.js';
import { PacketType, Phase, ReceiverState } from '../protocol/constants.js';
import { decodeAck, decodeAnnounce, decodeRepairAdv, packetType, type Announce } from '../protocol/packets.js';
import { Candidates, type Candidate } from './candidates.js';
import { checkGeometry } from './join.js';
import type { NackPolicy } from './nack-policy.js';
import { judgeAnnounce, type PinnedSender } from './pinning.js';
import type { Reporter } from './reporter.js';
import type { SenderVerifier } from './verifier.js';

export interface SenderLinkHooks {
  /** Whether the session has an outcome already. */
  ended(): boolean;
  /** A new candidate (the first of them moves the session to Candidate). */
  candidate(a: Announce, address: string): void;
  /** No candidate is left to ask (back to Listening). */
  noCandidates(): void;
  warning(message: string): void;
  /** A candidate's sender echoed the nonce: the session joins it. */
  join(c: Candidate): void;
  /** The joined sender announced again; `moved`: its progress or phase changed. */
  updated(a: Announce, moved: boolean): void;
}

export interface SenderLinkParts {
  /** Accept only this session id (receive --session). */
  session?: number;
  clock: Clock;
  verifier: SenderVerifier;
  reporter: Reporter;
  nacks: NackPolicy;
  counters: { forged: number; staleAnnounces: number };
  hooks: SenderLinkHooks;
}

export class SenderLink {
  private readonly candidates = new Candidates();
  /** The joined sender: its address and latest ANNOUNCE, whose fixed fields never change. */
  pin?: PinnedSender;
  /** When the joined sender was last heard (the session's clock). */
  lastHeard = 0;

  constructor(private readonly o: SenderLinkParts) {}

  /** Control packets the native receiver passed up: ANNOUNCEs and REPAIR_ADVs. */
  onControls(controls: readonly NativeControlPacket[]): void {
    for (const c of controls) {
      const type = packetType(c.data);
      if (type === PacketType.RepairAdv) this.onRepairAdv(c);
      else if (type === PacketType.Announce) {
        const a = decodeAnnounce(c.data);
        if (!a) continue;
        if (this.o.verifier.acceptAnnounce(c.data, a, c.address)) this.onAnnounce(a, c.address);
        else this.o.counters.forged++;
      }
    }
  }

  /** A datagram on the control socket: an ACK, maybe, of a candidate or of the joined sender. */
  onAck(msg: Buffer, address: string, port: number): void {
    const { reporter, verifier, counters } = this.o;
    const ack = packetType(msg) === PacketType.Ack ? decodeAck(msg) : null;
    if (!ack || !reporter.isForMe(ack)) return void counters.forged++;
    if (this.pin) {
      const p = this.pin;
      const fromSender = address === p.address && port === p.announce.controlPort && ack.session === p.announce.session;
      if (fromSender && verifier.acceptAck(msg, ack, p)) reporter.onAck(ack);
      else counters.forged++;
      return;
    }
    const c = this.candidates.answered(ack.session, address, port, this.o.clock.now());
    if (!c || ack.state !== ReceiverState.Joined || this.o.hooks.ended() || !verifier.acceptAck(msg, ack, c)) return void counters.forged++;
    this.pin = { address: c.address, announce: c.announce };
    this.candidates.clear();
    this.lastHeard = this.o.clock.now();
    this.o.hooks.join(c);
  }

  /** Sends each candidate's STATUS that is due, drops those that never answered. */
  probe(now: number): void {
    for (const c of this.candidates.due(now)) this.o.reporter.probe(c.announce, c.address);
    if (this.candidates.pending(now) === 0) this.o.hooks.noCandidates();
  }

  /**
   * Every tick: before a join, asks the candidates whose STATUS is due.
   * Returns why the receive must end if the wait for a sender (--wait-timeout,
   * from `waitStart`) or the joined sender's silence (--sender-timeout) ran out.
   */
  check(now: number, waitStart: number, opts: { waitTimeout: number; senderTimeout: number; group: string; port: number }): BlockcastError | undefined {
    if (!this.pin) {
      this.probe(now);
      if (opts.waitTimeout <= 0 || now - waitStart <= opts.waitTimeout * 1000) return undefined;
      return new BlockcastError('ENOSENDER', `No sender announced a session this node accepts on ${opts.group}:${opts.port} within ${opts.waitTimeout} s${this.o.verifier.explain?.() ?? ''}`);
    }
    if (now - this.lastHeard > opts.senderTimeout * 1000) return new BlockcastError('ENOSENDER', `The sender went silent for ${opts.senderTimeout} s`);
    return undefined;
  }

  /** When a candidate's next probe is due (before a join). */
  nextDue(): number {
    return this.candidates.nextDue();
  }

  private onRepairAdv(c: NativeControlPacket): void {
    const adv = decodeRepairAdv(c.data);
    if (!adv || !this.pin) return;
    const fromSender = adv.session === this.pin.announce.session && c.address === this.pin.address;
    if (fromSender && (this.o.verifier.acceptRepairAdv?.(c.data, this.pin) ?? true)) this.o.nacks.advertise(adv.stream, adv.chunk, adv.stripes, this.o.clock.now());
    else this.o.counters.forged++;
  }

  private onAnnounce(a: Announce, address: string): void {
    if (!this.pin) {
      if (!this.o.hooks.ended()) this.offer(a, address);
      return;
    }
    const verdict = judgeAnnounce(this.pin, a, address);
    if (verdict !== 'update') return void (verdict === 'forged' ? this.o.counters.forged++ : this.o.counters.staleAnnounces++);
    if (this.o.hooks.ended()) {
      // A sender that has ended will not acknowledge a final report: stop retrying it.
      if (a.phase === Phase.Ended) this.o.reporter.onSenderEnded();
      return;
    }
    const moved = a.progress !== this.pin.announce.progress || a.phase !== this.pin.announce.phase;
    this.pin.announce = a;
    this.o.reporter.update(a);
    this.lastHeard = this.o.clock.now();
    this.o.hooks.updated(a, moved);
  }

  /** An ANNOUNCE before joining: its session may become a candidate, asked at once whether a live sender stands behind it. */
  private offer(a: Announce, address: string): void {
    if (this.o.session !== undefined && a.session !== this.o.session) return;
    const now = this.o.clock.now();
    // Ignored (dropped unanswered, or unusable): a late ACK may still join it, with its latest ANNOUNCE.
    if (this.candidates.isIgnored(a.session, now)) return void this.candidates.offer(a, address, now);
    const problem = checkGeometry(a);
    if (problem) {
      this.o.hooks.warning(`ignoring sender ${address}: ${problem}`);
      this.candidates.ignore(a.session, now);
      return;
    }
    const offered = this.candidates.offer(a, address, now);
    if (offered === 'forged') this.o.counters.forged++;
    if (offered !== 'new') return;
    this.o.hooks.candidate(a, address);
    this.probe(now);
  }
}
