// Bad input gets a clear message naming the problem and a distinct exit code.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { runCli, uniqueChannel } from '../helpers/cli.js';
import { sampleImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();

describe('command line errors', () => {
  it('exits 2 on a missing argument', async () => {
    const r = await runCli(['send']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain("missing required argument 'image'");
  });

  it('exits 2 on a bad rate, naming the option and the value', async () => {
    const image = sampleImage(tmp.dir, 4096);
    const r = await runCli(['send', image, '--interface', '127.0.0.1', '--rate', 'fast']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('Expected a bit rate such as 800m, 10g or unlimited for rate but received "fast"');
  });

  it('exits 2 on a group that is not multicast', async () => {
    const r = await runCli(['receive', path.join(tmp.dir, 't.img'), '--interface', '127.0.0.1', '--group', '10.1.2.3']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('IPv4 multicast address');
  });

  it('exits 2 on an unknown interface', async () => {
    const r = await runCli(['receive', path.join(tmp.dir, 't.img'), '--interface', 'nosuch0']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('for interface but received "nosuch0"');
  });

  it('exits 3 when the image does not exist', async () => {
    const r = await runCli(['send', path.join(tmp.dir, 'missing.img'), '--interface', '127.0.0.1']);
    expect(r.code).toBe(ExitCode.Target);
    expect(r.stderr).toContain('missing.img does not exist');
  });

  it('exits 4 when no sender appears within --wait-timeout', async () => {
    const { group, port } = uniqueChannel();
    const r = await runCli(['receive', path.join(tmp.dir, 't2.img'), '--interface', '127.0.0.1', '--group', group, '--port', port, '--wait-timeout', '1']);
    expect(r.code).toBe(ExitCode.Session);
    expect(r.stderr).toContain(`No sender announced a session this node accepts on ${group}:${port} within 1 s`);
  });

  it('tells a provisioner on --json when it is ready for a sender, before giving up', async () => {
    const { group, port } = uniqueChannel();
    const r = await runCli(['receive', path.join(tmp.dir, 't3.img'), '--interface', '127.0.0.1', '--group', group, '--port', port, '--wait-timeout', '1', '--json']);
    expect(r.code).toBe(ExitCode.Session);
    const first = JSON.parse(r.stdout.split('\n')[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ event: 'ready', group, port: Number(port), interfaceAddress: '127.0.0.1' });
  });

  it('exits 2 on a worker count out of range', async () => {
    const r = await runCli(['receive', path.join(tmp.dir, 't4.img'), '--interface', '127.0.0.1', '--workers', '0']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('workers');
  });
});
