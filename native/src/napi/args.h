// Positional-argument checks for the codec and writer functions JS calls:
// a wrong type is a TypeError naming the argument.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace blockcast {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1: exact in a JS number

// An integer from 0 to max (at most kMaxSafeInteger); anything else is a
// TypeError or RangeError naming the argument.
inline double numberArg(const Napi::CallbackInfo& info, size_t i, const char* name, double max) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= max) || v != double(int64_t(v)))
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be an integer from 0 to " + std::to_string(int64_t(max)));
  return v;
}

inline Napi::Buffer<uint8_t> bufferArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsBuffer()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Buffer");
  return info[i].As<Napi::Buffer<uint8_t>>();
}

}  // namespace blockcast
