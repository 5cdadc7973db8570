// The sender's session: prepare the manifest, announce, wait for receivers,
// send every chunk once, then serve NACK-driven repairs until every receiver
// is done or lost. Policy lives here; the paced packet path is native.
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getSystemErrorName } from 'node:util';
import { ANNOUNCE_INTERVAL_MS, CONTROL_SOCKET_BUFFER, MAX_NACK_BACKOFF_MS, MAX_TAIL_NACK_BACKOFF_MS, NACK_BACKOFF_MS, REPAIR_HOLD_MS, collectionWindowMs, DEFAULT_FEC_STRIPE, DEFAULT_GROUP, DEFAULT_PORT, DEFAULT_RATE, DEFAULT_RECEIVER_TIMEOUT_S, DEFAULT_SOCKET_BUFFER, DEFAULT_TTL } from '../defaults.js';
import { cpuSeconds, peakRssMB } from '../cpu.js';
import { BlockcastError } from '../errors.js';
import { ChunkPool, defaultWorkerThreads } from '../image/pool.js';
import { DEFAULT_CHUNK_SIZE, DEFAULT_MTU, chunkCount, symbolCount, symbolSizeForMtu } from '../image/geometry.js';
import { openImage, type ImageSource, type WireChunk } from '../image/source.js';
import { native, type NativeSender, type NativeSenderStats } from '../native/binding.js';
import { resolveInterface } from '../net/interface.js';
import { Coding, IP_UDP_OVERHEAD, MAX_CHUNK_SIZE, Phase, PacketType, REPAIR_BIT, ReceiverState, Stream, type PhaseValue } from '../protocol/constants.js';
import { hash } from '../protocol/hash.js';
import { NackKind, decodeNack, decodeStatus, encodeAck, encodeAnnounce, encodeRepairAdv, packetType } from '../protocol/packets.js';
import { checkInteger, checkMulticastGroup, checkNumber, parseRate } from '../validate.js';
import { Participants, type Participant } from './participants.js';
import { RateController } from './rate.js';
import { LossEstimate, RepairQueue, repairMargin } from './repairs.js';

export interface SendOptions {
  image: string;
  group?: string;
  port?: number;
  interface?: string;
  mtu?: number;
  /** Bits per second ("800m", "10g", "unlimited") or bytes per second as a number. */
  rate?: string | number;
  ttl?: number;
  chunkSize?: number;
  /** Start once this many receivers have joined (default 1). */
  minReceivers?: number;
  /** Start this many seconds after the first receiver joined, even with fewer than minReceivers. */
  maxWait?: number;
  /** Declare a receiver lost after this many seconds of silence. */
  receiverTimeout?: number;
  socketBuffer?: number;
  gso?: boolean;
  /** Sources per Reed-Solomon stripe for NACK repair with fresh parity; 0 repairs by retransmission. */
  fecStripe?: number;
  /** Proactive FEC: parity sent with the first pass, as a fraction of each stripe (e.g. 0.05); default 0. */
  fecRatio?: number;
  /** Deliver to receivers on the sender's own host too (IP_MULTICAST_LOOP, default true). */
  loopback?: boolean;
  /** Fixed session id (random by default). */
  session?: number;
  /** LZ4-compress chunks where that shrinks them (default true; prepared images are sent as they were prepared). */
  compress?: boolean;
  /** Worker threads that compress, hash, read and write chunks (default: the cores, at most 4). */
  workers?: number;
}

export interface ReceiverSummary {
  id: number;
  name: string;
  address: string;
  state: Participant['state'];
  reason: number;
  packets: number;
  duplicates: number;
  malformed: number;
  symbolsRequested: number;
  nackPackets: number;
}

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
  source: 'raw' | 'prepared';
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
  receivers: ReceiverSummary[];
  ok: boolean;
}

interface InFlight {
  data: Buffer;
  urgent: boolean;
  stream: number;
  chunk: number;
}

// First-pass chunks queued in the native sender: at least NORMAL_DEPTH, and
// more while they hold under NORMAL_BYTES, so that well-compressed chunks
// still give the send thread ~0.3 s of work at 50 Mbit/s when this process's
// event loop is slow to refill it (measured: 2 s idle in a 91 s pass at N = 16).
const NORMAL_DEPTH = 3;
const NORMAL_BYTES = 2 * 1024 * 1024;
const NORMAL_MAX_DEPTH = 32;
const URGENT_DEPTH = 2; // repair jobs queued ahead of them
const TAIL_BACKOFF_BYTES = 64 * 1024;
const HEARTBEAT_BYTES = 88; // a STATUS (no digest) with a short name, plus IP/UDP headers

