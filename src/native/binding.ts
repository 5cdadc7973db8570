// Loads the addon built by cmake-js and types its surface. Options passed in
// are flat and fully defaulted: TypeScript validates, C++ trusts.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface NativeSenderOptions {
  group: string;
  port: number;
  interfaceAddress: string;
  ttl: number;
  loopback: boolean;
  socketBuffer: number;
  session: number;
  symbolSize: number;
  /** Sources per FEC stripe (0: no FEC). */
  stripeSize: number;
  gso: boolean;
  rateBytesPerSecond: number;
  /**
   * Sealed sessions (docs/SECURITY.md): the AEAD (Cipher.Aes256Gcm, Cipher.ChaCha20Poly1305; absent or 0: open)
   * and the sender's 32-byte DATA key. Every DATA packet then carries the 24-byte trailer, numbered from 0 by this
   * engine (nonce origin 0): never open two engines with one key.
   */
  sealCipher?: number;
  sealKey?: Buffer;
  /** Encrypt DATA payloads too (default true); false authenticates them only. */
  sealEncrypt?: boolean;
}

export interface NativeSendJob {
  id: number;
  stream: number;
  /** How `data` is coded (Coding.Raw, Coding.Lz4); every symbol carries it. */
  coding: number;
  chunk: number;
  data: Buffer;
  /** Source symbol ids to send; all of the chunk's symbols when neither this nor `parity` is given. */
  symbols?: Uint32Array;
  /** Repair symbol ids (protocol/symbols.ts repairSymbolId) to encode and send. */
  parity?: Uint32Array;
  /** Repairs go ahead of first-pass data. */
  urgent: boolean;
}

export interface NativeSenderStats {
  packets: number;
  bytes: number;
  batches: number;
  gsoBatches: number;
  sleeps: number;
  softErrors: number;
  /** Seconds the send thread waited with nothing queued. */
  idleSeconds: number;
  /** Seconds of pacing schedule given up because the thread ran late (or idle) beyond its banked credit. */
  forfeitSeconds: number;
  gsoDisabledErrno: number;
  socketBuffer: number;
  queuedJobs: number;
}

export interface NativeSender {
  send(job: NativeSendJob): void;
  sendControl(packet: Buffer): number;
  setRate(bytesPerSecond: number): void;
  stats(): NativeSenderStats;
  close(): void;
}

export interface NativeReceiverOptions {
  group: string;
  port: number;
  interfaceAddress: string;
  socketBuffer: number;
  flushMs: number;
  gro: boolean;
  /** Fault injection for tests: after this many DATA datagrams, drop the next `dropBurstCount` (0: off). */
  dropBurstStart: number;
  dropBurstCount: number;
}

export interface NativeReceiverConfig {
  session: number;
  symbolSize: number;
  /** Sources per FEC stripe (0: no FEC). */
  stripeSize: number;
  /** Per stream: its chunk count and the most bytes a chunk may hold on the wire. */
  streams: { chunkCount: number; maxLength: number }[];
  /** Free buffers only the manifest may start a chunk in while it is incomplete (default 0). */
  manifestReserve?: number;
}

/** In expect(): a chunk that is never sent (a zero chunk). */
export const NOT_SENT = 0xffffffff;

export interface NativeCompletedChunk {
  stream: number;
  chunk: number;
  /** Id of the provided buffer that now holds the chunk, which JS owns again. */
  slot: number;
  /** Bytes on the wire, and how they are coded. */
  length: number;
  coding: number;
}

export interface NativeControlPacket {
  data: Buffer;
  address: string;
  port: number;
}

export interface NativeReceiverBatch {
  chunks: NativeCompletedChunk[];
  controls: NativeControlPacket[];
}

export interface NativeReceiverStats {
  datagrams: number;
  dataPackets: number;
  payloadBytes: number;
  duplicates: number;
  malformed: number;
  foreign: number;
  early: number;
  noBuffer: number;
  chunksCompleted: number;
  controls: number;
  controlOverflow: number;
  /** Unchanged ANNOUNCEs not handed to JS (one a second still is). */
  repeatedAnnounces: number;
  groBatches: number;
  /** Datagrams the kernel dropped on this socket for want of buffer space (SO_RXQ_OVFL). */
  socketDrops: number;
  /** FEC repair symbols accepted, source symbols rebuilt from them, and stripes that failed to decode. */
  repairSymbols: number;
  decodedSymbols: number;
  decodeFailures: number;
  injectedDrops: number;
  /** Sealed sessions: DATA without a valid tag (or unsealed), DATA whose seq was seen or is below the replay window. */
  forged: number;
  replayed: number;
  /** Sealed DATA that arrived while no seal key was set (it cannot be read). */
  noKey: number;
  gro: boolean;
  socketBuffer: number;
  assembling: number;
  freeSlots: number;
  highestSeen: number[];
}

