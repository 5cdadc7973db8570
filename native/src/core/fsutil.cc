#include "core/fsutil.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace blockcast {

namespace {

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

}  // namespace

bool seekData(int fd, int64_t offset, int64_t* out, int* err) {
  off_t r = lseek(fd, offset, SEEK_DATA);
  if (r >= 0) {
    *out = r;
    return true;
  }
  if (errno == ENXIO) {
    *out = -1;
    return true;
  }
  if (errno == EINVAL) {  // SEEK_DATA unsupported: treat as data
    *out = offset;
    return true;
  }
  *err = errno;
  return false;
}

bool seekHole(int fd, int64_t offset, int64_t* out, int* err) {
  off_t r = lseek(fd, offset, SEEK_HOLE);
  if (r < 0) {
    *err = errno;
    return false;
  }
  *out = r;
  return true;
}

ZeroResult zeroRange(int fd, int64_t offset, int64_t length, bool blockDevice) {
  if (length == 0) return {0, "none"};
  if (blockDevice) {
    uint64_t range[2] = {uint64_t(offset), uint64_t(length)};
    if (ioctl(fd, BLKZEROOUT, range) == 0) return {0, "blkzeroout"};
  } else {
    if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, length) == 0) return {0, "zero-range"};
    if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) == 0) return {0, "punch-hole"};
  }
  return {writeZeros(fd, offset, length), "write"};
}

int setNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -errno;
  if ((flags & O_NONBLOCK) == 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return -errno;
  return 0;
}

int64_t growPipe(int fd, int64_t bytes) {
#ifdef F_SETPIPE_SZ
  const int current = fcntl(fd, F_GETPIPE_SZ);
  if (current < 0) return -errno;
  for (int64_t want = bytes; want > current; want /= 2) {
    const int got = fcntl(fd, F_SETPIPE_SZ, int(std::min<int64_t>(want, 1 << 30)));
    if (got >= 0) return got;
    if (errno != EPERM && errno != EBUSY) return -errno;
  }
  return current;
#else
  (void)fd;
  (void)bytes;
  return -ENOSYS;
#endif
}

}  // namespace blockcast
