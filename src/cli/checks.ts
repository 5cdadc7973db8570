// Commands that check images and targets without a network: digest (what
// receive --expect-digest takes), inspect (a prepared image's contents) and
// verify (a written target read back against the image's chunk hashes).
import { BlockcastError, ExitCode } from '../errors.js';
import { DEFAULT_CHUNK_SIZE } from '../image/geometry.js';
import { ChunkPool, defaultWorkerThreads } from '../image/pool.js';
import { PreparedImage } from '../image/prepared.js';
import { openImage, type ImageSource } from '../image/source.js';
import { chunkRange, verifyTarget } from '../image/verify.js';
import { MAX_CHUNK_SIZE } from '../protocol/constants.js';
import { Coding } from '../protocol/constants.js';
import { checkInteger } from '../validate.js';
import { makeReporter, mb, type Reporter } from './report.js';

export interface CheckOptions {
  /** A raw image's chunk size: the digest depends on it (default 1 MiB, as for send and prepare). */
  chunkSize?: number;
  workers?: number;
  json?: boolean;
  quiet?: boolean;
}

/** Opens IMAGE|PREPARED with a pool, runs `use`, closes both. A raw image is hashed as a send scans it. */
async function withImage<T>(image: string, o: CheckOptions, r: Reporter, use: (src: ImageSource, pool: ChunkPool) => Promise<T>): Promise<T> {
  const chunkSize = checkInteger('chunkSize', o.chunkSize ?? DEFAULT_CHUNK_SIZE, 4096, MAX_CHUNK_SIZE);
  const pool = new ChunkPool({ threads: checkInteger('workers', o.workers ?? defaultWorkerThreads(), 1, 64) });
  try {
    const src = await openImage(image, { chunkSize, codec: { name: 'none', level: 0 }, pool, onProgress: (done, total) => r.event('scan-progress', { done, total }) });
    try {
      return await use(src, pool);
    } finally {
      src.close();
    }
  } finally {
    await pool.close();
  }
}

export async function digestCommand(image: string, o: CheckOptions): Promise<number> {
  const r = makeReporter(!!o.json, o.quiet);
  await withImage(image, o, r, async (src) => {
    const digest = src.manifest.imageDigest.toString('hex');
    r.event('digest', { image, source: src.kind, imageSize: src.size, chunkSize: src.chunkSize, chunkCount: src.chunkCount, imageDigest: digest });
    // The digest itself goes to stdout, alone, for $(blockcast digest IMAGE).
    if (!o.json) process.stdout.write(digest + '\n');
  });
  return ExitCode.Ok;
}

const codingNames = new Map<number, string>(Object.entries(Coding).map(([name, value]) => [value, name.toLowerCase()]));

export async function inspectCommand(prepared: string, o: CheckOptions): Promise<number> {
  const r = makeReporter(!!o.json, o.quiet);
  await withImage(prepared, { ...o, workers: 1 }, r, async (src) => {
    if (!(src instanceof PreparedImage)) {
      throw new BlockcastError('EIMAGE', `${prepared} is a raw image, not a prepared one (no prepared header): blockcast prepare ${prepared} -o FILE makes one; blockcast digest ${prepared} prints its digest`);
    }
    const codings: Record<string, { chunks: number; bytes: number }> = {};
    let storedBytes = 0;
    for (const [coding, c] of src.codings()) {
      codings[codingNames.get(coding) ?? `coding-${coding}`] = c;
      storedBytes += c.bytes;
    }
    let zeroChunks = 0;
    for (let c = 0; c < src.chunkCount; c++) if (src.isZero(c)) zeroChunks++;
    const info = {
      image: prepared,
      imageSize: src.size,
      chunkSize: src.chunkSize,
      chunkCount: src.chunkCount,
      zeroChunks,
      compressed: src.compressed,
      codings,
      storedBytes,
      ratio: storedBytes > 0 ? src.size / storedBytes : null,
      fileSize: src.fileSize(),
      imageDigest: src.manifest.imageDigest.toString('hex'),
    };
    r.event('inspect', info);
    const lines = [
      `${prepared}: prepared image`,
      `  image size   ${info.imageSize} bytes (${mb(info.imageSize)} MB)`,
      `  chunks       ${info.chunkCount} of ${info.chunkSize} bytes, ${zeroChunks} all-zero (not stored)`,
      ...Object.entries(codings).map(([name, c]) => `  ${name.padEnd(12)} ${c.chunks} chunks, ${c.bytes} bytes`),
      `  stored       ${storedBytes} bytes: ${info.ratio === null ? 'nothing but zeros' : `${info.ratio.toFixed(2)}x smaller than the image`}`,
      `  file size    ${info.fileSize} bytes`,
      `  digest       ${info.imageDigest}`,
    ];
    if (!o.json && !o.quiet) process.stdout.write(lines.join('\n') + '\n');
  });
  return ExitCode.Ok;
}

export async function verifyCommand(target: string, image: string, o: CheckOptions): Promise<number> {
  const r = makeReporter(!!o.json, o.quiet);
  await withImage(image, o, r, async (src, pool) => {
    const m = src.manifest;
    const v = await verifyTarget(target, m, pool, (done, total) => r.event('verify-progress', { done, total }));
    const first = v.badChunks[0];
    const firstBad = first === undefined ? undefined : { chunk: first, ...chunkRange(m, first) };
    r.event('verified', {
      target, image, ok: v.badChunks.length === 0, imageSize: m.imageSize, targetSize: v.targetSize, chunkSize: m.chunkSize, chunkCount: v.chunkCount,
      badChunkCount: v.badChunks.length, badChunks: v.badChunks.slice(0, 1000), ...(firstBad ? { firstBad } : {}), imageDigest: m.imageDigest.toString('hex'), seconds: v.seconds,
    });
    if (v.targetSize > m.imageSize) r.human(`note: ${target} is ${v.targetSize} bytes; its first ${m.imageSize} (the image's size) were compared`);
    if (firstBad) {
      throw new BlockcastError('EDIGEST',
        `${target} does not match ${image}: ${v.badChunks.length} of ${v.chunkCount} chunks differ; the first is chunk ${firstBad.chunk} (bytes ${firstBad.offset}-${firstBad.end})`);
    }
    r.human(`${target} matches ${image}: ${mb(m.imageSize)} MB in ${v.chunkCount} chunks, digest ${m.imageDigest.toString('hex').slice(0, 16)}… (${v.seconds.toFixed(2)} s)`);
  });
  return ExitCode.Ok;
}
