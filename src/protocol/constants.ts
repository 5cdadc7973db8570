// Wire protocol v2 constants. docs/PROTOCOL.md is the source of truth;
// native/src/protocol.h holds the same values and test/protocol checks that
// the addon's exported copy agrees with this file.

export const MAGIC = 0x314b4342; // bytes "BCK1", little-endian
export const VERSION = 2;

/** Packet types. Append-only: never renumber or reuse a value. */
export const PacketType = {
  Data: 1,
  Announce: 2,
  Status: 3,
  Nack: 4,
  Ack: 5,
  RepairAdv: 6,
} as const;
export type PacketTypeValue = (typeof PacketType)[keyof typeof PacketType];

export const COMMON_HEADER_SIZE = 12;
export const OFF_SESSION = 8;
export const DATA_HEADER_SIZE = 28;
export const OFF_STREAM = 12;
export const OFF_CODING = 13;
export const OFF_CHUNK = 16;
export const OFF_SYMBOL = 20;
export const OFF_LENGTH = 24;

/** How a chunk's bytes are coded on the wire. Append-only. */
export const Coding = { Raw: 0, Lz4: 1 } as const;
export type CodingValue = (typeof Coding)[keyof typeof Coding];
export const REPAIR_BIT = 0x80000000;
export const IP_UDP_OVERHEAD = 28;

export const Stream = { Image: 0, Manifest: 1 } as const;
export type StreamId = (typeof Stream)[keyof typeof Stream];

export const MIN_SYMBOL_SIZE = 256;
export const MAX_SYMBOL_SIZE = 65507 - DATA_HEADER_SIZE;
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;
export const MAX_SYMBOLS_PER_CHUNK = 65535;

/** Sender phases carried in ANNOUNCE. */
export const Phase = { Waiting: 1, Sending: 2, Repairing: 3, Ended: 4 } as const;
export type PhaseValue = (typeof Phase)[keyof typeof Phase];

/** Receiver states carried in STATUS. */
export const ReceiverState = { Joined: 1, Receiving: 2, Done: 3, Failed: 4 } as const;
export type ReceiverStateValue = (typeof ReceiverState)[keyof typeof ReceiverState];

/** Why a receiver failed (STATUS reason). Append-only. */
export const FailReason = {
  None: 0,
  TargetTooSmall: 1,
  TargetIo: 2,
  DigestMismatch: 3,
  Aborted: 4,
  SenderEnded: 5,
  ImageRejected: 6,
} as const;
export type FailReasonValue = (typeof FailReason)[keyof typeof FailReason];

export const HASH_SIZE = 32; // BLAKE3-256
export const MAX_CONTROL_PACKET = 1400;
