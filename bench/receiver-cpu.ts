/**
 * CPU seconds per GiB of image of one receiver (issue 18): one receiver of
 * an uncapped send on loopback, writing a new sparse target, with the user +
 * system CPU of the whole receiver process (every thread, from
 * /usr/bin/time, i.e. wait4's rusage) divided by the image size.
 *
 *   tsx bench/receiver-cpu.ts [--image /var/tmp/blockcast-bench/ext4-3G.prep]
 *        [--target-dir /dev/shm] [--runs 1] [--node-args=--cpu-prof] [--perf FILE] [--receiver-cli PATH] [--rate 10g]
 *
 * `--image` is a prepared (.prep/.bcp) or raw image. The receiver's threads
 * are sampled from /proc every 100 ms and their last CPU times are printed
 * by kind (main JS thread, the native receive thread, worker threads, the
 * rest), so the split is within 100 ms of the truth. Run it under
 * `flock /tmp/blockcast-bench.lock`: CPU seconds hold up when other work
 * shares the cores, wall time does not. `--rate` paces the sender (on this
 * 2-vCPU VM an uncapped sender shares the receiver's cores, which a real
 * node's receiver does not).
 *
 * The figure is absolute CPU time, so it moves with the machine's speed
 * (this VM's halves and doubles between hours). For a zstd- or LZ4-prepared
 * image the bench therefore also decodes every chunk in a loop on one
 * thread before and after the runs, "decode alone": the part of the
 * receiver's cost no pipeline change removes, and a yardstick for the
 * machine's speed at the time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cli, readyEvent } from './tools.js';
import { native } from '../src/native/binding.js';
import { ChunkPool } from '../src/image/pool.js';
import { openImage } from '../src/image/source.js';
import { Coding } from '../src/protocol/wire.js';

const { values } = parseArgs({
  options: {
    image: { type: 'string', default: '/var/tmp/blockcast-bench/ext4-3G.prep' },
    'target-dir': { type: 'string', default: '/dev/shm' },
    runs: { type: 'string', default: '1' },
    'node-args': { type: 'string', default: '' },
    /** Also record the receiver with `perf record -g` into this file (add --node-args --perf-basic-prof for JS names). */
    perf: { type: 'string' },
    /** The receiver's CLI (another build's dist/cli/main.js, for an A/B in one sitting); the sender is always this tree's. */
    'receiver-cli': { type: 'string', default: cli },
    rate: { type: 'string', default: '10g' },
  },
});
const TICKS = 100; // USER_HZ: /proc stat times are in 1/100 s
const GIB = 1024 ** 3;
const net = ['--group', '239.255.63.63', '--port', '9670', '--interface', '127.0.0.1'];
const nodeArgs = values['node-args']!.split(' ').filter(Boolean);

/** CPU seconds of each thread of process `pid` (by tid, with its kind), as of now. */
function threadSeconds(pid: number): Map<string, { kind: string; seconds: number }> {
  const out = new Map<string, { kind: string; seconds: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const kind = Number(tid) === pid ? 'main (JS)' : comm;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(tid, { kind, seconds: (Number(f[11]) + Number(f[12])) / TICKS }); // utime, stime
  }
  return out;
}

/** CPU seconds of process `pid` so far, every thread (NaN once it is gone). */
function processSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return NaN;
  }
}

/** The node process /usr/bin/time started. */
function childOf(pid: number): number | undefined {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length ? Number(kids[0]) : undefined;
  } catch {
    return undefined;
  }
}

interface Run {
  /** CPU seconds before the receiver was ready (node, modules, workers). */
  startup: number;
  seconds: number;
  user: number;
  system: number;
  maxRssMb: number;
  imageBytes: number;
  threads: Record<string, number>;
}

