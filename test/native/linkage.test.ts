// The addon carries its own OpenSSL (static libcrypto) with every symbol
// hidden: Node exports OpenSSL 3 symbols of its own, and an exported or
// imported EVP_* in the addon could bind to Node's copy instead of ours (or
// ours shadow Node's). A shared libsodium (the fallback) clashes with nothing.
// Likewise the static libzstd: Node 23+ bundles a zstd of its own.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const addon = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'Release', 'blockcast_native.node');
const readelf = (flag: string): string => execFileSync('readelf', ['--wide', flag, addon], { encoding: 'utf8' });

describe('native addon linkage', () => {
  it('needs no shared libcrypto', () => {
    expect(readelf('--dynamic')).not.toMatch(/NEEDED.*\b(libcrypto|libssl)\./);
  });

  it('neither exports nor imports an OpenSSL symbol', () => {
    const names = readelf('--dyn-syms').split('\n').map((l) => l.trim().split(/\s+/)[7] ?? '');
    const openssl = names.filter((n) => /^(EVP_|OPENSSL_|CRYPTO_|ERR_|OSSL_|ossl_)/.test(n));
    expect(openssl).toEqual([]);
  });

  it('carries its own libzstd: no shared libzstd, no ZSTD_ symbol exported or imported (not even the weak trace hooks)', () => {
    expect(readelf('--dynamic')).not.toMatch(/NEEDED.*\blibzstd\./);
    const names = readelf('--dyn-syms').split('\n').map((l) => l.trim().split(/\s+/)[7] ?? '');
    expect(names.filter((n) => /^(ZSTD_|ZDICT_|HUF_|FSE_)/.test(n))).toEqual([]);
  });
});
