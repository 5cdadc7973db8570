// JS access to the file-system helpers in core/fsutil.h.
#pragma once

#include <napi.h>

namespace blockcast {

Napi::Object FsExports(Napi::Env env);

}  // namespace blockcast
