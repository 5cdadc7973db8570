/**
 * The multicast ceiling: how fast plain C (bench/ceiling/mcast_pair.c) moves one stream to
 * N receivers through a netns lab on this machine. blockcast's figures are judged against it.
 *
 *   tsx bench/ceiling.ts [--receivers N] [--mtu 1500] [--bytes 256M] [--gso] [--whole-skb] [--rate MBps]
 *
 * --gso:       the sender uses UDP_SEGMENT (and the receivers UDP_GRO) instead of sendmmsg.
 * --whole-skb: leave tx-udp-segmentation on at the sender's veth, so GSO batches cross the
 *              bridge whole. Unrealistic; report such figures only as a separate column.
 * --rate:      pace the sender to this many MB/s (MB = 10^6 bytes).
 *
 * Prints one JSON line, then one line for people. Needs root, cc, iproute2 and ethtool.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Lab, cleanupStale } from './lab/netns.js';

export interface CeilingOptions {
  receivers: number;
  /** MTU of a lab this function creates; ignored when `lab` is given. Default 1500. */
  mtu?: number;
  /** Bytes of payload to send. Default 256 MiB. */
  bytes?: number;
  /** Sender uses UDP GSO, receivers UDP GRO. Default false (sendmmsg / recvmmsg). */
  gso?: boolean;
  /** Sender's veth cuts GSO batches into frames (a lab this function creates). Default true. */
  split?: boolean;
  /** Pace the sender to this many MB/s. Default: unpaced. */
  rateMBps?: number;
  /** Run in this lab (its first `receivers` receivers) instead of a fresh one; left standing. */
  lab?: Lab;
}

export interface CeilingResult {
  /** Mean goodput per receiver, MB/s. */
  mbps: number;
  /** Goodput of each receiver, MB/s. */
  perReceiver: number[];
  /** Datagrams each receiver missed. */
  lost: number[];
  /** Datagrams sent. */
  sent: number;
  /** How fast the sender pushed its datagrams into the kernel, MB/s. */
  senderMBps: number;
}

/** The group and port are private to the lab's own bridge, so fixed values cannot collide. */
const GROUP = '239.255.42.1';
const PORT = 47001;
/** IPv4 + UDP headers: a datagram of mtu - 28 bytes fills one frame. */
const HEADERS = 28;

const benchDir = dirname(fileURLToPath(import.meta.url));

/** Compiles mcast_pair into bench/bin when it is missing or older than its source; returns its path. */
export function ensureMcastPair(): string {
  const src = join(benchDir, 'ceiling', 'mcast_pair.c');
  const bin = join(benchDir, 'bin', 'mcast_pair');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(dirname(bin), { recursive: true });
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', bin, src], { stdio: 'inherit' });
  }
  return bin;
}

export async function measureCeiling(opts: CeilingOptions): Promise<CeilingResult> {
  const bin = ensureMcastPair();
  const lab = opts.lab ?? createLab(opts);
  const children: ChildProcess[] = [];
  try {
    if (lab.receiverNs.length < opts.receivers) {
      throw new Error(`lab ${lab.name} has ${lab.receiverNs.length} receivers, ${opts.receivers} asked`);
    }
    const gso = opts.gso ?? false;
    const receivers = lab.receiverNs.slice(0, opts.receivers).map((ns, i) => {
      const cmd = [bin, 'recv', GROUP, String(PORT), lab.receiverAddrs[i], ...(gso ? ['--gro'] : [])];
      return start(lab, ns, cmd, children);
    });
    // The sender may start only once every receiver has joined the group.
    await Promise.all(receivers.map((r) => r.ready));

    const sendCmd = [bin, 'send', GROUP, String(PORT), lab.senderAddr];
    sendCmd.push(String(opts.bytes ?? 256 * 1024 * 1024), String(lab.mtu - HEADERS));
    if (gso) sendCmd.push('--gso');
    if (opts.rateMBps !== undefined) sendCmd.push('--rate', String(opts.rateMBps));
    const sender = start(lab, lab.senderNs, sendCmd, children);

    const sent = JSON.parse(await sender.done) as { datagrams: number; MBps: number };
    const got = (await Promise.all(receivers.map((r) => r.done))).map(
      (out) => JSON.parse(out) as { MBps: number; lost: number },
    );
    const perReceiver = got.map((g) => g.MBps);
    return {
      mbps: perReceiver.reduce((a, b) => a + b, 0) / perReceiver.length,
      perReceiver,
      lost: got.map((g) => g.lost),
      sent: sent.datagrams,
      senderMBps: sent.MBps,
    };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (opts.lab === undefined) lab.destroy();
  }
}

