/**
 * End-to-end benchmark: one blockcast sender and N receivers, each in its own
 * network namespace on a bridge (bench/lab/netns.ts), with optional random
 * loss (nftables) and a rate cap (tc tbf). In the same run it measures the
 * plain C sendmmsg/recvmmsg pair as this machine's ceiling.
 *
 *   tsx bench/e2e.ts [--receivers N] [--size 512M] [--mtu 1500] [--rate 10g]
 *                    [--loss PCT] [--tbf MBIT] [--no-ceiling] [--whole-skb] [--rx-gro]
 *                    [--image FILE [--raw-image FILE]] [--sparse-targets] [--max-buffer SIZE] [--json FILE]
 *                    [--keys [--cipher aegis-256|aes-256-gcm|chacha20-poly1305] [--no-encrypt]] [--send-args "--codec zstd --level 1"]
 *
 * A link-bound run on the prepared ext4 image at 16 receivers (targets
 * created sparse by the receivers, so 16 copies fit in memory):
 *   tsx bench/e2e.ts --receivers 16 --tbf 50 --rate 47m --no-ceiling --sparse-targets --max-buffer 128M \
 *     --image /var/tmp/blockcast-bench/ext4-2G.img.bcp --raw-image /var/tmp/blockcast-bench/ext4-2G.img
 *
 * Prints logical MB/s (image bytes / wall time of the transfer), wire MB/s
 * (bytes the sender put on the wire / wall time), CPU seconds of the sender and
 * of the receivers, and the ceiling pair's MB/s. Every target is checked by
 * SHA-256 against the image; a run that does not verify is reported as failed.
 * Targets live on tmpfs (/dev/shm), pre-allocated with fallocate, so disk
 * speed and page allocation are not measured.
 * --keys: a signed and sealed session (issue 16): a signing key and a group key
 * made once per run with `blockcast keygen`, `send --sign-key --group-key`,
 * every receiver `--trust --group-key`; --no-encrypt authenticates DATA only.
 * Needs root, iproute2, ethtool, nftables and cc. MB = 10^6 bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeSampleImage } from '../src/cli/demo.js';
import { parseSize } from '../src/validate.js';
import { measureCeiling } from './ceiling.js';
import { Lab, cleanupStale } from './lab/netns.js';
import { cli, readyEvent, sha256File } from './tools.js';

const PORT = 9500;
const GROUP = '239.255.50.50';

interface RunResult {
  code: number;
  events: Record<string, unknown>[];
  stderr: string;
}

/** Runs a blockcast command with --json; `ready` settles when it prints its `ready` event (or exits). */
function runIn(lab: Lab, ns: string, args: string[]): Promise<RunResult> & { ready: Promise<void> } {
  const child = lab.exec(ns, [process.execPath, cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const ready = readyEvent(child);
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (process.env.BENCH_STDERR) process.stderr.write(d);
  });
  const done = new Promise<RunResult>((resolve) =>
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stderr: err,
        events: out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      }),
    ),
  );
  return Object.assign(done, { ready });
}


export interface E2eOptions {
  receivers: number;
  size: number;
  mtu: number;
  rate: string;
  loss: number;
  tbf?: number;
  ceiling: boolean;
  wholeSkb: boolean;
  /** GRO on at the receivers' veths, as on physical NICs. */
  rxGro: boolean;
  /** Sources per FEC stripe (default: blockcast's). */
  fecStripe?: number;
  image?: string;
  /** The raw image that `image` (a prepared image) holds: targets are checked against it, and its size is the logical size. */
  rawImage?: string;
  /** Extra arguments for `send` and `receive` (e.g. --no-compress, --max-buffer). */
  sendArgs?: string[];
  receiveArgs?: string[];
  /**
   * 'fallocate' (default): targets pre-allocated on tmpfs, as a disk's blocks
   * exist. 'sparse': receivers create them, so zero chunks take no memory
   * (large images at many receivers).
   */
  targets?: 'fallocate' | 'sparse';
  /** Where targets live (default /dev/shm). */
  targetDir?: string;
  /** A signed and sealed session: keys made for this run, passed to the sender and every receiver. */
  keys?: SessionKeys;
  /** Changes the lab once it is built (e.g. a rate cap elsewhere than the sender's link: bench/forgiving/rate.ts). */
  setup?: (lab: Lab) => void;
}

