// The README's main job, small: `blockcast demo` runs a real session on
// loopback and verifies every receiver against the image.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, repoRoot, runCli } from '../helpers/cli.js';

afterAll(() => killAll());

describe('demo', () => {
  it('npm run demo is wired to the demo command', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).toBe('node dist/cli/main.js demo');
  });

  it('multicasts a sample image to 2 receivers and verifies both', async () => {
    const r = await runCli(['demo', '--size', '16m', '--receivers', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('receiver 1: exit 0, sha256 matches the image');
    expect(r.stderr).toContain('receiver 2: exit 0, sha256 matches the image');
    expect(r.stdout).toMatch(/demo: OK: 16\.8 MB to 2 receivers in [\d.]+ s = [\d.]+ MB\/s per receiver/);
  });
});
