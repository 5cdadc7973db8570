// What the TypeScript fuzzer feeds each packet to, and what it asserts: every
// decoder returns a value or null and never throws; what a decoder accepts
// re-encodes and decodes to the same value (nothing out of range got
// through); the sender's report dispatch (ReportSocket) drives Participants
// and the RepairPlanner as the session does; the receiver's control path
// (ANNOUNCE geometry check, REPAIR_ADV into the NACK policy) takes what the
// native receiver would hand it. A thrown error is a finding.
import { SenderSecurity } from '../../src/security/session-keys.js';
import { lz4Expand } from '../../src/image/lz4.js';
import { zstdExpand } from '../../src/image/zstd.js';
import { decodeManifest } from '../../src/protocol/manifest.js';
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
  packetType,
} from '../../src/protocol/packets.js';
import { PacketType, Stream } from '../../src/protocol/constants.js';
import { checkGeometry } from '../../src/receiver/join.js';
import { NackPolicy } from '../../src/receiver/nack-policy.js';
import { ReportSocket, type ReportHandlers } from '../../src/sender/control.js';
import { Participants } from '../../src/sender/participants.js';
import { RepairPlanner } from '../../src/sender/repair-planner.js';

export const FUZZ_SESSION = 0x5eed0001;

/** A decoder accepted something that does not survive re-encoding: the packet and what differed. */
export class RoundTripError extends Error {}

function sameAfterReencode<T>(decoded: T | null, encode: (x: T) => Buffer, decode: (b: Buffer) => T | null, what: string): void {
  if (decoded === null) return;
  const again = decode(encode(decoded));
  if (JSON.stringify(again) !== JSON.stringify(decoded)) throw new RoundTripError(`${what} does not survive re-encoding`);
}

/** Every TypeScript packet decoder on one datagram. */
export function decodeAll(b: Buffer): void {
  packetType(b);
  decodeStatus(b);
  sameAfterReencode(decodeAnnounce(b), encodeAnnounce, decodeAnnounce, 'ANNOUNCE');
  sameAfterReencode(decodeAck(b), encodeAck, decodeAck, 'ACK');
  sameAfterReencode(decodeRepairAdv(b), (a) => encodeRepairAdv(a), decodeRepairAdv, 'REPAIR_ADV');
  const n = decodeNack(b);
  if (n) {
    // encodeNacks repacks entries, so compare the entries, not the bytes.
    const again = encodeNacks(n.session, n.receiverId, n.entries).map(decodeNack);
    const entries = again.flatMap((x) => x?.entries ?? []).filter((e) => e.pairs.length > 0 || e.kind === 3);
    const want = n.entries.filter((e) => e.pairs.length > 0 || e.kind === 3);
    if (JSON.stringify(entries) !== JSON.stringify(want)) throw new RoundTripError('NACK does not survive re-encoding');
  }
}

/** decodeManifest either returns or throws its own 'manifest: ...' error. */
export function parseManifest(b: Buffer): boolean {
  try {
    decodeManifest(b);
    return true;
  } catch (err) {
    if (err instanceof Error && err.constructor === Error && err.message.startsWith('manifest: ')) return false;
    throw err;
  }
}

/** lz4Expand returns the raw bytes or a reason, never throws. */
export function expandLz4(wire: Buffer, rawLength: number): void {
  const r = lz4Expand(wire, rawLength, Buffer.allocUnsafe(Math.max(rawLength, 1)));
  if (typeof r !== 'string' && r.length !== rawLength) throw new Error(`lz4Expand returned ${r.length} bytes for ${rawLength}`);
}

/** zstdExpand returns exactly the raw bytes or a reason, never throws. */
export function expandZstd(wire: Buffer, rawLength: number): void {
  const r = zstdExpand(wire, rawLength, Buffer.allocUnsafe(Math.max(rawLength, 1)));
  if (typeof r !== 'string' && r.length !== rawLength) throw new Error(`zstdExpand returned ${r.length} bytes for ${rawLength}`);
}

const wireLength = (stream: number): number => (stream === Stream.Image ? 1 << 20 : 4096);

/** The sender's report path without a socket: ReportSocket's dispatch into Participants and the RepairPlanner. */
export class SenderControlRig {
  readonly participants = new Participants();
  readonly planner = new RepairPlanner(
    { stripeSize: 32, symbolSize: 1448, fecRatio: 0.05, imageChunks: 5000 },
    { streamChunks: (s) => (s === Stream.Image ? 5000 : s === Stream.Manifest ? 3 : 0), chunkLength: (s, c) => (c % 7 === 0 ? 0 : wireLength(s)) },
  );
  readonly counts = { status: 0, nack: 0, malformed: 0, adverts: 0 };
  private now = 0;
  private readonly digest = Buffer.alloc(32, 7);
  private readonly handlers: ReportHandlers = {
    received: () => undefined,
    status: (s, _bytes, address, port) => {
      this.counts.status++;
      this.participants.intake(s, address, port, this.now, this.digest);
    },
    nack: (n) => {
      this.counts.nack++;
      this.participants.heardNack(n.receiverId, this.now);
      this.counts.adverts += this.planner.onNack(n.entries, this.now).adverts.length;
    },
    malformed: () => void this.counts.malformed++,
    rejected: () => void this.counts.malformed++,
    nonceOf: (id) => this.participants.get(id)?.nonce,
    error: (err) => {
      throw err;
    },
    warning: () => undefined,
  };
  // dispatch is private (it is the socket's 'message' listener) and reads only the session.
  private readonly dispatch = (ReportSocket.prototype as unknown as { dispatch: (this: { session: number; security: SenderSecurity }, m: Buffer, a: string, p: number, h: ReportHandlers) => void }).dispatch;
  private readonly security = new SenderSecurity({}, FUZZ_SESSION, Buffer.alloc(16));

  feed(b: Buffer): void {
    this.now += 1;
    this.dispatch.call({ session: FUZZ_SESSION, security: this.security }, b, '127.0.0.1', 40000, this.handlers);
    // Repairs fall due as the clock moves: take them as the pump would.
    for (let r = this.planner.take(this.now); r; r = this.planner.take(this.now)) this.planner.round(r, wireLength(r.stream), this.now, 1e8);
  }
}

/** The receiver's control path without a socket: what ReceiverSession.onBatch does with each control packet. */
export class ReceiverControlRig {
  readonly nacks = new NackPolicy();
  readonly counts = { announces: 0, acceptable: 0, adverts: 0 };
  private now = 0;

  feed(b: Buffer): void {
    this.now += 1;
    const type = packetType(b);
    if (type === PacketType.RepairAdv) {
      const adv = decodeRepairAdv(b);
      if (adv && adv.session === FUZZ_SESSION) {
        this.counts.adverts++;
        this.nacks.advertise(adv.stream, adv.chunk, adv.stripes, this.now);
      }
    } else if (type === PacketType.Announce) {
      const a = decodeAnnounce(b);
      if (!a) return;
      this.counts.announces++;
      if (checkGeometry(a) === undefined) this.counts.acceptable++;
    }
  }
}