export interface SessionKeys {
  /** Default: blockcast's (AEGIS-256 on a CPU with AES instructions). */
  cipher?: 'aegis-256' | 'aes-256-gcm' | 'chacha20-poly1305';
  /** false: DATA authenticated but sent in the clear (send --no-encrypt). */
  encrypt?: boolean;
}

/** What a run's sessions were: 'plain', or e.g. 'signed+sealed aes-256-gcm', 'signed+sealed default auth-only'. */
export function securityLabel(k: SessionKeys | undefined): string {
  return k ? `signed+sealed ${k.cipher ?? 'default'}${k.encrypt === false ? ' auth-only' : ''}` : 'plain';
}

/** `blockcast keygen` into `dir`: the arguments that make the sender and the receivers use the keys. */
function keyArgs(dir: string, k: SessionKeys): { send: string[]; receive: string[] } {
  execFileSync(process.execPath, [cli, 'keygen', path.join(dir, 'sender')], { stdio: 'pipe' });
  execFileSync(process.execPath, [cli, 'keygen', '--group-key', path.join(dir, 'group.key')], { stdio: 'pipe' });
  const group = ['--group-key', path.join(dir, 'group.key')];
  return {
    send: ['--sign-key', path.join(dir, 'sender.key'), ...group, ...(k.cipher ? ['--cipher', k.cipher] : []), ...(k.encrypt === false ? ['--no-encrypt'] : [])],
    receive: ['--trust', path.join(dir, 'sender.pub'), ...group],
  };
}

export interface E2eResult {
  receivers: number;
  imageBytes: number;
  mtu: number;
  rate: string;
  loss: number;
  tbfMbit?: number;
  rxGro: boolean;
  security: string;
  verified: boolean;
  seconds: number;
  /** The sender's first pass, and its native send thread's idle time within it (the pipeline or event loop not keeping the queue full). */
  firstPassSeconds: number;
  firstPassIdleSeconds: number;
  firstPassForfeitSeconds: number;
  logicalMBps: number;
  wireMBps: number;
  repairRatio: number;
  /** Receivers' control traffic (STATUS + NACK bytes with headers) / data bytes sent. */
  controlRatio: number;
  /** The same by purpose (joins, heartbeats, overload, finals, first-pass and repair-tail NACKs), each / data bytes sent. */
  controlShares: Record<string, number>;
  paritySymbols: number;
  rateDecreases: number;
  lowestRateMBps: number;
  senderCpu: number;
  senderPrepareCpu: number;
  receiverCpu: number[];
  receiverCpuMean: number;
  cpuSecondsPerGiB: { sender: number; receiver: number };
  ceilingMBps?: number;
  wireVsCeiling?: number;
  drops: { rcvbufErrors: number; noBuffer: number; symbolsRequested: number }[];
  /** LZ4: raw / wire bytes of the chunks sent; reduction: image bytes / wire bytes (zero chunks left out too). */
  compressionRatio: number;
  reductionRatio: number;
  zeroChunks: number;
  /** Peak RSS, MB: the sender, and the largest of the receivers. */
  senderPeakRssMB: number;
  receiverPeakRssMB: number;
  /** Largest backlog of completed chunks waiting for a worker at any receiver. */
  maxBacklog: number;
  failures: string[];
}

