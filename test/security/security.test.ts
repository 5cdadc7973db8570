import { mkdtempSync, chmodSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeAck, encodeAnnounce, encodeNacks, encodeStatus, decodeAck, decodeAnnounce, decodeStatus, type Announce, type Status } from '../../src/protocol/packets.js';
import { Phase, ReceiverState, FailReason } from '../../src/protocol/wire.js';
import { generateGroupKey, generateSigningKeys, loadGroupKey, loadSigningKey, loadTrustedKey } from '../../src/security/keys.js';
import { ReplayWindow } from '../../src/security/replay-window.js';
import { Opener, Sealer } from '../../src/security/seal.js';
import { ReceiverSecurity, SenderSecurity } from '../../src/security/session-keys.js';
import { native } from '../../src/native/binding.js';
import { checkCipher } from '../../src/security/options.js';

const dir = mkdtempSync(path.join(tmpdir(), 'blockcast-keys-'));
const salt = Buffer.alloc(16, 0x33);
const SESSION = 4242;
const announce = (o: Partial<Announce> = {}): Announce => ({
  session: SESSION, phase: Phase.Sending, controlPort: 4000, imageSize: 1 << 20, chunkSize: 1 << 20, symbolSize: 1444, stripeSize: 0, chunkCount: 1,
  manifestSize: 97, progress: 0, rateKiB: 0, heartbeat: 0, manifestDigest: Buffer.alloc(32, 1), groupSize: 1, nackBackoffMs: 0, cipher: checkCipher(undefined), salt, ...o,
});
const status = (nonce: Buffer): Status => ({
  session: SESSION, receiverId: 7, state: ReceiverState.Joined, reason: FailReason.None, overloaded: false, chunksDone: 0, capacity: 1 << 30,
  packets: 0, malformed: 0, duplicates: 0, imageDigest: Buffer.alloc(32), name: 'n1', nonce,
});

