// One chunk's wire bytes to its raw bytes, by the chunk's coding
// (docs/PROTOCOL.md, "Chunk codings"). A coding is one case of a switch:
// a new codec (zstd) adds a case and nothing else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace blockcast {

struct DecodedChunk {
  /** The raw bytes: the wire bytes themselves for a raw chunk (no copy), else `scratch`. */
  const uint8_t* data = nullptr;
  /** Empty when decoding worked; else why the wire bytes are not a chunk of rawLength bytes. */
  std::string error;
  bool ok() const { return error.empty(); }
};

/**
 * Decodes `wire` (coded as `coding`) into exactly `rawLength` raw bytes,
 * using `scratch` (at least `rawLength` bytes) when the coding needs room.
 * Never reads or writes outside the given buffers, whatever the input.
 */
DecodedChunk decodeChunk(uint8_t coding, const uint8_t* wire, size_t wireLength, uint8_t* scratch, size_t scratchLength,
                         size_t rawLength);

/** Whether this build decodes `coding` natively. */
bool decodesNatively(uint8_t coding);

}  // namespace blockcast
