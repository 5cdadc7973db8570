// Fuzzed packets into a live session on loopback: joins the session's
// multicast group, learns the session id and the sender's control port from
// its ANNOUNCE, keeps a sample of the live packets it hears (ANNOUNCE, DATA,
// REPAIR_ADV), and sends mutations of them and of packets it builds with the
// session id (test/fuzz/corpus.ts) to the group (as the data path sees
// them) and to the sender's control port (as reports), at a fixed rate until
// it has sent --packets. Prints a JSON summary line and exits 0, or 1 when no
// sender appeared.
//
// --spare-semantics: leave out mutants that a parser accepts as the live
// session's: control packets some decoder takes with its session id, and
// DATA whose header is well-formed with its session id (a mutated payload
// there is a forgery only the chunk hash catches). What those do is the
// sender's and receiver's hardening and sealing (issue 16), not parser
// safety; the native driver covers the Reassembler's checks beyond the
// header. Counted as spared.
//
//   tsx bench/fuzz/inject.ts --group 239.255.77.77 --port 9753 [--packets 1000000] [--pps 30000] [--seed S] [--control 0.3] [--spare-semantics]
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';
import { DataHeader, PacketType, Phase } from '../../src/protocol/constants.js';
import { readFields } from '../../src/protocol/fields.js';
import { decodeAck, decodeAnnounce, decodeNack, decodeRepairAdv, decodeStatus, packetType } from '../../src/protocol/packets.js';
import { seedPackets } from '../../test/fuzz/corpus.js';
import { mutate } from '../../test/fuzz/mutator.js';
import { fuzzSeed, Rng } from '../../test/fuzz/rng.js';

const { values } = parseArgs({
  options: {
    group: { type: 'string', default: '239.255.77.77' },
    port: { type: 'string', default: '9753' },
    interface: { type: 'string', default: '127.0.0.1' },
    packets: { type: 'string', default: '1000000' },
    pps: { type: 'string', default: '30000' },
    control: { type: 'string', default: '0.3' },
    seed: { type: 'string' },
    'wait-timeout': { type: 'string', default: '60' },
    'spare-semantics': { type: 'boolean', default: false },
  },
});
const group = values.group!;
const port = Number(values.port);
const total = Number(values.packets);
const pps = Number(values.pps);
const controlShare = Number(values.control);
const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : fuzzSeed();
const rng = new Rng(seed);
const TICK_MS = 10;
const LIVE_SAMPLE = 512;

const live: Buffer[] = [];
let seeds: Buffer[] = [];
let session: number | undefined;
let controlPort = 0;
let senderAddress = '';
const sent = { group: 0, control: 0, spared: 0 };
const decoders = [decodeAnnounce, decodeStatus, decodeNack, decodeAck, decodeRepairAdv];

/** A packet a parser accepts as the live session's: a control packet some decoder takes, or DATA with a well-formed header. */
function acceptedAsSession(b: Buffer): boolean {
  const t = packetType(b);
  if (t === PacketType.Data) {
    const h = readFields(DataHeader, b);
    return h !== null && h.flags === 0 && h.session === session && h.coding < 2;
  }
  return t !== null && decoders.some((d) => d(b)?.session === session);
}
const heard: Record<string, number> = {};

const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
sock.on('message', (msg, rinfo) => {
  if (rinfo.port === sock.address().port) return; // our own packets, looped back
  const type = packetType(msg);
  heard[String(type)] = (heard[String(type)] ?? 0) + 1;
  if (type === PacketType.Announce) {
    const a = decodeAnnounce(msg);
    if (a && a.phase !== Phase.Ended && a.session !== session && (session === undefined || rinfo.address === senderAddress)) {
      session = a.session;
      controlPort = a.controlPort;
      senderAddress = rinfo.address;
      seeds = seedPackets(rng, session, 32);
      console.error(`injector: session ${session >>> 0} from ${senderAddress}, control port ${controlPort}, seed ${seed}`);
    }
  }
  if (type === null) return;
  // A uniform sample of what the session sends.
  if (live.length < LIVE_SAMPLE) live.push(Buffer.from(msg));
  else if (rng.chance(0.05)) live[rng.int(LIVE_SAMPLE)] = Buffer.from(msg);
});

function tick(): void {
  if (session === undefined || live.length === 0) return;
  const corpus = rng.chance(0.6) ? live : seeds;
  for (let i = 0; i < (pps * TICK_MS) / 1000 && sent.group + sent.control < total; i++) {
    const b = mutate(rng, rng.pick(corpus), corpus);
    if (values['spare-semantics'] && acceptedAsSession(b)) {
      sent.spared++;
      i--;
      continue;
    }
    if (rng.chance(controlShare)) {
      sock.send(b, controlPort, senderAddress);
      sent.control++;
    } else {
      sock.send(b, port, group);
      sent.group++;
    }
  }
}

sock.bind(port, () => {
  sock.addMembership(group, values.interface);
  sock.setMulticastInterface(values.interface!);
  sock.setMulticastLoopback(true);
  sock.setMulticastTTL(0);
  const t0 = Date.now();
  let firstSend: number | undefined;
  const timer = setInterval(() => {
    if (session === undefined && Date.now() - t0 > Number(values['wait-timeout']) * 1000) {
      console.error('injector: no sender announced a session');
      process.exit(1);
    }
    if (session !== undefined) firstSend ??= Date.now();
    tick();
    if (sent.group + sent.control >= total) {
      clearInterval(timer);
      const seconds = (Date.now() - (firstSend ?? t0)) / 1000;
      console.log(JSON.stringify({ injector: 'done', seed, session, sent, seconds, heard }));
      setTimeout(() => sock.close(), 100);
    }
  }, TICK_MS);
});