async function once(run: number): Promise<Run> {
  const dir = mkdtempSync(path.join(values['target-dir']!, 'bc-rxcpu-'));
  const target = path.join(dir, 'target.img');
  const receiver = spawn('/usr/bin/time', ['-f', 'RUSAGE %U %S %e %M', process.execPath, ...nodeArgs, values['receiver-cli']!, 'receive', target, ...net, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: dir, // --cpu-prof writes its profile here
  });
  let stdout = '';
  let stderr = '';
  receiver.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  receiver.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let sender: ReturnType<typeof spawn> | undefined;
  let perf: ReturnType<typeof spawn> | undefined;
  // Each thread's last sample: threads that end (workers at close) keep theirs.
  const lastByTid = new Map<string, { kind: string; seconds: number }>();
  const sampler = setInterval(() => {
    const pid = childOf(receiver.pid!);
    if (pid) for (const [tid, t] of threadSeconds(pid)) lastByTid.set(tid, t);
  }, 100);
  try {
    await readyEvent(receiver);
    const startup = processSeconds(childOf(receiver.pid!));
    if (values.perf) perf = spawn('perf', ['record', '-F', '1999', '-g', '-o', values.perf, '-p', String(childOf(receiver.pid!))], { stdio: 'ignore' });
    sender = spawn(process.execPath, [cli, 'send', values.image!, ...net, '--quiet', '--rate', values.rate!, '--min-receivers', '1'], { stdio: 'inherit' });
    const code = await new Promise<number | null>((resolve) => receiver.on('close', resolve));
    if (code !== 0) throw new Error(`receiver exited ${code}: ${stderr}`);
    const last = new Map<string, number>();
    for (const t of lastByTid.values()) last.set(t.kind, (last.get(t.kind) ?? 0) + t.seconds);
    const m = /RUSAGE (\S+) (\S+) (\S+) (\S+)/.exec(stderr);
    if (!m) throw new Error(`no rusage in: ${stderr}`);
    const done = stdout.split('\n').find((l) => l.includes('"event":"done"'));
    const imageBytes = done ? (JSON.parse(done) as { imageSize: number }).imageSize : NaN;
    const r = { startup, user: Number(m[1]), system: Number(m[2]), seconds: Number(m[3]), maxRssMb: Number(m[4]) / 1024, imageBytes, threads: Object.fromEntries(last) };
    const cpu = r.user + r.system;
    console.log(
      `run ${run}: ${r.seconds.toFixed(2)} s, CPU ${cpu.toFixed(2)} s (user ${r.user.toFixed(2)}, sys ${r.system.toFixed(2)}), ` +
        `${(cpu / (imageBytes / GIB)).toFixed(3)} CPU s/GiB (start-up to 'ready' ${startup.toFixed(2)} s), peak RSS ${r.maxRssMb.toFixed(0)} MB`,
    );
    for (const [k, v] of [...last].sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(18)} ${v.toFixed(2)} s`);
    return r;
  } finally {
    clearInterval(sampler);
    sender?.kill('SIGKILL');
    perf?.kill('SIGINT');
    receiver.kill('SIGKILL');
    if (!nodeArgs.some((a) => a.startsWith('--cpu-prof'))) rmSync(dir, { recursive: true, force: true });
    else console.log(`  profile kept in ${dir}`);
  }
}

/** CPU seconds per GiB of image to decode every coded chunk of the image in a loop on this thread (undefined for a raw image). */
async function decodeAlone(): Promise<number | undefined> {
  const pool = new ChunkPool({ threads: 1 });
  const image = await openImage(values.image!, { chunkSize: 1 << 20, codec: { name: 'lz4', level: 0 }, pool });
  try {
    if (image.kind !== 'prepared') return undefined;
    const out = Buffer.allocUnsafe(image.chunkSize);
    let cpu = 0;
    for (let c = 0; c < image.chunkCount; c++) {
      if (image.isZero(c)) continue;
      const w = await image.wire(c, false);
      const raw = out.subarray(0, Math.min(image.chunkSize, image.size - c * image.chunkSize));
      const t = process.cpuUsage();
      const n = w.coding === Coding.Zstd ? native.zstd!.decompress(w.data, raw) : w.coding === Coding.Lz4 ? native.lz4!.decompress(w.data, raw) : raw.length;
      const d = process.cpuUsage(t);
      if (n !== raw.length) throw new Error(`chunk ${c} did not decode`);
      cpu += (d.user + d.system) / 1e6;
    }
    return cpu / (image.size / GIB);
  } finally {
    image.close();
    await pool.close();
  }
}

const before = await decodeAlone();
const runs: Run[] = [];
for (let i = 1; i <= Number(values.runs); i++) runs.push(await once(i));
const after = await decodeAlone();
if (before !== undefined) console.log(`decode alone (one thread, in a loop): ${before.toFixed(3)} CPU s/GiB before the runs, ${after!.toFixed(3)} after`);
const perGib = runs.map((r) => (r.user + r.system) / (r.imageBytes / GIB)).sort((a, b) => a - b);
console.log(JSON.stringify({ image: values.image, runs, cpuSecondsPerGiB: perGib, median: perGib[Math.floor(perGib.length / 2)], decodeAlone: before === undefined ? undefined : [before, after] }));
