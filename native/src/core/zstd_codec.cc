// libzstd's one-shot API with a context per thread: the chunk workers are
// threads, and a context is ~100 KB (decode) to a few MB (compress at high
// levels) that is worth keeping between 1 MiB chunks.
#include "core/zstd_codec.h"

#ifdef BLOCKCAST_HAVE_ZSTD
#include <zstd.h>

#include <memory>
#include <string>

namespace blockcast {
namespace {

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_CCtx* threadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> c(ZSTD_createCCtx());
  return c.get();
}

ZSTD_DCtx* threadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> d(ZSTD_createDCtx());
  return d.get();
}

}  // namespace

const char* zstdVersion() {
  static const std::string text = std::string("libzstd ") + ZSTD_versionString();
  return text.c_str();
}

int zstdMinLevel() { return 1; }
int zstdMaxLevel() { return ZSTD_maxCLevel(); }

size_t zstdCompress(const uint8_t* src, size_t n, uint8_t* dst, size_t capacity, int level) {
  ZSTD_CCtx* c = threadCCtx();
  if (!c || level < zstdMinLevel() || level > zstdMaxLevel() || capacity == 0) return 0;
  ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
  // The content size goes in the frame header (libzstd's default, stated
  // here because receivers refuse a frame without it).
  if (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1)))
    return 0;
  size_t r = ZSTD_compress2(c, dst, capacity, src, n);
  return ZSTD_isError(r) ? 0 : r;
}

bool zstdDecompress(const uint8_t* src, size_t n, uint8_t* dst, size_t length) {
  ZSTD_DCtx* d = threadDCtx();
  if (!d || n == 0 || length == 0) return false;
  // Exactly one frame, and it states this length: no trailing bytes, no
  // second frame, no skippable frame, no frame of unknown size.
  if (ZSTD_findFrameCompressedSize(src, n) != n) return false;
  if (ZSTD_getFrameContentSize(src, n) != static_cast<unsigned long long>(length)) return false;
  // Into a flat buffer of `length` bytes: more output is dstSize_tooSmall,
  // less (a header that lies) is corruption_detected.
  size_t r = ZSTD_decompressDCtx(d, dst, length, src, n);
  return !ZSTD_isError(r) && r == length;
}

}  // namespace blockcast

// Debian's libzstd.a is built with tracing hooks: weak undefined
// ZSTD_trace_* symbols that would bind to whatever the process exports
// under those names (Node bundles a zstd of its own from v23). Defining
// them here, hidden and inert, keeps every zstd symbol inside the addon.
extern "C" {
__attribute__((visibility("hidden"))) unsigned long long ZSTD_trace_compress_begin(const void*) { return 0; }
__attribute__((visibility("hidden"))) void ZSTD_trace_compress_end(unsigned long long, const void*) {}
__attribute__((visibility("hidden"))) unsigned long long ZSTD_trace_decompress_begin(const void*) { return 0; }
__attribute__((visibility("hidden"))) void ZSTD_trace_decompress_end(unsigned long long, const void*) {}
}
#else
namespace blockcast {
const char* zstdVersion() { return nullptr; }
int zstdMinLevel() { return 0; }
int zstdMaxLevel() { return 0; }
size_t zstdCompress(const uint8_t*, size_t, uint8_t*, size_t, int) { return 0; }
bool zstdDecompress(const uint8_t*, size_t, uint8_t*, size_t) { return false; }
}  // namespace blockcast
#endif
