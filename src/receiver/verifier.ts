// The one place where a receiver decides whether an ANNOUNCE or an ACK is
// the sender's own: without keys, anything well-formed is (open mode). With
// --trust or a group key, src/security supplies a verifier that checks the
// tag and the Ed25519 signature (docs/SECURITY.md) before either is used.
import type { Ack, Announce } from '../protocol/packets.js';
import type { PinnedSender } from './pinning.js';

export interface SenderVerifier {
  /** Every DATA byte is authenticated (a group key): then any 5 failures of one chunk are fatal (writer.ts). */
  readonly sealed?: boolean;
  /** An ANNOUNCE as it arrived (`packet`) and decoded, from `address`: false drops it, counted as forged. */
  acceptAnnounce(packet: Buffer, announce: Announce, address: string): boolean;
  /**
   * An ACK echoing this receiver's nonce, from the control socket of
   * `sender` (a candidate, or the joined sender): false drops it, counted as
   * forged. A candidate is joined only on an ACK this accepts.
   */
  acceptAck(packet: Buffer, ack: Ack, sender: PinnedSender): boolean;
}

/** Open mode: every well-formed ANNOUNCE and ACK is accepted (freshness still comes from the nonce). */
export const acceptAnySender: SenderVerifier = {
  acceptAnnounce: () => true,
  acceptAck: () => true,
};
