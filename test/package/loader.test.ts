// Where the addon is looked for, and what is said when none loads.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlockcastError } from '../../src/errors.js';
import { addonCandidates, addonPath, loadAddon } from '../../src/native/binding.js';
import { repoRoot } from '../helpers/cli.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();

describe('addon loading', () => {
  it('tries BLOCKCAST_ADDON_PATH alone, else the local build, then the prebuild of this platform', () => {
    expect(addonCandidates({ BLOCKCAST_ADDON_PATH: '/opt/asan/blockcast_native.node' })).toEqual(['/opt/asan/blockcast_native.node']);
    expect(addonCandidates({})).toEqual([
      path.join(repoRoot, 'build', 'Release', 'blockcast_native.node'),
      path.join(repoRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'blockcast_native.node'),
    ]);
    expect(addonPath).toBe(process.env.BLOCKCAST_ADDON_PATH || addonCandidates({})[0]);
  });

  it('takes the first that loads', () => {
    const missing = path.join(tmp.dir, 'missing.node');
    expect(loadAddon([missing, addonPath]).path).toBe(addonPath);
  });

  it('names every path tried, and why each failed, when none loads', () => {
    const missing = path.join(tmp.dir, 'missing.node');
    const broken = path.join(tmp.dir, 'broken.node');
    writeFileSync(broken, 'not an ELF file '.repeat(16));
    let error: unknown;
    try {
      loadAddon([missing, broken]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BlockcastError);
    const e = error as BlockcastError;
    expect(e.code).toBe('ENATIVE');
    expect(e.exitCode).toBe(1);
    expect(e.message).toMatch(
      new RegExp(`^no blockcast native addon loads on ${process.platform}-${process.arch}; tried:\\n  ${missing}: not found\\n  ${broken}: .*invalid ELF header.*\\ncompile one with \`node ${path.join(repoRoot, 'scripts', 'install.mjs')}\``),
    );
  });
});
