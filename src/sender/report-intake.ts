// What the sender does with its receivers' reports: a STATUS (a join, a
// rejoin, a member's heartbeat, overload or final report), a NACK (repairs,
// as far as the member's credit goes), and every 250 ms the watch over them
// (rate samples, silent receivers lost, slow ones moved). The session owns
// the parts; this is the policy that ties a report to them.
import type { Clock } from '../core/clock.js';
import { encodeRepairAdv, type Nack, type Status } from '../protocol/packets.js';
import type { SenderSecurity } from '../security/session-keys.js';
import type { Admission } from './admission.js';
import type { SendChunks } from './chunks.js';
import type { ReportSocket } from './control.js';
import { rateReport, summarize, type Participant, type Participants } from './participants.js';
import type { Pacing } from './rate.js';
import type { RepairBudget } from './repair-budget.js';
import type { RepairPlanner } from './repair-planner.js';
import type { SlowReceivers } from './slow-receivers.js';
import type { SenderStats } from './stats.js';
import type { StreamChunks, StreamPass } from './stream-pass.js';
import { heartbeatTenths, receiverTimeoutMs } from './timing.js';
import type { Transmitter } from './transmitter.js';

/** A watch this long after the last one ran late: the event loop stalled (the watch runs every 250 ms). */
const WATCH_ON_TIME_MS = 1000;

export interface IntakeParts {
  session: number;
  /** --receiver-timeout, seconds. */
  receiverTimeout: number;
  participants: Participants;
  admission: Admission;
  stats: SenderStats;
  budget: RepairBudget;
  pacing: Pacing;
  planner: RepairPlanner;
  slow: SlowReceivers;
  tx: Transmitter;
  reports: () => ReportSocket | undefined;
  security: SenderSecurity;
  chunks: SendChunks | StreamChunks;
  stream?: StreamPass;
  clock: Clock;
}

export interface IntakeHooks {
  /** The session's phase: reports are read from the start, repairs only once sending. */
  phase(): 'waiting' | 'sending' | 'repairing' | 'other';
  emit(event: string, payload: unknown): void;
  /** Something a report changed may end a wait (the session's settle). */
  settle(): void;
  /** New repairs are pending: top up the native queues. */
  pump(): void;
}

export class ReportIntake {
  constructor(
    private readonly p: IntakeParts,
    private readonly hooks: IntakeHooks,
  ) {}

  /** A STATUS, if admission.ts takes it: a join, or a member's report from its pinned address with its nonce. */
  status(s: Status, bytes: number, address: string, port: number): void {
    const { participants, slow, clock } = this.p;
    const now = clock.now();
    const waiting = this.hooks.phase() === 'waiting';
    const v = this.p.admission.status(s, address, port, now);
    if (!v.take) return void (v.why === 'forged' && this.hooks.emit('forged', { receiverId: s.receiverId, address, port })); // per packet, like 'malformed'
    if (v.take === 'rejoin') this.hooks.emit('receiver-rejoined', summarize(participants.rejoin(s, port, now)));
    const r = participants.intake(s, address, port, now, this.p.chunks.imageDigest());
    this.p.stats.report(r.purpose, bytes);
    const p = participants.get(s.receiverId)!;
    const sent = this.p.tx.stats();
    slow.status(p, now, sent.packets, v.overload);
    if (v.overload && !waiting && slow.keepsUp(p)) this.p.pacing.overload(now);
    if (!waiting && slow.keepsUp(p)) this.p.pacing.report(now, rateReport(p), heartbeatTenths(participants.size, this.p.pacing.rate) * 100, sent.bytes);
    // A late joiner, or a restarted member back (resume): what the pass sent before comes by catch-up.
    if (v.take !== 'member' && !waiting) this.emitAll(slow.lateJoin(p, now, this.p.tx.firstPassProgress, this.p.pacing.rate));
    this.emitAll(slow.settle((id) => participants.get(id)));
    for (const [event, summary] of r.events) this.hooks.emit(event, summary);
    if (r.ack) this.p.reports()?.ack(s.receiverId, r.ackState, s.nonce, port, address);
    this.p.stream?.reported(participants, s.receiverId);
    this.hooks.settle();
  }

