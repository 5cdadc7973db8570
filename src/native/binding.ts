// Loads the addon (a local cmake-js build, else the package's prebuild) and
// types its surface. Options passed in are flat and fully defaulted:
// TypeScript validates, C++ trusts.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { BlockcastError } from '../errors.js';

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
  /** How `data` is coded (a Coding value); every symbol carries it. */
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
  /** The local queue (qdisc) was full (ENOBUFS through IP_RECVERR): waits before sending again, and datagrams given up on. */
  queueFullWaits: number;
  localDrops: number;
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
  /** Rate discovery: DATA bytes taken (as they travelled), and datagrams the sender sent meanwhile by DATA seq. */
  dataBytes: number;
  sequenced: number;
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
  /** Marks a chunk complete without receiving it (the target already holds it); reopen() undoes it. */
  hold(stream: number, chunk: number): void;
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

/** One verified write's result (NativeChunkWriter). */
export interface NativeWriteResult {
  id: number;
  /** written; verified (a verify job's bytes matched); mismatch (hash differs); undecodable (the wire bytes are not a chunk of rawLength bytes); io (pwrite failed). */
  outcome: 'written' | 'verified' | 'mismatch' | 'undecodable' | 'io';
  /** io: the errno. */
  errno: number;
  /** written: the raw bytes' BLAKE3; mismatch, undecodable: the wire bytes'. */
  digest: Buffer;
  message: string;
}

export interface NativeChunkWriter {
  /**
   * Decodes `wire` (coded as `coding`) to `rawLength` bytes on a native thread, checks their BLAKE3 against
   * `expected` and pwrites them at `offset` of `fd` only if they match. `wire` must not change until the result
   * with this `id` arrives.
   */
  write(id: number, wire: Uint8Array, coding: number, rawLength: number, expected: Uint8Array, fd: number, offset: number): void;
  /**
   * Decodes `wire` into `out` (a raw chunk is hashed where it lies) and checks the raw bytes against `expected`;
   * writes nothing. Neither buffer may change until the result with this `id` arrives ('verified': `out` holds
   * a coded chunk's raw bytes). `out` must not overlap `wire`.
   */
  verify(id: number, wire: Uint8Array, coding: number, rawLength: number, expected: Uint8Array, out: Uint8Array): void;
  /** Finishes the writes under way, drops queued ones (their results never come) and stops the threads. */
  close(): void;
}

export interface NativeChunk {
  /**
   * `direct`: write chunks aligned to 4 KiB (offset and length) through an O_DIRECT descriptor of the target, without
   * a copy into the page cache; falls back to buffered writes where the kernel refuses it.
   */
  ChunkWriter: new (threads: number, onResults: (results: NativeWriteResult[]) => void, direct?: boolean) => NativeChunkWriter;
  /** BLAKE3-256 through the official C implementation. */
  blake3(data: Uint8Array): Buffer;
  /** Whether ChunkWriter decodes this coding (raw always; LZ4 with liblz4). */
  decodes(coding: number): boolean;
}

export interface NativeAddon {
  /** Verified chunk writes on native threads, for receivers. */
  chunk: NativeChunk;
  Sender: new (options: NativeSenderOptions, onJobsDone: (done: { id: number; errno: number }[]) => void) => NativeSender;
  Receiver: new (options: NativeReceiverOptions, onBatch: (batch: NativeReceiverBatch) => void) => NativeReceiver;
  wire: NativeWireConstants;
  fec: NativeFec;
  fs: NativeFs;
  /** liblz4, when the addon was built with it; the workers fall back to lz4-napi. */
  lz4?: NativeLz4;
  /** libzstd, when the addon was built with it; without it zstd-coded chunks can be neither made nor read. */
  zstd?: NativeZstd;
  /** core/seal, for the packets TypeScript seals and opens. */
  seal: NativeSeal;
  /** The libraries this build uses, by role (fec: "isa-l 2.30.0" or "portable"; lz4; seal: "OpenSSL 3.0.17"); a role without one is absent. */
  versions: NativeVersions;
  /** Makes glibc give large freed blocks back to the system at once (see addon.cc); false where unsupported. */
  tuneMalloc(): boolean;
}

