// The receiver's target: a regular file (created or resized to the image
// size) or a block device (opened O_EXCL, so a mounted disk is refused).
// Capacity is checked before a single byte is written.
import { closeSync, constants, fstatSync, fsync, ftruncateSync, openSync, statSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { BlockcastError } from '../errors.js';
import { blockDeviceSize, pathKind } from './device.js';

export interface TargetInfo {
  kind: 'file' | 'block';
  /** Bytes the target can hold: device size, or current size + free space for files. */
  capacity: number;
  created: boolean;
}

export function inspectTarget(p: string): TargetInfo {
  const { kind, stats } = pathKind(p);
  if (kind === 'block' && stats) return { kind: 'block', capacity: blockDeviceSize(stats), created: false };
  if (kind === 'other') throw new BlockcastError('ETARGETIO', `Target ${p} is neither a regular file nor a block device`);
  const dir = path.dirname(path.resolve(p));
  let free: number;
  try {
    const fs = statfsSync(dir);
    free = fs.bavail * fs.bsize;
  } catch (err) {
    throw new BlockcastError('ETARGETIO', `Target directory ${dir} is not usable: ${(err as Error).message}`, { cause: err });
  }
  const current = kind === 'file' && stats ? stats.blocks * 512 : 0;
  return { kind: 'file', capacity: free + current, created: kind === 'missing' };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function checkCapacity(p: string, info: TargetInfo, imageSize: number): void {
  if (info.capacity >= imageSize) return;
  const what = info.kind === 'block' ? `block device ${p} holds` : `the filesystem holding ${p} has room for`;
  throw new BlockcastError(
    'ETARGETTOOSMALL',
    `Target too small: the image is ${imageSize} bytes (${formatBytes(imageSize)}) but ${what} only ${info.capacity} bytes (${formatBytes(info.capacity)})`,
  );
}

export class Target {
  readonly fd: number;

  constructor(
    readonly path: string,
    readonly info: TargetInfo,
    imageSize: number,
  ) {
    try {
      if (info.kind === 'block') {
        this.fd = openSync(path, constants.O_RDWR | constants.O_EXCL);
      } else {
        this.fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
        if (fstatSync(this.fd).size !== imageSize) ftruncateSync(this.fd, imageSize);
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const hint = e.code === 'EBUSY' ? ' (is it mounted or in use?)' : '';
      throw new BlockcastError('ETARGETIO', `Cannot open target ${path}: ${e.message}${hint}`, { syscall: e.syscall, cause: err });
    }
  }

  /** fsync on libuv's threads: the event loop (heartbeats) goes on while a large target flushes. */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => fsync(this.fd, (err) => (err ? reject(err) : resolve())));
  }

  /** Whether the path no longer names what was written: 'was removed' or 'was replaced', else undefined. */
  movedAway(): string | undefined {
    const open = fstatSync(this.fd);
    if (open.nlink === 0) return 'was removed';
    try {
      const now = statSync(this.path);
      return now.ino === open.ino && now.dev === open.dev ? undefined : 'was replaced';
    } catch {
      return 'was removed';
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
