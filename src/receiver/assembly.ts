// The chunk side of a joined session: the native receiver set up for the
// sender's geometry, completed chunks taken from their slots, the manifest
// assembled and checked, and image chunks handed to the writer.
import { BlockcastError } from '../errors.js';
import { chunkCount, chunkLength } from '../image/geometry.js';
import { NOT_SENT, type NativeReceiver, type NativeReceiverBatch } from '../native/binding.js';
import { Coding, Stream } from '../protocol/constants.js';
import { hash } from '../protocol/hash.js';
import { decodeManifest, isZeroChunk, type Manifest } from '../protocol/manifest.js';
import type { Announce } from '../protocol/packets.js';
import type { ChunkPool } from '../image/pool.js';
import type { OrderedOutput } from '../image/output.js';
import type { Target } from '../image/target.js';
import { OrderedWriter, type ChunkWriter } from './ordered-writer.js';
import { ChunkSlots } from './slots.js';
import type { AssemblyCounters } from './stats.js';
import type { Journal } from './journal.js';
import { ImageWriter, type ResumeFrom, type WriterHooks } from './writer.js';

/**
 * Slots only the manifest may start a chunk in while it is incomplete (the
 * native receiver keeps them): a quarter of all, at most one per manifest
 * chunk, at least one. Image chunks, early or forged, never take them all.
 */
export function manifestReserve(slotCount: number, manifestChunks: number): number {
  return Math.max(1, Math.min(manifestChunks, Math.floor(slotCount / 4)));
}

/**
 * Completed image chunks held before the manifest (they cannot be verified
 * before it): at most half the slots. Beyond that they are forgotten and
 * requested again once the manifest is known.
 */
export function preManifestCap(slotCount: number): number {
  return Math.floor(slotCount / 2);
}

export interface AssemblyHooks {
  fail(err: Error): void;
  warning(message: string): void;
  /** The manifest is assembled and checked. */
  manifest(m: Manifest): void;
}

export interface AssemblyDeps {
  rx: Pick<NativeReceiver, 'configure' | 'expect' | 'reopen'>;
  /** The ANNOUNCE the session was joined with: its geometry and manifest digest. */
  announce: Announce;
  /** Accept only an image with this digest (lower-case hex). */
  expectDigest?: string;
  maxBuffer: number;
  slots: ChunkSlots;
  writer: ChunkWriter;
  hooks: AssemblyHooks;
  counters: Pick<AssemblyCounters, 'preManifestDrops'>;
}

export class ChunkAssembly {
  private readonly manifestParts: (Buffer | undefined)[];
  private manifest?: Manifest;

  /** Sets the native receiver up for the sender's geometry and lends it the slots. */
  constructor(private readonly deps: AssemblyDeps) {
    const a = deps.announce;
    const manifestChunks = chunkCount(a.manifestSize, a.chunkSize);
    this.manifestParts = new Array(manifestChunks);
    const slotCount = ChunkSlots.countFor(a.chunkSize, deps.maxBuffer);
    deps.rx.configure({
      manifestReserve: manifestReserve(slotCount, manifestChunks),
      session: a.session,
      symbolSize: a.symbolSize,
      stripeSize: a.stripeSize,
      streams: [
        { chunkCount: a.chunkCount, maxLength: a.chunkSize },
        { chunkCount: manifestChunks, maxLength: a.chunkSize },
      ],
    });
    // Manifest chunks travel raw, so their lengths are known; image chunks'
    // are learnt from their symbols (and zero chunks from the manifest).
    deps.rx.expect(Stream.Manifest, Uint32Array.from({ length: manifestChunks }, (_, c) => chunkLength(a.manifestSize, a.chunkSize, c)));
    deps.slots.create(a.chunkSize, deps.maxBuffer);
  }

  get manifestChunks(): number {
    return this.manifestParts.length;
  }

  get haveManifest(): boolean {
    return this.manifest !== undefined;
  }

