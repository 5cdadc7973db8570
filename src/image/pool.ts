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

  constructor(threads = Math.max(1, Math.min(4, os.availableParallelism()))) {
    this.pool = new Piscina({ filename: workerFile, minThreads: 1, maxThreads: threads, idleTimeout: 30_000 });
  }

  hash(fd: number, offset: number, length: number): Promise<HashResult> {
    return this.pool.run({ kind: 'hash', fd, offset, length });
  }

  /** Verifies `data` against `expected` and writes it at `offset`. `data` is transferred: do not use it afterwards. */
  verifyAndWrite(fd: number, offset: number, data: Buffer, expected: Buffer): Promise<VerifyWriteResult> {
    const ab = data.buffer as ArrayBuffer;
    const whole = data.byteOffset === 0 && data.byteLength === ab.byteLength;
    const task = { kind: 'verify-write', fd, offset, data: ab, byteOffset: data.byteOffset, byteLength: data.byteLength, expected };
    return this.pool.run(task, whole ? { transferList: [ab] } : {});
  }

  get queueSize(): number {
    return this.pool.queueSize;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
