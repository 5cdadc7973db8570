// Pipes on loopback, the way FOG and Clonezilla scripts use udpcast:
// `cat IMG | blockcast send -` and `blockcast receive - | ...` or
// `receive --pipe CMD`. What comes out must hash (SHA-256) to the image,
// and every failure must show in the exit status.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliPath, runCli, sha256File, startCli, uniqueChannel, type CliResult } from '../helpers/cli.js';
import { sampleImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();
const file = (name: string): string => path.join(tmp.dir, name);
/** Small chunks, so that a few MiB make several manifest segments of 32 chunks. */
const SMALL_CHUNKS = ['--chunk-size', '64k'];

/** Runs the CLI with a file (or nothing) on stdin, hashing its stdout (binary) instead of keeping it. */
function runBinary(args: string[], stdin?: string): Promise<CliResult & { sha256: string; bytes: number }> {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const h = createHash('sha256');
  let bytes = 0;
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    h.update(d);
    bytes += d.length;
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => {}); // a CLI that exits before reading it all: its status says why
  if (stdin) child.stdin.end(readFileSync(stdin));
  else child.stdin.end();
  return new Promise((resolve) =>
    child.on('close', (code) => {
      const events = stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code: code ?? 1, stdout: '', stderr, events, sha256: h.digest('hex'), bytes });
    }),
  );
}

function channel(): string[] {
  const { group, port } = uniqueChannel();
  return ['--interface', '127.0.0.1', '--group', group, '--port', port];
}

