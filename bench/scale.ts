/**
 * Scale benchmark: the same small image to N receivers, each behind its own
 * independent random loss, with the sender's link capped by tc tbf so that
 * the link, not this machine's CPU, is the bottleneck, and the sender paced
 * at 95% of that cap (--rate, as an operator sets it just under the link
 * rate). Reports, against N,
 * completion time, repair symbols / data symbols and receivers' control
 * traffic / data bytes.
 *
 *   tsx bench/scale.ts [--receivers 1,10,50,100] [--loss 1,5] [--tbf 8] [--size 16M] [--fec-stripe K]
 *                      [--send-args="--slow-receivers wait"]
 *                      [--workers N] [--random]
 *
 * --random sends an incompressible image instead of the compressible sample:
 * every byte then crosses the wire, so a receiver's fixed control traffic
 * (joining, its final report) is measured against as much data as at
 * 2026-11-22, before chunks travelled compressed.
 *
 * --workers sets each receiver's worker threads (blockcast's --workers): at
 * 200 receivers on one machine, one each keeps the lab within memory.
 *
 * Prints one Markdown table row per run and a JSON line per run.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseSize } from '../src/validate.js';
import { runE2e } from './e2e.js';

const { values } = parseArgs({
  options: {
    receivers: { type: 'string', default: '1,10,50,100' },
    loss: { type: 'string', default: '1,5' },
    tbf: { type: 'string', default: '8' },
    size: { type: 'string', default: '16M' },
    'fec-stripe': { type: 'string' },
    workers: { type: 'string' },
    'send-args': { type: 'string' },
    random: { type: 'boolean', default: false },
  },
});
const ns = values.receivers!.split(',').map(Number);
const losses = values.loss!.split(',').map(Number);
const tbf = Number(values.tbf);
const size = parseSize('size', values.size!);

/** The sender's control byte counters, in the order of the table's column. */
const CONTROL_PARTS = ['joins', 'heartbeats', 'overload', 'finals', 'nacksFirstPass', 'nacksRepairing'];

const randomImage = values.random ? '/dev/shm/blockcast-scale-random.img' : undefined;
if (randomImage) writeFileSync(randomImage, randomBytes(size));

console.log(`| loss | N | seconds | time / N=1 | repair / data | control / data | control: joins, heartbeats, overload, finals, first-pass NACKs, tail NACKs | verified |`);
console.log(`|---|---|---|---|---|---|---|---|`);
for (const loss of losses) {
  let base: number | undefined;
  for (const n of ns) {
    const rate = `${Math.floor(tbf * 950)}k`;
    const fec = values['fec-stripe'] === undefined ? {} : { fecStripe: Number(values['fec-stripe']) };
    const r = await runE2e({ receivers: n, size, mtu: 1500, rate, loss, tbf, ceiling: false, wholeSkb: false, rxGro: false, ...fec,
      ...(values.workers ? { receiveArgs: ['--workers', values.workers] } : {}),
      ...(values['send-args'] ? { sendArgs: values['send-args'].split(' ').filter(Boolean) } : {}),
      ...(randomImage ? { image: randomImage } : {}),
    });
    base ??= r.seconds;
    console.error(JSON.stringify({ ...r, receiverCpu: undefined, drops: undefined }));
    console.log(
      `| ${loss}% | ${n} | ${r.seconds.toFixed(2)} | ${(r.seconds / base).toFixed(2)} | ${(r.repairRatio * 100).toFixed(2)}% | ` +
        `${(r.controlRatio * 100).toFixed(2)}% | ${CONTROL_PARTS.map((k) => `${((r.controlShares[k] ?? NaN) * 100).toFixed(2)}%`).join(', ')} | ${r.verified ? 'yes' : `NO: ${r.failures[0]}`} |`,
    );
  }
}
if (randomImage) rmSync(randomImage, { force: true });
