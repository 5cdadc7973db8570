// The wire protocol, written once: every enum and a field table per packet.
// packets.ts encodes and decodes from these tables, and
// scripts/gen-wire-header.ts turns them into native/src/wire.h for the C++
// side (checked in; test/protocol/wire.test.ts fails when it is stale).
// docs/PROTOCOL.md explains each field. Enums are append-only: never
// renumber or reuse a value, deployed peers outlive code changes.

export const MAGIC = 0x314b4342; // bytes "BCK1", little-endian
export const VERSION = 5;

/** Packet types. */
export const PacketType = { Data: 1, Announce: 2, Status: 3, Nack: 4, Ack: 5, RepairAdv: 6 } as const;
/** How a chunk's bytes are coded on the wire. */
export const Coding = { Raw: 0, Lz4: 1, Zstd: 2 } as const;
/** The streams that travel through the data path: the image and the manifest describing it. */
export const Stream = { Image: 0, Manifest: 1 } as const;
/** Sender phases carried in ANNOUNCE. */
export const Phase = { Waiting: 1, Sending: 2, Repairing: 3, Ended: 4 } as const;
/** Receiver states carried in STATUS and ACK. */
export const ReceiverState = { Joined: 1, Receiving: 2, Done: 3, Failed: 4 } as const;
/** Why a receiver failed (STATUS reason). */
export const FailReason = { None: 0, TargetTooSmall: 1, TargetIo: 2, DigestMismatch: 3, Aborted: 4, SenderEnded: 5, ImageRejected: 6 } as const;
/** NACK entry kinds: what a receiver says it lacks of one chunk. */
export const NackKind = { SourceRuns: 1, StripeNeeds: 2, WholeChunk: 3 } as const;
/**
 * FEC schemes. A session's stripe size > 0 means ReedSolomonGf8 (v2 carries
 * no scheme field yet); the ids name the native engine's schemes so that
 * RaptorQ slots in beside it.
 */
export const FecScheme = { None: 0, ReedSolomonGf8: 1 } as const;
/**
 * Common-header flag bits (docs/SECURITY.md). Sealed: the packet ends in a
 * SEAL_TRAILER_SIZE trailer (seq, AEAD tag). Encrypted: DATA only, with
 * Sealed: the payload is ciphertext. Signed: ANNOUNCE and ACK only: the body
 * ends in a SIGNATURE_SIZE Ed25519 signature. Any other bit is malformed.
 */
export const HeaderFlag = { Sealed: 1, Encrypted: 2, Signed: 4 } as const;
/** The AEAD a sealed session uses (ANNOUNCE `cipher`). */
export const Cipher = { None: 0, Aes256Gcm: 1, ChaCha20Poly1305: 2, Aegis256: 3 } as const;
/** Nonce origins: which counter of a key a sealed packet's seq belongs to. */
export const SealOrigin = { SenderData: 0, SenderControl: 1, Receiver: 0 } as const;
/** STATUS flag bits. */
export const StatusFlag = { Overloaded: 1 } as const;
/** ANNOUNCE `streamFlags` bits. Stream: the image is read as it is sent (size unknown until its last manifest segment). */
export const AnnounceFlag = { Stream: 1 } as const;
/** A sealed packet's trailer: seq u64, then the AEAD tag. */
export const SEAL_SEQ_SIZE = 8;
export const SEAL_TAG_SIZE = 16;
export const SEAL_TRAILER_SIZE = SEAL_SEQ_SIZE + SEAL_TAG_SIZE;
export const SEAL_NONCE_SIZE = 12;
export const SEAL_KEY_SIZE = 32;
export const SIGNATURE_SIZE = 64;
/** Receiver join nonces and session salts. */
export const NONCE_SIZE = 16;
/** Replay windows: how far below the highest accepted seq a packet may arrive. */
export const REPLAY_WINDOW_DATA = 4096;
export const REPLAY_WINDOW_CONTROL = 256;

export type ValueOf<T> = T[keyof T];
export type PacketTypeValue = ValueOf<typeof PacketType>;
export type CodingValue = ValueOf<typeof Coding>;
export type StreamId = ValueOf<typeof Stream>;
export type PhaseValue = ValueOf<typeof Phase>;
export type ReceiverStateValue = ValueOf<typeof ReceiverState>;
export type FailReasonValue = ValueOf<typeof FailReason>;
export type NackKindValue = ValueOf<typeof NackKind>;
export type FecSchemeValue = ValueOf<typeof FecScheme>;

