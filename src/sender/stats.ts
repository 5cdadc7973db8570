// The sender's statistics: every counter the session keeps, and the summary
// built from them at the end.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cpuSeconds, peakRssMB } from '../cpu.js';
import type { NativeSenderStats } from '../native/binding.js';
import { noDrops, type DroppedReports } from './admission.js';
import { summarize, type Participant, type ReceiverSummary } from './participants.js';

/** Receivers' reports by purpose, bytes with IP/UDP headers. */
export interface ControlBytes {
  /** A receiver's first STATUS. */
  joins: number;
  heartbeats: number;
  /** STATUS with OVERLOADED set. */
  overload: number;
  /** DONE or FAILED, with their retries. */
  finals: number;
  nacksFirstPass: number;
  nacksRepairing: number;
}

export interface SendSummary {
  session: number;
  imageSize: number;
  chunkCount: number;
  /** 'raw' image or 'prepared' one. */
  source: 'raw' | 'prepared' | 'stream';
  /** All-zero chunks: never sent. */
  zeroChunks: number;
  /** Bytes of the image's chunks as first sent (compressed where that helped; zero chunks count nothing). */
  imageWireBytes: number;
  /** Raw bytes of the chunks sent / their wire bytes: what LZ4 saved (1 with --no-compress). */
  compressionRatio: number;
  /** imageSize / imageWireBytes: what LZ4 and leaving out zero chunks saved together. */
  reductionRatio: number;
  seconds: number;
  /** Seconds of the first pass, and how long the native sender sat idle with nothing queued during it (the pipeline did not keep up). */
  firstPassSeconds: number;
  firstPassIdleSeconds: number;
  /** Of the first pass, pacing time lost to late wake-ups or an empty queue beyond the banked credit. */
  firstPassForfeitSeconds: number;
  mbps: number;
  wireBytes: number;
  wireMbps: number;
  dataPackets: number;
  /** Repair symbols sent: resent sources plus fresh parity. */
  repairSymbols: number;
  /** FEC parity symbols sent: repairs plus proactive parity. */
  paritySymbols: number;
  /** Parity sent proactively with the first pass (--fec). */
  proactiveSymbols: number;
  /** Receivers' reports (STATUS, NACK) the sender received, with IP/UDP headers. */
  controlBytesIn: number;
  controlPacketsIn: number;
  /** The same bytes by purpose (malformed reports are counted in the total only). */
  controlBytes: ControlBytes;
  /** Reports (and NACK entries) dropped unprocessed, by why: forged, from non-members, over a limit (admission.ts, repair-budget.ts). */
  dropped: DroppedReports;
  /** REPAIR_ADV packets multicast to suppress redundant NACKs. */
  repairAdvs: number;
  repairJobs: number;
  prepareSeconds: number;
  gso: boolean;
  /** CPU seconds (user + system, all threads) this process used so far. */
  cpuSeconds: number;
  /** CPU seconds used from the start of the transfer to its end (excludes preparing the manifest). */
  transferCpuSeconds: number;
  /** Peak resident memory of the process, MB. */
  peakRssMB: number;
  /** How late the event loop ran timers during the transfer (99th percentile, worst), ms: receivers' reports wait as long. */
  eventLoopDelayMs: { p99: number; max: number };
  /** How often receivers' overload made the sender slow down, and the lowest rate used (bytes/s, 0 = unpaced). */
  rateDecreases: number;
  lowestRate: number;
  /** The sender's own link: waits on its full queue (ENOBUFS), and datagrams lost there all the same. */
  localQueueFullWaits: number;
  localDrops: number;
  receivers: ReceiverSummary[];
  /** Receivers listed with --receivers that never joined. */
  neverJoined: string[];
  /** Receivers listed with --receivers that joined but did not finish (failed, lost, or still going when it ended). */
  notFinished: string[];
  ok: boolean;
}

export type ControlPurpose = keyof ControlBytes;

/** What the summary takes from outside the counters. */
export interface SummaryInputs {
  session: number;
  chunks: { source: { size: number; chunkCount: number; kind: 'raw' | 'prepared' | 'stream' }; zeroChunks(): number };
  prepareSeconds: number;
  now: number;
  native: NativeSenderStats;
  receivers: Participant[];
  /** Listed receivers (--receivers): the ones that never joined are named in the summary. */
  listed: string[];
  rate?: { decreases: number; lowest: number };
  aborted: boolean;
}

