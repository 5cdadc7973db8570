// core/zstd_codec's size bounds: only one frame that states and decodes to
// exactly the chunk's length is accepted; anything else (a length off by
// one either way, a header that lies, no content size, trailing bytes, a
// second frame, a skippable frame, truncation, garbage) is refused, and
// nothing is written outside the caller's buffer.
#include <cstring>
#include <random>
#include <vector>

#include "check.h"
#include "core/zstd_codec.h"

#if __has_include(<zstd.h>)
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getFrameHeader: the addon links libzstd.a
#include <zstd.h>
#define HAVE_ZSTD_H 1
#endif

using namespace blockcast;

namespace {

constexpr size_t kChunk = 1 << 20;
constexpr uint8_t kCanary = 0xC5;

std::vector<uint8_t> mixedChunk() {
  std::vector<uint8_t> raw(kChunk);
  std::mt19937 rng(7);
  const char* text = "inode extent journal superblock bitmap ";
  for (size_t i = 0; i < kChunk / 2; i++) raw[i] = static_cast<uint8_t>(text[i % std::strlen(text)]);
  for (size_t i = kChunk / 2; i < kChunk; i++) raw[i] = static_cast<uint8_t>(rng());
  return raw;
}

std::vector<uint8_t> frameOf(const std::vector<uint8_t>& raw, int level = 3) {
  std::vector<uint8_t> out(raw.size());
  size_t n = zstdCompress(raw.data(), raw.size(), out.data(), out.size(), level);
  out.resize(n);
  return out;
}

// Decodes into `length` bytes followed by canaries; false if the decoder
// refused, and a failed check if it wrote past `length`.
bool decodeInto(const std::vector<uint8_t>& src, size_t length, std::vector<uint8_t>* out = nullptr) {
  std::vector<uint8_t> dst(length + 64, kCanary);
  bool ok = zstdDecompress(src.data(), src.size(), dst.data(), length);
  for (size_t i = length; i < dst.size(); i++) CHECK(dst[i] == kCanary);
  dst.resize(length);
  if (out) *out = dst;
  return ok;
}

}  // namespace

void zstdTests() {
  if (!zstdVersion()) {
    std::printf("zstd tests skipped: built without libzstd\n");
    return;
  }
  const auto raw = mixedChunk();
  const auto frame = frameOf(raw);
  CHECK(!frame.empty() && frame.size() < raw.size() * 3 / 4);
  std::vector<uint8_t> back;
  CHECK(decodeInto(frame, kChunk, &back) && back == raw);

  // The length the caller expects, off by one either way, and zero.
  CHECK(!decodeInto(frame, kChunk - 1));
  CHECK(!decodeInto(frame, kChunk + 1));
  CHECK(!zstdDecompress(frame.data(), frame.size(), back.data(), 0));

  // Not exactly one frame: trailing bytes, a second frame, truncated, empty.
  auto trailing = frame;
  trailing.push_back(0);
  CHECK(!decodeInto(trailing, kChunk));
  auto twice = frame;
  twice.insert(twice.end(), frame.begin(), frame.end());
  CHECK(!decodeInto(twice, kChunk));
  CHECK(!decodeInto(twice, 2 * kChunk));
  CHECK(!decodeInto(std::vector<uint8_t>(frame.begin(), frame.end() - 1), kChunk));
  CHECK(!decodeInto(std::vector<uint8_t>(frame.begin(), frame.begin() + frame.size() / 2), kChunk));
  CHECK(!decodeInto({}, kChunk));

  // A skippable frame (magic 0x184D2A50, u32 length) alone and before the frame.
  std::vector<uint8_t> skippable = {0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 1, 2, 3, 4};
  CHECK(!decodeInto(skippable, kChunk));
  auto skipThenFrame = skippable;
  skipThenFrame.insert(skipThenFrame.end(), frame.begin(), frame.end());
  CHECK(!decodeInto(skipThenFrame, kChunk));

  // Garbage, and the frame with its blocks overwritten by garbage.
  std::mt19937 rng(11);
  std::vector<uint8_t> junk(4096);
  for (auto& b : junk) b = static_cast<uint8_t>(rng());
  CHECK(!decodeInto(junk, kChunk));
  auto mangled = frame;
  for (size_t i = 16; i < mangled.size(); i++) mangled[i] = static_cast<uint8_t>(rng());
  CHECK(!decodeInto(mangled, kChunk));

  // Levels out of range make nothing; a frame that does not fit makes nothing.
  std::vector<uint8_t> out(kChunk);
  CHECK(zstdCompress(raw.data(), raw.size(), out.data(), out.size(), 0) == 0);
  CHECK(zstdCompress(raw.data(), raw.size(), out.data(), out.size(), zstdMaxLevel() + 1) == 0);
  CHECK(zstdCompress(raw.data(), raw.size(), out.data(), 16, 3) == 0);

#ifdef HAVE_ZSTD_H
  // A frame without its content size.
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
  size_t n = ZSTD_compress2(c, out.data(), out.size(), raw.data(), raw.size());
  ZSTD_freeCCtx(c);
  CHECK(!ZSTD_isError(n));
  CHECK(!decodeInto(std::vector<uint8_t>(out.begin(), out.begin() + static_cast<long>(n)), kChunk));

  // A header that lies: its 4-byte content size (the header's last field,
  // for a 1 MiB frame) says one byte less or more than the blocks decode to.
  ZSTD_frameHeader h;
  CHECK(ZSTD_getFrameHeader(&h, frame.data(), frame.size()) == 0 && h.frameContentSize == kChunk);
  for (size_t stated : {kChunk - 1, kChunk + 1}) {
    auto lie = frame;
    uint32_t v = static_cast<uint32_t>(stated);
    std::memcpy(lie.data() + h.headerSize - 4, &v, 4);
    CHECK(ZSTD_getFrameContentSize(lie.data(), lie.size()) == stated);
    CHECK(!decodeInto(lie, stated));
  }
#endif
}
