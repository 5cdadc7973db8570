// The receiver's session: find a sender, check the target, assemble the
// manifest, verify and write every chunk at its offset, NACK what is
// missing, and report DONE only once the whole-image digest matches.
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { getSystemErrorName } from 'node:util';
import { IDLE_TICK_MS } from '../defaults.js';
import { BlockcastError } from '../errors.js';
import { chunkCount, chunkLength } from '../image/geometry.js';
import { ChunkPool } from '../image/pool.js';
import { Target, checkCapacity, inspectTarget } from '../image/target.js';
import { NOT_SENT, native, type NativeReceiver, type NativeReceiverBatch } from '../native/binding.js';
import {
  Coding,
  MAX_CHUNK_SIZE,
  MAX_SYMBOL_SIZE,
  MIN_SYMBOL_SIZE,
  PacketType,
  Phase,
  ReceiverState,
  Stream,
} from '../protocol/constants.js';
import { decodeManifest, imageDigestOf, isZeroChunk, manifestSize, type Manifest } from '../protocol/manifest.js';
import { hash, zeroHash } from '../protocol/hash.js';
import {
  decodeAnnounce,
  decodeRepairAdv,
  packetType,
  type Announce,
} from '../protocol/packets.js';
import {
  nextTickMs,
  progressTickMs,
  tickIntervalMs,
} from './timing.js';
import { NACK_ENTRIES_PER_TICK, NackPolicy, streamsToCheck } from './nack-policy.js';
import { Reporter } from './reporter.js';
import { ReceiveStats, type ReceiveSummary } from './stats.js';
import { resolveReceiveOptions, type ReceiveOptions, type ResolvedReceiveOptions } from './options.js';

export type { ReceiveOptions } from './options.js';
export type { ReceiveSummary } from './stats.js';

const MAX_PENDING_WRITES = 8;
/** A chunk that fails verification this often is corrupt at the source, not in transit. */
const MAX_CHUNK_FAILURES = 5;
/** Zero ranges are cleared at most this many bytes per call, so progress stays visible. */
const ZERO_RANGE_MAX = 256 * 1024 * 1024;

export class ReceiverSession extends EventEmitter {
  readonly opts: ResolvedReceiveOptions;
  readonly receiverId = randomInt(1, 2 ** 32 - 1);
  private rx?: NativeReceiver;
  private control?: dgram.Socket;
  private pool?: ChunkPool;
  private target?: Target;
  private announce?: Announce;
  private lastHeard = 0;
  private manifestParts: (Buffer | undefined)[] = [];
  private manifest?: Manifest;
  private digests: (Buffer | undefined)[] = [];
  private written = 0;
  /** Completed image chunks waiting for a verified write (and, before the manifest, for it). */
  private backlog: { chunk: number; slot: number; length: number; coding: number }[] = [];
  private readonly failures = new Map<number, number>();
  private readonly slots: Buffer[] = [];
  private readonly figures = new ReceiveStats();
  private readonly nacks = new NackPolicy(this.figures);
  private readonly reporter: Reporter;
  private writing = 0;
  private outcome?: { error?: Error; digest?: Buffer };
  private wake?: () => void;
  private timer?: NodeJS.Timeout;
  private waitStart = 0;
  /** The native receiver's per-tick figures (see NativeReceiver.sample), reused every tick. */
  private readonly sample = new Float64Array(4);

  constructor(options: ReceiveOptions) {
    super();
    this.opts = resolveReceiveOptions(options);
    this.reporter = new Reporter({
      receiverId: this.receiverId,
      name: this.opts.name,
      counters: this.figures,
      send: (packet, port, address) => this.control!.send(packet, port, address),
      state: () =>
        this.outcome ? (this.outcome.error ? ReceiverState.Failed : ReceiverState.Done) : this.written > 0 ? ReceiverState.Receiving : ReceiverState.Joined,
      figures: () => {
        const s = this.rx?.stats();
        return {
          chunksDone: this.written,
          capacity: this.target?.info.capacity ?? 0,
          packets: s?.dataPackets ?? 0,
          malformed: s?.malformed ?? 0,
          duplicates: s?.duplicates ?? 0,
        };
      },
    });
  }

