// Where a receive stands, as one snapshot for progress displays and --json
// progress events (src/cli/progress.ts). Cheap to build: read a few times a
// second, never per packet.
import type { ReceiverPhase } from './state.js';

export interface ReceiveProgress {
  state: ReceiverPhase;
  imageSize: number;
  chunkSize: number;
  chunkCount: number;
  /** Image chunks verified and on the target (zero chunks count once zeroed or skipped). */
  chunksDone: number;
  /** Image bytes on the target: chunksDone chunks, at most the image's size. */
  bytesWritten: number;
  /** Bytes of image chunks as received (compressed) and written. */
  wireBytes: number;
  /** Source symbols asked for again, and in how many NACKs. */
  symbolsRequested: number;
  nackPackets: number;
}

export function receiveProgress(
  state: ReceiverPhase,
  image: { imageSize: number; chunkSize: number; chunkCount: number },
  chunksDone: number,
  counters: { wireBytes: number; symbolsRequested: number; nackPackets: number },
): ReceiveProgress {
  return {
    state,
    imageSize: image.imageSize,
    chunkSize: image.chunkSize,
    chunkCount: image.chunkCount,
    chunksDone,
    bytesWritten: Math.min(chunksDone * image.chunkSize, image.imageSize),
    wireBytes: counters.wireBytes,
    symbolsRequested: counters.symbolsRequested,
    nackPackets: counters.nackPackets,
  };
}
