// The native sender, which paces and sends jobs on its own thread, and the
// jobs it holds: each job's buffer must stay referenced until the native
// thread reports it done.
import { type Clock, sleep } from '../core/clock.js';
import { BlockcastError, errnoName } from '../errors.js';
import type { WireChunk } from '../image/source.js';
import { Stream } from '../protocol/constants.js';
import { native, type NativeSender, type NativeSenderOptions, type NativeSenderStats } from '../native/binding.js';
import type { ResolvedSendOptions } from './options.js';
import type { QueueDepth } from './scheduler.js';

export interface SendJob {
  stream: number;
  chunk: number;
  wire: WireChunk;
  /** Repairs go ahead of first-pass data. */
  urgent: boolean;
  symbols?: Uint32Array;
  parity?: Uint32Array;
}

interface InFlight {
  data: Buffer;
  urgent: boolean;
  stream: number;
  chunk: number;
}

export class Transmitter {
  private readonly inFlight = new Map<number, InFlight>();
  private nextJobId = 1;
  private readonly tx: NativeSender;
  /** Image chunks whose first-pass job has completed (the highest such chunk, plus one). */
  firstPassProgress = 0;
  /** The same for manifest chunks: a stream session's segments on the wire. */
  firstPassManifest = 0;

  /**
   * Opens the multicast socket; throws BlockcastError ENATIVE if it cannot.
   * `onDone` hears of every batch of completed jobs, with the errors of those that failed.
   */
  constructor(
    private readonly o: ResolvedSendOptions,
    symbolSize: number,
    onDone: (errors: BlockcastError[]) => void,
    seal?: { cipher: number; key: Buffer; encrypt: boolean },
  ) {
    const { group, port, interfaceAddress, ttl, loopback, socketBuffer, session, fecStripe: stripeSize, gso, rateBytes: rateBytesPerSecond } = o;
    const options: NativeSenderOptions = { group, port, interfaceAddress, ttl, loopback, socketBuffer, session, symbolSize, stripeSize, gso, rateBytesPerSecond };
    // A sealed session's DATA key goes to this one engine only: its nonces count from 0.
    if (seal) Object.assign(options, { sealCipher: seal.cipher, sealKey: seal.key, sealEncrypt: seal.encrypt });
    try {
      this.tx = new native.Sender(options, (done) => onDone(this.complete(done)));
    } catch (err) {
      throw new BlockcastError('ENATIVE', `Cannot open the multicast sender socket: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Waits (up to `ms`) for queued jobs to drain, so their buffers are not released under the native thread. */
  async drain(ms: number, clock: Clock): Promise<void> {
    const deadline = clock.now() + ms;
    while (this.inFlight.size > 0 && clock.now() < deadline) await sleep(10);
  }

  submit(j: SendJob): void {
    const id = this.nextJobId++;
    const { data, coding } = j.wire;
    this.inFlight.set(id, { data, urgent: j.urgent, stream: j.stream, chunk: j.chunk });
    const job = { id, stream: j.stream, coding, chunk: j.chunk, data, urgent: j.urgent, ...(j.symbols ? { symbols: j.symbols } : {}), ...(j.parity && j.parity.length ? { parity: j.parity } : {}) };
    this.tx.send(job);
  }

  depth(): QueueDepth {
    const d: QueueDepth = { urgent: 0, normal: 0, normalBytes: 0 };
    for (const j of this.inFlight.values()) {
      if (j.urgent) d.urgent++;
      else {
        d.normal++;
        d.normalBytes += j.data.length;
      }
    }
    return d;
  }

  /** Whether any first-pass (not urgent) job is still queued. */
  passInFlight(): boolean {
    return [...this.inFlight.values()].some((j) => !j.urgent);
  }

  /** Multicasts a control packet (ANNOUNCE, REPAIR_ADV) ahead of data; returns an errno, 0 if sent. */
  sendControl(packet: Buffer): number {
    return this.tx.sendControl(packet);
  }

  setRate(bytesPerSecond: number): void {
    this.tx.setRate(bytesPerSecond);
  }

  stats(): NativeSenderStats {
    return this.tx.stats();
  }

  close(): void {
    try {
      this.tx.close();
    } catch {
      // already closed
    }
  }

  private complete(done: { id: number; errno: number }[]): BlockcastError[] {
    const errors: BlockcastError[] = [];
    for (const d of done) {
      const job = this.inFlight.get(d.id);
      this.inFlight.delete(d.id);
      if (d.errno) errors.push(new BlockcastError('ENATIVE', `Sending to ${this.o.group}:${this.o.port} via ${this.o.interfaceAddress} failed: ${errnoName(d.errno)}`));
      else if (job && !job.urgent && job.stream === Stream.Image) this.firstPassProgress = Math.max(this.firstPassProgress, job.chunk + 1);
      else if (job && !job.urgent && job.stream === Stream.Manifest) this.firstPassManifest = Math.max(this.firstPassManifest, job.chunk + 1);
    }
    return errors;
  }
}
