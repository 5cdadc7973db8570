// What a stream session (`send -`) sends: the image read from stdin as it
// goes, in bounded memory, and its manifest as segments. Chunks are kept
// (for repairs) only within a window: the reader stops W chunks past the
// slowest live receiver's contiguous point (the floor) and forgets what is
// below it. Same surface as SendChunks for the session.
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { fstatSync } from 'node:fs';
import { isatty } from 'node:tty';
import { BlockcastError } from '../errors.js';
import { growPipe } from '../image/output.js';
import type { ChunkCodec } from '../image/codec.js';
import { ChunkPool } from '../image/pool.js';
import { StdinReader } from '../image/stdin-reader.js';
import type { WireChunk } from '../image/source.js';
import { Coding, HASH_SIZE, Stream } from '../protocol/constants.js';
import { hash } from '../protocol/hash.js';
import { DEFAULT_STREAM_CHUNKS, encodeSegment, segmentSlots } from '../protocol/segments.js';
import type { ChunkRef } from './chunks.js';

/** Chunks read and being packed at once: enough to hide a worker round trip per chunk. */
const PACK_AHEAD = 8;
/** Slots of the reader's ring: the chunks being packed, the one awaited, and room to read ahead. */
const READ_SLOTS = 2 * PACK_AHEAD;

interface Kept {
  wire: WireChunk;
  zero: boolean;
}

export interface StreamChunksOptions {
  chunkSize: number;
  /** How chunks are coded on the wire (each falls back to raw where coding does not shrink it). */
  codec: ChunkCodec;
  workers: number;
  /** Image chunks per manifest segment. */
  segmentChunks: number;
  /** Chunks kept past the floor: the sender's memory for the image is about this many chunks. */
  window: number;
  /** Aborts open() while it waits for stdin's first chunk (the session was aborted). */
  signal?: AbortSignal;
  /** The file descriptor to read (0: stdin). */
  fd?: number;
}

export class StreamChunks {
  readonly kind = 'stream';
  readonly manifest = Buffer.alloc(0);
  readonly chunkSize: number;
  /** The session's bound on chunks (receivers size their tables for it). */
  readonly bound: number;
  private readonly pool: ChunkPool;
  /** Its own thread reads stdin ahead, up to the window (stdin-reader.ts). */
  private readonly reader: StdinReader;
  private readonly kept = new Map<number, Kept>();
  /** Segments kept for repair (from the floor's segment on), and every segment's hash. */
  private readonly segments = new Map<number, Buffer>();
  private readonly segmentHashes: Buffer[] = [];
  /** Chunks read (and packed) so far, and bytes. */
  private read = 0;
  private bytes = 0;
  private zeros = 0;
  private floor = 0;
  private ended = false;
  private closed = false;
  private failure?: Error;
  private readonly digest = new Blake3Hasher();
  private imageDigestValue: Buffer = Buffer.alloc(HASH_SIZE);
  private pendingHashes: Buffer[] = [];
  private pendingZero: boolean[] = [];
  private wake?: () => void;
  /** Called with every chunk and segment ready for the first pass, in order. */
  onReady: (ref: ChunkRef) => void = () => {};
  /** Called once stdin is read to its end (or failed: see error). */
  onEnd: () => void = () => {};
  /** True while the reader waits for the slowest receiver. */
  blocked = false;

  private constructor(private readonly o: StreamChunksOptions) {
    this.chunkSize = o.chunkSize;
    this.bound = Math.min(DEFAULT_STREAM_CHUNKS, Math.floor(2 ** 40 / o.chunkSize)) || 1;
    this.pool = new ChunkPool({ threads: o.workers });
    this.reader = new StdinReader(o.fd ?? 0, o.chunkSize, READ_SLOTS);
    this.reader.allow(o.window);
  }

