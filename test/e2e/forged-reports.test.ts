// A real sender on loopback against hand-made reports (issue 16): forged
// NACKs and STATUS from strangers cause no repair, no slow-down and no DONE;
// a member that joins properly and then NACKs every chunk whole, again and
// again, costs at most its repair credit and is then failed.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { FailReason, PacketType, Phase, ReceiverState, Stream, type ReceiverStateValue } from '../../src/protocol/constants.js';
import { NackKind, decodeAck, decodeAnnounce, encodeNacks, encodeStatus, packetType, type Announce } from '../../src/protocol/packets.js';
import { REPAIR_CREDIT_FACTOR } from '../../src/sender/repair-budget.js';
import { SenderSession } from '../../src/sender/session.js';
import { uniqueChannel } from '../helpers/cli.js';
import { randomImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();
const sockets: dgram.Socket[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(() => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const s of sockets.splice(0)) s.close();
});

async function udp(): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  sockets.push(s);
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

/** Listens to the session's ANNOUNCEs on the group: the latest one. */
async function listen(group: string, port: number): Promise<{ latest: () => Announce | undefined }> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  sockets.push(s);
  await new Promise<void>((resolve) => s.bind(port, resolve));
  s.addMembership(group, '127.0.0.1');
  let latest: Announce | undefined;
  s.on('message', (m) => {
    if (packetType(m) === PacketType.Announce) latest = decodeAnnounce(m) ?? latest;
  });
  return { latest: () => latest };
}

/** A hand-driven receiver: one socket, one id, one join nonce. */
class FakeReceiver {
  readonly id = randomBytes(4).readUInt32LE() || 1;
  readonly nonce = randomBytes(16);
  acks = 0;
  nackBytes = 0;
  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (m) => {
      if (decodeAck(m)?.nonce.equals(this.nonce)) this.acks++;
    });
  }
  static async open(): Promise<FakeReceiver> {
    return new FakeReceiver(await udp());
  }
  status(a: Announce, state: ReceiverStateValue, o: { overloaded?: boolean; digest?: Buffer; id?: number; nonce?: Buffer } = {}): void {
    const packet = encodeStatus({
      session: a.session, receiverId: o.id ?? this.id, state, reason: FailReason.None, overloaded: o.overloaded ?? false,
      chunksDone: 0, capacity: a.imageSize, packets: 0, malformed: 0, duplicates: 0,
      imageDigest: o.digest ?? Buffer.alloc(32), name: 'fake', nonce: o.nonce ?? this.nonce,
    });
    this.socket.send(packet, a.controlPort, '127.0.0.1');
  }
  /** NACKs every image chunk as a whole chunk (the costliest report there is). */
  nackAll(a: Announce, id = this.id): void {
    const entries = Array.from({ length: a.chunkCount }, (_, chunk) => ({ stream: Stream.Image, chunk, kind: NackKind.WholeChunk, pairs: [] }));
    for (const p of encodeNacks(a.session, id, entries)) {
      this.nackBytes += p.length + 28;
      this.socket.send(p, a.controlPort, '127.0.0.1');
    }
  }
}

const until = async (ok: () => boolean): Promise<void> => {
  while (!ok()) await new Promise((r) => setTimeout(r, 10));
};

async function start(size: number) {
  const { group, port } = uniqueChannel();
  const image = randomImage(tmp.dir, size, `forged-${port}.img`);
  const sender = new SenderSession({ image, interface: '127.0.0.1', group, port: Number(port), rate: '400m', receiverTimeout: 30 });
  const announces = await listen(group, Number(port));
  let digest = Buffer.alloc(32);
  sender.on('prepared', (p: { imageDigest: string }) => (digest = Buffer.from(p.imageDigest, 'hex')));
  const summary = sender.run();
  await until(() => announces.latest() !== undefined);
  return { sender, summary, announce: () => announces.latest()!, digest: () => digest };
}

