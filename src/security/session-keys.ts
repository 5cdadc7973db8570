// What each side of a session does with its keys, behind one small API the
// sessions call: wrap what they send (sign, seal), open what they read
// (tag, replay window, signature). Modes and guarantees: docs/SECURITY.md.
import type { KeyObject } from 'node:crypto';
import { Cipher, HeaderFlag, PacketType, SEAL_TRAILER_SIZE, SealOrigin } from '../protocol/wire.js';
import { headerFlags, rawType } from '../protocol/header.js';
import { peekAnnounceKeys, peekReceiverId, peekStatusNonce } from '../protocol/peek.js';
import { senderKey, receiverKey } from './kdf.js';
import { checkCipher } from './options.js';
import { canRun, isCipher, Opener, Sealer } from './seal.js';
import { signPacket, verifyPacket } from './signing.js';

export interface SenderKeys {
  /** Signs ANNOUNCE and ACK (send --sign-key). */
  signKey?: KeyObject;
  /** Seals every packet (--group-key). */
  groupKey?: Buffer;
  cipher?: number;
  /** Encrypt DATA payloads as well as authenticating them (default with a group key). */
  encryptData?: boolean;
}

export interface ReceiverKeys {
  /** Accept only sessions signed by one of these (receive --trust). */
  trusted?: readonly KeyObject[];
  groupKey?: Buffer;
}

/** Why a packet was dropped before any of its fields was used. */
/** `cipher`: sealed with a cipher this build or CPU cannot run (it may still be the real sender's). */
export type Rejection = 'unsealed' | 'forged' | 'replayed' | 'unsigned' | 'cipher';
export type Opened = 'ok' | Rejection;


function sessionId(session: number, salt: Buffer): string {
  return `${session >>> 0}:${salt.toString('hex')}`;
}



/** The sender's side: one key for all it sends, one opener per receiver (by join nonce). */
export class SenderSecurity {
  readonly cipher: number;
  private readonly key?: Buffer;
  private readonly control?: Sealer;
  private readonly receivers = new Map<string, Opener>();
  private static readonly MAX_RECEIVERS = 20_000;

  constructor(
    private readonly keys: SenderKeys,
    session: number,
    private readonly salt: Buffer,
  ) {
    this.cipher = keys.groupKey ? (keys.cipher ?? checkCipher(undefined)) : Cipher.None;
    if (keys.groupKey) {
      this.key = senderKey(keys.groupKey, salt, session);
      this.control = new Sealer(this.cipher, this.key, SealOrigin.SenderControl);
    }
  }

  get sealed(): boolean {
    return this.control !== undefined;
  }

  /** Bytes the security layer adds to a control packet (NACK and REPAIR_ADV packers leave room for it). */
  get overhead(): number {
    return this.sealed ? SEAL_TRAILER_SIZE : 0;
  }

  /** What the native sender needs to seal DATA, or undefined in an open session. */
  dataSeal(): { cipher: number; key: Buffer; encrypt: boolean } | undefined {
    return this.key ? { cipher: this.cipher, key: this.key, encrypt: this.keys.encryptData ?? true } : undefined;
  }

  wrapAnnounce(body: Buffer): Buffer {
    return this.seal(this.keys.signKey ? signPacket(body, this.keys.signKey, this.sealed) : body);
  }

  /** An ACK is signed over its body and the run's salt: with the echoed nonce, proof of a live sender. */
  wrapAck(body: Buffer): Buffer {
    return this.seal(this.keys.signKey ? signPacket(body, this.keys.signKey, this.sealed, this.salt) : body);
  }

  /** REPAIR_ADV (and anything else the sender sends unsigned). */
  wrapControl(body: Buffer): Buffer {
    return this.seal(body);
  }

  /**
   * Checks a STATUS or NACK before any field is used. `nonceOf` names the
   * join nonce of a known receiver id; a STATUS carries its own (its tag
   * proves it came from a holder of the group key, so a new receiver can join).
   */
  openReport(packet: Buffer, nonceOf: (receiverId: number) => Buffer | undefined): Opened {
    if (!this.keys.groupKey) return headerFlags(packet) & HeaderFlag.Sealed ? 'forged' : 'ok';
    if (!(headerFlags(packet) & HeaderFlag.Sealed)) return 'unsealed';
    const receiverId = rawType(packet) === PacketType.Status ? undefined : peekReceiverId(packet);
    const nonce = rawType(packet) === PacketType.Status ? peekStatusNonce(packet) : receiverId === undefined ? undefined : nonceOf(receiverId);
    if (!nonce) return 'forged';
    const id = nonce.toString('hex');
    const known = this.receivers.get(id);
    const opener = known ?? new Opener(this.cipher, receiverKey(this.keys.groupKey, this.salt, nonce), SealOrigin.Receiver);
    const result = opener.open(packet);
    // Keep an opener (and its replay window) only for a receiver whose packet verified;
    // bounded like the member table (admission.ts), the longest-held first out.
    if (result === 'ok' && !known) {
      if (this.receivers.size >= SenderSecurity.MAX_RECEIVERS) this.receivers.delete(this.receivers.keys().next().value!);
      this.receivers.set(id, opener);
    }
    return result;
  }

