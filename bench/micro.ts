/**
 * Component micro-benchmarks (the `benchmark` package): LZ4 compression and
 * decompression of one 1 MiB chunk of the real ext4 image, zstd's at levels
 * 1, 3, 9 and 19 (ZSTD_LEVELS=1,3 to choose), Reed-Solomon
 * encoding and decoding of one stripe, BLAKE3 of a chunk and of a whole
 * manifest. Packets per second of the native sender and receiver against the
 * plain C sendmmsg/recvmmsg pair are end-to-end figures: bench/e2e.ts prints
 * them side by side.
 *
 *   tsx bench/micro.ts
 *
 * Prints ops/s and MB/s (10^6 bytes) per single core.
 */
import { openSync, readSync } from 'node:fs';
import Benchmark from 'benchmark';
import { compress, compressSync, uncompressSync } from 'lz4-napi';
import { native } from '../src/native/binding.js';
import { encodeManifest, imageDigestOf, zeroBitmap } from '../src/protocol/manifest.js';
import { hash } from '../src/protocol/hash.js';
import { ext4Image } from './ext4.js';

const CHUNK = 1024 * 1024;
const SYMBOL = 1444;
const K = 200; // default FEC stripe

// A data chunk from the middle of the ext4 image's used area.
const image = ext4Image();
const fd = openSync(image.path, 'r');
const chunk = Buffer.alloc(CHUNK);
readSync(fd, chunk, 0, CHUNK, 400 * CHUNK);
const packed = compressSync(chunk);
const { lz4, zstd } = native;
const lz4Out = Buffer.alloc(CHUNK + 65536);
const zstdLevels = (process.env.ZSTD_LEVELS ?? '1,3,9,19').split(',').map(Number);
const zstdOut = Buffer.alloc(CHUNK + 65536);
/** Per level: the chunk as one zstd frame, as the workers make it. */
const zstdFrames = new Map(zstdLevels.map((l) => [l, zstd ? Buffer.from(zstdOut.subarray(0, zstd.compress(chunk, zstdOut, l))) : Buffer.alloc(0)]));
const sources = Array.from({ length: K }, (_, i) => chunk.subarray((i * SYMBOL) % (CHUNK - SYMBOL), ((i * SYMBOL) % (CHUNK - SYMBOL)) + SYMBOL));
const parity = native.fec.encode(sources, Array.from({ length: 10 }, (_, i) => i));
// Decode 10 lost sources from the 190 others and 10 parity symbols.
const have = [...sources.slice(10), ...parity];
const rows = [...Array.from({ length: K - 10 }, (_, i) => i + 10), ...Array.from({ length: 10 }, (_, i) => K + i)];
const missing = Array.from({ length: 10 }, (_, i) => i);
const hashes = Array.from({ length: 16384 }, (_, i) => hash(Buffer.from(String(i))));

interface Case {
  name: string;
  bytes: number;
  fn: (deferred: { resolve(): void }) => void;
  defer?: boolean;
}
const cases: Case[] = [
  { name: `lz4 compress (lz4-napi async), 1 MiB chunk, ratio ${(CHUNK / packed.length).toFixed(2)}`, bytes: CHUNK, defer: true, fn: (d) => void compress(chunk).then(() => d.resolve()) },
  { name: 'lz4 decompress (lz4-napi uncompressSync), 1 MiB chunk', bytes: CHUNK, fn: () => uncompressSync(packed) },
  ...(lz4
    ? [
        { name: `lz4 compress (${lz4.backend}, as the workers do), 1 MiB chunk`, bytes: CHUNK, fn: () => void lz4.compress(chunk, lz4Out) },
        { name: `lz4 decompress (${lz4.backend}, as the workers do), 1 MiB chunk`, bytes: CHUNK, fn: () => void lz4.decompress(packed, lz4Out.subarray(0, CHUNK)) },
      ]
    : []),
  ...(zstd
    ? zstdLevels.flatMap((l) => {
        const frame = zstdFrames.get(l)!;
        return [
          { name: `zstd -${l} compress (${zstd.backend}), 1 MiB chunk, ratio ${(CHUNK / frame.length).toFixed(2)}`, bytes: CHUNK, fn: () => void zstd.compress(chunk, zstdOut, l) },
          { name: `zstd -${l} decompress (${zstd.backend}), 1 MiB chunk`, bytes: CHUNK, fn: () => void zstd.decompress(frame, lz4Out.subarray(0, CHUNK)) },
        ];
      })
    : []),
  { name: `Reed-Solomon encode 10 parity, k=${K}, ${native.fec.backend}`, bytes: K * SYMBOL, fn: () => native.fec.encode(sources, missing) },
  { name: `Reed-Solomon decode 10 lost of k=${K}, ${native.fec.backend}`, bytes: K * SYMBOL, fn: () => native.fec.decode(have, rows, missing) },
  { name: 'BLAKE3, 1 MiB chunk', bytes: CHUNK, fn: () => hash(chunk) },
  {
    name: 'manifest of a 16 GiB image (16384 hashes): encode + digest',
    bytes: 16384 * 32,
    fn: () => encodeManifest({ imageSize: 16384 * CHUNK, chunkSize: CHUNK, chunkHashes: hashes, zero: zeroBitmap(new Array(16384).fill(false)), imageDigest: imageDigestOf(hashes) }),
  },
];

const suite = new Benchmark.Suite();
for (const c of cases) suite.add(c.name, c.fn, { defer: !!c.defer, minSamples: 20 });
suite.on('cycle', (e: { target: Benchmark }) => {
  const c = cases.find((x) => x.name === e.target.name)!;
  const hz = e.target.hz;
  console.log(`${c.name}: ${hz.toFixed(0)} ops/s, ${((hz * c.bytes) / 1e6).toFixed(0)} MB/s (±${e.target.stats.rme.toFixed(1)}%)`);
});
suite.run();
