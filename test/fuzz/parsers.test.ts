// The TypeScript packet parsers under fuzz: 60k mutated and random packets
// (seeded; the seed is printed, FUZZ_SEED=N reproduces a run) through every
// decoder, the sender's report dispatch and the receiver's control path;
// mutated manifests and LZ4- and zstd-coded chunks through their parsers.
import { compressSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { zstdShrink } from '../../src/image/zstd.js';
import { native } from '../../src/native/binding.js';
import { decodeManifest, encodeManifest, imageDigestOf, zeroBitmap } from '../../src/protocol/manifest.js';
import { seedManifest, seedPackets } from './corpus.js';
import { mutate } from './mutator.js';
import { fuzzSeed, Rng } from './rng.js';
import { decodeAll, expandLz4, expandZstd, FUZZ_SESSION, parseManifest, ReceiverControlRig, SenderControlRig } from './targets.js';

const PACKETS = 60_000;

/** Runs `body` on `count` inputs; a throw is rethrown naming the seed and the input that caused it. */
function fuzz(name: string, count: number, body: (rng: Rng, i: number) => void): number {
  const seed = fuzzSeed();
  console.log(`${name}: seed ${seed} (FUZZ_SEED=${seed} reproduces)`);
  const rng = new Rng(seed);
  for (let i = 0; i < count; i++) {
    try {
      body(rng, i);
    } catch (err) {
      throw new Error(`${name}: input ${i} of seed ${seed}: ${(err as Error).stack ?? String(err)}`);
    }
  }
  return seed;
}

describe('fuzzed packets', () => {
  it(`pass ${PACKETS} mutated packets of every type through every decoder and both control paths without a throw`, () => {
    const sender = new SenderControlRig();
    const receiver = new ReceiverControlRig();
    let corpus: Buffer[] = [];
    fuzz('packets', PACKETS, (rng, i) => {
      if (i % 2000 === 0) corpus = seedPackets(rng, FUZZ_SESSION, 16);
      const b = mutate(rng, rng.pick(corpus), corpus);
      decodeAll(b);
      sender.feed(b);
      receiver.feed(b);
    });
    // The mutations are mild enough that some packets still decode and drive state.
    expect(sender.counts.status).toBeGreaterThan(100);
    expect(sender.counts.nack).toBeGreaterThan(100);
    expect(sender.counts.malformed).toBeGreaterThan(PACKETS / 4);
    expect(receiver.counts.announces).toBeGreaterThan(100);
    expect(receiver.counts.adverts).toBeGreaterThan(100);
  });

  it('parses 5,000 mutated manifests: a manifest or its own error, nothing else', () => {
    let accepted = 0;
    fuzz('manifests', 5000, (rng) => {
      const m = seedManifest(rng);
      if (parseManifest(rng.chance(0.05) ? m : mutate(rng, m, [m]))) accepted++;
    });
    expect(accepted).toBeGreaterThan(0);
  });

  it('refuses a manifest whose chunk size is beyond the protocol maximum before hashing a chunk of zeros that large', () => {
    // One zero chunk of 4 GiB - 1 bytes: consistent except for the chunk size.
    const size = 0xffffffff;
    const m = encodeManifest({ imageSize: size, chunkSize: size, chunkHashes: [Buffer.alloc(32)], zero: zeroBitmap([true]), imageDigest: imageDigestOf([Buffer.alloc(32)]) });
    expect(() => decodeManifest(m)).toThrow('manifest: chunk size out of range');
  });

  it('expands 5,000 mutated LZ4-coded chunks to their raw size or a reason', () => {
    fuzz('lz4', 5000, (rng) => {
      const raw = Buffer.alloc(256 + rng.int(8192), rng.int(4));
      for (let i = 0; i < rng.int(64); i++) raw[rng.int(raw.length)] = rng.int(256);
      const wire = compressSync(raw);
      expandLz4(mutate(rng, wire, [wire]), rng.chance(0.9) ? raw.length : rng.int(1 << 20));
    });
  });

  it.runIf(native.zstd)('expands 5,000 mutated zstd-coded chunks to exactly their raw size or a reason', () => {
    const scratch = Buffer.alloc(1 << 16);
    fuzz('zstd', 5000, (rng) => {
      const raw = Buffer.alloc(256 + rng.int(8192), rng.int(4));
      for (let i = 0; i < rng.int(64); i++) raw[rng.int(raw.length)] = rng.int(256);
      const wire = zstdShrink(raw, scratch, 1 + rng.int(9)) ?? raw;
      expandZstd(mutate(rng, wire, [wire]), rng.chance(0.9) ? raw.length : 1 + rng.int(1 << 20));
    });
  });
});
