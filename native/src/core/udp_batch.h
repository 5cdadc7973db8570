// Sends a batch of datagrams on a connected UDP socket: one GSO super-packet
// where the kernel and device allow it, else sendmmsg. Counts what went out.
// With IP_RECVERR on the socket (socket.cc) a full local queue (a qdisc
// drop) is ENOBUFS, not a silent loss: the batch waits a little and goes
// again, so a link slower than the pacing rate pushes back on the sender
// instead of turning the overrun into repairs.
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
  // Waits on a full local queue, and datagrams given up on after kQueueFullTries.
  std::atomic<uint64_t> queueFullWaits{0}, localDrops{0};
  std::atomic<int> gsoDisabledErrno{0};

 private:
  // Sleeps before sending again into a full queue; false once `tries` waits were spent.
  bool waitForQueue(int* tries);

  // false from the start, or once the kernel refused GSO
  bool gso_;
};

}  // namespace blockcast
