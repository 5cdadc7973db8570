// GENERATED from src/protocol/wire.ts by scripts/wire-header.ts: do not edit.
// Regenerate with `npm run gen:wire`; test/protocol/wire.test.ts fails when
// this file is stale. docs/PROTOCOL.md explains every field.
// Every constant and enum of the protocol; wire_layouts.h has a struct per
// packet layout.
#pragma once

#include <cstddef>
#include <cstdint>

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
constexpr uint8_t kVersion = 5u;
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
constexpr uint32_t kSealSeqSize = 8u;
constexpr uint32_t kSealTagSize = 16u;
constexpr uint32_t kSealTrailerSize = 24u;
constexpr uint32_t kSealNonceSize = 12u;
constexpr uint32_t kSealKeySize = 32u;
constexpr uint32_t kSignatureSize = 64u;
constexpr uint32_t kNonceSize = 16u;
constexpr uint32_t kReplayWindowData = 4096u;
constexpr uint32_t kReplayWindowControl = 256u;
constexpr uint32_t kSealOriginSenderData = 0u;
constexpr uint32_t kSealOriginSenderControl = 1u;
constexpr uint32_t kSealOriginReceiver = 0u;
constexpr int kTypeCount = 7;
constexpr int kCodingCount = 3;
constexpr int kStreamCount = 2;
constexpr int kPhaseCount = 5;
constexpr int kReceiverCount = 5;
constexpr int kFailCount = 7;
constexpr int kNackCount = 4;
constexpr int kFecCount = 2;
constexpr int kAnnounceFlagCount = 2;
constexpr int kCipherCount = 4;
constexpr size_t kCommonHeaderSize = 12u;
constexpr size_t kOffMagic = 0u;
constexpr size_t kOffVersion = 4u;
constexpr size_t kOffType = 5u;
constexpr size_t kOffFlags = 6u;
constexpr size_t kOffSession = 8u;
constexpr size_t kDataHeaderSize = 28u;
constexpr size_t kOffStream = 12u;
constexpr size_t kOffCoding = 13u;
constexpr size_t kOffSeq = 14u;
constexpr size_t kOffChunk = 16u;
constexpr size_t kOffSymbol = 20u;
constexpr size_t kOffLength = 24u;
constexpr size_t kAnnounceSize = 112u;
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
constexpr size_t kAnnounceOffCipher = 84u;
constexpr size_t kAnnounceOffReserved = 85u;
constexpr size_t kAnnounceOffReserved2 = 86u;
constexpr size_t kAnnounceOffSalt = 88u;
constexpr size_t kAnnounceOffStreamFlags = 104u;
constexpr size_t kAnnounceOffReserved3 = 105u;
constexpr size_t kAnnounceOffSegmentChunks = 106u;
constexpr size_t kAnnounceOffSegments = 108u;
constexpr size_t kStatusFixedSize = 84u;
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
constexpr size_t kStatusFixedOffNonce = 48u;
constexpr size_t kStatusFixedOffDataBytes = 64u;
constexpr size_t kStatusFixedOffSequenced = 72u;
constexpr size_t kStatusFixedOffClockMs = 80u;
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
constexpr size_t kAckSize = 36u;
constexpr size_t kAckOffReceiverId = 12u;
constexpr size_t kAckOffState = 16u;
constexpr size_t kAckOffReserved = 17u;
constexpr size_t kAckOffReserved2 = 18u;
constexpr size_t kAckOffNonce = 20u;
constexpr size_t kRepairAdvFixedSize = 20u;
constexpr size_t kRepairAdvFixedOffStream = 12u;
constexpr size_t kRepairAdvFixedOffReserved = 13u;
constexpr size_t kRepairAdvFixedOffCount = 14u;
constexpr size_t kRepairAdvFixedOffChunk = 16u;
constexpr size_t kLz4PrefixSize = 4u;
constexpr size_t kLz4PrefixOffRawLength = 0u;

// Wire enums. Append-only: never renumber or reuse a value.
enum WirePacketType : uint8_t {
  kTypeData = 1,
  kTypeAnnounce = 2,
  kTypeStatus = 3,
  kTypeNack = 4,
  kTypeAck = 5,
  kTypeRepairAdv = 6,
};
enum WireCoding : uint8_t {
  kCodingRaw = 0,
  kCodingLz4 = 1,
  kCodingZstd = 2,
};
enum WireStream : uint8_t {
  kStreamImage = 0,
  kStreamManifest = 1,
};
enum WirePhase : uint8_t {
  kPhaseWaiting = 1,
  kPhaseSending = 2,
  kPhaseRepairing = 3,
  kPhaseEnded = 4,
};
enum WireReceiverState : uint8_t {
  kReceiverJoined = 1,
  kReceiverReceiving = 2,
  kReceiverDone = 3,
  kReceiverFailed = 4,
};
enum WireFailReason : uint8_t {
  kFailNone = 0,
  kFailTargetTooSmall = 1,
  kFailTargetIo = 2,
  kFailDigestMismatch = 3,
  kFailAborted = 4,
  kFailSenderEnded = 5,
  kFailImageRejected = 6,
};
enum WireNackKind : uint8_t {
  kNackSourceRuns = 1,
  kNackStripeNeeds = 2,
  kNackWholeChunk = 3,
};
enum WireFecScheme : uint8_t {
  kFecNone = 0,
  kFecReedSolomonGf8 = 1,
};
enum WireStatusFlag : uint8_t {
  kStatusFlagOverloaded = 1,
};
enum WireAnnounceFlag : uint8_t {
  kAnnounceFlagStream = 1,
};
enum WireHeaderFlag : uint8_t {
  kFlagSealed = 1,
  kFlagEncrypted = 2,
  kFlagSigned = 4,
};
enum WireCipher : uint8_t {
  kCipherNone = 0,
  kCipherAes256Gcm = 1,
  kCipherChaCha20Poly1305 = 2,
  kCipherAegis256 = 3,
};

// Repair symbol ids: bit 31, the stripe in bits 16..30, the parity index in bits 0..15.
constexpr bool isRepairSymbol(uint32_t id) { return (id & kRepairBit) != 0; }
constexpr uint32_t repairSymbolId(uint32_t stripe, uint32_t index) {
  return kRepairBit | (stripe << kRepairStripeShift) | (index & kRepairIndexMask);
}
constexpr uint32_t repairStripe(uint32_t id) { return (id & ~kRepairBit) >> kRepairStripeShift; }
constexpr uint32_t repairIndex(uint32_t id) { return id & kRepairIndexMask; }

}  // namespace blockcast

#include "core/wire_layouts.h"
