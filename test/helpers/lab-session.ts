// One session in a netns lab: a sender in its namespace, every receiver in
// its own, each writing its own target; the test then checks every copy.
import path from 'node:path';
import { expect } from 'vitest';
import type { Lab } from '../../bench/lab/netns.js';
import { sha256File, startCli, type CliResult } from './cli.js';

export interface LabSession {
  sender: CliResult;
  receivers: CliResult[];
}

/** Sends `image` to every receiver of `lab` (all must join); `sendArgs` are added to the sender's. */
export async function runLabSession(lab: Lab, o: { image: string; dir: string; group: string; port: number; sendArgs?: string[] }): Promise<LabSession> {
  const targets = lab.receiverNs.map((_, i) => path.join(o.dir, `target-${i}.img`));
  const common = ['--group', o.group, '--port', String(o.port), '--json'];
  const rx = targets.map((t, i) =>
    startCli(['receive', t, ...common, '--interface', lab.receiverAddrs[i]!, '--wait-timeout', '60'], ['ip', 'netns', 'exec', lab.receiverNs[i]!]),
  );
  const tx = startCli(['send', o.image, ...common, '--interface', lab.senderAddr, '--min-receivers', String(targets.length), ...(o.sendArgs ?? [])], [
    'ip', 'netns', 'exec', lab.senderNs,
  ]);
  const [sender, ...receivers] = await Promise.all([tx.done, ...rx.map((x) => x.done)]);
  expect(sender.code, sender.stderr).toBe(0);
  const want = sha256File(o.image);
  for (const [i, r] of receivers.entries()) {
    expect(r.code, r.stderr).toBe(0);
    expect(sha256File(targets[i]!)).toBe(want);
  }
  return { sender, receivers };
}
