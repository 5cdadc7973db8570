// GENERATED from src/protocol/wire.ts by scripts/wire-header.ts: do not edit.
// Regenerate with `npm run gen:wire`; test/protocol/wire.test.ts fails when
// this file is stale. docs/PROTOCOL.md explains every field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace blockcast {

// All multi-byte fields are little-endian. Loads and stores assemble bytes
// explicitly: no unaligned access, no dependence on host byte order.
inline uint16_t load16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
inline uint32_t load32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
inline uint64_t load64(const uint8_t* p) { return uint64_t(load32(p)) | (uint64_t(load32(p + 4)) << 32); }
inline void store16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
inline void store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (8 * i));
}
inline void store64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = uint8_t(v >> (8 * i));
}

constexpr uint32_t kMagic = 0x314B4342u;
constexpr uint8_t kVersion = 2u;
constexpr uint32_t kRepairBit = 0x80000000u;
constexpr uint32_t kRepairStripeShift = 16u;
constexpr uint32_t kRepairIndexMask = 65535u;
constexpr uint32_t kMaxRepairStripes = 32768u;
constexpr uint32_t kHashSize = 32u;
constexpr uint32_t kIpUdpOverhead = 28u;
constexpr uint32_t kMaxUdpPayload = 65507u;
constexpr uint32_t kMaxControlPacket = 1400u;
constexpr uint32_t kMaxNameBytes = 64u;
constexpr uint32_t kMinSymbolSize = 256u;
constexpr uint32_t kMaxSymbolSize = 65479u;
constexpr uint32_t kMaxChunkSize = 0x4000000u;
constexpr uint32_t kMaxSymbolsPerChunk = 65535u;
constexpr uint32_t kFecMaxRows = 255u;
constexpr size_t kTrailerSizeNone = 0u;
constexpr int kTypeCount = 7;
constexpr int kCodingCount = 2;
constexpr int kStreamCount = 2;
constexpr int kPhaseCount = 5;
constexpr int kReceiverCount = 5;
constexpr int kFailCount = 7;
constexpr int kNackCount = 4;
constexpr int kFecCount = 2;
constexpr int kSecurityCount = 1;
constexpr size_t kCommonHeaderSize = 12u;
constexpr size_t kOffMagic = 0u;
constexpr size_t kOffVersion = 4u;
constexpr size_t kOffType = 5u;
constexpr size_t kOffFlags = 6u;
constexpr size_t kOffSession = 8u;
constexpr size_t kDataHeaderSize = 28u;
constexpr size_t kOffStream = 12u;
constexpr size_t kOffCoding = 13u;
constexpr size_t kOffDataReserved = 14u;
constexpr size_t kOffChunk = 16u;
constexpr size_t kOffSymbol = 20u;
constexpr size_t kOffLength = 24u;
constexpr size_t kAnnounceSize = 84u;
constexpr size_t kAnnounceOffPhase = 12u;
constexpr size_t kAnnounceOffHeartbeat = 13u;
constexpr size_t kAnnounceOffControlPort = 14u;
constexpr size_t kAnnounceOffImageSize = 16u;
constexpr size_t kAnnounceOffChunkSize = 24u;
constexpr size_t kAnnounceOffSymbolSize = 28u;
constexpr size_t kAnnounceOffStripeSize = 30u;
constexpr size_t kAnnounceOffChunkCount = 32u;
constexpr size_t kAnnounceOffManifestSize = 36u;
constexpr size_t kAnnounceOffProgress = 40u;
constexpr size_t kAnnounceOffRateKiB = 44u;
constexpr size_t kAnnounceOffManifestDigest = 48u;
constexpr size_t kAnnounceOffGroupSize = 80u;
constexpr size_t kAnnounceOffNackBackoffMs = 82u;
constexpr size_t kStatusFixedSize = 48u;
constexpr size_t kStatusFixedOffReceiverId = 12u;
constexpr size_t kStatusFixedOffState = 16u;
constexpr size_t kStatusFixedOffReason = 17u;
constexpr size_t kStatusFixedOffNameLength = 18u;
constexpr size_t kStatusFixedOffStatusFlags = 19u;
constexpr size_t kStatusFixedOffChunksDone = 20u;
constexpr size_t kStatusFixedOffCapacity = 24u;
constexpr size_t kStatusFixedOffPackets = 32u;
constexpr size_t kStatusFixedOffMalformed = 40u;
constexpr size_t kStatusFixedOffDuplicates = 44u;
constexpr size_t kNackFixedSize = 20u;
constexpr size_t kNackFixedOffReceiverId = 12u;
constexpr size_t kNackFixedOffCount = 16u;
constexpr size_t kNackFixedOffReserved = 18u;
constexpr size_t kNackEntrySize = 8u;
constexpr size_t kNackEntryOffStream = 0u;
constexpr size_t kNackEntryOffKind = 1u;
constexpr size_t kNackEntryOffCount = 2u;
constexpr size_t kNackEntryOffChunk = 4u;
constexpr size_t kPairSize = 4u;
constexpr size_t kPairOffA = 0u;
constexpr size_t kPairOffB = 2u;
constexpr size_t kAckSize = 20u;
constexpr size_t kAckOffReceiverId = 12u;
constexpr size_t kAckOffState = 16u;
constexpr size_t kAckOffReserved = 17u;
constexpr size_t kAckOffReserved2 = 18u;
constexpr size_t kRepairAdvFixedSize = 20u;
constexpr size_t kRepairAdvFixedOffStream = 12u;
constexpr size_t kRepairAdvFixedOffReserved = 13u;
constexpr size_t kRepairAdvFixedOffCount = 14u;
constexpr size_t kRepairAdvFixedOffChunk = 16u;

