/**
 * Side by side: blockcast and udpcast (Debian's udp-sender/udp-receiver) in
 * the same netns lab, the same run, the same image. For each N, each tool
 * sends the image to N receivers; the time is wall clock from launching the
 * sender to the last receiver's exit (so it includes each tool's own
 * start-up: blockcast's manifest hashing, udpcast's rendezvous). Every
 * target is checked by SHA-256; a run that does not verify is reported as
 * failed, not timed.
 *
 *   tsx bench/compare.ts [--receivers 1,4,16] [--size 512M | --ext4 | --image FILE] [--loss PCT]
 *                        [--udpcast-fec 8x8/128]
 *
 * --ext4 uses the real ext4 image of bench/ext4.ts (2 GiB, ~1.1 GB of files).
 * Up to 4 receivers, targets are pre-allocated tmpfs files. Beyond that, N
 * full copies do not fit in memory: udp-receiver then writes to stdout,
 * hashed by sha256sum as it arrives, and blockcast's receivers create their
 * targets sparse (its zero chunks take no memory).
 *
 * udpcast runs at its best as ../shared/NOTES.md found it: a 32 MiB receive
 * buffer (--rcvbuf) so it does not lose packets to full socket buffers, and
 * --nopointopoint so a single receiver still gets multicast, plus an explicit
 * --mcast-rdv-address (its default rendezvous does not connect in the lab). Needs root,
 * iproute2, ethtool, nftables and the udpcast package.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeSampleImage } from '../src/cli/demo.js';
import { parseSize } from '../src/validate.js';
import { ext4Image } from './ext4.js';
import { Lab, cleanupStale } from './lab/netns.js';

const cli = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), 'dist', 'cli', 'main.js');
const PORT = 9600;
// udpcast's default rendezvous (broadcast / 224.0.0.1) never connects in the
// lab; an explicit multicast rendezvous group does.
const RDV = '239.255.61.61';

interface ToolRun {
  tool: string;
  receivers: number;
  seconds: number;
  mbps: number;
  verified: boolean;
  failure?: string;
}

function exited(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function runTool(
  tool: 'blockcast' | 'udpcast' | 'blockcast (prepared)',
  lab: Lab,
  image: string,
  imageBytes: number,
  want: string,
  work: string,
  udpcastFec?: string,
): Promise<ToolRun> {
  const n = lab.receiverNs.length;
  const targets = lab.receiverNs.map((_, i) => path.join(work, `${tool}-${i}.img`));
  const stream = n > 4; // see the header comment
  if (!stream) for (const t of targets) execFileSync('fallocate', ['-l', String(imageBytes), t]);
  const udpReceiver = (ns: string): string[] => [
    'udp-receiver', '--interface', lab.ifaceIn(ns), '--portbase', String(PORT), '--nokbd', '--rcvbuf', '33554432', '--start-timeout', '60', '--mcast-rdv-address', RDV,
  ];
  const quiet = { stdio: ['ignore', 'ignore', 'pipe'] as ['ignore', 'ignore', 'pipe'] };
  const receivers = lab.receiverNs.map((ns, i) =>
    tool !== 'udpcast'
      ? lab.exec(ns, [process.execPath, cli, 'receive', targets[i]!, '--group', '239.255.60.60', '--port', String(PORT), '--interface', lab.receiverAddrs[i]!, '--wait-timeout', '60', '--quiet'], quiet)
      : stream
        ? lab.exec(ns, ['bash', '-c', `set -o pipefail; ${udpReceiver(ns).join(' ')} | sha256sum > ${targets[i]!}.sha256`], quiet)
        : lab.exec(ns, [...udpReceiver(ns), '--file', targets[i]!], quiet),
  );
  const done = receivers.map(exited);
  await new Promise((r) => setTimeout(r, 500)); // let receivers join before the sender starts
  const t0 = performance.now();
  const sender =
    tool !== 'udpcast'
      ? lab.exec(lab.senderNs, [process.execPath, cli, 'send', tool === 'blockcast' ? image : `${image}.bcp`, '--group', '239.255.60.60', '--port', String(PORT), '--interface', lab.senderAddr, '--min-receivers', String(n), '--rate', '10g', '--quiet'], quiet)
      : lab.exec(lab.senderNs, [
          'udp-sender', '--file', image, '--interface', lab.ifaceIn(lab.senderNs), '--portbase', String(PORT), '--min-receivers', String(n),
          '--nokbd', '--nopointopoint', '--mcast-rdv-address', RDV, ...(udpcastFec ? ['--fec', udpcastFec] : []),
        ], quiet);
  const codes = await Promise.all([exited(sender), ...done]);
  const seconds = (performance.now() - t0) / 1000;
  let failure = codes.some((c) => c !== 0) ? `exit codes ${codes.join(',')}` : undefined;
  if (!failure) {
    for (const [i, t] of targets.entries()) {
      const got = tool === 'udpcast' && stream ? readFileSync(`${t}.sha256`, 'utf8').split(' ')[0] : await sha256File(t);
      if (got !== want) {
        failure = `receiver ${i}: target does not match the image`;
        break;
      }
    }
  }
  for (const t of targets) rmSync(t, { force: true }), rmSync(`${t}.sha256`, { force: true });
  return { tool: udpcastFec ? `udpcast --fec ${udpcastFec}` : tool, receivers: n, seconds, mbps: imageBytes / 1e6 / seconds, verified: !failure, ...(failure ? { failure } : {}) };
}

const { values } = parseArgs({
  options: {
    receivers: { type: 'string', default: '1,4,16' },
    size: { type: 'string', default: '512M' },
    loss: { type: 'string', default: '0' },
    'udpcast-fec': { type: 'string' },
    ext4: { type: 'boolean', default: false },
    prepared: { type: 'boolean', default: false },
    image: { type: 'string' },
  },
});
const loss = Number(values.loss);
const work = path.join('/dev/shm', `blockcast-compare-${process.pid}`);
mkdirSync(work, { recursive: true });
let image = path.join(work, 'image.img');
if (values.ext4) image = ext4Image().path;
else if (values.image) image = values.image;
else makeSampleImage(image, parseSize('size', values.size!));
const size = statSync(image).size;
const want = await sha256File(image);
console.log(`image ${image}: ${(size / 2 ** 20).toFixed(0)} MiB`);
if (values.prepared) {
  // Prepared once, as a site does for a golden image; not part of the timed sends.
  const t0 = performance.now();
  execFileSync(process.execPath, [cli, 'prepare', image, '-o', `${image}.bcp`, '--quiet']);
  console.log(`blockcast prepare: ${((performance.now() - t0) / 1000).toFixed(2)} s (once, not timed below)`);
}

console.log(`| N | loss | tool | seconds | MB/s per receiver | blockcast / udpcast | verified |`);
console.log(`|---|---|---|---|---|---|---|`);
try {
  for (const n of values.receivers!.split(',').map(Number)) {
    cleanupStale('bccmp');
    const lab = Lab.create({ name: 'bccmp', receivers: n, subnet: 10 });
    try {
      if (loss > 0) lab.receiverNs.forEach((_, i) => lab.setLoss(i, loss, [PORT, PORT + 1]));
      const runs = [await runTool('udpcast', lab, image, size, want, work)];
      if (values['udpcast-fec']) runs.push(await runTool('udpcast', lab, image, size, want, work, values['udpcast-fec']));
      const ours = [await runTool('blockcast', lab, image, size, want, work)];
      if (values.prepared) ours.push(await runTool('blockcast (prepared)', lab, image, size, want, work));
      const best = Math.max(...runs.filter((r) => r.verified).map((r) => r.mbps), 0);
      for (const r of [...runs, ...ours]) {
        const ratio = ours.includes(r) && best > 0 && r.verified ? `${(r.mbps / best).toFixed(1)}×` : '';
        console.log(`| ${n} | ${loss}% | ${r.tool} | ${r.verified ? r.seconds.toFixed(2) : '—'} | ${r.verified ? r.mbps.toFixed(1) : 'FAILED: ' + r.failure} | ${ratio} | ${r.verified ? 'yes' : 'no'} |`);
      }
    } finally {
      lab.destroy();
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
