// Sealing of the packets TypeScript sends and reads (every type but DATA,
// which the native engines seal): the body is additional data, the
// plaintext is empty, so a sealed control packet is its body, then
// `seq u64 ‖ tag` (docs/SECURITY.md). The addon's core/seal does the
// cryptography, the same code that seals DATA (Node's crypto has no AEGIS).
import { native } from '../native/binding.js';
import { CommonHeader, Cipher, HeaderFlag, REPLAY_WINDOW_CONTROL, SEAL_KEY_SIZE, SEAL_TRAILER_SIZE } from '../protocol/wire.js';
import { addHeaderFlags, headerFlags } from '../protocol/header.js';
import { readTrailer } from '../protocol/peek.js';
import { ReplayWindow } from './replay-window.js';

const CIPHERS: ReadonlySet<number> = new Set(Object.values(Cipher).filter((c) => c !== Cipher.None));
let runnable: ReadonlySet<number> | undefined;

export function isCipher(cipher: number): boolean {
  return CIPHERS.has(cipher);
}

/** Whether this build and CPU can run `cipher` (AEGIS needs AES instructions; see native.seal.ciphers()). */
export function canRun(cipher: number): boolean {
  runnable ??= new Set(native.seal.ciphers());
  return runnable.has(cipher);
}

/** One key and nonce origin of a cipher: what Sealer and Opener share. */
abstract class OriginKey {
  constructor(
    protected readonly cipher: number,
    protected readonly key: Buffer,
    protected readonly origin: number,
  ) {
    if (key.length !== SEAL_KEY_SIZE) throw new Error(`a seal key is ${SEAL_KEY_SIZE} bytes`);
    if (!isCipher(cipher)) throw new Error(`unknown cipher ${cipher}`);
    if (!canRun(cipher)) throw new Error(`cipher ${cipher} cannot run on this machine`);
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
    native.seal.seal(this.cipher, this.key, this.origin, seq, out, body.length);
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
    const { start: end, seq } = readTrailer(packet)!; // long enough: checked above
    if (!this.window.fresh(seq)) return 'replayed';
    // The whole body is additional data: nothing is decrypted, the packet is left as it came.
    if (native.seal.open(this.cipher, this.key, this.origin, packet, end) !== seq) return 'forged';
    this.window.mark(seq);
    return 'ok';
  }
}
