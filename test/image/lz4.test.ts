// Chunk coding 1 reads the same whichever codec wrote it: liblz4 in the
// addon and lz4-napi exchange blocks both ways, and malformed blocks are
// refused with a reason, never decoded past their buffers.
import { randomBytes } from 'node:crypto';
import { compressSync, uncompressSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { lz4Expand, lz4Shrink } from '../../src/image/lz4.js';
import { native } from '../../src/native/binding.js';

const CHUNK = 1024 * 1024;

/** Half text-like (compressible), half random: a typical filesystem chunk. */
function mixedChunk(): Buffer {
  const text = Buffer.from('blockcast multicasts block images to many nodes; '.repeat(12000)).subarray(0, CHUNK / 2);
  return Buffer.concat([text, randomBytes(CHUNK / 2)]);
}

describe('LZ4 chunk codec', () => {
  it('uses liblz4 when the addon was built with it (CI installs liblz4-dev)', () => {
    if (process.env.CI_EXPECT_LIBLZ4 === '1') expect(native.lz4?.backend).toMatch(/^liblz4 /);
  });

  it('shrinks a compressible chunk and restores it exactly', async () => {
    const raw = mixedChunk();
    const packed = await lz4Shrink(raw, Buffer.alloc(CHUNK));
    expect(packed).toBeDefined();
    expect(packed!.length).toBeLessThan(raw.length * 0.7);
    const back = lz4Expand(packed!, raw.length, Buffer.alloc(CHUNK));
    expect(Buffer.isBuffer(back) && back.equals(raw)).toBe(true);
  });

  it('leaves an incompressible chunk raw', async () => {
    expect(await lz4Shrink(randomBytes(CHUNK), Buffer.alloc(CHUNK))).toBeUndefined();
  });

  it.runIf(native.lz4)('reads lz4-napi blocks, and lz4-napi reads its blocks', async () => {
    const raw = mixedChunk();
    const theirs = compressSync(raw);
    const out = Buffer.alloc(raw.length);
    expect(native.lz4!.decompress(theirs, out)).toBe(raw.length);
    expect(out.equals(raw)).toBe(true);
    const ours = (await lz4Shrink(raw, Buffer.alloc(CHUNK)))!;
    expect(uncompressSync(ours).equals(raw)).toBe(true);
  });

  it('refuses malformed blocks with a reason', async () => {
    const raw = mixedChunk();
    const packed = (await lz4Shrink(raw, Buffer.alloc(CHUNK)))!;
    const scratch = Buffer.alloc(CHUNK);
    expect(lz4Expand(packed, raw.length - 1, scratch)).toBe('LZ4 block states the wrong raw size');
    expect(lz4Expand(packed.subarray(0, 3), raw.length, scratch)).toBe('LZ4 block states the wrong raw size');
    expect(lz4Expand(packed.subarray(0, packed.length >> 1), raw.length, scratch)).toMatch(/^LZ4 block does not decode/);
    const garbage = Buffer.concat([packed.subarray(0, 4), randomBytes(packed.length - 4)]);
    const r = lz4Expand(garbage, raw.length, scratch);
    // Random bytes almost never decode to exactly the stated size; if they
    // do, the chunk hash check behind this catches it.
    if (typeof r === 'string') expect(r).toMatch(/^LZ4 block does not decode/);
  });
});
