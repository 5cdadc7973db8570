// The compressed, sparse-aware pipeline end to end: zero chunks and holes
// never travel, incompressible chunks go raw, a prepared image and the raw
// image give identical targets, stale data in a reused target is zeroed, and
// a corrupt prepared image is caught and never reported complete.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { event, sha256File, startCli, uniqueChannel, type CliResult } from '../helpers/cli.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();
const MiB = 1024 * 1024;
const loops: string[] = [];
afterAll(() => {
  for (const l of loops) execFileSync('losetup', ['-d', l]);
});

/**
 * Six chunks and a short seventh: text (compressible), a hole, explicit
 * zeros, random (incompressible), text, a hole, and a short text tail.
 */
function mixedImage(name: string): string {
  const file = path.join(tmp.dir, name);
  const text = Buffer.alloc(MiB);
  const words = Buffer.from('inode extent journal superblock bitmap ');
  for (let p = 0; p < MiB; p += words.length) words.copy(text, p);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, text, 0, MiB, 0);
    writeSync(fd, Buffer.alloc(MiB), 0, MiB, 2 * MiB); // explicit zeros; chunk 1 stays a hole
    writeSync(fd, randomBytes(MiB), 0, MiB, 3 * MiB);
    writeSync(fd, text, 0, MiB, 4 * MiB);
    writeSync(fd, text, 0, 12345, 6 * MiB); // chunk 5 a hole, chunk 6 short
  } finally {
    closeSync(fd);
  }
  return file;
}

async function session(image: string, target: string, sendArgs: string[] = [], receiveArgs: string[] = []): Promise<{ s: CliResult; r: CliResult }> {
  const { group, port } = uniqueChannel();
  const net = ['--interface', '127.0.0.1', '--group', group, '--port', port, '--json'];
  const rx = startCli(['receive', target, ...net, '--wait-timeout', '60', ...receiveArgs]);
  const tx = startCli(['send', image, ...net, '--rate', '2g', ...sendArgs]);
  const [s, r] = await Promise.all([tx.done, rx.done]);
  return { s, r };
}

describe('compressed, sparse-aware pipeline', () => {
  it('sends zero chunks and holes as nothing, compresses text, sends random bytes raw, and handles a short last chunk', async () => {
    const image = mixedImage('mixed.img');
    const target = path.join(tmp.dir, 'mixed-target.img');
    const { s, r } = await session(image, target);
    expect(s.code, s.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(sha256File(target)).toBe(sha256File(image));
    expect(statSync(target).size).toBe(statSync(image).size);
    const summary = event(s, 'summary')!;
    expect(summary.zeroChunks).toBe(3); // the two holes and the explicit zeros
    // Random chunk raw (1 MiB) + three text chunks compressed to a few KiB each.
    expect(summary.imageWireBytes as number).toBeGreaterThanOrEqual(MiB);
    expect(summary.imageWireBytes as number).toBeLessThan(MiB + 64 * 1024);
    const done = event(r, 'done')!;
    // The receiver created the file, so it knew the zero chunks were zero already.
    expect(done.skippedZeroChunks).toBe(3);
    expect(done.zeroedChunks).toBe(0);
  });

  it('gives identical targets from a prepared image and from the raw image', async () => {
    const image = mixedImage('prep-src.img');
    const prepared = path.join(tmp.dir, 'prep.bcp');
    const p = await startCli(['prepare', image, '-o', prepared, '--json']).done;
    expect(p.code, p.stderr).toBe(0);
    const info = event(p, 'prepared')!;
    expect(info.zeroChunks).toBe(3);
    expect(statSync(prepared).size).toBeLessThan(MiB + 128 * 1024);

    const fromPrepared = path.join(tmp.dir, 'from-prepared.img');
    const fromRaw = path.join(tmp.dir, 'from-raw.img');
    const a = await session(prepared, fromPrepared);
    const b = await session(image, fromRaw);
    for (const { s, r } of [a, b]) {
      expect(s.code, s.stderr).toBe(0);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(event(a.s, 'summary')!.source).toBe('prepared');
    expect(event(a.r, 'done')!.imageDigest).toBe(event(b.r, 'done')!.imageDigest);
    expect(event(a.r, 'done')!.imageDigest).toBe(info.imageDigest);
    expect(sha256File(fromPrepared)).toBe(sha256File(image));
    expect(sha256File(fromRaw)).toBe(sha256File(image));
  });

  it('replaces stale data where the image has zeros, in a reused file and on a block device', async () => {
    const image = mixedImage('stale-src.img');
    const size = statSync(image).size;
    const file = path.join(tmp.dir, 'stale-target.img');
    writeFileSync(file, Buffer.alloc(size, 0xff));
    const backing = path.join(tmp.dir, 'stale-loop.bin');
    writeFileSync(backing, Buffer.alloc(8 * MiB, 0xee));
    const dev = execFileSync('losetup', ['--find', '--show', backing]).toString().trim();
    loops.push(dev);

    for (const target of [file, dev]) {
      const { s, r } = await session(image, target);
      expect(s.code, s.stderr).toBe(0);
      expect(r.code, r.stderr).toBe(0);
      const done = event(r, 'done')!;
      expect(done.zeroedChunks).toBe(3);
      expect(done.skippedZeroChunks).toBe(0);
    }
    expect(sha256File(file)).toBe(sha256File(image));
    const written = readFileSync(dev).subarray(0, size);
    expect(written.equals(readFileSync(image))).toBe(true);
  });

  it('catches a corrupt prepared chunk: the sender stops naming it and the receiver never reports complete', async () => {
    const image = mixedImage('corrupt-src.img');
    const prepared = path.join(tmp.dir, 'corrupt.bcp');
    expect((await startCli(['prepare', image, '-o', prepared, '--json']).done).code).toBe(0);
    // Flip one byte of the first chunk's stored data (it follows the header and the table).
    const bytes = readFileSync(prepared);
    const firstData = Number(bytes.readBigUInt64LE(64));
    bytes[firstData + 100] ^= 0xff;
    writeFileSync(prepared, bytes);

    const target = path.join(tmp.dir, 'corrupt-target.img');
    const { s, r } = await session(prepared, target, [], ['--sender-timeout', '5']);
    expect(s.code).toBe(3);
    expect(s.stderr).toMatch(/Prepared image .* is corrupt: chunk 0 .* does not match its stored hash/);
    expect(r.code).not.toBe(0);
    expect(event(r, 'done')).toBeUndefined();
  });
});
