// The receiver's figures: the counters its parts keep, in one object, and
// the summary a finished session returns.
import { monotonicClock, type Clock } from '../core/clock.js';
import { cpuSeconds, peakRssMB } from '../cpu.js';
import type { NativeReceiverStats } from '../native/binding.js';

export interface ReceiveSummary {
  session: number;
  imageSize: number;
  seconds: number;
  mbps: number;
  imageDigest: string;
  dataPackets: number;
  duplicates: number;
  malformed: number;
  foreign: number;
  /** ANNOUNCEs, ACKs and REPAIR_ADVs dropped as not the pinned sender's (another address, session or fixed field, or failed verification). */
  forged: number;
  /** ANNOUNCEs of the pinned sender dropped because they would move its phase or progress backwards (replayed or reordered). */
  staleAnnounces: number;
  /** Image chunks completed before the manifest beyond the backlog cap: forgotten, to be requested again. */
  preManifestDrops: number;
  /** In-order output (`receive -`, --pipe): chunks completed too far ahead of the next one out, forgotten and requested again. */
  windowDrops: number;
  early: number;
  noBuffer: number;
  corruptChunks: number;
  /** Zero chunks: made zero on the target, or skipped because it already was. */
  zeroedChunks: number;
  skippedZeroChunks: number;
  /** A resumed receiver: chunks the target already held (kept, not received again), and chunks read back and hashed to find them. */
  keptChunks: number;
  rehashedChunks: number;
  /** Resume journal batches written (each after one fdatasync of the target), and the seconds those syncs took in all (off the event loop). */
  journalSyncs: number;
  journalSyncSeconds: number;
  /** Bytes of image chunks as received (compressed), and their raw size. */
  wireBytes: number;
  /** Datagrams the kernel dropped for want of socket buffer space. */
  socketDrops: number;
  /** STATUS reports that asked the sender to slow down. */
  overloadReports: number;
  /** FEC repair symbols received, and source symbols rebuilt from them. */
  repairSymbols: number;
  decodedSymbols: number;
  /** DATA datagrams dropped by test fault injection. */
  injectedDrops: number;
  nackPackets: number;
  /** Stripe NACKs not sent because a REPAIR_ADV already covered them. */
  nacksSuppressed: number;
  symbolsRequested: number;
  acknowledged: boolean;
  /** Times the final report was sent before it was acknowledged (or given up), and how long that took. */
  finalReports: number;
  finalReportMs: number;
  /** CPU seconds (user + system, all threads) this process used so far. */
  cpuSeconds: number;
  /** CPU seconds used from joining the session to completion. */
  transferCpuSeconds: number;
  /** Peak resident memory of the process, MB. */
  peakRssMB: number;
  /** Most completed chunks ever waiting for a worker at once: a backlog that grows means the pipeline lags the wire. */
  maxBacklog: number;
}

/** Counters the chunk side keeps. */
export interface AssemblyCounters {
  corruptChunks: number;
  zeroedChunks: number;
  skippedZeroChunks: number;
  keptChunks: number;
  rehashedChunks: number;
  wireBytes: number;
  maxBacklog: number;
  preManifestDrops: number;
  windowDrops: number;
}

/** Counters of what the receiver refused to take as its sender's. */
export interface SenderCounters {
  forged: number;
  staleAnnounces: number;
}

/** Counters the reporter keeps. */
export interface ReportCounters {
  overloadReports: number;
  nackPackets: number;
  finalReports: number;
  finalReportMs: number;
}

/** Counters the NACK policy keeps. */
export interface NackCounters {
  nacksSuppressed: number;
  symbolsRequested: number;
}

export function nackCounters(): NackCounters {
  return { nacksSuppressed: 0, symbolsRequested: 0 };
}

export function reportCounters(): ReportCounters {
  return { overloadReports: 0, nackPackets: 0, finalReports: 0, finalReportMs: 0 };
}

export class ReceiveStats implements AssemblyCounters, ReportCounters, NackCounters, SenderCounters {
  corruptChunks = 0;
  preManifestDrops = 0;
  windowDrops = 0;
  forged = 0;
  staleAnnounces = 0;
  zeroedChunks = 0;
  skippedZeroChunks = 0;
  keptChunks = 0;
  rehashedChunks = 0;
  journalSyncs = 0;
  journalSyncSeconds = 0;
  wireBytes = 0;
  maxBacklog = 0;
  overloadReports = 0;
  nackPackets = 0;
  finalReports = 0;
  finalReportMs = 0;
  nacksSuppressed = 0;
  symbolsRequested = 0;
  private startedAt = 0;
  private startCpu = 0;

  constructor(private readonly clock: Clock = monotonicClock) {}

  /** The transfer starts: on joining a session. */
  start(): void {
    this.startedAt = this.clock.now();
    this.startCpu = cpuSeconds();
  }

  summary(session: { session: number; imageSize: number }, digest: Buffer, acknowledged: boolean, s: NativeReceiverStats): ReceiveSummary {
    const seconds = (this.clock.now() - this.startedAt) / 1000;
    return {
      session: session.session,
      imageSize: session.imageSize,
      seconds,
      mbps: session.imageSize / 1e6 / seconds,
      imageDigest: digest.toString('hex'),
      dataPackets: s.dataPackets,
      duplicates: s.duplicates,
      malformed: s.malformed,
      foreign: s.foreign,
      forged: this.forged,
      staleAnnounces: this.staleAnnounces,
      preManifestDrops: this.preManifestDrops,
      windowDrops: this.windowDrops,
      early: s.early,
      noBuffer: s.noBuffer,
      socketDrops: s.socketDrops,
      overloadReports: this.overloadReports,
      repairSymbols: s.repairSymbols,
      decodedSymbols: s.decodedSymbols,
      injectedDrops: s.injectedDrops,
      corruptChunks: this.corruptChunks,
      zeroedChunks: this.zeroedChunks,
      skippedZeroChunks: this.skippedZeroChunks,
      keptChunks: this.keptChunks,
      rehashedChunks: this.rehashedChunks,
      journalSyncs: this.journalSyncs,
      journalSyncSeconds: this.journalSyncSeconds,
      wireBytes: this.wireBytes,
      nackPackets: this.nackPackets,
      nacksSuppressed: this.nacksSuppressed,
      symbolsRequested: this.symbolsRequested,
      acknowledged,
      finalReports: this.finalReports,
      finalReportMs: this.finalReportMs,
      cpuSeconds: cpuSeconds(),
      transferCpuSeconds: cpuSeconds() - this.startCpu,
      peakRssMB: peakRssMB(),
      maxBacklog: this.maxBacklog,
    };
  }
}
