// `blockcast demo` / `npm run demo`: a real multicast session on loopback.
// Builds a sample disk image (zero, compressible and random regions), runs
// one sender and N receivers as separate processes, verifies every target
// by SHA-256 against the image and prints the throughput.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, openSync, closeSync, writeSync, rmSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../errors.js';
import { mb } from './report.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');

/** Writes a deterministic-layout sample image: 1 MiB regions of zeros, text-like data or random bytes. */
export function makeSampleImage(file: string, size: number): void {
  const fd = openSync(file, 'w');
  const region = 1024 * 1024;
  const words = Buffer.from('kernel block inode journal extent superblock bitmap cluster node image ');
  try {
    for (let off = 0, i = 0; off < size; off += region, i++) {
      const len = Math.min(region, size - off);
      const kind = i % 10 < 3 ? 'zero' : i % 10 < 7 ? 'text' : 'random';
      let buf: Buffer;
      if (kind === 'zero') buf = Buffer.alloc(len);
      else if (kind === 'random') buf = randomBytes(len);
      else {
        buf = Buffer.alloc(len);
        for (let p = 0; p < len; p += words.length) words.copy(buf, p);
        const noise = randomBytes(len >> 6);
        for (let k = 0; k < noise.length; k++) buf[(k * 64 + noise[k]!) % len] = noise[k]!;
      }
      writeSync(fd, buf, 0, len, off);
    }
  } finally {
    closeSync(fd);
  }
}

export async function sha256File(file: string, length?: number): Promise<string> {
  const h = createHash('sha256');
  const stream = createReadStream(file, length === undefined ? {} : { start: 0, end: length - 1 });
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest('hex');
}

interface Proc {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[]): { done: Promise<Proc> } {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { done: new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))) };
}

export async function demoCommand(o: { size: number; receivers: number; rate: string; dir?: string; keep?: boolean }): Promise<number> {
  const dir = o.dir ?? mkdtempSync(path.join(os.tmpdir(), 'blockcast-demo-'));
  mkdirSync(dir, { recursive: true });
  const image = path.join(dir, 'sample.img');
  // An even port: the sender's report socket takes the one above it.
  const net = ['--interface', '127.0.0.1', '--group', '239.255.77.1', '--port', String(20000 + 2 * (process.pid % 5000)), '--json'];
  try {
    process.stderr.write(`demo: writing a ${mb(o.size)} MB sample image (zero, compressible and random regions) to ${image}\n`);
    makeSampleImage(image, o.size);
    const expected = await sha256File(image);
    const targets = Array.from({ length: o.receivers }, (_, i) => path.join(dir, `target-${i + 1}.img`));
    const receivers = targets.map((t, i) => run(['receive', t, ...net, '--name', `demo-${i + 1}`, '--wait-timeout', '30']));
    const sender = run(['send', image, ...net, '--min-receivers', String(o.receivers), '--rate', o.rate]);
    process.stderr.write(`demo: 1 sender, ${o.receivers} receivers on loopback at up to ${o.rate}bit/s\n`);
    const s = await sender.done;
    const results = await Promise.all(receivers.map((r) => r.done));
    const summaryLine = s.stdout.split('\n').find((l) => l.includes('"event":"summary"'));
    if (s.code !== 0 || !summaryLine) {
      process.stderr.write(`demo: sender failed (exit ${s.code})\n${s.stderr}`);
      return ExitCode.Failed;
    }
    const summary = JSON.parse(summaryLine) as { seconds: number; mbps: number; wireMbps: number; repairSymbols: number };
    let ok = true;
    for (const [i, r] of results.entries()) {
      const digest = r.code === 0 ? await sha256File(targets[i]!) : '';
      const good = digest === expected;
      ok &&= good;
      process.stderr.write(`demo: receiver ${i + 1}: exit ${r.code}, ${good ? 'sha256 matches the image' : 'MISMATCH'}\n`);
      if (r.code !== 0) process.stderr.write(r.stderr);
    }
    process.stdout.write(
      `demo: ${ok ? 'OK' : 'FAILED'}: ${mb(o.size)} MB to ${o.receivers} receivers in ${summary.seconds.toFixed(2)} s = ` +
        `${summary.mbps.toFixed(1)} MB/s per receiver (${(summary.mbps * o.receivers).toFixed(1)} MB/s delivered in total), ` +
        `wire ${summary.wireMbps.toFixed(1)} MB/s, ${summary.repairSymbols} repair symbols\n`,
    );
    return ok ? ExitCode.Ok : ExitCode.Verify;
  } finally {
    if (!o.keep && !o.dir) rmSync(dir, { recursive: true, force: true });
  }
}