describe('pipes', () => {
  it('receive - writes a file session\'s image to stdout in order, its --json events on stderr', async () => {
    // Zero runs, text and random regions, not a chunk multiple.
    const image = sampleImage(tmp.dir, 5 * 1024 * 1024 + 4321, 'file-session.img');
    const net = channel();
    const rx = runBinary(['receive', '-', ...net, '--json', '--wait-timeout', '60']);
    const tx = await runCli(['send', image, ...net, ...SMALL_CHUNKS, '--rate', '1g', '-q']);
    const r = await rx;
    expect(tx.code, tx.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(r.sha256).toBe(sha256File(image));
    expect(r.events.map((e) => e.event)).toContain('done');
  }, 60_000);

  it('cat IMG | send - reaches receive - | sha256sum, --pipe and a file target, with an image of zero runs and an odd size', async () => {
    const image = sampleImage(tmp.dir, 9 * 1024 * 1024 + 12345, 'stream.img');
    const want = sha256File(image);
    const net = channel();
    const toStdout = runBinary(['receive', '-', ...net, '--name', 'stdout', '--wait-timeout', '60']);
    const piped = startCli(['receive', '--pipe', `sha256sum > ${file('piped.sum')}`, ...net, '--name', 'pipe', '--wait-timeout', '60']);
    const toFile = startCli(['receive', file('stream-target.img'), ...net, '--name', 'file', '--wait-timeout', '60']);
    const tx = await runBinary(['send', '-', ...net, ...SMALL_CHUNKS, '--min-receivers', '3', '--rate', '1g', '--json'], image);
    const [a, b, c] = await Promise.all([toStdout, piped.done, toFile.done]);
    expect(tx.code, tx.stderr).toBe(0);
    for (const r of [a, b, c]) expect(r.code, r.stderr).toBe(0);
    expect(a.sha256).toBe(want);
    expect(readFileSync(file('piped.sum'), 'utf8').split(' ')[0]).toBe(want);
    expect(sha256File(file('stream-target.img'))).toBe(want);
    expect(b.stderr).toContain(`delivered to | sha256sum > ${file('piped.sum')}`);
  }, 90_000);

  it('a stream that ends on a segment boundary (an empty last segment) reaches two receivers', async () => {
    const image = sampleImage(tmp.dir, 4 * 1024 * 1024, 'boundary.img'); // 64 chunks of 64 KiB: 2 full segments
    const net = channel();
    const rx = [0, 1].map((i) => runBinary(['receive', '-', ...net, '--name', `r${i}`, '--wait-timeout', '60']));
    const tx = await runBinary(['send', '-', ...net, ...SMALL_CHUNKS, '--min-receivers', '2', '--rate', '1g'], image);
    expect(tx.code, tx.stderr).toBe(0);
    for (const r of await Promise.all(rx)) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.sha256).toBe(sha256File(image));
    }
  }, 60_000);

  it('a signed stream and a sealed one each deliver the image', async () => {
    const k = (name: string): string => file(name);
    expect((await runCli(['keygen', k('pipes'), '-q'])).code).toBe(0);
    expect((await runCli(['keygen', '--group-key', k('pipes-group.key'), '-q'])).code).toBe(0);
    const image = sampleImage(tmp.dir, 3 * 1024 * 1024 + 77, 'keyed.img');
    const modes = [
      { send: ['--sign-key', k('pipes.key')], receive: ['--trust', k('pipes.pub')] },
      { send: ['--group-key', k('pipes-group.key')], receive: ['--group-key', k('pipes-group.key')] },
    ];
    for (const m of modes) {
      const net = channel();
      const rx = runBinary(['receive', '-', ...net, ...m.receive, '--wait-timeout', '60']);
      const tx = await runBinary(['send', '-', ...net, ...SMALL_CHUNKS, ...m.send, '--rate', '1g'], image);
      const r = await rx;
      expect(tx.code, tx.stderr).toBe(0);
      expect(r.code, r.stderr).toBe(0);
      expect(r.sha256).toBe(sha256File(image));
    }
  }, 90_000);

  it('a pipe command that fails fails the receiver, naming its status; the others still get the image', async () => {
    const image = sampleImage(tmp.dir, 2 * 1024 * 1024 + 5, 'fails.img');
    const net = channel();
    const early = startCli(['receive', '--pipe', 'head -c 1000 > /dev/null; exit 3', ...net, '--name', 'early', '--wait-timeout', '60']);
    const late = startCli(['receive', '--pipe', 'cat > /dev/null; exit 7', ...net, '--name', 'late', '--wait-timeout', '60']);
    const good = runBinary(['receive', '-', ...net, '--name', 'good', '--wait-timeout', '60']);
    const tx = await runBinary(['send', '-', ...net, ...SMALL_CHUNKS, '--min-receivers', '3', '--rate', '1g'], image);
    const [e, l, g] = await Promise.all([early.done, late.done, good]);
    expect(e.code).toBe(3);
    expect(e.stderr).toMatch(/The --pipe command "head -c 1000 > \/dev\/null; exit 3" stopped reading \(EPIPE\) with \d+ bytes of the image delivered and exited with status 3/);
    expect(l.code).toBe(3);
    expect(l.stderr).toContain(`The --pipe command "cat > /dev/null; exit 7" exited with status 7 after reading the whole image (${2 * 1024 * 1024 + 5} bytes)`);
    expect(g.code, g.stderr).toBe(0);
    expect(g.sha256).toBe(sha256File(image));
    expect(tx.code).toBe(1); // two of three receivers failed
    expect(tx.stderr).toContain('2 of 3 receiver(s) did not complete');
  }, 60_000);

  it('--expect-digest on a stream is checked at its end: exit 5 after the bytes went out', async () => {
    const image = sampleImage(tmp.dir, 1024 * 1024 + 3, 'expect.img');
    const net = channel();
    const rx = runBinary(['receive', '-', ...net, '--expect-digest', 'ab'.repeat(32), '--wait-timeout', '60']);
    await runBinary(['send', '-', ...net, ...SMALL_CHUNKS, '--rate', '1g', '-q'], image);
    const r = await rx;
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`not the expected ${'ab'.repeat(32)}; its ${1024 * 1024 + 3} bytes were already output to stdout`));
  }, 60_000);

  it('a receiver whose consumer stalls holds the stream back only until --receiver-timeout: it fails, saying so, and the others finish', async () => {
    const image = sampleImage(tmp.dir, 12 * 1024 * 1024 + 99, 'stall.img');
    const net = channel();
    const good = runBinary(['receive', '-', ...net, '--name', 'good', '--wait-timeout', '60']);
    const slow = startCli(['receive', '--pipe', 'sleep 60; cat > /dev/null', ...net, '--name', 'slow', '--wait-timeout', '60']);
    const tx = await runBinary(['send', '-', ...net, ...SMALL_CHUNKS, '--window', '2m', '--receiver-timeout', '2', '--min-receivers', '2', '--rate', '1g'], image);
    const [g, sl] = await Promise.all([good, slow.done]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.sha256).toBe(sha256File(image));
    expect(tx.code).toBe(1);
    expect(tx.stderr).toMatch(/receiver FAILED: slow \(reason 0: fell behind the stream: it had output \d+ chunks while the sender waited \d+\.\d s \(over --receiver-timeout\) to read chunk \d+, a window of 32 chunks ahead of it\)/);
    expect(sl.code).toBe(4); // it hears the sender end without it
  }, 60_000);

  it('send - with an empty stdin fails at once with a clear message', async () => {
    writeFileSync(file('empty.img'), '');
    const r = await runBinary(['send', '-', ...channel()], file('empty.img'));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('blockcast: stdin is empty: there is no image to send');
  });

  // A producer that keeps stdin open must never hold the sender: its reader thread is stopped at every ending.
  it('send - exits when stopped while stdin gives nothing yet, and at --start-timeout with stdin left open', async () => {
    const silent = openStdinSend(['send', '-', ...channel()], Buffer.alloc(0));
    await silent.said('waiting for 1 receiver(s)');
    silent.child.kill('SIGTERM');
    const s = await silent.done;
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('blockcast: Send aborted while waiting for the image on stdin');
    const open = openStdinSend(['send', '-', ...channel(), ...SMALL_CHUNKS, '--start-timeout', '1'], readFileSync(sampleImage(tmp.dir, 300 * 1024 + 7, 'open.img')));
    const t = await open.done;
    expect(t.code).toBe(4);
    expect(t.stderr).toContain('blockcast: Not started after 1 s (--start-timeout): 0 of 1 receiver(s) joined');
  }, 60_000);
});

/** `send` with `data` written to a stdin pipe that stays open until the CLI exits. */
function openStdinSend(args: string[], data: Buffer): { child: ReturnType<typeof spawn>; said(text: string): Promise<void>; done: Promise<{ code: number; stderr: string }> } {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  const listeners: (() => void)[] = [];
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    listeners.forEach((l) => l());
  });
  child.stdin!.on('error', () => {});
  if (data.length > 0) child.stdin!.write(data);
  const said = (text: string): Promise<void> => new Promise((resolve) => {
    const check = (): void => void (stderr.includes(text) && resolve());
    listeners.push(check);
    check();
  });
  const done = new Promise<{ code: number; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      child.stdin!.destroy();
      resolve({ code: code ?? 1, stderr });
    }),
  );
  return { child, said, done };
}