export class SenderSession extends EventEmitter {
  readonly opts: Required<Omit<SendOptions, 'interface'>> & { interfaceAddress: string; interfaceName: string; rateBytes: number };
  private source?: ImageSource;
  private pool?: ChunkPool;
  private tx?: NativeSender;
  private control?: dgram.Socket;
  private manifest: Buffer = Buffer.alloc(0);
  private manifestDigest: Buffer = Buffer.alloc(32);
  private readonly participants = new Participants();
  private readonly repairs = new RepairQueue(collectionWindowMs(NACK_BACKOFF_MS));
  private repairTimer?: NodeJS.Timeout;
  private repairTimerAt = 0;
  private readonly inFlight = new Map<number, InFlight>();
  private imageWireBytes = 0;
  private imageRawBytesSent = 0;
  private nextJobId = 1;
  private phase: PhaseValue = Phase.Waiting;
  private nextFirstPass = 0; // index over manifest chunks then image chunks
  private firstPassDone = 0; // image chunks whose first-pass job has completed
  private firstPassSeconds = 0;
  private firstPassIdleSeconds = 0;
  private firstPassForfeitSeconds = 0;
  private nativeAtStart?: NativeSenderStats;
  private pumping = false;
  private fatal?: Error;
  private repairSymbols = 0;
  private paritySymbols = 0;
  private proactiveSymbols = 0;
  private controlBytesIn = 0;
  private readonly controlBytes: ControlBytes = { joins: 0, heartbeats: 0, overload: 0, finals: 0, nacksFirstPass: 0, nacksRepairing: 0 };
  private repairAdvs = 0;
  private controlPacketsIn = 0;
  private readonly parityUsed = new Map<number, Uint8Array>();
  private loss?: LossEstimate;
  private repairJobs = 0;
  private startedAt = 0;
  private startCpu = 0;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private settle?: () => void;
  private aborted = false;
  private rate?: RateController;
  private lastWire = { at: 0, bytes: 0, rate: 0 };

  constructor(options: SendOptions) {
    super();
    const iface = resolveInterface(options.interface);
    const chunkSize = checkInteger('chunkSize', options.chunkSize ?? DEFAULT_CHUNK_SIZE, 4096, MAX_CHUNK_SIZE);
    const mtu = checkInteger('mtu', options.mtu ?? DEFAULT_MTU, 576, 65535);
    const symbolSize = symbolSizeForMtu(mtu);
    if (symbolCount(chunkSize, symbolSize) > 65535) throw new BlockcastError('EINVALIDOPTION', `chunkSize ${chunkSize} needs more than 65535 symbols at mtu ${mtu}`);
    this.opts = {
      image: options.image,
      group: checkMulticastGroup('group', options.group ?? DEFAULT_GROUP),
      port: checkInteger('port', options.port ?? DEFAULT_PORT, 1, 65535),
      interfaceAddress: iface.address,
      interfaceName: iface.name,
      mtu,
      rate: options.rate ?? DEFAULT_RATE,
      rateBytes: parseRate('rate', options.rate ?? DEFAULT_RATE),
      ttl: checkInteger('ttl', options.ttl ?? DEFAULT_TTL, 0, 255),
      chunkSize,
      minReceivers: checkInteger('minReceivers', options.minReceivers ?? 1, 1, 100000),
      maxWait: checkNumber('maxWait', options.maxWait ?? 0, 0, 1e9),
      receiverTimeout: checkNumber('receiverTimeout', options.receiverTimeout ?? DEFAULT_RECEIVER_TIMEOUT_S, 0.5, 1e6),
      socketBuffer: checkInteger('socketBuffer', options.socketBuffer ?? DEFAULT_SOCKET_BUFFER, 0, 2 ** 31 - 1),
      gso: options.gso ?? true,
      fecStripe: checkInteger('fecStripe', options.fecStripe ?? DEFAULT_FEC_STRIPE, 0, 254),
      fecRatio: checkNumber('fec', options.fecRatio ?? 0, 0, 1),
      loopback: options.loopback ?? true,
      compress: options.compress ?? true,
      workers: checkInteger('workers', options.workers ?? defaultWorkerThreads(), 1, 64),
      session: options.session === undefined ? randomInt(1, 2 ** 32 - 1) : checkInteger('session', options.session, 1, 2 ** 32 - 1),
    };
  }

  get symbolSize(): number {
    return symbolSizeForMtu(this.opts.mtu);
  }

  /** Stops the session early; run() resolves with the receivers' states so far. */
  abort(): void {
    this.aborted = true;
    this.settle?.();
  }

