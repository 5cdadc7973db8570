// The key options of send and receive, checked once: a group key of the
// right size, and a cipher this build and CPU can run natively.
import type { KeyObject } from 'node:crypto';
import { BlockcastError } from '../errors.js';
import { native } from '../native/binding.js';
import { Cipher, SEAL_KEY_SIZE } from '../protocol/wire.js';
import type { ReceiverKeys, SenderKeys } from './session-keys.js';

/** Cipher names as the CLI takes them. */
export const CIPHER_NAMES: Readonly<Record<string, number>> = {
  'aegis-256': Cipher.Aegis256,
  'aes-256-gcm': Cipher.Aes256Gcm,
  'chacha20-poly1305': Cipher.ChaCha20Poly1305,
};

export function cipherName(cipher: number): string {
  return Object.entries(CIPHER_NAMES).find(([, v]) => v === cipher)?.[0] ?? `cipher ${cipher}`;
}

function checkGroupKey(groupKey: Buffer | undefined): void {
  if (groupKey !== undefined && (!Buffer.isBuffer(groupKey) || groupKey.length !== SEAL_KEY_SIZE)) {
    throw new BlockcastError('EINVALIDOPTION', `Expected a ${SEAL_KEY_SIZE}-byte Buffer for groupKey`);
  }
}

/** The default cipher is the first of these the machine runs: fastest first per packet (bench/RESULTS.md, issue 16). */
const PREFERENCE: readonly number[] = [Cipher.Aegis256, Cipher.Aes256Gcm, Cipher.ChaCha20Poly1305];

/**
 * A cipher the native engines can run here; by default the fastest this CPU runs: AEGIS-256 where
 * libaegis has its hardware code, else AES-256-GCM with AES-NI, else ChaCha20-Poly1305.
 */
export function checkCipher(cipher: number | undefined): number {
  const available = native.seal.ciphers();
  if (available.length === 0) throw new BlockcastError('EINVALIDOPTION', 'sealed sessions (--group-key) need a CPU with AES instructions (for AEGIS) or a build of the native addon with OpenSSL libcrypto or libsodium (install libssl-dev or libsodium-dev and rebuild)');
  if (cipher === undefined) return PREFERENCE.find((c) => available.includes(c))!;
  if (!available.includes(cipher)) {
    throw new BlockcastError('EINVALIDOPTION', `${cipherName(cipher)} is not available on this machine (available: ${available.map(cipherName).join(', ')})`);
  }
  return cipher;
}

export function resolveSenderKeys(keys: SenderKeys | undefined): SenderKeys {
  if (!keys) return {};
  checkGroupKey(keys.groupKey);
  if (keys.signKey && keys.signKey.asymmetricKeyType !== 'ed25519') throw new BlockcastError('EINVALIDOPTION', 'Expected an Ed25519 private key for signKey');
  return keys.groupKey ? { ...keys, cipher: checkCipher(keys.cipher), encryptData: keys.encryptData ?? true } : { ...keys, cipher: Cipher.None };
}

export function resolveReceiverKeys(keys: ReceiverKeys | undefined): ReceiverKeys {
  if (!keys) return {};
  checkGroupKey(keys.groupKey);
  for (const k of keys.trusted ?? []) if ((k as KeyObject).asymmetricKeyType !== 'ed25519') throw new BlockcastError('EINVALIDOPTION', 'Expected Ed25519 public keys for trusted');
  if (keys.groupKey && native.seal.ciphers().length === 0) checkCipher(undefined);
  return keys;
}
