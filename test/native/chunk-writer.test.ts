// The native chunk writer writes a chunk only when its decoded bytes match
// the expected BLAKE3, reports why it did not otherwise (with the wire
// bytes' hash, so a receiver can tell the same bytes failing again), and
// refuses arguments out of bounds before any thread sees them.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hash } from '../../src/protocol/hash.js';
import { native, type NativeWriteResult } from '../../src/native/binding.js';
import { Coding } from '../../src/protocol/constants.js';

const dir = path.join(os.tmpdir(), `bc-chunk-writer-${process.pid}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHUNK = 1024 * 1024;
const text = (n: number): Buffer => Buffer.from('blockcast writes verified chunks; '.repeat(Math.ceil(n / 34) + 1)).subarray(0, n);

/** One write through a fresh writer; resolves with its result. */
async function writeOnce(wire: Uint8Array, coding: number, rawLength: number, expected: Buffer, fd: number, offset = 0): Promise<NativeWriteResult> {
  let w: InstanceType<typeof native.chunk.ChunkWriter> | undefined;
  const result = new Promise<NativeWriteResult>((resolve) => {
    w = new native.chunk.ChunkWriter(2, (rs) => resolve(rs[0]!));
  });
  try {
    w!.write(1, wire, coding, rawLength, expected, fd, offset);
    return await result;
  } finally {
    w!.close();
  }
}

function target(name: string): { fd: number; file: string } {
  const file = path.join(dir, name);
  return { fd: openSync(file, 'w+'), file };
}

describe('native BLAKE3', () => {
  it('agrees with @napi-rs/blake-hash at every SIMD boundary', () => {
    for (const n of [0, 1, 63, 64, 65, 1023, 1024, 1025, 4096, 16 * 1024 + 1, CHUNK, CHUNK + 7]) {
      const b = randomBytes(n);
      expect(native.chunk.blake3(b).equals(hash(b)), `length ${n}`).toBe(true);
    }
  });
});

describe('native chunk writer', () => {
  it('writes a raw chunk at its offset and returns its hash', async () => {
    const raw = randomBytes(CHUNK);
    const { fd, file } = target('raw.img');
    const r = await writeOnce(raw, Coding.Raw, CHUNK, hash(raw), fd, 3 * CHUNK);
    closeSync(fd);
    expect(r.outcome).toBe('written');
    expect(r.digest.equals(hash(raw))).toBe(true);
    expect(readFileSync(file).subarray(3 * CHUNK).equals(raw)).toBe(true);
  });

  it.runIf(native.lz4 && native.chunk.decodes(Coding.Lz4))('decodes an LZ4 chunk and writes the raw bytes', async () => {
    const raw = text(CHUNK);
    const scratch = Buffer.alloc(CHUNK);
    const n = native.lz4!.compress(raw, scratch);
    expect(n).toBeGreaterThan(0);
    const { fd, file } = target('lz4.img');
    const r = await writeOnce(scratch.subarray(0, n), Coding.Lz4, CHUNK, hash(raw), fd);
    closeSync(fd);
    expect(r.outcome).toBe('written');
    expect(readFileSync(file).equals(raw)).toBe(true);
  });

  it('writes nothing when the hash differs, and names the wire bytes by their hash', async () => {
    const raw = randomBytes(4096);
    const { fd } = target('mismatch.img');
    const r = await writeOnce(raw, Coding.Raw, raw.length, hash(Buffer.alloc(4096)), fd);
    expect(fstatSync(fd).size).toBe(0);
    closeSync(fd);
    expect(r).toMatchObject({ outcome: 'mismatch', message: 'hash mismatch' });
    expect(r.digest.equals(hash(raw))).toBe(true);
  });

  it('refuses wire bytes that are not a chunk of the stated length, and unknown codings', async () => {
    const raw = text(64 * 1024);
    const { fd } = target('undecodable.img');
    const cases: [Uint8Array, number, RegExp][] = [
      [raw.subarray(0, 1000), Coding.Raw, /raw chunk of 1000 bytes, expected 65536/],
      [raw, 77, /unknown coding 77/],
    ];
    if (native.chunk.decodes(Coding.Lz4)) {
      const packed = Buffer.alloc(raw.length);
      const n = native.lz4!.compress(raw, packed);
      const wrongSize = Buffer.from(packed.subarray(0, n));
      wrongSize.writeUInt32LE(raw.length + 1, 0);
      cases.push(
        [packed.subarray(0, 3), Coding.Lz4, /shorter than its size prefix/],
        [wrongSize, Coding.Lz4, /states the wrong raw size/],
        [packed.subarray(0, n - 9), Coding.Lz4, /does not decode/],
        [Buffer.concat([packed.subarray(0, 4), randomBytes(5000)]), Coding.Lz4, /does not decode/],
      );
    }
    for (const [wire, coding, why] of cases) {
      const r = await writeOnce(wire, coding, raw.length, hash(raw), fd);
      expect(r.outcome).toBe('undecodable');
      expect(r.message).toMatch(why);
      expect(r.digest.equals(hash(Buffer.from(wire)))).toBe(true);
    }
    expect(fstatSync(fd).size).toBe(0);
    closeSync(fd);
  });

  it('reports a failed write with its errno', async () => {
    const raw = randomBytes(4096);
    const full = openSync('/dev/full', 'w');
    expect(await writeOnce(raw, Coding.Raw, raw.length, hash(raw), full)).toMatchObject({ outcome: 'io', errno: os.constants.errno.ENOSPC });
    closeSync(full);
    const { fd: rw, file } = target('readonly.img');
    closeSync(rw);
    const ro = openSync(file, constants.O_RDONLY);
    expect(await writeOnce(raw, Coding.Raw, raw.length, hash(raw), ro)).toMatchObject({ outcome: 'io', errno: os.constants.errno.EBADF });
    closeSync(ro);
  });

  it('continues after a short write and reports the error that stopped it', async (ctx) => {
    // A 64 KiB tmpfs takes part of a 1 MiB chunk (a short pwrite), then none.
    const mnt = path.join(dir, 'small');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'bc-chunk-writer', mnt], { stdio: 'ignore' });
    } catch {
      ctx.skip(); // needs root
    }
    try {
      const raw = randomBytes(CHUNK);
      const { fd, file } = target('small/short.img');
      const r = await writeOnce(raw, Coding.Raw, CHUNK, hash(raw), fd);
      closeSync(fd);
      expect(r).toMatchObject({ outcome: 'io', errno: os.constants.errno.ENOSPC });
      const written = readFileSync(file);
      expect(written.length).toBeGreaterThan(0);
      expect(written.equals(raw.subarray(0, written.length))).toBe(true);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('delivers every result of many writes in flight at once', async () => {
    const { fd, file } = target('many.img');
    const chunks = Array.from({ length: 32 }, () => randomBytes(64 * 1024));
    const got = new Map<number, NativeWriteResult>();
    let w: InstanceType<typeof native.chunk.ChunkWriter> | undefined;
    await new Promise<void>((resolve) => {
      w = new native.chunk.ChunkWriter(3, (rs) => {
        for (const r of rs) got.set(r.id, r);
        if (got.size === chunks.length) resolve();
      });
      chunks.forEach((c, i) => w!.write(i, c, Coding.Raw, c.length, hash(c), fd, i * c.length));
    });
    w!.close();
    closeSync(fd);
    expect([...got.values()].every((r) => r.outcome === 'written')).toBe(true);
    expect(readFileSync(file).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('delivers a lone result at once and every result exactly once, in batches or not', async () => {
    // Results of a busy writer wait for a batch; one with nothing else to do
    // must still come back (a receiver waits for its last chunks).
    const { fd, file } = target('batches.img');
    const chunks = Array.from({ length: 14 }, (_, i) => randomBytes(4096 * (i + 1)));
    const offsets = chunks.map((_, i) => chunks.slice(0, i).reduce((n, c) => n + c.length, 0));
    const got: number[] = [];
    let wake = (): void => {};
    const w = new native.chunk.ChunkWriter(2, (rs) => {
      for (const r of rs) {
        expect(r.outcome).toBe('written');
        got.push(r.id);
      }
      wake();
    }, true);
    const settled = (n: number): Promise<void> => new Promise((resolve) => {
      wake = () => got.length >= n && resolve();
      wake();
    });
    try {
      for (let i = 0; i < 4; i++) {
        w.write(i, chunks[i]!, Coding.Raw, chunks[i]!.length, hash(chunks[i]!), fd, offsets[i]!);
        await settled(i + 1); // one at a time: never held back for a batch
      }
      for (let i = 4; i < chunks.length; i++) w.write(i, chunks[i]!, Coding.Raw, chunks[i]!.length, hash(chunks[i]!), fd, offsets[i]!);
      await settled(chunks.length);
    } finally {
      w.close();
    }
    closeSync(fd);
    expect(got.sort((a, b) => a - b)).toEqual(chunks.map((_, i) => i));
    expect(hash(readFileSync(file)).equals(hash(Buffer.concat(chunks)))).toBe(true);
  });

  it('with O_DIRECT, writes aligned and unaligned chunks alike, and follows an fd number to its new file', async () => {
    const chunks = [randomBytes(CHUNK), randomBytes(5000)]; // the second: a short last chunk, written buffered
    const done = new Map<number, NativeWriteResult>();
    let wake = (): void => {};
    const w = new native.chunk.ChunkWriter(2, (rs) => {
      for (const r of rs) done.set(r.id, r);
      wake();
    }, true);
    const settled = (n: number): Promise<void> => new Promise((resolve) => {
      wake = () => done.size >= n && resolve();
      wake();
    });
    try {
      const first = target('direct-1.img');
      w.write(1, chunks[0]!, Coding.Raw, CHUNK, hash(chunks[0]!), first.fd, 0);
      w.write(2, chunks[1]!, Coding.Raw, 5000, hash(chunks[1]!), first.fd, CHUNK);
      await settled(2);
      closeSync(first.fd);
      // The same descriptor number, another file: the writer must not keep writing to the first.
      const second = target('direct-2.img');
      expect(second.fd).toBe(first.fd);
      w.write(3, chunks[1]!, Coding.Raw, 5000, hash(chunks[1]!), second.fd, 2 * CHUNK);
      w.write(4, chunks[0]!, Coding.Raw, CHUNK, hash(chunks[0]!), second.fd, CHUNK);
      await settled(4);
      closeSync(second.fd);
      expect([...done.values()].map((r) => r.outcome)).toEqual(['written', 'written', 'written', 'written']);
      expect(readFileSync(first.file).equals(Buffer.concat(chunks))).toBe(true);
      const back = readFileSync(second.file);
      expect(back.subarray(0, CHUNK).equals(Buffer.alloc(CHUNK))).toBe(true);
      expect(back.subarray(CHUNK).equals(Buffer.concat(chunks))).toBe(true);
    } finally {
      w.close();
    }
  });

  it.runIf(native.zstd && native.chunk.decodes(Coding.Zstd))('verifies without writing: a coded chunk is decoded into the given buffer, a raw one hashed in place', async () => {
    const raw = text(CHUNK);
    const packed = Buffer.alloc(CHUNK);
    const wire = packed.subarray(0, native.zstd!.compress(raw, packed, 1));
    const results: NativeWriteResult[] = [];
    const out = Buffer.alloc(CHUNK);
    const done = new Promise<void>((resolve) => {
      const w = new native.chunk.ChunkWriter(2, (rs) => {
        results.push(...rs);
        if (results.length === 4) {
          w.close();
          resolve();
        }
      });
      w.verify(1, wire, Coding.Zstd, CHUNK, hash(raw), out);
      w.verify(2, raw, Coding.Raw, CHUNK, hash(raw), Buffer.alloc(1));
      // Corrupt wire bytes and a buffer too small are refused, never written past.
      const bad = Buffer.from(wire);
      bad[bad.length >> 1]! ^= 0xff;
      w.verify(3, bad, Coding.Zstd, CHUNK, hash(raw), Buffer.alloc(CHUNK));
      w.verify(4, wire, Coding.Zstd, CHUNK, hash(raw), Buffer.alloc(CHUNK - 1));
    });
    await done;
    const by = new Map(results.map((r) => [r.id, r]));
    expect(by.get(1)!.outcome).toBe('verified');
    expect(by.get(1)!.digest.equals(hash(raw))).toBe(true);
    expect(out.equals(raw)).toBe(true);
    expect(by.get(2)!.outcome).toBe('verified');
    expect(['mismatch', 'undecodable']).toContain(by.get(3)!.outcome);
    expect(by.get(4)!.outcome).toBe('undecodable');
    expect(by.get(4)!.digest.equals(hash(wire))).toBe(true);
  });

  it('refuses a verify whose output buffer overlaps the wire bytes', () => {
    const w = new native.chunk.ChunkWriter(1, () => {});
    const b = Buffer.alloc(64);
    try {
      expect(() => w.verify(1, b.subarray(0, 32), Coding.Raw, 32, hash(b.subarray(0, 32)), b.subarray(16))).toThrow(/out must not overlap wire/);
      expect(() => w.verify(1, b, Coding.Raw, 64, hash(b), 'out' as never)).toThrow(/out must be a Uint8Array/);
    } finally {
      w.close();
    }
  });

  it('refuses arguments out of bounds before any write', () => {
    const w = new native.chunk.ChunkWriter(1, () => {});
    const b = Buffer.alloc(16);
    const h = hash(b);
    try {
      expect(() => w.write(1, b, Coding.Raw, 16, h.subarray(0, 31), 1, 0)).toThrow(/expected must be 32 bytes/);
      expect(() => w.write(1, b, 256, 16, h, 1, 0)).toThrow(/coding must be an integer from 0 to 255/);
      expect(() => w.write(1, b, -1, 16, h, 1, 0)).toThrow(/coding must be an integer/);
      expect(() => w.write(1, b, Coding.Raw, 2 ** 30 + 1, h, 1, 0)).toThrow(/rawLength must be an integer/);
      expect(() => w.write(1, b, Coding.Raw, 16, h, 1, -1)).toThrow(/offset must be an integer/);
      expect(() => w.write(1, b, Coding.Raw, 16, h, 1, 0.5)).toThrow(/offset must be an integer/);
      expect(() => w.write(1, b, Coding.Raw, 16, h, -3, 0)).toThrow(/fd must be an integer/);
      expect(() => w.write(1, 'wire' as never, Coding.Raw, 16, h, 1, 0)).toThrow(/wire must be a Uint8Array/);
      expect(() => w.write(1, new Uint16Array(8) as never, Coding.Raw, 16, h, 1, 0)).toThrow(/wire must be a Uint8Array/);
      expect(() => new native.chunk.ChunkWriter(0, () => {})).toThrow(/threads must be at least 1/);
      expect(() => new native.chunk.ChunkWriter(65, () => {})).toThrow(/threads must be an integer/);
    } finally {
      w.close();
    }
    expect(() => w.write(1, b, Coding.Raw, 16, h, 1, 0)).toThrow(/closed/);
  });
});
