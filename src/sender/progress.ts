// Where a send stands, as one snapshot for progress displays and --json
// progress events (src/cli/progress.ts). Cheap to build: read a few times a
// second, never per packet.
import { IP_UDP_OVERHEAD } from '../protocol/constants.js';
import type { Participant, ParticipantState } from './participants.js';
import type { SenderState } from './state.js';

/** One receiver as its latest STATUS reported it (STATUS carries chunks written, not bytes). */
export interface ReceiverProgress {
  name: string;
  address: string;
  state: ParticipantState;
  /** Image chunks written and verified at the receiver, as last reported in STATUS. */
  chunksDone: number;
  /** DATA packets it has received, as last reported in STATUS. */
  packets: number;
  /** Source symbols it asked to have repaired, and in how many NACKs. */
  symbolsRequested: number;
  nackPackets: number;
  /** Whether it keeps up with the group or is served on the catch-up path. */
  pace: 'main' | 'catch-up';
}

export interface SendProgress {
  phase: SenderState;
  imageSize: number;
  chunkSize: number;
  chunkCount: number;
  /** Image chunks the first pass has put on the wire (zero chunks, never sent, count as passed). */
  chunksSent: number;
  /** Image bytes the first pass has covered: chunksSent chunks, at most the image's size. */
  bytesSent: number;
  /** DATA bytes (UDP payloads) on the wire since the transfer started. */
  wireBytes: number;
  /** Of them, repair symbols' bytes (estimated at one full datagram each). */
  repairBytes: number;
  receivers: ReceiverProgress[];
}

export interface SendProgressInputs {
  phase: SenderState;
  image: { size: number; chunkCount: number };
  chunkSize: number;
  mtu: number;
  chunksSent: number;
  wireBytes: number;
  repairSymbols: number;
  receivers: Participant[];
}

export function sendProgress(i: SendProgressInputs): SendProgress {
  return {
    phase: i.phase,
    imageSize: i.image.size,
    chunkSize: i.chunkSize,
    chunkCount: i.image.chunkCount,
    chunksSent: i.chunksSent,
    bytesSent: Math.min(i.chunksSent * i.chunkSize, i.image.size),
    wireBytes: i.wireBytes,
    repairBytes: i.repairSymbols * (i.mtu - IP_UDP_OVERHEAD),
    receivers: i.receivers.map((p) => ({
      name: p.name,
      address: p.address,
      state: p.state,
      chunksDone: p.chunksDone,
      packets: p.packets,
      symbolsRequested: p.symbolsRequested,
      nackPackets: p.nackPackets,
      pace: p.pace,
    })),
  };
}
