// Key files an admin generates once and puts into a node's boot image:
// an Ed25519 signing key pair (PEM, readable by `openssl pkey`) and a
// 256-bit group key. Private keys are refused when others can read them.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { statSync, readFileSync, writeFileSync } from 'node:fs';
import { BlockcastError } from '../errors.js';
import { SEAL_KEY_SIZE } from '../protocol/wire.js';

const PRIVATE_MODE = 0o600;

function keyError(file: string, problem: string, cause?: unknown): BlockcastError {
  return new BlockcastError('EKEY', `key file ${file}: ${problem}`, { cause });
}

function readKeyFile(file: string, secret: boolean): Buffer {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    throw keyError(file, `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err);
  }
  // A secret others can read is not a secret: refuse it, as ssh does.
  if (secret && (mode & 0o077) !== 0) throw keyError(file, `is readable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${file}`);
  try {
    return readFileSync(file);
  } catch (err) {
    throw keyError(file, `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err);
  }
}

/** Writes a file that must not exist yet (never overwrite a key), with `mode`. */
function writeNew(file: string, data: string, mode: number): void {
  try {
    writeFileSync(file, data, { mode, flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw keyError(file, code === 'EEXIST' ? 'already exists; remove it first (a key is never overwritten)' : `cannot write it (${code ?? (err as Error).message})`, err);
  }
}

/** `keygen PREFIX`: PREFIX.key (PKCS#8 PEM, 0600) and PREFIX.pub (SPKI PEM). */
export function generateSigningKeys(prefix: string): { privateFile: string; publicFile: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privateFile = `${prefix}.key`;
  const publicFile = `${prefix}.pub`;
  writeNew(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, PRIVATE_MODE);
  writeNew(publicFile, publicKey.export({ type: 'spki', format: 'pem' }) as string, 0o644);
  return { privateFile, publicFile };
}

/** `keygen --group-key FILE`: 32 random bytes, base64 on one line, 0600. */
export function generateGroupKey(file: string): void {
  writeNew(file, `${randomBytes(SEAL_KEY_SIZE).toString('base64')}\n`, PRIVATE_MODE);
}

export function loadSigningKey(file: string): KeyObject {
  const pem = readKeyFile(file, true);
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw keyError(file, 'is not a private key in PEM (make one with `blockcast keygen PREFIX`)', err);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw keyError(file, `is a ${key.asymmetricKeyType} key; blockcast signs with Ed25519`);
  return key;
}

export function loadTrustedKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(readKeyFile(file, false));
  } catch (err) {
    if (err instanceof BlockcastError) throw err;
    throw keyError(file, 'is not a public key in PEM (the .pub file `blockcast keygen` writes)', err);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw keyError(file, `is a ${key.asymmetricKeyType} key; blockcast verifies Ed25519 signatures`);
  return key;
}

/** A group key file: 32 bytes as base64 or 64 hex digits, one line. */
export function loadGroupKey(file: string): Buffer {
  const text = readKeyFile(file, true).toString('utf8').trim();
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== SEAL_KEY_SIZE || (!/^[0-9a-fA-F]{64}$/.test(text) && key.toString('base64') !== text)) {
    throw keyError(file, `does not hold a ${SEAL_KEY_SIZE * 8}-bit key as base64 or hex (make one with \`blockcast keygen --group-key FILE\`)`);
  }
  return key;
}
