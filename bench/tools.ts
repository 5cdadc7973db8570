/**
 * One verified transfer with one tool in a netns lab: blockcast (a raw image,
 * or one prepared beforehand), udpcast (udp-sender / udp-receiver, with or
 * without its FEC) and uftp (uftp / uftpd). Receivers start first, as nodes
 * wait for a provisioner's sender: blockcast's until each has reported
 * `ready` (socket joined, workers started), the others' for 500 ms (C
 * programs, ready in milliseconds). Time is wall clock from launching the
 * sender to the last receiver's completion, so it includes each tool's own
 * session start-up (blockcast: opening the image, announce/join; udpcast:
 * rendezvous; uftp: announce and registration). Every receiver's
 * copy is checked by SHA-256; a transfer that does not verify is a failure,
 * not a time.
 *
 * Targets: up to 4 receivers, pre-allocated tmpfs files. Beyond that, N full
 * copies may not fit in memory: udp-receiver writes to stdout through
 * sha256sum, and blockcast's receivers create their targets sparse (zero
 * chunks take no memory). uftp writes files into a directory per receiver.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from './lab/netns.js';

export const cli = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), 'dist', 'cli', 'main.js');
export const PORT = 9600;
// udpcast's default rendezvous (broadcast / 224.0.0.1) never connects in the
// lab; an explicit multicast rendezvous group does.
const RDV = '239.255.61.61';
const BLOCKCAST_GROUP = '239.255.60.60';

export const TOOLS = ['blockcast', 'blockcast-prepared', 'blockcast-prepared-zstd', 'udpcast', 'udpcast-fec', 'uftp'] as const;
export type ToolName = (typeof TOOLS)[number];

/** udpcast FEC: 8 stripes, 8 redundant blocks each, 128-block stripes (its manual's example). */
export const UDPCAST_FEC = '8x8/128';

export interface Transfer {
  tool: ToolName;
  lab: Lab;
  /** The raw image; blockcast-prepared sends `${image}.bcp` (LZ4) and blockcast-prepared-zstd `${image}.zstd.bcp`, which must exist. */
  image: string;
  imageBytes: number;
  /** SHA-256 (hex) of the raw image. */
  want: string;
  /** Scratch directory for targets (tmpfs). */
  work: string;
  /** Pace the sender at this many Mbit/s (under a tbf cap); undefined = as fast as it goes. */
  paceMbit?: number;
  /** Give up (and report a failure) after this many seconds. */
  timeoutS?: number;
}

export interface ToolRun {
  tool: ToolName;
  receivers: number;
  seconds: number;
  /** Image MB (10^6 bytes) per second per receiver. */
  mbps: number;
  verified: boolean;
  failure?: string;
}

