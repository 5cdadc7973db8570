// Runs the built CLI as a child process, the way provisioners do.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = path.join(repoRoot, 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  events: Record<string, unknown>[];
}

export interface RunningCli {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Resolves when a receiver's --json output reports that it joined a session. */
  joined: Promise<void>;
}

const running = new Set<ChildProcess>();
/** Kills every child still running (call from afterEach/afterAll so a failed test leaves nothing behind). */
export function killAll(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}

/** Starts `blockcast ...args`; `prefix` runs it through another command (e.g. ip netns exec NS). */
export function startCli(args: string[], prefix: string[] = [], env: NodeJS.ProcessEnv = {}): RunningCli {
  const cmd = prefix.length ? prefix[0]! : process.execPath;
  const argv = prefix.length ? [...prefix.slice(1), process.execPath, cliPath, ...args] : [cliPath, ...args];
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  running.add(child);
  let stdout = '';
  let stderr = '';
  let onJoin = (): void => {};
  const joined = new Promise<void>((resolve) => (onJoin = resolve));
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes('"event":"session"')) onJoin();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => {
      running.delete(child);
      onJoin();
      const events = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, events });
    }),
  );
  return { child, done, joined };
}

export function runCli(args: string[], prefix: string[] = []): Promise<CliResult> {
  return startCli(args, prefix).done;
}

let counter = 0;
/**
 * A group and port no other test file uses at the same time. The port is
 * even: a sender's report socket takes the odd port above it (data port + 1).
 */
export function uniqueChannel(): { group: string; port: string } {
  counter++;
  const n = (process.pid * 7 + counter) % 250;
  return { group: `239.255.${100 + (counter % 100)}.${n + 1}`, port: String(30000 + 2 * ((process.pid * 13 + counter * 101) % 15000)) };
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export function event(result: CliResult, name: string): Record<string, unknown> | undefined {
  return result.events.find((e) => e.event === name);
}