function createLab(opts: CeilingOptions): Lab {
  const name = `cl${process.pid % 10000}`;
  cleanupStale(name);
  return Lab.create({
    name,
    receivers: opts.receivers,
    mtu: opts.mtu ?? 1500,
    senderGsoSplit: opts.split ?? true,
  });
}

interface Proc {
  /** Resolves when the process prints "ready" on stderr (receivers only). */
  ready: Promise<void>;
  /** Resolves to stdout when the process exits with status 0. */
  done: Promise<string>;
}

function start(lab: Lab, ns: string, cmd: string[], children: ChildProcess[]): Proc {
  const child = lab.exec(ns, cmd, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  const ready = new Promise<void>((res, rej) => {
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/^ready$/m.test(stderr)) res();
    });
    child.once('exit', () => rej(new Error(`${cmd[1]} in ${ns} exited before it was ready: ${stderr.trim()}`)));
  });
  const done = new Promise<string>((res, rej) => {
    child.once('error', rej);
    child.once('close', (code, signal) => {
      if (code === 0) res(stdout);
      else rej(new Error(`${cmd[1]} in ${ns} failed (${signal ?? code}): ${stderr.trim()}`));
    });
  });
  // Whichever of these nobody awaits (after another process failed) must not crash Node.
  ready.catch(() => undefined);
  done.catch(() => undefined);
  return { ready, done };
}

/** Accepts plain byte counts or K/M/G suffixes (powers of 1024). */
function parseBytes(s: string): number {
  const m = /^(\d+)([KMG]?)i?B?$/i.exec(s);
  if (!m) throw new Error(`bad byte count: ${s}`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(m[2] ?? '').toUpperCase()] ?? 1;
  return Number(m[1]) * unit;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      receivers: { type: 'string', default: '1' },
      mtu: { type: 'string', default: '1500' },
      bytes: { type: 'string', default: '256M' },
      gso: { type: 'boolean', default: false },
      'whole-skb': { type: 'boolean', default: false },
      rate: { type: 'string' },
    },
  });
  const opts: CeilingOptions = {
    receivers: Number(values.receivers),
    mtu: Number(values.mtu),
    bytes: parseBytes(values.bytes),
    gso: values.gso,
    split: !values['whole-skb'],
  };
  if (values.rate !== undefined) opts.rateMBps = Number(values.rate);
  const r = await measureCeiling(opts);
  const round = (x: number): number => Math.round(x * 10) / 10;
  console.log(JSON.stringify({ ...opts, ...r, mbps: round(r.mbps), senderMBps: round(r.senderMBps) }));
  const lossPct = (100 * r.lost.reduce((a, b) => a + b, 0)) / (r.sent * r.perReceiver.length);
  console.log(
    `ceiling: ${opts.receivers} receiver(s), MTU ${opts.mtu}, ` +
      `${opts.gso ? 'UDP GSO/GRO' : 'sendmmsg/recvmmsg'}${opts.split ? '' : ', whole GSO skbs'}: ` +
      `mean ${r.mbps.toFixed(1)} MB/s per receiver ` +
      `(min ${Math.min(...r.perReceiver).toFixed(1)}, max ${Math.max(...r.perReceiver).toFixed(1)}), ` +
      `sender ${r.senderMBps.toFixed(1)} MB/s, lost ${lossPct.toFixed(2)} %`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
