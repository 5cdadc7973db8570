/**
 * Drives bench/lab/attacker/*.c, a LAN attacker in C (Node has no raw sockets):
 * compiles it on first use into bench/bin/attacker, and runs its commands in a
 * lab's namespaces. Each command prints "ready" on stderr when it runs, and one
 * JSON line of counts on stdout when it stops (SIGTERM or --duration).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from './netns.js';

const benchDir = dirname(dirname(fileURLToPath(import.meta.url)));
const srcDir = join(benchDir, 'lab', 'attacker');

/** Compiles the attacker when it is missing or older than any of its sources; returns its path. */
export function ensureAttacker(): string {
  const bin = join(benchDir, 'bin', 'attacker');
  const sources = readdirSync(srcDir).filter((f) => f.endsWith('.c') || f.endsWith('.h'));
  const newest = Math.max(...sources.map((f) => statSync(join(srcDir, f)).mtimeMs));
  if (!existsSync(bin) || statSync(bin).mtimeMs < newest) {
    mkdirSync(dirname(bin), { recursive: true });
    const units = sources.filter((f) => f.endsWith('.c')).map((f) => join(srcDir, f));
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', bin, ...units], { stdio: 'inherit' });
  }
  return bin;
}

export interface AttackerRun {
  child: ChildProcess;
  /** Settles when the command prints "ready" (or rejects when it exits first). */
  ready: Promise<void>;
  /** The command's JSON summary, once it exited (stop() or --duration). */
  done: Promise<Record<string, unknown>>;
  /** SIGTERM: the command stops, prints its summary and exits. */
  stop(): void;
}

/** Runs `attacker CMD ...args` inside `ns` of `lab`. */
export function runAttacker(lab: Lab, ns: string, cmd: string, args: string[]): AttackerRun {
  const child = lab.exec(ns, [ensureAttacker(), cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/^ready$/m.test(err)) resolve();
    });
    child.once('close', () => reject(new Error(`attacker ${cmd} exited before it was ready: ${err.trim()}`)));
  });
  const done = new Promise<Record<string, unknown>>((resolve, reject) =>
    child.once('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) resolve(JSON.parse(line) as Record<string, unknown>);
      else reject(new Error(`attacker ${cmd} printed no summary (${signal ?? code}): ${err.trim()}`));
    }),
  );
  ready.catch(() => undefined);
  done.catch(() => undefined);
  return { child, ready, done, stop: () => lab.kill(child, 'SIGTERM') };
}
