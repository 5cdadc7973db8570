/**
 * One blockcast session in an attack lab (bench/lab/netns.ts with an attacker
 * host): two or more receivers, then, optionally, attacker commands started a
 * lead time before the sender, then the sender. Measures wall time from the
 * sender's start to the last peer's exit, the sender's wire bytes (its --json
 * summary) and the bytes each host put on the bridge, and checks every target
 * by SHA-256. A session that outlives its timeout is killed and reported hung.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { cli, readyEvent, sha256File } from '../tools.js';
import { runAttacker, type AttackerRun } from './attacker.js';
import type { Lab } from './netns.js';

export interface PeerResult {
  /** Exit code; null when the session was killed at its timeout. */
  code: number | null;
  /** The last line of stderr (a failure's reason). */
  lastError: string;
  events: Record<string, unknown>[];
}

export interface SessionResult {
  seconds: number;
  hung: boolean;
  sender: PeerResult;
  receivers: PeerResult[];
  /** SHA-256 (hex) of each receiver's target after the session ('' when missing). */
  targetHashes: string[];
  /** Bytes on the wire by the sender's summary (UDP payloads). */
  senderWireBytes: number;
  /** Bytes each host put on the bridge (frames, as its bridge port received them). */
  bridgeBytes: { sender: number; receivers: number; attacker: number; total: number };
  attackers: Record<string, Record<string, unknown>>;
}

/** An attacker command to run in the attacker's namespace during the session. */
export interface AttackSpec {
  name: string;
  cmd: 'record' | 'replay' | 'mutate' | 'forge';
  args: string[];
}

export interface SessionOptions {
  lab: Lab;
  image: string;
  /** Where targets go (removed first). */
  dir: string;
  group: string;
  port: number;
  senderArgs?: string[];
  receiverArgs?: string[];
  attacks?: AttackSpec[];
  /** Seconds the attackers run before the sender starts. */
  leadSeconds?: number;
  timeoutSeconds: number;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Bytes each bridge port has received from its host, by the host's namespace. */
function bridgeCounters(lab: Lab): Map<string, number> {
  const out = execFileSync('ip', ['-n', lab.hubNs, '-s', '-j', 'link', 'show'], { encoding: 'utf8' });
  const links = JSON.parse(out) as { ifname: string; stats64?: { rx: { bytes: number } } }[];
  const byPort = new Map(links.map((l) => [l.ifname, l.stats64?.rx.bytes ?? 0]));
  const m = new Map<string, number>();
  m.set(lab.senderNs, byPort.get(`${lab.name}-hs`) ?? 0);
  lab.receiverNs.forEach((ns, i) => m.set(ns, byPort.get(`${lab.name}-h${i}`) ?? 0));
  if (lab.attackerNs) m.set(lab.attackerNs, byPort.get(`${lab.name}-ha`) ?? 0);
  return m;
}

function startPeer(lab: Lab, ns: string, args: string[]): { child: ChildProcess; ready: Promise<void>; done: Promise<PeerResult> } {
  const child = lab.exec(ns, [process.execPath, cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const ready = readyEvent(child);
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<PeerResult>((resolve) =>
    child.on('close', (code) => {
      const events = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const lines = err.trim().split('\n');
      resolve({ code, lastError: lines[lines.length - 1] ?? '', events });
    }),
  );
  return { child, ready, done };
}

export async function runSession(o: SessionOptions): Promise<SessionResult> {
  const { lab } = o;
  const common = ['--group', o.group, '--port', String(o.port), '--json'];
  const targets = lab.receiverNs.map((_, i) => path.join(o.dir, `r${i}.img`));
  for (const t of targets) rmSync(t, { force: true });
  const before = bridgeCounters(lab);
  const receivers = lab.receiverNs.map((ns, i) =>
    startPeer(lab, ns, [
      'receive', targets[i]!, ...common, '--interface', lab.receiverAddrs[i]!, '--name', `r${i}`,
      '--wait-timeout', String(Math.ceil(o.timeoutSeconds)), ...(o.receiverArgs ?? []),
    ]),
  );
  await Promise.all(receivers.map((r) => r.ready));
  const attackers: [string, AttackerRun][] = (o.attacks ?? []).map((a) => [a.name, runAttacker(lab, lab.attackerNs!, a.cmd, a.args)]);
  await Promise.all(attackers.map(([, a]) => a.ready));
  if (attackers.length > 0) await delay((o.leadSeconds ?? 0) * 1000);

  const t0 = performance.now();
  const sender = startPeer(lab, lab.senderNs, [
    'send', o.image, ...common, '--interface', lab.senderAddr, '--min-receivers', String(lab.receiverNs.length),
    ...(o.senderArgs ?? []),
  ]);
  const peers = [sender, ...receivers];
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    for (const p of peers) lab.kill(p.child);
  }, o.timeoutSeconds * 1000);
  const [s, ...r] = await Promise.all(peers.map((p) => p.done));
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  for (const [, a] of attackers) a.stop();
  const attackerSummaries: Record<string, Record<string, unknown>> = {};
  for (const [name, a] of attackers) attackerSummaries[name] = await a.done.catch((e: Error) => ({ error: e.message }));

  const after = bridgeCounters(lab);
  const diff = (ns: string | undefined): number => (ns === undefined ? 0 : (after.get(ns) ?? 0) - (before.get(ns) ?? 0));
  const bridge = {
    sender: diff(lab.senderNs),
    receivers: lab.receiverNs.reduce((a, ns) => a + diff(ns), 0),
    attacker: diff(lab.attackerNs),
    total: 0,
  };
  bridge.total = bridge.sender + bridge.receivers + bridge.attacker;
  const summary = s!.events.find((e) => e.event === 'summary');
  return {
    seconds,
    hung,
    sender: s!,
    receivers: r,
    targetHashes: await Promise.all(targets.map((t) => sha256File(t).catch(() => ''))),
    senderWireBytes: typeof summary?.wireBytes === 'number' ? summary.wireBytes : 0,
    bridgeBytes: bridge,
    attackers: attackerSummaries,
  };
}
