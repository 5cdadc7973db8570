// The chunk side of a joined stream session (`send -`): the native receiver
// set up for the session's bound on chunks, manifest segments (stream 1)
// taken once the chain from an accepted ANNOUNCE vouches for them, and image
// chunks handed to the in-order writer, which outputs each only once its
// segment is known and its hash matches.
import { NOT_SENT, type NativeReceiver, type NativeReceiverBatch } from '../native/binding.js';
import type { OrderedOutput } from '../image/output.js';
import type { ChunkPool } from '../image/pool.js';
import { BlockcastError } from '../errors.js';
import { Coding, HASH_SIZE, Stream } from '../protocol/constants.js';
import type { Announce } from '../protocol/packets.js';
import { SegmentChain, decodeSegment, segmentBytes, segmentSlots } from '../protocol/segments.js';
import type { Target } from '../image/target.js';
import { openChunkSide, type ChunkAssembly, type ChunkSide } from './assembly.js';
import { SegmentCatalog } from './catalog.js';
import { isStream } from './pinning.js';
import { OrderedWriter } from './ordered-writer.js';
import { ChunkSlots } from './slots.js';
import type { AssemblyCounters } from './stats.js';
import type { WriterHooks } from './writer.js';

/** Slots kept for segments (they are small, and complete in a moment). */
const SEGMENT_RESERVE = 2;

export interface StreamAssemblyHooks {
  fail(err: Error): void;
  warning(message: string): void;
}

export class StreamAssembly {
  readonly catalog: SegmentCatalog;
  private readonly chain: SegmentChain;
  private readonly segmentCount: number;

  constructor(
    private readonly deps: {
      rx: Pick<NativeReceiver, 'configure' | 'expect' | 'reopen'>;
      announce: Announce;
      maxBuffer: number;
      slots: ChunkSlots;
      writer: OrderedWriter;
      output: OrderedOutput;
      hooks: StreamAssemblyHooks;
    },
  ) {
    const a = deps.announce;
    const k = a.segmentChunks!;
    this.segmentCount = segmentSlots(a.chunkCount, k);
    this.catalog = new SegmentCatalog(a.chunkSize, k);
    const slotCount = ChunkSlots.countFor(a.chunkSize, deps.maxBuffer);
    deps.rx.configure({
      manifestReserve: Math.min(SEGMENT_RESERVE, Math.floor(slotCount / 4)),
      session: a.session,
      symbolSize: a.symbolSize,
      stripeSize: a.stripeSize,
      streams: [
        { chunkCount: a.chunkCount, maxLength: a.chunkSize },
        { chunkCount: this.segmentCount, maxLength: segmentBytes(k) },
      ],
    });
    deps.slots.create(a.chunkSize, deps.maxBuffer);
    this.chain = new SegmentChain(
      (index, bytes) => this.take(index, bytes),
      (index) => {
        deps.hooks.warning(`manifest segment ${index} is not the one the sender announced; fetching it again`);
        deps.rx.reopen(Stream.Manifest, index);
      },
    );
    deps.writer.follow(this.catalog);
  }

  /** Segments (stream 1 chunks) of the session at most. */
  get manifestChunks(): number {
    return this.segmentCount;
  }

  /** Image chunks may be asked for once their segment is known (see streamReach). */
  get haveManifest(): boolean {
    return true;
  }

  /** An accepted ANNOUNCE of the pinned sender: the newest segment's hash vouches for it. */
  announced(a: Announce): void {
    this.chain.announced(a.segments ?? 0, a.manifestDigest);
  }

  onChunk(c: NativeReceiverBatch['chunks'][number]): void {
    const { rx, slots } = this.deps;
    if (c.stream === Stream.Manifest) {
      if (c.coding === Coding.Raw) this.chain.received(c.chunk, Buffer.from(slots.buffer(c.slot).subarray(0, c.length)));
      else rx.reopen(Stream.Manifest, c.chunk); // segments always travel raw
      slots.lend(c.slot);
    } else {
      this.deps.writer.add(c.chunk, c.slot, c.length, c.coding);
    }
  }

  /** A segment the chain vouches for: its chunks become known. Returns the previous segment's hash it names. */
  private take(index: number, bytes: Buffer): Buffer | undefined {
    const a = this.deps.announce;
    const k = a.segmentChunks!;
    let s;
    try {
      s = decodeSegment(bytes, { index, segmentChunks: k, chunkSize: a.chunkSize });
      if (index === 0 && !s.previous.equals(Buffer.alloc(HASH_SIZE))) throw new Error('segment: the first names a previous one');
      if (s.last && s.index * k + s.chunkHashes.length > a.chunkCount) throw new Error('segment: beyond the announced chunk bound');
    } catch (err) {
      // Vouched for by the sender's own ANNOUNCE, yet malformed: its stream is corrupt.
      this.deps.hooks.fail(new BlockcastError('EDIGEST', `The sender's manifest segment ${index} is malformed (${(err as Error).message})`));
      return undefined;
    }
    const first = index * k;
    this.deps.rx.expect(Stream.Image, Uint32Array.from(s.zero, (z) => (z ? NOT_SENT : 0)), first);
    if (s.last) {
      // Nothing past the end is ever sent.
      const end = first + s.chunkHashes.length;
      if (end < a.chunkCount) this.deps.rx.expect(Stream.Image, new Uint32Array(a.chunkCount - end).fill(NOT_SENT), end);
      if (index + 1 < this.segmentCount) this.deps.rx.expect(Stream.Manifest, new Uint32Array(this.segmentCount - index - 1).fill(NOT_SENT), index + 1);
      try {
        this.deps.output.sizeKnown?.(s.imageSize);
      } catch (err) {
        this.deps.hooks.fail(err as Error);
      }
    }
    this.catalog.add(s);
    this.deps.writer.grew();
    return s.previous;
  }
}

/** Opens the chunk side of a stream session: the slots, the in-order writer and the segment assembly. */
export function openStreamSide(deps: {
  rx: NativeReceiver;
  pool: ChunkPool;
  output: OrderedOutput;
  announce: Announce;
  opts: { maxBuffer: number; expectDigest?: string; sealed?: boolean };
  counters: AssemblyCounters;
  hooks: WriterHooks & StreamAssemblyHooks;
}): { slots: ChunkSlots; writer: OrderedWriter; assembly: StreamAssembly } {
  const { rx, hooks, opts } = deps;
  const slots = new ChunkSlots(rx, hooks.ended);
  const writer = new OrderedWriter({ rx, pool: deps.pool, output: deps.output, sealed: opts.sealed, expectDigest: opts.expectDigest, slots, counters: deps.counters, hooks });
  const assembly = new StreamAssembly({ rx, announce: deps.announce, maxBuffer: opts.maxBuffer, slots, writer, output: deps.output, hooks });
  return { slots, writer, assembly };
}

export type SideHooks = Parameters<typeof openChunkSide>[0]['hooks'];

/** The chunk side of an accepted session: a stream's (segments, in order to an output) or a file session's (openChunkSide). */
export function openSide(
  deps: Omit<Parameters<typeof openChunkSide>[0], 'target'> & { destination: Target | OrderedOutput },
): Omit<ChunkSide, 'assembly'> & { assembly: Pick<ChunkAssembly, 'manifestChunks' | 'haveManifest' | 'onChunk'>; stream?: StreamAssembly } {
  const { destination, ...rest } = deps;
  if (!isStream(deps.announce)) return openChunkSide({ ...rest, target: destination });
  const side = openStreamSide({ ...rest, output: destination as OrderedOutput });
  side.assembly.announced(deps.announce);
  return { ...side, stream: side.assembly };
}
