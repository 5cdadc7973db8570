#include "core/chunk_codec.h"

#include <limits>

#include "core/wire.h"
#include "core/zstd_codec.h"

#ifdef BLOCKCAST_HAVE_LZ4
#include <lz4.h>
#endif

namespace blockcast {

namespace {

#ifdef BLOCKCAST_HAVE_LZ4
// An LZ4 block preceded by its raw size (wire::Lz4Prefix, u32 LE). The stated
// size is checked before decoding, so a corrupt block cannot make the
// decoder write past the chunk.
std::string decodeLz4(const uint8_t* wire, size_t wireLength, uint8_t* dst, size_t rawLength) {
  if (wireLength < kLz4PrefixSize) return "LZ4 chunk shorter than its size prefix";
  wire::Lz4Prefix prefix;
  wire::read(wire, &prefix);
  if (prefix.rawLength != rawLength) return "LZ4 block states the wrong raw size";
  size_t body = wireLength - kLz4PrefixSize;
  constexpr size_t kIntMax = size_t(std::numeric_limits<int>::max());
  if (body > kIntMax || rawLength > kIntMax) return "LZ4 chunk too large";
  int n = LZ4_decompress_safe(reinterpret_cast<const char*>(wire + kLz4PrefixSize), reinterpret_cast<char*>(dst), int(body),
                              int(rawLength));
  if (n < 0 || size_t(n) != rawLength) return "LZ4 block does not decode";
  return {};
}
#endif

}  // namespace

bool decodesNatively(uint8_t coding) {
  switch (coding) {
    case kCodingRaw:
      return true;
#ifdef BLOCKCAST_HAVE_LZ4
    case kCodingLz4:
      return true;
#endif
#ifdef BLOCKCAST_HAVE_ZSTD
    case kCodingZstd:
      return true;
#endif
    default:
      return false;
  }
}

DecodedChunk decodeChunk(uint8_t coding, const uint8_t* wire, size_t wireLength, uint8_t* scratch, size_t scratchLength,
                         size_t rawLength) {
  DecodedChunk out;
  switch (coding) {
    case kCodingRaw:
      if (wireLength != rawLength)
        out.error = "raw chunk of " + std::to_string(wireLength) + " bytes, expected " + std::to_string(rawLength);
      else
        out.data = wire;
      return out;
#ifdef BLOCKCAST_HAVE_LZ4
    case kCodingLz4:
      if (scratchLength < rawLength) {
        out.error = "no room to decode the chunk";
        return out;
      }
      out.error = decodeLz4(wire, wireLength, scratch, rawLength);
      if (out.ok()) out.data = scratch;
      return out;
#endif
#ifdef BLOCKCAST_HAVE_ZSTD
    case kCodingZstd:
      // One frame stating exactly rawLength, decoded to exactly that (zstd_codec.h).
      if (scratchLength < rawLength) {
        out.error = "no room to decode the chunk";
        return out;
      }
      if (zstdDecompress(wire, wireLength, scratch, rawLength))
        out.data = scratch;
      else
        out.error = "zstd frame is malformed or does not decode to " + std::to_string(rawLength) + " bytes";
      return out;
#endif
    default:
      out.error = "unknown coding " + std::to_string(coding);
      return out;
  }
}

}  // namespace blockcast
