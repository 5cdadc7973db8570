import { describe, expect, it } from 'vitest';
import { FailReason, Phase, ReceiverState } from '../../src/protocol/constants.js';
import { decodeManifest, encodeManifest, imageDigestOf, isZeroChunk, manifestSize, zeroBitmap } from '../../src/protocol/manifest.js';
import { hash, zeroHash } from '../../src/protocol/hash.js';
import {
  decodeAck,
  decodeAnnounce,
  decodeNack,
  decodeRepairAdv,
  decodeStatus,
  encodeAck,
  encodeAnnounce,
  encodeNacks,
  encodeRepairAdv,
  encodeStatus,
  NackKind,
  type NackEntry,
} from '../../src/protocol/packets.js';

describe('control packets', () => {
  it('round-trips ANNOUNCE', () => {
    const a = {
      session: 0xdeadbeef,
      phase: Phase.Sending,
      controlPort: 40000,
      imageSize: 5 * 2 ** 40 + 17,
      chunkSize: 1 << 20,
      symbolSize: 1448,
      stripeSize: 32,
      chunkCount: 5 * 2 ** 20 + 1,
      manifestSize: 64 + 32 * (5 * 2 ** 20 + 1),
      progress: 12,
      rateKiB: 122070,
      heartbeat: 45,
      manifestDigest: hash(Buffer.from('x')),
      groupSize: 200,
      nackBackoffMs: 480,
      cipher: 2,
      salt: Buffer.alloc(16, 9),
      streamFlags: 1,
      segmentChunks: 32,
      segments: 77,
    };
    expect(decodeAnnounce(encodeAnnounce(a))).toEqual(a);
    // A file session's: the stream fields are 0.
    const { streamFlags: _f, segmentChunks: _k, segments: _s, ...file } = a;
    expect(decodeAnnounce(encodeAnnounce(file))).toEqual({ ...file, streamFlags: 0, segmentChunks: 0, segments: 0 });
  });

  it('round-trips STATUS and ACK', () => {
    const s = {
      session: 7,
      receiverId: 99,
      state: ReceiverState.Done,
      reason: FailReason.None,
      overloaded: true,
      chunksDone: 3,
      capacity: 2 ** 33,
      packets: 123456,
      malformed: 2,
      duplicates: 5,
      imageDigest: hash(Buffer.from('y')),
      name: 'node-17',
      nonce: Buffer.alloc(16, 3),
      dataBytes: 2 ** 40 + 3,
      sequenced: 99_999,
      clockMs: 2 ** 32 - 1,
    };
    expect(decodeStatus(encodeStatus(s))).toEqual(s);
    // Only DONE carries the digest: a heartbeat is 32 bytes shorter.
    const heartbeat = { ...s, state: ReceiverState.Receiving, imageDigest: Buffer.alloc(32) };
    expect(encodeStatus(heartbeat).length).toBe(84 + 'node-17'.length);
    expect(decodeStatus(encodeStatus(heartbeat))).toEqual(heartbeat);
    const doneWithoutDigest = Buffer.from(encodeStatus(heartbeat));
    doneWithoutDigest[16] = ReceiverState.Done;
    expect(decodeStatus(doneWithoutDigest)).toBeNull();
    const ack = { session: 7, receiverId: 99, state: ReceiverState.Done, nonce: Buffer.alloc(16, 4) };
    expect(decodeAck(encodeAck(ack))).toEqual(ack);
  });

  it('packs many NACK entries into packets of at most 1400 bytes and decodes them back', () => {
    const entries: NackEntry[] = [];
    for (let c = 0; c < 300; c++) entries.push({ stream: 0, chunk: c, kind: NackKind.SourceRuns, pairs: [c % 7, 3, 100, 1] });
    entries.push({ stream: 0, chunk: 1000, kind: NackKind.SourceRuns, pairs: Array.from({ length: 800 }, (_, i) => (i % 2 ? 1 : i)) });
    entries.push({ stream: 0, chunk: 1500, kind: NackKind.WholeChunk, pairs: [] });
    entries.push({ stream: 1, chunk: 2000, kind: NackKind.StripeNeeds, pairs: [0, 3, 7, 1, 22, 4] });
    const packets = encodeNacks(1, 2, entries);
    expect(packets.length).toBeGreaterThan(1);
    for (const p of packets) expect(p.length).toBeLessThanOrEqual(1400);
    const decoded = packets.flatMap((p) => decodeNack(p)!.entries);
    const merged = new Map<number, number[]>();
    for (const e of decoded) merged.set(e.chunk, [...(merged.get(e.chunk) ?? []), ...e.pairs]);
    for (const e of entries) expect(merged.get(e.chunk)).toEqual(e.pairs);
    expect(decoded.find((e) => e.chunk === 2000)).toEqual(entries.at(-1));
  });

  it('rejects truncated, oversized and foreign-version packets', () => {
    const nack = encodeNacks(1, 2, [{ stream: 0, chunk: 5, kind: NackKind.SourceRuns, pairs: [0, 4] }])[0]!;
    expect(decodeNack(nack.subarray(0, nack.length - 1))).toBeNull();
    expect(decodeNack(Buffer.concat([nack, Buffer.alloc(1)]))).toBeNull();
    const badKind = Buffer.from(nack);
    badKind[21] = 4; // entry kind
    expect(decodeNack(badKind)).toBeNull();
    badKind[21] = 3; // a whole-chunk entry carries no pairs
    expect(decodeNack(badKind)).toBeNull();
    const bad = Buffer.from(nack);
    bad[4] = 9; // version
    expect(decodeNack(bad)).toBeNull();
    const status = encodeStatus({
      session: 1, receiverId: 1, state: ReceiverState.Joined, reason: 0, overloaded: false, chunksDone: 0, capacity: 0, packets: 0, malformed: 0, duplicates: 0,
      imageDigest: Buffer.alloc(32), name: 'abc', nonce: Buffer.alloc(16),
    });
    expect(decodeStatus(status.subarray(0, status.length - 1))).toBeNull();
    expect(decodeAnnounce(Buffer.alloc(80))).toBeNull();
  });
});

