// The linux-arm64 prebuild (scripts/prebuild-cross.mjs), cross-compiled with
// Debian's aarch64 toolchain and arm64 libraries: an AArch64 addon with
// ISA-L beside it and nothing else it needs outside the C and C++ runtimes,
// and the engine's own tests passing for arm64 under qemu-user. CI installs
// the toolchain (CI_EXPECT_ARM64=1); elsewhere the test is skipped without it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { testResources } from '../helpers/resources.js';
import { run } from './machine.js';

const tmp = testResources();
const haveCross =
  run('sh', ['-c', 'command -v aarch64-linux-gnu-g++ && command -v qemu-aarch64'], { env: process.env }).status === 0 && existsSync('/usr/lib/aarch64-linux-gnu/liblz4.a');

describe('the linux-arm64 prebuild', () => {
  if (process.env.CI_EXPECT_ARM64 === '1') it('has the cross toolchain, the arm64 libraries and qemu-user (CI installs them)', () => expect(haveCross).toBe(true));

  it.skipIf(!haveCross)('cross-compiles, bundles ISA-L, and passes the engine tests for arm64 under qemu', () => {
    const out = path.join(tmp.dir, 'linux-arm64');
    const r = run(process.execPath, [path.join(repoRoot, 'scripts', 'prebuild-cross.mjs'), '--build-dir', path.join(tmp.dir, 'build'), '--out-dir', out], { cwd: repoRoot, env: process.env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('core tests under qemu-aarch64: core tests passed');
    const addon = path.join(out, 'blockcast_native.node');
    expect(execFileSync('readelf', ['-h', addon], { encoding: 'utf8' })).toMatch(/Machine:\s+AArch64/);
    const dynamic = execFileSync('readelf', ['-d', addon], { encoding: 'utf8' });
    expect(dynamic).toMatch(/RUNPATH.*\$ORIGIN/);
    const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
    const outside = needed.filter((lib) => !/^(libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt|ld-linux-aarch64)\.so/.test(lib) && !existsSync(path.join(out, lib)));
    expect(outside).toEqual([]);
    expect(existsSync(path.join(out, 'libisal.so.2'))).toBe(true);
  }, 300_000);
});
