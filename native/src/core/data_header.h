// The DATA header, built in exactly one function and parsed in exactly one,
// so the wire layout (protocol.h today, a generated header later) is named
// nowhere else in the engines.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol.h"

namespace blockcast {

struct DataHeader {
  uint32_t session = 0;
  uint8_t stream = 0;
  uint8_t coding = 0;  // kCodingRaw or kCodingLz4
  uint32_t chunk = 0;
  uint32_t symbol = 0;  // source symbol, or a repair id (core/symbol_id.h)
  uint32_t length = 0;  // the chunk's length on the wire
};

// Writes kDataHeaderSize bytes: common header (type DATA, no flags) and the
// DATA fields, reserved bytes zero.
inline void writeDataHeader(uint8_t* p, const DataHeader& h) {
  store32(p + kOffMagic, kMagic);
  p[kOffVersion] = kVersion;
  p[kOffType] = kTypeData;
  store16(p + kOffFlags, 0);
  store32(p + kOffSession, h.session);
  p[kOffStream] = h.stream;
  p[kOffCoding] = h.coding;
  store16(p + kOffDataReserved, 0);
  store32(p + kOffChunk, h.chunk);
  store32(p + kOffSymbol, h.symbol);
  store32(p + kOffLength, h.length);
}

// Extracts the fields of a datagram of `len` bytes whose common header (magic,
// version, type DATA) the caller has checked. False if it is too short for
// the header, sets flags or reserved bits, or names an unknown coding.
inline bool readDataHeader(const uint8_t* p, size_t len, DataHeader* h) {
  if (len < kDataHeaderSize || load16(p + kOffFlags) != 0 || load16(p + kOffDataReserved) != 0 ||
      p[kOffCoding] >= kCodingCount)
    return false;
  h->session = load32(p + kOffSession);
  h->stream = p[kOffStream];
  h->coding = p[kOffCoding];
  h->chunk = load32(p + kOffChunk);
  h->symbol = load32(p + kOffSymbol);
  h->length = load32(p + kOffLength);
  return true;
}

}  // namespace blockcast
