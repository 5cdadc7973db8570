// Chunk coding 1: an LZ4 block preceded by its raw size (u32 LE). liblz4 in
// the native addon when it was built with it (several times faster, see
// native/src/lz4_js.cc), else lz4-napi; both read and write the same bytes.
import { createRequire } from 'node:module';
import { native } from '../native/binding.js';
import { readFields } from '../protocol/fields.js';
import { Lz4Prefix } from '../protocol/wire.js';

// lz4-napi only where the addon has no liblz4: loaded on first use, not in
// every process's start-up (~0.06 CPU s).
const require = createRequire(import.meta.url);
const lz4Napi = (): typeof import('lz4-napi') => require('lz4-napi') as typeof import('lz4-napi');

/** The LZ4 implementation chunk workers use. */
export const lz4Backend: string = native.lz4?.backend ?? 'lz4-napi';

/**
 * The LZ4-coded chunk if it is shorter than `raw`, else undefined (the chunk
 * goes raw). `scratch` must hold at least raw.length bytes; the result is a
 * buffer of its own, fit to be moved to another thread.
 */
export async function lz4Shrink(raw: Buffer, scratch: Buffer): Promise<Buffer | undefined> {
  if (native.lz4) {
    const n = native.lz4.compress(raw, scratch.subarray(0, Math.max(0, raw.length - 1)));
    if (n === 0) return undefined;
    const out = Buffer.allocUnsafeSlow(n);
    scratch.copy(out, 0, 0, n);
    return out;
  }
  // lz4-napi's async API: compressSync's outputs are not given back to the
  // system (RSS grew by ~450 KB per chunk), compress's are.
  const packed = await lz4Napi().compress(raw);
  return packed.length < raw.length ? packed : undefined;
}

/**
 * Decodes an LZ4-coded chunk of `rawLength` bytes, into `scratch` when the
 * native codec is there; returns the raw bytes, or why they cannot be had.
 */
export function lz4Expand(wire: Buffer, rawLength: number, scratch: Buffer): Buffer | string {
  // The block states its raw size: check it before decoding anything, so a
  // corrupt chunk cannot make the decoder allocate or write beyond it.
  if (readFields(Lz4Prefix, wire)?.rawLength !== rawLength) return 'LZ4 block states the wrong raw size';
  if (native.lz4) {
    const out = scratch.subarray(0, rawLength);
    return native.lz4.decompress(wire, out) === rawLength ? out : 'LZ4 block does not decode';
  }
  try {
    const raw = lz4Napi().uncompressSync(wire);
    return raw.length === rawLength ? raw : `LZ4 block decoded to ${raw.length} bytes, expected ${rawLength}`;
  } catch (err) {
    return `LZ4 block does not decode: ${(err as Error).message}`;
  }
}
