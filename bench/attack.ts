/**
 * The attacker lab of issue 16: two receivers and an attacker host on one
 * flooding bridge (the attacker sees unicast control traffic as a mirrored
 * switch port or a hub would). Three sessions:
 *   1. an "earlier" session of image A, which the attacker records;
 *   2. a clean session of image B: time, the sender's wire bytes, bridge bytes;
 *   3. the attacked session of image B: the attacker replays the recording of A
 *      (with the sender's source address) from a lead time before the sender
 *      starts and throughout, re-sends mutated copies of live packets, and
 *      forges NACK/STATUS/ACK/ENDED from the receivers' and the sender's
 *      addresses (bench/lab/attacker/).
 * It passes when both receivers' targets hash to image B, every peer exits 0,
 * and the attacked session took at most 2× the clean time and 1.5× its wire bytes.
 *
 *   tsx bench/attack.ts [--size 64M] [--keys] [--attacks replay,mutate,forge]
 *       [--forge-kinds nack,stranger,overload,done,baddone,ack,ended] [--each]
 *       [--sender-args "..."] [--receiver-args "..."] [--rate 1g] [--lead 3]
 *       [--replay-pps 3000] [--mutate-every 8] [--mutate-pps 3000] [--forge-interval 50]
 *       [--timeout S] [--json FILE]
 *
 * --keys:  generate a signing key and a group key (blockcast keygen) and run every
 *          session with send --sign-key/--group-key, receive --trust/--group-key.
 * --each:  also run one attacked session per attack (and per forgery kind), to show
 *          which of them succeeds on its own.
 * Needs root, iproute2, ethtool and cc. MB = 10^6 bytes.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseSize } from '../src/validate.js';
import { runSession, type AttackSpec, type SessionResult } from './lab/attack-session.js';
import { ensureAttacker } from './lab/attacker.js';
import { Lab, cleanupStale } from './lab/netns.js';
import { cli, sha256File } from './tools.js';

export const ATTACKS = ['replay', 'mutate', 'forge'] as const;
export const FORGE_KINDS = ['nack', 'stranger', 'overload', 'done', 'baddone', 'ack', 'ended'] as const;

export interface AttackLabOptions {
  size: number;
  keys: boolean;
  attacks: string[];
  forgeKinds: string[];
  /** Also one attacked session per attack and per forgery kind. */
  each: boolean;
  senderArgs: string[];
  receiverArgs: string[];
  rate: string;
  leadSeconds: number;
  replayPps: number;
  mutateEvery: number;
  mutatePps: number;
  forgeIntervalMs: number;
  /** Seconds before a session counts as hung; default max(30, 6 × clean). */
  timeoutSeconds?: number;
  /** Lab name and subnet (tests pick their own). */
  labName?: string;
  subnet?: number;
  /** Progress lines on stderr. */
  log?: (line: string) => void;
}

export interface Verdict {
  name: string;
  ok: boolean;
  seconds: number;
  hung: boolean;
  senderCode: number | null;
  receiverCodes: (number | null)[];
  /** Per receiver: 'B' (the new image), 'A' (the recorded one), 'other' or 'missing'. */
  targets: string[];
  timeRatio: number;
  wireRatio: number;
  bridgeRatio: number;
  errors: string[];
  attackers: Record<string, Record<string, unknown>>;
}

export interface AttackLabResult {
  options: Omit<AttackLabOptions, 'log'>;
  clean: { seconds: number; senderWireBytes: number; bridgeSenderBytes: number; ok: boolean };
  recorded: Record<string, unknown>;
  attacked: Verdict;
  each: Verdict[];
}

/** True when this build's CLI has the security options (issue 16). */
export function cliHasKeyOptions(): boolean {
  return execFileSync(process.execPath, [cli, 'send', '--help'], { encoding: 'utf8' }).includes('--group-key');
}

/** `size` bytes: three quarters random, then zeros (a zero chunk is never sent). */
function writeImage(file: string, size: number): void {
  const fd = openSync(file, 'w');
  const randomPart = Math.floor((size * 3) / 4);
  for (let off = 0; off < size; off += 1 << 20) {
    const len = Math.min(1 << 20, size - off);
    writeSync(fd, off < randomPart ? randomBytes(len) : Buffer.alloc(len), 0, len, off);
  }
  closeSync(fd);
}

