// Sealing of the packets TypeScript sends and reads (every type but DATA,
// which the native engines seal): the body is additional data, the
// plaintext is empty, so a sealed control packet is its body, then
// `seq u64 ‖ tag` (docs/SECURITY.md). Node's crypto implements the same
// AEADs as the native engines (OpenSSL EVP or libsodium); a test seals on one side and
// opens on the other.
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import { CommonHeader, Cipher, HeaderFlag, REPLAY_WINDOW_CONTROL, SEAL_KEY_SIZE, SEAL_NONCE_SIZE, SEAL_SEQ_SIZE, SEAL_TAG_SIZE, SEAL_TRAILER_SIZE } from '../protocol/wire.js';
import { ReplayWindow } from './replay-window.js';

const FLAGS_OFFSET = CommonHeader.fields.find((f) => f.name === 'flags')!.offset;

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

/** Seals the packets of one key and origin, counting nonces from 0. */
export class Sealer {
  private seq = 0;

  constructor(
    private readonly cipher: number,
    private readonly key: Buffer,
    private readonly origin: number,
  ) {
    if (key.length !== SEAL_KEY_SIZE) throw new Error(`a seal key is ${SEAL_KEY_SIZE} bytes`);
    algorithm(cipher);
  }

  /** `body` with the SEALED flag set, then seq and tag. */
  seal(body: Buffer): Buffer {
    const seq = this.seq++;
    const out = Buffer.alloc(body.length + SEAL_TRAILER_SIZE);
    body.copy(out);
    out.writeUInt16LE(out.readUInt16LE(FLAGS_OFFSET) | HeaderFlag.Sealed, FLAGS_OFFSET);
    out.writeBigUInt64LE(BigInt(seq), body.length);
    const c = createCipheriv(algorithm(this.cipher) as 'chacha20-poly1305', this.key, nonce(this.origin, seq), { authTagLength: SEAL_TAG_SIZE });
    c.setAAD(out.subarray(0, body.length), { plaintextLength: 0 });
    c.final();
    c.getAuthTag().copy(out, body.length + SEAL_SEQ_SIZE);
    return out;
  }
}

/** Opens the packets of one key and origin, dropping replays. */
export class Opener {
  private readonly window = new ReplayWindow(REPLAY_WINDOW_CONTROL);

  constructor(
    private readonly cipher: number,
    private readonly key: Buffer,
    private readonly origin: number,
  ) {
    if (key.length !== SEAL_KEY_SIZE) throw new Error(`a seal key is ${SEAL_KEY_SIZE} bytes`);
    algorithm(cipher);
  }

  /**
   * 'ok' when `packet` carries SEALED, a tag that verifies and a seq not
   * seen before (then marked); else why not. The caller decodes only
   * after 'ok'.
   */
  open(packet: Buffer): 'ok' | 'unsealed' | 'forged' | 'replayed' {
    if (packet.length < CommonHeader.size + SEAL_TRAILER_SIZE || !(packet.readUInt16LE(FLAGS_OFFSET) & HeaderFlag.Sealed)) return 'unsealed';
    const end = packet.length - SEAL_TRAILER_SIZE;
    const big = packet.readBigUInt64LE(end);
    const seq = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : -1;
    if (!this.window.fresh(seq)) return 'replayed';
    const d = createDecipheriv(algorithm(this.cipher) as 'chacha20-poly1305', this.key, nonce(this.origin, seq), { authTagLength: SEAL_TAG_SIZE });
    d.setAAD(packet.subarray(0, end), { plaintextLength: 0 });
    d.setAuthTag(packet.subarray(end + SEAL_SEQ_SIZE));
    try {
      d.final();
    } catch {
      return 'forged';
    }
    this.window.mark(seq);
    return 'ok';
  }
}