  /** Starts reading; resolves once the first chunk is read (rejects EIMAGE on an empty or unreadable stdin). */
  static async open(o: StreamChunksOptions): Promise<StreamChunks> {
    const fd = o.fd ?? 0;
    try {
      fstatSync(fd);
    } catch (err) {
      throw new BlockcastError('EIMAGE', `Cannot read the image from stdin: ${(err as Error).message}`, { cause: err });
    }
    if (isatty(fd)) throw new BlockcastError('EIMAGE', 'send - reads the image from stdin, which is a terminal: pipe the image in (e.g. cat IMAGE | blockcast send -)');
    growPipe(fd); // a chunk crosses from the producer in one or two reads, not sixteen
    const s = new StreamChunks(o);
    const aborted = (): void => s.close(); // a producer that sends nothing must not hold an aborted send
    if (o.signal?.aborted) aborted();
    o.signal?.addEventListener('abort', aborted, { once: true });
    const abortError = (): BlockcastError => new BlockcastError('EABORTED', 'Send aborted while waiting for the image on stdin');
    const buf = await s.readChunk().catch((err: unknown) => {
      s.close();
      throw o.signal?.aborted ? abortError() : err;
    }).finally(() => o.signal?.removeEventListener('abort', aborted));
    if (o.signal?.aborted) {
      s.close();
      throw abortError();
    }
    if (buf.length === 0) {
      s.close();
      throw new BlockcastError('EIMAGE', 'stdin is empty: there is no image to send');
    }
    void s.readLoop(buf);
    return s;
  }

  /** The stdin image as the session reports it: what is read so far. */
  get source(): { kind: 'stream'; size: number; chunkCount: number; isZero(c: number): boolean; manifest: { imageDigest: Buffer } } {
    return { kind: 'stream', size: this.bytes, chunkCount: this.read, isZero: (c) => this.kept.get(c)?.zero ?? false, manifest: { imageDigest: this.imageDigestValue } };
  }

  /** Stdin is read to its end and every segment is built. */
  get readAll(): boolean {
    return this.ended;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  get manifestChunks(): number {
    return 0;
  }

  get segmentCount(): number {
    return this.segmentHashes.length;
  }

  get segmentChunks(): number {
    return this.o.segmentChunks;
  }

  /** The slowest live receiver has every chunk below `floor`: what is below it is forgotten, and reading may go on. */
  setFloor(floor: number): void {
    if (floor <= this.floor) return;
    this.floor = Math.min(floor, this.read);
    for (const c of this.kept.keys()) if (c < this.floor) this.kept.delete(c);
    const segmentFloor = Math.floor(this.floor / this.o.segmentChunks);
    for (const s of this.segments.keys()) if (s < segmentFloor) this.segments.delete(s);
    this.reader.allow(this.floor + this.o.window);
    this.wake?.();
  }

  /** Chunks below this are forgotten: a receiver still missing one can no longer complete. */
  get forgottenBelow(): number {
    return this.floor;
  }

  /** The chunk the reader waits to read (it is `window` past the floor). */
  get readHead(): number {
    return this.read;
  }

  streamChunks(stream: number): number {
    return stream === Stream.Image ? this.bound : stream === Stream.Manifest ? segmentSlots(this.bound, this.o.segmentChunks) : 0;
  }

  /** Wire bytes of a chunk still kept (0: a zero chunk, one forgotten or not read yet). */
  chunkLength(stream: number, chunk: number): number {
    if (stream === Stream.Manifest) return this.segments.get(chunk)?.length ?? 0;
    const k = this.kept.get(chunk);
    return k && !k.zero ? k.wire.data.length : 0;
  }

  /** Whether a chunk can still be sent (repairs of forgotten ones are dropped). */
  available(stream: number, chunk: number): boolean {
    return this.chunkLength(stream, chunk) > 0;
  }

  rawLength(chunk: number): number {
    return chunk === this.read - 1 && this.ended ? this.bytes - chunk * this.chunkSize : this.chunkSize;
  }

  async data(stream: number, chunk: number): Promise<WireChunk> {
    if (stream === Stream.Manifest) {
      const s = this.segments.get(chunk);
      if (!s) throw new Error(`segment ${chunk} is no longer kept`);
      return { data: s, coding: Coding.Raw };
    }
    const k = this.kept.get(chunk);
    if (!k || k.zero) throw new Error(`chunk ${chunk} is no longer kept`);
    return k.wire;
  }

  /** What ANNOUNCE says once `segmentsSent` segments are on the wire: the size only when the last is. */
  announced(segmentsSent: number): { imageSize: number; chunkSize: number; chunkCount: number; manifestSize: number; manifestDigest: Buffer; segments: number } {
    const sent = Math.min(segmentsSent, this.segmentHashes.length);
    const whole = this.ended && sent === this.segmentHashes.length;
    return {
      imageSize: whole ? this.bytes : 0,
      chunkSize: this.chunkSize,
      chunkCount: this.bound,
      manifestSize: 0,
      manifestDigest: sent > 0 ? this.segmentHashes[sent - 1]! : Buffer.alloc(HASH_SIZE),
      segments: sent,
    };
  }

  imageDigest(): Buffer {
    return this.imageDigestValue;
  }

  zeroChunks(): number {
    return this.zeros;
  }

  close(): void {
    this.closed = true;
    this.wake?.();
    void this.pool.close();
    this.reader.close();
  }

  /** One chunk's bytes (fewer only at the end; none at EOF), in a buffer of its own, from the reader thread. */
  private async readChunk(): Promise<Buffer> {
    if (this.closed) return Buffer.alloc(0);
    const r = await this.reader.next();
    if ('error' in r) throw new BlockcastError('EIMAGE', `Reading the image from stdin failed after ${this.bytes + r.got} bytes: ${r.error}`);
    return r.data;
  }

  /** Reads, packs (in the workers, in parallel) and commits chunk after chunk, never past the window. */
  private async readLoop(first: Buffer): Promise<void> {
    const inFlight: Promise<Kept & { digest: Buffer; raw: number }>[] = [];
    let next: Buffer | undefined = first;
    try {
      for (let c = 0; ; c++) {
        const buf: Buffer = next ?? (await this.readChunk());
        next = undefined;
        if (buf.length === 0 || this.closed) break;
        if (c >= this.bound) throw new BlockcastError('EIMAGE', `stdin holds more than a stream session's ${this.bound} chunks of ${this.chunkSize} bytes: use a larger --chunk-size`);
        const short = buf.length < this.chunkSize; // a short chunk is the last
        const packed = this.pack(buf); // (read in its ring slot, released once committed)
        packed.catch(() => {}); // awaited below; a pool closed under it must not leave an unhandled rejection
        inFlight.push(packed);
        while (inFlight.length >= PACK_AHEAD || (inFlight.length > 0 && this.read + inFlight.length >= this.floor + this.o.window)) this.commit(await inFlight.shift()!);
        if (short) break;
        await this.roomToRead(c + 1);
      }
      while (inFlight.length > 0) this.commit(await inFlight.shift()!);
      if (this.closed) return;
      this.flushSegment(true);
      this.ended = true;
    } catch (err) {
      if (this.closed) return; // the session is over (its pool closed under a pack): nobody to tell
      this.failure = err as Error;
    }
    this.onEnd();
  }

  private async pack(buf: Buffer): Promise<Kept & { digest: Buffer; raw: number }> {
    const raw = buf.length;
    const r = await this.pool.packBytes(buf.buffer, buf.byteOffset, raw, this.o.codec);
    const data = r.data ? Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength) : Buffer.alloc(0);
    return { zero: r.zero, digest: Buffer.from(r.digest!), raw, wire: { data, coding: r.coding } };
  }

