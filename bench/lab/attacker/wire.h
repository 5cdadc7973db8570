/* The blockcast v3 fields the attacker reads and forges (docs/PROTOCOL.md,
 * src/protocol/wire.ts). Offsets are from the start of the packet. */
#ifndef ATTACKER_WIRE_H
#define ATTACKER_WIRE_H

enum { HDR_LEN = 12, OFF_VERSION = 4, OFF_TYPE = 5, OFF_FLAGS = 6, OFF_SESSION = 8 };
enum { T_DATA = 1, T_ANNOUNCE = 2, T_STATUS = 3, T_NACK = 4, T_ACK = 5, T_REPAIR_ADV = 6 };
enum { FLAG_SEALED = 1, FLAG_ENCRYPTED = 2, FLAG_SIGNED = 4 };
enum { VERSION = 3 };

/* DATA */
enum { D_STREAM = 12, D_CODING = 13, D_CHUNK = 16, D_SYMBOL = 20, D_LENGTH = 24, D_PAYLOAD = 28 };
/* ANNOUNCE: 104-byte body */
enum {
  A_PHASE = 12, A_CTL_PORT = 14, A_IMAGE_SIZE = 16, A_CHUNK_SIZE = 24, A_SYMBOL = 28, A_STRIPE = 30,
  A_CHUNKS = 32, A_MANIFEST_SIZE = 36, A_PROGRESS = 40, A_RATE = 44, A_MANIFEST_HASH = 48,
  A_GROUP_SIZE = 80, A_BACKOFF = 82, A_CIPHER = 84, A_SALT = 88, A_LEN = 104
};
enum { PHASE_ENDED = 4 };
/* STATUS: 64 bytes + name, DONE 96 + name */
enum {
  S_RID = 12, S_STATE = 16, S_REASON = 17, S_NAME_LEN = 18, S_FLAGS = 19, S_WRITTEN = 20,
  S_CAPACITY = 24, S_ACCEPTED = 32, S_NONCE = 48, S_DIGEST = 64, S_LEN = 64, S_DONE_LEN = 96
};
enum { ST_JOINED = 1, ST_RECEIVING = 2, ST_DONE = 3, ST_FAILED = 4, STATUS_OVERLOADED = 1 };
/* NACK: 20-byte head, entries of 8 bytes (+ 4 per run/stripe pair); ≤ 1400 bytes */
enum { N_RID = 12, N_COUNT = 16, N_ENTRIES = 20, N_MAX_LEN = 1400, NK_WHOLE_CHUNK = 3 };
/* ACK: 36 bytes */
enum { K_RID = 12, K_STATE = 16, K_NONCE = 20, K_LEN = 36 };
/* REPAIR_ADV */
enum { R_STREAM = 12, R_COUNT = 14, R_CHUNK = 16 };
/* Manifest: the image digest at offset 32 of stream 1. */
enum { M_DIGEST = 32 };

#endif