describe('forged reports against a real sender', () => {
  it('strangers: forged NACKs cause zero repair bytes, forged overload and DONE change nothing', async () => {
    const s = await start(4 * 1024 * 1024);
    const member = await FakeReceiver.open();
    const stranger = await FakeReceiver.open();
    member.status(s.announce(), ReceiverState.Joined);
    await until(() => member.acks > 0);
    let firstPass = false;
    s.sender.on('first-pass', () => (firstPass = true));
    timers.push(setInterval(() => member.status(s.announce(), ReceiverState.Receiving), 200));
    // Through the first pass and into the repair phase: NACKs for unknown ids and
    // for the member's id from the stranger's port; overload and DONE in the member's name.
    timers.push(
      setInterval(() => {
        const a = s.announce();
        stranger.nackAll(a, randomBytes(4).readUInt32LE() | 1);
        stranger.nackAll(a, member.id);
        stranger.status(a, ReceiverState.Receiving, { id: member.id, overloaded: true });
        stranger.status(a, ReceiverState.Done, { id: member.id, nonce: member.nonce, digest: s.digest() });
      }, 20),
    );
    await until(() => firstPass && s.announce().phase === Phase.Repairing);
    await new Promise((r) => setTimeout(r, 500));
    for (const t of timers.splice(0)) clearInterval(t);
    member.status(s.announce(), ReceiverState.Done, { digest: s.digest() });
    const summary = await s.summary;
    expect(summary.ok).toBe(true);
    expect(summary.repairSymbols).toBe(0);
    expect(summary.repairJobs).toBe(0);
    expect(summary.rateDecreases).toBe(0);
    expect(summary.dropped.nonMember).toBeGreaterThan(0);
    expect(summary.dropped.forged).toBeGreaterThan(0);
    expect(summary.receivers.map((r) => [r.id, r.state])).toEqual([[member.id, 'done']]);
    console.log(`non-member NACKs: ${stranger.nackBytes} B sent, repair symbols ${summary.repairSymbols}, dropped ${JSON.stringify(summary.dropped)}`);
  });

  it('a member NACKing every chunk whole, repeatedly: repair stays within its credit, then it is failed', async () => {
    const s = await start(8 * 1024 * 1024);
    const member = await FakeReceiver.open();
    member.status(s.announce(), ReceiverState.Joined);
    await until(() => member.acks > 0);
    member.status(s.announce(), ReceiverState.Joined); // joined at its end: the first pass may start
    let failed: string | undefined;
    s.sender.on('receiver-failed', (p: { message?: string }) => (failed = p.message));
    await until(() => s.announce().phase === Phase.Repairing);
    // Every 100 ms: within its rate limit, past the sender's collection window.
    timers.push(setInterval(() => member.nackAll(s.announce()), 100));
    const summary = await s.summary;
    const repairBytes = summary.repairSymbols * s.sender.symbolSize;
    const firstPass = summary.imageWireBytes;
    expect(failed).toMatch(/more repair than its budget/);
    expect(summary.receivers[0]!.state).toBe('failed');
    expect(summary.dropped.overBudget).toBeGreaterThan(0);
    expect(summary.dropped.rateLimited).toBe(0);
    // The credit is in symbol bytes of the first pass (manifest included); allow the sender's loss margin.
    expect(summary.receivers[0]!.repairCharged).toBeLessThanOrEqual(REPAIR_CREDIT_FACTOR * (firstPass + 64 * 1024));
    expect(repairBytes).toBeLessThanOrEqual(1.5 * REPAIR_CREDIT_FACTOR * firstPass);
    console.log(
      `member amplification: image wire ${firstPass} B, NACKs ${member.nackBytes} B in ${summary.receivers[0]!.nackPackets} packets, ` +
        `repair sent ${repairBytes} B (${(repairBytes / firstPass).toFixed(2)}x the image, ${(repairBytes / member.nackBytes).toFixed(0)}:1 per NACK byte), charged ${summary.receivers[0]!.repairCharged} B, entries refused ${summary.dropped.overBudget}`,
    );
  });
});
