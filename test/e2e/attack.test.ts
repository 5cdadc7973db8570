// Issue 16's attacker lab (bench/attack.ts): two receivers and an attacker
// host on a flooding bridge. The first test checks the lab and the attacker
// tool themselves; the second runs the full attack against a signed and
// sealed session, once this build's CLI has the security options.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliHasKeyOptions, runAttackLab, summarize, ATTACKS, FORGE_KINDS } from '../../bench/attack.js';
import { runAttacker } from '../../bench/lab/attacker.js';
import { Lab, cleanupStale } from '../../bench/lab/netns.js';
import { sha256File, startCli } from '../helpers/cli.js';
import { randomImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();
const hasKeys = cliHasKeyOptions();

describe('attack lab', () => {
  it('records a session from the flooded bridge and replays it with the sender as source', async () => {
    cleanupStale('tatk');
    const lab = Lab.create({ name: 'tatk', receivers: 1, attacker: true, flood: true, subnet: 12 });
    tmp.setLab(lab);
    const attacker = lab.attackerNs!;
    const group = '239.255.12.12';
    const port = 9312;
    const recording = path.join(tmp.dir, 'session.rec');
    const recorder = runAttacker(lab, attacker, 'record', ['--iface', attacker, '--file', recording]);
    await recorder.ready;

    const image = randomImage(tmp.dir, 3 * 1024 * 1024 + 5);
    const target = path.join(tmp.dir, 'target.img');
    const common = ['--group', group, '--port', String(port), '--json'];
    const rx = startCli(['receive', target, ...common, '--interface', lab.receiverAddrs[0]!, '--wait-timeout', '30'], [
      'ip', 'netns', 'exec', lab.receiverNs[0]!,
    ]);
    const tx = startCli(['send', image, ...common, '--interface', lab.senderAddr, '--rate', '200m'], ['ip', 'netns', 'exec', lab.senderNs]);
    const [s, r] = await Promise.all([tx.done, rx.done]);
    expect(s.code, s.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(sha256File(target)).toBe(sha256File(image));
    recorder.stop();
    const rec = await recorder.done;
    const byType = rec.byType as number[];
    // DATA and ANNOUNCE were multicast; STATUS went unicast to the sender and ACK
    // back: seeing them shows that the bridge floods as a hub would.
    expect(byType[1]).toBeGreaterThan(2000);
    expect(byType[2]).toBeGreaterThan(0);
    expect(byType[3]).toBeGreaterThan(0);
    expect(byType[5]).toBeGreaterThan(0);

    // The sender's multicast packets, replayed by the attacker, reach a listener
    // in the receiver's namespace as if the sender had sent them.
    const listener = runAttacker(lab, lab.receiverNs[0]!, 'listen', [
      '--addr', lab.receiverAddrs[0]!, '--group', group, '--port', String(port),
    ]);
    await listener.ready;
    const replay = runAttacker(lab, attacker, 'replay', ['--addr', lab.attackerAddr!, '--file', recording, '--group-only', '--pps', '20000']);
    const replayed = await replay.done;
    listener.stop();
    const heard = await listener.done;
    expect(replayed.sent).toBe(byType[1]! + byType[2]! + byType[6]!);
    expect(heard.blockcast).toBeGreaterThan((replayed.sent as number) * 0.9);
    const sources = heard.sources as { addr: string; count: number }[];
    expect(sources.map((x) => x.addr)).toEqual([lab.senderAddr]);
    lab.destroy();
  });

  it.skipIf(!hasKeys)(
    `with --sign-key/--trust/--group-key, both receivers end with the new image despite replay, mutation and forgeries${
      hasKeys ? '' : ' (skipped: this build of blockcast has no --group-key yet)'
    }`,
    async () => {
      const r = await runAttackLab({
        size: 24 * 1024 * 1024,
        keys: true,
        attacks: [...ATTACKS],
        forgeKinds: [...FORGE_KINDS],
        each: false,
        senderArgs: [],
        receiverArgs: [],
        rate: '1g',
        leadSeconds: 2,
        replayPps: 3000,
        mutateEvery: 8,
        mutatePps: 3000,
        forgeIntervalMs: 50,
        labName: 'tatks',
        subnet: 13,
      });
      const v = r.attacked;
      expect(v.hung, summarize(v)).toBe(false);
      expect(v.senderCode, v.errors.join('\n')).toBe(0);
      expect(v.receiverCodes, v.errors.join('\n')).toEqual([0, 0]);
      expect(v.targets).toEqual(['B', 'B']);
      expect(v.timeRatio, summarize(v)).toBeLessThanOrEqual(2);
      expect(v.wireRatio, summarize(v)).toBeLessThanOrEqual(1.5);
    },
  );
});