  /** A NACK, if from a live member at its pinned address: its entries, as far as its repair credit goes, join the pending repairs. */
  nack(n: Nack, bytes: number, address: string, port: number): void {
    const now = this.p.clock.now();
    const v = this.p.admission.nack(n.receiverId, address, port, now);
    if (!v.member) return void (v.why === 'forged' && this.hooks.emit('forged', { receiverId: n.receiverId, address, port }));
    const phase = this.hooks.phase();
    this.p.stats.report(phase === 'repairing' ? 'nacksRepairing' : 'nacksFirstPass', bytes);
    const p = this.p.participants.heardNack(n.receiverId, now)!;
    if (phase === 'waiting') return; // nothing sent yet: nothing to repair
    const d = this.p.planner.onNack(n.entries, now, (wanted) => this.p.budget.charge(p, wanted), (e) => this.p.slow.queues.route(p.id, e));
    p.symbolsRequested += d.symbolsRequested;
    if (d.overBudget > 0) this.overBudget(p, d.overBudget, phase === 'repairing');
    for (const a of d.adverts) {
      this.p.tx.sendControl(this.p.security.wrapControl(encodeRepairAdv({ session: this.p.session, ...a }, this.p.security.overhead)));
      this.p.stats.repairAdvs++;
    }
    if (d.malformed) return void this.hooks.emit('malformed', { address });
    this.hooks.pump();
  }

  /**
   * Entries beyond a member's repair credit were dropped. Once the first
   * pass is over its credit no longer grows: it can never complete, so it
   * fails rather than keep the session open.
   */
  private overBudget(p: Participant, entries: number, repairing: boolean): void {
    this.p.stats.dropped.overBudget += entries;
    if (repairing && this.p.participants.fail(p, this.p.clock.now())) {
      p.message = `asked for more repair than its budget (${this.p.budget.factor}x the image's wire bytes): a link losing over half its packets, or forged reports`;
      this.hooks.emit('receiver-failed', summarize(p));
      this.hooks.settle();
    }
  }

  private lastWatch?: number;

  /** Every 250 ms: measure the wire rate, let rate discovery (from the receivers that keep up) and recovery move the rate, expire silent receivers, move slow ones. */
  watch(): void {
    const { participants, pacing, slow, tx, clock } = this.p;
    const now = clock.now();
    const phase = this.hooks.phase();
    const heartbeat = heartbeatTenths(participants.size, pacing.rate);
    pacing.sample(now, tx.stats(), { recover: phase !== 'waiting', reports: participants.active().filter((p) => slow.keepsUp(p)).flatMap(rateReport), heartbeatMs: heartbeat * 100 });
    // After the event loop stalled, reports may still wait unread in the socket (timers run before
    // I/O): silence is judged only by a watch that ran on time (seen: six of 100 receivers lost at once).
    const onTime = this.lastWatch === undefined || now - this.lastWatch <= WATCH_ON_TIME_MS;
    this.lastWatch = now;
    if (onTime) for (const p of participants.expire(now, receiverTimeoutMs(this.p.receiverTimeout, heartbeat))) this.hooks.emit('receiver-lost', summarize(p));
    const fail = (p: Participant): boolean => participants.fail(p, now);
    this.emitAll(slow.evaluate(participants.all(), now, this.p.budget.firstPassBytes, tx.firstPassProgress, pacing.rate, phase === 'sending', fail));
    this.emitAll(slow.settle((id) => participants.get(id)));
    this.p.stream?.tick(participants, now, this.p.receiverTimeout * 1000);
    this.hooks.settle();
  }

  private emitAll(events: [string, unknown][]): void {
    for (const [event, payload] of events) {
      // Its own slow path cut the group's rate before it was moved: undo that.
      if (event === 'receiver-catching-up' || event === 'receiver-dropped') this.p.pacing.forget((payload as { id: number }).id, this.p.clock.now());
      this.hooks.emit(event, payload);
    }
  }
}
