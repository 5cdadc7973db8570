// Native DATA sealing against a second implementation: Node's crypto for
// AES-256-GCM and ChaCha20-Poly1305; for AEGIS (Node has none) the addon's
// seal functions that TypeScript's control packets use, whose output
// test/native/seal_test.cc checks against a published test vector. A DATA
// packet the native sender seals opens with the reference, one the reference
// seals is read by the native receiver, for each cipher this build has, encrypted and
// authenticated only (docs/SECURITY.md: trailer seq u64 LE ‖ tag, nonce
// origin u32 LE ‖ seq u64 LE, additional data the header, or header and
// payload). Then a sealed transfer between the two native engines, and
// forged, replayed and unreadable packets counted.
import { createCipheriv, createDecipheriv, createHash, randomBytes, type CipherGCMTypes } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { native, type NativeReceiver, type NativeSender, type NativeSenderOptions } from '../../src/native/binding.js';
import { encodeData } from '../../src/protocol/packets.js';
import { Cipher, DATA_HEADER_SIZE, HeaderFlag, SEAL_SEQ_SIZE, SEAL_TRAILER_SIZE, Stream } from '../../src/protocol/wire.js';
import { repairSymbolId } from '../../src/protocol/symbols.js';
import { uniqueChannel } from '../helpers/cli.js';

const ALGORITHM: Record<number, CipherGCMTypes | 'chacha20-poly1305'> = { [Cipher.Aes256Gcm]: 'aes-256-gcm', [Cipher.ChaCha20Poly1305]: 'chacha20-poly1305' };
const FLAGS_OFFSET = 6;
const SESSION = 0x5ea1;
const SYMBOL = 1444;
const NAME: Record<number, string> = { ...ALGORITHM, [Cipher.Aegis256]: 'aegis-256' };
const ciphers = native.seal.ciphers();
const modes = ciphers.flatMap((cipher) => [true, false].map((encrypt) => ({ cipher, encrypt, label: `${NAME[cipher]}, ${encrypt ? 'encrypted' : 'authenticated only'}` })));

function nonce(seq: bigint): Buffer {
  const n = Buffer.alloc(12);
  n.writeUInt32LE(0, 0); // origin 0: the sender's DATA
  n.writeBigUInt64LE(seq, 4);
  return n;
}

/** A DATA packet sealed by the reference: header (flags set here), payload or ciphertext, seq, tag. */
function nodeSeal(cipher: number, key: Buffer, plain: Buffer, seq: bigint, encrypt: boolean): Buffer {
  const header = Buffer.from(plain.subarray(0, DATA_HEADER_SIZE));
  header.writeUInt16LE(HeaderFlag.Sealed | (encrypt ? HeaderFlag.Encrypted : 0), FLAGS_OFFSET);
  const payload = plain.subarray(DATA_HEADER_SIZE);
  if (!ALGORITHM[cipher]) {
    const out = Buffer.concat([header, payload, Buffer.alloc(SEAL_TRAILER_SIZE)]);
    native.seal.seal(cipher, key, 0, Number(seq), out, encrypt ? DATA_HEADER_SIZE : DATA_HEADER_SIZE + payload.length);
    return out;
  }
  const c = createCipheriv(ALGORITHM[cipher] as 'chacha20-poly1305', key, nonce(seq), { authTagLength: 16 });
  let body: Buffer;
  if (encrypt) {
    c.setAAD(header, { plaintextLength: payload.length });
    body = Buffer.concat([c.update(payload), c.final()]);
  } else {
    c.setAAD(Buffer.concat([header, payload]), { plaintextLength: 0 });
    c.final();
    body = payload;
  }
  const seqBytes = Buffer.alloc(SEAL_SEQ_SIZE);
  seqBytes.writeBigUInt64LE(seq);
  return Buffer.concat([header, body, seqBytes, c.getAuthTag()]);
}

/** Opens a sealed DATA packet with the reference: its seq and plaintext payload, or null if the tag fails. */
function nodeOpen(cipher: number, key: Buffer, packet: Buffer): { seq: bigint; payload: Buffer } | null {
  const encrypt = (packet.readUInt16LE(FLAGS_OFFSET) & HeaderFlag.Encrypted) !== 0;
  const end = packet.length - SEAL_TRAILER_SIZE;
  if (!ALGORITHM[cipher]) {
    const copy = Buffer.from(packet);
    const seq = native.seal.open(cipher, key, 0, copy, encrypt ? DATA_HEADER_SIZE : end);
    return seq < 0 ? null : { seq: BigInt(seq), payload: copy.subarray(DATA_HEADER_SIZE, end) };
  }
  const seq = packet.readBigUInt64LE(end);
  const d = createDecipheriv(ALGORITHM[cipher] as 'chacha20-poly1305', key, nonce(seq), { authTagLength: 16 });
  d.setAuthTag(packet.subarray(end + SEAL_SEQ_SIZE));
  const aadEnd = encrypt ? DATA_HEADER_SIZE : end;
  d.setAAD(packet.subarray(0, aadEnd), { plaintextLength: end - aadEnd });
  try {
    const payload = Buffer.concat([d.update(packet.subarray(aadEnd, end)), d.final()]);
    return { seq, payload: encrypt ? payload : packet.subarray(DATA_HEADER_SIZE, end) };
  } catch {
    return null;
  }
}

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
}

