// The chunk side without sockets or workers: a fake native receiver, a fake
// worker pool and a fake target, so the manifest, the writes, the zero
// ranges, the re-fetches and the final digest check can be followed.
import { describe, expect, it, vi } from 'vitest';
import type { ChunkPool } from '../../src/image/pool.js';
import type { Target } from '../../src/image/target.js';
import { NOT_SENT, type NativeReceiver } from '../../src/native/binding.js';
import { Coding, Phase, Stream } from '../../src/protocol/constants.js';
import { hash, zeroHash } from '../../src/protocol/hash.js';
import { encodeManifest, imageDigestOf, manifestSize, zeroBitmap } from '../../src/protocol/manifest.js';
import type { Announce } from '../../src/protocol/packets.js';
import { openChunkSide } from '../../src/receiver/assembly.js';
import { MAX_CHUNK_FAILURES, MAX_SAME_BYTES_FAILURES, type ResumeFrom } from '../../src/receiver/writer.js';

const CHUNK = 4096;
/** Three chunks; the middle one is all zeros and never sent. */
const data = [Buffer.alloc(CHUNK, 1), Buffer.alloc(CHUNK), Buffer.alloc(CHUNK, 3)];
const hashes = [hash(data[0]!), zeroHash(CHUNK), hash(data[2]!)];
const manifest = { imageSize: 3 * CHUNK, chunkSize: CHUNK, chunkHashes: hashes, zero: zeroBitmap([false, true, false]), imageDigest: imageDigestOf(hashes) };
const manifestBytes = encodeManifest(manifest);

const announce: Announce = {
  session: 9, phase: Phase.Sending, controlPort: 1, imageSize: 3 * CHUNK, chunkSize: CHUNK, symbolSize: 1024, stripeSize: 0, chunkCount: 3,
  manifestSize: manifestSize(3), progress: 0, rateKiB: 0, heartbeat: 0, manifestDigest: hash(manifestBytes), groupSize: 1, nackBackoffMs: 0, cipher: 0, salt: Buffer.alloc(16),
};

type WriteOutcome = 'ok' | 'mismatch' | 'io' | 'unsupported';

function setup(opts: { expectDigest?: string; created?: boolean; manifestBytes?: Buffer; sealed?: boolean; resume?: ResumeFrom; held?: Buffer[] } = {}) {
  let ended = false;
  const events: string[] = [];
  const rx = { configure: vi.fn(), expect: vi.fn(), reopen: vi.fn(), provide: vi.fn(), hold: vi.fn() };
  const outcomes: WriteOutcome[] = [];
  const pool = {
    unpackAndWrite: vi.fn(async (t: { buffer: ArrayBuffer; length: number; expected: Buffer }) => {
      const outcome = outcomes.shift() ?? 'ok';
      if (outcome === 'ok') return { ok: true as const, digest: new Uint8Array(t.expected), buffer: t.buffer };
      if (outcome === 'io') return { ok: false as const, reason: 'io' as const, code: 'ENOSPC', message: 'no space', buffer: t.buffer };
      if (outcome === 'unsupported') return { ok: false as const, reason: 'unsupported' as const, message: 'chunk is zstd-coded, but this build has no zstd', buffer: t.buffer };
      return { ok: false as const, reason: 'mismatch' as const, message: 'hash mismatch', wireDigest: hash(Buffer.from(t.buffer, 0, t.length)), buffer: t.buffer };
    }),
    zero: vi.fn(async () => ({ errno: 0, method: 'test' })),
    // What the target holds, read back at `offset` (a resume).
    pack: vi.fn(async (t: { offset: number }) => ({ zero: false, coding: 0, digest: new Uint8Array(hash(opts.held?.[t.offset / CHUNK] ?? Buffer.alloc(CHUNK, 9))) })),
    threads: 1,
  };
  const target = { fd: 7, path: '/dev/test', info: { kind: 'file', capacity: 1 << 30, created: opts.created ?? false }, sync: vi.fn(async () => {}), movedAway: vi.fn((): string | undefined => undefined) };
  const counters = { corruptChunks: 0, zeroedChunks: 0, skippedZeroChunks: 0, keptChunks: 0, rehashedChunks: 0, wireBytes: 0, maxBacklog: 0, preManifestDrops: 0, windowDrops: 0 };
  const result: { digest?: Buffer; error?: Error } = {};
  const side = openChunkSide({
    rx: rx as unknown as NativeReceiver,
    pool: pool as unknown as ChunkPool,
    target: target as unknown as Target,
    announce,
    opts: { maxBuffer: 4 * CHUNK, expectDigest: opts.expectDigest, targetZeroed: false, sealed: opts.sealed },
    counters,
    ...(opts.resume ? { resume: { from: opts.resume } } : {}),
    hooks: {
      ended: () => ended,
      fail: (err) => {
        result.error ??= err;
        ended = true;
      },
      warning: (message) => events.push(`warning: ${message}`),
      manifest: () => events.push('manifest'),
      progress: (written, count) => events.push(`progress ${written}/${count}`),
      wrote: () => {},
      verifying: () => events.push('verifying'),
      complete: (digest) => {
        result.digest = digest;
        ended = true;
      },
    },
  });
  /** The native receiver completes a chunk in slot `slot` holding `bytes`. */
  const complete = (stream: number, chunk: number, slot: number, bytes: Buffer, coding: number = Coding.Raw): void => {
    bytes.copy(side.slots.buffer(slot));
    side.assembly.onChunk({ stream, chunk, slot, length: bytes.length, coding });
  };
  const settle = () => new Promise((r) => setTimeout(r, 10));
  return { side, rx, pool, target, counters, events, result, outcomes, complete, settle };
}

