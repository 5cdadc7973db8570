// The DATA header as the engines see it: built in exactly one function and
// parsed in exactly one, both through the generated wire.h (the field table
// of src/protocol/wire.ts), so no offset is written by hand here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/wire.h"

namespace blockcast {

struct DataHeader {
  uint32_t session = 0;
  uint8_t stream = 0;
  uint8_t coding = 0;   // kCodingRaw or kCodingLz4
  uint32_t chunk = 0;
  uint32_t symbol = 0;  // source symbol, or a repair id (repairSymbolId in wire.h)
  uint32_t length = 0;  // the chunk's length on the wire
};

// Writes kDataHeaderSize bytes: the common header (type DATA, no flags) and
// the DATA fields, reserved bytes zero.
inline void writeDataHeader(uint8_t* p, const DataHeader& h) {
  wire::write(p, wire::DataHeader{{kMagic, kVersion, kTypeData, 0, h.session}, h.stream, h.coding, h.chunk, h.symbol, h.length});
}

// Extracts the fields of a datagram of `len` bytes whose common header (magic,
// version, type DATA) the caller has checked. False if it is too short for
// the header, sets flags or reserved bits, or names an unknown coding.
inline bool readDataHeader(const uint8_t* p, size_t len, DataHeader* h) {
  wire::DataHeader w;
  if (len < kDataHeaderSize || !wire::read(p, &w) || w.head.flags != 0 || w.coding >= kCodingCount) return false;
  *h = DataHeader{w.head.session, w.stream, w.coding, w.chunk, w.symbol, w.length};
  return true;
}

}  // namespace blockcast