/** Resolves with the exit code, or 128 + the signal's number (the shell's convention) for a process killed by a signal. */
export function exited(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1))));
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const quiet = { stdio: ['ignore', 'ignore', 'pipe'] as ['ignore', 'ignore', 'pipe'] };
const withEvents = { stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'] };

/**
 * Resolves when a blockcast process run with --json prints its `ready` event
 * (or another `event`), or exits. Reads its stdout, so the pipe never fills.
 */
export function readyEvent(child: ChildProcess, event = 'ready'): Promise<void> {
  return new Promise((resolve) => {
    let tail = ''; // the event may arrive split across reads
    child.stdout!.on('data', (d: Buffer) => {
      const text = tail + d.toString();
      if (text.includes(`"event":"${event}"`)) resolve();
      tail = text.slice(-256);
    });
    child.on('close', () => resolve());
  });
}

/** Settles after `ms` without keeping the process alive. */
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

export async function runTransfer(t: Transfer): Promise<ToolRun> {
  const { lab, tool } = t;
  const n = lab.receiverNs.length;
  const dir = path.join(t.work, `${tool}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const targets = lab.receiverNs.map((_, i) => path.join(dir, `r${i}.img`));
  const stream = n > 4;
  const blockcast = tool === 'blockcast' || tool === 'blockcast-prepared' || tool === 'blockcast-prepared-zstd';
  if (!stream && tool !== 'uftp') for (const target of targets) execFileSync('fallocate', ['-l', String(t.imageBytes), target]);

  let receivers: ChildProcess[];
  let ready: Promise<unknown> = delay(500);
  let sender: () => ChildProcess;
  let copies: string[] = targets;
  if (blockcast) {
    const net = ['--group', BLOCKCAST_GROUP, '--port', String(PORT)];
    receivers = lab.receiverNs.map((ns, i) =>
      lab.exec(ns, [process.execPath, cli, 'receive', targets[i]!, ...net, '--json', '--interface', lab.receiverAddrs[i]!, '--wait-timeout', '60', ...(stream ? ['--max-buffer', '128M'] : ['--target-zeroed'])], withEvents),
    );
    ready = Promise.all(receivers.map((r) => readyEvent(r)));
    const image = tool === 'blockcast' ? t.image : tool === 'blockcast-prepared' ? `${t.image}.bcp` : `${t.image}.zstd.bcp`;
    const rate = t.paceMbit ? `${Math.floor(t.paceMbit * 0.95)}m` : '10g';
    sender = () => lab.exec(lab.senderNs, [process.execPath, cli, 'send', image, ...net, '--quiet', '--interface', lab.senderAddr, '--min-receivers', String(n), '--rate', rate], quiet);
  } else if (tool === 'udpcast' || tool === 'udpcast-fec') {
    const base = (ns: string): string[] => [
      'udp-receiver', '--interface', lab.ifaceIn(ns), '--portbase', String(PORT), '--nokbd', '--rcvbuf', '33554432', '--start-timeout', '60', '--mcast-rdv-address', RDV,
    ];
    receivers = lab.receiverNs.map((ns, i) =>
      stream
        ? lab.exec(ns, ['bash', '-c', `set -o pipefail; ${base(ns).join(' ')} | sha256sum > ${targets[i]!}.sha256`], quiet)
        : lab.exec(ns, [...base(ns), '--file', targets[i]!], quiet),
    );
    sender = () =>
      lab.exec(lab.senderNs, [
        'udp-sender', '--file', t.image, '--interface', lab.ifaceIn(lab.senderNs), '--portbase', String(PORT), '--min-receivers', String(n),
        '--nokbd', '--nopointopoint', '--mcast-rdv-address', RDV,
        ...(tool === 'udpcast-fec' ? ['--fec', UDPCAST_FEC] : []),
        ...(t.paceMbit ? ['--max-bitrate', `${Math.floor(t.paceMbit * 0.95)}m`] : []),
      ], quiet);
  } else {
    const u = uftpCommands(t, dir);
    receivers = u.receivers;
    sender = u.sender;
    copies = u.copies;
  }
  const done = receivers.map(exited);
  const stderrOf = new Map<ChildProcess, string>();
  const keepStderr = (c: ChildProcess): void => {
    c.stderr?.on('data', (d: Buffer) => stderrOf.set(c, ((stderrOf.get(c) ?? '') + d.toString()).slice(-400)));
  };
  receivers.forEach(keepStderr);
  await Promise.race([ready, delay(60_000)]); // receivers up before the sender, as on nodes waiting to be imaged
  const t0 = performance.now();
  const tx = sender();
  keepStderr(tx);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    for (const c of [tx, ...receivers]) lab.kill(c);
  }, (t.timeoutS ?? 600) * 1000);
  const senderCode = await exited(tx);
  // uftpd keeps running after a transfer: the sender's success means every
  // receiver has the file; stop the daemons.
  if (tool === 'uftp') for (const r of receivers) r.kill('SIGTERM');
  const codes = await Promise.all(done);
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  let failure = timedOut ? `timed out after ${t.timeoutS ?? 600} s` : senderCode !== 0 || (tool !== 'uftp' && codes.some((c) => c !== 0)) ? `exit codes ${[senderCode, ...codes].join(',')}` : undefined;
  if (failure) {
    // The last line a failing process printed says why; after a timeout,
    // the sender's last progress line says how far it got.
    const failed = timedOut ? tx : [tx, ...receivers].find((_, i) => (i === 0 ? senderCode : codes[i - 1]) !== 0);
    const last = failed && (stderrOf.get(failed) ?? '').replace(/\r/g, '\n').split('\n').map((l) => l.trim()).filter(Boolean).pop();
    if (last) failure += timedOut ? `; the sender last printed: ${last}` : `: ${last}`;
  }
  if (!failure) {
    for (const [i, copy] of copies.entries()) {
      let got: string;
      try {
        got = (tool === 'udpcast' || tool === 'udpcast-fec') && stream ? readFileSync(`${targets[i]!}.sha256`, 'utf8').split(' ')[0]! : await sha256File(copy);
      } catch (err) {
        got = `unreadable: ${(err as Error).message}`;
      }
      if (got !== t.want) {
        failure = `receiver ${i}: copy does not match the image`;
        break;
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
  if (tool === 'uftp') rmSync(path.join('/var/tmp', `blockcast-uftp-${process.pid}`), { recursive: true, force: true });
  return { tool, receivers: n, seconds, mbps: t.imageBytes / 1e6 / seconds, verified: !failure, ...(failure ? { failure } : {}) };
}

/**
 * uftp at its best in the lab (measured): a closed group (-H with every
 * receiver's id, so the sender starts as soon as all have registered instead
 * of announcing for seconds), -q so that any receiver that drops out makes
 * the sender exit non-zero (exit 0 then means every receiver completed),
 * unlimited rate (-R -1; kbit/s otherwise), 100 MB socket buffers, 1400-byte
 * blocks (unfragmented at MTU 1500), no encryption. uftpd runs in the
 * foreground, one receive directory each; it keeps running after a transfer,
 * so the harness stops it once the sender is done. Beyond 4 receivers the
 * copies go to disk (/var/tmp): uftpd cannot write to a pipe, and N full
 * copies may not fit in memory.
 */
function uftpCommands(t: Transfer, dir: string): { receivers: ChildProcess[]; sender: () => ChildProcess; copies: string[] } {
  const { lab } = t;
  const n = lab.receiverNs.length;
  const base = n > 4 ? path.join('/var/tmp', `blockcast-uftp-${process.pid}`) : dir;
  const group = '239.255.62.1';
  const uid = (addr: string): string => '0x' + addr.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('');
  const dirs = lab.receiverNs.map((_, i) => path.join(base, `r${i}`));
  for (const d of dirs) {
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
  }
  const receivers = lab.receiverNs.map((ns, i) =>
    lab.exec(ns, ['uftpd', '-d', '-q', '-I', lab.ifaceIn(ns), '-M', group, '-p', String(PORT), '-B', '104857600', '-D', dirs[i]!, '-U', uid(lab.receiverAddrs[i]!)], quiet),
  );
  const rate = t.paceMbit ? String(Math.floor(t.paceMbit * 0.95 * 1000)) : '-1';
  const sender = (): ChildProcess =>
    lab.exec(lab.senderNs, [
      'uftp', '-I', lab.ifaceIn(lab.senderNs), '-M', group, '-P', '239.255.62.2', '-p', String(PORT), '-R', rate, '-B', '104857600', '-b', '1400', '-Y', 'none',
      '-H', lab.receiverAddrs.map(uid).join(','), '-q', t.image,
    ], quiet);
  return { receivers, sender, copies: dirs.map((d) => path.join(d, path.basename(t.image))) };
}
