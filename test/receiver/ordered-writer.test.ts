// The in-order writer (`receive -`, --pipe, stream sessions) without sockets
// or workers: a fake native receiver and pool, an output that records what
// it is given. Only verified bytes, in order, ever reach the output.
import { describe, expect, it, vi } from 'vitest';
import type { OrderedOutput } from '../../src/image/output.js';
import type { ChunkPool } from '../../src/image/pool.js';
import type { NativeReceiver } from '../../src/native/binding.js';
import { Stream } from '../../src/protocol/constants.js';
import { hash, hashAll, zeroHash } from '../../src/protocol/hash.js';
import { imageDigestOf, zeroBitmap } from '../../src/protocol/manifest.js';
import { SegmentCatalog } from '../../src/receiver/catalog.js';
import { OrderedWriter, orderWindow } from '../../src/receiver/ordered-writer.js';
import { ChunkSlots } from '../../src/receiver/slots.js';

const CHUNK = 1024;
const data = [Buffer.alloc(CHUNK, 1), Buffer.alloc(CHUNK), Buffer.alloc(CHUNK, 3), Buffer.alloc(CHUNK, 4), Buffer.alloc(100, 5)];
const hashes = data.map((d) => hash(d));
const zero = [false, true, false, false, false];
const manifest = { imageSize: 4 * CHUNK + 100, chunkSize: CHUNK, chunkHashes: hashes, zero: zeroBitmap(zero), imageDigest: imageDigestOf(hashes) };

function setup(o: { slots?: number; expectDigest?: string } = {}) {
  let ended = false;
  const out: Buffer[] = [];
  const result: { digest?: Buffer; error?: Error } = {};
  const rx = { reopen: vi.fn(), provide: vi.fn() };
  const bad = new Set<number>(); // chunks whose next verification fails
  const pool = {
    unpackAndVerify: vi.fn(async (t: { buffer: ArrayBuffer; length: number; expected: Buffer }) => {
      const bytes = Buffer.from(t.buffer, 0, t.length);
      const digest = hash(bytes);
      if (!digest.equals(t.expected)) return { ok: false as const, reason: 'mismatch' as const, message: 'hash mismatch', wireDigest: digest, buffer: t.buffer };
      return { ok: true as const, digest, buffer: t.buffer };
    }),
  };
  const take = async (d: Buffer): Promise<void> => void out.push(Buffer.from(d));
  const output: OrderedOutput = {
    name: 'test output',
    get written() {
      return out.reduce((n, b) => n + b.length, 0);
    },
    write: vi.fn(take),
    zeros: vi.fn(take),
    finish: vi.fn(async () => {}),
    abort: vi.fn(),
  };
  const slots = new ChunkSlots(rx as unknown as NativeReceiver, () => ended);
  slots.create(CHUNK, (o.slots ?? 8) * CHUNK);
  const counters = { corruptChunks: 0, zeroedChunks: 0, skippedZeroChunks: 0, keptChunks: 0, rehashedChunks: 0, wireBytes: 0, maxBacklog: 0, preManifestDrops: 0, windowDrops: 0 };
  const writer = new OrderedWriter({
    rx: rx as unknown as NativeReceiver,
    pool: pool as unknown as ChunkPool,
    output,
    slots,
    counters,
    expectDigest: o.expectDigest,
    hooks: {
      ended: () => ended,
      fail: (err) => {
        result.error ??= err;
        ended = true;
      },
      warning: () => {},
      progress: () => {},
      wrote: () => {},
      verifying: () => {},
      complete: (digest) => {
        result.digest = digest;
        ended = true;
      },
    },
  });
  const complete = (chunk: number, slot: number, bytes = data[chunk]!): void => {
    bytes.copy(slots.buffer(slot));
    writer.add(chunk, slot, bytes.length, 0);
  };
  const settle = () => new Promise((r) => setTimeout(r, 10));
  return { writer, rx, pool, output, out, result, counters, complete, settle, bad };
}

