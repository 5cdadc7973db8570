// The worker pool for chunk hashing and verified writes. Buffers travel to
// workers by transfer, never by copy.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { HashResult, VerifyWriteResult } from './chunk.worker.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// Workers need compiled JavaScript: under vitest this module runs from src/,
// so point at the build output, which `npm test` refreshes first.
const workerFile = here.includes(`${path.sep}src${path.sep}`)
  ? path.resolve(here, '..', '..', 'dist', 'image', 'chunk.worker.js')
  : path.join(here, 'chunk.worker.js');

export class ChunkPool {
  private readonly pool: Piscina;

  /** `prewarm`: start every worker now rather than on first use. */
  constructor({ threads = Math.max(1, Math.min(4, os.availableParallelism())), prewarm = false } = {}) {
    this.pool = new Piscina({ filename: workerFile, minThreads: prewarm ? threads : 1, maxThreads: threads, idleTimeout: 30_000 });
  }

  hash(fd: number, offset: number, length: number): Promise<HashResult> {
    return this.pool.run({ kind: 'hash', fd, offset, length });
  }

  /**
   * Verifies the first `length` bytes of `buffer` against `expected` and
   * writes them at `offset`. The buffer's memory is moved to the worker and
   * back: it is detached here until the result returns it as `buffer`.
   */
  verifyAndWrite(fd: number, offset: number, buffer: ArrayBuffer, length: number, expected: Buffer): Promise<VerifyWriteResult> {
    return this.pool.run({ kind: 'verify-write', fd, offset, buffer, length, expected }, { transferList: [buffer] });
  }

  get queueSize(): number {
    return this.pool.queueSize;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
