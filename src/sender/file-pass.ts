// A file session's parts (image or prepared file, scanned before it is
// announced), wired for session.ts as stream-pass.ts wires a `send -` stream's.
import { SendChunks } from './chunks.js';
import type { ResolvedSendOptions } from './options.js';
import { RepairPlanner } from './repair-planner.js';
import { FirstPassScheduler, SendScheduler } from './scheduler.js';

export interface FilePass {
  chunks: SendChunks;
  planner: RepairPlanner;
  scheduler: SendScheduler;
  /** What the 'prepared' event says of the image. */
  prepared(seconds: number): Record<string, unknown>;
}

/** Opens and scans the image; a prepared image fixes its chunk size, which replaces `o.chunkSize`. */
export async function openFilePass(o: ResolvedSendOptions, symbolSize: number, onProgress: (done: number, total: number) => void): Promise<FilePass> {
  const chunks = await SendChunks.open(o, symbolSize, onProgress);
  o.chunkSize = chunks.chunkSize;
  const src = chunks.source;
  return {
    chunks,
    planner: new RepairPlanner({ stripeSize: o.fecStripe, symbolSize, fecRatio: o.fecRatio, imageChunks: src.chunkCount }, chunks),
    scheduler: new SendScheduler(new FirstPassScheduler({ manifestChunks: chunks.manifestChunks, imageChunks: src.chunkCount, isZero: (c) => src.isZero(c) })),
    prepared: (seconds) => ({ source: src.kind, imageSize: src.size, chunkCount: src.chunkCount, zeroChunks: chunks.zeroChunks(), seconds, imageDigest: src.manifest.imageDigest.toString('hex') }),
  };
}
