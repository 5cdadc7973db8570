// Pipes across network namespaces with a lossy receiver: `cat IMG |
// blockcast send -` in the sender's namespace, `blockcast receive - |
// sha256sum` in each receiver's, 2% of data packets dropped in front of one.
// Repairs come from the sender's window; every output must hash to the image.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab, cleanupStale } from '../../bench/lab/netns.js';
import { cliPath, sha256File } from '../helpers/cli.js';
import { sampleImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();
const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

function inNs(ns: string, command: string): Promise<{ code: number; stderr: string }> {
  const child = spawn('ip', ['netns', 'exec', ns, '/bin/sh', '-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, stderr })));
}

describe('pipes across namespaces', () => {
  it('cat IMG | send - reaches receive - | sha256sum on a clean and a lossy receiver', async () => {
    const port = 9320;
    cleanupStale('tpipe');
    const lab = Lab.create({ name: 'tpipe', receivers: 2, subnet: 14 });
    tmp.setLab(lab);
    lab.setLoss(0, 2, [port]);
    const image = sampleImage(tmp.dir, 24 * 1024 * 1024 + 4321, 'netns-stream.img');
    const sums = [0, 1].map((i) => path.join(tmp.dir, `netns-${i}.sum`));
    const common = `--group 239.255.3.9 --port ${port}`;
    // blockcast's own exit status, past the pipe (POSIX sh has no pipefail).
    const rx = sums.map((sum, i) =>
      inNs(lab.receiverNs[i]!, `{ node ${q(cliPath)} receive - ${common} --interface ${lab.receiverAddrs[i]} --wait-timeout 60; echo $? > ${q(sum)}.rc; } | sha256sum > ${q(sum)}`),
    );
    const tx = inNs(lab.senderNs, `cat ${q(image)} | node ${q(cliPath)} send - ${common} --interface ${lab.senderAddr} --min-receivers 2 --rate 400m --window 16m`);
    const [s, ...r] = await Promise.all([tx, ...rx]);
    expect(s.code, s.stderr).toBe(0);
    const want = sha256File(image);
    for (const [i, res] of r.entries()) {
      expect(res.code, res.stderr).toBe(0);
      expect(readFileSync(`${sums[i]!}.rc`, 'utf8').trim(), res.stderr).toBe('0');
      expect(readFileSync(sums[i]!, 'utf8').split(' ')[0]).toBe(want);
    }
    expect(r[0]!.stderr).toMatch(/done: .* [1-9]\d* symbols re-requested/);
  }, 120_000);
});