export async function runE2e(o: E2eOptions): Promise<E2eResult> {
  const work = path.join(o.targetDir ?? '/dev/shm', `blockcast-bench-${process.pid}`);
  mkdirSync(work, { recursive: true });
  cleanupStale('bce2e');
  const lab = Lab.create({ name: 'bce2e', receivers: o.receivers, mtu: o.mtu, senderGsoSplit: !o.wholeSkb, receiverGro: o.rxGro, subnet: 9, ...(o.tbf ? { rateMbit: o.tbf } : {}) });
  try {
    o.setup?.(lab);
    let ceilingMBps: number | undefined;
    if (o.ceiling) {
      // Same lab, same MTU, before any loss rule: what plain C gets here.
      // The plain pair at its best in this lab: sendmmsg/recvmmsg, or
      // GSO/GRO when the receivers' NICs coalesce (--rx-gro).
      const c = await measureCeiling({ receivers: o.receivers, bytes: 256 * 1024 * 1024, lab, gso: o.rxGro });
      ceilingMBps = c.mbps;
    }
    if (o.loss > 0) lab.receiverNs.forEach((_, i) => lab.setLoss(i, o.loss, [PORT]));
    const image = o.image ?? path.join(work, 'image.img');
    if (!o.image) makeSampleImage(image, o.size);
    const want = await sha256File(o.rawImage ?? image);
    const imageBytes = statSync(o.rawImage ?? image).size;
    const targets = lab.receiverNs.map((_, i) => path.join(work, `target-${i}.img`));
    // Allocate the targets' tmpfs pages up front, as a disk's blocks already
    // exist: otherwise page allocation and zeroing inside pwrite dominate the
    // receivers' CPU and the benchmark measures tmpfs, not blockcast.
    if (o.targets !== 'sparse') for (const t of targets) execFileSync('fallocate', ['-l', String(imageBytes), t]);
    const keys = o.keys ? keyArgs(work, o.keys) : { send: [], receive: [] };
    const common = ['--group', GROUP, '--port', String(PORT), '--json', '--mtu'];
    const rx = lab.receiverNs.map((ns, i) =>
      runIn(lab, ns, ['receive', targets[i]!, '--group', GROUP, '--port', String(PORT), '--json', '--interface', lab.receiverAddrs[i]!, '--wait-timeout', String(Math.max(60, 2 * o.receivers)), '--name', `r${i}`, ...keys.receive, ...(o.receiveArgs ?? [])]),
    );
    // Receivers up first, as nodes waiting to be imaged: at 100+ receivers
    // on 2 cores their start-up alone takes tens of seconds.
    await Promise.all(rx.map((r) => r.ready));
    const tx = await runIn(lab, lab.senderNs, [
      'send', image, ...common, String(o.mtu), '--interface', lab.senderAddr, '--min-receivers', String(o.receivers), '--max-wait', '30', '--rate', o.rate,
      ...(o.fecStripe !== undefined ? ['--fec-stripe', String(o.fecStripe)] : []),
      ...keys.send,
      ...(o.sendArgs ?? []),
    ]);
    const results = await Promise.all(rx);
    // Where receivers lost datagrams: kernel socket-buffer overflow (UDP
    // RcvbufErrors in each namespace) or blockcast's own memory budgets.
    const drops = results.map((r, i) => {
      const udp = lab.execSync(lab.receiverNs[i]!, ['cat', '/proc/net/snmp']).split('\n').filter((l) => l.startsWith('Udp:'));
      const names = udp[0]!.split(/\s+/);
      const values = udp[1]!.split(/\s+/).map(Number);
      const done = r.events.find((e) => e.event === 'done') ?? {};
      return {
        rcvbufErrors: values[names.indexOf('RcvbufErrors')] ?? NaN,
        noBuffer: (done.noBuffer as number) ?? NaN,
        symbolsRequested: (done.symbolsRequested as number) ?? NaN,
      };
    });
    const failures: string[] = [];
    if (tx.code !== 0) failures.push(`sender exit ${tx.code}: ${tx.stderr.trim().split('\n').pop()}`);
    for (const [i, r] of results.entries()) {
      if (r.code !== 0) failures.push(`receiver ${i} exit ${r.code}: ${r.stderr.trim().split('\n').pop()}`);
      else if ((await sha256File(targets[i]!)) !== want) failures.push(`receiver ${i}: target does not match the image`);
      rmSync(targets[i]!, { force: true }); // verified: free its memory for the next
    }
    if (process.env.BLOCKCAST_BENCH_DIAG) {
      // Diagnosis of a failed run: what the sender saw, and each receiver's own ending.
      writeFileSync(process.env.BLOCKCAST_BENCH_DIAG, JSON.stringify({
        sender: tx.events.filter((e) => e.event !== 'progress'),
        receivers: results.map((r) => ({ code: r.code, end: r.events.filter((e) => e.event === 'done' || e.event === 'session' || e.event === 'warning'), ...(r.code !== 0 ? { stderr: r.stderr.slice(-4000) } : {}) })),
        // Drops at the sender's link cap (tbf): the lab's one shallow queue.
        qdisc: lab.execSync(lab.senderNs, ['tc', '-s', 'qdisc', 'show']),
        // Whether reports were lost on the way or only handled late: the
        // sender's UDP and IP counters, its neighbours, the backlog drops.
        senderUdp: lab.execSync(lab.senderNs, ['cat', '/proc/net/snmp']).split('\n').filter((l) => l.startsWith('Udp:') || l.startsWith('Ip:')),
        senderNeighbours: lab.execSync(lab.senderNs, ['ip', '-s', 'neigh', 'show']),
        softnet: lab.execSync(lab.senderNs, ['cat', '/proc/net/softnet_stat']),
      }));
    }
    const summary = tx.events.find((e) => e.event === 'summary') as
      | {
          seconds: number;
          firstPassSeconds: number;
          firstPassIdleSeconds: number;
          firstPassForfeitSeconds: number;
          wireBytes: number;
          repairSymbols: number;
          dataPackets: number;
          cpuSeconds: number;
          transferCpuSeconds: number;
          rateDecreases: number;
          lowestRate: number;
          paritySymbols: number;
          controlBytesIn: number;
          controlBytes: Record<string, number>;
          compressionRatio: number;
          reductionRatio: number;
          zeroChunks: number;
          peakRssMB: number;
        }
      | undefined;
    // Transfer-phase CPU: the sender's manifest preparation (one read + hash
    // pass over the image, reported apart) is not part of moving the bytes.
    const receiverCpu = results.map((r) => (r.events.find((e) => e.event === 'done')?.transferCpuSeconds as number | undefined) ?? NaN);
    const seconds = summary?.seconds ?? NaN;
    const gib = imageBytes / 2 ** 30;
    const receiverCpuMean = receiverCpu.reduce((a, b) => a + b, 0) / receiverCpu.length;
    const wireMBps = (summary?.wireBytes ?? NaN) / 1e6 / seconds;
    return {
      receivers: o.receivers,
      imageBytes,
      mtu: o.mtu,
      rate: o.rate,
      loss: o.loss,
      ...(o.tbf ? { tbfMbit: o.tbf } : {}),
      rxGro: o.rxGro,
      security: securityLabel(o.keys),
      verified: failures.length === 0,
      seconds,
      firstPassSeconds: summary?.firstPassSeconds ?? NaN,
      firstPassIdleSeconds: summary?.firstPassIdleSeconds ?? NaN,
      firstPassForfeitSeconds: summary?.firstPassForfeitSeconds ?? NaN,
      logicalMBps: imageBytes / 1e6 / seconds,
      wireMBps,
      // Repair symbols sent / first-pass data symbols.
      repairRatio: summary ? summary.repairSymbols / (summary.dataPackets - summary.repairSymbols) : NaN,
      controlRatio: summary ? summary.controlBytesIn / summary.wireBytes : NaN,
      controlShares: Object.fromEntries(Object.entries(summary?.controlBytes ?? {}).map(([k, v]) => [k, v / summary!.wireBytes])),
      paritySymbols: summary?.paritySymbols ?? NaN,
      rateDecreases: summary?.rateDecreases ?? NaN,
      lowestRateMBps: (summary?.lowestRate ?? NaN) / 1e6,
      senderCpu: summary?.transferCpuSeconds ?? NaN,
      senderPrepareCpu: summary ? summary.cpuSeconds - summary.transferCpuSeconds : NaN,
      receiverCpu,
      receiverCpuMean,
      cpuSecondsPerGiB: { sender: (summary?.transferCpuSeconds ?? NaN) / gib, receiver: receiverCpuMean / gib },
      ...(ceilingMBps !== undefined ? { ceilingMBps, wireVsCeiling: wireMBps / ceilingMBps } : {}),
      drops,
      compressionRatio: summary?.compressionRatio ?? NaN,
      reductionRatio: summary?.reductionRatio ?? NaN,
      zeroChunks: summary?.zeroChunks ?? NaN,
      senderPeakRssMB: summary?.peakRssMB ?? NaN,
      receiverPeakRssMB: Math.max(...results.map((r) => (r.events.find((e) => e.event === 'done')?.peakRssMB as number | undefined) ?? NaN)),
      maxBacklog: Math.max(...results.map((r) => (r.events.find((e) => e.event === 'done')?.maxBacklog as number | undefined) ?? NaN)),
      failures,
    };
  } finally {
    lab.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

function line(r: E2eResult): string {
  const f = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  return (
    `N=${r.receivers} ${r.security} ${f(r.imageBytes / 2 ** 20, 0)} MiB mtu ${r.mtu}${r.rxGro ? ' rx-gro' : ''} rate ${r.rate} loss ${r.loss}%${r.tbfMbit ? ` tbf ${r.tbfMbit}mbit` : ''}: ` +
    `${r.verified ? 'verified' : 'FAILED'}, ${f(r.seconds, 2)} s (first pass ${f(r.firstPassSeconds, 2)} s, send thread idle ${f(r.firstPassIdleSeconds, 2)} s, pacing forfeit ${f(r.firstPassForfeitSeconds, 2)} s), logical ${f(r.logicalMBps)} MB/s, wire ${f(r.wireMBps)} MB/s, ` +
    `repair ${f(r.repairRatio * 100, 2)}% (${r.paritySymbols} parity), control ${f(r.controlRatio * 100, 2)}%, ${r.rateDecreases} slow-downs (lowest ${f(r.lowestRateMBps)} MB/s), transfer CPU s/GiB sender ${f(r.cpuSecondsPerGiB.sender, 2)} receiver ${f(r.cpuSecondsPerGiB.receiver, 2)} ` +
    `(+ prepare ${f(r.senderPrepareCpu, 2)} s), compression ${f(r.compressionRatio, 2)}x (${f(r.reductionRatio, 2)}x with ${r.zeroChunks} zero chunks left out), peak RSS sender ${f(r.senderPeakRssMB, 0)} MB receiver ${f(r.receiverPeakRssMB, 0)} MB, max backlog ${r.maxBacklog}` +
    (r.ceilingMBps !== undefined ? `, C ceiling ${f(r.ceilingMBps)} MB/s (wire/ceiling ${f(r.wireVsCeiling! * 100, 0)}%)` : '') +
    `\n  drops per receiver (socket buffer / no free chunk buffer / symbols re-requested): ` +
    r.drops.map((d) => `${d.rcvbufErrors}/${d.noBuffer}/${d.symbolsRequested}`).join(' ') +
    (r.failures.length ? `\n  ${r.failures.join('\n  ')}` : '')
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      receivers: { type: 'string', default: '1' },
      size: { type: 'string', default: '512M' },
      mtu: { type: 'string', default: '1500' },
      rate: { type: 'string', default: '10g' },
      loss: { type: 'string', default: '0' },
      tbf: { type: 'string' },
      image: { type: 'string' },
      'raw-image': { type: 'string' },
      'sparse-targets': { type: 'boolean', default: false },
      'max-buffer': { type: 'string' },
      'no-ceiling': { type: 'boolean', default: false },
      'whole-skb': { type: 'boolean', default: false },
      'rx-gro': { type: 'boolean', default: false },
      json: { type: 'string' },
      keys: { type: 'boolean', default: false },
      cipher: { type: 'string' },
      'no-encrypt': { type: 'boolean', default: false },
      'send-args': { type: 'string' },
    },
  });
  if (!values.keys && (values.cipher || values['no-encrypt'])) throw new Error('--cipher and --no-encrypt need --keys');
  const result = await runE2e({
    receivers: Number(values.receivers),
    size: parseSize('size', values.size!),
    mtu: Number(values.mtu),
    rate: values.rate!,
    loss: Number(values.loss),
    ...(values.tbf ? { tbf: Number(values.tbf) } : {}),
    ...(values.image ? { image: values.image } : {}),
    ...(values['raw-image'] ? { rawImage: values['raw-image'] } : {}),
    ...(values['sparse-targets'] ? { targets: 'sparse' as const } : {}),
    ...(values['max-buffer'] ? { receiveArgs: ['--max-buffer', values['max-buffer']] } : {}),
    ...(values['send-args'] ? { sendArgs: values['send-args'].split(' ').filter(Boolean) } : {}),
    ceiling: !values['no-ceiling'],
    wholeSkb: values['whole-skb']!,
    rxGro: values['rx-gro']!,
    ...(values.keys ? { keys: { ...(values.cipher ? { cipher: values.cipher as SessionKeys['cipher'] } : {}), ...(values['no-encrypt'] ? { encrypt: false } : {}) } } : {}),
  });
  console.log(JSON.stringify(result));
  console.log(line(result));
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2) + '\n');
  process.exitCode = result.verified ? 0 : 1;
}

export { line as formatE2e };
