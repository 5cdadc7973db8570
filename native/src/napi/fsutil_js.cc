#include "napi/fsutil_js.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "core/fsutil.h"

namespace blockcast {

namespace {

constexpr double kMaxOffset = 9007199254740991.0;  // 2^53 - 1: exact in a JS number

int64_t offsetArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "offsets must be numbers");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= kMaxOffset)) throw Napi::RangeError::New(info.Env(), "offset out of range");
  return static_cast<int64_t>(v);
}

int fdArg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "fd must be a number");
  return info[0].As<Napi::Number>().Int32Value();
}

// seekData(fd, offset) -> offset of the first data at or after `offset`, or -1;
// seekHole(fd, offset) -> offset of the first hole at or after `offset`.
Napi::Value Seek(const Napi::CallbackInfo& info, bool (*seek)(int, int64_t, int64_t*, int*), const char* what) {
  int64_t r;
  int err;
  if (!seek(fdArg(info), offsetArg(info, 1), &r, &err))
    throw Napi::Error::New(info.Env(), std::string(what) + " failed: " + strerror(err));
  return Napi::Number::New(info.Env(), double(r));
}

Napi::Value SeekData(const Napi::CallbackInfo& info) { return Seek(info, seekData, "lseek(SEEK_DATA)"); }
Napi::Value SeekHole(const Napi::CallbackInfo& info) { return Seek(info, seekHole, "lseek(SEEK_HOLE)"); }

// zeroRange(fd, offset, length, isBlockDevice) -> { errno, method }
Napi::Value ZeroRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fdArg(info);
  int64_t offset = offsetArg(info, 1);
  int64_t length = offsetArg(info, 2);
  bool block = info.Length() > 3 && info[3].ToBoolean().Value();
  ZeroResult z = zeroRange(fd, offset, length, block);
  Napi::Object r = Napi::Object::New(env);
  r.Set("errno", Napi::Number::New(env, z.err));
  r.Set("method", Napi::String::New(env, z.method));
  return r;
}

// growPipe(fd, bytes) -> the pipe's new buffer size, or -errno
Napi::Value GrowPipe(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(growPipe(fdArg(info), offsetArg(info, 1))));
}

// setNonBlocking(fd) -> 0, or -errno
Napi::Value SetNonBlocking(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), setNonBlocking(fdArg(info)));
}

}  // namespace

Napi::Object FsExports(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("seekData", Napi::Function::New(env, SeekData, "seekData"));
  o.Set("seekHole", Napi::Function::New(env, SeekHole, "seekHole"));
  o.Set("zeroRange", Napi::Function::New(env, ZeroRange, "zeroRange"));
  o.Set("growPipe", Napi::Function::New(env, GrowPipe, "growPipe"));
  o.Set("setNonBlocking", Napi::Function::New(env, SetNonBlocking, "setNonBlocking"));
  return o;
}

}  // namespace blockcast
