// Faults mid-transfer, on loopback with real processes: a receiver killed
// (kill -9) and restarted resumes from its journal; a late joiner is served
// by catch-up; a killed sender makes
// the receiver exit 4, and a restarted sender of the same image lets the
// restarted receiver resume; a full disk fails with exit 3 and is never
// reported done; a target removed mid-transfer is not claimed to hold the
// image. Each session is slowed with --rate so a fault lands mid-transfer.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { event, sha256File, startCli, uniqueChannel, type RunningCli } from '../helpers/cli.js';
import { randomImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();
const CHUNKS = 24;
const image = randomImage(tmp.dir, CHUNKS * 1024 * 1024 + 4321);
const want = sha256File(image);
const isRoot = process.getuid?.() === 0;

/** Resolves once the receiver's --json progress says it has written at least `chunks` chunks. */
function written(r: RunningCli, chunks: number): Promise<void> {
  return new Promise((resolve) => {
    let out = '';
    const check = (d: Buffer): void => {
      out += d.toString();
      const done = [...out.matchAll(/"event":"progress".*?"chunksDone":(\d+)/g)].some((m) => Number(m[1]) >= chunks);
      if (done) {
        r.child.stdout!.off('data', check);
        resolve();
      }
    };
    r.child.stdout!.on('data', check);
    void r.done.then(() => resolve());
  });
}

function channel(): string[] {
  const { group, port } = uniqueChannel();
  return ['--interface', '127.0.0.1', '--group', group, '--port', port, '--json'];
}

const receive = (target: string, net: string[], extra: string[] = []): RunningCli =>
  startCli(['receive', target, ...net, '--wait-timeout', '60', '--progress-interval', '0.2', ...extra]);
const send = (net: string[], rate = '40m'): RunningCli => startCli(['send', image, ...net, '--rate', rate]);

describe('faults mid-transfer', () => {
  it('a receiver killed (kill -9) and restarted with the same command resumes: kept chunks, byte-identical, the sender counts the rejoin', async () => {
    const net = channel();
    const target = path.join(tmp.dir, 'resume.img');
    const tx = send(net);
    const first = receive(target, net);
    await written(first, CHUNKS * 0.4);
    first.child.kill('SIGKILL');
    expect((await first.done).code).toBe(128);
    expect(existsSync(`${target}.blockcast-journal`)).toBe(true);
    const again = await receive(target, net).done;
    expect(again.code, again.stderr).toBe(0);
    expect(sha256File(target)).toBe(want);
    const done = event(again, 'done')!;
    expect(done.keptChunks as number).toBeGreaterThan(0);
    expect(done.rehashedChunks as number).toBeGreaterThanOrEqual(done.keptChunks as number);
    expect(event(again, 'resume')).toMatchObject({ journalState: 'trusted' });
    // Done: the journal has served, and must not outlive a target that may change.
    expect(existsSync(`${target}.blockcast-journal`)).toBe(false);
    const s = await tx.done;
    expect(s.code, s.stderr).toBe(0);
    const summary = event(s, 'summary')!;
    expect(summary.ok).toBe(true);
    expect(summary.receivers).toEqual([expect.objectContaining({ state: 'done', rejoins: 1 })]);
    expect(event(s, 'receiver-rejoined')).toBeDefined();
  });

  it('a killed sender makes the receiver exit 4; a restarted sender of the same image lets the restarted receiver resume', async () => {
    const net = channel();
    const target = path.join(tmp.dir, 'sender-killed.img');
    const tx = send(net);
    const rx = receive(target, net, ['--sender-timeout', '2']);
    await written(rx, CHUNKS * 0.3);
    tx.child.kill('SIGKILL');
    const r = await rx.done;
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/The sender went silent for 2 s/);
    expect(event(r, 'done')).toBeUndefined();
    // A new sender (a new session) of the same image: the journal is keyed by the image, not the session.
    const tx2 = send(net, '1g');
    const again = await receive(target, net).done;
    expect(again.code, again.stderr).toBe(0);
    expect(sha256File(target)).toBe(want);
    expect(event(again, 'done')!.keptChunks as number).toBeGreaterThan(0);
    expect((await tx2.done).code).toBe(0);
  });

  it('a receiver that joins when the pass is under way is moved to catch-up for what it missed (late-join) and both copies end byte-identical', async () => {
    const net = channel();
    const early = path.join(tmp.dir, 'early.img');
    const late = path.join(tmp.dir, 'late.img');
    const tx = send(net);
    const first = receive(early, net);
    await written(first, CHUNKS * 0.4);
    const second = receive(late, net);
    const [a, b] = await Promise.all([first.done, second.done]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(sha256File(early)).toBe(want);
    expect(sha256File(late)).toBe(want);
    const s = await tx.done;
    expect(s.code, s.stderr).toBe(0);
    expect(event(s, 'receiver-catching-up')).toMatchObject({ why: 'late-join' });
    expect(event(s, 'summary')!.receivers).toEqual([expect.objectContaining({ state: 'done' }), expect.objectContaining({ state: 'done' })]);
  });

  it('the target removed mid-transfer: a clear failure (exit 3), never reported done', async () => {
    const net = channel();
    const target = path.join(tmp.dir, 'removed.img');
    const tx = send(net, '80m');
    const rx = receive(target, net);
    await written(rx, CHUNKS * 0.3);
    unlinkSync(target);
    const r = await rx.done;
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/The target .*removed\.img was removed during the transfer: .*does not hold it/);
    expect(event(r, 'done')).toBeUndefined();
    await tx.done;
  });

  describe.skipIf(!isRoot)('on a small file system (tmpfs, root)', () => {
    const mount = path.join(tmp.dir, 'small');
    afterAll(() => {
      if (existsSync(mount)) execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
    });

    it('disk full mid-transfer: exit 3 with a message naming the problem, never reported done', async () => {
      mkdirSync(mount);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', mount]);
      const net = channel();
      const target = path.join(mount, 'full.img');
      const tx = send(net);
      const rx = receive(target, net);
      await written(rx, CHUNKS * 0.2);
      // Take every free block: the next writes get ENOSPC. Written until the file system says it is
      // full (a fallocate of the free space stat reported fails whole if the receiver wrote in between).
      execFileSync('sh', ['-c', `dd if=/dev/zero of=${mount}/filler bs=64k 2>/dev/null || true`]);
      const r = await rx.done;
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/disk full|ENOSPC/);
      expect(event(r, 'done')).toBeUndefined();
      const s = await tx.done;
      expect(s.code).toBe(1);
      expect(event(s, 'summary')!.receivers).toEqual([expect.objectContaining({ state: 'failed' })]);
    });
  });
});
