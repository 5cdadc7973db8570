/**
 * Issue 17's rate lab: sender's link capped at 200 Mbit/s by tbf, N = 2,
 * a real 512 MiB ext4 image, default options (rate discovery on, --rate 1g
 * as its ceiling). In one run: an uncapped run (the reference wire bytes),
 * the capped run, the capped run with 1% random loss at each receiver, and
 * the old behaviour (--rate 1g --rate-discovery off) for contrast.
 *
 *   tsx bench/forgiving/rate.ts [--image FILE] [--tbf 200] [--where sender|switch] [--json FILE]
 *
 * --where switch puts the cap on the bridge's ports to the receivers instead
 * (a slower switch port further on): the sender's own socket then sees no
 * back-pressure, and only the receivers' reports can tell it the rate.
 *
 * Acceptance: capped time ≤ 1.2 × uncapped wire bytes ÷ link rate; capped
 * wire bytes ≤ 1.1 × uncapped; with 1% loss, time ≤ 1.1 × the capped run's.
 * Needs root, iproute2, ethtool and nftables (bench/lab/netns.ts).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runE2e, type E2eResult } from '../e2e.js';
import type { Lab } from '../lab/netns.js';

const { values } = parseArgs({
  options: {
    image: { type: 'string', default: '/var/tmp/blockcast-bench/ext4-512M.img' },
    tbf: { type: 'string', default: '200' },
    where: { type: 'string', default: 'sender' },
    json: { type: 'string' },
  },
});
const tbf = Number(values.tbf);
const linkBytesPerSecond = (tbf * 1e6) / 8;
const atSwitch = values.where === 'switch';

/** tbf on each bridge port towards a receiver, as the lab puts it on the sender's veth. */
function capSwitchPorts(lab: Lab): void {
  const burst = Math.max(8 * lab.mtu, Math.ceil(linkBytesPerSecond / 500));
  lab.receiverNs.forEach((_, i) =>
    lab.execSync(lab.hubNs, ['tc', 'qdisc', 'replace', 'dev', `${lab.name}-h${i}`, 'root', 'tbf', 'rate', `${tbf}mbit`, 'burst', String(burst), 'latency', '50ms']),
  );
}

interface Run {
  label: string;
  result: E2eResult;
  wireBytes: number;
}

async function run(label: string, o: { tbf?: number; loss?: number; sendArgs?: string[] }): Promise<Run> {
  const result = await runE2e({
    receivers: 2, size: 0, mtu: 1500, rate: '1g', loss: o.loss ?? 0, ceiling: false, wholeSkb: false, rxGro: false,
    image: values.image!, ...(o.sendArgs ? { sendArgs: o.sendArgs } : {}),
    ...(o.tbf && !atSwitch ? { tbf: o.tbf } : {}), ...(o.tbf && atSwitch ? { setup: capSwitchPorts } : {}),
  });
  const wireBytes = result.wireMBps * 1e6 * result.seconds;
  const r = { label, result, wireBytes };
  console.log(`${label}: ${result.verified ? 'verified' : `FAILED ${result.failures.join('; ')}`}, ${result.seconds.toFixed(2)} s, wire ${(wireBytes / 1e6).toFixed(1)} MB, repair ${(result.repairRatio * 100).toFixed(2)}%, rate cuts ${result.rateDecreases}, lowest ${result.lowestRateMBps.toFixed(1)} MB/s`);
  return r;
}

const uncapped = await run('uncapped, defaults', {});
const cap = `tbf ${tbf} Mbit/s at the ${atSwitch ? 'switch ports' : "sender's link"}`;
const capped = await run(`${cap}, defaults`, { tbf });
const lossy = await run(`${cap} + 1% loss, defaults`, { tbf, loss: 1 });
const fixed = await run(`${cap}, --rate 1g --rate-discovery off (fixed rate)`, { tbf, sendArgs: ['--rate-discovery', 'off'] });

const linkSeconds = uncapped.wireBytes / linkBytesPerSecond;
const ratios = {
  timeVsLink: capped.result.seconds / linkSeconds, // ≤ 1.2
  wireVsUncapped: capped.wireBytes / uncapped.wireBytes, // ≤ 1.1
  lossyTimeVsCapped: lossy.result.seconds / capped.result.seconds, // ≤ 1.1
  fixedTimeVsLink: fixed.result.seconds / linkSeconds,
  fixedWireVsUncapped: fixed.wireBytes / uncapped.wireBytes,
};
console.log(`link time of the uncapped run's wire bytes: ${linkSeconds.toFixed(2)} s`);
console.log(`capped time / link time ${ratios.timeVsLink.toFixed(2)} (≤ 1.2), capped wire / uncapped ${ratios.wireVsUncapped.toFixed(2)} (≤ 1.1), 1% loss time / capped ${ratios.lossyTimeVsCapped.toFixed(2)} (≤ 1.1)`);
console.log(`old behaviour (fixed 1g): time / link time ${ratios.fixedTimeVsLink.toFixed(2)}, wire / uncapped ${ratios.fixedWireVsUncapped.toFixed(2)}`);
if (values.json) writeFileSync(values.json, JSON.stringify({ tbfMbit: tbf, where: values.where, image: values.image, linkSeconds, ratios, runs: [uncapped, capped, lossy, fixed] }, null, 2));