export interface NativeSeal {
  /**
   * The seal ciphers (Cipher ids) this build and CPU support, in id order: AEGIS only with the
   * CPU's AES instructions, AES-256-GCM only with AES-NI, neither of those two without OpenSSL libcrypto or libsodium.
   */
  ciphers(): number[];
  /** Seals `packet` in place: aadLength bytes of additional data, the bytes to encrypt, room for the trailer. */
  seal(cipher: number, key: Buffer, origin: number, seq: number, packet: Buffer, aadLength: number): void;
  /** The trailer's seq when the tag verifies (the bytes after the additional data decrypted in place), else -1. */
  open(cipher: number, key: Buffer, origin: number, packet: Buffer, aadLength: number): number;
}

export interface NativeVersions {
  fec: string;
  lz4?: string;
  seal?: string;
  [library: string]: string | undefined;
}

export interface NativeLz4 {
  backend: string;
  /** Writes the raw size (u32 LE) and an LZ4 block of `src` to `dst`; bytes written, 0 if it does not fit. */
  compress(src: Buffer, dst: Buffer): number;
  /** Decodes such a block into `dst`, whose length must be the stated raw size; bytes written, or -1 if malformed. */
  decompress(src: Buffer, dst: Buffer): number;
}

export interface NativeZstd {
  backend: string;
  /** The levels `compress` accepts. */
  minLevel: number;
  maxLevel: number;
  /** Writes one zstd frame of `src` (stating its size) to `dst`; bytes written, 0 if it does not fit. */
  compress(src: Buffer, dst: Buffer, level: number): number;
  /** Decodes one frame into `dst`, whose length must be the size the frame states and decodes to; dst.length, or -1 if anything differs. */
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
  /** Sets O_NONBLOCK on the fd's file description: 0, or -errno (absent from an addon built before it). */
  setNonBlocking?(fd: number): number;
}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Where the addon may be, in the order tried: BLOCKCAST_ADDON_PATH alone when set (another build, such as the
 * sanitizer build of scripts/fuzz-asan.sh); else a local compile (build/Release, by `npm ci` or cmake-js), then the
 * prebuilt addon of this platform shipped in the npm package (prebuilds/linux-x64, its libraries beside it).
 */
export function addonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.BLOCKCAST_ADDON_PATH) return [env.BLOCKCAST_ADDON_PATH];
  return [
    path.join(packageRoot, 'build', 'Release', 'blockcast_native.node'),
    path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'blockcast_native.node'),
  ];
}

/** The first candidate that loads; the error names every one tried and why it failed. */
export function loadAddon(candidates: string[]): { addon: NativeAddon; path: string } {
  const load = createRequire(import.meta.url);
  const failures: string[] = [];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) {
      failures.push(`${candidate}: not found`);
      continue;
    }
    try {
      return { addon: load(candidate) as NativeAddon, path: candidate };
    } catch (err) {
      // dlopen's message names the file already.
      const why = (err as Error).message.split('\n')[0]!.replace(`${candidate}: `, '');
      failures.push(`${candidate}: ${why}`);
    }
  }
  throw new BlockcastError(
    'ENATIVE',
    `no blockcast native addon loads on ${process.platform}-${process.arch}; tried:\n  ${failures.join('\n  ')}\n` +
      `compile one with \`node ${path.join(packageRoot, 'scripts', 'install.mjs')}\` (needs cmake and a C++17 compiler; see README, "Install")`,
  );
}

const loaded = loadAddon(addonCandidates());
/** The file the addon was loaded from. */
export const addonPath: string = loaded.path;
export const native: NativeAddon = loaded.addon;