describe('ordered writer', () => {
  it('outputs chunks in order whatever order they complete in, zero chunks as zeros, then checks the digest and finishes', async () => {
    const { writer, out, result, output, complete, settle } = setup();
    writer.start(manifest);
    complete(4, 0);
    complete(2, 1);
    await settle();
    expect(out).toEqual([]); // chunk 0 is missing: nothing goes out
    complete(0, 2);
    await settle();
    expect(Buffer.concat(out)).toEqual(Buffer.concat(data.slice(0, 3)));
    complete(3, 3);
    await settle();
    expect(Buffer.concat(out)).toEqual(Buffer.concat(data));
    expect(result).toEqual({ digest: manifest.imageDigest });
    expect(output.finish).toHaveBeenCalledOnce();
  });

  it('never outputs a chunk that fails verification: it is fetched again, and the real one goes out', async () => {
    const { writer, out, rx, counters, complete, settle, result } = setup();
    writer.start(manifest);
    complete(0, 0, Buffer.alloc(CHUNK, 9));
    await settle();
    expect(out).toEqual([]);
    expect(rx.reopen).toHaveBeenCalledWith(Stream.Image, 0);
    expect(counters.corruptChunks).toBe(1);
    for (const [c, slot] of [[0, 1], [2, 2], [3, 3], [4, 4]] as const) complete(c, slot);
    await settle();
    expect(Buffer.concat(out)).toEqual(Buffer.concat(data));
    expect(result.digest).toEqual(manifest.imageDigest);
  });

  it('holds at most the window of chunks ahead of the next one out: beyond it the farthest is forgotten and fetched again', async () => {
    const { writer, rx, counters, complete, settle } = setup({ slots: 4 });
    expect(orderWindow(4)).toBe(2);
    writer.start(manifest);
    complete(2, 0);
    complete(3, 1);
    complete(4, 2); // a third held chunk: over the window of 2
    await settle();
    expect(counters.windowDrops).toBe(1);
    expect(rx.reopen).toHaveBeenCalledWith(Stream.Image, 4);
    expect(rx.provide).toHaveBeenLastCalledWith(expect.any(Buffer), 2); // its slot lent again at once
  });

  it('follows a stream: chunks go out as their segments become known, and --expect-digest is checked at the end', async () => {
    const { writer, out, result, complete, settle } = setup({ expectDigest: 'ab'.repeat(32) });
    const catalog = new SegmentCatalog(CHUNK, 2);
    writer.follow(catalog);
    complete(0, 0);
    await settle();
    expect(out).toEqual([]); // its segment is not known yet
    catalog.add({ index: 0, chunkHashes: hashes.slice(0, 2), zero: zero.slice(0, 2), last: false, previous: Buffer.alloc(32), imageSize: 0, imageDigest: Buffer.alloc(32) });
    writer.grew();
    await settle();
    expect(Buffer.concat(out)).toEqual(Buffer.concat(data.slice(0, 2)));
    catalog.add({ index: 2, chunkHashes: hashes.slice(4), zero: [false], last: true, previous: Buffer.alloc(32), imageSize: manifest.imageSize, imageDigest: hashAll(hashes) });
    catalog.add({ index: 1, chunkHashes: hashes.slice(2, 4), zero: [false, false], last: false, previous: Buffer.alloc(32), imageSize: 0, imageDigest: Buffer.alloc(32) });
    writer.grew();
    for (const c of [2, 3, 4]) complete(c, c);
    await settle();
    expect(Buffer.concat(out)).toEqual(Buffer.concat(data));
    expect(zeroHash(CHUNK)).toEqual(hashes[1]);
    expect(result.error?.message).toBe(`The sender's image is ${manifest.imageDigest.toString('hex')}, not the expected ${'ab'.repeat(32)}; its ${manifest.imageSize} bytes were already output to test output`);
  });
});
