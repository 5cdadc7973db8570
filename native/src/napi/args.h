// Positional-argument checks for the codec and writer functions JS calls:
// a wrong type is a TypeError naming the argument.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace blockcast {

inline Napi::Buffer<uint8_t> bufferArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsBuffer()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Buffer");
  return info[i].As<Napi::Buffer<uint8_t>>();
}

}  // namespace blockcast
