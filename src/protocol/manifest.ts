// The manifest: image geometry, one BLAKE3-256 hash per chunk and a digest
// of the whole image. It travels as stream 1 through the same data path as
// the image; ANNOUNCE carries its size and hash so receivers can verify it.
import { HASH_SIZE } from './constants.js';
import { HASH_ALGORITHM_BLAKE3, hashAll } from './hash.js';

export const MANIFEST_MAGIC = 'BCMANIF1';
export const MANIFEST_HEADER_SIZE = 64;

export interface Manifest {
  imageSize: number;
  chunkSize: number;
  chunkHashes: Buffer[];
  /** Hash of the concatenated chunk hashes, in chunk order. */
  imageDigest: Buffer;
}

export function imageDigestOf(chunkHashes: Buffer[]): Buffer {
  return hashAll(chunkHashes);
}

export function encodeManifest(m: Manifest): Buffer {
  const b = Buffer.alloc(MANIFEST_HEADER_SIZE + m.chunkHashes.length * HASH_SIZE);
  b.write(MANIFEST_MAGIC, 0, 'latin1');
  b.writeBigUInt64LE(BigInt(m.imageSize), 8);
  b.writeUInt32LE(m.chunkSize, 16);
  b.writeUInt32LE(m.chunkHashes.length, 20);
  b.writeUInt8(HASH_ALGORITHM_BLAKE3, 24);
  m.imageDigest.copy(b, 32);
  m.chunkHashes.forEach((h, i) => h.copy(b, MANIFEST_HEADER_SIZE + i * HASH_SIZE));
  return b;
}

/** Parses and cross-checks a manifest; throws with the reason if it is inconsistent. */
export function decodeManifest(b: Buffer): Manifest {
  if (b.length < MANIFEST_HEADER_SIZE || b.toString('latin1', 0, 8) !== MANIFEST_MAGIC) throw new Error('manifest: bad magic');
  const imageSize = Number(b.readBigUInt64LE(8));
  const chunkSize = b.readUInt32LE(16);
  const count = b.readUInt32LE(20);
  if (b.readUInt8(24) !== HASH_ALGORITHM_BLAKE3) throw new Error('manifest: unknown hash algorithm');
  if (chunkSize === 0 || count !== Math.ceil(imageSize / chunkSize)) throw new Error('manifest: chunk count does not match image size');
  if (b.length !== MANIFEST_HEADER_SIZE + count * HASH_SIZE) throw new Error('manifest: wrong length');
  const chunkHashes: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const off = MANIFEST_HEADER_SIZE + i * HASH_SIZE;
    chunkHashes.push(Buffer.from(b.subarray(off, off + HASH_SIZE)));
  }
  const imageDigest = Buffer.from(b.subarray(32, 32 + HASH_SIZE));
  if (!imageDigestOf(chunkHashes).equals(imageDigest)) throw new Error('manifest: image digest does not match chunk hashes');
  return { imageSize, chunkSize, chunkHashes, imageDigest };
}
