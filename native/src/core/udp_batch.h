// Sends a batch of datagrams on a connected UDP socket: one GSO super-packet
// where the kernel and device allow it, else sendmmsg. Counts what went out.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace blockcast {

constexpr size_t kMaxBatch = 64;  // datagrams per sendmmsg / GSO send

class UdpBatchSender {
 public:
  explicit UdpBatchSender(bool gso) : gso_(gso) {}

  // Sends n (<= kMaxBatch) datagrams, each `iovPer` consecutive iovecs of
  // `iov`; every datagram but the last is exactly `segment` bytes. `wire`
  // counts their bytes with IP/UDP overhead. Returns 0, or the errno of a
  // fatal error. Send thread only.
  int send(int fd, iovec* iov, size_t n, size_t iovPer, uint16_t segment, uint64_t wire);

  std::atomic<uint64_t> packets{0}, bytes{0}, batches{0}, gsoBatches{0}, softErrors{0};
  std::atomic<int> gsoDisabledErrno{0};

 private:
  // false from the start, or once the kernel refused GSO
  bool gso_;
};

}  // namespace blockcast
