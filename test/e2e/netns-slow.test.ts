// A slow receiver among fast ones (issue 17): sender and three receivers in
// their own network namespaces on a bridge, the last receiver behind its own
// tbf cap (a slow port). By default it is moved to the catch-up path and
// every copy ends byte-identical; with --slow-receivers drop it fails with a
// clear message and the others still succeed. Bytes and events are asserted,
// never times.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, cleanupStale } from '../../bench/lab/netns.js';
import { ExitCode } from '../../src/errors.js';
import { event, sha256File, startCli, type CliResult } from '../helpers/cli.js';
import { randomImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();
const SLOW = 2; // the receiver behind the cap
let lab: Lab;
let image: string;

beforeAll(() => {
  cleanupStale('tslow');
  lab = Lab.create({ name: 'tslow', receivers: 3, subnet: 22 });
  tmp.setLab(lab);
  lab.capReceiver(SLOW, 30);
  // Incompressible, sent uncoded: the first pass lasts long enough (~2 s) for the slow one to show.
  image = randomImage(tmp.dir, 48 * 1024 * 1024);
});
afterAll(() => lab?.destroy());

async function session(port: number, sendArgs: string[]): Promise<{ sender: CliResult; receivers: CliResult[]; targets: string[] }> {
  const targets = lab.receiverNs.map((_, i) => path.join(tmp.dir, `${port}-target-${i}.img`));
  const common = ['--group', '239.255.3.22', '--port', String(port), '--json'];
  const rx = targets.map((t, i) =>
    startCli(['receive', t, ...common, '--interface', lab.receiverAddrs[i]!, '--name', `r${i}`, '--wait-timeout', '60'], ['ip', 'netns', 'exec', lab.receiverNs[i]!]),
  );
  const tx = startCli(['send', image, ...common, '--interface', lab.senderAddr, '--min-receivers', '3', '--rate', '200m', '--codec', 'none', ...sendArgs], ['ip', 'netns', 'exec', lab.senderNs]);
  const [sender, ...receivers] = await Promise.all([tx.done, ...rx.map((x) => x.done)]);
  return { sender: sender!, receivers, targets };
}

describe('a slow receiver', () => {
  it('is moved to the catch-up path, and every copy ends byte-identical', async () => {
    const { sender, receivers, targets } = await session(9320, []);
    expect(sender.code, sender.stderr).toBe(0);
    const want = sha256File(image);
    for (const [i, r] of receivers.entries()) {
      expect(r.code, r.stderr).toBe(0);
      expect(sha256File(targets[i]!)).toBe(want);
    }
    const moved = sender.events.filter((e) => e.event === 'receiver-catching-up');
    expect(moved.map((e) => e.name)).toEqual([`r${SLOW}`]);
    expect(moved[0]).toMatchObject({ why: expect.stringMatching(/^(low-delivery|nack-volume|overload)$/), detail: expect.any(String), chunkCount: 48 });
    expect(event(sender, 'receiver-caught-up')).toMatchObject({ name: `r${SLOW}` });
    const summary = event(sender, 'summary') as { receivers: { name: string; catchUp?: { caughtUp: boolean } }[]; dropped: Record<string, number> };
    expect(summary.receivers.find((r) => r.name === `r${SLOW}`)?.catchUp).toMatchObject({ caughtUp: true });
    expect(summary.receivers.filter((r) => r.catchUp)).toHaveLength(1);
    expect(summary.dropped.overBudget).toBe(0);
  });

  it('with --slow-receivers drop fails with a clear message while the others succeed', async () => {
    const { sender, receivers, targets } = await session(9324, ['--slow-receivers', 'drop']);
    const dropped = sender.events.filter((e) => e.event === 'receiver-dropped');
    expect(dropped.map((e) => e.name)).toEqual([`r${SLOW}`]);
    expect(dropped[0]!.message).toMatch(/^dropped: cannot keep up with the group \(.+\); --slow-receivers drop$/);
    expect(sender.code).toBe(ExitCode.Failed);
    expect(sender.stderr).toContain('1 of 3 receiver(s) did not complete');
    const want = sha256File(image);
    for (const [i, r] of receivers.entries()) {
      if (i === SLOW) continue;
      expect(r.code, r.stderr).toBe(0);
      expect(sha256File(targets[i]!)).toBe(want);
    }
    // The dropped one is told the session ended without it.
    expect(receivers[SLOW]!.code).toBe(ExitCode.Session);
    expect(receivers[SLOW]!.stderr).toContain('The sender ended the session');
    const summary = event(sender, 'summary') as { receivers: { name: string; state: string; message?: string }[] };
    expect(summary.receivers.find((r) => r.name === `r${SLOW}`)).toMatchObject({ state: 'failed', message: dropped[0]!.message });
  });
});
