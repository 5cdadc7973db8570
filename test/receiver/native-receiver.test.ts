// The native receiver's cheap paths for many receivers on one host: an
// unchanged ANNOUNCE repeated by the sender reaches JS once, a changed one at
// once; sample() fills a caller's array and rejects anything else.
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { native, type NativeReceiver, type NativeReceiverBatch } from '../../src/native/binding.js';
import { Phase } from '../../src/protocol/constants.js';
import { decodeAnnounce, encodeAnnounce, encodeData, type Announce } from '../../src/protocol/packets.js';
import { uniqueChannel } from '../helpers/cli.js';

const announce = (progress: number): Announce => ({
  session: 0x5151, phase: Phase.Sending, controlPort: 1, imageSize: 1 << 20, chunkSize: 1 << 20, symbolSize: 1444,
  stripeSize: 0, chunkCount: 1, manifestSize: 96, progress, rateKiB: 0, heartbeat: 0, manifestDigest: Buffer.alloc(32), groupSize: 1, nackBackoffMs: 0, cipher: 0, salt: Buffer.alloc(16),
});

let rx: NativeReceiver | undefined;
afterEach(() => rx?.close());

describe('native receiver', () => {
  it('hands an unchanged ANNOUNCE to JS once, a changed one at once', async () => {
    const { group, port } = uniqueChannel();
    const seen: number[] = [];
    rx = new native.Receiver(
      { group, port: Number(port), interfaceAddress: '127.0.0.1', socketBuffer: 0, flushMs: 1, gro: false, dropBurstStart: 0, dropBurstCount: 0 },
      (batch: NativeReceiverBatch) => {
        for (const c of batch.controls) seen.push(decodeAnnounce(c.data)!.progress);
      },
    );
    const tx = dgram.createSocket('udp4');
    await new Promise<void>((r) => tx.bind(0, '127.0.0.1', r));
    tx.setMulticastInterface('127.0.0.1');
    const send = (b: Buffer): Promise<void> => new Promise((r) => tx.send(b, Number(port), group, () => r()));
    for (let i = 0; i < 5; i++) await send(encodeAnnounce(announce(3)));
    await send(encodeAnnounce(announce(4)));
    await new Promise((r) => setTimeout(r, 300));
    tx.close();
    expect(seen).toEqual([3, 4]);
    expect(rx.stats().repeatedAnnounces).toBe(4);
  });

  it('sample() fills a Float64Array of 4 and refuses anything else', () => {
    const { group, port } = uniqueChannel();
    rx = new native.Receiver(
      { group, port: Number(port), interfaceAddress: '127.0.0.1', socketBuffer: 0, flushMs: 1, gro: false, dropBurstStart: 0, dropBurstCount: 0 },
      () => {},
    );
    rx.configure({ session: 1, symbolSize: 1444, stripeSize: 0, streams: [{ chunkCount: 4, maxLength: 1 << 20 }, { chunkCount: 1, maxLength: 1 << 20 }] });
    rx.provide(Buffer.alloc(1 << 20), 0);
    const out = new Float64Array(4).fill(NaN);
    rx.sample(out);
    expect(out[2]).toBe(0); // nothing dropped
    expect(out[3]).toBe(1); // the one buffer lent
    expect(() => rx!.sample(new Float64Array(3))).toThrow(/sample\(out: Float64Array of at least 4\)/);
    expect(() => rx!.sample(new Uint32Array(4) as unknown as Float64Array)).toThrow(/sample\(out/);
  });

  it('counts the DATA bytes it takes and the datagrams sent meanwhile by seq: gaps are loss, late ones are not', async () => {
    const { group, port } = uniqueChannel();
    rx = new native.Receiver(
      { group, port: Number(port), interfaceAddress: '127.0.0.1', socketBuffer: 0, flushMs: 1, gro: false, dropBurstStart: 0, dropBurstCount: 0 },
      () => {},
    );
    rx.configure({ session: 1, symbolSize: 1444, stripeSize: 0, streams: [{ chunkCount: 4, maxLength: 1 << 20 }, { chunkCount: 1, maxLength: 1 << 20 }] });
    rx.provide(Buffer.alloc(1 << 20), 0);
    const tx = dgram.createSocket('udp4');
    await new Promise<void>((r) => tx.bind(0, '127.0.0.1', r));
    tx.setMulticastInterface('127.0.0.1');
    const length = 4 * 1444;
    const packets = [65534, 65535, 1, 0, 4].map((seq, i) => encodeData(1, 0, 0, i % 4, Buffer.alloc(1444, i), length, 0, seq));
    for (const b of packets) await new Promise<void>((r) => tx.send(b, Number(port), group, () => r()));
    await new Promise((r) => setTimeout(r, 300));
    tx.close();
    const s = rx.stats();
    expect(s.dataPackets).toBe(5);
    expect(s.dataBytes).toBe(packets.reduce((a, b) => a + b.length, 0));
    expect(s.sequenced).toBe(7); // 65534 .. 4 across the wrap: 2 and 3 lost, 0 only late
  });
});
