// Heavy loss in a netns lab: one receiver behind 10% random ingress loss,
// the other behind bursts (nftables drops 10 datagrams in a row out of every
// 100: 10%, in runs). NACK repair must still deliver every byte to both.
import { describe, expect, it } from 'vitest';
import { Lab, cleanupStale } from '../../bench/lab/netns.js';
import { event } from '../helpers/cli.js';
import { runLabSession } from '../helpers/lab-session.js';
import { sampleImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();
const isRoot = process.getuid?.() === 0;

/** Drops `run` consecutive datagrams to `port` out of every `every`, in receiver `i`'s namespace. */
function burstLoss(lab: Lab, i: number, port: number, run: number, every: number): void {
  const ns = lab.receiverNs[i]!;
  lab.execSync(ns, ['nft', 'add', 'table', 'inet', 'blockcast_burst']);
  lab.execSync(ns, ['nft', 'add chain inet blockcast_burst ingress { type filter hook prerouting priority raw; policy accept; }']);
  lab.execSync(ns, ['nft', `add rule inet blockcast_burst ingress udp dport ${port} numgen inc mod ${every} < ${run} drop`]);
}

describe.skipIf(!isRoot)('heavy loss', () => {
  it('repairs 10% random loss and 10% in bursts of 10, both byte-identical', async () => {
    const port = 9320;
    cleanupStale('thvy');
    const lab = Lab.create({ name: 'thvy', receivers: 2, subnet: 23 });
    tmp.setLab(lab);
    lab.setLoss(0, 10, [port]);
    burstLoss(lab, 1, port, 10, 100);
    const image = sampleImage(tmp.dir, 24 * 1024 * 1024 + 99);
    const { sender: s, receivers: r } = await runLabSession(lab, { image, dir: tmp.dir, group: '239.255.3.23', port, sendArgs: ['--rate', '300m'] });
    for (const res of r) expect(event(res, 'done')!.symbolsRequested as number).toBeGreaterThan(0);
    expect(event(s, 'summary')!.dropped).toMatchObject({ forged: 0, overBudget: 0 });
  });
});
