// Sealing of the packets TypeScript sends and reads (every type but DATA,
// which the native engines seal): the body is additional data, the
// plaintext is empty, so a sealed control packet is its body, then
// `seq u64 ‖ tag` (docs/SECURITY.md). Node's crypto implements the same
// AEADs as the native engines (OpenSSL EVP or libsodium); a test seals on one side and
// opens on the other.
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import { CommonHeader, Cipher, HeaderFlag, REPLAY_WINDOW_CONTROL, SEAL_KEY_SIZE, SEAL_NONCE_SIZE, SEAL_TAG_SIZE, SEAL_TRAILER_SIZE } from '../protocol/wire.js';
import { addHeaderFlags, headerFlags } from '../protocol/header.js';
import { readTrailer, writeTrailer } from '../protocol/peek.js';
import { ReplayWindow } from './replay-window.js';


const ALGORITHM: Readonly<Record<number, CipherGCMTypes | 'chacha20-poly1305'>> = {
  [Cipher.Aes256Gcm]: 'aes-256-gcm',
  [Cipher.ChaCha20Poly1305]: 'chacha20-poly1305',
};

export function isCipher(cipher: number): boolean {
  return ALGORITHM[cipher] !== undefined;
}

function nonce(origin: number, seq: number): Buffer {
  const n = Buffer.alloc(SEAL_NONCE_SIZE);
  n.writeUInt32LE(origin >>> 0, 0);
  n.writeBigUInt64LE(BigInt(seq), 4);
  return n;
}

function algorithm(cipher: number): CipherGCMTypes | 'chacha20-poly1305' {
  const a = ALGORITHM[cipher];
  if (!a) throw new Error(`unknown cipher ${cipher}`);
  return a;
}

/** One key and nonce origin of a cipher: what Sealer and Opener share. */
abstract class OriginKey {
  private readonly algorithm: 'chacha20-poly1305';

  constructor(
    cipher: number,
    private readonly key: Buffer,
    private readonly origin: number,
  ) {
    if (key.length !== SEAL_KEY_SIZE) throw new Error(`a seal key is ${SEAL_KEY_SIZE} bytes`);
    // Both AEADs take the same calls; the type names one of them for TypeScript's overloads.
    this.algorithm = algorithm(cipher) as 'chacha20-poly1305';
  }

  protected cipherFor(seq: number) {
    return createCipheriv(this.algorithm, this.key, nonce(this.origin, seq), { authTagLength: SEAL_TAG_SIZE });
  }

  protected decipherFor(seq: number) {
    return createDecipheriv(this.algorithm, this.key, nonce(this.origin, seq), { authTagLength: SEAL_TAG_SIZE });
  }
}

/** Seals the packets of one key and origin, counting nonces from 0. */
export class Sealer extends OriginKey {
  private seq = 0;

  /** Whether it has sealed anything: its key must then never get a fresh Sealer (the nonces would repeat). */
  get used(): boolean {
    return this.seq > 0;
  }

  /** `body` with the SEALED flag set, then seq and tag. */
  seal(body: Buffer): Buffer {
    const seq = this.seq++;
    const out = Buffer.alloc(body.length + SEAL_TRAILER_SIZE);
    body.copy(out);
    addHeaderFlags(out, HeaderFlag.Sealed);
    const c = this.cipherFor(seq);
    c.setAAD(out.subarray(0, body.length), { plaintextLength: 0 });
    c.final();
    writeTrailer(out, body.length, seq, c.getAuthTag());
    return out;
  }
}

/** Opens the packets of one key and origin, dropping replays. */
export class Opener extends OriginKey {
  private readonly window = new ReplayWindow(REPLAY_WINDOW_CONTROL);

  /**
   * 'ok' when `packet` carries SEALED, a tag that verifies and a seq not
   * seen before (then marked); else why not. The caller decodes only
   * after 'ok'.
   */
  open(packet: Buffer): 'ok' | 'unsealed' | 'forged' | 'replayed' {
    if (packet.length < CommonHeader.size + SEAL_TRAILER_SIZE || !(headerFlags(packet) & HeaderFlag.Sealed)) return 'unsealed';
    const { start: end, seq, tag } = readTrailer(packet)!; // long enough: checked above
    if (!this.window.fresh(seq)) return 'replayed';
    const d = this.decipherFor(seq);
    d.setAAD(packet.subarray(0, end), { plaintextLength: 0 });
    d.setAuthTag(tag);
    try {
      d.final();
    } catch {
      return 'forged';
    }
    this.window.mark(seq);
    return 'ok';
  }
}
