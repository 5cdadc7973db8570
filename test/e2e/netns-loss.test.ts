// A receiver behind a lossy link: sender and receivers in their own network
// namespaces on a bridge, nftables dropping 2% of data packets at random in
// front of the lossy receiver. NACK repair must still deliver every byte.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab, cleanupStale } from '../../bench/lab/netns.js';
import { event, sha256File, startCli } from '../helpers/cli.js';
import { sampleImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();

describe('lossy network', () => {
  it('repairs 2% random ingress loss and ends byte-identical', async () => {
    const port = 9300;
    cleanupStale('tloss');
    const lab = Lab.create({ name: 'tloss', receivers: 2, subnet: 7 });
    tmp.setLab(lab);
    lab.setLoss(0, 2, [port]);
    const image = sampleImage(tmp.dir, 32 * 1024 * 1024 + 777);
    const targets = [0, 1].map((i) => path.join(tmp.dir, `target-${i}.img`));
    const common = ['--group', '239.255.3.3', '--port', String(port), '--json'];
    const rx = targets.map((t, i) =>
      startCli(['receive', t, ...common, '--interface', lab.receiverAddrs[i]!, '--wait-timeout', '60'], ['ip', 'netns', 'exec', lab.receiverNs[i]!]),
    );
    const tx = startCli(['send', image, ...common, '--interface', lab.senderAddr, '--min-receivers', '2', '--rate', '400m'], [
      'ip', 'netns', 'exec', lab.senderNs,
    ]);
    const [s, ...r] = await Promise.all([tx.done, ...rx.map((x) => x.done)]);
    expect(s.code, s.stderr).toBe(0);
    const want = sha256File(image);
    for (const [i, res] of r.entries()) {
      expect(res.code, res.stderr).toBe(0);
      expect(sha256File(targets[i]!)).toBe(want);
    }
    // The lossy receiver really lost packets and had them repaired.
    const lossy = event(r[0]!, 'done')!;
    expect(lossy.symbolsRequested as number).toBeGreaterThan(0);
    expect(event(s, 'summary')!.repairSymbols as number).toBeGreaterThan(0);
    // Legit receivers on a lossy link never meet the sender's limits (issue 16).
    expect(event(s, 'summary')!.dropped).toMatchObject({ forged: 0, rateLimited: 0, overBudget: 0, joinsRefused: 0 });
  });
});
