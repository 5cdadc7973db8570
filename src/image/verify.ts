// Reads a written target back and checks it against an image's manifest,
// chunk by chunk: the same BLAKE3 chunk hashes a receiver verifies each
// write with, read and hashed in the worker pool (a bounded number of
// chunks in flight, so memory stays at a few chunks per worker).
import { closeSync, openSync } from 'node:fs';
import { BlockcastError } from '../errors.js';
import type { Manifest } from '../protocol/manifest.js';
import { blockDeviceSize, pathKind } from './device.js';
import { chunkLength } from './geometry.js';
import type { ChunkPool } from './pool.js';

export interface VerifyResult {
  chunkCount: number;
  /** Chunks whose bytes differ from the manifest, in order. */
  badChunks: number[];
  /** The target's size; only its first imageSize bytes are compared. */
  targetSize: number;
  seconds: number;
}

/** The first and last byte of chunk `c` (inclusive). */
export function chunkRange(m: Manifest, c: number): { offset: number; end: number } {
  const offset = c * m.chunkSize;
  return { offset, end: offset + chunkLength(m.imageSize, m.chunkSize, c) - 1 };
}

/** Size of `target`; ETARGETIO if it is missing or neither a file nor a block device, ETARGETTOOSMALL if shorter than the image. */
export function targetSize(target: string, imageSize: number): number {
  const { kind, stats } = pathKind(target);
  if (kind === 'missing') throw new BlockcastError('ETARGETIO', `Target ${target} does not exist`);
  if (kind === 'other' || !stats) throw new BlockcastError('ETARGETIO', `Target ${target} is neither a regular file nor a block device`);
  const size = kind === 'block' ? blockDeviceSize(stats) : stats.size;
  if (size < imageSize) throw new BlockcastError('ETARGETTOOSMALL', `Target ${target} is ${size} bytes, smaller than the image's ${imageSize} bytes`);
  return size;
}

export async function verifyTarget(
  target: string,
  manifest: Manifest,
  pool: ChunkPool,
  onProgress?: (done: number, total: number) => void,
): Promise<VerifyResult> {
  const t0 = performance.now();
  const size = targetSize(target, manifest.imageSize);
  const count = manifest.chunkHashes.length;
  const bad: number[] = [];
  const fd = openSync(target, 'r');
  try {
    let next = 0;
    let done = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const c = next++;
        const { offset, end } = chunkRange(manifest, c);
        const r = await pool.pack({ fd, offset, length: end - offset + 1, scan: true, wire: false, codec: { name: 'none', level: 0 }, wireDigest: false });
        if (!Buffer.from(r.digest!).equals(manifest.chunkHashes[c]!)) bad.push(c);
        if (++done % 64 === 0) onProgress?.(done, count);
      }
    };
    await Promise.all(Array.from({ length: 2 * pool.threads }, worker));
  } catch (err) {
    throw new BlockcastError('ETARGETIO', `Reading ${target} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    closeSync(fd);
  }
  return { chunkCount: count, badChunks: bad.sort((a, b) => a - b), targetSize: size, seconds: (performance.now() - t0) / 1000 };
}
