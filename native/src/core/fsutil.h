// File-system calls Node does not offer: finding data in sparse files
// (SEEK_DATA) and zeroing ranges without writing zeros (fallocate, BLKZEROOUT).
#pragma once

#include <cstdint>

namespace blockcast {

// Offset of the first data at or after `offset` into *out, or -1 if only a
// hole follows. File systems without sparse support report everything as
// data, which is always correct. False with *err (errno) on failure.
bool seekData(int fd, int64_t offset, int64_t* out, int* err);

// Offset of the first hole at or after `offset` (the end of the file counts
// as a hole). False with *err (errno) on failure.
bool seekHole(int fd, int64_t offset, int64_t* out, int* err);

struct ZeroResult {
  int err;             // errno, 0 on success
  const char* method;  // "none", "blkzeroout", "zero-range", "punch-hole" or "write"
};

// Makes the range read as zeros as cheaply as the target allows. Files:
// ZERO_RANGE (keeps the blocks allocated), else PUNCH_HOLE; block devices:
// BLKZEROOUT (the device's write-zeroes or discard-zeroes where it has them);
// anything else, or a refusal, falls back to writing zeros.
ZeroResult zeroRange(int fd, int64_t offset, int64_t length, bool blockDevice);

// Grows a pipe's buffer (F_SETPIPE_SZ) towards `bytes`, halving the request
// while the kernel refuses it (an unprivileged process is capped by
// /proc/sys/fs/pipe-max-size). Returns the new size, or -errno when `fd` is
// not a pipe or nothing larger than its current size was granted.
int64_t growPipe(int fd, int64_t bytes);

// Sets O_NONBLOCK on `fd`'s file description: 0, or -errno.
int setNonBlocking(int fd);

}  // namespace blockcast
