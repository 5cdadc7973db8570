#!/usr/bin/env node
// A prebuilt addon for linux-arm64, cross-compiled on an x86-64 Debian
// machine, into prebuilds/linux-arm64/ beside this machine's own (issue 19:
// nodes boot arm64 too). Like scripts/prebuild.mjs: static liblz4, libzstd
// and libcrypto inside the addon, ISA-L (shared only in Debian) copied beside
// it for the $ORIGIN run path. It cannot load an arm64 addon here, so it
// checks the ELF instead (machine, run path, every library it needs in the
// package or a C/C++ runtime) and, when qemu-user is installed, runs the
// engine's own tests (test/native/core_test.cc, built for arm64) under it.
// Needs (Debian 12):
//   dpkg --add-architecture arm64 && apt-get update
//   apt-get install g++-aarch64-linux-gnu liblz4-dev:arm64 libzstd-dev:arm64 libssl-dev:arm64 [qemu-user]
// ISA-L's -dev package is not multi-arch (libisal-dev:arm64 would remove
// this machine's own), so its arm64 packages are fetched with apt-get
// download and unpacked under the build directory instead.
//   node scripts/prebuild-cross.mjs [--if-available] [--build-dir DIR] [--out-dir DIR]
// --if-available: do nothing (exit 0) when the cross compiler or the arm64 libraries are missing
// (prepack runs it so). Default dirs: build-linux-arm64/, prebuilds/linux-arm64/.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installedLicence, isRuntimeLibrary } from './ldd.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const triple = 'aarch64-linux-gnu';
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? path.resolve(process.argv[i + 1]) : undefined;
};
const buildDir = arg('--build-dir') ?? path.join(root, 'build-linux-arm64');
const outDir = arg('--out-dir') ?? path.join(root, 'prebuilds', 'linux-arm64');
const libDir = `/usr/lib/${triple}`;
const say = (line) => process.stderr.write(`prebuild-cross: ${line}\n`);
const fail = (message) => {
  say(message);
  process.exit(1);
};
const have = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

const ready = have(`${triple}-g++`) && existsSync(path.join(libDir, 'liblz4.a'));
if (!ready && process.argv.includes('--if-available')) process.exit(0);
if (!have(`${triple}-g++`)) {
  fail(`${triple}-g++ not found: apt-get install g++-aarch64-linux-gnu, and the arm64 -dev packages (see this script's header)`);
}
if (!existsSync(path.join(libDir, 'liblz4.a'))) {
  fail(`the arm64 libraries are missing from ${libDir}: dpkg --add-architecture arm64 && apt-get update && apt-get install liblz4-dev:arm64 libzstd-dev:arm64 libssl-dev:arm64`);
}

// ISA-L for arm64: installed (a machine with no amd64 libisal-dev), else unpacked here.
const isalDir = existsSync(path.join(libDir, 'libisal.so.2')) ? libDir : unpackIsal();
function unpackIsal() {
  const debs = path.join(buildDir, 'debs');
  const sysroot = path.join(buildDir, 'sysroot');
  const dir = path.join(sysroot, libDir);
  if (existsSync(path.join(dir, 'libisal.so.2'))) return dir;
  mkdirSync(debs, { recursive: true });
  const got = spawnSync('apt-get', ['download', 'libisal2:arm64', 'libisal-dev:arm64'], { cwd: debs, encoding: 'utf8' });
  if (got.status !== 0) fail(`apt-get download libisal2:arm64 libisal-dev:arm64 failed (dpkg --add-architecture arm64 && apt-get update first): ${got.stderr.trim()}`);
  for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb'))) execFileSync('dpkg-deb', ['-x', path.join(debs, deb), sysroot]);
  return dir;
}

const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
const toolchain = path.join(root, 'cmake', `${triple}.cmake`);
const compile = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', buildDir, `--CDCMAKE_TOOLCHAIN_FILE=${toolchain}`, `--CDCMAKE_LIBRARY_PATH=${isalDir}`], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (compile.status !== 0) fail('cmake-js compile for arm64 failed');
const built = path.join(buildDir, 'Release', 'blockcast_native.node');

const elf = (args, file) => execFileSync('readelf', [...args, file], { encoding: 'utf8' });
if (!/Machine:\s+AArch64/.test(elf(['-h'], built))) fail(`${built} is not an AArch64 object`);
const dynamic = elf(['-d'], built);
if (!/RUNPATH.*\$ORIGIN/.test(dynamic)) fail(`${built} has no $ORIGIN RUNPATH`);
const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
const wanted = ['libisal.so.2'];
for (const lib of wanted) if (!needed.includes(lib)) fail(`the arm64 addon does not link ${lib}: the build fell back (see ${buildDir})`);

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const addon = path.join(outDir, 'blockcast_native.node');
copyFileSync(built, addon);
spawnSync(`${triple}-strip`, ['--strip-unneeded', addon], { stdio: 'inherit' });
const bundled = [];
for (const name of needed) {
  if (isRuntimeLibrary(name)) continue;
  const from = [isalDir, libDir].map((d) => path.join(d, name)).find((f) => existsSync(f));
  if (!from) fail(`${name}, which the arm64 addon needs, is in neither ${isalDir} nor ${libDir}`);
  copyFileSync(realpathSync(from), path.join(outDir, name));
  // ISA-L unpacked under the build directory came with libisal2's licence.
  const copyright = from.startsWith(buildDir) ? path.join(buildDir, 'sysroot', 'usr', 'share', 'doc', 'libisal2', 'copyright') : installedLicence(from);
  if (copyright && existsSync(copyright)) copyFileSync(copyright, path.join(outDir, `${name}.copyright`));
  bundled.push(name);
}

// The engine's tests for arm64 under qemu: FEC (ISA-L's arm64 code), the
// reassembler, LZ4, zstd and sealing (AEGIS on ARMv8 AES with its test
// vector, OpenSSL) on the target's instruction set. The addon itself needs an
// arm64 Node, which is not here.
if (have('qemu-aarch64')) {
  const built = spawnSync('cmake', ['--build', buildDir, '--target', 'blockcast_core_test'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) fail('building the arm64 core tests failed');
  // The cross toolchain's own runtime (libstdc++) under -L, the arm64 -dev packages' libraries by path;
  // qemu-user cannot join multicast groups, so the engine's socket round trips are left out.
  const qemuArgs = ['-cpu', 'max', '-L', `/usr/${triple}`, '-E', `LD_LIBRARY_PATH=${isalDir}:${libDir}`, '-E', 'BLOCKCAST_TEST_NO_SOCKETS=1'];
  const run = spawnSync('qemu-aarch64', [...qemuArgs, path.join(buildDir, 'blockcast_core_test')], { encoding: 'utf8' });
  if (run.status !== 0) fail(`the arm64 core tests fail under qemu: ${(run.stdout + run.stderr).trim().split('\n').slice(-5).join(' | ')}`);
  say(`core tests under qemu-aarch64: ${run.stdout.trim().split('\n').pop()}`);
} else {
  say('qemu-aarch64 not installed: the arm64 core tests were not run (apt-get install qemu-user)');
}
say(`${path.relative(root, outDir)}: blockcast_native.node${bundled.map((b) => ` + ${b}`).join('')} (needs ${needed.join(', ')})`);
