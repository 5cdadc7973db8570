import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeSampleImage } from '../../src/cli/demo.js';

export function tempDir(prefix = 'blockcast-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A sample image with zero, compressible and random regions; `size` need not be a chunk multiple. */
export function sampleImage(dir: string, size: number, name = 'image.img'): string {
  const file = path.join(dir, name);
  makeSampleImage(file, size);
  return file;
}

/** Random bytes: incompressible and without zero chunks, so packets map to symbols predictably. */
export function randomImage(dir: string, size: number, name = 'random.img'): string {
  const file = path.join(dir, name);
  writeFileSync(file, randomBytes(size));
  return file;
}
