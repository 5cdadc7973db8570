// A receiver's verified writes on native threads (native/src/core/chunk_writer):
// decode, BLAKE3 and pwrite in one native job per chunk, results back in
// batches. Against the worker pool this saves, per chunk, a structured-clone
// message each way, a JS call into LZ4 and BLAKE3, and the workers' garbage.
import { errnoName } from '../errors.js';
import { native, type NativeChunkWriter, type NativeWriteResult } from '../native/binding.js';
import { Coding } from '../protocol/constants.js';
import type { UnpackVerifyResult, UnpackWriteResult } from './chunk.worker.js';

export interface VerifiedWrite {
  fd: number;
  offset: number;
  /** The chunk's memory; only read until the result comes, and never moved. */
  buffer: ArrayBuffer;
  /** Wire bytes at the start of `buffer`, and how they are coded. */
  length: number;
  coding: number;
  rawLength: number;
  expected: Buffer;
}

/** What a failed write's errno is called (ENOSPC, ...). */
function errnoCode(errno: number): string {
  return errnoName(errno).split(' ')[0]!;
}

/** A chunk to verify without writing it (an in-order receiver): `into` takes a coded chunk's raw bytes. */
export interface VerifyInto extends Omit<VerifiedWrite, 'fd' | 'offset'> {
  into: Buffer;
}

export class NativeWriter {
  private readonly writer: NativeChunkWriter;
  private readonly pending = new Map<number, { buffer: ArrayBuffer; resolve: (r: UnpackWriteResult) => void }>();
  private readonly verifying = new Map<number, { buffer: ArrayBuffer; coded: boolean; resolve: (r: UnpackVerifyResult) => void }>();
  private nextId = 1;

  /** `direct`: aligned chunks go to the target with O_DIRECT (no page-cache copy); see NativeChunk.ChunkWriter. */
  constructor(threads: number, direct = true) {
    this.writer = new native.chunk.ChunkWriter(threads, (results) => this.onResults(results), direct);
  }

  /** Whether this build decodes `coding` natively (else the worker pool must). */
  static decodes(coding: number): boolean {
    return native.chunk.decodes(coding);
  }

  /** Same contract as ChunkPool.unpackAndWrite, except that the buffer is never detached. */
  unpackAndWrite(t: VerifiedWrite): Promise<UnpackWriteResult> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { buffer: t.buffer, resolve });
      this.writer.write(id, new Uint8Array(t.buffer, 0, t.length), t.coding, t.rawLength, t.expected, t.fd, t.offset);
    });
  }

  /**
   * Same contract as ChunkPool.unpackAndVerify, except that the buffer is
   * never detached and a coded chunk is decoded into `t.into` (the result
   * says `decodedInto`), reused by the caller: no memory per chunk.
   */
  verifyInto(t: VerifyInto): Promise<UnpackVerifyResult> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.verifying.set(id, { buffer: t.buffer, coded: t.coding !== Coding.Raw, resolve });
      this.writer.verify(id, new Uint8Array(t.buffer, 0, t.length), t.coding, t.rawLength, t.expected, t.into);
    });
  }

  close(): void {
    this.writer.close();
    this.pending.clear();
    this.verifying.clear();
  }

  private onResults(results: NativeWriteResult[]): void {
    for (const r of results) {
      const v = this.verifying.get(r.id);
      if (v) {
        this.verifying.delete(r.id);
        if (r.outcome === 'verified') v.resolve({ ok: true, digest: r.digest, buffer: v.buffer, decodedInto: v.coded });
        else v.resolve({ ok: false, reason: r.outcome === 'undecodable' ? 'undecodable' : 'mismatch', message: r.message, wireDigest: r.digest, buffer: v.buffer });
        continue;
      }
      const p = this.pending.get(r.id);
      if (!p) continue;
      this.pending.delete(r.id);
      const buffer = p.buffer;
      switch (r.outcome) {
        case 'written':
        case 'verified':
          p.resolve({ ok: true, digest: r.digest, buffer });
          break;
        case 'mismatch':
        case 'undecodable':
          p.resolve({ ok: false, reason: r.outcome, message: r.message, wireDigest: r.digest, buffer });
          break;
        case 'io':
          p.resolve({ ok: false, reason: 'io', code: errnoCode(r.errno), message: `${errnoCode(r.errno)}: ${r.message}`, buffer });
          break;
      }
    }
  }
}
