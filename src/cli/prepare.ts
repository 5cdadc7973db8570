import { ExitCode } from '../errors.js';
import { PREPARE_DEFAULT_CODEC, codecLabel, resolveCodec } from '../image/codec.js';
import { DEFAULT_CHUNK_SIZE } from '../image/geometry.js';
import { ChunkPool, defaultWorkerThreads } from '../image/pool.js';
import { prepareImage } from '../image/prepared.js';
import { checkInteger } from '../validate.js';
import { MAX_CHUNK_SIZE } from '../protocol/constants.js';
import { makeReporter, mb } from './report.js';

export interface PrepareCommandOptions {
  image: string;
  output: string;
  /** Default DEFAULT_CHUNK_SIZE (1 MiB), as for a raw send: both give the same manifest. */
  chunkSize?: number;
  /** false (--no-compress): store chunks raw, as codec 'none' does. */
  compress?: boolean;
  /** zstd, lz4 or none (default PREPARE_DEFAULT_CODEC: zstd -19). */
  codec?: string;
  /** zstd's level; a level alone means zstd. */
  level?: number;
  workers?: number;
  json?: boolean;
  quiet?: boolean;
}

export async function prepareCommand(opts: PrepareCommandOptions): Promise<number> {
  const r = makeReporter(!!opts.json, opts.quiet);
  const chunkSize = checkInteger('chunkSize', opts.chunkSize ?? DEFAULT_CHUNK_SIZE, 4096, MAX_CHUNK_SIZE);
  const codec = resolveCodec(opts, PREPARE_DEFAULT_CODEC);
  const pool = new ChunkPool({ threads: checkInteger('workers', opts.workers ?? defaultWorkerThreads(), 1, 64) });
  try {
    let lastPercent = -1;
    const s = await prepareImage(opts.image, opts.output, {
      chunkSize,
      codec,
      pool,
      onProgress: (done, total) => {
        const percent = Math.floor((100 * done) / total);
        if (percent === lastPercent) return;
        lastPercent = percent;
        r.event('prepare-progress', { done, total });
      },
    });
    r.event('prepared', { ...s, codec: codecLabel(codec), output: opts.output });
    const ratio = s.wireBytes > 0 ? s.imageSize / s.wireBytes : Infinity;
    r.human(
      `prepared ${opts.image} -> ${opts.output}: ${mb(s.imageSize)} MB in ${s.chunkCount} chunks, ${s.zeroChunks} all-zero, ` +
        `${mb(s.wireBytes)} MB to send (${ratio.toFixed(2)}x, ${codecLabel(codec)}), digest ${s.imageDigest.slice(0, 16)}… (${s.seconds.toFixed(2)} s)`,
    );
    return ExitCode.Ok;
  } finally {
    await pool.close();
  }
}