  async run(): Promise<SendSummary> {
    try {
      const prepareSeconds = await this.prepare();
      await this.openSockets();
      const announcer = setInterval(() => this.announce(), ANNOUNCE_INTERVAL_MS);
      const watchdog = setInterval(() => this.checkReceivers(), 250);
      try {
        this.announce();
        await this.waitForReceivers();
        this.startedAt = performance.now();
        this.startCpu = cpuSeconds();
        this.loopDelay.enable();
        this.nativeAtStart = this.tx!.stats();
        this.phase = Phase.Sending;
        this.emit('start', { receivers: this.participants.active().length, session: this.opts.session });
        this.announce();
        await this.transfer();
      } finally {
        clearInterval(announcer);
        clearInterval(watchdog);
      }
      return await this.finish(prepareSeconds);
    } finally {
      this.cleanup();
    }
  }

  private async prepare(): Promise<number> {
    const t0 = performance.now();
    this.pool = new ChunkPool({ threads: this.opts.workers });
    this.source = await openImage(this.opts.image, {
      chunkSize: this.opts.chunkSize,
      compress: this.opts.compress,
      pool: this.pool,
      onProgress: (done, total) => this.emit('prepare-progress', { done, total }),
    });
    const src = this.source;
    this.loss = new LossEstimate(src.chunkCount);
    if (src.chunkSize !== this.opts.chunkSize) {
      // A prepared image fixes its chunk size.
      if (symbolCount(src.chunkSize, this.symbolSize) > 65535) throw new BlockcastError('EIMAGE', `Prepared chunk size ${src.chunkSize} needs more than 65535 symbols at mtu ${this.opts.mtu}`);
      this.opts.chunkSize = src.chunkSize;
    }
    this.manifest = src.encodedManifest;
    this.manifestDigest = hash(this.manifest);
    const seconds = (performance.now() - t0) / 1000;
    this.emit('prepared', {
      source: src.kind,
      imageSize: src.size,
      chunkCount: src.chunkCount,
      zeroChunks: this.zeroChunks(),
      seconds,
      imageDigest: src.manifest.imageDigest.toString('hex'),
    });
    return seconds;
  }

  private zeroChunks(): number {
    let n = 0;
    for (let c = 0; c < this.source!.chunkCount; c++) if (this.source!.isZero(c)) n++;
    return n;
  }

  private async openSockets(): Promise<void> {
    try {
      this.tx = new native.Sender(
        {
          group: this.opts.group,
          port: this.opts.port,
          interfaceAddress: this.opts.interfaceAddress,
          ttl: this.opts.ttl,
          loopback: this.opts.loopback,
          socketBuffer: this.opts.socketBuffer,
          session: this.opts.session,
          symbolSize: this.symbolSize,
          stripeSize: this.opts.fecStripe,
          gso: this.opts.gso,
          rateBytesPerSecond: this.opts.rateBytes,
        },
        (done) => this.onJobsDone(done),
      );
      const tx = this.tx;
      this.rate = new RateController(this.opts.rateBytes, (r) => {
        tx.setRate(r);
        this.emit('rate', { bytesPerSecond: Math.round(r) });
      });
    } catch (err) {
      throw new BlockcastError('ENATIVE', `Cannot open the multicast sender socket: ${(err as Error).message}`, { cause: err });
    }
    const control = dgram.createSocket('udp4');
    this.control = control;
    control.on('message', (msg, rinfo) => this.onControl(msg, rinfo.address, rinfo.port));
    control.on('error', (err) => this.fail(err));
    await new Promise<void>((resolve, reject) => {
      control.once('error', reject);
      control.bind(0, () => {
        control.off('error', reject);
        // Hundreds of receivers finishing at once report within milliseconds
        // of each other; the default buffer (~200 KB, a few hundred small
        // datagrams) overflows while this thread is busy. Capped by rmem_max.
        try {
          control.setRecvBufferSize(CONTROL_SOCKET_BUFFER);
        } catch (err) {
          this.emit('warning', { message: `cannot enlarge the report socket's buffer to ${CONTROL_SOCKET_BUFFER} bytes (${(err as Error).message}); reports may be lost when many receivers finish at once` });
        }
        resolve();
      });
    });
  }

