/**
 * A slow receiver must not set everyone's pace (issue 17): a netns lab with the
 * sender's link capped by tbf (default 400 Mbit/s), N receivers (default 4), and in
 * the runs with a slow one, the last receiver behind its own cap (default 80 Mbit/s,
 * tbf on its bridge port). In one run of this script:
 *   clean      the same lab, no receiver capped
 *   slow       the last receiver capped, default options (--slow-receivers catch-up)
 *   wait       the same with --slow-receivers wait (everyone at the slowest's pace, as udpcast)
 * Each receiver's time is from launching the sender to its exit; every copy is checked by
 * SHA-256. Acceptance (issue 17): healthy receivers within 1.5× the clean time; the slow
 * one within 1.5 × (clean time + the session's wire bytes at the slow cap); wire bytes
 * ≤ 2.5× the clean run's.
 *
 *   tsx bench/forgiving/slow.ts [--image FILE] [--receivers 4] [--link 400] [--slow 80]
 *                               [--rate 380m] [--runs clean,slow,wait] [--raw-image FILE] [--json FILE]
 *
 * --image may be a prepared image (blockcast prepare), with --raw-image the image it holds
 * (copies are checked against it): the sender then spends no CPU compressing.
 *
 * --rate: until the sender discovers the link's rate itself (issue 17, rate discovery),
 * a ceiling under the link's, so that this measures isolation, not rate discovery.
 * Needs root, iproute2, ethtool. Targets are created sparse on /dev/shm by the receivers.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Lab, cleanupStale } from '../lab/netns.js';
import { cli, sha256File } from '../tools.js';

const PORT = 9640;
const GROUP = '239.255.64.40';

interface Proc {
  code: number;
  seconds: number;
  events: Record<string, unknown>[];
  stderr: string;
}

function start(lab: Lab, ns: string, args: string[], t0: () => number): Promise<Proc> & { ready: Promise<void> } {
  const child = lab.exec(ns, [process.execPath, cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let markReady = (): void => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('"event":"ready"')) markReady();
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<Proc>((resolve) =>
    child.on('close', (code) => {
      markReady();
      const events = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code: code ?? 1, seconds: (performance.now() - t0()) / 1000, events, stderr: err });
    }),
  );
  return Object.assign(done, { ready });
}

export interface SlowRun {
  run: string;
  ok: boolean;
  /** Per receiver: seconds from the sender's launch to its exit, exit code, verified, moved to catch-up (why). */
  receivers: { name: string; seconds: number; code: number; verified: boolean; catchUp?: string; slow: boolean; cpuSeconds?: number }[];
  senderSeconds: number;
  wireBytes: number;
  repairSymbols: number;
  rateDecreases: number;
  firstPassSeconds: number;
  /** Receivers' report bytes by purpose, and reports dropped by why (the sender's summary). */
  controlBytes: Record<string, number>;
  dropped: Record<string, number>;
}

