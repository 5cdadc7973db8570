// `blockcast --version`: the package's version (from package.json, the one
// npm installed) and the libraries the native addon uses.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { native } from '../native/binding.js';
import { lz4Backend } from '../image/lz4.js';

// From src/cli (vitest) and dist/cli (the built CLI) alike.
const packageJson = fileURLToPath(new URL('../../package.json', import.meta.url));

export const packageVersion: string = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;

/** "0.1.0 (FEC backend: isa-l 2.30.0; LZ4: liblz4 1.9.4; seal: OpenSSL 3.0.17)", other libraries appended as named. */
export function versionText(): string {
  const { fec, lz4: _lz4, seal, ...others } = native.versions;
  const parts = [`FEC backend: ${fec}`, `LZ4: ${lz4Backend}`, `seal: ${seal ?? 'none (no OpenSSL libcrypto or libsodium at build time)'}`];
  for (const [name, version] of Object.entries(others)) if (version) parts.push(`${name}: ${version}`);
  return `${packageVersion} (${parts.join('; ')})`;
}
