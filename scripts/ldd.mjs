// What `ldd` says a shared object needs, for scripts/prebuild.mjs and the
// package tests: each library's name and where it resolves (undefined when
// not found). The C and C++ runtimes every Linux node has are "runtime".
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';

const RUNTIME = /^(linux-vdso|linux-gate|ld-linux[^/]*|libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt)\.so/;

export function isRuntimeLibrary(name) {
  return RUNTIME.test(name);
}

export function lddLibraries(file) {
  const out = execFileSync('ldd', [file], { encoding: 'utf8' });
  const libs = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\S+)(?:\s+=>\s+(not found|\S+))?/.exec(line);
    if (!m) continue;
    const name = m[1].split('/').pop();
    const where = m[2] ?? (m[1].startsWith('/') ? m[1] : undefined);
    libs.push({ name, path: where === 'not found' ? undefined : where });
  }
  return libs;
}

// Debian keeps each package's licence in /usr/share/doc/<package>/copyright:
// the one of the package that installed `file`, if dpkg knows it.
export function installedLicence(file) {
  const owner = spawnSync('dpkg', ['-S', realpathSync(file)], { encoding: 'utf8' });
  const copyright = owner.status === 0 ? `/usr/share/doc/${owner.stdout.split(':')[0]}/copyright` : undefined;
  return copyright && existsSync(copyright) ? copyright : undefined;
}
