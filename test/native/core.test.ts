// The native core (native/src/core) on its own, without Node or sockets:
// builds the blockcast_core_test target in the addon's build tree and runs it
// (test/native/core_test.cc: DATA headers, repair ids, assembly and decoding,
// sealed DATA; seal_test.cc: the AEAD and the replay window; engine_test.cc:
// the two engines over loopback multicast, sealed).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const build = path.join(root, 'build');

describe('native core', () => {
  it('assembles, decodes and reports missing symbols without Node', () => {
    execFileSync('cmake', ['--build', build, '--target', 'blockcast_core_test'], { stdio: 'pipe' });
    const out = execFileSync(path.join(build, 'blockcast_core_test'), { encoding: 'utf8' });
    expect(out.trim()).toBe('core tests passed');
  });
});
