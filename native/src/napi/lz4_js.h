// LZ4 block codec for the chunk workers, from liblz4 when it is installed.
#pragma once

#include <napi.h>

namespace blockcast {

// { backend, compress(src, dst), decompress(src, dst) }, or undefined when
// the addon was built without liblz4 (the workers then use lz4-napi).
Napi::Value Lz4Exports(Napi::Env env);
// "liblz4 1.9.4", or null without liblz4.
const char* Lz4Version();

}  // namespace blockcast
