// The addon carries its own crypto library (static libcrypto or libsodium)
// with every symbol hidden: Node exports OpenSSL 3 symbols of its own, and
// an exported or imported EVP_* in the addon could bind to Node's copy
// instead of ours (or ours shadow Node's).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const addon = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'Release', 'blockcast_native.node');
const readelf = (flag: string): string => execFileSync('readelf', ['--wide', flag, addon], { encoding: 'utf8' });

describe('native addon linkage', () => {
  it('needs no shared libcrypto or libsodium', () => {
    expect(readelf('--dynamic')).not.toMatch(/NEEDED.*\b(libcrypto|libssl|libsodium)\./);
  });

  it('neither exports nor imports a crypto library symbol', () => {
    const names = readelf('--dyn-syms').split('\n').map((l) => l.trim().split(/\s+/)[7] ?? '');
    const crypto = names.filter((n) => /^(EVP_|OPENSSL_|CRYPTO_|ERR_|OSSL_|ossl_|sodium_|crypto_aead_)/.test(n));
    expect(crypto).toEqual([]);
  });
});
