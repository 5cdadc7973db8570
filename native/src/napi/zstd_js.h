// zstd chunk codec for the chunk workers, from libzstd when it is installed.
#pragma once

#include <napi.h>

namespace blockcast {

// { backend, minLevel, maxLevel, compress(src, dst, level), decompress(src, dst) },
// or undefined when the addon was built without libzstd (zstd-coded chunks
// then cannot be made or read, and say so).
Napi::Value ZstdExports(Napi::Env env);

}  // namespace blockcast
