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
  uint8_t coding = 0;   // a WireCoding
  uint32_t chunk = 0;
  uint32_t symbol = 0;  // source symbol, or a repair id (repairSymbolId in wire.h)
  uint32_t length = 0;  // the chunk's length on the wire
  uint16_t flags = 0;   // kFlagSealed, kFlagEncrypted
  uint16_t seq = 0;     // the sender's DATA datagram count mod 2^16 (loss measurement)
};

// The header flags a DATA packet may carry: none in an open session;
// SEALED, and ENCRYPTED only with it, in a sealed one (docs/SECURITY.md).
inline bool dataFlagsLegal(uint16_t flags, bool sealedSession) {
  uint16_t allowed = sealedSession ? uint16_t(kFlagSealed | kFlagEncrypted) : 0;
  return (flags & ~allowed) == 0 && (!(flags & kFlagEncrypted) || (flags & kFlagSealed));
}

// Writes kDataHeaderSize bytes: the common header (type DATA, h.flags) and
// the DATA fields.
inline void writeDataHeader(uint8_t* p, const DataHeader& h) {
  wire::write(p, wire::DataHeader{{kMagic, kVersion, kTypeData, h.flags, h.session}, h.stream, h.coding, h.seq, h.chunk, h.symbol, h.length});
}

// Extracts the fields of a datagram of `len` bytes whose common header (magic,
// version, type DATA) the caller has checked. False if it is too short for
// the header, carries flags the session's mode does not allow, or names an
// unknown coding.
inline bool readDataHeader(const uint8_t* p, size_t len, DataHeader* h, bool sealedSession = false) {
  wire::DataHeader w;
  if (len < kDataHeaderSize || !wire::read(p, &w) || !dataFlagsLegal(w.head.flags, sealedSession) || w.coding >= kCodingCount)
    return false;
  *h = DataHeader{w.head.session, w.stream, w.coding, w.chunk, w.symbol, w.length, w.head.flags, w.seq};
  return true;
}

}  // namespace blockcast
