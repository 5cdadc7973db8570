// Fields read before a packet's tag is checked, to choose the key that
// checks it, and the sealed trailer's sequence number: unchecked reads of
// raw bytes, each bounds-checked here so that src/security reads no offset
// of its own (docs/PROTOCOL.md, docs/SECURITY.md).
import { AnnounceBody, NONCE_SIZE, SEAL_SEQ_SIZE, SEAL_TRAILER_SIZE, StatusFixed, offsetOf } from './wire.js';

const SALT_OFFSET = offsetOf(AnnounceBody, 'salt');
const CIPHER_OFFSET = offsetOf(AnnounceBody, 'cipher');
const STATUS_NONCE_OFFSET = offsetOf(StatusFixed, 'nonce');
const RECEIVER_ID_OFFSET = offsetOf(StatusFixed, 'receiverId'); // the same offset in NACK

/** A STATUS's join nonce, if the packet (sealed: with its trailer) is long enough to hold it. */
export function peekStatusNonce(packet: Buffer): Buffer | undefined {
  if (packet.length < STATUS_NONCE_OFFSET + NONCE_SIZE + SEAL_TRAILER_SIZE) return undefined;
  return packet.subarray(STATUS_NONCE_OFFSET, STATUS_NONCE_OFFSET + NONCE_SIZE);
}

/** The receiver id of a STATUS or NACK, if the packet holds it. */
export function peekReceiverId(packet: Buffer): number | undefined {
  return packet.length >= RECEIVER_ID_OFFSET + 4 ? packet.readUInt32LE(RECEIVER_ID_OFFSET) : undefined;
}

/** An ANNOUNCE's per-run salt and cipher, if the packet holds them. */
export function peekAnnounceKeys(packet: Buffer): { salt: Buffer; cipher: number } | undefined {
  if (packet.length < SALT_OFFSET + NONCE_SIZE || packet.length <= CIPHER_OFFSET) return undefined;
  return { salt: packet.subarray(SALT_OFFSET, SALT_OFFSET + NONCE_SIZE), cipher: packet[CIPHER_OFFSET]! };
}

/** A sealed packet's trailer: where it starts, its seq (-1 beyond 2^53), and its tag. Undefined if too short. */
export function readTrailer(packet: Buffer): { start: number; seq: number; tag: Buffer } | undefined {
  if (packet.length < SEAL_TRAILER_SIZE) return undefined;
  const start = packet.length - SEAL_TRAILER_SIZE;
  const big = packet.readBigUInt64LE(start);
  return { start, seq: big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : -1, tag: packet.subarray(start + SEAL_SEQ_SIZE) };
}
