// FEC repair end to end: receivers that lost different packets are all
// repaired by the same fresh parity symbols, decoded natively.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab, cleanupStale } from '../../bench/lab/netns.js';
import { event, sha256File, startCli, uniqueChannel } from '../helpers/cli.js';
import { randomImage, sampleImage } from '../helpers/image.js';
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
    // Legit receivers on a lossy link never meet the sender's limits (issue 16).
    expect(summary.dropped).toMatchObject({ forged: 0, rateLimited: 0, overBudget: 0, joinsRefused: 0 });
    // The 5% receiver rebuilt lost sources from parity.
    expect(event(r[6]!, 'done')!.decodedSymbols as number).toBeGreaterThan(0);
    tmp.setLab(undefined);
  });

  /**
   * A loopback session of a fresh random image (so DATA datagram n maps to a
   * known symbol: 1444-byte symbols, 727 per chunk, after the one-packet
   * manifest): receiver i drops the DATA
   * datagrams `drops[i]` names ("START,COUNT", or '' for none). Asserts every
   * exit code and every target's hash; returns the sender's summary and the
   * receivers' done events.
   */
  async function verifiedSession(name: string, size: number, drops: string[], sendArgs: string[]) {
    const image = randomImage(tmp.dir, size, `${name}.img`);
    const { group, port } = uniqueChannel();
    const net = ['--interface', '127.0.0.1', '--group', group, '--port', port, '--json'];
    const targets = drops.map((_, i) => path.join(tmp.dir, `${name}-${i}.img`));
    const rx = targets.map((t, i) => startCli(['receive', t, ...net, '--wait-timeout', '60'], [], drops[i] ? { BLOCKCAST_TEST_DROP_BURST: drops[i]! } : {}));
    const tx = startCli(['send', image, ...net, '--min-receivers', String(drops.length), ...sendArgs]);
    const [s, ...r] = await Promise.all([tx.done, ...rx.map((x) => x.done)]);
    expect(s.code, s.stderr).toBe(0);
    const want = sha256File(image);
    r.forEach((res, i) => {
      expect(res.code, res.stderr).toBe(0);
      expect(sha256File(targets[i]!)).toBe(want);
    });
    return { summary: event(s, 'summary')!, done: r.map((res) => event(res, 'done')!) };
  }

  it('repairs a burst of 50 consecutive lost packets at one receiver with parity alone', async () => {
    // Receiver 0 loses DATA datagrams 2000..2049: symbols 545..594 of chunk 2, all in stripe 2 (sources 400..599).
    const { summary, done } = await verifiedSession('burst', 8 * 1024 * 1024, ['2000,50', ''], ['--rate', '500m']);
    expect(done[0]!.injectedDrops).toBe(50);
    expect(done[0]!.decodedSymbols).toBe(50);
    expect(summary.paritySymbols).toBe(50);
  });

  it('with proactive --fec, rebuilds a 15-packet burst without asking for repair', async () => {
    // 15 consecutive DATA datagrams lost in chunk 1 (sources of its first stripe); 10% of a
    // 200-source stripe is 20 proactive parity symbols, enough to rebuild them.
    const { summary, done } = await verifiedSession('proactive', 4 * 1024 * 1024, ['900,15'], ['--fec', '0.1']);
    expect(summary.proactiveSymbols as number).toBeGreaterThan(0);
    expect(summary.repairJobs).toBe(0);
    expect(done[0]!.decodedSymbols).toBe(15);
  });

  it('still repairs by retransmission with --fec-stripe 0', async () => {
    const { summary } = await verifiedSession('nofec', 4 * 1024 * 1024, ['100,30'], ['--fec-stripe', '0']);
    expect(summary.paritySymbols).toBe(0);
    expect(summary.repairSymbols).toBe(30);
  });
});