/** Every wire enum, by the name the C header gives it. */
export const WIRE_ENUMS = {
  PacketType,
  Coding,
  Stream,
  Phase,
  ReceiverState,
  FailReason,
  NackKind,
  FecScheme,
  StatusFlag,
  AnnounceFlag,
  HeaderFlag,
  Cipher,
} as const;

/**
 * Repair symbol ids: bit 31 set, the stripe in bits 16..30, the parity
 * index in bits 0..15. Ids below REPAIR_BIT are source symbols.
 */
export const REPAIR_BIT = 0x80000000;
export const REPAIR_STRIPE_SHIFT = 16;
export const REPAIR_INDEX_MASK = 0xffff;
export const MAX_REPAIR_STRIPES = 0x8000;

export const HASH_SIZE = 32; // BLAKE3-256
export const IP_UDP_OVERHEAD = 28;
export const MAX_UDP_PAYLOAD = 65507;
export const MAX_CONTROL_PACKET = 1400;
export const MAX_NAME_BYTES = 64;
export const MIN_SYMBOL_SIZE = 256;
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;
export const MAX_SYMBOLS_PER_CHUNK = 65535;
/** Reed-Solomon over GF(2^8): a stripe's sources plus parity indices never exceed this. */
export const FEC_MAX_ROWS = 255;

// ---- Field tables ----

/** Scalars, and byte strings: `hash` (32 bytes), `nonce` (16 bytes). */
export type FieldType = 'u8' | 'u16' | 'u32' | 'u64' | 'hash' | 'nonce';
export type BytesFieldType = 'hash' | 'nonce';
export const FIELD_SIZE: Readonly<Record<FieldType, number>> = { u8: 1, u16: 2, u32: 4, u64: 8, hash: HASH_SIZE, nonce: 16 };
export function isBytesField(t: FieldType): t is BytesFieldType {
  return t === 'hash' || t === 'nonce';
}

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  /** Reserved: written as 0; `strict` ones make a packet malformed when not 0. */
  readonly reserved?: 'strict' | 'lenient';
}

export interface Field extends FieldSpec {
  readonly offset: number;
  readonly size: number;
}

export interface Layout<F extends readonly FieldSpec[] = readonly FieldSpec[]> {
  /** Name in the C header (PascalCase). */
  readonly name: string;
  readonly specs: F;
  readonly fields: readonly Field[];
  readonly size: number;
}

function layout<const F extends readonly FieldSpec[]>(name: string, specs: F): Layout<F> {
  let offset = 0;
  const fields = specs.map((s) => {
    const f = { ...s, offset, size: FIELD_SIZE[s.type] };
    offset += f.size;
    return f;
  });
  return { name, specs, fields, size: offset };
}

const COMMON_FIELDS = [
  { name: 'magic', type: 'u32' },
  { name: 'version', type: 'u8' },
  { name: 'type', type: 'u8' },
  { name: 'flags', type: 'u16' },
  { name: 'session', type: 'u32' },
] as const;

export const CommonHeader = layout('CommonHeader', COMMON_FIELDS);

export const DataHeader = layout('DataHeader', [
  ...COMMON_FIELDS,
  { name: 'stream', type: 'u8' },
  { name: 'coding', type: 'u8' },
  /** The sender's DATA datagram count, mod 2^16 (v5): receivers measure loss by its gaps. */
  { name: 'seq', type: 'u16' },
  { name: 'chunk', type: 'u32' },
  { name: 'symbol', type: 'u32' },
  /** The chunk's length on the wire (compressed chunks vary, so every symbol says it). */
  { name: 'length', type: 'u32' },
] as const);

export const AnnounceBody = layout('Announce', [
  ...COMMON_FIELDS,
  { name: 'phase', type: 'u8' },
  { name: 'heartbeat', type: 'u8' },
  { name: 'controlPort', type: 'u16' },
  { name: 'imageSize', type: 'u64' },
  { name: 'chunkSize', type: 'u32' },
  { name: 'symbolSize', type: 'u16' },
  { name: 'stripeSize', type: 'u16' },
  { name: 'chunkCount', type: 'u32' },
  { name: 'manifestSize', type: 'u32' },
  { name: 'progress', type: 'u32' },
  { name: 'rateKiB', type: 'u32' },
  { name: 'manifestDigest', type: 'hash' },
  { name: 'groupSize', type: 'u16' },
  { name: 'nackBackoffMs', type: 'u16' },
  /** The AEAD of a sealed session (Cipher), else 0. */
  { name: 'cipher', type: 'u8' },
  { name: 'reserved', type: 'u8', reserved: 'strict' },
  { name: 'reserved2', type: 'u16', reserved: 'strict' },
  /** Random per run of the sender: keys derive from it, signed ACKs bind it. */
  { name: 'salt', type: 'nonce' },
  /** AnnounceFlag bits (v4). */
  { name: 'streamFlags', type: 'u8' },
  { name: 'reserved3', type: 'u8', reserved: 'strict' },
  /** Stream sessions: image chunks per manifest segment (else 0). */
  { name: 'segmentChunks', type: 'u16' },
  /** Stream sessions: manifest segments published so far (else 0). */
  { name: 'segments', type: 'u32' },
] as const);