  /** Waits until chunk `c` is within the window past the floor. */
  private async roomToRead(c: number): Promise<void> {
    while (!this.closed && c >= this.floor + this.o.window) {
      this.blocked = true;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    this.blocked = false;
  }

  private commit(p: Kept & { digest: Buffer; raw: number }): void {
    const c = this.read++;
    this.reader.release(this.read); // chunk c's ring slot may be read into again
    this.bytes += p.raw;
    this.kept.set(c, { zero: p.zero, wire: p.wire });
    if (p.zero) this.zeros++;
    this.digest.update(p.digest);
    this.pendingHashes.push(p.digest);
    this.pendingZero.push(p.zero);
    if (!p.zero && !this.closed) this.onReady({ stream: Stream.Image, chunk: c });
    if (this.pendingHashes.length === this.o.segmentChunks) this.flushSegment(false);
  }

  /**
   * Publishes the segment of the chunks committed since the last one. The
   * last segment closes the image with its size and digest; an image that
   * ends on a segment boundary gets an empty last segment.
   */
  private flushSegment(last: boolean): void {
    if (last) this.imageDigestValue = this.digest.digestBuffer();
    const index = this.segmentHashes.length;
    const bytes = encodeSegment({
      index,
      chunkHashes: this.pendingHashes,
      zero: this.pendingZero,
      last,
      previous: index > 0 ? this.segmentHashes[index - 1]! : Buffer.alloc(HASH_SIZE),
      imageSize: this.bytes,
      imageDigest: this.imageDigestValue,
    });
    this.segments.set(index, bytes);
    this.segmentHashes.push(hash(bytes));
    this.pendingHashes = [];
    this.pendingZero = [];
    this.onReady({ stream: Stream.Manifest, chunk: index });
  }
}
