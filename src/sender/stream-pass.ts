// The parts of a stream session (`send -`) the sender's session wires: the
// stdin reader and its segments, the window that bounds it, a repair planner
// for the session's chunk bound, and a first pass that grows as chunks and
// segments are read.
import { AnnounceFlag } from '../protocol/constants.js';
import { DEFAULT_SEGMENT_CHUNKS } from '../protocol/segments.js';
import type { ResolvedSendOptions } from './options.js';
import { RepairPlanner } from './repair-planner.js';
import { FirstPassScheduler, SendScheduler } from './scheduler.js';
import { StreamChunks } from './stream-chunks.js';
import { StreamWindow } from './stream-window.js';

export interface StreamPass {
  chunks: StreamChunks;
  window: StreamWindow;
  planner: RepairPlanner;
  scheduler: SendScheduler;
  windowChunks: number;
  segmentChunks: number;
}

/**
 * Opens stdin (its first chunk is read now, so an empty stdin fails before
 * anything is announced). `ready`: the first pass has more to send;
 * `ended`: stdin is read to its end, or failed.
 */
export async function openStreamPass(o: ResolvedSendOptions, symbolSize: number, hooks: { ready(): void; ended(err?: Error): void }): Promise<StreamPass> {
  const segmentChunks = DEFAULT_SEGMENT_CHUNKS;
  // At least two segments' worth: the segment of the slowest receiver's next chunk can always be read whole.
  const windowChunks = Math.max(2 * segmentChunks + 1, Math.floor(o.window / o.chunkSize));
  const chunks = await StreamChunks.open({ chunkSize: o.chunkSize, compress: o.compress, workers: o.workers, segmentChunks, window: windowChunks });
  const planner = new RepairPlanner({ stripeSize: o.fecStripe, symbolSize, fecRatio: o.fecRatio, imageChunks: chunks.bound }, chunks);
  const pass = new FirstPassScheduler({ manifestChunks: 0, imageChunks: 0, isZero: () => false });
  chunks.onReady = (ref) => {
    pass.push(ref);
    hooks.ready();
  };
  chunks.onEnd = () => hooks.ended(chunks.error);
  return { chunks, window: new StreamWindow(chunks, windowChunks), planner, scheduler: new SendScheduler(pass), windowChunks, segmentChunks };
}

/** ANNOUNCE's image fields in a stream session, once `segmentsSent` segments are on the wire. */
export function streamAnnounce(chunks: StreamChunks, segmentsSent: number): ReturnType<StreamChunks['announced']> & { streamFlags: number; segmentChunks: number } {
  return { ...chunks.announced(segmentsSent), streamFlags: AnnounceFlag.Stream, segmentChunks: chunks.segmentChunks };
}
