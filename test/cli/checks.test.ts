// digest, inspect and verify: the checks a provisioner runs around a send.
import { copyFileSync, openSync, closeSync, writeSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { event, runCli } from '../helpers/cli.js';
import { sampleImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();
const MiB = 1024 * 1024;
// Zero, compressible and random regions; not a chunk multiple.
const image = sampleImage(tmp.dir, 12 * MiB + 777, 'checks.img');
const prepared = path.join(tmp.dir, 'checks.bcp');

function flipByte(file: string, offset: number): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from([0xa5]), 0, 1, offset);
  closeSync(fd);
}

describe('digest', () => {
  it("prints the digest prepare reports, for the raw and the prepared image alike", async () => {
    const p = await runCli(['prepare', image, '-o', prepared, '--json']);
    expect(p.code, p.stderr).toBe(0);
    const want = event(p, 'prepared')!.imageDigest as string;
    const raw = await runCli(['digest', image]);
    expect(raw.code).toBe(0);
    expect(raw.stdout).toBe(`${want}\n`);
    const fromPrepared = await runCli(['digest', prepared, '--json']);
    expect(event(fromPrepared, 'digest')).toMatchObject({ source: 'prepared', imageDigest: want, imageSize: 12 * MiB + 777, chunkCount: 13 });
    // Another chunk size is another digest: it must match the send's.
    expect((await runCli(['digest', image, '--chunk-size', '512k'])).stdout).not.toBe(`${want}\n`);
  });
});

describe('inspect', () => {
  it('summarises a prepared image', async () => {
    const r = await runCli(['inspect', prepared, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = event(r, 'inspect')!;
    expect(info).toMatchObject({ imageSize: 12 * MiB + 777, chunkSize: MiB, chunkCount: 13, compressed: true });
    const codings = info.codings as Record<string, { chunks: number; bytes: number }>;
    const stored = Object.values(codings).reduce((n, c) => n + c.chunks, 0);
    expect(stored + (info.zeroChunks as number)).toBe(13);
    expect(info.storedBytes).toBe(Object.values(codings).reduce((n, c) => n + c.bytes, 0));
    expect(info.imageDigest).toBe((await runCli(['digest', image])).stdout.trim());
    const human = await runCli(['inspect', prepared]);
    expect(human.stdout).toContain(`digest       ${info.imageDigest as string}`);
  });

  it('refuses a raw image with a clear error', async () => {
    const r = await runCli(['inspect', image]);
    expect(r.code).toBe(ExitCode.Target);
    expect(r.stderr).toContain('is a raw image, not a prepared one');
  });
});

describe('verify', () => {
  it('passes a good copy, against the raw and the prepared image', async () => {
    const copy = path.join(tmp.dir, 'good.img');
    copyFileSync(image, copy);
    for (const against of [image, prepared]) {
      const r = await runCli(['verify', copy, against, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(event(r, 'verified')).toMatchObject({ ok: true, badChunkCount: 0, chunkCount: 13 });
    }
  });

  it('exits 5 on a copy with one byte changed, naming the chunk and its byte range', async () => {
    const copy = path.join(tmp.dir, 'bad.img');
    copyFileSync(image, copy);
    flipByte(copy, 5 * MiB + 12345);
    for (const against of [image, prepared]) {
      const r = await runCli(['verify', copy, against]);
      expect(r.code).toBe(ExitCode.Verify);
      expect(r.stderr).toContain(`1 of 13 chunks differ; the first is chunk 5 (bytes ${5 * MiB}-${6 * MiB - 1})`);
    }
    flipByte(copy, 12 * MiB + 3); // the short last chunk too
    const r = await runCli(['verify', copy, prepared, '--json']);
    expect(r.code).toBe(ExitCode.Verify);
    expect(event(r, 'verified')).toMatchObject({ ok: false, badChunkCount: 2, badChunks: [5, 12], firstBad: { chunk: 5, offset: 5 * MiB, end: 6 * MiB - 1 } });
  });

  it('accepts a target larger than the image and refuses a smaller one naming both sizes', async () => {
    const big = path.join(tmp.dir, 'big.img');
    copyFileSync(image, big);
    truncateSync(big, 16 * MiB);
    expect((await runCli(['verify', big, prepared])).code).toBe(0);
    truncateSync(big, 12 * MiB);
    const r = await runCli(['verify', big, prepared]);
    expect(r.code).toBe(ExitCode.Target);
    expect(r.stderr).toContain(`is ${12 * MiB} bytes, smaller than the image's ${12 * MiB + 777} bytes`);
    expect((await runCli(['verify', path.join(tmp.dir, 'none.img'), prepared])).stderr).toContain('none.img does not exist');
  });
});