describe('REPAIR_ADV', () => {
  it('round-trips and rejects a wrong length', () => {
    const adv = { session: 9, stream: 0, chunk: 77, stripes: [0, 3, 4, 12] };
    const b = encodeRepairAdv(adv);
    expect(decodeRepairAdv(b)).toEqual(adv);
    expect(decodeRepairAdv(b.subarray(0, b.length - 2))).toBeNull();
  });
});

describe('manifest', () => {
  const hashes = [hash(Buffer.from('a')), zeroHash(4096), hash(Buffer.from('c'))];
  const m = { imageSize: 2 * 4096 + 5, chunkSize: 4096, chunkHashes: hashes, zero: zeroBitmap([false, true, false]), imageDigest: imageDigestOf(hashes) };

  it('round-trips, with zero chunks, and checks the image digest against the chunk hashes', () => {
    const bytes = encodeManifest(m);
    expect(bytes.length).toBe(manifestSize(3));
    const back = decodeManifest(bytes);
    expect(back).toEqual(m);
    expect([0, 1, 2].map((c) => isZeroChunk(back, c))).toEqual([false, true, false]);
    const tampered = Buffer.from(bytes);
    tampered[64] ^= 1;
    expect(() => decodeManifest(tampered)).toThrow(/image digest does not match/);
    expect(() => decodeManifest(bytes.subarray(0, bytes.length - 1))).toThrow(/wrong length/);
  });

  it('rejects a chunk marked zero whose hash is not that of zeros, and stray bitmap bits', () => {
    const lying = encodeManifest({ ...m, zero: zeroBitmap([true, false, false]) });
    expect(() => decodeManifest(lying)).toThrow(/chunk 0 is marked zero/);
    const stray = encodeManifest(m);
    stray[stray.length - 1] |= 0x80;
    expect(() => decodeManifest(stray)).toThrow(/beyond the last chunk/);
  });
});
