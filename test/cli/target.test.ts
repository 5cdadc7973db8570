// Targets: too small fails before any transfer with a clear message and exit
// code 3 (a stream of unknown size, as soon as it outgrows the target); a
// block device is written in place.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { cliPath, event, killAll, sha256File, startCli, uniqueChannel } from '../helpers/cli.js';
import { sampleImage, tempDir } from '../helpers/image.js';

const tmp = tempDir();
const mounts: string[] = [];
const loops: string[] = [];
afterAll(() => {
  killAll();
  for (const l of loops) execFileSync('losetup', ['-d', l]);
  for (const m of mounts) execFileSync('umount', [m]);
  tmp.cleanup();
});

function net(): string[] {
  const { group, port } = uniqueChannel();
  return ['--interface', '127.0.0.1', '--group', group, '--port', port, '--json'];
}

function loopDevice(bytes: number): string {
  const backing = path.join(tmp.dir, `loop-${loops.length}.bin`);
  writeFileSync(backing, Buffer.alloc(0));
  execFileSync('truncate', ['-s', String(bytes), backing]);
  const dev = execFileSync('losetup', ['--find', '--show', backing]).toString().trim();
  loops.push(dev);
  return dev;
}

describe('targets', () => {
  it('refuses a file target on a filesystem that is too small, before the transfer', async () => {
    const image = sampleImage(tmp.dir, 16 * 1024 * 1024);
    const small = path.join(tmp.dir, 'small');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', small]);
    mounts.push(small);
    const n = net();
    const tx = startCli(['send', image, ...n]);
    const rx = await startCli(['receive', path.join(small, 'disk.img'), ...n, '--wait-timeout', '30']).done;
    expect(rx.code).toBe(ExitCode.Target);
    expect(rx.stderr).toMatch(/Target too small: the image is 16777216 bytes \(16\.0 MiB\) but the filesystem holding .* has room for only \d+ bytes/);
    tx.child.kill('SIGINT'); // the sender keeps waiting for a receiver that can take the image
    const s = await tx.done;
    const failed = event(s, 'receiver-failed');
    expect(failed?.reason).toBe(1); // FailReason.TargetTooSmall, reported over the wire
  });

  it('refuses a block device that is too small', async () => {
    const image = sampleImage(tmp.dir, 32 * 1024 * 1024, 'image32.img');
    const dev = loopDevice(16 * 1024 * 1024);
    const n = net();
    const tx = startCli(['send', image, ...n]);
    const rx = await startCli(['receive', dev, ...n, '--wait-timeout', '30']).done;
    expect(rx.code).toBe(ExitCode.Target);
    expect(rx.stderr).toContain(`Target too small: the image is 33554432 bytes (32.0 MiB) but block device ${dev} holds only 16777216 bytes (16.0 MiB)`);
    tx.child.kill('SIGINT');
    await tx.done;
  });

  it('stops a stream (send -, size unknown) that outgrows a block device: exit 3 naming both sizes, and the sender is told', async () => {
    const image = sampleImage(tmp.dir, 24 * 1024 * 1024, 'stream24.img');
    const dev = loopDevice(16 * 1024 * 1024);
    const n = net();
    const rx = startCli(['receive', dev, ...n, '--wait-timeout', '30']);
    // `cat IMG | blockcast send -`: the size is known only at the stream's end.
    const tx = spawn(process.execPath, [cliPath, 'send', '-', ...n, '--rate', '1g', '--chunk-size', '64k'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    tx.stdout.on('data', (d: Buffer) => (out += d.toString()));
    tx.stdin.on('error', () => {});
    // 20 MiB and stdin left open: the stream's end (and size) is not known while the target fills
    // (64 KiB chunks: a manifest segment of 32 chunks is 2 MiB, so chunks are verified as they come).
    tx.stdin.write(readFileSync(image).subarray(0, 20 * 1024 * 1024));
    const r = await rx.done;
    tx.stdin.end();
    expect(r.code, r.stderr).toBe(ExitCode.Target);
    expect(r.stderr).toMatch(new RegExp(`Target too small: the stream has reached \\d+ bytes but ${dev} holds only 16777216 bytes`));
    const code = await new Promise<number | null>((resolve) => tx.on('close', resolve));
    expect(code).toBe(ExitCode.Failed); // its only receiver failed
    expect(out).toMatch(/"event":"receiver-failed"[^\n]*"reason":1/); // FailReason.TargetTooSmall, over the wire
  });

  it('writes an image onto a larger block device in place', async () => {
    const image = sampleImage(tmp.dir, 8 * 1024 * 1024 + 4096, 'image8.img');
    const dev = loopDevice(16 * 1024 * 1024);
    const n = net();
    const rx = startCli(['receive', dev, ...n, '--wait-timeout', '30']);
    const tx = startCli(['send', image, ...n]);
    const [s, r] = await Promise.all([tx.done, rx.done]);
    expect(s.code, s.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    const written = readFileSync(dev).subarray(0, 8 * 1024 * 1024 + 4096);
    expect(createHash('sha256').update(written).digest('hex')).toBe(sha256File(image));
  });
});