  private seal(packet: Buffer): Buffer {
    return this.control ? this.control.seal(packet) : packet;
  }
}

interface SessionKeys {
  opener: Opener;
  sealer: Sealer;
  dataKey: Buffer;
}

/** The receiver's side: per candidate session (session id + salt), the keys derived for it. */
export class ReceiverSecurity {
  private readonly sessions = new Map<string, SessionKeys>();
  private pinned?: string;
  private static readonly MAX_SESSIONS = 8;

  constructor(
    private readonly keys: ReceiverKeys,
    private readonly joinNonce: Buffer,
  ) {}

  /** Whether any sender is accepted (no --trust): the CLI says so once. */
  get trustsAnyone(): boolean {
    return !this.keys.trusted || this.keys.trusted.length === 0;
  }

  get sealed(): boolean {
    return this.keys.groupKey !== undefined;
  }

  get overhead(): number {
    return this.sealed ? SEAL_TRAILER_SIZE : 0;
  }

  /**
   * Checks an ANNOUNCE before any field is used: its tag (keys derived from
   * the salt it carries), replay window, and with --trust its signature.
   */
  openAnnounce(packet: Buffer, session: number): Opened {
    const keys = peekAnnounceKeys(packet);
    if (!keys) return 'forged';
    if (this.sealed && isCipher(keys.cipher) && !canRun(keys.cipher)) return 'cipher';
    const opened = this.openSealed(packet, session, keys.salt, keys.cipher);
    if (opened !== 'ok') return opened;
    return this.trustsAnyone || verifyPacket(packet, this.keys.trusted!) ? 'ok' : 'unsigned';
  }

  /** Checks an ACK or REPAIR_ADV of the session with `salt`; ACKs with --trust must be signed over the salt. */
  openSenderControl(packet: Buffer, session: number, salt: Buffer, cipher: number): Opened {
    const opened = this.openSealed(packet, session, salt, cipher);
    if (opened !== 'ok') return opened;
    if (rawType(packet) === PacketType.Ack && !this.trustsAnyone && !verifyPacket(packet, this.keys.trusted!, salt)) return 'unsigned';
    return 'ok';
  }

  /** With a group key: the tag and replay window; without: a sealed packet is for others (nothing here can read it). */
  private openSealed(packet: Buffer, session: number, salt: Buffer, cipher: number): Opened {
    const sealed = (headerFlags(packet) & HeaderFlag.Sealed) !== 0;
    if (!this.keys.groupKey) return sealed ? 'unsealed' : 'ok';
    return sealed ? this.openWith(packet, session, salt, cipher) : 'unsealed';
  }

  /** Seals a STATUS or NACK for the session with `salt` (one whose ANNOUNCE verified: its sealer counts the nonces). */
  wrapReport(body: Buffer, session: number, salt: Buffer): Buffer {
    if (!this.keys.groupKey) return body;
    const keys = this.sessions.get(sessionId(session, salt));
    if (!keys) throw new Error(`no verified ANNOUNCE of session ${session >>> 0}: nothing to seal a report for`);
    return keys.sealer.seal(body);
  }

  /** The key the native receiver opens DATA with, once joined. */
  dataKey(session: number, salt: Buffer, cipher: number): Buffer | undefined {
    return this.keys.groupKey ? this.keysFor(session, salt, cipher)?.dataKey : undefined;
  }

  /** The joined session's keys are never evicted (its replay window must outlive any flood of other salts). */
  pin(session: number, salt: Buffer): void {
    this.pinned = sessionId(session, salt);
  }

  private openWith(packet: Buffer, session: number, salt: Buffer, cipher: number): Opened {
    const id = sessionId(session, salt);
    const known = this.sessions.get(id);
    const k = known ?? this.derive(session, salt, cipher);
    if (!k) return 'forged';
    const opened = k.opener.open(packet);
    // Remember a session's keys only once a packet of it verified: forged salts make no entries.
    if (opened === 'ok' && !known) {
      if (this.sessions.size >= ReceiverSecurity.MAX_SESSIONS) {
        // Never the joined session, nor one whose reports were sealed (a new sealer would repeat its nonces).
        const oldest = [...this.sessions].find(([x, v]) => x !== this.pinned && !v.sealer.used)?.[0];
        if (oldest !== undefined) this.sessions.delete(oldest);
      }
      this.sessions.set(id, k);
    }
    return opened;
  }

  private keysFor(session: number, salt: Buffer, cipher: number): SessionKeys | undefined {
    return this.sessions.get(sessionId(session, salt)) ?? this.derive(session, salt, cipher);
  }

  private derive(session: number, salt: Buffer, cipher: number): SessionKeys | undefined {
    const g = this.keys.groupKey!;
    try {
      const dataKey = senderKey(g, salt, session);
      return { dataKey, opener: new Opener(cipher, dataKey, SealOrigin.SenderControl), sealer: new Sealer(cipher, receiverKey(g, salt, this.joinNonce), SealOrigin.Receiver) };
    } catch {
      return undefined; // an unknown cipher id: nothing can verify it
    }
  }
}
