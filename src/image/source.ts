// The image being sent: a regular file or a block device, read chunk by
// chunk, with a small cache so repairs of recent chunks skip the disk.
import { closeSync, openSync } from 'node:fs';
import { read } from 'node:fs';
import { BlockcastError } from '../errors.js';
import { blockDeviceSize, pathKind } from './device.js';
import { chunkCount, chunkLength } from './geometry.js';

export class ImageSource {
  readonly fd: number;
  readonly size: number;
  readonly chunkCount: number;
  private readonly cache = new Map<number, Buffer>();
  private spare?: Buffer;

  constructor(
    readonly path: string,
    readonly chunkSize: number,
    private readonly cacheChunks = 64,
  ) {
    if (cacheChunks < 16) throw new Error('ImageSource needs a cache of at least 16 chunks (see readChunk)');
    const { kind, stats } = pathKind(path);
    if (kind === 'missing') throw new BlockcastError('EIMAGE', `Image ${path} does not exist`);
    if (kind === 'other' || !stats) throw new BlockcastError('EIMAGE', `Image ${path} is neither a regular file nor a block device`);
    this.size = kind === 'block' ? blockDeviceSize(stats) : stats.size;
    if (this.size === 0) throw new BlockcastError('EIMAGE', `Image ${path} is empty`);
    this.fd = openSync(path, 'r');
    this.chunkCount = chunkCount(this.size, chunkSize);
  }

  chunkLength(chunk: number): number {
    return chunkLength(this.size, this.chunkSize, chunk);
  }

  async readChunk(chunk: number): Promise<Buffer> {
    const hit = this.cache.get(chunk);
    if (hit) {
      this.cache.delete(chunk); // re-insert: Map order is the LRU order
      this.cache.set(chunk, hit);
      return hit;
    }
    const length = this.chunkLength(chunk);
    const buf = (this.spare ?? Buffer.allocUnsafeSlow(this.chunkSize)).subarray(0, length);
    this.spare = undefined;
    let done = 0;
    while (done < length) {
      const n = await new Promise<number>((resolve, reject) =>
        read(this.fd, buf, done, length - done, chunk * this.chunkSize + done, (err, bytes) => (err ? reject(err) : resolve(bytes))),
      );
      if (n === 0) throw new BlockcastError('EIMAGE', `Image ${this.path} shrank while sending (chunk ${chunk})`);
      done += n;
    }
    this.cache.set(chunk, buf);
    if (this.cache.size > this.cacheChunks) {
      // Recycle the least recently used buffer for the next read: fresh 1 MiB
      // allocations cost page faults and GC work on every chunk. Safe because
      // a buffer is pinned only while its send job runs, every job is
      // submitted right after its chunk is read (making it most recent), and
      // far fewer jobs run at once than the cache holds.
      const [oldest, old] = this.cache.entries().next().value!;
      this.cache.delete(oldest);
      this.spare = Buffer.from(old.buffer, old.byteOffset, this.chunkSize);
    }
    return buf;
  }

  close(): void {
    closeSync(this.fd);
  }
}
