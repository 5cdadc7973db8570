#include "fsutil.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <algorithm>
#include <vector>

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

// seekData(fd, offset) -> offset of the first data at or after `offset`, or
// -1 if only a hole follows (ENXIO). Files systems without sparse support
// report everything as data, which is always correct.
Napi::Value SeekData(const Napi::CallbackInfo& info) {
  int fd = fdArg(info);
  off_t r = lseek(fd, offsetArg(info, 1), SEEK_DATA);
  if (r < 0) {
    if (errno == ENXIO) return Napi::Number::New(info.Env(), -1);
    if (errno == EINVAL) return info[1];  // SEEK_DATA unsupported: treat as data
    throw Napi::Error::New(info.Env(), std::string("lseek(SEEK_DATA) failed: ") + strerror(errno));
  }
  return Napi::Number::New(info.Env(), double(r));
}

// seekHole(fd, offset) -> offset of the first hole at or after `offset`
// (the end of the file counts as a hole).
Napi::Value SeekHole(const Napi::CallbackInfo& info) {
  int fd = fdArg(info);
  off_t r = lseek(fd, offsetArg(info, 1), SEEK_HOLE);
  if (r < 0) throw Napi::Error::New(info.Env(), std::string("lseek(SEEK_HOLE) failed: ") + strerror(errno));
  return Napi::Number::New(info.Env(), double(r));
}

int writeZeros(int fd, int64_t offset, int64_t length) {
  std::vector<char> zeros(size_t(1) << 20, 0);
  while (length > 0) {
    size_t n = size_t(std::min<int64_t>(length, int64_t(zeros.size())));
    ssize_t w = pwrite(fd, zeros.data(), n, offset);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    offset += w;
    length -= w;
  }
  return 0;
}

// zeroRange(fd, offset, length, isBlockDevice) -> { errno, method }: makes the
// range read as zeros as cheaply as the target allows. Files: ZERO_RANGE
// (keeps the blocks allocated), else PUNCH_HOLE; block devices: BLKZEROOUT
// (the device's write-zeroes or discard-zeroes where it has them); anything
// else, or a refusal, falls back to writing zeros.
Napi::Value ZeroRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fdArg(info);
  int64_t offset = offsetArg(info, 1);
  int64_t length = offsetArg(info, 2);
  bool block = info.Length() > 3 && info[3].ToBoolean().Value();
  const char* method = "write";
  int err = 0;
  bool done = false;
  if (length == 0) {
    done = true;
    method = "none";
  } else if (block) {
    uint64_t range[2] = {uint64_t(offset), uint64_t(length)};
    if (ioctl(fd, BLKZEROOUT, range) == 0) {
      done = true;
      method = "blkzeroout";
    }
  } else {
    if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, length) == 0) {
      done = true;
      method = "zero-range";
    } else if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) == 0) {
      done = true;
      method = "punch-hole";
    }
  }
  if (!done) err = writeZeros(fd, offset, length);
  Napi::Object r = Napi::Object::New(env);
  r.Set("errno", Napi::Number::New(env, err));
  r.Set("method", Napi::String::New(env, method));
  return r;
}

}  // namespace

Napi::Object FsExports(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("seekData", Napi::Function::New(env, SeekData, "seekData"));
  o.Set("seekHole", Napi::Function::New(env, SeekHole, "seekHole"));
  o.Set("zeroRange", Napi::Function::New(env, ZeroRange, "zeroRange"));
  return o;
}

}  // namespace blockcast
