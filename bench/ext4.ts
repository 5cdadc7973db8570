/**
 * A real file-system image for the benchmarks: `mkfs.ext4 -d` from real
 * directory trees of this machine (at least 1 GiB of files by default) in an
 * image with free space left. Built once and cached under /var/tmp, keyed by
 * the trees and the image size.
 *
 *   tsx bench/ext4.ts [--size 2G] [--tree DIR ...]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** System files: shared libraries, a compiler toolchain, headers (about 1.1 GB on Debian 12 with clang 14). */
export const DEFAULT_TREES = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/llvm-14', '/usr/include'];
const CACHE = '/var/tmp/blockcast-bench';

export interface Ext4Image {
  path: string;
  imageBytes: number;
  /** Bytes of regular files copied in. */
  fileBytes: number;
  trees: string[];
}

export function ext4Image({ size = '2G', trees = DEFAULT_TREES }: { size?: string; trees?: string[] } = {}): Ext4Image {
  mkdirSync(CACHE, { recursive: true });
  const key = `${size}:${trees.join(',')}`;
  const image = path.join(CACHE, `ext4-${size}.img`);
  const meta = path.join(CACHE, `ext4-${size}.json`);
  if (existsSync(image) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as Ext4Image & { key: string };
    if (m.key === key) return m;
  }
  const present = trees.filter((t) => existsSync(t));
  if (present.length === 0) throw new Error(`none of the trees exist: ${trees.join(', ')}`);
  const stage = path.join(CACHE, 'stage');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage);
  for (const t of present) {
    const dest = path.join(stage, t.replaceAll('/', '_').replace(/^_/, ''));
    // Hard links cost nothing when the cache shares the trees' file system.
    try {
      execFileSync('cp', ['-al', t, dest], { stdio: 'ignore' });
    } catch {
      rmSync(dest, { recursive: true, force: true });
      execFileSync('cp', ['-a', t, dest]);
    }
  }
  const fileBytes = Number(execFileSync('du', ['-sb', '--apparent-size', stage]).toString().split('\t')[0]);
  const tmp = `${image}.tmp`;
  rmSync(tmp, { force: true });
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'blockcast', '-d', stage, tmp, size]);
  renameSync(tmp, image);
  rmSync(stage, { recursive: true, force: true });
  const imageBytes = Number(execFileSync('stat', ['-c', '%s', image]).toString());
  const result: Ext4Image = { path: image, imageBytes, fileBytes, trees: present };
  writeFileSync(meta, JSON.stringify({ ...result, key }, null, 2));
  return result;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '2G' }, tree: { type: 'string', multiple: true } } });
  console.log(JSON.stringify(ext4Image({ size: values.size!, ...(values.tree ? { trees: values.tree } : {}) })));
}