  private announce(): void {
    if (!this.tx || !this.source) return;
    // Gather each loss's reports over the window receivers are told to spread them over.
    const backoff = this.nackBackoffWindow();
    this.repairs.windowMs = collectionWindowMs(backoff);
    const packet = encodeAnnounce({
      session: this.opts.session,
      phase: this.phase,
      controlPort: this.control!.address().port,
      imageSize: this.source.size,
      chunkSize: this.opts.chunkSize,
      symbolSize: this.symbolSize,
      stripeSize: this.opts.fecStripe,
      chunkCount: this.source.chunkCount,
      manifestSize: this.manifest.length,
      progress: this.firstPassDone,
      rateKiB: (this.rate?.current ?? 0) / 1024,
      heartbeat: this.heartbeatTenths(),
      manifestDigest: this.manifestDigest,
      groupSize: this.participants.size,
      nackBackoffMs: backoff,
    });
    const err = this.tx.sendControl(packet);
    if (err) this.emit('warning', { message: `announce failed: ${errnoName(err)}` });
  }

  private waitForReceivers(): Promise<void> {
    return new Promise<void>((resolve) => {
      let firstJoin = 0;
      const check = (): void => {
        if (this.aborted || this.fatal) return finish();
        const ready = this.participants.active().length;
        if (ready >= this.opts.minReceivers) return finish();
        if (ready > 0 && firstJoin === 0) firstJoin = performance.now();
        if (this.opts.maxWait > 0 && ready > 0 && performance.now() - firstJoin >= this.opts.maxWait * 1000) return finish();
      };
      const timer = setInterval(check, 50);
      const finish = (): void => {
        clearInterval(timer);
        this.settle = undefined;
        resolve();
      };
      this.settle = check;
    }).then(() => {
      if (this.fatal) throw this.fatal;
      if (this.participants.active().length === 0 && !this.aborted) {
        throw new BlockcastError('ENORECEIVERS', 'No receiver is ready: every receiver that answered has failed');
      }
    });
  }

