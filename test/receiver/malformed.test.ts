// A receiver under a stream of garbage: malformed, truncated, foreign-session
// and spoofed packets are counted and dropped, a chunk completed from a
// spoofed symbol fails its hash and is fetched again, and the target still
// ends byte-identical.
import dgram from 'node:dgram';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAGIC, PacketType, Phase, Stream } from '../../src/protocol/constants.js';
import { encodeAnnounce, encodeData } from '../../src/protocol/packets.js';
import { event, sha256File, startCli, uniqueChannel } from '../helpers/cli.js';
import { sampleImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();

const SESSION = 0x4242;
const SYMBOL = 1444;
const CHUNK = 1024 * 1024;

/** A DATA packet for a full-size raw chunk of the image. */
function data(session: number, stream: number, chunk: number, symbol: number, payload: Buffer): Buffer {
  return encodeData(session, stream, chunk, symbol, payload, CHUNK);
}

function garbage(): Buffer[] {
  const good = data(SESSION, Stream.Image, 0, 0, Buffer.alloc(SYMBOL, 1));
  const badVersion = Buffer.from(good);
  badVersion[4] = 7;
  const unknownType = Buffer.from(good);
  unknownType[5] = 99;
  const magicOnly = Buffer.alloc(8);
  magicOnly.writeUInt32LE(MAGIC, 0);
  return [
    Buffer.from('definitely not a blockcast packet'),
    Buffer.alloc(0),
    magicOnly,
    badVersion,
    unknownType,
    good.subarray(0, 20), // truncated inside the DATA header
    encodeData(SESSION, Stream.Image, 0, 0, Buffer.alloc(SYMBOL), 0), // chunk length 0
    encodeData(SESSION, Stream.Image, 0, 0, Buffer.alloc(SYMBOL), CHUNK + 1), // chunk length beyond the chunk size
    encodeData(SESSION, Stream.Image, 0, 0, Buffer.alloc(SYMBOL), CHUNK, 9), // unknown coding
    data(SESSION, Stream.Image, 0, 0, Buffer.alloc(100)), // payload shorter than the symbol
    data(SESSION, Stream.Image, 0, 0, Buffer.alloc(SYMBOL + 1)), // payload longer than the symbol
    data(SESSION, Stream.Image, 999_999, 0, Buffer.alloc(SYMBOL)), // chunk beyond the image
    data(SESSION, Stream.Image, 0, 5000, Buffer.alloc(SYMBOL)), // symbol beyond the chunk
    data(SESSION, Stream.Image, 0, 0x80ff0001, Buffer.alloc(SYMBOL)), // repair symbol of a stripe beyond the chunk
    data(SESSION, Stream.Image, 0, 0x800000fe, Buffer.alloc(SYMBOL)), // parity index beyond 255 - k
    data(SESSION, Stream.Image, 0, 0x80000001, Buffer.alloc(100)), // repair symbol shorter than a symbol
    data(SESSION, 7, 0, 0, Buffer.alloc(SYMBOL)), // unknown stream
  ];
}

function foreign(): Buffer[] {
  return [
    data(SESSION + 1, Stream.Image, 1, 0, Buffer.alloc(SYMBOL, 0xee)),
    encodeAnnounce({
      session: SESSION + 1, phase: Phase.Sending, controlPort: 1, imageSize: 1 << 20, chunkSize: 1 << 20, symbolSize: SYMBOL,
      stripeSize: 0, chunkCount: 1, manifestSize: 96, progress: 0, rateKiB: 0, heartbeat: 0, manifestDigest: Buffer.alloc(32), groupSize: 1, nackBackoffMs: 0, cipher: 0, salt: Buffer.alloc(16),
    }),
  ];
}

describe('receiver robustness', () => {
  it('drops malformed and foreign packets, re-fetches spoofed chunks, and completes byte-identical', async () => {
    const image = sampleImage(tmp.dir, 24 * 1024 * 1024);
    const target = path.join(tmp.dir, 'target.img');
    const { group, port } = uniqueChannel();
    const net = ['--interface', '127.0.0.1', '--group', group, '--port', port, '--json'];
    // Uncompressed, so every image chunk is CHUNK bytes on the wire and a
    // spoofed symbol can claim a plausible length.
    const tx = startCli(['send', image, ...net, '--session', String(SESSION), '--rate', '200m', '--no-compress']);
    const rx = startCli(['receive', target, ...net, '--wait-timeout', '60', '--sender-timeout', '5']);
    // Without authentication a receiver joins the first session it hears, so
    // the foreign traffic starts once it has joined the real one.
    await rx.joined;
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    socket.setMulticastInterface('127.0.0.1');
    socket.setMulticastLoopback(true);
    const send = (b: Buffer): void => socket.send(b, Number(port), group);

    // Spoofed symbol 0 of later chunks, sent before the sender gets there:
    // those chunks complete with wrong bytes and must fail verification.
    const spoof = (): void => {
      for (let c = 16; c < 24; c++) send(data(SESSION, Stream.Image, c, 0, Buffer.alloc(SYMBOL, 0x5a)));
    };
    let ticks = 0;
    const timer = setInterval(() => {
      for (const b of [...garbage(), ...foreign()]) send(b);
      if (ticks++ === 3) spoof();
    }, 20);
    const [s, r] = await Promise.all([tx.done, rx.done]);
    clearInterval(timer);
    socket.close();

    expect(s.code, s.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(sha256File(target)).toBe(sha256File(image));
    const done = event(r, 'done')!;
    expect(done.malformed as number).toBeGreaterThan(0);
    expect(done.foreign as number).toBeGreaterThan(0);
    expect(done.corruptChunks as number).toBeGreaterThan(0);
    expect(PacketType.Data).toBe(1);
  });
});