export class SenderStats {
  repairSymbols = 0;
  paritySymbols = 0;
  proactiveSymbols = 0;
  repairAdvs = 0;
  repairJobs = 0;
  controlBytesIn = 0;
  controlPacketsIn = 0;
  readonly controlBytes: ControlBytes = { joins: 0, heartbeats: 0, overload: 0, finals: 0, nacksFirstPass: 0, nacksRepairing: 0 };
  readonly dropped: DroppedReports = noDrops();
  imageWireBytes = 0;
  imageRawBytesSent = 0;
  firstPassSeconds = 0;
  firstPassIdleSeconds = 0;
  firstPassForfeitSeconds = 0;
  private startedAt?: number;
  private startCpu = 0;
  private nativeAtStart?: NativeSenderStats;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  /** The transfer starts: time, CPU and the native sender's counters from here on. */
  start(now: number, native: NativeSenderStats): void {
    this.startedAt = now;
    this.startCpu = cpuSeconds();
    this.loopDelay.enable();
    this.nativeAtStart = native;
  }

  /** The first pass is over; returns what the 'first-pass' event reports. */
  firstPassDone(now: number, native: NativeSenderStats): { seconds: number; idleSeconds: number; forfeitSeconds: number } {
    this.firstPassSeconds = (now - (this.startedAt ?? now)) / 1000;
    this.firstPassIdleSeconds = native.idleSeconds - (this.nativeAtStart?.idleSeconds ?? 0);
    this.firstPassForfeitSeconds = native.forfeitSeconds - (this.nativeAtStart?.forfeitSeconds ?? 0);
    return { seconds: this.firstPassSeconds, idleSeconds: this.firstPassIdleSeconds, forfeitSeconds: this.firstPassForfeitSeconds };
  }

  /** A report arrived (any, malformed too): `bytes` with IP/UDP headers. */
  reportIn(bytes: number): void {
    this.controlBytesIn += bytes;
    this.controlPacketsIn++;
  }

  report(purpose: ControlPurpose, bytes: number): void {
    this.controlBytes[purpose] += bytes;
  }

  /** An image chunk's first-pass job: its wire bytes and the raw bytes they carry. */
  imageChunkSent(wireBytes: number, rawBytes: number): void {
    this.imageWireBytes += wireBytes;
    this.imageRawBytesSent += rawBytes;
  }

  repairRound(sources: number, parity: number): void {
    this.repairSymbols += sources + parity;
    this.paritySymbols += parity;
    this.repairJobs++;
  }

  proactiveParity(symbols: number): void {
    this.paritySymbols += symbols;
    this.proactiveSymbols += symbols;
  }

  summary(s: SummaryInputs): SendSummary {
    const seconds = this.startedAt !== undefined ? (s.now - this.startedAt) / 1000 : 0;
    const receivers = s.receivers.map((p) => summarize(p, s.now));
    const present = new Set(receivers.map((r) => r.name));
    const neverJoined = s.listed.filter((n) => !present.has(n));
    const listed = new Set(s.listed);
    const notFinished = receivers.filter((r) => listed.has(r.name) && r.state !== 'done').map((r) => r.name);
    const image = s.chunks.source;
    const imageSize = image.size;
    return {
      session: s.session,
      imageSize,
      chunkCount: image.chunkCount,
      source: image.kind,
      zeroChunks: s.chunks.zeroChunks(),
      imageWireBytes: this.imageWireBytes,
      compressionRatio: this.imageWireBytes > 0 ? this.imageRawBytesSent / this.imageWireBytes : 0,
      reductionRatio: this.imageWireBytes > 0 ? imageSize / this.imageWireBytes : 0,
      seconds,
      firstPassSeconds: this.firstPassSeconds,
      firstPassIdleSeconds: this.firstPassIdleSeconds,
      firstPassForfeitSeconds: this.firstPassForfeitSeconds,
      mbps: seconds > 0 ? imageSize / 1e6 / seconds : 0,
      wireBytes: s.native.bytes,
      wireMbps: seconds > 0 ? s.native.bytes / 1e6 / seconds : 0,
      dataPackets: s.native.packets,
      repairSymbols: this.repairSymbols,
      paritySymbols: this.paritySymbols,
      proactiveSymbols: this.proactiveSymbols,
      controlBytesIn: this.controlBytesIn,
      controlPacketsIn: this.controlPacketsIn,
      controlBytes: { ...this.controlBytes },
      dropped: { ...this.dropped },
      repairAdvs: this.repairAdvs,
      repairJobs: this.repairJobs,
      prepareSeconds: s.prepareSeconds,
      gso: s.native.gsoBatches > 0,
      localQueueFullWaits: s.native.queueFullWaits,
      localDrops: s.native.localDrops,
      cpuSeconds: cpuSeconds(),
      transferCpuSeconds: cpuSeconds() - this.startCpu,
      peakRssMB: peakRssMB(),
      eventLoopDelayMs: { p99: this.loopDelay.percentile(99) / 1e6, max: this.loopDelay.max / 1e6 },
      rateDecreases: s.rate?.decreases ?? 0,
      lowestRate: s.rate?.lowest ?? 0,
      receivers,
      neverJoined,
      notFinished,
      ok: receivers.length > 0 && receivers.every((r) => r.state === 'done') && neverJoined.length === 0 && !s.aborted,
    };
  }

  close(): void {
    this.loopDelay.disable();
  }
}