async function runOnce(lab: Lab, run: string, o: { image: string; want: string; rate: string; slowIndex?: number; sendArgs: string[]; work: string }): Promise<SlowRun> {
  let t0 = 0;
  const targets = lab.receiverNs.map((_, i) => path.join(o.work, `${run}-${i}.img`));
  const common = ['--group', GROUP, '--port', String(PORT), '--json'];
  const rx = lab.receiverNs.map((ns, i) => start(lab, ns, ['receive', targets[i]!, ...common, '--interface', lab.receiverAddrs[i]!, '--name', `r${i}`, '--wait-timeout', '120'], () => t0));
  await Promise.all(rx.map((r) => r.ready));
  t0 = performance.now();
  const tx = start(lab, lab.senderNs, ['send', o.image, ...common, '--interface', lab.senderAddr, '--min-receivers', String(lab.receiverNs.length), '--rate', o.rate, ...o.sendArgs], () => t0);
  const [s, ...r] = await Promise.all([tx, ...rx]);
  const summary = (s.events.find((e) => e.event === 'summary') ?? {}) as {
    wireBytes?: number; repairSymbols?: number; rateDecreases?: number; firstPassSeconds?: number; controlBytes?: Record<string, number>; dropped?: Record<string, number>;
    receivers?: { name: string; catchUp?: { why: string; detail: string; atChunk: number; afterSeconds: number } }[];
  };
  const receivers = [];
  for (const [i, res] of r.entries()) {
    const verified = res.code === 0 && (await sha256File(targets[i]!)) === o.want;
    rmSync(targets[i]!, { force: true });
    const moved = summary.receivers?.find((x) => x.name === `r${i}`)?.catchUp;
    const cpuSeconds = (res.events.find((e) => e.event === 'done')?.cpuSeconds as number | undefined) ?? undefined;
    receivers.push({ name: `r${i}`, seconds: res.seconds, code: res.code, verified, slow: i === o.slowIndex, ...(cpuSeconds !== undefined ? { cpuSeconds } : {}), ...(moved ? { catchUp: `${moved.why} after ${moved.afterSeconds.toFixed(1)} s at chunk ${moved.atChunk}: ${moved.detail}` } : {}) });
  }
  if (s.code !== 0) process.stderr.write(`${run}: sender exit ${s.code}: ${s.stderr.trim().split('\n').pop()}\n`);
  return { run, ok: s.code === 0 && receivers.every((x) => x.verified), receivers, senderSeconds: s.seconds, wireBytes: summary.wireBytes ?? NaN, repairSymbols: summary.repairSymbols ?? NaN, rateDecreases: summary.rateDecreases ?? NaN, firstPassSeconds: summary.firstPassSeconds ?? NaN, controlBytes: summary.controlBytes ?? {}, dropped: summary.dropped ?? {} };
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      image: { type: 'string', default: '/var/tmp/blockcast-bench/ext4-512M.img' },
      receivers: { type: 'string', default: '4' },
      link: { type: 'string', default: '400' },
      slow: { type: 'string', default: '80' },
      rate: { type: 'string', default: '380m' },
      runs: { type: 'string', default: 'clean,slow,wait' },
      json: { type: 'string' },
      'raw-image': { type: 'string' },
    },
  });
  const n = Number(v.receivers);
  const slowMbit = Number(v.slow);
  const runs = v.runs!.split(',');
  const work = path.join('/dev/shm', `blockcast-slow-${process.pid}`);
  mkdirSync(work, { recursive: true });
  cleanupStale('bcslow');
  const lab = Lab.create({ name: 'bcslow', receivers: n, rateMbit: Number(v.link), subnet: 21 });
  const results: SlowRun[] = [];
  try {
    const want = await sha256File(v['raw-image'] ?? v.image!);
    const base = { image: v.image!, want, rate: v.rate!, work };
    if (runs.includes('clean')) results.push(await runOnce(lab, 'clean', { ...base, sendArgs: [] }));
    lab.capReceiver(n - 1, slowMbit);
    if (runs.includes('slow')) results.push(await runOnce(lab, 'slow', { ...base, slowIndex: n - 1, sendArgs: [] }));
    if (runs.includes('wait')) results.push(await runOnce(lab, 'wait', { ...base, slowIndex: n - 1, sendArgs: ['--slow-receivers', 'wait'] }));
  } finally {
    lab.destroy();
    rmSync(work, { recursive: true, force: true });
  }
  const clean = results.find((x) => x.run === 'clean');
  const cleanTime = clean ? Math.max(...clean.receivers.map((x) => x.seconds)) : NaN;
  console.log(`image ${v.image} (${(statSync(v.image!).size / 2 ** 20).toFixed(0)} MiB), ${n} receivers, link ${v.link} Mbit/s, slow receiver ${slowMbit} Mbit/s, --rate ${v.rate}`);
  const acceptance: Record<string, unknown>[] = [];
  for (const r of results) {
    const times = r.receivers.map((x) => `${x.name}${x.slow ? '(slow)' : ''} ${x.seconds.toFixed(2)} s${x.cpuSeconds !== undefined ? ` (CPU ${x.cpuSeconds.toFixed(1)} s)` : ''}${x.verified ? '' : ' NOT VERIFIED'}${x.catchUp ? ` [catch-up: ${x.catchUp}]` : ''}`).join(', ');
    console.log(`${r.run.padEnd(6)} ${r.ok ? 'ok ' : 'FAILED'} wire ${(r.wireBytes / 1e6).toFixed(1)} MB, repair symbols ${r.repairSymbols}, rate cuts ${r.rateDecreases}, first pass ${r.firstPassSeconds.toFixed(2)} s, NACK bytes in ${(((r.controlBytes.nacksFirstPass ?? 0) + (r.controlBytes.nacksRepairing ?? 0)) / 1e6).toFixed(1)} MB: ${times}`);
    if (r.run === 'clean' || !clean) continue;
    const healthy = Math.max(...r.receivers.filter((x) => !x.slow).map((x) => x.seconds));
    const slow = r.receivers.find((x) => x.slow)?.seconds ?? NaN;
    const slowBound = 1.5 * (cleanTime + (r.wireBytes * 8) / (slowMbit * 1e6));
    const a = { run: r.run, healthyRatio: healthy / cleanTime, slowSeconds: slow, slowBound, wireRatio: r.wireBytes / clean.wireBytes };
    acceptance.push(a);
    console.log(
      `       healthy ${a.healthyRatio.toFixed(2)}× clean (≤ 1.5 ${a.healthyRatio <= 1.5 ? 'met' : 'NOT met'}); slow ${slow.toFixed(2)} s of ${slowBound.toFixed(2)} s allowed (${slow <= slowBound ? 'met' : 'NOT met'}); wire ${a.wireRatio.toFixed(2)}× clean (≤ 2.5 ${a.wireRatio <= 2.5 ? 'met' : 'NOT met'})`,
    );
  }
  if (v.json) writeFileSync(v.json, JSON.stringify({ cleanSeconds: cleanTime, results, acceptance }, null, 2));
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

await main();