// Wire enums. Append-only: never renumber or reuse a value.
enum PacketType : uint8_t {
  kTypeData = 1,
  kTypeAnnounce = 2,
  kTypeStatus = 3,
  kTypeNack = 4,
  kTypeAck = 5,
  kTypeRepairAdv = 6,
};
enum Coding : uint8_t {
  kCodingRaw = 0,
  kCodingLz4 = 1,
};
enum Stream : uint8_t {
  kStreamImage = 0,
  kStreamManifest = 1,
};
enum Phase : uint8_t {
  kPhaseWaiting = 1,
  kPhaseSending = 2,
  kPhaseRepairing = 3,
  kPhaseEnded = 4,
};
enum ReceiverState : uint8_t {
  kReceiverJoined = 1,
  kReceiverReceiving = 2,
  kReceiverDone = 3,
  kReceiverFailed = 4,
};
enum FailReason : uint8_t {
  kFailNone = 0,
  kFailTargetTooSmall = 1,
  kFailTargetIo = 2,
  kFailDigestMismatch = 3,
  kFailAborted = 4,
  kFailSenderEnded = 5,
  kFailImageRejected = 6,
};
enum NackKind : uint8_t {
  kNackSourceRuns = 1,
  kNackStripeNeeds = 2,
  kNackWholeChunk = 3,
};
enum FecScheme : uint8_t {
  kFecNone = 0,
  kFecReedSolomonGf8 = 1,
};
enum StatusFlag : uint8_t {
  kStatusFlagOverloaded = 1,
};
enum SecurityMode : uint8_t {
  kSecurityNone = 0,
};

// Repair symbol ids: bit 31, the stripe in bits 16..30, the parity index in bits 0..15.
constexpr bool isRepairSymbol(uint32_t id) { return (id & kRepairBit) != 0; }
constexpr uint32_t repairSymbolId(uint32_t stripe, uint32_t index) {
  return kRepairBit | (stripe << kRepairStripeShift) | (index & kRepairIndexMask);
}
constexpr uint32_t repairStripe(uint32_t id) { return (id & ~kRepairBit) >> kRepairStripeShift; }
constexpr uint32_t repairIndex(uint32_t id) { return id & kRepairIndexMask; }

// Fixed layouts: one struct per table, with write() and read().
namespace wire {

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
  uint32_t magic;
  uint8_t version;
  uint8_t type;
  uint16_t flags;
  uint32_t session;
  uint8_t stream;
  uint8_t coding;
  uint32_t chunk;
  uint32_t symbol;
  uint32_t length;
};

// Writes the 28 bytes of a DataHeader at p (reserved fields as 0).
inline void write(uint8_t* p, const DataHeader& v) {
  store32(p + 0, v.magic);
  p[4] = v.version;
  p[5] = v.type;
  store16(p + 6, v.flags);
  store32(p + 8, v.session);
  p[12] = v.stream;
  p[13] = v.coding;
  store16(p + 14, 0);
  store32(p + 16, v.chunk);
  store32(p + 20, v.symbol);
  store32(p + 24, v.length);
}

// Reads a DataHeader from the 28 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, DataHeader* out) {
  out->magic = load32(p + 0);
  out->version = p[4];
  out->type = p[5];
  out->flags = load16(p + 6);
  out->session = load32(p + 8);
  out->stream = p[12];
  out->coding = p[13];
  if (load16(p + 14) != 0) return false;
  out->chunk = load32(p + 16);
  out->symbol = load32(p + 20);
  out->length = load32(p + 24);
  return true;
}

struct Announce {
  uint32_t magic;
  uint8_t version;
  uint8_t type;
  uint16_t flags;
  uint32_t session;
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
};

