// A receiver whose CPU or build cannot run the cipher a sealed session
// announces (AEGIS without AES instructions, or a peer's newer cipher)
// cannot verify it, so it must not join; but it says why when no session
// was joined, naming what it runs, rather than counting the sender's own
// announcements as forgeries. The addon is made to offer ChaCha20-Poly1305
// only, before anything in this file asks it.
import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { native } from '../../src/native/binding.js';
import { encodeAnnounce } from '../../src/protocol/packets.js';
import { addHeaderFlags } from '../../src/protocol/header.js';
import { Cipher, HeaderFlag, Phase, SEAL_TRAILER_SIZE } from '../../src/protocol/wire.js';
import { keyedVerifier } from '../../src/receiver/verifier.js';
import { ReceiverSecurity } from '../../src/security/session-keys.js';

vi.spyOn(native.seal, 'ciphers').mockReturnValue([Cipher.ChaCha20Poly1305]);

describe('a sealed session with a cipher this machine cannot run', () => {
  it('is refused as "cipher", and the explanation names the ciphers this machine runs', () => {
    const a = {
      session: 77, phase: Phase.Sending, controlPort: 4000, imageSize: 1 << 20, chunkSize: 1 << 20, symbolSize: 1444, stripeSize: 0, chunkCount: 1,
      manifestSize: 97, progress: 0, rateKiB: 0, heartbeat: 0, manifestDigest: Buffer.alloc(32, 1), groupSize: 1, nackBackoffMs: 0,
      cipher: Cipher.Aegis256, salt: randomBytes(16),
    };
    const body = encodeAnnounce(a);
    const packet = Buffer.concat([body, Buffer.alloc(SEAL_TRAILER_SIZE)]);
    addHeaderFlags(packet, HeaderFlag.Sealed);
    const security = new ReceiverSecurity({ groupKey: randomBytes(32) }, randomBytes(16));
    expect(security.openAnnounce(packet, 77)).toBe('cipher');
    const verifier = keyedVerifier(security);
    expect(verifier.acceptAnnounce(packet, { ...a, streamFlags: 0, segmentChunks: 0, segments: 0 }, '10.0.0.1')).toBe(false);
    expect(verifier.explain!()).toBe('; it refused 1 announcement(s): 1 sealed with a cipher this machine cannot run (it runs chacha20-poly1305; the sender can pick one with --cipher)');
  });
});