const closers: (() => void)[] = [];
afterEach(() => {
  while (closers.length) closers.pop()!();
});

function sender(group: string, port: string, extra: Partial<NativeSenderOptions>, stripeSize = 0): NativeSender {
  const tx = new native.Sender(
    { group, port: Number(port), interfaceAddress: '127.0.0.1', ttl: 0, loopback: true, socketBuffer: 0, session: SESSION, symbolSize: SYMBOL, stripeSize, gso: true, rateBytesPerSecond: 0, ...extra },
    () => {},
  );
  closers.push(() => tx.close());
  return tx;
}

function receiver(group: string, port: string, chunkLength: number, chunkCount: number, onChunk: (slot: number, length: number) => void): NativeReceiver {
  const rx = new native.Receiver(
    { group, port: Number(port), interfaceAddress: '127.0.0.1', socketBuffer: 8 << 20, flushMs: 1, gro: true, dropBurstStart: 0, dropBurstCount: 0 },
    (batch) => batch.chunks.forEach((c) => onChunk(c.slot, c.length)),
  );
  closers.push(() => rx.close());
  rx.configure({ session: SESSION, symbolSize: SYMBOL, stripeSize: 0, streams: [{ chunkCount, maxLength: chunkLength }, { chunkCount: 1, maxLength: chunkLength }] });
  return rx;
}

async function listener(group: string, port: string): Promise<Buffer[]> {
  const got: Buffer[] = [];
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  s.on('message', (m) => got.push(m));
  await new Promise<void>((r) => s.bind(Number(port), r));
  s.addMembership(group, '127.0.0.1');
  closers.push(() => s.close());
  return got;
}

