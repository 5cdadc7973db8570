#!/usr/bin/env node
// Puts a prebuilt addon for this platform into prebuilds/<platform>-<arch>/
// for the npm package (run by `npm run prebuild` and by `prepack`). The
// addon carries its static libraries (liblz4, libcrypto, libzstd) inside it;
// every other shared library it needs beyond the C and C++ runtimes (ISA-L:
// Debian ships it only shared) is copied beside it, where the addon's
// $ORIGIN RUNPATH finds it. Checks that the result loads, and on a node with
// no such library installed.
//   node scripts/prebuild.mjs [--no-compile]   (--no-compile: use build/Release as it is)
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installedLicence, isRuntimeLibrary, lddLibraries } from './ldd.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const platform = `${process.platform}-${process.arch}`;
const built = path.join(root, 'build', 'Release', 'blockcast_native.node');
const outDir = path.join(root, 'prebuilds', platform);

function fail(message) {
  process.stderr.write(`prebuild: ${message}\n`);
  process.exit(1);
}

if (!process.argv.includes('--no-compile')) {
  const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
  const r = spawnSync(process.execPath, [cmakeJs, 'compile'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) fail('cmake-js compile failed');
}
if (!existsSync(built)) fail(`${built} not found: compile the addon first (npm run build:native)`);

const runpath = execFileSync('readelf', ['-d', built], { encoding: 'utf8' });
if (!/RUNPATH.*\$ORIGIN/.test(runpath)) fail(`${built} has no $ORIGIN RUNPATH (see CMakeLists.txt); a bundled library would not be found`);

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const addon = path.join(outDir, 'blockcast_native.node');
copyFileSync(built, addon);
// Symbols for debugging stay in build/; the package carries the code only.
spawnSync('strip', ['--strip-unneeded', addon], { stdio: 'inherit' });

const bundled = [];
for (const lib of lddLibraries(built)) {
  if (isRuntimeLibrary(lib.name)) continue;
  if (!lib.path) fail(`${lib.name}, which the addon needs, is not found on this machine`);
  copyFileSync(realpathSync(lib.path), path.join(outDir, lib.name));
  bundled.push(lib.name);
  const licence = installedLicence(lib.path);
  if (licence) copyFileSync(licence, path.join(outDir, `${lib.name}.copyright`));
}

// The prebuild must load by itself, from where the package puts it.
const probe = spawnSync(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(addon)}).versions)`], { encoding: 'utf8' });
if (probe.status !== 0) fail(`the prebuild does not load: ${probe.stderr.trim().split('\n')[0]}`);
const versions = JSON.parse(probe.stdout);
if (versions.fec === 'portable' || !versions.lz4) {
  fail(`this build uses ${versions.fec} FEC and ${versions.lz4 ?? 'no liblz4'}: install libisal-dev and liblz4-dev, then rebuild (rm -rf build)`);
}
for (const lib of lddLibraries(addon)) {
  if (!isRuntimeLibrary(lib.name) && lib.path && !lib.path.startsWith(outDir)) fail(`${lib.name} resolves outside the package (${lib.path})`);
}
process.stderr.write(`prebuild: ${path.relative(root, outDir)}: blockcast_native.node${bundled.map((b) => ` + ${b}`).join('')} (${Object.values(versions).join(', ')})\n`);
