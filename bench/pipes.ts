/**
 * Pipes against files, in one run on loopback: the same image sent
 * file-to-file (`send IMG` -> `receive FILE`) and stdin-to-stdout
 * (`cat IMG | send -` -> `receive - | sha256sum`), N = 1 and N = 4, rounds
 * interleaved so both meet the same machine. Acceptance (issue 19): the pipe
 * within 20% of the file send. Needs the build (npm run build).
 *
 *   tsx bench/pipes.ts [--image FILE] [--size 256m] [--receivers 1,4] [--rounds 1] [--rate 10g]
 *                      [--consumer 'cat > {out}'] [--lab loopback|netns] [--out FILE]
 *
 * --lab netns runs the sender and each receiver in namespaces of their own
 * (bench/lab/netns.ts: veths into a bridge, MTU 1500), as bench/e2e.ts does.
 *
 * Two rates per run: the sender's transfer rate (image bytes / seconds from
 * the start of the transfer to its end), and end to end (the same bytes over
 * that time plus the sender's preparation: a file send scans and hashes the
 * whole image before it announces, a stream does that work during the
 * transfer). Every target is checked by SHA-256 afterwards.
 * The pipe's consumer is `cat > FILE` by default: `sha256sum` would charge
 * the pipe side a SHA-256 of the image per receiver, on the same 2 cores.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseSize } from '../src/validate.js';
import { Lab } from './lab/netns.js';

const { values } = parseArgs({
  options: {
    image: { type: 'string', default: '/var/tmp/blockcast-bench/ext4-1G.img' },
    size: { type: 'string', default: '256m' },
    receivers: { type: 'string', default: '1,4' },
    rounds: { type: 'string', default: '1' },
    rate: { type: 'string', default: '10g' },
    consumer: { type: 'string', default: 'cat > {out}' },
    lab: { type: 'string', default: 'loopback' },
    out: { type: 'string' },
  },
});

if (values.lab !== 'loopback' && values.lab !== 'netns') throw new Error(`--lab is loopback or netns, not ${values.lab}`);
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'blockcast-pipes-'));
const sh = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** The first `size` bytes of the source image: a modest, real file system. */
function makeImage(): string {
  const size = parseSize('size', values.size!);
  const out = path.join(dir, 'image.img');
  const [src, dst] = [openSync(values.image!, 'r'), openSync(out, 'w')];
  const buf = Buffer.alloc(4 * 1024 * 1024);
  for (let off = 0; off < size; ) {
    const n = readSync(src, buf, 0, Math.min(buf.length, size - off), off);
    if (n === 0) break;
    writeSync(dst, buf, 0, n, off);
    off += n;
  }
  closeSync(src);
  closeSync(dst);
  return out;
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function run(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr })));
}

interface Row {
  mode: 'file' | 'pipe';
  receivers: number;
  round: number;
  mbps: number;
  seconds: number;
  /** Image bytes over preparation plus transfer. */
  endToEnd: number;
  verified: boolean;
}

let port = 42000 + (process.pid % 1000);
/** Where a process of the session runs: its shell prefix and the address it multicasts from. */
function place(lab: Lab | undefined, who: 'sender' | number): { prefix: string; address: string } {
  if (!lab) return { prefix: '', address: '127.0.0.1' };
  const ns = who === 'sender' ? lab.senderNs : lab.receiverNs[who]!;
  return { prefix: `ip netns exec ${ns} `, address: who === 'sender' ? lab.senderAddr : lab.receiverAddrs[who]! };
}

async function session(lab: Lab | undefined, image: string, want: string, mode: Row['mode'], receivers: number, round: number): Promise<Row> {
  port++;
  const net = (address: string): string => `--interface ${address} --group 239.255.222.${(port % 200) + 1} --port ${port} -q`;
  const outs = Array.from({ length: receivers }, (_, i) => path.join(dir, `${mode}-${i}`));
  const rx = outs.map((o, i) => {
    const { prefix, address } = place(lab, i);
    const receive = `${prefix}node ${sh(cli)} receive ${mode === 'file' ? sh(o) : '-'} ${net(address)} --name r${i}`;
    return run(mode === 'file' ? receive : `${receive} | ${values.consumer!.replaceAll('{out}', sh(o))}`);
  });
  await new Promise((r) => setTimeout(r, 1500)); // receivers listening before the sender announces
  const { prefix, address } = place(lab, 'sender');
  const send = mode === 'file' ? `${prefix}node ${sh(cli)} send ${sh(image)}` : `cat ${sh(image)} | ${prefix}node ${sh(cli)} send -`;
  const tx = await run(`${send} ${net(address).replace(' -q', '')} --json --rate ${values.rate} --min-receivers ${receivers}`);
  const results = await Promise.all(rx);
  const summary = tx.stdout.split('\n').filter((l) => l.includes('"event":"summary"')).map((l) => JSON.parse(l) as { mbps: number; seconds: number; prepareSeconds: number; imageSize: number })[0];
  const hashOf = (o: string): string => (values.consumer!.startsWith('sha256sum') && mode === 'pipe' ? readFileSync(o, 'utf8').split(' ')[0]! : sha256(o));
  const verified = tx.code === 0 && results.every((r) => r.code === 0) && outs.every((o) => hashOf(o) === want);
  for (const o of outs) rmSync(o, { force: true });
  if (!summary) console.error(tx.stderr);
  const endToEnd = summary ? summary.imageSize / 1e6 / (summary.seconds + summary.prepareSeconds) : 0;
  return { mode, receivers, round, mbps: summary?.mbps ?? 0, seconds: summary?.seconds ?? 0, endToEnd, verified };
}

const image = makeImage();
const want = sha256(image);
const rows: Row[] = [];
const counts = values.receivers!.split(',').map(Number);
let lab: Lab | undefined;
try {
  if (values.lab === 'netns') lab = Lab.create({ name: 'pipes', receivers: Math.max(...counts) });
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const n of counts) {
      for (const mode of ['file', 'pipe'] as const) {
        console.error(`# round ${round}: ${mode} N=${n}`);
        rows.push(await session(lab, image, want, mode, n, round));
      }
    }
  }
} finally {
  lab?.destroy();
  rmSync(dir, { recursive: true, force: true });
}

const lines = [`image: first ${values.size} of ${values.image}, rate ${values.rate}, pipe consumer \`${values.consumer}\`, ${values.lab === 'netns' ? 'netns lab' : 'loopback'}, ${os.availableParallelism()} CPUs, load ${os.loadavg()[0]!.toFixed(1)} at the end`, '', '| N | round | file MB/s | pipe MB/s | pipe/file | file end-to-end | pipe end-to-end | pipe/file end-to-end | verified |', '|---|---|---|---|---|---|---|---|---|'];
for (let i = 0; i < rows.length; i += 2) {
  const [f, p] = [rows[i]!, rows[i + 1]!];
  lines.push(
    `| ${f.receivers} | ${f.round} | ${f.mbps.toFixed(1)} | ${p.mbps.toFixed(1)} | ${(p.mbps / f.mbps).toFixed(2)} | ${f.endToEnd.toFixed(1)} | ${p.endToEnd.toFixed(1)} | ${(p.endToEnd / f.endToEnd).toFixed(2)} | ${f.verified && p.verified} |`,
  );
}
console.log(lines.join('\n'));
if (values.out) writeFileSync(values.out, JSON.stringify(rows, null, 2) + '\n');
