// GENERATED from src/protocol/wire.ts by scripts/wire-header.ts: do not edit.
// Regenerate with `npm run gen:wire`; test/protocol/wire.test.ts fails when
// this file is stale. docs/PROTOCOL.md explains every field.
// One struct per fixed packet layout, with write() and read().
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/wire.h"

namespace blockcast::wire {

struct CommonHeader {
  uint32_t magic;
  uint8_t version;
  uint8_t type;
  uint16_t flags;
  uint32_t session;
};

// Writes the 12 bytes of a CommonHeader at p (reserved fields as 0).
inline void write(uint8_t* p, const CommonHeader& v) {
  store32(p + 0, v.magic);
  p[4] = v.version;
  p[5] = v.type;
  store16(p + 6, v.flags);
  store32(p + 8, v.session);
}

// Reads a CommonHeader from the 12 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, CommonHeader* out) {
  out->magic = load32(p + 0);
  out->version = p[4];
  out->type = p[5];
  out->flags = load16(p + 6);
  out->session = load32(p + 8);
  return true;
}

struct DataHeader {
  CommonHeader head;
  uint8_t stream;
  uint8_t coding;
  uint16_t seq;
  uint32_t chunk;
  uint32_t symbol;
  uint32_t length;
};

// Writes the 28 bytes of a DataHeader at p (reserved fields as 0).
inline void write(uint8_t* p, const DataHeader& v) {
  write(p, v.head);
  p[12] = v.stream;
  p[13] = v.coding;
  store16(p + 14, v.seq);
  store32(p + 16, v.chunk);
  store32(p + 20, v.symbol);
  store32(p + 24, v.length);
}

// Reads a DataHeader from the 28 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, DataHeader* out) {
  read(p, &out->head);
  out->stream = p[12];
  out->coding = p[13];
  out->seq = load16(p + 14);
  out->chunk = load32(p + 16);
  out->symbol = load32(p + 20);
  out->length = load32(p + 24);
  return true;
}

struct Announce {
  CommonHeader head;
  uint8_t phase;
  uint8_t heartbeat;
  uint16_t controlPort;
  uint64_t imageSize;
  uint32_t chunkSize;
  uint16_t symbolSize;
  uint16_t stripeSize;
  uint32_t chunkCount;
  uint32_t manifestSize;
  uint32_t progress;
  uint32_t rateKiB;
  uint8_t manifestDigest[32];
  uint16_t groupSize;
  uint16_t nackBackoffMs;
  uint8_t cipher;
  uint8_t salt[16];
  uint8_t streamFlags;
  uint16_t segmentChunks;
  uint32_t segments;
};

// Writes the 112 bytes of a Announce at p (reserved fields as 0).
inline void write(uint8_t* p, const Announce& v) {
  write(p, v.head);
  p[12] = v.phase;
  p[13] = v.heartbeat;
  store16(p + 14, v.controlPort);
  store64(p + 16, v.imageSize);
  store32(p + 24, v.chunkSize);
  store16(p + 28, v.symbolSize);
  store16(p + 30, v.stripeSize);
  store32(p + 32, v.chunkCount);
  store32(p + 36, v.manifestSize);
  store32(p + 40, v.progress);
  store32(p + 44, v.rateKiB);
  std::memcpy(p + 48, v.manifestDigest, 32);
  store16(p + 80, v.groupSize);
  store16(p + 82, v.nackBackoffMs);
  p[84] = v.cipher;
  p[85] = 0;
  store16(p + 86, 0);
  std::memcpy(p + 88, v.salt, 16);
  p[104] = v.streamFlags;
  p[105] = 0;
  store16(p + 106, v.segmentChunks);
  store32(p + 108, v.segments);
}

// Reads a Announce from the 112 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, Announce* out) {
  read(p, &out->head);
  out->phase = p[12];
  out->heartbeat = p[13];
  out->controlPort = load16(p + 14);
  out->imageSize = load64(p + 16);
  out->chunkSize = load32(p + 24);
  out->symbolSize = load16(p + 28);
  out->stripeSize = load16(p + 30);
  out->chunkCount = load32(p + 32);
  out->manifestSize = load32(p + 36);
  out->progress = load32(p + 40);
  out->rateKiB = load32(p + 44);
  std::memcpy(out->manifestDigest, p + 48, 32);
  out->groupSize = load16(p + 80);
  out->nackBackoffMs = load16(p + 82);
  out->cipher = p[84];
  if (p[85] != 0) return false;
  if (load16(p + 86) != 0) return false;
  std::memcpy(out->salt, p + 88, 16);
  out->streamFlags = p[104];
  if (p[105] != 0) return false;
  out->segmentChunks = load16(p + 106);
  out->segments = load32(p + 108);
  return true;
}

struct StatusFixed {
  CommonHeader head;
  uint32_t receiverId;
  uint8_t state;
  uint8_t reason;
  uint8_t nameLength;
  uint8_t statusFlags;
  uint32_t chunksDone;
  uint64_t capacity;
  uint64_t packets;
  uint32_t malformed;
  uint32_t duplicates;
  uint8_t nonce[16];
  uint64_t dataBytes;
  uint64_t sequenced;
  uint32_t clockMs;
};