describe('chunk side', () => {
  it('sets the native receiver up for the geometry and lends every slot', () => {
    const { rx, side } = setup();
    expect(rx.configure).toHaveBeenCalledWith(expect.objectContaining({ session: 9, symbolSize: 1024, manifestReserve: 1 }));
    expect(rx.expect).toHaveBeenCalledWith(Stream.Manifest, Uint32Array.from([manifestSize(3)]));
    expect(side.slots.count).toBe(4);
    expect(rx.provide).toHaveBeenCalledTimes(4);
    expect(side.assembly.manifestChunks).toBe(1);
  });

  it('holds image chunks until the manifest, zeroes the zero chunks, and completes on the digest', async () => {
    const { side, rx, pool, target, counters, events, result, complete, settle } = setup();
    complete(Stream.Image, 2, 0, data[2]!); // before the manifest: backlogged
    expect(pool.unpackAndWrite).not.toHaveBeenCalled();
    complete(Stream.Manifest, 0, 1, manifestBytes);
    expect(side.assembly.haveManifest).toBe(true);
    expect(rx.expect).toHaveBeenLastCalledWith(Stream.Image, Uint32Array.from([0, NOT_SENT, 0]));
    expect(pool.zero).toHaveBeenCalledWith(7, CHUNK, CHUNK, false);
    await settle();
    expect(side.writer.chunksDone).toBe(2);
    complete(Stream.Image, 0, 0, data[0]!);
    await settle();
    expect(result).toEqual({ digest: manifest.imageDigest });
    expect(target.sync).toHaveBeenCalledOnce();
    expect(counters).toMatchObject({ zeroedChunks: 1, wireBytes: 2 * CHUNK, corruptChunks: 0, maxBacklog: 1 });
    expect(events).toEqual(['manifest', 'progress 1/3', 'verifying']);
  });

  it('reports done only once the final fsync (a promise: off the event loop) is done, and never for a target removed meanwhile', async () => {
    const { target, result, complete, settle } = setup({ created: true });
    let synced = (): void => {};
    target.sync.mockImplementation(() => new Promise<void>((r) => (synced = r)));
    complete(Stream.Manifest, 0, 0, manifestBytes);
    complete(Stream.Image, 0, 1, data[0]!);
    complete(Stream.Image, 2, 2, data[2]!);
    await settle();
    expect(target.sync).toHaveBeenCalledOnce();
    expect(result).toEqual({}); // the loop ran (settle's timer fired) while the fsync is still going
    target.movedAway.mockReturnValue('was removed');
    synced();
    await settle();
    expect(result.digest).toBeUndefined();
    expect(result.error).toMatchObject({ code: 'ETARGETIO', message: expect.stringMatching(/The target \/dev\/test was removed during the transfer/) });
  });

  it('resumes: journal chunks are held, hashed on the target and kept if they match; the others are released and received', async () => {
    // The target holds chunk 0 as the image has it, and junk where chunk 2 goes.
    const { rx, pool, counters, result, complete, settle } = setup({ created: true, resume: { candidates: [0, 1, 2], holdFirst: true, journaled: true }, held: [data[0]!, Buffer.alloc(CHUNK), Buffer.alloc(CHUNK, 5)] });
    complete(Stream.Manifest, 0, 0, manifestBytes);
    expect(rx.hold.mock.calls).toEqual([[Stream.Image, 0], [Stream.Image, 2]]); // the zero chunk is never a candidate
    await settle();
    expect(pool.pack).toHaveBeenCalledTimes(2);
    expect(rx.reopen).toHaveBeenCalledWith(Stream.Image, 2);
    expect(counters).toMatchObject({ keptChunks: 1, rehashedChunks: 2 });
    expect(result).toEqual({});
    complete(Stream.Image, 2, 1, data[2]!);
    await settle();
    expect(pool.unpackAndWrite).toHaveBeenCalledOnce();
    expect(result).toEqual({ digest: manifest.imageDigest });
  });

  it('skips zero chunks on a target it created', async () => {
    const { pool, counters, complete, settle } = setup({ created: true });
    complete(Stream.Manifest, 0, 0, manifestBytes);
    await settle();
    expect(pool.zero).not.toHaveBeenCalled();
    expect(counters.skippedZeroChunks).toBe(1);
  });

  it('fetches a corrupt chunk again, and gives up when the same wire bytes fail MAX_SAME_BYTES_FAILURES times', async () => {
    const { rx, counters, events, result, outcomes, complete, settle } = setup();
    complete(Stream.Manifest, 0, 0, manifestBytes);
    for (let i = 0; i < MAX_SAME_BYTES_FAILURES; i++) {
      outcomes.push('mismatch');
      complete(Stream.Image, 0, 1, data[0]!);
      await settle();
    }
    expect(rx.reopen).toHaveBeenCalledTimes(MAX_SAME_BYTES_FAILURES - 1);
    expect(rx.reopen).toHaveBeenCalledWith(Stream.Image, 0);
    expect(counters.corruptChunks).toBe(MAX_SAME_BYTES_FAILURES);
    expect(events).toContain('warning: chunk 0 failed verification (hash mismatch); fetching it again');
    expect(result.error?.message).toBe(`Chunk 0 failed verification ${MAX_SAME_BYTES_FAILURES} times with the same bytes (hash mismatch): the sender's copy of the image is corrupt`);
  });

  it('fails at once on a coding this build cannot decode, without fetching it again', async () => {
    const { rx, result, outcomes, complete, settle } = setup();
    complete(Stream.Manifest, 0, 0, manifestBytes);
    outcomes.push('unsupported');
    complete(Stream.Image, 0, 1, data[0]!, Coding.Zstd);
    await settle();
    expect(rx.reopen).not.toHaveBeenCalled();
    expect(result.error).toMatchObject({ code: 'ENATIVE', message: 'Chunk 0 cannot be decoded: chunk is zstd-coded, but this build has no zstd' });
  });

  it('never fails on junk that varies: every failing chunk is fetched again, and the real bytes then complete it', async () => {
    const { rx, counters, result, outcomes, complete, settle } = setup();
    complete(Stream.Manifest, 0, 0, manifestBytes);
    for (let i = 0; i < 20; i++) {
      outcomes.push('mismatch');
      complete(Stream.Image, 0, 1, Buffer.alloc(100 + i, 0x5a)); // a one-symbol chunk of junk, different every time
      await settle();
    }
    expect(result.error).toBeUndefined();
    expect(rx.reopen).toHaveBeenCalledTimes(20);
    expect(counters.corruptChunks).toBe(20);
    complete(Stream.Image, 0, 1, data[0]!);
    complete(Stream.Image, 2, 2, data[2]!);
    await settle();
    expect(result).toEqual({ digest: manifest.imageDigest });
  });

  it('in a sealed session, gives up after MAX_CHUNK_FAILURES failures of one chunk, whatever the bytes', async () => {
    const { result, outcomes, complete, settle } = setup({ sealed: true });
    complete(Stream.Manifest, 0, 0, manifestBytes);
    for (let i = 0; i < MAX_CHUNK_FAILURES; i++) {
      outcomes.push('mismatch');
      complete(Stream.Image, 0, 1, Buffer.alloc(100 + i, 0x5a));
      await settle();
    }
    expect(result.error?.message).toBe(`Chunk 0 failed verification ${MAX_CHUNK_FAILURES} times (hash mismatch): the sender's copy of the image is corrupt`);
  });

  it('holds at most half the slots of image chunks before the manifest: the rest are requested again, and the manifest still gets a slot', async () => {
    const { side, rx, pool, counters, complete, settle, result, outcomes } = setup();
    expect(side.slots.count).toBe(4);
    // Forged completions of image chunks before the manifest (slots 0..2).
    complete(Stream.Image, 0, 0, Buffer.alloc(100, 1));
    complete(Stream.Image, 2, 1, Buffer.alloc(100, 2));
    complete(Stream.Image, 0, 2, Buffer.alloc(100, 3)); // over the cap of 2
    expect(counters.preManifestDrops).toBe(1);
    expect(rx.reopen).toHaveBeenCalledWith(Stream.Image, 0);
    expect(rx.provide).toHaveBeenLastCalledWith(side.slots.buffer(2), 2); // lent again at once
    outcomes.push('mismatch', 'mismatch');
    complete(Stream.Manifest, 0, 3, manifestBytes);
    expect(side.assembly.haveManifest).toBe(true);
    await settle();
    expect(pool.unpackAndWrite).toHaveBeenCalledTimes(2);
    expect(result.error).toBeUndefined(); // the held junk failed verification and is fetched again
    expect(counters.corruptChunks).toBe(2);
  });

  it('fails on a write error, naming the target and offset', async () => {
    const { result, outcomes, complete, settle } = setup();
    complete(Stream.Manifest, 0, 0, manifestBytes);
    outcomes.push('io');
    complete(Stream.Image, 2, 1, data[2]!);
    await settle();
    expect(result.error?.message).toBe(`Writing /dev/test at offset ${2 * CHUNK} failed (disk full): no space`);
  });

  it('fetches a manifest that does not match the announcement again', () => {
    const { side, rx, events, complete } = setup();
    const bad = Buffer.from(manifestBytes);
    bad[100] ^= 1;
    complete(Stream.Manifest, 0, 0, bad);
    expect(side.assembly.haveManifest).toBe(false);
    expect(events).toEqual(['warning: manifest digest does not match the announcement']);
    expect(rx.reopen).toHaveBeenCalledWith(Stream.Manifest, 0);
    complete(Stream.Manifest, 0, 0, manifestBytes, Coding.Lz4); // the manifest always travels raw
    expect(rx.reopen).toHaveBeenCalledTimes(2);
    expect(side.assembly.haveManifest).toBe(false);
  });

  it('refuses an image other than the expected one before writing anything', () => {
    const { pool, result, complete } = setup({ expectDigest: 'ab'.repeat(32) });
    complete(Stream.Manifest, 0, 0, manifestBytes);
    expect(result.error?.message).toBe(`The sender offers image ${manifest.imageDigest.toString('hex')}, not the expected ${'ab'.repeat(32)}; nothing was written`);
    expect(pool.zero).not.toHaveBeenCalled();
  });
});