// Writes the 84 bytes of a Announce at p (reserved fields as 0).
inline void write(uint8_t* p, const Announce& v) {
  store32(p + 0, v.magic);
  p[4] = v.version;
  p[5] = v.type;
  store16(p + 6, v.flags);
  store32(p + 8, v.session);
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
}

// Reads a Announce from the 84 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, Announce* out) {
  out->magic = load32(p + 0);
  out->version = p[4];
  out->type = p[5];
  out->flags = load16(p + 6);
  out->session = load32(p + 8);
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
  return true;
}

struct StatusFixed {
  uint32_t magic;
  uint8_t version;
  uint8_t type;
  uint16_t flags;
  uint32_t session;
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
};

// Writes the 48 bytes of a StatusFixed at p (reserved fields as 0).
inline void write(uint8_t* p, const StatusFixed& v) {
  store32(p + 0, v.magic);
  p[4] = v.version;
  p[5] = v.type;
  store16(p + 6, v.flags);
  store32(p + 8, v.session);
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
}

// Reads a StatusFixed from the 48 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, StatusFixed* out) {
  out->magic = load32(p + 0);
  out->version = p[4];
  out->type = p[5];
  out->flags = load16(p + 6);
  out->session = load32(p + 8);
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
  return true;
}

struct NackFixed {
  uint32_t magic;
  uint8_t version;
  uint8_t type;
  uint16_t flags;
  uint32_t session;
  uint32_t receiverId;
  uint16_t count;
};

// Writes the 20 bytes of a NackFixed at p (reserved fields as 0).
inline void write(uint8_t* p, const NackFixed& v) {
  store32(p + 0, v.magic);
  p[4] = v.version;
  p[5] = v.type;
  store16(p + 6, v.flags);
  store32(p + 8, v.session);
  store32(p + 12, v.receiverId);
  store16(p + 16, v.count);
  store16(p + 18, 0);
}

// Reads a NackFixed from the 20 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, NackFixed* out) {
  out->magic = load32(p + 0);
  out->version = p[4];
  out->type = p[5];
  out->flags = load16(p + 6);
  out->session = load32(p + 8);
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
  uint32_t magic;
  uint8_t version;
  uint8_t type;
  uint16_t flags;
  uint32_t session;
  uint32_t receiverId;
  uint8_t state;
};

// Writes the 20 bytes of a Ack at p (reserved fields as 0).
inline void write(uint8_t* p, const Ack& v) {
  store32(p + 0, v.magic);
  p[4] = v.version;
  p[5] = v.type;
  store16(p + 6, v.flags);
  store32(p + 8, v.session);
  store32(p + 12, v.receiverId);
  p[16] = v.state;
  p[17] = 0;
  store16(p + 18, 0);
}

// Reads a Ack from the 20 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, Ack* out) {
  out->magic = load32(p + 0);
  out->version = p[4];
  out->type = p[5];
  out->flags = load16(p + 6);
  out->session = load32(p + 8);
  out->receiverId = load32(p + 12);
  out->state = p[16];
  return true;
}

struct RepairAdvFixed {
  uint32_t magic;
  uint8_t version;
  uint8_t type;
  uint16_t flags;
  uint32_t session;
  uint8_t stream;
  uint16_t count;
  uint32_t chunk;
};

// Writes the 20 bytes of a RepairAdvFixed at p (reserved fields as 0).
inline void write(uint8_t* p, const RepairAdvFixed& v) {
  store32(p + 0, v.magic);
  p[4] = v.version;
  p[5] = v.type;
  store16(p + 6, v.flags);
  store32(p + 8, v.session);
  p[12] = v.stream;
  p[13] = 0;
  store16(p + 14, v.count);
  store32(p + 16, v.chunk);
}

// Reads a RepairAdvFixed from the 20 bytes at p (the caller checked the length).
// False if a reserved field that must be 0 is not.
inline bool read(const uint8_t* p, RepairAdvFixed* out) {
  out->magic = load32(p + 0);
  out->version = p[4];
  out->type = p[5];
  out->flags = load16(p + 6);
  out->session = load32(p + 8);
  out->stream = p[12];
  if (p[13] != 0) return false;
  out->count = load16(p + 14);
  out->chunk = load32(p + 16);
  return true;
}

