// Chunk coding 2: one zstd frame stating the chunk's raw length, from
// libzstd in the native addon (native/src/core/zstd_codec.cc). There is no
// JavaScript fallback: an addon built without libzstd can neither make nor
// read zstd chunks, and says so.
import { native } from '../native/binding.js';

/** The zstd implementation chunk workers use, or undefined when the addon has none. */
export const zstdBackend: string | undefined = native.zstd?.backend;

export const ZSTD_UNAVAILABLE = 'this build of blockcast has no zstd (its native addon was built without libzstd-dev)';

/**
 * The zstd-coded chunk if it is shorter than `raw`, else undefined (the
 * chunk goes raw). `scratch` must hold at least raw.length bytes; the result
 * is a buffer of its own, fit to be moved to another thread.
 */
export function zstdShrink(raw: Buffer, scratch: Buffer, level: number): Buffer | undefined {
  if (!native.zstd) throw new Error(ZSTD_UNAVAILABLE);
  const n = native.zstd.compress(raw, scratch.subarray(0, Math.max(0, raw.length - 1)), level);
  if (n === 0) return undefined;
  const out = Buffer.allocUnsafeSlow(n);
  scratch.copy(out, 0, 0, n);
  return out;
}

/**
 * Decodes a zstd-coded chunk of `rawLength` bytes into `scratch`; returns
 * the raw bytes, or why they cannot be had. The native decoder refuses
 * anything but one frame that states and decodes to exactly `rawLength`.
 */
export function zstdExpand(wire: Buffer, rawLength: number, scratch: Buffer): Buffer | string {
  if (!native.zstd) return `zstd-coded chunk, but ${ZSTD_UNAVAILABLE}`;
  const out = scratch.subarray(0, rawLength);
  if (out.length !== rawLength) return `zstd scratch of ${scratch.length} bytes is shorter than the chunk`;
  return native.zstd.decompress(wire, out) === rawLength ? out : `zstd frame is malformed or does not decode to ${rawLength} bytes`;
}
