// Which chunks of an image a target already holds: each candidate chunk is
// read back and hashed (BLAKE3, in the worker pool, a bounded number in
// flight) and compared with the manifest. A resumed receiver asks this of
// the chunks its journal lists (or of every chunk, --rehash); a delta
// update can ask it of every chunk of a target holding an older image.
import { isZeroChunk, type Manifest } from '../protocol/manifest.js';
import type { ChunkPool } from './pool.js';
import { chunkRange } from './verify.js';

export interface HeldChunk {
  chunk: number;
  held: boolean;
  /** The hash of what the target holds (the manifest's when held). */
  digest: Buffer;
}

/**
 * Hashes each candidate chunk of the target at `fd` and calls `onChunk`
 * with the verdict as it comes (zero chunks are skipped: the image's zeros
 * cost nothing to make). Stops early once `stop()` is true. Returns the
 * number of chunks hashed. A read error rejects.
 */
export async function checkHeldChunks(
  m: Manifest,
  fd: number,
  pool: Pick<ChunkPool, 'pack' | 'threads'>,
  candidates: Iterable<number>,
  onChunk: (r: HeldChunk) => void,
  stop: () => boolean = () => false,
): Promise<number> {
  const it = candidates[Symbol.iterator]();
  let hashed = 0;
  const next = (): number | undefined => {
    for (;;) {
      const r = it.next();
      if (r.done) return undefined;
      if (r.value >= 0 && r.value < m.chunkHashes.length && !isZeroChunk(m, r.value)) return r.value;
    }
  };
  const worker = async (): Promise<void> => {
    for (let c = next(); c !== undefined && !stop(); c = next()) {
      const { offset, end } = chunkRange(m, c);
      const r = await pool.pack({ fd, offset, length: end - offset + 1, scan: true, wire: false, codec: { name: 'none', level: 0 }, wireDigest: false });
      hashed++;
      const digest = Buffer.from(r.digest!);
      onChunk({ chunk: c, held: digest.equals(m.chunkHashes[c]!), digest });
    }
  };
  await Promise.all(Array.from({ length: 2 * pool.threads }, worker));
  return hashed;
}
