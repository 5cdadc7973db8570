// Joining: the multicast group, and a sender's session, whose announced
// geometry must be safe to act on and whose image the target must hold.
import { BlockcastError } from '../errors.js';
import { chunkCount, chunkLength } from '../image/geometry.js';
import { Target, checkCapacity, inspectTarget } from '../image/target.js';
import { MAX_CHUNK_SIZE, MAX_SYMBOL_SIZE, MIN_SYMBOL_SIZE } from '../protocol/constants.js';
import { manifestSize } from '../protocol/manifest.js';
import { MAX_SEGMENT_CHUNKS, MAX_STREAM_CHUNKS, segmentBytes, segmentSlots } from '../protocol/segments.js';
import { isStream } from './pinning.js';
import type { Announce } from '../protocol/packets.js';
import { native, type NativeReceiver, type NativeReceiverBatch } from '../native/binding.js';
import type { ResolvedReceiveOptions } from './options.js';

/** Joins the multicast group: the native receiver, which hands batches of packets and completed chunks to `onBatch`. */
export function joinGroup(
  opts: Pick<ResolvedReceiveOptions, 'group' | 'port' | 'interfaceAddress' | 'socketBuffer' | 'gro'>,
  onBatch: (batch: NativeReceiverBatch) => void,
): NativeReceiver {
  try {
    return new native.Receiver(
      {
        group: opts.group,
        port: opts.port,
        interfaceAddress: opts.interfaceAddress,
        socketBuffer: opts.socketBuffer,
        flushMs: 2,
        gro: opts.gro,
        ...injectedFaults(),
      },
      onBatch,
    );
  } catch (err) {
    throw new BlockcastError('ENATIVE', `Cannot join ${opts.group}:${opts.port}: ${(err as Error).message}`, { cause: err });
  }
}

/** Rejects announcements whose geometry would be unsafe to act on. */
export function checkGeometry(a: Announce): string | undefined {
  if (a.controlPort === 0) return 'control port 0';
  if (a.chunkSize < 4096 || a.chunkSize > MAX_CHUNK_SIZE) return `chunk size ${a.chunkSize} out of range`;
  if (a.symbolSize < MIN_SYMBOL_SIZE || a.symbolSize > MAX_SYMBOL_SIZE) return `symbol size ${a.symbolSize} out of range`;
  if (Math.ceil(a.chunkSize / a.symbolSize) > 65535) return 'too many symbols per chunk';
  if (a.stripeSize > 254 || Math.ceil(Math.ceil(a.chunkSize / a.symbolSize) / Math.max(1, a.stripeSize)) > 0x7fff) return 'FEC stripe size out of range';
  if (isStream(a)) return checkStreamGeometry(a);
  if ((a.segmentChunks ?? 0) !== 0 || (a.segments ?? 0) !== 0) return 'manifest segments in a session that is not a stream';
  if (a.imageSize === 0 || a.chunkCount !== chunkCount(a.imageSize, a.chunkSize)) return 'chunk count does not match image size';
  if (a.manifestSize !== manifestSize(a.chunkCount)) return 'manifest size does not match chunk count';
  if (chunkLength(a.imageSize, a.chunkSize, a.chunkCount - 1) <= 0) return 'bad last chunk';
  return undefined;
}

/**
 * A stream session: the chunk count is the session's bound (the size of the
 * receivers' tables, at most MAX_STREAM_CHUNKS), the size 0 until the last
 * segment sets it, the manifest size 0; segments must fit a chunk.
 */
function checkStreamGeometry(a: Announce): string | undefined {
  const k = a.segmentChunks ?? 0;
  if (a.chunkCount === 0 || a.chunkCount > MAX_STREAM_CHUNKS) return `stream chunk bound ${a.chunkCount} out of range`;
  if (k === 0 || k > MAX_SEGMENT_CHUNKS || segmentBytes(k) > a.chunkSize) return `segment size ${k} out of range`;
  if (a.manifestSize !== 0) return 'manifest size in a stream session';
  if ((a.segments ?? 0) > segmentSlots(a.chunkCount, k)) return 'more segments than the chunk bound allows';
  if (a.imageSize !== 0 && chunkCount(a.imageSize, a.chunkSize) > a.chunkCount) return 'stream size beyond its chunk bound';
  return undefined;
}

/** Opens the target for an image of `imageSize` bytes; throws ETARGETTOOSMALL or ETARGETIO. */
export function openTarget(path: string, imageSize: number): Target {
  const info = inspectTarget(path);
  checkCapacity(path, info, imageSize);
  return new Target(path, info, imageSize);
}

/**
 * Fault injection for tests, never set in production: BLOCKCAST_TEST_DROP_BURST=START,COUNT
 * makes the native receiver drop COUNT consecutive DATA datagrams after START.
 */
export function injectedFaults(): { dropBurstStart: number; dropBurstCount: number } {
  const m = /^(\d+),(\d+)$/.exec(process.env.BLOCKCAST_TEST_DROP_BURST ?? '');
  return m ? { dropBurstStart: Number(m[1]), dropBurstCount: Number(m[2]) } : { dropBurstStart: 0, dropBurstCount: 0 };
}