  /** Native counters (datagrams, malformed, foreign, ...) for monitoring and tests. */
  stats(): ReturnType<NativeReceiver['stats']> | undefined {
    return this.rx?.stats();
  }

  abort(): void {
    this.conclude({ error: new BlockcastError('EABORTED', 'Receive aborted') });
  }

  async run(): Promise<ReceiveSummary> {
    try {
      await this.open();
      // Provisioners start the sender once every node reports this.
      this.emit('ready', { group: this.opts.group, port: this.opts.port, interfaceAddress: this.opts.interfaceAddress });
      this.waitStart = Date.now();
      this.schedule(IDLE_TICK_MS);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (this.outcome) resolve();
      });
      clearTimeout(this.timer);
      if (this.outcome?.error) {
        await this.reporter.reportFailure(this.outcome.error);
        throw this.outcome.error;
      }
      const acknowledged = await this.reporter.reportDone(this.outcome!.digest!);
      return this.figures.summary(this.announce!, this.outcome!.digest!, acknowledged, this.rx!.stats());
    } finally {
      clearTimeout(this.timer);
      await this.cleanup();
    }
  }

  private async open(): Promise<void> {
    try {
      this.rx = new native.Receiver(
        {
          group: this.opts.group,
          port: this.opts.port,
          interfaceAddress: this.opts.interfaceAddress,
          socketBuffer: this.opts.socketBuffer,
          flushMs: 2,
          gro: this.opts.gro,
          ...injectedFaults(),
        },
        (batch) => this.onBatch(batch),
      );
    } catch (err) {
      throw new BlockcastError('ENATIVE', `Cannot join ${this.opts.group}:${this.opts.port}: ${(err as Error).message}`, { cause: err });
    }
    // Workers start now, while the receiver waits for a sender, so that their
    // start-up cost never competes with the first packets of the transfer.
    this.pool = new ChunkPool({ prewarm: true, threads: this.opts.workers });
    const control = dgram.createSocket('udp4');
    this.control = control;
    control.on('message', (msg) => this.reporter.onAck(msg));
    control.on('error', (err) => this.conclude({ error: err }));
    await new Promise<void>((resolve) => control.bind(0, resolve));
    try {
      await this.pool.started;
    } catch (err) {
      throw new BlockcastError('ENATIVE', `Worker threads failed to start: ${(err as Error).message}`, { cause: err });
    }
  }

  private conclude(outcome: { error?: Error; digest?: Buffer }): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.wake?.();
  }

  private onBatch(batch: NativeReceiverBatch): void {
    for (const c of batch.controls) {
      const type = packetType(c.data);
      if (type === PacketType.RepairAdv) {
        const adv = decodeRepairAdv(c.data);
        if (adv && adv.session === this.announce?.session) {
          this.nacks.advertise(adv.stream, adv.chunk, adv.stripes, Date.now());
        }
        continue;
      }
      if (type !== PacketType.Announce) continue;
      const a = decodeAnnounce(c.data);
      if (!a) continue;
      this.onAnnounce(a, c.address);
    }
    for (const c of batch.chunks) {
      if (c.stream === Stream.Manifest) {
        if (c.coding === Coding.Raw) this.onManifestChunk(c.chunk, Buffer.from(this.slots[c.slot]!.subarray(0, c.length)));
        else this.rx!.reopen(Stream.Manifest, c.chunk); // the manifest always travels raw
        this.lend(c.slot);
      } else {
        this.onImageChunk(c.chunk, c.slot, c.length, c.coding);
      }
    }
    // Batches come as fast as data does, timer ticks maybe only every 250 ms:
    // tell a fast sender of overload from here.
    if (batch.chunks.length > 0 && this.announce && !this.outcome) {
      this.rx!.sample(this.sample);
      this.reporter.reportOverload(Date.now(), this.sample[2]!, this.sample[3]!, this.slots.length);
    }
  }

  private onAnnounce(a: Announce, address: string): void {
    if (this.outcome) {
      // A sender that has ended will not acknowledge a final report: stop retrying it.
      if (a.phase === Phase.Ended && a.session === this.announce?.session) {
        this.reporter.onSenderEnded();
      }
      return;
    }
    if (!this.announce) {
      if (this.opts.session !== undefined && a.session !== this.opts.session) return;
      if (a.phase === Phase.Ended) return;
      this.join(a, address);
      return;
    }
    if (a.session !== this.announce.session) return;
    const moved = a.progress !== this.announce.progress || a.phase !== this.announce.phase;
    this.announce = a;
    this.reporter.update(a);
    this.lastHeard = Date.now();
    // The sender has passed more chunks: look for losses in them now.
    if (moved && this.manifest) this.schedule(progressTickMs());
    if (a.phase === Phase.Ended) {
      this.conclude({ error: new BlockcastError('ESENDERENDED', `The sender ended the session with ${this.written} of ${a.chunkCount} chunks written`) });
    }
  }

  private join(a: Announce, address: string): void {
    const problem = checkGeometry(a);
    if (problem) {
      this.emit('warning', { message: `ignoring sender ${address}: ${problem}` });
      return;
    }
    this.announce = a;
    this.reporter.join(a, address);
    this.lastHeard = Date.now();
    this.emit('session', { session: a.session, sender: address, imageSize: a.imageSize, chunkCount: a.chunkCount });
    try {
      const info = inspectTarget(this.opts.target);
      checkCapacity(this.opts.target, info, a.imageSize);
      this.target = new Target(this.opts.target, info, a.imageSize);
    } catch (err) {
      this.conclude({ error: err as Error });
      return;
    }
    const manifestChunks = chunkCount(a.manifestSize, a.chunkSize);
    this.manifestParts = new Array(manifestChunks);
    this.digests = new Array(a.chunkCount);
    this.rx!.configure({
      session: a.session,
      symbolSize: a.symbolSize,
      stripeSize: a.stripeSize,
      streams: [
        { chunkCount: a.chunkCount, maxLength: a.chunkSize },
        { chunkCount: manifestChunks, maxLength: a.chunkSize },
      ],
    });
    // Manifest chunks travel raw, so their lengths are known; image chunks'
    // are learnt from their symbols (and zero chunks from the manifest).
    this.rx!.expect(Stream.Manifest, Uint32Array.from({ length: manifestChunks }, (_, c) => chunkLength(a.manifestSize, a.chunkSize, c)));
    this.createSlots(a.chunkSize);
    this.figures.start();
    this.reporter.sendStatus(Date.now());
  }

  private onManifestChunk(chunk: number, data: Buffer): void {
    if (this.manifest || !this.announce) return;
    this.manifestParts[chunk] = data;
    if (this.manifestParts.some((p) => p === undefined)) return;
    const bytes = Buffer.concat(this.manifestParts as Buffer[]);
    try {
      if (!hash(bytes).equals(this.announce.manifestDigest)) throw new Error('manifest digest does not match the announcement');
      const m = decodeManifest(bytes);
      if (m.imageSize !== this.announce.imageSize || m.chunkSize !== this.announce.chunkSize) throw new Error('manifest geometry differs from the announcement');
      if (this.opts.expectDigest && m.imageDigest.toString('hex') !== this.opts.expectDigest) {
        this.conclude({
          error: new BlockcastError('EDIGEST', `The sender offers image ${m.imageDigest.toString('hex')}, not the expected ${this.opts.expectDigest}; nothing was written`),
        });
        return;
      }
      this.manifest = m;
    } catch (err) {
      // Corrupt in transit despite per-symbol checks: fetch it again.
      this.emit('warning', { message: (err as Error).message });
      this.manifestParts.fill(undefined);
      for (let i = 0; i < this.manifestParts.length; i++) this.rx!.reopen(Stream.Manifest, i);
      return;
    }
    const m = this.manifest;
    const count = m.chunkHashes.length;
    this.rx!.expect(Stream.Image, Uint32Array.from({ length: count }, (_, c) => (isZeroChunk(m, c) ? NOT_SENT : 0)));
    this.emit('manifest', { imageDigest: m.imageDigest.toString('hex'), chunkCount: count });
    void this.zeroChunks().catch((err: unknown) => this.conclude({ error: err as Error }));
    this.drain();
  }

  /**
   * The image's zero chunks are never sent. On a target known to read as
   * zeros they are done at once; otherwise each run of them is zeroed in a
   * worker (ZERO_RANGE or PUNCH_HOLE for files, BLKZEROOUT for devices), so
   * no stale data survives where the image has zeros.
   */
  private async zeroChunks(): Promise<void> {
    const m = this.manifest!;
    const count = m.chunkHashes.length;
    const known = this.target!.info.created || this.opts.targetZeroed;
    for (let c = 0; c < count && !this.outcome; ) {
      if (!isZeroChunk(m, c)) {
        c++;
        continue;
      }
      let end = c + 1;
      while (end < count && isZeroChunk(m, end) && (end + 1 - c) * m.chunkSize <= ZERO_RANGE_MAX) end++;
      const offset = c * m.chunkSize;
      const length = Math.min(end * m.chunkSize, m.imageSize) - offset;
      if (!known) {
        const r = await this.pool!.zero(this.target!.fd, offset, length, this.target!.info.kind === 'block');
        if (r.errno !== 0) {
          throw new BlockcastError('ETARGETIO', `Zeroing ${this.opts.target} at offset ${offset} (${length} bytes) failed: ${errnoText(r.errno)}`);
        }
      }
      for (; c < end; c++) {
        this.digests[c] = zeroHash(chunkLength(m.imageSize, m.chunkSize, c));
        this.written++;
        known ? this.figures.skippedZeroChunks++ : this.figures.zeroedChunks++;
      }
      this.emit('progress', { written: this.written, chunkCount: count });
      this.checkComplete();
    }
  }

  private onImageChunk(chunk: number, slot: number, length: number, coding: number): void {
    if (this.outcome) return;
    this.backlog.push({ chunk, slot, length, coding });
    this.figures.maxBacklog = Math.max(this.figures.maxBacklog, this.backlog.length);
    this.drain();
  }

  /**
   * Memory for chunks is a fixed set of buffers ("slots", --max-buffer in
   * all) that JS owns and lends to the native receiver to assemble into. A
   * completed chunk's slot travels to a worker to be verified and written and
   * comes back by transfer: no copies, no allocation per chunk. When every
   * slot is busy the native side drops symbols, and they are repaired later.
   */
  private createSlots(chunkSize: number): void {
    const count = Math.max(4, Math.floor(this.opts.maxBuffer / chunkSize));
    for (let id = 0; id < count; id++) {
      this.slots.push(Buffer.allocUnsafeSlow(chunkSize));
      this.lend(id);
    }
  }

  private lend(id: number): void {
    if (!this.outcome) this.rx!.provide(this.slots[id]!, id);
  }

  /** Starts verified writes for backlogged chunks, a bounded number at a time. */
  private drain(): void {
    if (!this.manifest || !this.target || !this.pool) return;
    while (this.writing < MAX_PENDING_WRITES && this.backlog.length > 0 && !this.outcome) {
      const { chunk, slot, length, coding } = this.backlog.shift()!;
      const m = this.manifest;
      if (isZeroChunk(m, chunk) || this.digests[chunk]) {
        this.lend(slot); // arrived before the manifest said it is never sent, or already written
        continue;
      }
      this.writing++;
      const offset = chunk * m.chunkSize;
      const rawLength = chunkLength(m.imageSize, m.chunkSize, chunk);
      this.pool
        .unpackAndWrite({ fd: this.target.fd, offset, buffer: this.slots[slot]!.buffer as ArrayBuffer, length, coding, rawLength, expected: m.chunkHashes[chunk]! })
        .then((r) => {
          this.writing--;
          this.slots[slot] = Buffer.from(r.buffer);
          this.lend(slot);
          if (r.ok) {
            if (!this.digests[chunk]) {
              this.digests[chunk] = Buffer.from(r.digest);
              this.written++;
              this.figures.wireBytes += length;
              if (this.written % 16 === 0) this.emit('progress', { written: this.written, chunkCount: this.manifest!.chunkHashes.length });
            }
          } else if (r.reason === 'mismatch' || r.reason === 'undecodable') {
            // Corrupt in transit: fetch it again. Corrupt every time: the
            // sender's copy is bad, and waiting longer will not help.
            this.figures.corruptChunks++;
            const failures = (this.failures.get(chunk) ?? 0) + 1;
            this.failures.set(chunk, failures);
            this.emit('warning', { message: `chunk ${chunk} failed verification (${r.message}); fetching it again` });
            if (failures >= MAX_CHUNK_FAILURES) {
              this.conclude({
                error: new BlockcastError('EDIGEST', `Chunk ${chunk} failed verification ${failures} times (${r.message}): the sender's copy of the image is corrupt`),
              });
            } else {
              this.rx!.reopen(Stream.Image, chunk);
            }
          } else {
            const hint = 'code' in r && r.code === 'ENOSPC' ? ' (disk full)' : '';
            this.conclude({ error: new BlockcastError('ETARGETIO', `Writing ${this.opts.target} at offset ${offset} failed${hint}: ${r.message}`) });
          }
          this.checkComplete();
          this.drain();
        })
        .catch((err: unknown) => this.conclude({ error: err as Error }));
    }
  }

  private checkComplete(): void {
    if (!this.manifest || this.outcome || this.written < this.manifest.chunkHashes.length) return;
    // The digest is rebuilt from what the workers hashed on the written data.
    const digest = imageDigestOf(this.digests as Buffer[]);
    if (!digest.equals(this.manifest.imageDigest)) {
      this.conclude({ error: new BlockcastError('EDIGEST', 'The written image does not match the manifest digest') });
      return;
    }
    try {
      this.target!.sync();
    } catch (err) {
      this.conclude({ error: new BlockcastError('ETARGETIO', `fsync of ${this.opts.target} failed: ${(err as Error).message}`) });
      return;
    }
    this.conclude({ digest });
  }

  /**
   * One timer for NACKs, overload reports and heartbeats, since each wake-up
   * costs and hundreds of receivers may share a host. It runs every 20 ms
   * once the sender only repairs (the tail, where each round trip counts),
   * every 100 ms while losses below the sender's progress are outstanding
   * in its first pass, and every 250 ms when there is nothing to report; an
   * ANNOUNCE with new progress runs it at once.
   */
  private schedule(ms: number): void {
    clearTimeout(this.timer);
    // Node runs due timers before it reads sockets: a receiver that waited
    // for the CPU would report before reading the REPAIR_ADVs (and data)
    // that arrived meanwhile. setImmediate runs the tick after that read.
    if (!this.outcome) this.timer = setTimeout(() => setImmediate(() => this.tick()), ms);
  }

  private tick(): void {
    if (this.outcome) return;
    const busy = this.check();
    const interval = tickIntervalMs(this.announce?.phase, busy);
    // A report held back by its random backoff goes out when that ends.
    this.schedule(nextTickMs(interval, this.nacks.nextDue(), Date.now()));
  }

  /** Returns true while losses are outstanding: incomplete chunks the sender has passed. */
  private check(): boolean {
    const now = Date.now();
    if (!this.announce) {
      if (this.opts.waitTimeout > 0 && now - this.waitStart > this.opts.waitTimeout * 1000) {
        this.conclude({ error: new BlockcastError('ENOSENDER', `No sender announced a session on ${this.opts.group}:${this.opts.port} within ${this.opts.waitTimeout} s`) });
      }
      return false;
    }
    if (now - this.lastHeard > this.opts.senderTimeout * 1000) {
      this.conclude({ error: new BlockcastError('ENOSENDER', `The sender went silent for ${this.opts.senderTimeout} s`) });
      return false;
    }
    const sample = this.sample;
    this.rx!.sample(sample);
    const busy = this.sendNacks(now, sample[0]!, sample[1]!);
    this.reporter.reportOverload(now, sample[2]!, sample[3]!, this.slots.length);
    this.reporter.heartbeat(now);
    return busy;
  }

  /** Asks the native receiver for the losses the policy looks at, and sends the reports it decides on. */
  private sendNacks(now: number, seenImage: number, seenManifest: number): boolean {
    const a = this.announce!;
    const reach = this.nacks.reach(a, this.manifestParts.length, this.manifest !== undefined, seenImage, seenManifest);
    if (!reach) return false;
    const losses = streamsToCheck(reach).map(({ stream, below }) => ({ stream, flat: this.rx!.missing(stream, below, NACK_ENTRIES_PER_TICK) }));
    const { entries, outstanding } = this.nacks.plan(now, a, losses);
    this.reporter.sendNacks(now, entries);
    return outstanding;
  }

  private async cleanup(): Promise<void> {
    // Wait for writes in flight: their fd must stay open until they finish.
    const deadline = Date.now() + 5000;
    while (this.writing > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    this.rx?.close();
    this.control?.close();
    await this.pool?.close();
    this.target?.close();
  }
}

