// Chunk coding 2 (docs/PROTOCOL.md): one zstd frame (RFC 8878) whose header
// states the chunk's raw length. Plain C++ over libzstd, so that the chunk
// workers (napi/zstd_js.cc) and any native decode path can call it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace blockcast {

// "libzstd 1.5.4", or nullptr when the addon was built without libzstd.
const char* zstdVersion();

// The compression levels compress() accepts (both 0 without libzstd).
int zstdMinLevel();
int zstdMaxLevel();

// One frame of src[0, n) at `level`, with its content size, into dst; the
// frame's length, or 0 when it would not fit in `capacity` bytes (the caller
// then sends the chunk raw) or the level is out of range.
size_t zstdCompress(const uint8_t* src, size_t n, uint8_t* dst, size_t capacity, int level);

// Decodes src[0, n) into dst[0, length): true only when src is exactly one
// frame whose header states `length` and whose blocks decode to exactly
// `length` bytes. Never reads or writes outside the two ranges, whatever src
// holds.
bool zstdDecompress(const uint8_t* src, size_t n, uint8_t* dst, size_t length);

}  // namespace blockcast
