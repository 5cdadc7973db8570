// When a sender starts, and what it says about receivers at the end:
// --start-timeout, SIGUSR1, --receivers, --status-file, --control-port.
// Real CLI processes on loopback, each test with its own group and port.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { event, runCli, sha256File, startCli, uniqueChannel, type RunningCli } from '../helpers/cli.js';
import { sampleImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';
import type { StatusDocument } from '../../src/cli/status-file.js';

const tmp = testResources();
const MiB = 1024 * 1024;

function net(): string[] {
  const { group, port } = uniqueChannel();
  return ['--interface', '127.0.0.1', '--group', group, '--port', port, '--json'];
}

/** Resolves once `cli` has printed `text` on stdout or stderr. */
function printed(cli: RunningCli, text: string): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    const look = (d: Buffer): void => {
      seen += d.toString();
      if (seen.includes(text)) resolve();
    };
    cli.child.stdout!.on('data', look);
    cli.child.stderr!.on('data', look);
  });
}

function receiver(target: string, channel: string[], name: string): RunningCli {
  return startCli(['receive', path.join(tmp.dir, target), ...channel, '--name', name, '--wait-timeout', '60']);
}

describe('session start', () => {
  it('send --start-timeout 3 with nobody joining exits 4 saying how many joined', async () => {
    const image = sampleImage(tmp.dir, 2 * MiB, 'timeout.img');
    const r = await runCli(['send', image, ...net(), '--start-timeout', '3']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('blockcast: Not started after 3 s (--start-timeout): 0 of 1 receiver(s) joined');
  }, 30_000);

  it('--start-timeout with --receivers names the missing ones and writes them to the status file', async () => {
    const image = sampleImage(tmp.dir, 2 * MiB, 'missing.img');
    const channel = net();
    const statusFile = path.join(tmp.dir, 'missing-status.json');
    const a = receiver('missing-a.img', channel, 'node-a');
    const tx = startCli(['send', image, ...channel, '--receivers', 'node-a,node-b', '--start-timeout', '4', '--status-file', statusFile]);
    const [r, ra] = await Promise.all([tx.done, a.done]);
    expect(r.code).toBe(4);
    // The sender announced its end: the receiver that joined stops at once.
    expect(ra.code).toBe(4);
    expect(ra.stderr).toContain('ended');
    expect(r.stderr).toContain('1 of 2 receiver(s) joined; missing: node-b');
    const status = JSON.parse(readFileSync(statusFile, 'utf8')) as StatusDocument;
    expect(status.ok).toBe(false);
    expect(status.error).toContain('missing: node-b');
    expect(status.receivers.map((x) => [x.name, x.state])).toEqual([['node-a', 'incomplete'], ['node-b', 'never-joined']]);
  }, 30_000);

  it('--receivers @FILE starts once all listed have joined; the status file says each is done', async () => {
    const image = sampleImage(tmp.dir, 6 * MiB + 123, 'listed.img');
    const channel = net();
    const list = path.join(tmp.dir, 'receivers.txt');
    writeFileSync(list, '# the rack\nnode-a\n\nnode-b   # second\n');
    const statusFile = path.join(tmp.dir, 'listed-status.json');
    const tx = startCli(['send', image, ...channel, '--receivers', `@${list}`, '--control-port', '0', '--status-file', statusFile]);
    // One at a time: with only node-a there, the sender must not start.
    // node-a reports from a fixed port, as behind a stateless firewall.
    const fixedPort = String(Number(channel[channel.indexOf('--port') + 1]) + 3);
    const a = startCli(['receive', path.join(tmp.dir, 'listed-a.img'), ...channel, '--name', 'node-a', '--wait-timeout', '60', '--control-port', fixedPort]);
    await printed(tx, '"event":"receiver-joined"');
    const b = receiver('listed-b.img', channel, 'node-b');
    const [r, ra, rb] = await Promise.all([tx.done, a.done, b.done]);
    expect(r.code, r.stderr).toBe(0);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    expect(event(r, 'start')!.receivers).toBe(2);
    expect(sha256File(path.join(tmp.dir, 'listed-b.img'))).toBe(sha256File(image));
    expect(event(r, 'receiver-joined')!.port).toBe(Number(fixedPort));
    const check = await runCli(['verify', path.join(tmp.dir, 'listed-a.img'), image]);
    expect(check.code, check.stderr).toBe(0);
    expect(event(r, 'summary')).toMatchObject({ neverJoined: [], notFinished: [] });
    const status = JSON.parse(readFileSync(statusFile, 'utf8')) as StatusDocument;
    expect(status.ok).toBe(true);
    const byName = Object.fromEntries(status.receivers.map((x) => [x.name, x]));
    for (const name of ['node-a', 'node-b']) {
      expect(byName[name]).toMatchObject({ state: 'done', address: '127.0.0.1', reason: '', bytes: 6 * MiB + 123 });
      expect(byName[name]!.seconds).toBeGreaterThan(0);
    }
  }, 60_000);

  it('SIGUSR1 says when nobody has joined, then starts with whoever has', async () => {
    const image = sampleImage(tmp.dir, 4 * MiB, 'usr1.img');
    const channel = net();
    const tx = startCli(['send', image, ...channel, '--min-receivers', '5', '--receivers', 'usr1-a,usr1-absent', '--status-file', path.join(tmp.dir, 'usr1.json')]);
    await printed(tx, '"event":"prepared"'); // the signal handler is installed before the image is scanned
    tx.child.kill('SIGUSR1');
    await printed(tx, 'SIGUSR1: no receiver has joined yet; still waiting');
    const a = receiver('usr1-a.img', channel, 'usr1-a');
    await printed(tx, '"event":"receiver-joined"');
    tx.child.kill('SIGUSR1');
    const [r, ra] = await Promise.all([tx.done, a.done]);
    expect(ra.code).toBe(0);
    expect(sha256File(path.join(tmp.dir, 'usr1-a.img'))).toBe(sha256File(image));
    expect(event(r, 'start')!.receivers).toBe(1);
    // A listed receiver never joined: the send did not reach everyone it was meant to.
    expect(r.code).toBe(1);
    expect(event(r, 'summary')!.neverJoined).toEqual(['usr1-absent']);
    expect(r.stderr).toContain('listed but never joined: usr1-absent');
    expect(r.stderr).not.toContain('Debugger listening'); // Node's default for SIGUSR1
    const status = JSON.parse(readFileSync(path.join(tmp.dir, 'usr1.json'), 'utf8')) as StatusDocument;
    expect(status.receivers.map((x) => [x.name, x.state])).toEqual([['usr1-a', 'done'], ['usr1-absent', 'never-joined']]);
  }, 60_000);

  it('other commands ignore SIGUSR1 rather than let Node open its inspector', async () => {
    const rx = startCli(['receive', path.join(tmp.dir, 'usr1-ignored.img'), ...net(), '--wait-timeout', '3']);
    await printed(rx, '"event":"ready"');
    rx.child.kill('SIGUSR1');
    const r = await rx.done;
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('blockcast: SIGUSR1 ignored: nothing to start (yet)');
    expect(r.stderr).not.toContain('Debugger listening');
  }, 30_000);

  it('the sender reports on a fixed control port (the data port + 1 by default) and says when it is taken', async () => {
    const image = sampleImage(tmp.dir, 2 * MiB, 'port.img');
    const channel = net();
    const port = Number(channel[channel.indexOf('--port') + 1]);
    const first = startCli(['send', image, ...channel, '--start-timeout', '20']);
    await printed(first, '"event":"prepared"');
    const second = await runCli(['send', image, ...channel, '--start-timeout', '20']);
    first.child.kill('SIGTERM');
    await first.done;
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`UDP port ${port + 1} is already in use on this host (another blockcast session?): choose another with --control-port N`);
  }, 30_000);
});