function keyArgs(dir: string): { send: string[]; receive: string[] } {
  execFileSync(process.execPath, [cli, 'keygen', path.join(dir, 'sender')], { stdio: 'pipe' });
  execFileSync(process.execPath, [cli, 'keygen', '--group-key', path.join(dir, 'group.key')], { stdio: 'pipe' });
  const group = ['--group-key', path.join(dir, 'group.key')];
  return {
    send: ['--sign-key', path.join(dir, 'sender.key'), ...group],
    receive: ['--trust', path.join(dir, 'sender.pub'), ...group],
  };
}

export async function runAttackLab(o: AttackLabOptions): Promise<AttackLabResult> {
  const log = o.log ?? ((): void => undefined);
  const name = o.labName ?? `atk${process.pid % 1000}`;
  const work = `/dev/shm/blockcast-attack-${name}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  ensureAttacker();
  cleanupStale(name);
  const lab = Lab.create({ name, receivers: 2, attacker: true, flood: true, subnet: o.subnet ?? 11 });
  try {
    const keys = o.keys ? keyArgs(work) : { send: [], receive: [] };
    const senderArgs = ['--rate', o.rate, ...keys.send, ...o.senderArgs];
    const receiverArgs = [...keys.receive, ...o.receiverArgs];
    const imageA = path.join(work, 'a.img');
    const imageB = path.join(work, 'b.img');
    writeImage(imageA, o.size);
    writeImage(imageB, o.size);
    const hashA = await sha256File(imageA);
    const hashB = await sha256File(imageB);
    const recording = path.join(work, 'earlier.rec');
    const iface = lab.attackerNs!;
    const addr = lab.attackerAddr!;
    const base = { lab, dir: work, group: '239.255.66.66', port: 9660, senderArgs, receiverArgs };

    log(`earlier session (image A), recorded by the attacker`);
    const earlier = await runSession({
      ...base, image: imageA, timeoutSeconds: o.timeoutSeconds ?? 120, leadSeconds: 0.5,
      attacks: [{ name: 'record', cmd: 'record', args: ['--iface', iface, '--file', recording] }],
    });
    if (!sessionOk(earlier, hashA)) throw new Error(`the earlier session failed: ${describe(earlier)}`);

    log(`clean session (image B)`);
    const clean = await runSession({ ...base, image: imageB, timeoutSeconds: o.timeoutSeconds ?? 120 });
    if (!sessionOk(clean, hashB)) throw new Error(`the clean session failed: ${describe(clean)}`);
    log(`  ${clean.seconds.toFixed(2)} s, sender wire ${(clean.senderWireBytes / 1e6).toFixed(1)} MB`);
    const timeout = o.timeoutSeconds ?? Math.max(30, 6 * clean.seconds);

    const spec = (attack: string, kinds = o.forgeKinds): AttackSpec => {
      if (attack === 'replay') {
        return { name: 'replay', cmd: 'replay', args: ['--addr', addr, '--file', recording, '--pps', String(o.replayPps), '--loop'] };
      }
      if (attack === 'mutate') {
        return {
          name: 'mutate', cmd: 'mutate',
          args: ['--iface', iface, '--addr', addr, '--every', String(o.mutateEvery), '--pps', String(o.mutatePps)],
        };
      }
      if (attack === 'forge') {
        return {
          name: 'forge', cmd: 'forge',
          args: ['--iface', iface, '--addr', addr, '--kinds', kinds.join(','), '--interval', String(o.forgeIntervalMs)],
        };
      }
      throw new Error(`unknown attack: ${attack}`);
    };
    const attackedRun = async (label: string, attacks: AttackSpec[]): Promise<Verdict> => {
      log(`attacked session (image B): ${label}`);
      const r = await runSession({ ...base, image: imageB, timeoutSeconds: timeout, leadSeconds: o.leadSeconds, attacks });
      const v = verdict(label, r, clean, hashA, hashB);
      log(`  ${v.ok ? 'DEFENDED' : 'ATTACK SUCCEEDED'}: ${summarize(v)}`);
      return v;
    };

    const attacked = await attackedRun(o.attacks.join('+'), o.attacks.map((a) => spec(a)));
    const each: Verdict[] = [];
    if (o.each) {
      for (const a of o.attacks) {
        if (a !== 'forge') each.push(await attackedRun(a, [spec(a)]));
        else for (const k of o.forgeKinds) each.push(await attackedRun(`forge:${k}`, [spec('forge', [k])]));
      }
    }
    const { log: _log, ...options } = o;
    return {
      options,
      clean: { seconds: clean.seconds, senderWireBytes: clean.senderWireBytes, bridgeSenderBytes: clean.bridgeBytes.sender, ok: true },
      recorded: earlier.attackers.record ?? {},
      attacked,
      each,
    };
  } finally {
    lab.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

function sessionOk(r: SessionResult, want: string): boolean {
  return !r.hung && r.sender.code === 0 && r.receivers.every((x) => x.code === 0) && r.targetHashes.every((h) => h === want);
}

function describe(r: SessionResult): string {
  const peers = [r.sender, ...r.receivers].map((p) => `${p.code}${p.lastError ? ` (${p.lastError})` : ''}`);
  return `${r.hung ? 'hung; ' : ''}exit codes sender, receivers: ${peers.join(', ')}`;
}

function verdict(name: string, r: SessionResult, clean: SessionResult, hashA: string, hashB: string): Verdict {
  const targets = r.targetHashes.map((h) => (h === hashB ? 'B' : h === hashA ? 'A' : h === '' ? 'missing' : 'other'));
  const timeRatio = r.seconds / clean.seconds;
  const wireRatio = r.senderWireBytes / clean.senderWireBytes;
  const ok = sessionOk(r, hashB) && timeRatio <= 2 && wireRatio <= 1.5;
  return {
    name, ok, seconds: r.seconds, hung: r.hung, timeRatio, wireRatio,
    bridgeRatio: r.bridgeBytes.sender / clean.bridgeBytes.sender,
    senderCode: r.sender.code,
    receiverCodes: r.receivers.map((x) => x.code),
    targets,
    errors: [r.sender, ...r.receivers].map((p) => p.lastError).filter((e) => e !== ''),
    attackers: r.attackers,
  };
}

export function summarize(v: Verdict): string {
  const wire = v.hung ? 'n/a (killed)' : `${v.wireRatio.toFixed(2)}×`;
  return (
    `${v.seconds.toFixed(1)} s (${v.timeRatio.toFixed(2)}× clean)${v.hung ? ', HUNG and killed' : ''}, ` +
    `sender wire ${wire}, sender's bridge bytes ${v.bridgeRatio.toFixed(2)}×, sender exit ${v.senderCode}, receivers exit ${v.receiverCodes.join('/')}, ` +
    `targets ${v.targets.join('/')}`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '64M' },
      keys: { type: 'boolean', default: false },
      attacks: { type: 'string', default: ATTACKS.join(',') },
      'forge-kinds': { type: 'string', default: FORGE_KINDS.join(',') },
      each: { type: 'boolean', default: false },
      'sender-args': { type: 'string', default: '' },
      'receiver-args': { type: 'string', default: '' },
      rate: { type: 'string', default: '1g' },
      lead: { type: 'string', default: '3' },
      'replay-pps': { type: 'string', default: '3000' },
      'mutate-every': { type: 'string', default: '8' },
      'mutate-pps': { type: 'string', default: '3000' },
      'forge-interval': { type: 'string', default: '50' },
      timeout: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);
  if (values.keys && !cliHasKeyOptions()) throw new Error('--keys: this build of blockcast has no --sign-key/--trust/--group-key');
  const opts: AttackLabOptions = {
    size: parseSize('--size', values.size),
    keys: values.keys,
    attacks: values.attacks.split(',').filter(Boolean),
    forgeKinds: values['forge-kinds'].split(',').filter(Boolean),
    each: values.each,
    senderArgs: words(values['sender-args']),
    receiverArgs: words(values['receiver-args']),
    rate: values.rate,
    leadSeconds: Number(values.lead),
    replayPps: Number(values['replay-pps']),
    mutateEvery: Number(values['mutate-every']),
    mutatePps: Number(values['mutate-pps']),
    forgeIntervalMs: Number(values['forge-interval']),
    log: (l) => process.stderr.write(`${l}\n`),
  };
  if (values.timeout !== undefined) opts.timeoutSeconds = Number(values.timeout);
  const r = await runAttackLab(opts);
  if (values.json) writeFileSync(values.json, JSON.stringify(r, null, 2) + '\n');
  console.log(JSON.stringify({ clean: r.clean, attacked: { ...r.attacked, attackers: undefined }, recorded: r.recorded }));
  console.log(
    `attack lab (${opts.keys ? 'signed + sealed' : 'open'}, ${(opts.size / 1e6).toFixed(0)} MB): clean ${r.clean.seconds.toFixed(2)} s; ` +
      `attacked (${r.attacked.name}): ${r.attacked.ok ? 'DEFENDED' : 'ATTACK SUCCEEDED'}: ${summarize(r.attacked)}`,
  );
  for (const v of r.each) console.log(`  ${v.name}: ${v.ok ? 'defended' : 'SUCCEEDED'}: ${summarize(v)}`);
  process.exitCode = r.attacked.ok ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  });
}
