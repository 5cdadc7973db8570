// The native fuzz driver (test/native/fuzz_test.cc) at test scale: builds
// blockcast_fuzz_test in the addon's build tree and feeds 100k mutated and
// random datagrams to the Reassembler around valid chunks, each of which must
// complete with its exact bytes. scripts/fuzz-asan.sh runs 1M under ASan.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fuzzSeed } from '../fuzz/rng.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const build = path.join(root, 'build');

describe('native fuzz driver', () => {
  it('takes 100k fuzzed datagrams around valid chunks, every valid chunk completing with its bytes', () => {
    execFileSync('cmake', ['--build', build, '--target', 'blockcast_fuzz_test'], { stdio: 'pipe' });
    const seed = fuzzSeed();
    let out: string;
    try {
      out = execFileSync(path.join(build, 'blockcast_fuzz_test'), ['--packets', '100000', '--seed', String(seed)], { encoding: 'utf8' });
    } catch (err) {
      throw new Error(`native fuzz failed (FUZZ_SEED=${seed} reproduces): ${(err as { stdout?: string }).stdout ?? String(err)}`);
    }
    console.log(out.trim());
    expect(out.trim().split('\n').at(-1)).toBe('fuzz passed');
    const verified = Number(/(\d+) valid chunks verified/.exec(out)?.[1]);
    expect(verified).toBeGreaterThan(100);
  });
});
