// Chunk coding 1 (docs/PROTOCOL.md) is an LZ4 block preceded by its raw size
// (wire::Lz4Prefix, a little-endian u32), the layout lz4-napi produces. liblz4 encodes it
// ~2.4x and decodes it ~3.5x faster than lz4-napi on this machine (lz4 -b on
// system libraries: 711 / 3900 MB/s against 293 / 1103), which matters on
// receivers: they decode every chunk, and share a CPU with the kernel.
#include "napi/lz4_js.h"

#include <cstdint>
#include <limits>
#include <string>

#include "core/wire.h"
#include "napi/args.h"

#ifdef BLOCKCAST_HAVE_LZ4
#include <lz4.h>
#endif

namespace blockcast {

#ifdef BLOCKCAST_HAVE_LZ4
namespace {

constexpr size_t kPrefix = kLz4PrefixSize;

// compress(src, dst) -> bytes written to dst (prefix + block), or 0 when the
// block would not fit in dst (the caller then sends the chunk raw).
Napi::Value Compress(const Napi::CallbackInfo& info) {
  auto src = bufferArg(info, 0, "src");
  auto dst = bufferArg(info, 1, "dst");
  if (src.Length() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) throw Napi::RangeError::New(info.Env(), "src too large for LZ4");
  if (dst.Length() <= kPrefix) return Napi::Number::New(info.Env(), 0);
  size_t room = dst.Length() - kPrefix;
  int cap = room > static_cast<size_t>(std::numeric_limits<int>::max()) ? std::numeric_limits<int>::max() : static_cast<int>(room);
  int n = LZ4_compress_default(reinterpret_cast<const char*>(src.Data()), reinterpret_cast<char*>(dst.Data() + kPrefix),
                               static_cast<int>(src.Length()), cap);
  if (n <= 0) return Napi::Number::New(info.Env(), 0);
  wire::write(dst.Data(), wire::Lz4Prefix{static_cast<uint32_t>(src.Length())});
  return Napi::Number::New(info.Env(), static_cast<double>(kPrefix + static_cast<size_t>(n)));
}

// decompress(src, dst) -> raw bytes written to dst, or -1 when src is not a
// well-formed block whose stated size is exactly dst's length. LZ4_decompress_safe
// never reads or writes outside the buffers, whatever the input.
Napi::Value Decompress(const Napi::CallbackInfo& info) {
  auto src = bufferArg(info, 0, "src");
  auto dst = bufferArg(info, 1, "dst");
  auto fail = Napi::Number::New(info.Env(), -1);
  if (src.Length() < kPrefix || src.Length() - kPrefix > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) return fail;
  if (dst.Length() > static_cast<size_t>(std::numeric_limits<int>::max())) return fail;
  const uint8_t* p = src.Data();
  wire::Lz4Prefix prefix;
  wire::read(p, &prefix);
  uint32_t stated = prefix.rawLength;
  if (stated != dst.Length()) return fail;
  int n = LZ4_decompress_safe(reinterpret_cast<const char*>(p + kPrefix), reinterpret_cast<char*>(dst.Data()),
                              static_cast<int>(src.Length() - kPrefix), static_cast<int>(dst.Length()));
  if (n < 0 || static_cast<uint32_t>(n) != stated) return fail;
  return Napi::Number::New(info.Env(), n);
}

}  // namespace

const char* Lz4Version() {
  static const std::string text = std::string("liblz4 ") + LZ4_versionString();
  return text.c_str();
}

Napi::Value Lz4Exports(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("backend", Napi::String::New(env, Lz4Version()));
  o.Set("compress", Napi::Function::New(env, Compress, "compress"));
  o.Set("decompress", Napi::Function::New(env, Decompress, "decompress"));
  return o;
}
#else
const char* Lz4Version() { return nullptr; }
Napi::Value Lz4Exports(Napi::Env env) { return env.Undefined(); }
#endif

}  // namespace blockcast
