// File-system helpers Node does not offer: finding data in sparse files
// (SEEK_DATA) and zeroing ranges without writing zeros (fallocate, BLKZEROOUT).
#pragma once

#include <napi.h>

namespace blockcast {

Napi::Object FsExports(Napi::Env env);

}  // namespace blockcast
