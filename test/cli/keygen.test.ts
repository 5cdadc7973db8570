import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('blockcast keygen', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'blockcast-keygen-'));

  it('writes a signing pair and a group key with private modes, refuses to overwrite, and needs one of the two', async () => {
    const pair = await runCli(['keygen', path.join(dir, 'site'), '--json']);
    expect(pair.code).toBe(0);
    expect(JSON.parse(pair.stdout.trim())).toMatchObject({ event: 'keygen', privateKey: path.join(dir, 'site.key'), publicKey: path.join(dir, 'site.pub') });
    expect(statSync(path.join(dir, 'site.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dir, 'site.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const group = await runCli(['keygen', '--group-key', path.join(dir, 'group.key')]);
    expect(group.code).toBe(0);
    expect(Buffer.from(readFileSync(path.join(dir, 'group.key'), 'utf8').trim(), 'base64')).toHaveLength(32);
    const again = await runCli(['keygen', path.join(dir, 'site')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('site.key: already exists; remove it first');
    const neither = await runCli(['keygen']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('keygen needs either PREFIX');
  });
});
