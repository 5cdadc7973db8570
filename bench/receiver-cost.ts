/**
 * A receiver's fixed CPU cost: what one receiver spends per second of a
 * session at a low paced rate, on loopback. At the scale benchmark's rates
 * the wire carries little, so this cost, times N receivers on one host,
 * decides whether the lab measures the protocol or the machine (100
 * receivers at 2% of a core each fill 2 cores).
 *
 *   tsx bench/receiver-cost.ts [--rate 8m] [--receivers 4] [--seconds 10]
 *
 * Receivers run on loopback (group 239.255.62.62); a random image lasts the
 * whole window. Once every receiver has joined and 2 s have passed, CPU is
 * sampled from /proc/PID/task/*\/stat over --seconds and printed per thread
 * name, averaged over the receivers, as % of one core; then all is stopped.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseRate } from '../src/validate.js';
import { cli, readyEvent } from './tools.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '8m' },
    receivers: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '10' },
  },
});
const n = Number(values.receivers);
const seconds = Number(values.seconds);
const bytesPerS = parseRate('rate', values.rate!);
const TICKS = 100; // USER_HZ: /proc stat times are in 1/100 s

const dir = mkdtempSync(path.join(os.tmpdir(), 'bc-cost-'));
const image = path.join(dir, 'image');
// Long enough to outlast the window at the paced rate.
writeFileSync(image, randomBytes(Math.ceil((seconds + 15) * bytesPerS)));
const net = ['--group', '239.255.62.62', '--port', '9650', '--interface', '127.0.0.1'];

/** CPU ticks per thread kind (threads of the same kind summed). */
function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    // Node's main thread, worker threads and libuv's pool are all "node".
    const name = Number(tid) === pid ? 'main (JS)' : comm === 'node' ? 'workers, V8, libuv' : comm;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(name, (out.get(name) ?? 0) + Number(f[11]) + Number(f[12])); // utime, stime
  }
  return out;
}

const receivers = Array.from({ length: n }, (_, i) =>
  spawn(process.execPath, [cli, 'receive', path.join(dir, `t${i}`), ...net, '--json', '--max-buffer', '128M'], { stdio: ['ignore', 'pipe', 'inherit'] }),
);
const sender = spawn(process.execPath, [cli, 'send', image, ...net, '--quiet', '--rate', values.rate!, '--min-receivers', String(n)], { stdio: 'inherit' });
try {
  await Promise.all(receivers.map((r) => readyEvent(r, 'session')));
  const gone = receivers.findIndex((r) => r.exitCode !== null);
  if (gone >= 0) throw new Error(`receiver ${gone} exited (${receivers[gone]!.exitCode}) before joining`);
  await new Promise((r) => setTimeout(r, 2000));
  const pids = [...receivers.map((r) => r.pid!), sender.pid!];
  const before = pids.map(threadTicks);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = pids.map(threadTicks);
  const pct = (i: number): Map<string, number> => {
    const m = new Map<string, number>();
    for (const [name, t] of after[i]!) m.set(name, ((t - (before[i]!.get(name) ?? 0)) / TICKS / seconds) * 100);
    return m;
  };
  const perReceiver = new Map<string, number>();
  for (let i = 0; i < n; i++) for (const [name, p] of pct(i)) perReceiver.set(name, (perReceiver.get(name) ?? 0) + p / n);
  const total = [...perReceiver.values()].reduce((a, b) => a + b, 0);
  const senderTotal = [...pct(n).values()].reduce((a, b) => a + b, 0);
  console.log(`rate ${values.rate}, ${n} receivers on loopback, ${seconds} s window`);
  console.log(`| thread | % of a core per receiver |`);
  console.log(`|---|---|`);
  for (const [name, p] of [...perReceiver].sort((a, b) => b[1] - a[1])) if (p > 0) console.log(`| ${name} | ${p.toFixed(2)} |`);
  console.log(`| **total** | **${total.toFixed(2)}** |`);
  console.log(`sender: ${senderTotal.toFixed(2)}% of a core`);
  console.log(JSON.stringify({ rate: values.rate, receivers: n, seconds, receiverPct: total, senderPct: senderTotal, threads: Object.fromEntries(perReceiver) }));
} finally {
  for (const c of [sender, ...receivers]) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