// Every constant above by name, for the parity test (the addon exports it).
struct NamedConstant {
  const char* name;
  double value;
};
inline constexpr NamedConstant kConstants[] = {
    {"kMagic", 827016002},
    {"kVersion", 2},
    {"kRepairBit", 2147483648},
    {"kRepairStripeShift", 16},
    {"kRepairIndexMask", 65535},
    {"kMaxRepairStripes", 32768},
    {"kHashSize", 32},
    {"kIpUdpOverhead", 28},
    {"kMaxUdpPayload", 65507},
    {"kMaxControlPacket", 1400},
    {"kMaxNameBytes", 64},
    {"kMinSymbolSize", 256},
    {"kMaxSymbolSize", 65479},
    {"kMaxChunkSize", 67108864},
    {"kMaxSymbolsPerChunk", 65535},
    {"kFecMaxRows", 255},
    {"kTrailerSizeNone", 0},
    {"kTypeData", 1},
    {"kTypeAnnounce", 2},
    {"kTypeStatus", 3},
    {"kTypeNack", 4},
    {"kTypeAck", 5},
    {"kTypeRepairAdv", 6},
    {"kTypeCount", 7},
    {"kCodingRaw", 0},
    {"kCodingLz4", 1},
    {"kCodingCount", 2},
    {"kStreamImage", 0},
    {"kStreamManifest", 1},
    {"kStreamCount", 2},
    {"kPhaseWaiting", 1},
    {"kPhaseSending", 2},
    {"kPhaseRepairing", 3},
    {"kPhaseEnded", 4},
    {"kPhaseCount", 5},
    {"kReceiverJoined", 1},
    {"kReceiverReceiving", 2},
    {"kReceiverDone", 3},
    {"kReceiverFailed", 4},
    {"kReceiverCount", 5},
    {"kFailNone", 0},
    {"kFailTargetTooSmall", 1},
    {"kFailTargetIo", 2},
    {"kFailDigestMismatch", 3},
    {"kFailAborted", 4},
    {"kFailSenderEnded", 5},
    {"kFailImageRejected", 6},
    {"kFailCount", 7},
    {"kNackSourceRuns", 1},
    {"kNackStripeNeeds", 2},
    {"kNackWholeChunk", 3},
    {"kNackCount", 4},
    {"kFecNone", 0},
    {"kFecReedSolomonGf8", 1},
    {"kFecCount", 2},
    {"kStatusFlagOverloaded", 1},
    {"kSecurityNone", 0},
    {"kSecurityCount", 1},
    {"kCommonHeaderSize", 12},
    {"kOffMagic", 0},
    {"kOffVersion", 4},
    {"kOffType", 5},
    {"kOffFlags", 6},
    {"kOffSession", 8},
    {"kDataHeaderSize", 28},
    {"kOffStream", 12},
    {"kOffCoding", 13},
    {"kOffDataReserved", 14},
    {"kOffChunk", 16},
    {"kOffSymbol", 20},
    {"kOffLength", 24},
    {"kAnnounceSize", 84},
    {"kAnnounceOffPhase", 12},
    {"kAnnounceOffHeartbeat", 13},
    {"kAnnounceOffControlPort", 14},
    {"kAnnounceOffImageSize", 16},
    {"kAnnounceOffChunkSize", 24},
    {"kAnnounceOffSymbolSize", 28},
    {"kAnnounceOffStripeSize", 30},
    {"kAnnounceOffChunkCount", 32},
    {"kAnnounceOffManifestSize", 36},
    {"kAnnounceOffProgress", 40},
    {"kAnnounceOffRateKiB", 44},
    {"kAnnounceOffManifestDigest", 48},
    {"kAnnounceOffGroupSize", 80},
    {"kAnnounceOffNackBackoffMs", 82},
    {"kStatusFixedSize", 48},
    {"kStatusFixedOffReceiverId", 12},
    {"kStatusFixedOffState", 16},
    {"kStatusFixedOffReason", 17},
    {"kStatusFixedOffNameLength", 18},
    {"kStatusFixedOffStatusFlags", 19},
    {"kStatusFixedOffChunksDone", 20},
    {"kStatusFixedOffCapacity", 24},
    {"kStatusFixedOffPackets", 32},
    {"kStatusFixedOffMalformed", 40},
    {"kStatusFixedOffDuplicates", 44},
    {"kNackFixedSize", 20},
    {"kNackFixedOffReceiverId", 12},
    {"kNackFixedOffCount", 16},
    {"kNackFixedOffReserved", 18},
    {"kNackEntrySize", 8},
    {"kNackEntryOffStream", 0},
    {"kNackEntryOffKind", 1},
    {"kNackEntryOffCount", 2},
    {"kNackEntryOffChunk", 4},
    {"kPairSize", 4},
    {"kPairOffA", 0},
    {"kPairOffB", 2},
    {"kAckSize", 20},
    {"kAckOffReceiverId", 12},
    {"kAckOffState", 16},
    {"kAckOffReserved", 17},
    {"kAckOffReserved2", 18},
    {"kRepairAdvFixedSize", 20},
    {"kRepairAdvFixedOffStream", 12},
    {"kRepairAdvFixedOffReserved", 13},
    {"kRepairAdvFixedOffCount", 14},
    {"kRepairAdvFixedOffChunk", 16},
};

}  // namespace wire
}  // namespace blockcast
