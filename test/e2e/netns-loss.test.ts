// A receiver behind a lossy link: sender and receivers in their own network
// namespaces on a bridge, nftables dropping 2% of data packets at random in
// front of the lossy receiver. NACK repair must still deliver every byte.
import { describe, expect, it } from 'vitest';
import { Lab, cleanupStale } from '../../bench/lab/netns.js';
import { event } from '../helpers/cli.js';
import { runLabSession } from '../helpers/lab-session.js';
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
    const { sender: s, receivers: r } = await runLabSession(lab, { image, dir: tmp.dir, group: '239.255.3.3', port, sendArgs: ['--rate', '400m'] });
    // The lossy receiver really lost packets and had them repaired.
    const lossy = event(r[0]!, 'done')!;
    expect(lossy.symbolsRequested as number).toBeGreaterThan(0);
    expect(event(s, 'summary')!.repairSymbols as number).toBeGreaterThan(0);
    // Legit receivers on a lossy link never meet the sender's limits (issue 16).
    expect(event(s, 'summary')!.dropped).toMatchObject({ forged: 0, rateLimited: 0, overBudget: 0, joinsRefused: 0 });
  });
});
