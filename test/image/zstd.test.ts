// Chunk coding 2: libzstd in the addon shrinks a chunk and restores it
// exactly; the native decoder refuses any frame that does not state and
// decode to the chunk's length; and the receiver's workers (the one place
// chunks are decoded) report a forged zstd chunk as undecodable and write
// nothing, so that the receiver fetches it again like a corrupt LZ4 chunk.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChunkPool } from '../../src/image/pool.js';
import { zstdExpand, zstdShrink } from '../../src/image/zstd.js';
import { native } from '../../src/native/binding.js';
import { Coding } from '../../src/protocol/constants.js';
import { hash } from '../../src/protocol/hash.js';
import { testResources } from '../helpers/resources.js';

const CHUNK = 1024 * 1024;
const tmp = testResources();
const pool = new ChunkPool({ threads: 1 });
afterAll(() => pool.close());

/** Half text-like (compressible), half random: a typical filesystem chunk. */
function mixedChunk(): Buffer {
  const text = Buffer.from('blockcast multicasts block images to many nodes; '.repeat(12000)).subarray(0, CHUNK / 2);
  return Buffer.concat([text, randomBytes(CHUNK / 2)]);
}

it('builds zstd in when libzstd-dev is installed (CI installs it)', () => {
  if (process.env.CI_EXPECT_ZSTD === '1') expect(native.zstd?.backend).toMatch(/^libzstd 1\./);
});

describe.runIf(native.zstd)('zstd chunk codec', () => {
  it('shrinks a compressible chunk at every level and restores it exactly', () => {
    const raw = mixedChunk();
    for (const level of [1, 3, 19]) {
      const packed = zstdShrink(raw, Buffer.alloc(CHUNK), level);
      expect(packed!.length).toBeLessThan(raw.length * 0.6);
      const back = zstdExpand(packed!, raw.length, Buffer.alloc(CHUNK));
      expect(Buffer.isBuffer(back) && back.equals(raw)).toBe(true);
    }
  });

  it('leaves an incompressible chunk raw', () => {
    expect(zstdShrink(randomBytes(CHUNK), Buffer.alloc(CHUNK), 3)).toBeUndefined();
  });

  it('refuses levels out of range', () => {
    expect(() => native.zstd!.compress(mixedChunk(), Buffer.alloc(CHUNK), 0)).toThrow('zstd level must be an integer from 1 to 22');
    expect(() => native.zstd!.compress(mixedChunk(), Buffer.alloc(CHUNK), 2.5)).toThrow(RangeError);
  });

  it('refuses a frame of another size, truncated frames and garbage, with a reason', () => {
    const raw = mixedChunk();
    const packed = zstdShrink(raw, Buffer.alloc(CHUNK), 3)!;
    const scratch = Buffer.alloc(CHUNK + 1);
    const reason = /^zstd frame is malformed or does not decode to \d+ bytes$/;
    expect(zstdExpand(packed, raw.length - 1, scratch)).toMatch(reason);
    expect(zstdExpand(packed, raw.length + 1, scratch)).toMatch(reason);
    expect(zstdExpand(packed.subarray(0, packed.length - 1), raw.length, scratch)).toMatch(reason);
    expect(zstdExpand(Buffer.concat([packed, Buffer.from([0])]), raw.length, scratch)).toMatch(reason);
    expect(zstdExpand(randomBytes(packed.length), raw.length, scratch)).toMatch(reason);
    expect(zstdExpand(Buffer.alloc(0), raw.length, scratch)).toMatch(reason);
    expect(zstdExpand(packed, raw.length, Buffer.alloc(10))).toBe('zstd scratch of 10 bytes is shorter than the chunk');
  });

  it('in a receiver worker: writes a good zstd chunk, and reports forged ones as undecodable without writing', async () => {
    const raw = mixedChunk();
    const target = path.join(tmp.dir, 'zstd-target.img');
    const fd = openSync(target, 'w+');
    try {
      const task = (wire: Buffer, offset: number) => {
        const buffer = new ArrayBuffer(CHUNK + 4096);
        wire.copy(Buffer.from(buffer));
        return pool.unpackAndWrite({ fd, offset, buffer, length: wire.length, coding: Coding.Zstd, rawLength: raw.length, expected: hash(raw) });
      };
      const good = await task(zstdShrink(raw, Buffer.alloc(CHUNK), 3)!, 0);
      expect(good.ok).toBe(true);
      // A valid frame of the wrong size (the first 1000 bytes), and garbage.
      const wrongSize = zstdShrink(raw.subarray(0, 1000), Buffer.alloc(CHUNK), 3)!;
      for (const forged of [wrongSize, randomBytes(5000)]) {
        const r = await task(forged, CHUNK);
        expect(r).toMatchObject({ ok: false, reason: 'undecodable', message: `zstd frame is malformed or does not decode to ${CHUNK} bytes` });
        if (!r.ok && r.reason === 'undecodable') expect(Buffer.from(r.wireDigest).equals(hash(forged))).toBe(true);
      }
    } finally {
      closeSync(fd);
    }
    const written = readFileSync(target);
    expect(written.length).toBe(CHUNK); // nothing past the good chunk
    expect(written.equals(raw)).toBe(true);
  });
});
