// JS access to the FEC codec, for tests and benchmarks (the data path uses it
// natively, never through JS).
#pragma once

#include <napi.h>

namespace blockcast {

Napi::Object FecExports(Napi::Env env);

}  // namespace blockcast
