// Real multicast sessions on loopback: every target must end byte-identical
// to the image (checked by SHA-256), and the exit codes must say so.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { event, runCli, sha256File, startCli, uniqueChannel } from '../helpers/cli.js';
import { sampleImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();

async function session(receivers: number, imageSize: number, extraSend: string[] = []) {
  const image = sampleImage(tmp.dir, imageSize, `image-${receivers}.img`);
  const { group, port } = uniqueChannel();
  const net = ['--interface', '127.0.0.1', '--group', group, '--port', port, '--json'];
  const targets = Array.from({ length: receivers }, (_, i) => path.join(tmp.dir, `target-${receivers}-${i}.img`));
  const rx = targets.map((t, i) => startCli(['receive', t, ...net, '--name', `r${i}`, '--wait-timeout', '60']));
  const tx = await runCli(['send', image, ...net, '--min-receivers', String(receivers), '--rate', '1g', ...extraSend]);
  const results = await Promise.all(rx.map((r) => r.done));
  return { image, targets, tx, results };
}

describe('loopback multicast', () => {
  it('delivers a byte-identical image to 1 receiver', async () => {
    // Not a chunk multiple: the last chunk and its last symbol are short.
    const { image, targets, tx, results } = await session(1, 24 * 1024 * 1024 + 12345);
    expect(tx.stderr).toBe('');
    expect(tx.code).toBe(0);
    expect(results[0]!.code).toBe(0);
    expect(sha256File(targets[0]!)).toBe(sha256File(image));
    const summary = event(tx, 'summary')!;
    expect(summary.ok).toBe(true);
    expect((summary.receivers as { state: string }[]).map((r) => r.state)).toEqual(['done']);
  });

  it('delivers byte-identical images to 4 receivers at once', async () => {
    const { image, targets, tx, results } = await session(4, 48 * 1024 * 1024);
    expect(tx.code).toBe(0);
    const want = sha256File(image);
    for (const [i, r] of results.entries()) {
      expect(r.code, r.stderr).toBe(0);
      expect(sha256File(targets[i]!)).toBe(want);
      expect(event(r, 'done')!.imageDigest).toBe(event(tx, 'prepared')!.imageDigest);
    }
    expect((event(tx, 'summary')!.receivers as unknown[]).length).toBe(4);
  });

  it('works without GSO (plain sendmmsg) and with jumbo-frame symbols', async () => {
    const { image, targets, tx, results } = await session(1, 8 * 1024 * 1024 + 1, ['--no-gso', '--mtu', '9000']);
    expect(tx.code).toBe(0);
    expect(event(tx, 'summary')!.gso).toBe(false);
    expect(results[0]!.code).toBe(0);
    expect(sha256File(targets[0]!)).toBe(sha256File(image));
  });
});
