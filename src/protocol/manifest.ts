// The manifest: image geometry, one BLAKE3-256 hash per chunk of the *raw*
// image, a digest of the whole image, and which chunks are all zeros (never
// sent). It travels as stream 1 through the same data path as the image;
// ANNOUNCE carries its size and hash so receivers can verify it. It says
// nothing about compression, so a raw and a prepared send of one image share
// one manifest and one digest.
import { HASH_SIZE, MAX_CHUNK_SIZE } from './constants.js';
import { HASH_ALGORITHM_BLAKE3, hashAll, zeroHash } from './hash.js';

export const MANIFEST_MAGIC = 'BCMANIF2';
export const MANIFEST_HEADER_SIZE = 64;

export interface Manifest {
  imageSize: number;
  chunkSize: number;
  chunkHashes: Buffer[];
  /** One bit per chunk (bit c % 8 of byte c / 8): set if the chunk is all zeros. */
  zero: Buffer;
  /** Hash of the concatenated chunk hashes, in chunk order. */
  imageDigest: Buffer;
}

export function manifestSize(chunkCount: number): number {
  return MANIFEST_HEADER_SIZE + chunkCount * HASH_SIZE + Math.ceil(chunkCount / 8);
}

export function isZeroChunk(m: Pick<Manifest, 'zero'>, chunk: number): boolean {
  return ((m.zero[chunk >> 3]! >> (chunk & 7)) & 1) === 1;
}

export function zeroBitmap(flags: boolean[]): Buffer {
  const b = Buffer.alloc(Math.ceil(flags.length / 8));
  flags.forEach((z, c) => {
    if (z) b[c >> 3]! |= 1 << (c & 7);
  });
  return b;
}

export function imageDigestOf(chunkHashes: Buffer[]): Buffer {
  return hashAll(chunkHashes);
}

export function encodeManifest(m: Manifest): Buffer {
  const count = m.chunkHashes.length;
  const b = Buffer.alloc(manifestSize(count));
  b.write(MANIFEST_MAGIC, 0, 'latin1');
  b.writeBigUInt64LE(BigInt(m.imageSize), 8);
  b.writeUInt32LE(m.chunkSize, 16);
  b.writeUInt32LE(count, 20);
  b.writeUInt8(HASH_ALGORITHM_BLAKE3, 24);
  m.imageDigest.copy(b, 32);
  m.chunkHashes.forEach((h, i) => h.copy(b, MANIFEST_HEADER_SIZE + i * HASH_SIZE));
  m.zero.copy(b, MANIFEST_HEADER_SIZE + count * HASH_SIZE);
  return b;
}

/** Parses and cross-checks a manifest; throws with the reason if it is inconsistent. */
export function decodeManifest(b: Buffer): Manifest {
  if (b.length < MANIFEST_HEADER_SIZE || b.toString('latin1', 0, 8) !== MANIFEST_MAGIC) throw new Error('manifest: bad magic');
  const imageSize = Number(b.readBigUInt64LE(8));
  const chunkSize = b.readUInt32LE(16);
  const count = b.readUInt32LE(20);
  if (b.readUInt8(24) !== HASH_ALGORITHM_BLAKE3) throw new Error('manifest: unknown hash algorithm');
  // Bounded before the zero-chunk check below hashes a chunk of zeros.
  if (chunkSize === 0 || chunkSize > MAX_CHUNK_SIZE) throw new Error('manifest: chunk size out of range');
  if (count !== Math.ceil(imageSize / chunkSize)) throw new Error('manifest: chunk count does not match image size');
  if (b.length !== manifestSize(count)) throw new Error('manifest: wrong length');
  const chunkHashes: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const off = MANIFEST_HEADER_SIZE + i * HASH_SIZE;
    chunkHashes.push(Buffer.from(b.subarray(off, off + HASH_SIZE)));
  }
  const zero = Buffer.from(b.subarray(MANIFEST_HEADER_SIZE + count * HASH_SIZE));
  if (count % 8 !== 0 && zero[zero.length - 1]! >> (count % 8) !== 0) throw new Error('manifest: zero-chunk bitmap has bits beyond the last chunk');
  for (let c = 0; c < count; c++) {
    // A zero chunk is never sent, so its hash must be that of zeros.
    if (isZeroChunk({ zero }, c) && !chunkHashes[c]!.equals(zeroHash(Math.min(chunkSize, imageSize - c * chunkSize)))) {
      throw new Error(`manifest: chunk ${c} is marked zero but its hash is not that of zeros`);
    }
  }
  const imageDigest = Buffer.from(b.subarray(32, 32 + HASH_SIZE));
  if (!imageDigestOf(chunkHashes).equals(imageDigest)) throw new Error('manifest: image digest does not match chunk hashes');
  return { imageSize, chunkSize, chunkHashes, zero, imageDigest };
}