  private transfer(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.settle = () => {
        if (this.aborted || this.fatal || this.isComplete()) {
          this.settle = undefined;
          resolve();
        }
      };
      this.pump();
      this.settle();
    });
  }

  private isComplete(): boolean {
    return this.phase === Phase.Repairing && this.participants.allTerminal();
  }

  private get manifestChunks(): number {
    return chunkCount(this.manifest.length, this.opts.chunkSize);
  }

  /** Keeps the native queues topped up: repairs first, then the first pass. */
  private pump(): void {
    if (this.pumping || !this.tx) return;
    this.pumping = true;
    void this.pumpLoop()
      .catch((err: unknown) => this.fail(err as Error))
      .finally(() => {
        this.pumping = false;
      });
  }

  private async pumpLoop(): Promise<void> {
    for (;;) {
      if (this.fatal || this.aborted) return;
      let urgent = 0;
      let normal = 0;
      let normalBytes = 0;
      for (const j of this.inFlight.values()) {
        if (j.urgent) urgent++;
        else {
          normal++;
          normalBytes += j.data.length;
        }
      }
      const due = this.repairs.dueIn();
      // Come back when the next repair's collection window closes (windows
      // differ in length, so a later request may close first).
      if (urgent < URGENT_DEPTH && due !== undefined && due > 0 && !(this.repairTimer && this.repairTimerAt <= performance.now() + due)) {
        clearTimeout(this.repairTimer);
        this.repairTimerAt = performance.now() + due;
        this.repairTimer = setTimeout(() => {
          this.repairTimer = undefined;
          this.pump();
        }, due);
      }
      if (urgent < URGENT_DEPTH && due === 0) {
        const r = this.repairs.take()!;
        const wire = await this.chunkData(r.stream, r.chunk, false);
        const k = this.opts.fecStripe;
        const count = symbolCount(wire.data.length, this.symbolSize);
        // The margin follows the loss seen so far; this round's own need then joins the estimate.
        const margins = r.parity.map(([, n]) => repairMargin(n, this.loss?.value ?? 0));
        if (r.stream === Stream.Image) {
          this.loss!.firstRound(r.chunk, r.symbols.length + r.parity.reduce((sum, [, n]) => sum + n, 0), count);
        }
        const { symbols, parity } = this.freshRepairs(r.stream, r.chunk, r.symbols, r.parity, margins);
        if (k > 0) {
          // Reports that reach us before this round has reached receivers ask for it again.
          // Only the need counts against them, not the margin, which is there for the round's own loss.
          const rate = this.rate?.current || this.lastWire.rate;
          const wireMs = rate > 0 ? (((symbols.length + parity.length) * this.symbolSize) / rate) * 1000 : 0;
          this.repairs.sent(r.stream, r.chunk, Math.ceil(count / k), r.parity, performance.now() + wireMs + REPAIR_HOLD_MS);
        }
        this.repairSymbols += symbols.length + parity.length;
        this.paritySymbols += parity.length;
        this.repairJobs++;
        this.submit(r.stream, r.chunk, wire, true, symbols, parity);
        continue;
      }
      const total = this.manifestChunks + this.source!.chunkCount;
      // Zero chunks are never sent: the manifest names them.
      while (this.nextFirstPass < total && this.nextFirstPass >= this.manifestChunks && this.source!.isZero(this.nextFirstPass - this.manifestChunks)) this.nextFirstPass++;
      const wantMore = normal < NORMAL_DEPTH || (normal < NORMAL_MAX_DEPTH && normalBytes < NORMAL_BYTES);
      if (wantMore && this.nextFirstPass < total) {
        const i = this.nextFirstPass++;
        const [stream, chunk] = i < this.manifestChunks ? [Stream.Manifest, i] : [Stream.Image, i - this.manifestChunks];
        const wire = await this.chunkData(stream, chunk);
        if (stream === Stream.Image) {
          this.imageWireBytes += wire.data.length;
          this.imageRawBytesSent += Math.min(this.opts.chunkSize, this.source!.size - chunk * this.opts.chunkSize);
        }
        const parity = this.proactiveParity(stream, chunk);
        this.submit(stream, chunk, wire, false, parity ? Uint32Array.from({ length: symbolCount(wire.data.length, this.symbolSize) }, (_, s) => s) : undefined, parity);
        continue;
      }
      return;
    }
  }

  /** `firstPass`: read ahead of the chunks that follow (repairs do not). */
  private async chunkData(stream: number, chunk: number, firstPass = true): Promise<WireChunk> {
    if (stream === Stream.Manifest) {
      const start = chunk * this.opts.chunkSize;
      return { data: this.manifest.subarray(start, Math.min(this.manifest.length, start + this.opts.chunkSize)), coding: Coding.Raw };
    }
    return this.source!.wire(chunk, firstPass);
  }

  /**
   * Turns stripe needs into repair symbols. Each round uses parity indices no
   * receiver has been sent in this session, so every repair symbol is useful
   * to every receiver still missing something in that stripe. A stripe has
   * only 255 - k of them: when they would run out, the stripe's sources are
   * resent instead (they fix any receiver's loss in that stripe) and its
   * parity starts over. `margins` (repairMargin, per need) are sent on top
   * while the stripe's parity lasts, so that one round survives the loss it
   * repairs.
   */
  private freshRepairs(
    stream: number,
    chunk: number,
    sources: Uint32Array,
    needs: [number, number][],
    margins: number[] = [],
  ): { symbols: Uint32Array; parity: Uint32Array } {
    const k = this.opts.fecStripe;
    if (needs.length === 0 || k === 0) return { symbols: sources, parity: new Uint32Array(0) };
    const count = symbolCount(this.chunkLength(stream, chunk), this.symbolSize);
    const resend = new Set(sources);
    const ids: number[] = [];
    for (const [i, [stripe, need]] of needs.entries()) {
      const fresh = this.allocParity(stream, chunk, stripe, need, margins[i] ?? 0);
      if (fresh) {
        ids.push(...fresh);
        continue;
      }
      const first = stripe * k;
      for (let s = first; s < first + Math.min(k, count - first); s++) resend.add(s);
    }
    return { symbols: Uint32Array.from([...resend].sort((x, y) => x - y)), parity: Uint32Array.from(ids) };
  }

  /**
   * `n` unused parity symbol ids of one stripe, plus up to `extra` more while
   * they last, or undefined (and the stripe's parity reset) when `n` would
   * run out.
   */
  private allocParity(stream: number, chunk: number, stripe: number, n: number, extra = 0): number[] | undefined {
    const k = this.opts.fecStripe;
    const key = stream * 2 ** 32 + chunk;
    const count = symbolCount(this.chunkLength(stream, chunk), this.symbolSize);
    let used = this.parityUsed.get(key);
    if (!used) {
      used = new Uint8Array(Math.ceil(count / k));
      this.parityUsed.set(key, used);
    }
    const left = 255 - Math.min(k, count - stripe * k) - used[stripe]!;
    if (n > left) {
      used[stripe] = 0;
      return undefined;
    }
    const ids: number[] = [];
    for (let i = 0; i < n + Math.min(extra, left - n); i++) ids.push((REPAIR_BIT | (stripe << 16) | used[stripe]!++) >>> 0);
    return ids;
  }

  /**
   * Proactive FEC (--fec RATIO): parity sent with a chunk's first pass, so a
   * receiver on a lossy link rebuilds most losses without asking. Stripes
   * are interleaved (one parity of each in turn), so a burst of loss costs
   * every stripe a little instead of one stripe a lot.
   */
  private proactiveParity(stream: number, chunk: number): Uint32Array | undefined {
    const k = this.opts.fecStripe;
    if (this.opts.fecRatio <= 0 || k === 0) return undefined;
    const count = symbolCount(this.chunkLength(stream, chunk), this.symbolSize);
    const perStripe: number[][] = [];
    for (let s = 0; s * k < count; s++) {
      const size = Math.min(k, count - s * k);
      perStripe.push(this.allocParity(stream, chunk, s, Math.ceil(size * this.opts.fecRatio)) ?? []);
    }
    const ids: number[] = [];
    for (let round = 0; perStripe.some((p) => round < p.length); round++) for (const p of perStripe) if (round < p.length) ids.push(p[round]!);
    this.paritySymbols += ids.length;
    this.proactiveSymbols += ids.length;
    return Uint32Array.from(ids);
  }

  /** Bytes of a chunk on the wire (0: an image chunk not read yet, or a zero chunk). */
  private chunkLength(stream: number, chunk: number): number {
    if (stream === Stream.Image) return this.source!.wireLength(chunk);
    return Math.min(this.opts.chunkSize, this.manifest.length - chunk * this.opts.chunkSize);
  }

  private submit(stream: number, chunk: number, wire: WireChunk, urgent: boolean, symbols?: Uint32Array, parity?: Uint32Array): void {
    const id = this.nextJobId++;
    const { data, coding } = wire;
    this.inFlight.set(id, { data, urgent, stream, chunk });
    const job = { id, stream, coding, chunk, data, urgent, ...(symbols ? { symbols } : {}), ...(parity && parity.length ? { parity } : {}) };
    this.tx!.send(job);
  }

  private onJobsDone(done: { id: number; errno: number }[]): void {
    for (const d of done) {
      const job = this.inFlight.get(d.id);
      this.inFlight.delete(d.id);
      if (d.errno) {
        this.fail(new BlockcastError('ENATIVE', `Sending to ${this.opts.group}:${this.opts.port} via ${this.opts.interfaceAddress} failed: ${errnoName(d.errno)}`));
        continue;
      }
      if (job && !job.urgent && job.stream === Stream.Image) this.firstPassDone = Math.max(this.firstPassDone, job.chunk + 1);
    }
    const total = this.manifestChunks + this.source!.chunkCount;
    if (this.phase === Phase.Sending && this.nextFirstPass >= total && ![...this.inFlight.values()].some((j) => !j.urgent)) {
      this.phase = Phase.Repairing;
      this.firstPassSeconds = (performance.now() - this.startedAt) / 1000;
      const now = this.tx!.stats();
      this.firstPassIdleSeconds = now.idleSeconds - this.nativeAtStart!.idleSeconds;
      this.firstPassForfeitSeconds = now.forfeitSeconds - this.nativeAtStart!.forfeitSeconds;
      this.emit('first-pass', { seconds: this.firstPassSeconds, idleSeconds: this.firstPassIdleSeconds, forfeitSeconds: this.firstPassForfeitSeconds });
      this.announce();
    }
    this.emit('progress', { chunksSent: this.firstPassDone, chunkCount: this.source!.chunkCount });
    this.pump();
    this.settle?.();
  }

  private onControl(msg: Buffer, address: string, port: number): void {
    const bytes = msg.length + IP_UDP_OVERHEAD;
    this.controlBytesIn += bytes;
    this.controlPacketsIn++;
    const type = packetType(msg);
    if (type === PacketType.Status) {
      const s = decodeStatus(msg);
      if (!s || s.session !== this.opts.session) return void this.emit('malformed', { address });
      const { participant, isNew, changed } = this.participants.update(s, address, port, Date.now());
      const final = s.state === ReceiverState.Done || s.state === ReceiverState.Failed;
      this.controlBytes[isNew ? 'joins' : final ? 'finals' : s.overloaded ? 'overload' : 'heartbeats'] += bytes;
      if (s.overloaded && this.phase !== Phase.Waiting) this.rate?.onOverload(performance.now(), this.lastWire.rate);
      if (isNew) this.emit('receiver-joined', summarize(participant));
      if (changed && participant.state === 'done') {
        if (!participant.digest?.equals(this.imageDigest())) {
          participant.state = 'failed';
          this.emit('receiver-failed', { ...summarize(participant), message: 'reported a digest that does not match the image' });
        } else {
          this.emit('receiver-done', summarize(participant));
        }
      } else if (changed && participant.state === 'failed') {
        this.emit('receiver-failed', summarize(participant));
      }
      if (final || isNew) {
        this.control?.send(encodeAck({ session: this.opts.session, receiverId: s.receiverId, state: s.state }), port, address);
      }
      this.settle?.();
      return;
    }
    if (type === PacketType.Nack) {
      const n = decodeNack(msg);
      if (!n || n.session !== this.opts.session) return void this.emit('malformed', { address });
      this.controlBytes[this.phase === Phase.Repairing ? 'nacksRepairing' : 'nacksFirstPass'] += bytes;
      const p = this.participants.get(n.receiverId);
      if (p) {
        p.lastHeard = Date.now();
        p.nackPackets++;
      }
      if (this.phase === Phase.Waiting) return; // nothing sent yet: nothing to repair
      for (const e of n.entries) {
        const size = e.stream === Stream.Manifest ? this.manifest.length : e.stream === Stream.Image ? this.source!.size : 0;
        if (e.chunk >= chunkCount(size, this.opts.chunkSize)) return void this.emit('malformed', { address });
        const length = this.chunkLength(e.stream, e.chunk);
        if (length === 0) continue; // a zero chunk, or one not sent yet: nothing to repair
        const symbols = symbolCount(length, this.symbolSize);
        if (e.kind === NackKind.WholeChunk) {
          // The receiver has none of it and does not know its length: ask for everything.
          e.kind = this.opts.fecStripe > 0 ? NackKind.StripeNeeds : NackKind.SourceRuns;
          e.pairs = this.opts.fecStripe > 0 ? wholeChunkNeeds(symbols, this.opts.fecStripe) : [0, symbols];
        }
        const before = e.kind === NackKind.StripeNeeds ? this.repairs.plan(e.stream, e.chunk).join() : '';
        const named =
          e.kind === NackKind.StripeNeeds
            ? this.opts.fecStripe > 0
              ? this.repairs.addNeeds(e.stream, e.chunk, symbols, this.opts.fecStripe, e.pairs)
              : -1
            : this.repairs.add(e.stream, e.chunk, symbols, e.pairs);
        if (named < 0) return void this.emit('malformed', { address });
        if (p) p.symbolsRequested += named;
        if (e.kind === NackKind.StripeNeeds) {
          // Tell every receiver what this round will carry, so those it
          // already covers stay silent (NORM-style NACK suppression).
          const plan = this.repairs.plan(e.stream, e.chunk);
          if (plan.join() !== before) {
            this.tx!.sendControl(encodeRepairAdv({ session: this.opts.session, stream: e.stream, chunk: e.chunk, stripes: plan }));
            this.repairAdvs++;
          }
        }
      }
      this.pump();
      return;
    }
    this.emit('malformed', { address });
  }

  /**
   * The window over which receivers spread the first report of a loss. It
   * must outlast a REPAIR_ADV's trip to them, which queues behind data on a
   * slow link, for the exponential backoff to let the few early reports
   * silence the rest. In a group's first pass a repair can wait (new data
   * fills the link meanwhile): two chunks' time on the wire, at most 500 ms.
   * In the repair tail each round trip adds to the session's time: 64 KiB's
   * time on the wire, 20 to 200 ms. One receiver has no one to wait for.
   */
  private nackBackoffWindow(): number {
    const rate = this.rate?.current || this.lastWire.rate;
    if (this.participants.size <= 1 || rate <= 0) return NACK_BACKOFF_MS;
    const [bytes, most] = this.phase === Phase.Sending ? [2 * this.opts.chunkSize, MAX_NACK_BACKOFF_MS] : [TAIL_BACKOFF_BYTES, MAX_TAIL_NACK_BACKOFF_MS];
    // Whole 10 ms, so that a measured rate's jitter does not change every ANNOUNCE (receivers skip repeats).
    return Math.min(most, Math.max(NACK_BACKOFF_MS, Math.round((bytes / rate) * 100) * 10));
  }

  /**
   * Receivers' STATUS heartbeat interval, in tenths of a second: about 0.25%
   * of the link for all heartbeats together (as RTCP shares its bandwidth),
   * never more often than once a second, never rarer than every 25 s.
   */
  private heartbeatTenths(): number {
    const rate = this.rate?.current || this.lastWire.rate || 0;
    if (rate <= 0) return 10;
    const seconds = (this.participants.size * HEARTBEAT_BYTES) / (0.0025 * rate);
    return Math.round(Math.min(25, Math.max(1, seconds)) * 10);
  }

  private imageDigest(): Buffer {
    return this.manifest.subarray(32, 64);
  }

  /** Every 250 ms: measure the wire rate, let the rate recover, expire silent receivers. */
  private checkReceivers(): void {
    const now = performance.now();
    const bytes = this.tx?.stats().bytes ?? 0;
    if (this.lastWire.at > 0) this.lastWire.rate = ((bytes - this.lastWire.bytes) * 1000) / (now - this.lastWire.at);
    this.lastWire.at = now;
    this.lastWire.bytes = bytes;
    if (this.phase !== Phase.Waiting) this.rate?.tick(now, this.lastWire.rate);
    // Silence means lost only after several heartbeats have been missed.
    const timeout = Math.max(this.opts.receiverTimeout * 1000, 4 * this.heartbeatTenths() * 100);
    for (const p of this.participants.expire(Date.now(), timeout)) {
      this.emit('receiver-lost', summarize(p));
    }
    this.settle?.();
  }

  private fail(err: Error): void {
    this.fatal ??= err;
    this.settle?.();
  }

  private async finish(prepareSeconds: number): Promise<SendSummary> {
    // Let queued jobs drain so their buffers are not released under the native thread.
    const deadline = Date.now() + 2000;
    while (this.inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.phase = Phase.Ended;
    for (let i = 0; i < 3; i++) {
      this.announce();
      await new Promise((r) => setTimeout(r, 30));
    }
    if (this.fatal) throw this.fatal;
    const seconds = this.startedAt ? (performance.now() - this.startedAt) / 1000 : 0;
    const stats = this.tx!.stats();
    const receivers = this.participants.all().map(summarize);
    const imageSize = this.source!.size;
    return {
      session: this.opts.session,
      imageSize,
      chunkCount: this.source!.chunkCount,
      source: this.source!.kind,
      zeroChunks: this.zeroChunks(),
      imageWireBytes: this.imageWireBytes,
      compressionRatio: this.imageWireBytes > 0 ? this.imageRawBytesSent / this.imageWireBytes : 0,
      reductionRatio: this.imageWireBytes > 0 ? imageSize / this.imageWireBytes : 0,
      seconds,
      firstPassSeconds: this.firstPassSeconds,
      firstPassIdleSeconds: this.firstPassIdleSeconds,
      firstPassForfeitSeconds: this.firstPassForfeitSeconds,
      mbps: seconds > 0 ? imageSize / 1e6 / seconds : 0,
      wireBytes: stats.bytes,
      wireMbps: seconds > 0 ? stats.bytes / 1e6 / seconds : 0,
      dataPackets: stats.packets,
      repairSymbols: this.repairSymbols,
      paritySymbols: this.paritySymbols,
      proactiveSymbols: this.proactiveSymbols,
      controlBytesIn: this.controlBytesIn,
      controlPacketsIn: this.controlPacketsIn,
      controlBytes: { ...this.controlBytes },
      repairAdvs: this.repairAdvs,
      repairJobs: this.repairJobs,
      prepareSeconds,
      gso: stats.gsoBatches > 0,
      cpuSeconds: cpuSeconds(),
      transferCpuSeconds: cpuSeconds() - this.startCpu,
      peakRssMB: peakRssMB(),
      eventLoopDelayMs: { p99: this.loopDelay.percentile(99) / 1e6, max: this.loopDelay.max / 1e6 },
      rateDecreases: this.rate?.decreases ?? 0,
      lowestRate: this.rate?.lowest ?? 0,
      receivers,
      ok: receivers.length > 0 && receivers.every((r) => r.state === 'done') && !this.aborted,
    };
  }

  private cleanup(): void {
    this.settle = undefined;
    clearTimeout(this.repairTimer);
    try {
      this.tx?.close();
    } catch {
      // already closed
    }
    this.control?.close();
    this.control = undefined;
    void this.pool?.close();
    this.source?.close();
    this.loopDelay.disable();
  }
}

/** Stripe needs [stripe, count, ...] covering every source of a chunk. */
function wholeChunkNeeds(symbols: number, stripeSize: number): number[] {
  const pairs: number[] = [];
  for (let s = 0; s * stripeSize < symbols; s++) pairs.push(s, Math.min(stripeSize, symbols - s * stripeSize));
  return pairs;
}

/** "ENETUNREACH (errno 101)": native calls report bare errno values. */
function errnoName(errno: number): string {
  try {
    return `${getSystemErrorName(-errno)} (errno ${errno})`;
  } catch {
    return `errno ${errno}`;
  }
}

function summarize(p: Participant): ReceiverSummary {
  return {
    id: p.id,
    name: p.name,
    address: p.address,
    state: p.state,
    reason: p.reason,
    packets: p.packets,
    duplicates: p.duplicates,
    malformed: p.malformed,
    symbolsRequested: p.symbolsRequested,
    nackPackets: p.nackPackets,
  };
}

