#!/usr/bin/env node
// `npm run bundle`: blockcast-<version>-<platform>-<arch>.tar.gz, everything a
// node's boot environment (initramfs, rescue image) needs to run blockcast:
//   blockcast-<version>-linux-x64/bin/node        this machine's Node binary
//   blockcast-<version>-linux-x64/bin/blockcast   the command (a sh wrapper)
//   blockcast-<version>-linux-x64/lib/node_modules/blockcast, production dependencies beside it
// The package comes from `npm pack` (or --tarball FILE) with its prebuilt
// addon, so nothing is compiled and the node needs only the C and C++ runtimes.
//   node scripts/bundle.mjs [--tarball blockcast-X.tgz] [--out-dir DIR]
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const outDir = path.resolve(arg('--out-dir') ?? root);
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const name = `blockcast-${version}-${process.platform}-${process.arch}`;
const say = (line) => process.stderr.write(`bundle: ${line}\n`);

const work = mkdtempSync(path.join(os.tmpdir(), 'blockcast-bundle-'));
try {
  let tarball = arg('--tarball');
  if (!tarball) {
    say('npm pack (prebuild, man page, completion)');
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }));
    tarball = path.join(work, packed[0].filename);
  }
  tarball = path.resolve(tarball);

  const top = path.join(work, name);
  const lib = path.join(top, 'lib');
  mkdirSync(path.join(top, 'bin'), { recursive: true });
  mkdirSync(lib);
  // Scripts off: the prebuilt addon is used as it is, nothing compiles.
  execFileSync(
    'npm',
    ['install', '--prefix', lib, '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', '--prefer-offline', tarball],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  rmSync(path.join(lib, 'package.json'));
  const addon = path.join(lib, 'node_modules', 'blockcast', 'prebuilds', `${process.platform}-${process.arch}`, 'blockcast_native.node');
  if (!existsSync(addon)) throw new Error(`${tarball} has no prebuilt addon for ${process.platform}-${process.arch}`);

  copyFileSync(process.execPath, path.join(top, 'bin', 'node'));
  chmodSync(path.join(top, 'bin', 'node'), 0o755);
  writeFileSync(
    path.join(top, 'bin', 'blockcast'),
    '#!/bin/sh\n# blockcast with the Node binary of this bundle; the bundle may live anywhere.\n' +
      'here=$(dirname "$(readlink -f "$0")")\n' +
      'exec "$here/node" "$here/../lib/node_modules/blockcast/dist/cli/main.js" "$@"\n',
    { mode: 0o755 },
  );

  mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', out, '-C', work, name]);
  say(`${out}: ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB (Node ${process.version} and blockcast ${version})`);
  process.stdout.write(`${out}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