async function multicastSocket(): Promise<(b: Buffer, group: string, port: string) => Promise<void>> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  s.setMulticastInterface('127.0.0.1');
  closers.push(() => s.close());
  return (b, group, port) => new Promise((r) => s.send(b, Number(port), group, () => r()));
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('native sealing', () => {
  it('lists the ciphers this build supports and refuses bad seal options', () => {
    expect(ciphers.every((c) => NAME[c] !== undefined)).toBe(true);
    if (process.env.CI_EXPECT_SODIUM === '1') expect(ciphers).toContain(Cipher.ChaCha20Poly1305);
    // With libaegis's hardware code (x86-64: AES-NI and AVX; arm64: the AES extension) AEGIS comes
    // first, the default; without it AEGIS is not offered at all (its portable code leaks timing).
    const cpu = readFileSync('/proc/cpuinfo', 'utf8');
    const hardware = process.arch === 'x64' ? /^flags\s*:(?=.*\baes\b)(?=.*\bavx\b)/m.test(cpu) : /^Features\s*:.*\baes\b/m.test(cpu);
    if (hardware) expect(ciphers).toContain(Cipher.Aegis256);
    else expect(ciphers).not.toContain(Cipher.Aegis256);
    const { group, port } = uniqueChannel();
    expect(() => sender(group, port, { sealCipher: 9, sealKey: Buffer.alloc(32) })).toThrow(/unknown seal cipher/);
    expect(() => sender(group, port, { sealCipher: Cipher.ChaCha20Poly1305, sealKey: Buffer.alloc(31) })).toThrow(/sealKey must be a Buffer of 32 bytes/);
    const rx = receiver(group, port, 4096, 1, () => {});
    expect(() => rx.setSealKey(Cipher.ChaCha20Poly1305, Buffer.alloc(16))).toThrow(/32 bytes|libsodium/);
    expect(() => rx.setSealKey(7, Buffer.alloc(32))).toThrow(/unknown seal cipher|libsodium/);
  });

  it.each(modes)('native DATA opens with Node crypto ($label)', async (mode) => {
    const { group, port } = uniqueChannel();
    const key = randomBytes(32);
    const got = await listener(group, port);
    const tx = sender(group, port, { sealCipher: mode.cipher, sealKey: key, sealEncrypt: mode.encrypt }, 4);
    const chunk = randomBytes(5 * SYMBOL + 100); // six sources, the last short
    tx.send({ id: 1, stream: Stream.Image, coding: 0, chunk: 3, data: chunk, symbols: Uint32Array.of(0, 1, 2, 3, 4, 5), parity: Uint32Array.of(repairSymbolId(0, 0)), urgent: false });
    await until(() => got.length >= 7);
    expect(got.length, mode.label).toBe(7);
    const seqs: bigint[] = [];
    const sources: Buffer[] = [];
    for (const p of got) {
      expect(p.readUInt16LE(FLAGS_OFFSET)).toBe(HeaderFlag.Sealed | (mode.encrypt ? HeaderFlag.Encrypted : 0));
      const opened = nodeOpen(mode.cipher, key, p);
      expect(opened, mode.label).not.toBeNull();
      seqs.push(opened!.seq);
      const symbol = p.readUInt32LE(20);
      if (symbol < 6) sources[symbol] = opened!.payload;
      const tampered = Buffer.from(p);
      tampered[DATA_HEADER_SIZE + 3]! ^= 0x10;
      expect(nodeOpen(mode.cipher, key, tampered)).toBeNull();
    }
    expect(seqs.sort((a, b) => Number(a - b))).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n]);
    expect(sha(Buffer.concat(sources))).toBe(sha(chunk));
  });

  it.each(modes)('Node-sealed DATA is read by the native receiver; forged and replayed counted ($label)', async (mode) => {
    const { group, port } = uniqueChannel();
    const key = randomBytes(32);
    const chunk = randomBytes(3 * SYMBOL);
    const slot = Buffer.alloc(chunk.length);
    let completed = 0;
    const rx = receiver(group, port, chunk.length, 1, () => completed++);
    rx.provide(slot, 0);
    const send = await multicastSocket();
    const plain = [0, 1, 2].map((s) => encodeData(SESSION, Stream.Image, 0, s, chunk.subarray(s * SYMBOL, (s + 1) * SYMBOL), chunk.length));
    const sealed = plain.map((p, s) => nodeSeal(mode.cipher, key, p, BigInt(100 + s), mode.encrypt));

    await send(sealed[0]!, group, port); // no key yet: cannot be read
    await until(() => rx.stats().noKey === 1);
    rx.setSealKey(mode.cipher, key);
    await send(plain[0]!, group, port); // unsealed in a sealed session
    await send(nodeSeal(mode.cipher, randomBytes(32), plain[0]!, 1n, mode.encrypt), group, port); // another key
    const tampered = Buffer.from(sealed[1]!);
    tampered[tampered.length - 1]! ^= 1;
    await send(tampered, group, port);
    await until(() => rx.stats().forged === 3);
    for (const p of sealed) await send(p, group, port);
    await until(() => completed === 1);
    await send(sealed[2]!, group, port); // replayed
    await until(() => rx.stats().replayed === 1);
    const s = rx.stats();
    expect({ noKey: s.noKey, forged: s.forged, replayed: s.replayed, malformed: s.malformed, completed }).toEqual({ noKey: 1, forged: 3, replayed: 1, malformed: 0, completed: 1 });
    expect(sha(slot)).toBe(sha(chunk));
  });

  it.each(ciphers.map((cipher) => ({ cipher, label: NAME[cipher] })))('a sealed transfer between the native engines arrives whole ($label)', async ({ cipher }) => {
    const { group, port } = uniqueChannel();
    const key = randomBytes(32);
    const chunks = [randomBytes(256 * 1024 + 77), randomBytes(200 * 1024)];
    const slots = chunks.map(() => Buffer.alloc(256 * 1024 + 77));
    const done = new Map<number, number>();
    const rx = receiver(group, port, slots[0]!.length, 2, (slot, length) => done.set(slot, length));
    slots.forEach((b, i) => rx.provide(b, i));
    rx.setSealKey(cipher, key);
    const tx = sender(group, port, { sealCipher: cipher, sealKey: key, rateBytesPerSecond: 50e6 });
    chunks.forEach((data, i) => tx.send({ id: i, stream: Stream.Image, coding: 0, chunk: i, data, urgent: false }));
    await until(() => done.size === 2);
    const received = [...done].map(([slot, length]) => sha(slots[slot]!.subarray(0, length))).sort();
    expect(received).toEqual(chunks.map(sha).sort());
    const s = rx.stats();
    expect({ forged: s.forged, replayed: s.replayed, malformed: s.malformed, noKey: s.noKey }).toEqual({ forged: 0, replayed: 0, malformed: 0, noKey: 0 });
    const t = tx.stats(); // GSO segments carry their trailers (unless this kernel refuses GSO)
    expect(t.gsoBatches > 0 || t.gsoDisabledErrno !== 0).toBe(true);
  });
});