// Writes the 84 bytes of a StatusFixed at p (reserved fields as 0).
inline void write(uint8_t* p, const StatusFixed& v) {
  write(p, v.head);
  store32(p + 12, v.receiverId);
  p[16] = v.state;
  p[17] = v.reason;
  p[18] = v.nameLength;
  p[19] = v.statusFlags;
  store32(p + 20, v.chunksDone);
  store64(p + 24, v.capacity);
  store64(p + 32, v.packets);
  store32(p + 40, v.malformed);
  store32(p + 44, v.duplicates);
  std::memcpy(p + 48, v.nonce, 16);
  store64(p + 64, v.dataBytes);
  store64(p + 72, v.sequenced);
  store32(p + 80, v.clockMs);
}

// Reads a StatusFixed from the 84 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, StatusFixed* out) {
  read(p, &out->head);
  out->receiverId = load32(p + 12);
  out->state = p[16];
  out->reason = p[17];
  out->nameLength = p[18];
  out->statusFlags = p[19];
  out->chunksDone = load32(p + 20);
  out->capacity = load64(p + 24);
  out->packets = load64(p + 32);
  out->malformed = load32(p + 40);
  out->duplicates = load32(p + 44);
  std::memcpy(out->nonce, p + 48, 16);
  out->dataBytes = load64(p + 64);
  out->sequenced = load64(p + 72);
  out->clockMs = load32(p + 80);
  return true;
}

struct NackFixed {
  CommonHeader head;
  uint32_t receiverId;
  uint16_t count;
};

// Writes the 20 bytes of a NackFixed at p (reserved fields as 0).
inline void write(uint8_t* p, const NackFixed& v) {
  write(p, v.head);
  store32(p + 12, v.receiverId);
  store16(p + 16, v.count);
  store16(p + 18, 0);
}

// Reads a NackFixed from the 20 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, NackFixed* out) {
  read(p, &out->head);
  out->receiverId = load32(p + 12);
  out->count = load16(p + 16);
  return true;
}

struct NackEntry {
  uint8_t stream;
  uint8_t kind;
  uint16_t count;
  uint32_t chunk;
};

// Writes the 8 bytes of a NackEntry at p (reserved fields as 0).
inline void write(uint8_t* p, const NackEntry& v) {
  p[0] = v.stream;
  p[1] = v.kind;
  store16(p + 2, v.count);
  store32(p + 4, v.chunk);
}

// Reads a NackEntry from the 8 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, NackEntry* out) {
  out->stream = p[0];
  out->kind = p[1];
  out->count = load16(p + 2);
  out->chunk = load32(p + 4);
  return true;
}

struct Pair {
  uint16_t a;
  uint16_t b;
};

// Writes the 4 bytes of a Pair at p (reserved fields as 0).
inline void write(uint8_t* p, const Pair& v) {
  store16(p + 0, v.a);
  store16(p + 2, v.b);
}

// Reads a Pair from the 4 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, Pair* out) {
  out->a = load16(p + 0);
  out->b = load16(p + 2);
  return true;
}

struct Ack {
  CommonHeader head;
  uint32_t receiverId;
  uint8_t state;
  uint8_t nonce[16];
};

// Writes the 36 bytes of a Ack at p (reserved fields as 0).
inline void write(uint8_t* p, const Ack& v) {
  write(p, v.head);
  store32(p + 12, v.receiverId);
  p[16] = v.state;
  p[17] = 0;
  store16(p + 18, 0);
  std::memcpy(p + 20, v.nonce, 16);
}

// Reads a Ack from the 36 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, Ack* out) {
  read(p, &out->head);
  out->receiverId = load32(p + 12);
  out->state = p[16];
  std::memcpy(out->nonce, p + 20, 16);
  return true;
}

struct RepairAdvFixed {
  CommonHeader head;
  uint8_t stream;
  uint16_t count;
  uint32_t chunk;
};

// Writes the 20 bytes of a RepairAdvFixed at p (reserved fields as 0).
inline void write(uint8_t* p, const RepairAdvFixed& v) {
  write(p, v.head);
  p[12] = v.stream;
  p[13] = 0;
  store16(p + 14, v.count);
  store32(p + 16, v.chunk);
}

// Reads a RepairAdvFixed from the 20 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, RepairAdvFixed* out) {
  read(p, &out->head);
  out->stream = p[12];
  if (p[13] != 0) return false;
  out->count = load16(p + 14);
  out->chunk = load32(p + 16);
  return true;
}

struct Lz4Prefix {
  uint32_t rawLength;
};

// Writes the 4 bytes of a Lz4Prefix at p (reserved fields as 0).
inline void write(uint8_t* p, const Lz4Prefix& v) {
  store32(p + 0, v.rawLength);
}

// Reads a Lz4Prefix from the 4 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, Lz4Prefix* out) {
  out->rawLength = load32(p + 0);
  return true;
}

}  // namespace blockcast::wire