export interface NativeReceiver {
  configure(config: NativeReceiverConfig): void;
  /** Every chunk's wire length as far as JS knows it: 0 unknown, NOT_SENT never sent, else exact. */
  expect(stream: number, lengths: Uint32Array): void;
  /** The same for chunks [first, first + lengths.length) only (stream sessions, a segment at a time). */
  expect(stream: number, lengths: Uint32Array, first: number): void;
  /**
   * Flat entries [chunk, kind, count, a, b, ...] for incomplete chunks below `below`:
   * kind 1 = `count` runs (start, length) of missing sources; kind 2 = `count` (stripe, need) pairs;
   * kind 3 = nothing of the chunk has arrived and its wire length is unknown (count 0).
   */
  missing(stream: number, below: number, maxEntries: number): Uint32Array;
  reopen(stream: number, chunk: number): void;
  /** Lends a chunk-sized buffer for assembly; it comes back by id in a completed chunk. */
  provide(buffer: Buffer, id: number): void;
  /**
   * The sender's DATA key, once the session's key is derived (cipher 0: none). From then on only sealed DATA with a
   * valid tag is read; a new key starts a new replay window. Throws when this build or CPU lacks the cipher.
   */
  setSealKey(cipher: number, key?: Buffer): void;
  stats(): NativeReceiverStats;
  /** Writes [highest image chunk seen, highest manifest chunk seen, dropped datagrams, free buffers] into `out`: stats() without the allocation. */
  sample(out: Float64Array): void;
  close(): void;
}

/** Every wire constant of the generated native/src/core/wire.h, by its C name (kMagic, kOffChunk, kNackStripeNeeds, ...). */
export type NativeWireConstants = Record<string, number>;

export type FecBackend = 'isa-l' | 'portable';

export interface NativeFec {
  /** The backend the data path uses: ISA-L when it was found at build time. */
  backend: FecBackend;
  /** Parity symbols with the given parity indices for a stripe of equal-length sources. */
  encode(sources: Buffer[], parityIndices: number[], backend?: FecBackend): Buffer[];
  /** Rebuilds the `missing` sources from k symbols with generator rows `rows` (source i = row i, parity p = row k + p). */
  decode(have: Buffer[], rows: number[], missing: number[], backend?: FecBackend): Buffer[] | null;
}

export interface NativeAddon {
  Sender: new (options: NativeSenderOptions, onJobsDone: (done: { id: number; errno: number }[]) => void) => NativeSender;
  Receiver: new (options: NativeReceiverOptions, onBatch: (batch: NativeReceiverBatch) => void) => NativeReceiver;
  wire: NativeWireConstants;
  fec: NativeFec;
  fs: NativeFs;
  /** liblz4, when the addon was built with it; the workers fall back to lz4-napi. */
  lz4?: NativeLz4;
  /** The seal ciphers (Cipher ids) this build and CPU support: none without OpenSSL libcrypto or libsodium, no AES-256-GCM without AES-NI. */
  sealCiphers(): number[];
  /** Makes glibc give large freed blocks back to the system at once (see addon.cc); false where unsupported. */
  tuneMalloc(): boolean;
}

export interface NativeLz4 {
  backend: string;
  /** Writes the raw size (u32 LE) and an LZ4 block of `src` to `dst`; bytes written, 0 if it does not fit. */
  compress(src: Buffer, dst: Buffer): number;
  /** Decodes such a block into `dst`, whose length must be the stated raw size; bytes written, or -1 if malformed. */
  decompress(src: Buffer, dst: Buffer): number;
}

export interface NativeFs {
  /** Offset of the first data at or after `offset`, or -1 if only a hole follows. */
  seekData(fd: number, offset: number): number;
  /** Offset of the first hole at or after `offset` (end of file counts). */
  seekHole(fd: number, offset: number): number;
  /** Makes a range read as zeros, as cheaply as the target allows; errno 0 on success. */
  zeroRange(fd: number, offset: number, length: number, isBlockDevice: boolean): { errno: number; method: string };
  /** Grows a pipe's buffer towards `bytes` (F_SETPIPE_SZ): the new size, or -errno (not a pipe, refused). */
  growPipe(fd: number, bytes: number): number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
// Works from src/native (vitest) and dist/native (built CLI) alike.
// BLOCKCAST_ADDON_PATH loads another build (the sanitizer build of
// scripts/fuzz-asan.sh) without touching build/Release.
const addonPath = process.env.BLOCKCAST_ADDON_PATH || path.resolve(here, '..', '..', 'build', 'Release', 'blockcast_native.node');

export const native: NativeAddon = createRequire(import.meta.url)(addonPath) as NativeAddon;
