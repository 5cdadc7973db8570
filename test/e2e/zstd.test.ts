// zstd end to end on loopback, hash-checked: an image prepared with each
// codec (zstd, lz4, none) arrives byte for byte, zstd sending the fewest
// bytes, and so do raw sends with zstd -1 (the
// default) and LZ4; forged zstd chunks (a valid frame of
// the wrong size, garbage) are refused and fetched again, as corrupt LZ4
// chunks are; a prepared image naming an unknown coding is refused before
// anything is sent.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { zstdShrink } from '../../src/image/zstd.js';
import { native } from '../../src/native/binding.js';
import { Coding, Stream } from '../../src/protocol/constants.js';
import { encodeData } from '../../src/protocol/packets.js';
import { event, killAll, sha256File, startCli, uniqueChannel, type CliResult } from '../helpers/cli.js';
import { sampleImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();
afterEach(() => killAll());
const MiB = 1024 * 1024;
const SESSION = 0x2057d;

async function session(image: string, target: string, sendArgs: string[] = []): Promise<{ s: CliResult; r: CliResult }> {
  const { group, port } = uniqueChannel();
  const net = ['--interface', '127.0.0.1', '--group', group, '--port', port, '--json'];
  const rx = startCli(['receive', target, ...net, '--wait-timeout', '60']);
  const tx = startCli(['send', image, ...net, '--rate', '2g', ...sendArgs]);
  const [s, r] = await Promise.all([tx.done, rx.done]);
  return { s, r };
}

describe.runIf(native.zstd)('zstd codec end to end', { timeout: 120_000 }, () => {
  it('round-trips an image prepared with every codec, zstd sending the fewest bytes', async () => {
    const image = sampleImage(tmp.dir, 12 * MiB + 4321, 'codecs.img');
    const wireBytes: Record<string, number> = {};
    for (const [codec, label] of [['zstd', 'zstd -5'], ['lz4', 'lz4'], ['none', 'none']] as const) {
      const prepared = path.join(tmp.dir, `codecs-${codec}.bcp`);
      const p = await startCli(['prepare', image, '-o', prepared, '--codec', codec, ...(codec === 'zstd' ? ['--level', '5'] : []), '--json']).done;
      expect(p.code, p.stderr).toBe(0);
      const info = event(p, 'prepared')!;
      expect(info.codec).toBe(label);
      wireBytes[codec] = info.wireBytes as number;
      const target = path.join(tmp.dir, `codecs-${codec}-target.img`);
      const { s, r } = await session(prepared, target);
      expect(s.code, s.stderr).toBe(0);
      expect(r.code, r.stderr).toBe(0);
      expect(sha256File(target)).toBe(sha256File(image));
      expect(event(r, 'done')!.imageDigest).toBe(info.imageDigest);
      expect(event(s, 'summary')!.imageWireBytes).toBe(info.wireBytes);
    }
    expect(wireBytes.zstd!).toBeLessThan(wireBytes.lz4!);
    expect(wireBytes.lz4!).toBeLessThan(wireBytes.none!);
  });

  it('round-trips a raw image sent with the default codec (zstd -1) and with --codec lz4', async () => {
    const image = sampleImage(tmp.dir, 8 * MiB, 'raw-send.img');
    for (const args of [[], ['--codec', 'lz4']]) {
      const target = path.join(tmp.dir, `raw-send-target${args.length}.img`);
      const { s, r } = await session(image, target, args);
      expect(s.code, s.stderr).toBe(0);
      expect(r.code, r.stderr).toBe(0);
      expect(sha256File(target)).toBe(sha256File(image));
      expect(event(s, 'summary')!.compressionRatio as number).toBeGreaterThan(1.5);
    }
  });

  it('refuses forged zstd chunks (a frame of the wrong size, garbage), fetches them again and completes byte-identical', async () => {
    const image = sampleImage(tmp.dir, 24 * MiB, 'forged.img');
    const target = path.join(tmp.dir, 'forged-target.img');
    const { group, port } = uniqueChannel();
    const net = ['--interface', '127.0.0.1', '--group', group, '--port', port, '--json'];
    const tx = startCli(['send', image, ...net, '--session', String(SESSION), '--rate', '50m', '--codec', 'none']);
    const rx = startCli(['receive', target, ...net, '--wait-timeout', '60', '--sender-timeout', '5']);
    // Forged after the manifest (a completion before it is only held, and under
    // load the forgeries could get there that early), well before the pass
    // reaches chunk 16 (1 MiB chunks at 50 Mbit/s: over 2.5 s, for a loaded machine).
    await new Promise<void>((resolve) => {
      let out = '';
      const timer = setTimeout(resolve, 10_000); // the assertions below say what went wrong
      rx.child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"event":"manifest"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    socket.setMulticastInterface('127.0.0.1');
    socket.setMulticastLoopback(true);
    // One-symbol zstd chunks of later text and random chunks, sent before
    // the sender gets there: each completes at once and must fail to decode.
    const wrongSize = zstdShrink(Buffer.alloc(1000, 0x61), Buffer.alloc(MiB), 3)!;
    const garbage = randomBytes(700);
    for (const [chunk, wire] of [[16, wrongSize], [17, garbage], [18, wrongSize], [23, garbage]] as const) {
      socket.send(encodeData(SESSION, Stream.Image, chunk, 0, wire, wire.length, Coding.Zstd), Number(port), group);
    }
    const [s, r] = await Promise.all([tx.done, rx.done]);
    socket.close();
    expect(s.code, s.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(sha256File(target)).toBe(sha256File(image));
    expect(event(r, 'done')!.corruptChunks as number).toBeGreaterThan(0);
    const warnings = r.events.filter((e) => e.event === 'warning').map((e) => e.message as string);
    expect(warnings.some((w) => /^chunk \d+ failed verification \(zstd frame is malformed or does not decode to 1048576 bytes\); fetching it again$/.test(w))).toBe(true);
  });
});

describe('codec options and checks', () => {
  it('--version names zstd; a bad codec or a level for LZ4 is a usage error', async () => {
    const v = await startCli(['--version']).done;
    expect(v.stdout).toMatch(native.zstd ? /zstd: libzstd 1\.\d+\.\d+\)/ : /zstd: unavailable/);
    const image = sampleImage(tmp.dir, MiB, 'options.img');
    const out = path.join(tmp.dir, 'options.bcp');
    const bogus = await startCli(['prepare', image, '-o', out, '--codec', 'brotli']).done;
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/argument 'brotli' is invalid. Allowed choices are zstd, lz4, none/);
    const level = await startCli(['prepare', image, '-o', out, '--codec', 'lz4', '--level', '3']).done;
    expect(level.code).toBe(2);
    expect(level.stderr).toBe('blockcast: level applies to zstd only, not to codec lz4\n');
  });

  it('refuses a prepared image naming an unknown coding before anything is sent', async () => {
    const image = sampleImage(tmp.dir, 4 * MiB, 'unknown-coding.img');
    const prepared = path.join(tmp.dir, 'unknown-coding.bcp');
    expect((await startCli(['prepare', image, '-o', prepared, '--codec', 'lz4', '--json']).done).code).toBe(0);
    // The table follows the 64-byte header, 48 bytes per chunk, coding at +12;
    // chunk 3 of the sample image is text, so it is stored.
    const bytes = readFileSync(prepared);
    bytes[64 + 3 * 48 + 12] = 7;
    writeFileSync(prepared, bytes);
    const { group, port } = uniqueChannel();
    const s = await startCli(['send', prepared, '--interface', '127.0.0.1', '--group', group, '--port', port]).done;
    expect(s.code).toBe(3);
    expect(s.stderr).toMatch(/Prepared image .* is corrupt: chunk 3: table entry out of range \(unknown coding 7\)/);
  });
});
