// Live progress through the CLI on loopback: a bar redrawn in place under a
// pseudo-terminal (util-linux `script`), nothing of it when stderr is not a
// terminal, and periodic --json progress events ending at 100%.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { cliPath, event, runCli, sha256File, startCli, uniqueChannel, type CliResult } from '../helpers/cli.js';
import { randomImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const res = testResources();
// ~3 s at 64 Mbit/s: long enough for a handful of redraws at 5 a second.
const image = randomImage(res.dir, 24 * 1024 * 1024);
const RATE = '64m';

function net(): string[] {
  const { group, port } = uniqueChannel();
  return ['--interface', '127.0.0.1', '--group', group, '--port', port];
}

const ptyChildren = new Set<ReturnType<typeof spawn>>();
afterAll(() => {
  for (const c of ptyChildren) c.kill('SIGKILL');
});

interface PtyRun {
  done: Promise<{ code: number; output: string }>;
  /** Resolves once the output holds `text` `times` times. */
  seen(text: string, times: number): Promise<void>;
  /** Types ^C on the terminal: its line discipline sends SIGINT, as a person pressing it would. */
  interrupt(): void;
}

/** Runs `blockcast ...args` on a pseudo-terminal; `done` resolves with its exit code and everything it drew. */
function startInPty(args: string[]): PtyRun {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  // `exec`: script runs $SHELL -c, and dash (CI's /bin/sh) stays as the parent
  // in the terminal's foreground group, where ^C kills it (exit 130).
  const command = `exec ${[process.execPath, cliPath, ...args].map(quote).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  ptyChildren.add(child);
  let output = '';
  const waiting: { text: string; times: number; resolve: () => void }[] = [];
  const onData = (d: Buffer): void => {
    output += d.toString();
    for (const w of [...waiting]) {
      if (output.split(w.text).length - 1 < w.times) continue;
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const done = new Promise<{ code: number; output: string }>((resolve) =>
    child.on('close', (code) => {
      ptyChildren.delete(child);
      for (const w of waiting) w.resolve();
      resolve({ code: code ?? 1, output });
    }),
  );
  return {
    done,
    seen: (text, times) => new Promise<void>((resolve) => waiting.push({ text, times, resolve })),
    interrupt: () => child.stdin!.write('\x03'),
  };
}

function inPty(args: string[]): Promise<{ code: number; output: string }> {
  return startInPty(args).done;
}

/** Redraws of a bar: each writes its label at the start of the line. */
function redraws(output: string, label: string): number {
  return output.split(`${label} [`).length - 1;
}

const CURSOR_CODES = /\x1b\[/;

describe('live progress', () => {
  it('redraws a bar on a terminal, on both sides, and clears it at the end', async () => {
    const n = net();
    const target = path.join(res.dir, 'tty.img');
    const rx = inPty(['receive', target, ...n, '--wait-timeout', '30']);
    const tx = inPty(['send', image, ...n, '--rate', RATE]);
    const [s, r] = await Promise.all([tx, rx]);
    expect(s.code, s.output).toBe(0);
    expect(r.code, r.output).toBe(0);
    expect(sha256File(target)).toBe(sha256File(image));
    expect(redraws(s.output, 'sending')).toBeGreaterThanOrEqual(5);
    expect(redraws(r.output, 'receiving')).toBeGreaterThanOrEqual(5);
    expect(s.output).toMatch(/receivers: 1 joined, 0 done, 0 failed, 0 lost, 0 catching up \| repair \d+\.\d%/);
    expect(s.output).toMatch(/sending \[#*-*\] +\d+\.\d% \d+\/24 ETA \S+ \| [\d.]+ [kMG]?B\/s, wire [\d.]+ [kMG]?B\/s/);
    expect(r.output).toMatch(/receiving \[#*-*\] +\d+\.\d% ETA \S+ \| [\d.]+ [kMG]?B\/s \| [\d.]+ [kM]?B of 25\.2 MB/);
    expect(r.output).toMatch(/repairs asked: \d+ symbols in \d+ NACKs/);
    // Lines printed while the bar is drawn go above it, whole.
    expect(s.output).toMatch(/receiver done: \S+\x1b\[K\r?\n/);
    // The summary comes after the bar was cleared (ESC[0J clears it and everything below).
    expect(s.output).toMatch(/\x1b\[0Jsent 25\.2 MB in/);
    expect(r.output).toMatch(/\x1b\[0Jdone: 25\.2 MB verified/);
  });

  it('clears the bar when a receiver is interrupted and when the sender fails', async () => {
    const n = net();
    const rx = startInPty(['receive', path.join(res.dir, 'interrupted.img'), ...n, '--wait-timeout', '30']);
    const tx = startInPty(['send', image, ...n, '--rate', RATE]);
    await rx.seen('receiving [', 3);
    rx.interrupt();
    const [s, r] = await Promise.all([tx.done, rx.done]);
    expect(r.code, r.output).toBe(1);
    // The bar is cleared (ESC[0J) before the error, which is the last thing printed.
    expect(r.output).toContain('receiving [');
    expect(r.output).toMatch(/\x1b\[0Jblockcast: Receive aborted\r?\n$/);
    expect(s.code, s.output).toBe(1);
    expect(s.output).toMatch(/receiver FAILED: [^\n]*\(reason 4\)/);
    expect(s.output).toMatch(/\x1b\[0Jsent [^\x1b]*blockcast: 1 of 1 receiver\(s\) did not complete\r?\n$/);
  });

  it('draws nothing when stderr is not a terminal, or with --no-progress', async () => {
    const n = net();
    const target = path.join(res.dir, 'notty.img');
    const rx = startInPty(['receive', target, ...n, '--wait-timeout', '30', '--no-progress']);
    const tx = startCli(['send', image, ...n, '--rate', '256m']);
    const [s, r] = await Promise.all([tx.done, rx.done]);
    expect(s.code, s.stderr).toBe(0);
    expect(r.code, r.output).toBe(0);
    expect(sha256File(target)).toBe(sha256File(image));
    expect(s.stderr).toMatch(/^sent 25\.2 MB in/m);
    expect(s.stderr).not.toMatch(CURSOR_CODES);
    expect(s.stderr).not.toContain('\r');
    expect(s.stderr).not.toContain('sending [');
    // On a terminal, but --no-progress: plain lines only.
    expect(r.output).toMatch(/^done: 25\.2 MB verified/m);
    expect(r.output).not.toMatch(CURSOR_CODES);
    expect(r.output).not.toContain('receiving [');
  });

  it('refuses a --progress-interval that is not a positive number of seconds', async () => {
    const r = await runCli(['receive', path.join(res.dir, 'never.img'), ...net(), '--json', '--progress-interval', '0']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('Expected a number between 0.05 and 86400 for progress-interval but received 0');
  });

  it('--json reports progress periodically on both sides, ending at 100%', async () => {
    const n = [...net(), '--json', '--progress-interval', '0.25'];
    const target = path.join(res.dir, 'json.img');
    const rx = startCli(['receive', target, ...n, '--wait-timeout', '30']);
    const tx = startCli(['send', image, ...n, '--rate', '256m']);
    const [s, r] = await Promise.all([tx.done, rx.done]);
    expect(s.code, s.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(s.stderr + r.stderr).not.toMatch(CURSOR_CODES);

    const sent = progressEvents(s, 'start', 'summary');
    expect(sent.length).toBeGreaterThanOrEqual(2);
    for (const e of sent) {
      expect(e.percent as number).toBeGreaterThanOrEqual(0);
      expect(e.percent as number).toBeLessThanOrEqual(100);
      expect(e).toMatchObject({ imageSize: 24 * 1024 * 1024, chunkCount: 24 });
      expect(e.chunksSent as number).toBeLessThanOrEqual(24);
      expect(e.repairShare as number).toBeGreaterThanOrEqual(0);
      expect(e.receivers).toEqual([expect.objectContaining({ name: expect.any(String), address: '127.0.0.1', state: expect.any(String), chunksDone: expect.any(Number), symbolsRequested: expect.any(Number) })]);
    }
    const lastSent = sent[sent.length - 1]!;
    expect(lastSent).toMatchObject({ phase: 'ended', percent: 100, chunksSent: 24, bytesSent: 24 * 1024 * 1024, counts: { joined: 1, done: 1, failed: 0, lost: 0, catchingUp: 0 } });
    expect(lastSent.receivers).toEqual([expect.objectContaining({ state: 'done', chunksDone: 24, percent: 100 })]);
    expect(lastSent.wireBytes as number).toBeGreaterThanOrEqual(24 * 1024 * 1024);

    expect(r.events[0]).toMatchObject({ event: 'ready' }); // a provisioner's first event, even with a sender already announcing
    const got = progressEvents(r, 'session', 'done');
    expect(got.length).toBeGreaterThanOrEqual(1);
    for (const e of got) expect(e).toMatchObject({ imageSize: 24 * 1024 * 1024, chunkCount: 24, bytesWritten: expect.any(Number), chunksDone: expect.any(Number) });
    expect(got[got.length - 1]).toMatchObject({ state: 'done', percent: 100, chunksDone: 24, bytesWritten: 24 * 1024 * 1024, etaSeconds: 0 });
    expect(sha256File(target)).toBe(sha256File(image));
  });
});

/** The progress events, which must all come after `first` (the transfer's start) and before `last` (the summary, or the receiver's done). */
function progressEvents(result: CliResult, first: string, last: string): Record<string, unknown>[] {
  const begin = result.events.indexOf(event(result, first)!);
  const end = result.events.indexOf(event(result, last)!);
  expect(begin).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(begin);
  const outside = [...result.events.slice(0, begin), ...result.events.slice(end + 1)];
  expect(outside.some((e) => e.event === 'progress')).toBe(false);
  return result.events.filter((e) => e.event === 'progress');
}
