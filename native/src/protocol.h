// Wire protocol v2 constants shared by the native sender and receiver.
// docs/PROTOCOL.md is the source of truth; src/protocol/constants.ts mirrors
// these values and test/protocol checks the two agree via the addon's exports.
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
inline void store16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
inline void store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (8 * i));
}

constexpr uint32_t kMagic = 0x314B4342;  // bytes "BCK1"
constexpr uint8_t kVersion = 2;

// Packet types. Append-only: never renumber or reuse a value.
enum PacketType : uint8_t {
  kTypeData = 1,      // sender -> group: one symbol of one chunk
  kTypeAnnounce = 2,  // sender -> group: session geometry and progress
  kTypeStatus = 3,    // receiver -> sender: state report
  kTypeNack = 4,      // receiver -> sender: missing symbols
  kTypeAck = 5,       // sender -> receiver: acknowledges a status report
  kTypeRepairAdv = 6, // sender -> group: the repair it is about to send (NACK suppression)
};

// Common header: magic u32, version u8, type u8, flags u16, session u32.
constexpr size_t kCommonHeaderSize = 12;
constexpr size_t kOffMagic = 0;
constexpr size_t kOffVersion = 4;
constexpr size_t kOffType = 5;
constexpr size_t kOffFlags = 6;
constexpr size_t kOffSession = 8;

// DATA header continues: stream u8, coding u8, reserved u16, chunk u32,
// symbol u32, and the chunk's length on the wire u32 (compressed chunks vary,
// so every symbol says how long its chunk is).
constexpr size_t kOffStream = 12;
constexpr size_t kOffCoding = 13;
constexpr size_t kOffDataReserved = 14;
constexpr size_t kOffChunk = 16;
constexpr size_t kOffSymbol = 20;
constexpr size_t kOffLength = 24;
constexpr size_t kDataHeaderSize = 28;

// How a chunk's bytes are coded on the wire. Append-only.
enum Coding : uint8_t {
  kCodingRaw = 0,  // the chunk's bytes as they are
  kCodingLz4 = 1,  // an LZ4 block preceded by the raw length (u32 LE)
};
constexpr uint8_t kCodingCount = 2;

// Symbol ids below kRepairBit are source symbols; ids with the bit set are
// reserved for FEC repair symbols (stripe in bits 16..30, parity index in
// bits 0..15).
constexpr uint32_t kRepairBit = 0x80000000u;

// Streams: the image itself and the manifest describing it. Both are cut
// into chunks the same way and travel through the same data path.
constexpr uint8_t kStreamImage = 0;
constexpr uint8_t kStreamManifest = 1;
constexpr int kStreamCount = 2;

// Bounds on geometry the receiver accepts (protects allocation sizes).
constexpr uint32_t kMinSymbolSize = 256;
constexpr uint32_t kMaxSymbolSize = 65507 - kDataHeaderSize;
constexpr uint32_t kMaxChunkSize = 64u << 20;
constexpr uint32_t kMaxSymbolsPerChunk = 65535;

// IPv4 (20) + UDP (8) bytes in front of every datagram on the wire.
constexpr uint32_t kIpUdpOverhead = 28;

}  // namespace blockcast
