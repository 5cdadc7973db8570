// The parts of a stream session (`send -`) the sender's session wires: the
// stdin reader and its segments, the window that bounds it, a repair planner
// for the session's chunk bound, and a first pass that grows as chunks and
// segments are read.
import { AnnounceFlag } from '../protocol/constants.js';
import { DEFAULT_SEGMENT_CHUNKS } from '../protocol/segments.js';
import type { SendChunks } from './chunks.js';
import type { ResolvedSendOptions } from './options.js';
import type { Participant, Participants } from './participants.js';
import { RepairPlanner } from './repair-planner.js';
import { FirstPassScheduler, SendScheduler } from './scheduler.js';
import { StreamChunks } from './stream-chunks.js';
import { StreamWindow } from './stream-window.js';

export type { StreamChunks };

export interface StreamHooks {
  /** The first pass has more to send. */
  ready(): void;
  /** Stdin is read to its end, or failed. */
  ended(err?: Error): void;
  /** A receiver fell behind the window or joined too late: fail it with this message. */
  failed(p: Participant, message: string): unknown;
}

export class StreamPass {
  private segmentsAnnounced = 0;

  constructor(
    readonly chunks: StreamChunks,
    readonly planner: RepairPlanner,
    readonly scheduler: SendScheduler,
    private readonly window: StreamWindow,
    readonly windowChunks: number,
    private readonly hooks: StreamHooks,
  ) {}

  /** What the 'prepared' event says of a stream. */
  prepared(seconds: number): Record<string, unknown> {
    return { source: 'stream', imageSize: 0, chunkCount: 0, zeroChunks: 0, seconds, imageDigest: '', window: this.windowChunks, segmentChunks: this.chunks.segmentChunks };
  }

  /** True when more segments are on the wire than the last ANNOUNCE said: announce now, so receivers take them at once. */
  segmentsSent(sent: number): boolean {
    if (sent <= this.segmentsAnnounced) return false;
    this.segmentsAnnounced = sent;
    return true;
  }

  /** A receiver reported: the window follows the slowest; one that joined too late fails. */
  reported(table: Participants, receiverId: number): void {
    for (const v of this.window.reported(table, receiverId)) this.hooks.failed(v.participant, v.message);
  }

  /** The watchdog's tick: receivers that held the reader back too long fail. */
  tick(table: Participants, now: number, timeoutMs: number): void {
    for (const v of this.window.tick(table, now, timeoutMs)) this.hooks.failed(v.participant, v.message);
  }
}

/** Opens stdin (its first chunk is read now, so an empty stdin fails before anything is announced). */
export async function openStreamPass(o: ResolvedSendOptions, symbolSize: number, hooks: StreamHooks, signal?: AbortSignal): Promise<StreamPass> {
  const segmentChunks = DEFAULT_SEGMENT_CHUNKS;
  // At least two segments' worth: the segment of the slowest receiver's next chunk can always be read whole.
  const windowChunks = Math.max(2 * segmentChunks + 1, Math.floor(o.window / o.chunkSize));
  const chunks = await StreamChunks.open({ chunkSize: o.chunkSize, codec: o.codec, workers: o.workers, segmentChunks, window: windowChunks, ...(signal ? { signal } : {}) });
  const planner = new RepairPlanner({ stripeSize: o.fecStripe, symbolSize, fecRatio: o.fecRatio, imageChunks: chunks.bound }, chunks);
  const pass = new FirstPassScheduler({ manifestChunks: 0, imageChunks: 0, isZero: () => false });
  chunks.onReady = (ref) => {
    pass.push(ref);
    hooks.ready();
  };
  chunks.onEnd = () => hooks.ended(chunks.error);
  return new StreamPass(chunks, planner, new SendScheduler(pass), new StreamWindow(chunks, windowChunks), windowChunks, hooks);
}

/** ANNOUNCE's image fields: a file's, or a stream's once `segmentsSent` segments are on the wire. */
export function announcedImage(chunks: SendChunks | StreamChunks, segmentsSent: number): ReturnType<SendChunks['announced']> & { streamFlags?: number; segmentChunks?: number; segments?: number } {
  if (!(chunks instanceof StreamChunks)) return chunks.announced();
  return { ...chunks.announced(segmentsSent), streamFlags: AnnounceFlag.Stream, segmentChunks: chunks.segmentChunks };
}
