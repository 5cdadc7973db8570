// The common header every packet starts with: is it ours, which type, and
// what its flags say about the bytes after the body (a signature, a sealed
// trailer). The one place that reads or sets the flags: packets.ts decodes
// bodies by it, src/security signs and seals through it.
import { readFields } from './fields.js';
import { COMMON_HEADER_SIZE, CommonHeader, HeaderFlag, MAGIC, PacketType, SEAL_TRAILER_SIZE, SIGNATURE_SIZE, VERSION, offsetOf } from './wire.js';

const FLAGS_OFFSET = offsetOf(CommonHeader, 'flags');
const TYPE_OFFSET = offsetOf(CommonHeader, 'type');

/** Header flags each packet type may carry; any other bit makes it malformed. */
const ALLOWED_FLAGS: Readonly<Record<number, number>> = {
  [PacketType.Data]: HeaderFlag.Sealed | HeaderFlag.Encrypted,
  [PacketType.Announce]: HeaderFlag.Sealed | HeaderFlag.Signed,
  [PacketType.Ack]: HeaderFlag.Sealed | HeaderFlag.Signed,
  [PacketType.Status]: HeaderFlag.Sealed,
  [PacketType.Nack]: HeaderFlag.Sealed,
  [PacketType.RepairAdv]: HeaderFlag.Sealed,
};

/** The header's flags (0 for a buffer too short to hold them). */
export function headerFlags(b: Buffer): number {
  return b.length >= FLAGS_OFFSET + 2 ? b.readUInt16LE(FLAGS_OFFSET) : 0;
}

/** Sets `flags` in the header of `b` (in place), keeping those already set. */
export function addHeaderFlags(b: Buffer, flags: number): void {
  b.writeUInt16LE(headerFlags(b) | flags, FLAGS_OFFSET);
}

/** The type byte as it stands, unchecked (-1 when absent): for choosing a key before the tag is checked. */
export function rawType(b: Buffer): number {
  return b.length > TYPE_OFFSET ? b[TYPE_OFFSET]! : -1;
}

/** Bytes of the sealed trailer at the end of a packet (0 unless SEALED). */
export function trailerSize(b: Buffer): number {
  return headerFlags(b) & HeaderFlag.Sealed ? SEAL_TRAILER_SIZE : 0;
}

/** Bytes of the signature before the trailer (0 unless SIGNED). */
export function signatureSize(b: Buffer): number {
  return headerFlags(b) & HeaderFlag.Signed ? SIGNATURE_SIZE : 0;
}

/** Returns the packet type if the common header is valid (flags legal for the type, room for trailer and signature), else null. */
export function packetType(buf: Buffer): number | null {
  const h = readFields(CommonHeader, buf);
  if (!h || h.magic !== MAGIC || h.version !== VERSION) return null;
  const allowed = ALLOWED_FLAGS[h.type];
  if (allowed === undefined || (h.flags & ~allowed) !== 0) return null;
  if (h.flags & HeaderFlag.Encrypted && !(h.flags & HeaderFlag.Sealed)) return null;
  if (buf.length < COMMON_HEADER_SIZE + trailerSize(buf) + signatureSize(buf)) return null;
  return h.type;
}
