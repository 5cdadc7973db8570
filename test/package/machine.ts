// A node as the package tests picture it: a PATH of symlinks to everything in
// /usr/bin and /bin but the tools that build C++ (so nothing can compile),
// and commands run with it and without the npm_* variables of `npm test`.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';

const COMPILERS =
  /^(cmake|ccmake|cpack|ctest|make|gmake|ninja|cc|c\+\+|c89|c99|cpp|gcc|g\+\+|clang|clang\+\+|ld|ld\.\w+|.*-(gcc|g\+\+|c\+\+|cpp|clang|clang\+\+|ld)(-\d+)?|(c89|c99)-gcc|(gcc|g\+\+|cpp|clang|clang\+\+)-\d+)$/;
const NODE = /^(node|nodejs|npm|npx|corepack)$/;

/** A directory to use as the whole PATH: /usr/bin and /bin without compilers (and without Node unless `withNode`). */
export function pathWithoutCompilers(dir: string, withNode: boolean): string {
  mkdirSync(dir, { recursive: true });
  const linked = new Set<string>();
  const link = (name: string, target: string) => {
    if (linked.has(name)) return;
    linked.add(name);
    symlinkSync(target, path.join(dir, name));
  };
  for (const bin of ['/usr/bin', '/bin']) {
    if (!existsSync(bin)) continue;
    for (const name of readdirSync(bin)) {
      if (COMPILERS.test(name) || NODE.test(name)) continue;
      link(name, path.join(bin, name));
    }
  }
  if (withNode) {
    // Node wherever this one lives, with the npm beside it.
    link('node', process.execPath);
    for (const tool of ['npm', 'npx']) {
      const beside = path.join(path.dirname(process.execPath), tool);
      if (existsSync(beside)) link(tool, beside);
    }
  }
  return dir;
}

/** This environment with PATH replaced and npm's lifecycle variables removed. */
export function envWithPath(pathDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|INIT_CWD$)/i.test(k)) env[k] = v;
  env.PATH = pathDir;
  return env;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv }): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { ...opts, encoding: 'utf8', timeout: 170_000 });
}

/** Starts a command; resolves with its exit code and output when it ends. */
export function start(cmd: string, args: string[], env: NodeJS.ProcessEnv): { done: Promise<{ code: number; stdout: string; stderr: string }>; kill(): void } {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    // Not started at all (no such command): as a shell says it.
    child.on('error', (e) => resolve({ code: 127, stdout, stderr: stderr + String(e) }));
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

/** `ldd FILE`: each library's name and where it resolves (undefined: not found). */
export function lddLibraries(file: string, env: NodeJS.ProcessEnv): { name: string; path: string | undefined }[] {
  const out = run('ldd', [file], { env });
  if (out.status !== 0) throw new Error(`ldd ${file}: ${out.stderr}`);
  return out.stdout
    .split('\n')
    .map((line) => /^\s*(\S+)(?:\s+=>\s+(not found|\S+))?/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: path.basename(m[1]!), path: m[2] === 'not found' ? undefined : (m[2] ?? (m[1]!.startsWith('/') ? m[1] : undefined)) }));
}

/** The C and C++ runtimes every Linux node has. */
export const RUNTIME_LIBRARY = /^(linux-vdso|ld-linux[^/]*|libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl)\.so/;
