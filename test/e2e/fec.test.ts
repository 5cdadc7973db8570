// FEC repair end to end: receivers that lost different packets are all
// repaired by the same fresh parity symbols, decoded natively.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab, cleanupStale } from '../../bench/lab/netns.js';
import { event, sha256File, startCli, uniqueChannel } from '../helpers/cli.js';
import { sampleImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();

describe('FEC repair', () => {
  it('repairs 8 receivers with different random loss, all byte-identical', async () => {
    const port = 9310;
    const losses = [0, 0.5, 1, 2, 3, 4, 5, 1.5];
    cleanupStale('tfec');
    const lab = Lab.create({ name: 'tfec', receivers: losses.length, subnet: 8 });
    tmp.setLab(lab);
    losses.forEach((l, i) => lab.setLoss(i, l, [port]));
    const image = sampleImage(tmp.dir, 24 * 1024 * 1024 + 4321, 'fec8.img');
    const common = ['--group', '239.255.3.4', '--port', String(port), '--json'];
    const targets = losses.map((_, i) => path.join(tmp.dir, `fec8-${i}.img`));
    const rx = targets.map((t, i) =>
      startCli(['receive', t, ...common, '--interface', lab.receiverAddrs[i]!, '--wait-timeout', '60'], ['ip', 'netns', 'exec', lab.receiverNs[i]!]),
    );
    const tx = startCli(['send', image, ...common, '--interface', lab.senderAddr, '--min-receivers', String(losses.length), '--rate', '300m'], [
      'ip', 'netns', 'exec', lab.senderNs,
    ]);
    const [s, ...r] = await Promise.all([tx.done, ...rx.map((x) => x.done)]);
    expect(s.code, s.stderr).toBe(0);
    const want = sha256File(image);
    r.forEach((res, i) => {
      expect(res.code, res.stderr).toBe(0);
      expect(sha256File(targets[i]!)).toBe(want);
    });
    const summary = event(s, 'summary')!;
    expect(summary.paritySymbols as number).toBeGreaterThan(0);
    // The 5% receiver rebuilt lost sources from parity.
    expect(event(r[6]!, 'done')!.decodedSymbols as number).toBeGreaterThan(0);
    tmp.setLab(undefined);
  });

  it('repairs a burst of 50 consecutive lost packets at one receiver with parity alone', async () => {
    const image = sampleImage(tmp.dir, 8 * 1024 * 1024, 'burst.img');
    const { group, port } = uniqueChannel();
    const net = ['--interface', '127.0.0.1', '--group', group, '--port', port, '--json'];
    const targets = [0, 1].map((i) => path.join(tmp.dir, `burst-${i}.img`));
    // Receiver 0 loses DATA datagrams 2000..2049: symbols 550..599 of chunk 2, all in stripe 2 (sources 400..599).
    const rx = targets.map((t, i) => startCli(['receive', t, ...net, '--wait-timeout', '60'], [], i === 0 ? { BLOCKCAST_TEST_DROP_BURST: '2000,50' } : {}));
    const tx = startCli(['send', image, ...net, '--min-receivers', '2', '--rate', '500m']);
    const [s, ...r] = await Promise.all([tx.done, ...rx.map((x) => x.done)]);
    expect(s.code, s.stderr).toBe(0);
    for (const [i, res] of r.entries()) {
      expect(res.code, res.stderr).toBe(0);
      expect(sha256File(targets[i]!)).toBe(sha256File(image));
    }
    const done = event(r[0]!, 'done')!;
    expect(done.injectedDrops).toBe(50);
    expect(done.decodedSymbols).toBe(50);
    expect(event(s, 'summary')!.paritySymbols).toBe(50);
  });

  it('with proactive --fec, rebuilds a 15-packet burst without asking for repair', async () => {
    const image = sampleImage(tmp.dir, 4 * 1024 * 1024, 'proactive.img');
    const { group, port } = uniqueChannel();
    const net = ['--interface', '127.0.0.1', '--group', group, '--port', port, '--json'];
    const target = path.join(tmp.dir, 'proactive-target.img');
    // 15 consecutive DATA datagrams lost in chunk 1 (sources of its first stripe); 10% of a
    // 200-source stripe is 20 proactive parity symbols, enough to rebuild them.
    const rx = startCli(['receive', target, ...net, '--wait-timeout', '60'], [], { BLOCKCAST_TEST_DROP_BURST: '900,15' });
    const s = await startCli(['send', image, ...net, '--fec', '0.1']).done;
    const r = await rx.done;
    expect(s.code, s.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(sha256File(target)).toBe(sha256File(image));
    const summary = event(s, 'summary')!;
    expect(summary.proactiveSymbols as number).toBeGreaterThan(0);
    expect(summary.repairJobs).toBe(0);
    expect(event(r, 'done')!.decodedSymbols).toBe(15);
  });

  it('still repairs by retransmission with --fec-stripe 0', async () => {
    const image = sampleImage(tmp.dir, 4 * 1024 * 1024, 'nofec.img');
    const { group, port } = uniqueChannel();
    const net = ['--interface', '127.0.0.1', '--group', group, '--port', port, '--json'];
    const target = path.join(tmp.dir, 'nofec-target.img');
    const rx = startCli(['receive', target, ...net, '--wait-timeout', '60'], [], { BLOCKCAST_TEST_DROP_BURST: '100,30' });
    const s = await startCli(['send', image, ...net, '--fec-stripe', '0']).done;
    const r = await rx.done;
    expect(s.code, s.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(sha256File(target)).toBe(sha256File(image));
    expect(event(s, 'summary')!.paritySymbols).toBe(0);
    expect(event(s, 'summary')!.repairSymbols).toBe(30);
  });
});