function errnoText(errno: number): string {
  try {
    return `${getSystemErrorName(-errno)} (errno ${errno})`;
  } catch {
    return `errno ${errno}`;
  }
}

/**
 * Fault injection for tests, never set in production: BLOCKCAST_TEST_DROP_BURST=START,COUNT
 * makes the native receiver drop COUNT consecutive DATA datagrams after START.
 */
function injectedFaults(): { dropBurstStart: number; dropBurstCount: number } {
  const m = /^(\d+),(\d+)$/.exec(process.env.BLOCKCAST_TEST_DROP_BURST ?? '');
  return m ? { dropBurstStart: Number(m[1]), dropBurstCount: Number(m[2]) } : { dropBurstStart: 0, dropBurstCount: 0 };
}

/** Rejects announcements whose geometry would be unsafe to act on. */
function checkGeometry(a: Announce): string | undefined {
  if (a.chunkSize < 4096 || a.chunkSize > MAX_CHUNK_SIZE) return `chunk size ${a.chunkSize} out of range`;
  if (a.symbolSize < MIN_SYMBOL_SIZE || a.symbolSize > MAX_SYMBOL_SIZE) return `symbol size ${a.symbolSize} out of range`;
  if (Math.ceil(a.chunkSize / a.symbolSize) > 65535) return 'too many symbols per chunk';
  if (a.stripeSize > 254 || Math.ceil(Math.ceil(a.chunkSize / a.symbolSize) / Math.max(1, a.stripeSize)) > 0x7fff) return 'FEC stripe size out of range';
  if (a.imageSize === 0 || a.chunkCount !== chunkCount(a.imageSize, a.chunkSize)) return 'chunk count does not match image size';
  if (a.manifestSize !== manifestSize(a.chunkCount)) return 'manifest size does not match chunk count';
  if (chunkLength(a.imageSize, a.chunkSize, a.chunkCount - 1) <= 0) return 'bad last chunk';
  return undefined;
}
