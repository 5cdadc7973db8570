// Size of a regular file or a block device, and what a path is.
import { readFileSync, statSync, type Stats } from 'node:fs';

export type PathKind = 'file' | 'block' | 'missing' | 'other';

export function pathKind(p: string): { kind: PathKind; stats?: Stats } {
  try {
    const stats = statSync(p);
    if (stats.isFile()) return { kind: 'file', stats };
    if (stats.isBlockDevice()) return { kind: 'block', stats };
    return { kind: 'other', stats };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw err;
  }
}

/** Bytes in a block device, from sysfs (stat reports 0 for devices). */
export function blockDeviceSize(stats: Stats): number {
  const rdev = stats.rdev;
  const major = Math.floor(rdev / 256) & 0xfff;
  const minor = (rdev & 0xff) | (Math.floor(rdev / 4096) & ~0xff & 0xfffff00);
  const sectors = Number(readFileSync(`/sys/dev/block/${major}:${minor}/size`, 'utf8').trim());
  return sectors * 512;
}
