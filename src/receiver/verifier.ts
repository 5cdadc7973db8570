// The one place where a receiver decides whether an ANNOUNCE or an ACK is
// the sender's own: without keys, anything well-formed is (open mode). With
// --trust or a group key, src/security supplies a verifier that checks the
// tag and the Ed25519 signature (docs/SECURITY.md) before either is used.
import { headerFlags, type Ack, type Announce } from '../protocol/packets.js';
import { native } from '../native/binding.js';
import { HeaderFlag } from '../protocol/wire.js';
import { cipherName } from '../security/options.js';
import type { ReceiverSecurity, Rejection } from '../security/session-keys.js';
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
  /** A REPAIR_ADV from the joined sender's address: false drops it, counted as forged. */
  acceptRepairAdv?(packet: Buffer, sender: PinnedSender): boolean;
  /** Seals a report to the sender of `announce`. */
  wrapReport?(packet: Buffer, announce: Announce): Buffer;
  /** Bytes wrapReport adds. */
  readonly overhead?: number;
  /** The receiver joined the session of `announce`: keep its keys; returns the key the native receiver opens its DATA with (sealed sessions). */
  joined?(announce: Announce): Buffer | undefined;
  /** Why announcements heard were refused, for the message when no session was joined; '' if none was. */
  explain?(): string;
}

const REFUSALS: Readonly<Record<Rejection, string>> = {
  unsigned: 'not signed by a trusted key (--trust)',
  forged: 'sealed with another group key, or tampered with',
  unsealed: 'not sealed with a group key this node holds (--group-key)',
  replayed: 'replays',
  cipher: 'sealed with a cipher this machine cannot run',
};

/** Why, in words; for a cipher, which ones this machine runs (the sender picks one with --cipher). */
function refusal(why: Rejection): string {
  return why === 'cipher' ? `${REFUSALS.cipher} (it runs ${native.seal.ciphers().map(cipherName).join(', ') || 'none'}; the sender can pick one with --cipher)` : REFUSALS[why];
}

/** Counts refused ANNOUNCEs by why, and says so in one clause. */
class Refusals {
  private readonly counts = new Map<Rejection, number>();

  count(why: Rejection): void {
    this.counts.set(why, (this.counts.get(why) ?? 0) + 1);
  }

  explain(): string {
    if (this.counts.size === 0) return '';
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0);
    return `; it refused ${total} announcement(s): ${[...this.counts].map(([why, n]) => `${n} ${refusal(why)}`).join(', ')}`;
  }
}

/**
 * Open mode: every well-formed ANNOUNCE and ACK is accepted (freshness still
 * comes from the nonce), except a sealed session's: nothing here could
 * read or answer it.
 */
export function acceptAnySender(): SenderVerifier {
  const refusals = new Refusals();
  return {
    acceptAnnounce: (packet) => {
      if (!(headerFlags(packet) & HeaderFlag.Sealed)) return true;
      refusals.count('unsealed');
      return false;
    },
    acceptAck: (packet) => !(headerFlags(packet) & HeaderFlag.Sealed),
    explain: () => refusals.explain(),
  };
}

/**
 * With keys (receive --trust, --group-key): tags and replay windows first,
 * then, with --trust, Ed25519 signatures: on every ANNOUNCE, and on the
 * ACK that echoes this run's nonce with the sender's salt (freshness).
 */
export function keyedVerifier(security: ReceiverSecurity): SenderVerifier {
  const refusals = new Refusals();
  return {
    explain: () => refusals.explain(),
    sealed: security.sealed,
    overhead: security.overhead,
    acceptAnnounce: (packet, a) => {
      const opened = security.openAnnounce(packet, a.session);
      if (opened !== 'ok') refusals.count(opened);
      return opened === 'ok';
    },
    acceptAck: (packet, ack, s) => security.openSenderControl(packet, ack.session, s.announce.salt, s.announce.cipher) === 'ok',
    acceptRepairAdv: (packet, s) => security.openSenderControl(packet, s.announce.session, s.announce.salt, s.announce.cipher) === 'ok',
    wrapReport: (packet, a) => security.wrapReport(packet, a.session, a.salt),
    joined: (a) => {
      security.pin(a.session, a.salt);
      return security.dataKey(a.session, a.salt, a.cipher);
    },
  };
}
