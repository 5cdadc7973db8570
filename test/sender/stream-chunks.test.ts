// `send -`'s reader, fed from a file descriptor: it never reads past the
// window, forgets what is below the floor, and publishes segments whose
// chain and last entry describe the image exactly as a file's manifest does.
import { closeSync, openSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ChunkPool } from '../../src/image/pool.js';
import { openImage } from '../../src/image/source.js';
import { Stream } from '../../src/protocol/constants.js';
import { hash } from '../../src/protocol/hash.js';
import { decodeSegment } from '../../src/protocol/segments.js';
import { StreamChunks } from '../../src/sender/stream-chunks.js';
import type { ChunkRef } from '../../src/sender/chunks.js';
import { sampleImage, tempDir } from '../helpers/image.js';

const tmp = tempDir('blockcast-stream-');
afterAll(() => tmp.cleanup());
const CHUNK = 64 * 1024;
const K = 4;

async function open(file: string, window: number) {
  const fd = openSync(file, 'r');
  const s = await StreamChunks.open({ chunkSize: CHUNK, codec: { name: 'zstd', level: 1 }, workers: 2, segmentChunks: K, window, fd });
  const ready: ChunkRef[] = [];
  const ended = new Promise<void>((resolve) => (s.onEnd = resolve));
  s.onReady = (r) => ready.push(r);
  return { s, ready, ended, done: () => closeSync(fd) };
}

const until = async (cond: () => boolean): Promise<void> => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

describe('stream chunks', () => {
  it('reads no further than the window past the floor, then on as the floor moves; segments chain and end with the file manifest\'s digest', async () => {
    const file = sampleImage(tmp.dir, 21 * CHUNK + 999, 'stream.img');
    const { s, ready, ended, done } = await open(file, 9);
    await until(() => s.blocked);
    expect(s.readHead).toBe(9);
    expect(s.announced(0)).toMatchObject({ imageSize: 0, segments: 0 });
    s.setFloor(5);
    await until(() => s.readHead === 14 && s.blocked);
    expect(s.available(Stream.Image, 2)).toBe(false); // below the floor: forgotten
    s.setFloor(100);
    await ended;
    expect(s.readAll).toBe(true);
    // 22 chunks: segments of 4, the last holding 2.
    const segments = ready.filter((r) => r.stream === Stream.Manifest).map((r) => r.chunk);
    expect(segments).toEqual([0, 1, 2, 3, 4, 5]);
    const last = decodeSegment((await s.data(Stream.Manifest, 5)).data, { index: 5, segmentChunks: K, chunkSize: CHUNK });
    expect(last.last).toBe(true);
    expect(last.imageSize).toBe(21 * CHUNK + 999);
    expect(last.previous).toEqual(hash((await s.data(Stream.Manifest, 4)).data));
    const pool = new ChunkPool({ threads: 1 });
    const src = await openImage(file, { chunkSize: CHUNK, codec: { name: 'none', level: 0 }, pool });
    expect(s.imageDigest()).toEqual(src.manifest.imageDigest);
    expect(s.announced(6)).toMatchObject({ imageSize: 21 * CHUNK + 999, segments: 6, manifestDigest: hash((await s.data(Stream.Manifest, 5)).data) });
    src.close();
    await pool.close();
    s.close();
    done();
  });

  it('refuses an empty stdin before anything is announced', async () => {
    const file = sampleImage(tmp.dir, 0, 'empty.img');
    const fd = openSync(file, 'r');
    await expect(StreamChunks.open({ chunkSize: CHUNK, codec: { name: 'zstd', level: 1 }, workers: 1, segmentChunks: K, window: 9, fd })).rejects.toThrow('stdin is empty: there is no image to send');
    closeSync(fd);
  });
});
