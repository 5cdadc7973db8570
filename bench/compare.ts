/**
 * Side by side: blockcast and udpcast (Debian's udp-sender/udp-receiver) in
 * the same netns lab, the same run, the same image (bench/tools.ts runs and
 * verifies each transfer). For the whole matrix with uftp, loss, rate caps,
 * JSON and plots, see bench/matrix.ts.
 *
 *   tsx bench/compare.ts [--receivers 1,4,16] [--size 512M | --ext4 | --image FILE] [--loss PCT]
 *                        [--prepared] [--udpcast-fec]
 *
 * --ext4 uses the real ext4 image of bench/ext4.ts (2 GiB, ~1.1 GB of files);
 * --prepared also sends a `blockcast prepare`d copy, made once, untimed.
 * udpcast runs at its best as ../shared/NOTES.md found it: a 32 MiB receive
 * buffer (--rcvbuf), --nopointopoint so a single receiver still gets
 * multicast, and an explicit --mcast-rdv-address (its default rendezvous
 * does not connect in the lab). Needs root, iproute2, ethtool, nftables and
 * the udpcast package.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { makeSampleImage } from '../src/cli/demo.js';
import { parseSize } from '../src/validate.js';
import { ext4Image } from './ext4.js';
import { Lab, cleanupStale } from './lab/netns.js';
import { PORT, cli, runTransfer, sha256File, type ToolName, type ToolRun } from './tools.js';

const { values } = parseArgs({
  options: {
    receivers: { type: 'string', default: '1,4,16' },
    size: { type: 'string', default: '512M' },
    loss: { type: 'string', default: '0' },
    'udpcast-fec': { type: 'boolean', default: false },
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
const imageBytes = statSync(image).size;
const want = await sha256File(image);
console.log(`image ${image}: ${(imageBytes / 2 ** 20).toFixed(0)} MiB`);
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
      const run = (tool: ToolName): Promise<ToolRun> => runTransfer({ tool, lab, image, imageBytes, want, work });
      const theirs = [await run('udpcast')];
      if (values['udpcast-fec']) theirs.push(await run('udpcast-fec'));
      const ours = [await run('blockcast')];
      if (values.prepared) ours.push(await run('blockcast-prepared'));
      const best = Math.max(...theirs.filter((r) => r.verified).map((r) => r.mbps), 0);
      for (const r of [...theirs, ...ours]) {
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
