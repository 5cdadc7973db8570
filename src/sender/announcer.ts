// The sender's ANNOUNCE: what receivers learn of the session (phase, image
// geometry, progress, rate, heartbeat and NACK back-off for the group's
// size), sent on start, on every change of phase and every
// ANNOUNCE_INTERVAL_MS. It also sets the repair planner's collection window
// to the back-off it announces.
import { errnoName } from '../errors.js';
import { encodeAnnounce } from '../protocol/packets.js';
import type { SenderSecurity } from '../security/session-keys.js';
import type { SendChunks } from './chunks.js';
import type { ReportSocket } from './control.js';
import type { Participants } from './participants.js';
import type { Pacing } from './rate.js';
import type { RepairPlanner } from './repair-planner.js';
import { wirePhase, type SenderState } from './state.js';
import { announcedImage, type StreamChunks } from './stream-pass.js';
import { heartbeatTenths, nackBackoffWindow } from './timing.js';
import type { Transmitter } from './transmitter.js';

export interface AnnouncerParts {
  session: number;
  stripeSize: number;
  chunkSize: number;
  symbolSize: number;
  salt: Buffer;
  security: SenderSecurity;
  participants: Participants;
  planner: RepairPlanner;
  chunks: SendChunks | StreamChunks;
  tx: Transmitter;
  pacing: Pacing;
  reports: ReportSocket;
}

/** Sends one ANNOUNCE for the session in `state`; returns a warning if the send failed. */
export function announce(p: AnnouncerParts, state: SenderState): string | undefined {
  const groupSize = p.participants.size;
  const nackBackoffMs = nackBackoffWindow(groupSize, p.pacing.rate, state === 'sending', p.chunkSize);
  // Gather each loss's reports over the window receivers are told to spread them over.
  p.planner.setBackoff(nackBackoffMs);
  const packet = p.security.wrapAnnounce(encodeAnnounce({
    session: p.session,
    phase: wirePhase(state),
    controlPort: p.reports.port,
    ...announcedImage(p.chunks, p.tx.firstPassManifest),
    symbolSize: p.symbolSize,
    stripeSize: p.stripeSize,
    progress: p.tx.firstPassProgress,
    rateKiB: p.pacing.control.current / 1024,
    heartbeat: heartbeatTenths(groupSize, p.pacing.rate),
    cipher: p.security.cipher,
    salt: p.salt,
    groupSize,
    nackBackoffMs,
  }));
  const err = p.tx.sendControl(packet);
  return err ? `announce failed: ${errnoName(err)}` : undefined;
}
