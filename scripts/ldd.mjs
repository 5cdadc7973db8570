// What `ldd` says a shared object needs, for scripts/prebuild.mjs and the
// package tests: each library's name and where it resolves (undefined when
// not found). The C and C++ runtimes every Linux node has are "runtime".
import { execFileSync } from 'node:child_process';

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
