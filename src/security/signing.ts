// Ed25519 signatures on the two packets that decide what a receiver trusts:
// ANNOUNCE (the session's geometry and manifest digest, its phase) and ACK
// (which echoes the receiver's fresh join nonce: signed together with the
// run's salt, it proves the trusted sender is live now). The signature
// covers the body with its final flags (SIGNED, and SEALED when the packet
// will be sealed), then, for ACK, the salt.
import { sign, verify, type KeyObject } from 'node:crypto';
import { addHeaderFlags, headerFlags, trailerSize } from '../protocol/header.js';
import { CommonHeader, HeaderFlag, SIGNATURE_SIZE } from '../protocol/wire.js';


/** `body` with SIGNED (and SEALED if `sealed`) set, then its signature over the body and `context`. */
export function signPacket(body: Buffer, key: KeyObject, sealed: boolean, context: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(body.length + SIGNATURE_SIZE);
  body.copy(out);
  addHeaderFlags(out, HeaderFlag.Signed | (sealed ? HeaderFlag.Sealed : 0));
  sign(null, Buffer.concat([out.subarray(0, body.length), context]), key).copy(out, body.length);
  return out;
}

/**
 * The trusted key whose signature `packet` carries (over its body and
 * `context`), or null: unsigned, too short, or no key verifies it.
 */
export function verifyPacket(packet: Buffer, trusted: readonly KeyObject[], context: Buffer = Buffer.alloc(0)): KeyObject | null {
  if (packet.length < CommonHeader.size || !(headerFlags(packet) & HeaderFlag.Signed)) return null;
  const end = packet.length - trailerSize(packet);
  const at = end - SIGNATURE_SIZE;
  if (at < CommonHeader.size) return null;
  const message = Buffer.concat([packet.subarray(0, at), context]);
  const signature = packet.subarray(at, end);
  for (const key of trusted) if (verify(null, message, key, signature)) return key;
  return null;
}
