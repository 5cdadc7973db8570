// What the sender sends, as two streams of chunks: the manifest (stream 1)
// and the image (stream 0), read and compressed by the image source.
import type { ChunkCodec } from '../image/codec.js';
import { BlockcastError } from '../errors.js';
import { chunkCount, symbolCount } from '../image/geometry.js';
import { ChunkPool } from '../image/pool.js';
import { openImage, type ImageSource, type WireChunk } from '../image/source.js';
import { Coding, Stream } from '../protocol/constants.js';
import { hash } from '../protocol/hash.js';

export interface ChunkRef {
  stream: number;
  chunk: number;
}

export class SendChunks {
  readonly manifest: Buffer;
  readonly manifestDigest: Buffer;

  private constructor(
    readonly source: ImageSource,
    readonly chunkSize: number,
    private readonly pool: ChunkPool,
  ) {
    this.manifest = source.encodedManifest;
    this.manifestDigest = hash(this.manifest);
  }

  /**
   * Opens the image, with `o.workers` threads to read, hash and compress it.
   * A prepared image fixes its chunk size, which replaces `o.chunkSize`; it
   * must still fit 65535 symbols of `symbolSize`.
   */
  static async open(o: { image: string; chunkSize: number; codec: ChunkCodec; workers: number; mtu: number }, symbolSize: number, onProgress: (done: number, total: number) => void): Promise<SendChunks> {
    const pool = new ChunkPool({ threads: o.workers });
    let src: ImageSource | undefined;
    try {
      src = await openImage(o.image, { chunkSize: o.chunkSize, codec: o.codec, pool, onProgress });
      if (src.chunkSize !== o.chunkSize && symbolCount(src.chunkSize, symbolSize) > 65535) {
        throw new BlockcastError('EIMAGE', `Prepared chunk size ${src.chunkSize} needs more than 65535 symbols at mtu ${o.mtu}`);
      }
      return new SendChunks(src, src.chunkSize, pool);
    } catch (err) {
      src?.close();
      void pool.close();
      throw err;
    }
  }

  get manifestChunks(): number {
    return chunkCount(this.manifest.length, this.chunkSize);
  }

  /** Bytes of a stream (0 for a stream that does not exist). */
  streamSize(stream: number): number {
    return stream === Stream.Manifest ? this.manifest.length : stream === Stream.Image ? this.source.size : 0;
  }

  /** Chunks of a stream, as receivers count them. */
  streamChunks(stream: number): number {
    return chunkCount(this.streamSize(stream), this.chunkSize);
  }

  /** Bytes of a chunk on the wire (0: an image chunk not read yet, or a zero chunk). */
  chunkLength(stream: number, chunk: number): number {
    if (stream === Stream.Image) return this.source.wireLength(chunk);
    return Math.min(this.chunkSize, this.manifest.length - chunk * this.chunkSize);
  }

  /** Raw bytes of an image chunk (the last one may be short). */
  rawLength(chunk: number): number {
    return Math.min(this.chunkSize, this.source.size - chunk * this.chunkSize);
  }

  /** `firstPass`: read ahead of the chunks that follow (repairs do not). */
  async data(stream: number, chunk: number, firstPass = true): Promise<WireChunk> {
    if (stream === Stream.Manifest) {
      const start = chunk * this.chunkSize;
      return { data: this.manifest.subarray(start, Math.min(this.manifest.length, start + this.chunkSize)), coding: Coding.Raw };
    }
    return this.source.wire(chunk, firstPass);
  }

  /** What ANNOUNCE tells receivers of the image and the manifest. */
  announced(): { imageSize: number; chunkSize: number; chunkCount: number; manifestSize: number; manifestDigest: Buffer } {
    return { imageSize: this.source.size, chunkSize: this.chunkSize, chunkCount: this.source.chunkCount, manifestSize: this.manifest.length, manifestDigest: this.manifestDigest };
  }

  imageDigest(): Buffer {
    return this.manifest.subarray(32, 64);
  }

  zeroChunks(): number {
    let n = 0;
    for (let c = 0; c < this.source.chunkCount; c++) if (this.source.isZero(c)) n++;
    return n;
  }

  close(): void {
    void this.pool.close();
    this.source.close();
  }
}