  /** A chunk the native receiver completed in one of the slots. */
  onChunk(c: NativeReceiverBatch['chunks'][number]): void {
    const { rx, slots } = this.deps;
    if (c.stream === Stream.Manifest) {
      if (c.coding === Coding.Raw) this.onManifestChunk(c.chunk, Buffer.from(slots.buffer(c.slot).subarray(0, c.length)));
      else rx.reopen(Stream.Manifest, c.chunk); // the manifest always travels raw
      slots.lend(c.slot);
    } else if (!this.manifest && this.deps.writer.backlogged >= preManifestCap(slots.count)) {
      // Unverifiable until the manifest comes: hold no more of them.
      this.deps.counters.preManifestDrops++;
      rx.reopen(Stream.Image, c.chunk);
      slots.lend(c.slot);
    } else {
      this.deps.writer.add(c.chunk, c.slot, c.length, c.coding);
    }
  }

  private onManifestChunk(chunk: number, data: Buffer): void {
    if (this.manifest) return;
    const { announce, rx, hooks, expectDigest } = this.deps;
    this.manifestParts[chunk] = data;
    if (this.manifestParts.some((p) => p === undefined)) return;
    const bytes = Buffer.concat(this.manifestParts as Buffer[]);
    try {
      if (!hash(bytes).equals(announce.manifestDigest)) throw new Error('manifest digest does not match the announcement');
      const m = decodeManifest(bytes);
      if (m.imageSize !== announce.imageSize || m.chunkSize !== announce.chunkSize) throw new Error('manifest geometry differs from the announcement');
      if (expectDigest && m.imageDigest.toString('hex') !== expectDigest) {
        hooks.fail(new BlockcastError('EDIGEST', `The sender offers image ${m.imageDigest.toString('hex')}, not the expected ${expectDigest}; nothing was written`));
        return;
      }
      this.manifest = m;
    } catch (err) {
      // Corrupt in transit despite per-symbol checks: fetch it again.
      hooks.warning((err as Error).message);
      this.manifestParts.fill(undefined);
      for (let i = 0; i < this.manifestParts.length; i++) rx.reopen(Stream.Manifest, i);
      return;
    }
    const m = this.manifest;
    const count = m.chunkHashes.length;
    rx.expect(Stream.Image, Uint32Array.from({ length: count }, (_, c) => (isZeroChunk(m, c) ? NOT_SENT : 0)));
    hooks.manifest(m);
    this.deps.writer.start(m);
  }
}

/** The chunk side of a session: the slots, the writer and the assembly that feeds it. */
export interface ChunkSide {
  slots: ChunkSlots;
  writer: ChunkWriter;
  assembly: ChunkAssembly;
}

/** Opens the chunk side for an accepted session on an opened target: a file or device (written at offsets) or an ordered output (in order). */
export function openChunkSide(deps: {
  rx: NativeReceiver;
  pool: ChunkPool;
  target: Target | OrderedOutput;
  announce: Announce;
  opts: { maxBuffer: number; expectDigest?: string; targetZeroed: boolean; sealed?: boolean };
  counters: AssemblyCounters;
  hooks: WriterHooks & AssemblyHooks;
  /** A target written at offsets: its resume journal, and what to keep of an interrupted run. */
  resume?: { journal?: Journal; from?: ResumeFrom };
}): ChunkSide {
  const { rx, hooks, opts } = deps;
  const slots = new ChunkSlots(rx, hooks.ended);
  const { target } = deps;
  const writer =
    'write' in target
      ? new OrderedWriter({ rx, pool: deps.pool, output: target, sealed: opts.sealed, slots, counters: deps.counters, hooks })
      : new ImageWriter(
          { rx, pool: deps.pool, target, targetZeroed: opts.targetZeroed, sealed: opts.sealed, slots, counters: deps.counters, hooks, journal: deps.resume?.journal, resume: deps.resume?.from },
          deps.announce.chunkCount,
        );
  const assembly = new ChunkAssembly({ rx, announce: deps.announce, expectDigest: opts.expectDigest, maxBuffer: opts.maxBuffer, slots, writer, hooks, counters: deps.counters });
  return { slots, writer, assembly };
}