/** STATUS before its variable part: the image digest (DONE only), then `nameLength` bytes of name. */
export const StatusFixed = layout('StatusFixed', [
  ...COMMON_FIELDS,
  { name: 'receiverId', type: 'u32' },
  { name: 'state', type: 'u8' },
  { name: 'reason', type: 'u8' },
  { name: 'nameLength', type: 'u8' },
  { name: 'statusFlags', type: 'u8' },
  { name: 'chunksDone', type: 'u32' },
  { name: 'capacity', type: 'u64' },
  { name: 'packets', type: 'u64' },
  { name: 'malformed', type: 'u32' },
  { name: 'duplicates', type: 'u32' },
  /** The receiver's join nonce: random per run, the same in all its STATUS; the sender's ACK echoes it. */
  { name: 'nonce', type: 'nonce' },
  /** Rate discovery (v5), all cumulative since the receiver's first DATA: UDP payload bytes of DATA taken. */
  { name: 'dataBytes', type: 'u64' },
  /** DATA datagrams the sender sent in that time, by the DATA `seq` span (taken + lost). */
  { name: 'sequenced', type: 'u64' },
  /** The receiver's monotonic clock, ms mod 2^32, when it read these figures: the sender takes rates over the receiver's own intervals. */
  { name: 'clockMs', type: 'u32' },
] as const);

/** NACK before its `count` entries. */
export const NackFixed = layout('NackFixed', [
  ...COMMON_FIELDS,
  { name: 'receiverId', type: 'u32' },
  { name: 'count', type: 'u16' },
  { name: 'reserved', type: 'u16', reserved: 'lenient' },
] as const);

/** One NACK entry, followed by `count` pairs. */
export const NackEntryHeader = layout('NackEntry', [
  { name: 'stream', type: 'u8' },
  { name: 'kind', type: 'u8' },
  { name: 'count', type: 'u16' },
  { name: 'chunk', type: 'u32' },
] as const);

/** A pair of u16: a run (start, length), a stripe need (stripe, count) or a REPAIR_ADV plan (stripe, count). */
export const Pair = layout('Pair', [
  { name: 'a', type: 'u16' },
  { name: 'b', type: 'u16' },
] as const);

export const AckBody = layout('Ack', [
  ...COMMON_FIELDS,
  { name: 'receiverId', type: 'u32' },
  { name: 'state', type: 'u8' },
  { name: 'reserved', type: 'u8', reserved: 'lenient' },
  { name: 'reserved2', type: 'u16', reserved: 'lenient' },
  /** The join nonce of the STATUS acknowledged (freshness: a recording cannot echo a new one). */
  { name: 'nonce', type: 'nonce' },
] as const);

/** REPAIR_ADV before its `count` (stripe, count) pairs. */
export const RepairAdvFixed = layout('RepairAdvFixed', [
  ...COMMON_FIELDS,
  { name: 'stream', type: 'u8' },
  { name: 'reserved', type: 'u8', reserved: 'strict' },
  { name: 'count', type: 'u16' },
  { name: 'chunk', type: 'u32' },
] as const);

/**
 * Chunk coding Lz4: the wire bytes are this prefix, then one LZ4 block (lz4-napi's size-prepended format).
 * Chunk coding Zstd needs no prefix: the wire bytes are one zstd frame, whose header states the raw length.
 */
export const Lz4Prefix = layout('Lz4Prefix', [{ name: 'rawLength', type: 'u32' }] as const);

/** Every layout, for the C header and the parity test. */
export const LAYOUTS = [CommonHeader, DataHeader, AnnounceBody, StatusFixed, NackFixed, NackEntryHeader, Pair, AckBody, RepairAdvFixed, Lz4Prefix] as const;

export const COMMON_HEADER_SIZE = CommonHeader.size;
export const DATA_HEADER_SIZE = DataHeader.size;
export const MAX_SYMBOL_SIZE = MAX_UDP_PAYLOAD - DATA_HEADER_SIZE;

/** A field's offset in a layout; throws on a name the table lacks (a bug). */
export function offsetOf(l: Layout, name: string): number {
  const f = l.fields.find((x) => x.name === name);
  if (!f) throw new Error(`${l.name} has no field ${name}`);
  return f.offset;
}
