// Module exports only: the Sender and Receiver classes, the wire constants
// that test/protocol compares with src/protocol/wire.ts, and
// the FEC codec for tests and benchmarks, file-system helpers, the LZ4
// and zstd codecs the chunk workers use when liblz4 and libzstd are
// installed, the native chunk writer (decode, verify, write) with its
// BLAKE3, which seal ciphers this build can use, and the versions of the
// libraries it uses.
#include <napi.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "napi/chunk_writer_js.h"
#include "napi/fec_js.h"
#include "napi/fsutil_js.h"
#include "napi/lz4_js.h"
#include "napi/seal_js.h"
#include "napi/wire_names.h"
#include "napi/zstd_js.h"
#include "core/fec.h"
#include "core/seal.h"
#include "core/zstd_codec.h"
#include "core/wire.h"
#include "napi/rx_binding.h"
#include "napi/tx_binding.h"

namespace {

// tuneMalloc(): allocations of 128 KiB and more get their own mappings,
// returned to the system when freed. glibc otherwise raises that threshold
// to the largest block freed so far, and then keeps compressed-chunk
// buffers (allocated on libuv threads, freed on others) in per-thread arenas
// it never trims: measured ~100 MB of a sender's peak RSS on a 2 GiB image.
// For the CLI, which owns its process; a library user decides for theirs.
Napi::Value TuneMalloc(const Napi::CallbackInfo& info) {
#ifdef __GLIBC__
  bool ok = mallopt(M_MMAP_THRESHOLD, 128 * 1024) == 1;
  return Napi::Boolean::New(info.Env(), ok);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

// versions: the libraries this build uses, by role, for `blockcast --version`
// (a role without a library is left out).
Napi::Object Versions(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("fec", blockcast::fec::backendVersion());
  if (const char* lz4 = blockcast::Lz4Version()) o.Set("lz4", lz4);
  if (const char* seal = blockcast::sealBackendVersion()) o.Set("seal", seal);
  if (const char* zstd = blockcast::zstdVersion()) o.Set("zstd", zstd);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace blockcast;
  exports.Set("Sender", Sender::Init(env));
  exports.Set("Receiver", Receiver::Init(env));
  // Every wire constant by its C name, as generated from src/protocol/wire.ts:
  // test/protocol/wire.test.ts checks each against TypeScript.
  Napi::Object w = Napi::Object::New(env);
  for (const auto& c : wire::kConstants) w.Set(c.name, Napi::Number::New(env, c.value));
  exports.Set("wire", w);
  exports.Set("fec", FecExports(env));
  exports.Set("fs", FsExports(env));
  exports.Set("lz4", Lz4Exports(env));
  exports.Set("zstd", ZstdExports(env));
  exports.Set("chunk", ChunkExports(env));
  exports.Set("seal", SealExports(env));
  exports.Set("versions", Versions(env));
  exports.Set("tuneMalloc", Napi::Function::New(env, TuneMalloc, "tuneMalloc"));
  return exports;
}

}  // namespace

NODE_API_MODULE(blockcast_native, Init)
