// The key schedule of a sealed session (docs/SECURITY.md): HKDF-SHA256 from
// the group key, salted by the sender's per-run salt, one key for all the
// sender sends and one per receiver (named by its join nonce), so that no
// two parties ever count nonces under the same key.
import { hkdfSync } from 'node:crypto';
import { SEAL_KEY_SIZE } from '../protocol/wire.js';

const SENDER_INFO = Buffer.from('blockcast v3 sender');
const RECEIVER_INFO = Buffer.from('blockcast v3 receiver');

function hkdf(groupKey: Buffer, salt: Buffer, info: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', groupKey, salt, info, SEAL_KEY_SIZE));
}

/** The key of everything the sender of `session` sends. */
export function senderKey(groupKey: Buffer, salt: Buffer, session: number): Buffer {
  const id = Buffer.alloc(4);
  id.writeUInt32LE(session >>> 0);
  return hkdf(groupKey, salt, Buffer.concat([SENDER_INFO, id]));
}

/** The key of everything the receiver with join nonce `nonce` sends. */
export function receiverKey(groupKey: Buffer, salt: Buffer, nonce: Buffer): Buffer {
  return hkdf(groupKey, salt, Buffer.concat([RECEIVER_INFO, nonce]));
}
