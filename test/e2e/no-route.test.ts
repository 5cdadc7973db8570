// A host with no default route (a node's boot environment before DHCP, a
// lab namespace): blockcast must not guess loopback, and the demo, which
// names loopback itself, must still work. Runs in a network namespace of
// its own that has only `lo`.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { sampleImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();
const ns = `bc-noroute-${process.pid}`;
const inNs = ['ip', 'netns', 'exec', ns];

beforeAll(() => {
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
});
afterAll(() => {
  execFileSync('ip', ['netns', 'del', ns]);
});

describe('no default route', () => {
  it('send and receive without --interface exit 2 listing the interfaces to choose from', async () => {
    const image = sampleImage(tmp.dir, 1024 * 1024, 'noroute.img');
    for (const args of [['send', image], ['receive', `${tmp.dir}/noroute-target.img`]]) {
      const r = await runCli(args, inNs);
      expect(r.code).toBe(ExitCode.Usage);
      expect(r.stderr).toContain('No --interface given and this host has no IPv4 default route to pick one from: choose one with --interface NAME|ADDRESS; interfaces with IPv4 addresses: lo (127.0.0.1)');
    }
  });

  it('the demo still runs (it names loopback itself)', async () => {
    const r = await runCli(['demo', '--size', '8m', '--receivers', '1'], inNs);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('receiver 1: exit 0, sha256 matches the image');
  }, 60_000);
});
