/**
 * A restarted receiver (issue 17's third acceptance point): sender and two
 * receivers in their own network namespaces, the sender's link capped by tbf,
 * the ext4 image. In one run: a clean session, then one where receiver 1 is
 * killed (SIGKILL) at 40% of the clean time and restarted 1 s later with the
 * same command. Reports the other receiver's time against the clean one
 * (acceptance ≤ 1.2×), the restarted one's finish against the clean time + 4 s,
 * the wire bytes against the clean run's (≤ 1.3×), and the chunks it kept.
 *
 *   tsx bench/forgiving/restart.ts [--image FILE] [--tbf 200] [--rate 190m] [--json FILE]
 *
 * Until rate discovery lands, --rate is a ceiling under the link (190m for a
 * 200 Mbit/s tbf). Times are from the sender's `start` event to each
 * receiver's exit. Every target is checked by SHA-256. Needs root, iproute2,
 * ethtool. Targets live on /dev/shm (sparse, created by the receivers).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { Lab, cleanupStale } from '../lab/netns.js';
import { cli, sha256File } from '../tools.js';

const PORT = 9540;
const GROUP = '239.255.54.54';

interface Proc {
  child: ChildProcess;
  events: Record<string, unknown>[];
  stderr: string;
  /** performance.now() at exit, and the exit code. */
  exit: Promise<{ at: number; code: number }>;
  /** Resolves at the first event of this name. */
  on(name: string): Promise<number>;
}

