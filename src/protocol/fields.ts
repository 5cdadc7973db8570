// Reads and writes one layout of wire.ts: the only code in TypeScript that
// touches a packet's fixed fields by offset. Values come back typed by the
// table (u8..u64 as numbers, hashes and nonces as Buffers).
import { type BytesFieldType, type FieldSpec, type Layout } from './wire.js';

/** A layout's values by field name; reserved fields are not values (always 0 on the wire). */
export type FieldValues<F extends readonly FieldSpec[]> = {
  -readonly [K in F[number] as K extends { reserved: string } ? never : K['name']]: K['type'] extends BytesFieldType ? Buffer : number;
};

/**
 * Writes `values` at `offset`. Reserved fields are written as 0 whatever is
 * given. A value out of its field's range throws: that is a bug in the
 * caller, which saturates where the protocol says so.
 */
export function writeFields<F extends readonly FieldSpec[]>(l: Layout<F>, buf: Buffer, values: FieldValues<F>, offset = 0): void {
  const v = values as Record<string, number | Buffer>;
  for (const f of l.fields) {
    const at = offset + f.offset;
    const x = f.reserved ? 0 : v[f.name];
    switch (f.type) {
      case 'u8':
        buf.writeUInt8(x as number, at);
        break;
      case 'u16':
        buf.writeUInt16LE(x as number, at);
        break;
      case 'u32':
        buf.writeUInt32LE(x as number, at);
        break;
      case 'u64':
        buf.writeBigUInt64LE(BigInt(Math.trunc(x as number)), at);
        break;
      case 'hash':
      case 'nonce':
        buf.fill(0, at, at + f.size);
        (x as Buffer).copy(buf, at, 0, f.size);
        break;
    }
  }
}

/**
 * Reads a layout at `offset`, or null when the buffer is too short or a
 * strict reserved field is not 0. u64 values above 2^53 come back inexact
 * (callers reject or saturate them); hashes are copies.
 */
export function readFields<F extends readonly FieldSpec[]>(l: Layout<F>, buf: Buffer, offset = 0): FieldValues<F> | null {
  if (offset < 0 || buf.length < offset + l.size) return null;
  const out: Record<string, number | Buffer> = {};
  for (const f of l.fields) {
    const at = offset + f.offset;
    let x: number | Buffer;
    switch (f.type) {
      case 'u8':
        x = buf.readUInt8(at);
        break;
      case 'u16':
        x = buf.readUInt16LE(at);
        break;
      case 'u32':
        x = buf.readUInt32LE(at);
        break;
      case 'u64':
        x = Number(buf.readBigUInt64LE(at));
        break;
      case 'hash':
      case 'nonce':
        x = Buffer.from(buf.subarray(at, at + f.size));
        break;
    }
    if (f.reserved === 'strict' && x !== 0) return null;
    if (!f.reserved) out[f.name] = x;
  }
  return out as FieldValues<F>;
}
