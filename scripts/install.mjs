#!/usr/bin/env node
// The package's "install": keep the prebuilt addon when one exists for this
// platform and loads here; otherwise compile one with cmake-js. A checkout of
// the repository (it has .git) always compiles, as does
// BLOCKCAST_BUILD_FROM_SOURCE=1. Run it by hand to compile after an install
// that skipped scripts (npm 11 runs dependencies' install scripts only when
// allowed): node node_modules/blockcast/scripts/install.mjs
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const platform = `${process.platform}-${process.arch}`;
const prebuilt = path.join(root, 'prebuilds', platform, 'blockcast_native.node');
const say = (line) => process.stderr.write(`blockcast: ${line}\n`);

const fromSource = process.env.BLOCKCAST_BUILD_FROM_SOURCE === '1' || existsSync(path.join(root, '.git'));
if (!fromSource) {
  if (existsSync(prebuilt)) {
    const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(prebuilt)})`], { encoding: 'utf8' });
    if (probe.status === 0) {
      say(`using the prebuilt addon for ${platform}`);
      process.exit(0);
    }
    say(`the prebuilt addon for ${platform} does not load here (${probe.stderr.trim().split('\n')[0]}); compiling one`);
  } else {
    say(`no prebuilt addon for ${platform}; compiling one`);
  }
}

const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
const build = spawnSync(process.execPath, [cmakeJs, 'compile'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  const missing = ['cmake', 'c++'].filter((tool) => !onPath(tool));
  say(
    `compiling the native addon failed${missing.length ? ` (${missing.join(' and ')} not found on PATH)` : ''}. ` +
      'It needs cmake, a C++17 compiler and make or ninja, and for the fast paths the development files of ' +
      'ISA-L, LZ4 and OpenSSL (Debian: apt-get install cmake g++ make libisal-dev liblz4-dev libssl-dev). ' +
      'Prebuilt addons ship for linux-x64 only.',
  );
  process.exit(1);
}

function onPath(tool) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, tool)));
}
