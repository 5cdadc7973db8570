// The in-order writer (`receive -`, --pipe, stream sessions) on the real
// native verify path: coded chunks are decoded on native threads into the
// writer's reused buffers, and a corrupt chunk is fetched again, never output.
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { OrderedOutput } from '../../src/image/output.js';
import { ChunkPool } from '../../src/image/pool.js';
import { native, type NativeReceiver } from '../../src/native/binding.js';
import { Coding, Stream } from '../../src/protocol/constants.js';
import { hash } from '../../src/protocol/hash.js';
import { imageDigestOf, zeroBitmap } from '../../src/protocol/manifest.js';
import { OrderedWriter } from '../../src/receiver/ordered-writer.js';
import { ChunkSlots } from '../../src/receiver/slots.js';

const CHUNK = 64 * 1024;
const text = (seed: number): Buffer => Buffer.from(`chunk ${seed} of a stream verified natively; `.repeat(CHUNK / 16)).subarray(0, CHUNK);
const data = [0, 1, 2, 3].map(text);
const hashes = data.map((d) => hash(d));
const manifest = { imageSize: 4 * CHUNK, chunkSize: CHUNK, chunkHashes: hashes, zero: zeroBitmap([false, false, false, false]), imageDigest: imageDigestOf(hashes) };
const pool = new ChunkPool({ nativeWrites: true, threads: 2 });
afterAll(() => pool.close());

/** A chunk's zstd wire bytes. */
function zstd(raw: Buffer): Buffer {
  const out = Buffer.alloc(CHUNK);
  return out.subarray(0, native.zstd!.compress(raw, out, 1));
}

describe.runIf(native.zstd && native.chunk.decodes(Coding.Zstd))('ordered writer, native verification', () => {
  it('decodes zstd chunks natively, outputs them in order, and fetches a corrupt one again without outputting it', async () => {
    let ended = false;
    const out: Buffer[] = [];
    const result: { digest?: Buffer; error?: Error } = {};
    const rx = { reopen: vi.fn(), provide: vi.fn() };
    const take = async (d: Buffer): Promise<void> => void out.push(Buffer.from(d));
    const output: OrderedOutput = { name: 'test output', written: 0, write: vi.fn(take), zeros: vi.fn(take), finish: vi.fn(async () => {}), abort: vi.fn() };
    const slots = new ChunkSlots(rx as unknown as NativeReceiver, () => ended);
    slots.create(CHUNK, 8 * CHUNK);
    const counters = { corruptChunks: 0, zeroedChunks: 0, skippedZeroChunks: 0, keptChunks: 0, rehashedChunks: 0, wireBytes: 0, maxBacklog: 0, preManifestDrops: 0, windowDrops: 0 };
    const hooks = {
      ended: () => ended,
      fail: (err: Error) => {
        result.error ??= err;
        ended = true;
      },
      warning: () => {},
      progress: () => {},
      wrote: () => {},
      verifying: () => {},
      complete: (digest: Buffer) => {
        result.digest = digest;
        ended = true;
      },
    };
    const writer = new OrderedWriter({ rx: rx as unknown as NativeReceiver, pool, output, slots, counters, hooks });
    const complete = (chunk: number, slot: number, wire: Buffer): void => {
      wire.copy(slots.buffer(slot));
      writer.add(chunk, slot, wire.length, Coding.Zstd);
    };
    writer.start(manifest);
    const corrupt = zstd(data[1]!);
    corrupt[corrupt.length >> 1]! ^= 0x5a;
    complete(0, 0, zstd(data[0]!));
    complete(1, 1, corrupt);
    complete(2, 2, zstd(data[2]!));
    await vi.waitFor(() => expect(rx.reopen).toHaveBeenCalledWith(Stream.Image, 1));
    expect(counters.corruptChunks).toBe(1);
    expect(out).toEqual([data[0]]); // nothing past the corrupt chunk, and never its bytes
    complete(1, 1, zstd(data[1]!));
    complete(3, 3, zstd(data[3]!));
    await vi.waitFor(() => expect(result.digest ?? result.error).toBeDefined());
    expect(result.error).toBeUndefined();
    expect(result.digest).toEqual(manifest.imageDigest);
    expect(hash(Buffer.concat(out))).toEqual(hash(Buffer.concat(data)));
    expect(out.map((b) => b.length)).toEqual([CHUNK, CHUNK, CHUNK, CHUNK]);
  });
});