describe('key files', () => {
  it('keygen writes an Ed25519 pair (private 0600) and a group key, and never overwrites one', () => {
    const { privateFile, publicFile } = generateSigningKeys(path.join(dir, 'site'));
    expect(statSync(privateFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(publicFile, 'utf8')).toMatch(/BEGIN PUBLIC KEY/);
    expect(loadSigningKey(privateFile).asymmetricKeyType).toBe('ed25519');
    expect(loadTrustedKey(publicFile).asymmetricKeyType).toBe('ed25519');
    expect(() => generateSigningKeys(path.join(dir, 'site'))).toThrow(/already exists/);
    const g = path.join(dir, 'group.key');
    generateGroupKey(g);
    expect(statSync(g).mode & 0o777).toBe(0o600);
    expect(loadGroupKey(g)).toHaveLength(32);
  });

  it('refuses secrets others can read, wrong kinds of key and malformed group keys, naming the file', () => {
    const g = path.join(dir, 'open.key');
    writeFileSync(g, randomBytes(32).toString('hex'), { mode: 0o644 });
    chmodSync(g, 0o644);
    expect(() => loadGroupKey(g)).toThrow(`key file ${g}: is readable by group or others (mode 644); run chmod 600 ${g}`);
    chmodSync(g, 0o600);
    expect(loadGroupKey(g)).toHaveLength(32);
    writeFileSync(g, 'c2hvcnQ=\n');
    expect(() => loadGroupKey(g)).toThrow(/does not hold a 256-bit key/);
    expect(() => loadTrustedKey(path.join(dir, 'missing.pub'))).toThrow(/missing.pub: cannot read it \(ENOENT\)/);
    expect(() => loadTrustedKey(g)).toThrow(/is not a public key in PEM/);
  });
});

describe('the replay window', () => {
  it('accepts reordering within the window and drops replays and packets below it', () => {
    const w = new ReplayWindow(8);
    expect([5, 3, 4, 9].map((s) => w.mark(s))).toEqual([true, true, true, true]);
    expect(w.mark(4)).toBe(false); // seen
    expect(w.mark(1)).toBe(false); // at or below the floor (9 - 8)
    expect(w.mark(2)).toBe(true);
    expect(w.mark(100)).toBe(true); // a jump forgets the old window
    expect([93, 92, 100].map((s) => w.mark(s))).toEqual([true, false, false]);
    expect(w.fresh(-1) || w.fresh(2 ** 60)).toBe(false);
  });
});

describe('sealed control packets', () => {
  for (const cipher of native.seal.ciphers()) {
    it(`cipher ${cipher}: open what was sealed; any changed byte, a replay or another key is refused`, () => {
      const key = randomBytes(32);
      const sealer = new Sealer(cipher, key, 1);
      const opener = new Opener(cipher, key, 1);
      const body = encodeAck({ session: 1, receiverId: 2, state: ReceiverState.Done, nonce: Buffer.alloc(16, 5) });
      const p = sealer.seal(body);
      expect(decodeAck(p)).toEqual(decodeAck(body)); // decoders skip the trailer by the header's flag
      for (let i = 0; i < p.length; i++) {
        const bad = Buffer.from(p);
        bad[i]! ^= 0x40;
        expect(new Opener(cipher, key, 1).open(bad), `byte ${i}`).not.toBe('ok');
      }
      expect(new Opener(cipher, randomBytes(32), 1).open(p)).toBe('forged');
      expect(new Opener(cipher, key, 0).open(p)).toBe('forged'); // another origin's nonce
      expect(opener.open(body)).toBe('unsealed');
      expect(opener.open(p)).toBe('ok');
      expect(opener.open(p)).toBe('replayed');
    });
  }
});

describe('a session with keys', () => {
  const { privateFile, publicFile } = generateSigningKeys(path.join(dir, 'sess'));
  const signKey = loadSigningKey(privateFile);
  const trusted = [loadTrustedKey(publicFile)];
  const other = generateSigningKeys(path.join(dir, 'other'));
  const groupKey = randomBytes(32);

  it('signed + sealed: the receiver opens the ANNOUNCE and a signed ACK echoing its nonce, the sender the receiver reports', () => {
    const sender = new SenderSecurity({ signKey, groupKey }, SESSION, salt);
    const nonce = randomBytes(16);
    const receiver = new ReceiverSecurity({ trusted, groupKey }, nonce);
    const a = sender.wrapAnnounce(encodeAnnounce(announce()));
    expect(receiver.openAnnounce(a, SESSION)).toBe('ok');
    expect(decodeAnnounce(a)).toEqual({ ...announce(), streamFlags: 0, segmentChunks: 0, segments: 0 });
    const report = receiver.wrapReport(encodeStatus(status(nonce)), SESSION, salt);
    expect(sender.openReport(report, () => undefined)).toBe('ok');
    expect(decodeStatus(report)?.nonce).toEqual(nonce);
    expect(sender.openReport(report, () => undefined)).toBe('replayed');
    const nack = receiver.wrapReport(encodeNacks(SESSION, 7, [{ stream: 0, chunk: 0, kind: 3, pairs: [] }], receiver.overhead)[0]!, SESSION, salt);
    expect(sender.openReport(nack, (id) => (id === 7 ? nonce : undefined))).toBe('ok');
    const ack = sender.wrapAck(encodeAck({ session: SESSION, receiverId: 7, state: ReceiverState.Joined, nonce }));
    expect(receiver.openSenderControl(ack, SESSION, salt, sender.cipher)).toBe('ok');
    expect(decodeAck(ack)?.nonce).toEqual(nonce);
  });

  it('refuses an untrusted signer, a stranger without the group key, and a sealed session without one', () => {
    const nonce = randomBytes(16);
    const mallory = new SenderSecurity({ signKey: loadSigningKey(other.privateFile), groupKey }, SESSION, salt);
    expect(new ReceiverSecurity({ trusted, groupKey }, nonce).openAnnounce(mallory.wrapAnnounce(encodeAnnounce(announce())), SESSION)).toBe('unsigned');
    const stranger = new SenderSecurity({ signKey, groupKey: randomBytes(32) }, SESSION, salt);
    expect(new ReceiverSecurity({ trusted, groupKey }, nonce).openAnnounce(stranger.wrapAnnounce(encodeAnnounce(announce())), SESSION)).toBe('forged');
    const open = new SenderSecurity({ signKey }, SESSION, salt).wrapAnnounce(encodeAnnounce(announce({ cipher: 0 })));
    expect(new ReceiverSecurity({ trusted, groupKey }, nonce).openAnnounce(open, SESSION)).toBe('unsealed');
    expect(new ReceiverSecurity({}, nonce).openAnnounce(new SenderSecurity({ groupKey }, SESSION, salt).wrapAnnounce(encodeAnnounce(announce())), SESSION)).toBe('unsealed');
    // A forged report: no key, or a receiver of another group.
    const sender = new SenderSecurity({ groupKey }, SESSION, salt);
    expect(sender.openReport(encodeStatus(status(nonce)), () => undefined)).toBe('unsealed');
  });

  it('signed only: an ACK signed for another run (salt) or unsigned is refused; a tampered signature too', () => {
    const nonce = randomBytes(16);
    const receiver = new ReceiverSecurity({ trusted }, nonce);
    const body = encodeAck({ session: SESSION, receiverId: 7, state: ReceiverState.Joined, nonce });
    const earlierRun = new SenderSecurity({ signKey }, SESSION, Buffer.alloc(16, 0x44)).wrapAck(body);
    expect(receiver.openSenderControl(earlierRun, SESSION, salt, 0)).toBe('unsigned');
    expect(receiver.openSenderControl(body, SESSION, salt, 0)).toBe('unsigned');
    const good = new SenderSecurity({ signKey }, SESSION, salt).wrapAck(body);
    expect(receiver.openSenderControl(good, SESSION, salt, 0)).toBe('ok');
    const tampered = Buffer.from(good);
    tampered[tampered.length - 1]! ^= 1;
    expect(receiver.openSenderControl(tampered, SESSION, salt, 0)).toBe('unsigned');
    expect(receiver.trustsAnyone).toBe(false);
    expect(new ReceiverSecurity({}, nonce).trustsAnyone).toBe(true);
  });
});
