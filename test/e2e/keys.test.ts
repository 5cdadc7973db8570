// Signed and sealed sessions through the CLI on loopback (issue 16): a node
// with the right keys gets the image; a node with a wrong group key, another
// trusted key or no key never joins, writes nothing, and says why.
import { existsSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, runCli, sha256File, startCli, uniqueChannel } from '../helpers/cli.js';
import { sampleImage, tempDir } from '../helpers/image.js';

const tmp = tempDir('blockcast-keys-');
afterAll(() => {
  killAll();
  tmp.cleanup();
});

describe('signed and sealed sessions', () => {
  it('only the node with the trusted key and the group key joins; the others exit 4 naming the cause and create nothing', async () => {
    const k = (name: string): string => path.join(tmp.dir, name);
    for (const args of [['keygen', k('site')], ['keygen', k('other')], ['keygen', '--group-key', k('group.key')], ['keygen', '--group-key', k('wrong.key')]]) {
      expect((await runCli([...args, '-q'])).code).toBe(0);
    }
    const image = sampleImage(tmp.dir, 6 * 1024 * 1024 + 4321);
    const { group, port } = uniqueChannel();
    const common = ['--group', group, '--port', port, '--interface', '127.0.0.1', '--json'];
    const bad = ['--wait-timeout', '4', ...common];
    const good = startCli(['receive', k('good.img'), '--trust', k('site.pub'), '--group-key', k('group.key'), ...common]);
    const wrongGroup = startCli(['receive', k('wrong-group.img'), '--trust', k('site.pub'), '--group-key', k('wrong.key'), ...bad]);
    const wrongSigner = startCli(['receive', k('wrong-signer.img'), '--trust', k('other.pub'), '--group-key', k('group.key'), ...bad]);
    const noKey = startCli(['receive', k('no-key.img'), ...bad]);
    const sender = startCli(['send', image, '--sign-key', k('site.key'), '--group-key', k('group.key'), '--min-receivers', '1', '--max-wait', '0.5', ...common]);
    const [s, g, wg, ws, nk] = await Promise.all([sender.done, good.done, wrongGroup.done, wrongSigner.done, noKey.done]);
    expect(s.code, s.stderr).toBe(0);
    expect(g.code, g.stderr).toBe(0);
    expect(sha256File(k('good.img'))).toBe(sha256File(image));
    expect(g.stdout).not.toContain('accepting any sender');
    expect(wg.code).toBe(4);
    expect(wg.stderr).toMatch(/refused \d+ announcement\(s\): \d+ sealed with another group key, or tampered with/);
    expect(ws.code).toBe(4);
    expect(ws.stderr).toMatch(/refused \d+ announcement\(s\): \d+ not signed by a trusted key \(--trust\)/);
    expect(nk.code).toBe(4);
    expect(nk.stdout).toContain('accepting any sender');
    expect(nk.stderr).toMatch(/\d+ not sealed with a group key this node holds \(--group-key\)/);
    for (const f of ['wrong-group.img', 'wrong-signer.img', 'no-key.img']) expect(existsSync(k(f)), f).toBe(false);
    const summary = s.events.find((e) => e.event === 'summary') as { receivers: unknown[] };
    expect(summary.receivers).toHaveLength(1);
  }, 60_000);

  it('signed only, and sealed with ChaCha20-Poly1305 authenticating DATA in the clear, each deliver the image', async () => {
    const k = (name: string): string => path.join(tmp.dir, name);
    expect((await runCli(['keygen', k('solo'), '-q'])).code).toBe(0);
    expect((await runCli(['keygen', '--group-key', k('solo-group.key'), '-q'])).code).toBe(0);
    const image = sampleImage(tmp.dir, 3 * 1024 * 1024 + 77, 'solo.img');
    const modes = [
      { send: ['--sign-key', k('solo.key')], receive: ['--trust', k('solo.pub')] },
      { send: ['--group-key', k('solo-group.key'), '--cipher', 'chacha20-poly1305', '--no-encrypt'], receive: ['--group-key', k('solo-group.key')] },
    ];
    for (const [i, m] of modes.entries()) {
      const { group, port } = uniqueChannel();
      const common = ['--group', group, '--port', port, '--interface', '127.0.0.1', '--json'];
      const target = k(`solo-${i}.img`);
      const rx = startCli(['receive', target, ...m.receive, ...common]);
      const tx = startCli(['send', image, ...m.send, '--min-receivers', '1', ...common]);
      const [s, r] = await Promise.all([tx.done, rx.done]);
      expect([s.code, r.code], `${s.stderr}${r.stderr}`).toEqual([0, 0]);
      expect(sha256File(target)).toBe(sha256File(image));
    }
  }, 60_000);

  it('refuses a group key file others can read, naming it (exit 2)', async () => {
    const file = path.join(tmp.dir, 'open-group.key');
    expect((await runCli(['keygen', '--group-key', file, '-q'])).code).toBe(0);
    chmodSync(file, 0o644);
    const r = await runCli(['receive', path.join(tmp.dir, 'x.img'), '--group-key', file, '--wait-timeout', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`key file ${file}: is readable by group or others (mode 644)`);
  });
});
