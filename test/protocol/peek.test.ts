// Unchecked reads before a tag is checked: each refuses a buffer too short
// to hold its field, and the sealed trailer round-trips.
import { describe, expect, it } from 'vitest';
import { peekAnnounceKeys, peekReceiverId, peekStatusNonce, readTrailer } from '../../src/protocol/peek.js';
import { encodeAnnounce, encodeStatus } from '../../src/protocol/packets.js';
import { Cipher, Phase, SEAL_TAG_SIZE, SEAL_TRAILER_SIZE } from '../../src/protocol/wire.js';
import { makeStatus } from '../helpers/status.js';

describe('peek', () => {
  it('reads a STATUS\'s receiver id and nonce, and nothing from a truncated one', () => {
    const nonce = Buffer.alloc(16, 9);
    const status = encodeStatus({ ...makeStatus(0x01020304, { nonce }), dataBytes: 0, sequenced: 0, clockMs: 0, imageDigest: Buffer.alloc(32) });
    const sealed = Buffer.concat([status, Buffer.alloc(SEAL_TRAILER_SIZE)]);
    expect(peekReceiverId(sealed)).toBe(0x01020304);
    expect(peekStatusNonce(sealed)?.equals(nonce)).toBe(true);
    expect(peekReceiverId(sealed.subarray(0, 8))).toBeUndefined();
    expect(peekStatusNonce(Buffer.alloc(20))).toBeUndefined();
  });

  it('reads an ANNOUNCE\'s salt and cipher, and nothing from a truncated one', () => {
    const salt = Buffer.alloc(16, 5);
    const a = encodeAnnounce({ session: 7, phase: Phase.Waiting, controlPort: 4000, imageSize: 1 << 20, chunkSize: 1 << 20, symbolSize: 1444, stripeSize: 0, chunkCount: 1, manifestSize: 97, progress: 0, rateKiB: 0, heartbeat: 0, manifestDigest: Buffer.alloc(32), groupSize: 0, nackBackoffMs: 0, cipher: Cipher.Aes256Gcm, salt });
    const keys = peekAnnounceKeys(a)!;
    expect(keys.salt.equals(salt)).toBe(true);
    expect(keys.cipher).toBe(Cipher.Aes256Gcm);
    expect(peekAnnounceKeys(a.subarray(0, 30))).toBeUndefined();
  });

  it('reads the sealed trailer (seq, then tag); a seq beyond 2^53 reads as -1', () => {
    const out = Buffer.alloc(10 + SEAL_TRAILER_SIZE);
    out.writeBigUInt64LE(12345n, 10);
    out.fill(7, 10 + SEAL_TRAILER_SIZE - SEAL_TAG_SIZE);
    const t = readTrailer(out)!;
    expect(t).toMatchObject({ start: 10, seq: 12345 });
    expect(t.tag.equals(Buffer.alloc(SEAL_TAG_SIZE, 7))).toBe(true);
    out.writeBigUInt64LE(2n ** 60n, 10);
    expect(readTrailer(out)!.seq).toBe(-1);
    expect(readTrailer(Buffer.alloc(SEAL_TRAILER_SIZE - 1))).toBeUndefined();
  });
});