function start(lab: Lab, ns: string, args: string[]): Proc {
  const child = lab.exec(ns, [process.execPath, cli, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { child, events: [], stderr: '', exit: undefined as never, on: undefined as never };
  const waiters = new Map<string, ((at: number) => void)[]>();
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as Record<string, unknown>;
      p.events.push(e);
      for (const w of waiters.get(e.event as string) ?? []) w(performance.now());
      waiters.delete(e.event as string);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (p.stderr += d.toString()));
  p.exit = new Promise((resolve) => child.on('close', (code) => resolve({ at: performance.now(), code: code ?? 128 })));
  p.on = (name) => new Promise((resolve) => waiters.set(name, [...(waiters.get(name) ?? []), resolve]));
  return p;
}

const pick = (o: Record<string, unknown>, keys: string[]): Record<string, unknown> => Object.fromEntries(keys.map((k) => [k, o[k]]));
const event = (p: Proc, name: string): Record<string, unknown> | undefined => p.events.find((e) => e.event === name);

interface RunResult {
  /** Each receiver's seconds from the sender's start to its exit. */
  seconds: number[];
  wireBytes: number;
  keptChunks: number[];
  /** Each receiver's done event (kept, re-hashed, symbols asked, journal syncs) and the sender's repair figures. */
  done: Record<string, unknown>[];
  repairSymbols: number;
  ok: boolean;
  failures: string[];
}

async function session(lab: Lab, work: string, image: string, want: string, rate: string, killAt?: number): Promise<RunResult> {
  const targets = [0, 1].map((i) => path.join(work, `target-${i}.img`));
  for (const t of targets) for (const f of [t, `${t}.blockcast-journal`]) rmSync(f, { force: true });
  const receive = (i: number): Proc =>
    start(lab, lab.receiverNs[i]!, ['receive', targets[i]!, '--group', GROUP, '--port', String(PORT), '--interface', lab.receiverAddrs[i]!, '--name', `r${i}`, '--wait-timeout', '60']);
  const rx = [receive(0), receive(1)];
  await Promise.all(rx.map((r) => r.on('ready')));
  const tx = start(lab, lab.senderNs, ['send', image, '--group', GROUP, '--port', String(PORT), '--interface', lab.senderAddr, '--min-receivers', '2', '--rate', rate]);
  const t0 = await tx.on('start');
  let finals = rx;
  if (killAt !== undefined) {
    await new Promise((r) => setTimeout(r, killAt * 1000));
    lab.kill(rx[1]!.child, 'SIGKILL');
    await rx[1]!.exit;
    await new Promise((r) => setTimeout(r, 1000));
    finals = [rx[0]!, receive(1)];
  }
  const ends = await Promise.all(finals.map((r) => r.exit));
  const s = await tx.exit;
  const failures: string[] = [];
  if (s.code !== 0) failures.push(`sender exit ${s.code}: ${tx.stderr.trim().split('\n').pop()}`);
  for (const [i, e] of ends.entries()) {
    if (e.code !== 0) failures.push(`receiver ${i} exit ${e.code}: ${finals[i]!.stderr.trim().split('\n').pop()}`);
    else if ((await sha256File(targets[i]!)) !== want) failures.push(`receiver ${i}: target differs from the image`);
  }
  const summary = event(tx, 'summary') ?? {};
  return {
    seconds: ends.map((e) => (e.at - t0) / 1000),
    wireBytes: (summary.wireBytes as number) ?? 0,
    keptChunks: finals.map((r) => (event(r, 'done')?.keptChunks as number) ?? 0),
    done: finals.map((r) => pick(event(r, 'done') ?? {}, ['seconds', 'keptChunks', 'rehashedChunks', 'journalSyncs', 'journalSyncSeconds', 'symbolsRequested', 'nackPackets', 'duplicates', 'wireBytes'])),
    repairSymbols: (summary.repairSymbols as number) ?? 0,
    ok: failures.length === 0,
    failures,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      image: { type: 'string', default: '/var/tmp/blockcast-bench/ext4-512M.img' },
      tbf: { type: 'string', default: '200' },
      rate: { type: 'string', default: '190m' },
      json: { type: 'string' },
    },
  });
  const work = path.join('/dev/shm', `blockcast-restart-${process.pid}`);
  mkdirSync(work, { recursive: true });
  cleanupStale('bcrst');
  const lab = Lab.create({ name: 'bcrst', receivers: 2, subnet: 21, rateMbit: Number(values.tbf) });
  try {
    const want = await sha256File(values.image);
    const clean = await session(lab, work, values.image, want, values.rate);
    const cleanTime = Math.max(...clean.seconds);
    const fault = await session(lab, work, values.image, want, values.rate, 0.4 * cleanTime);
    const result = {
      image: values.image,
      tbfMbit: Number(values.tbf),
      rate: values.rate,
      clean,
      fault,
      otherVsClean: fault.seconds[0]! / clean.seconds[0]!,
      restartedLateSeconds: fault.seconds[1]! - cleanTime,
      wireVsClean: fault.wireBytes / clean.wireBytes,
      acceptance: {
        otherWithin1_2x: fault.seconds[0]! <= 1.2 * clean.seconds[0]!,
        restartedWithinClean4s: fault.seconds[1]! <= cleanTime + 4,
        wireWithin1_3x: fault.wireBytes <= 1.3 * clean.wireBytes,
      },
    };
    console.log(
      `clean: ${clean.seconds.map((s) => s.toFixed(2)).join(' / ')} s, wire ${(clean.wireBytes / 1e6).toFixed(1)} MB${clean.ok ? '' : ` FAILED ${clean.failures.join('; ')}`}\n` +
        `restart at 40%: other ${fault.seconds[0]!.toFixed(2)} s (${result.otherVsClean.toFixed(2)}x clean), restarted ${fault.seconds[1]!.toFixed(2)} s ` +
        `(clean + ${result.restartedLateSeconds.toFixed(2)} s), kept ${fault.keptChunks[1]} chunks, wire ${(fault.wireBytes / 1e6).toFixed(1)} MB (${result.wireVsClean.toFixed(2)}x)` +
        `${fault.ok ? '' : ` FAILED ${fault.failures.join('; ')}`}\n` +
        `acceptance: ${JSON.stringify(result.acceptance)}`,
    );
    if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2) + '\n');
  } finally {
    lab.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
