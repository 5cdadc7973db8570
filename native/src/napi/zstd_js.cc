// Chunk coding 2 (docs/PROTOCOL.md): the Node-API face of core/zstd_codec.
// The caller gives both buffers: compress writes into dst (0: did not fit),
// decompress into a dst of exactly the chunk's raw length.
#include "napi/zstd_js.h"

#include <string>

#include "core/zstd_codec.h"
#include "napi/args.h"

namespace blockcast {
namespace {

// compress(src, dst, level) -> frame length written to dst, or 0 when it
// would not fit (the caller then sends the chunk raw).
Napi::Value Compress(const Napi::CallbackInfo& info) {
  auto src = bufferArg(info, 0, "src");
  auto dst = bufferArg(info, 1, "dst");
  if (info.Length() < 3 || !info[2].IsNumber()) throw Napi::TypeError::New(info.Env(), "level must be a number");
  double level = info[2].As<Napi::Number>().DoubleValue();
  if (level != static_cast<int>(level) || level < zstdMinLevel() || level > zstdMaxLevel())
    throw Napi::RangeError::New(info.Env(), "zstd level must be an integer from " + std::to_string(zstdMinLevel()) + " to " + std::to_string(zstdMaxLevel()));
  size_t n = zstdCompress(src.Data(), src.Length(), dst.Data(), dst.Length(), static_cast<int>(level));
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// decompress(src, dst) -> dst.length when src is one frame stating and
// decoding to exactly dst.length bytes, else -1.
Napi::Value Decompress(const Napi::CallbackInfo& info) {
  auto src = bufferArg(info, 0, "src");
  auto dst = bufferArg(info, 1, "dst");
  bool ok = zstdDecompress(src.Data(), src.Length(), dst.Data(), dst.Length());
  return Napi::Number::New(info.Env(), ok ? static_cast<double>(dst.Length()) : -1);
}

}  // namespace

Napi::Value ZstdExports(Napi::Env env) {
  const char* version = zstdVersion();
  if (!version) return env.Undefined();
  Napi::Object o = Napi::Object::New(env);
  o.Set("backend", Napi::String::New(env, version));
  o.Set("minLevel", Napi::Number::New(env, zstdMinLevel()));
  o.Set("maxLevel", Napi::Number::New(env, zstdMaxLevel()));
  o.Set("compress", Napi::Function::New(env, Compress, "compress"));
  o.Set("decompress", Napi::Function::New(env, Decompress, "decompress"));
  return o;
}

}  // namespace blockcast
