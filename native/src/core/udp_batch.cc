#include "core/udp_batch.h"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "core/wire.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

namespace blockcast {

namespace {

// A full qdisc drains at the link's rate: 200 us is ~5 KB at 200 Mbit/s, a
// few frames. 100 waits (>= 20 ms) outlast any queue a sane qdisc keeps
// moving; after them the datagram is given up and repaired later.
constexpr long kQueueFullWaitNs = 200000;
constexpr int kQueueFullTries = 100;

}  // namespace

bool UdpBatchSender::waitForQueue(int* tries) {
  if (++*tries > kQueueFullTries) return false;
  queueFullWaits++;
  timespec ts{0, kQueueFullWaitNs};
  nanosleep(&ts, nullptr);
  return true;
}

int UdpBatchSender::send(int fd, iovec* iov, size_t n, size_t iovPer, uint16_t segment, uint64_t wire) {
  if (gso_ && n > 1) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n * iovPer;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint16_t))] = {};
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_UDP;
    cm->cmsg_type = UDP_SEGMENT;
    cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    std::memcpy(CMSG_DATA(cm), &segment, sizeof segment);
    for (int tries = 0;;) {
      ssize_t r = sendmsg(fd, &msg, 0);
      if (r >= 0) {
        packets += n;
        bytes += wire - n * kIpUdpOverhead;
        batches++;
        gsoBatches++;
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno == ENOBUFS || errno == EAGAIN) {  // queue full: wait for it to drain, or give up (NACKs repair them)
        if (waitForQueue(&tries)) continue;
        softErrors++;
        localDrops += n;
        return 0;
      }
      if (errno == EINVAL || errno == EIO || errno == ENOPROTOOPT || errno == EOPNOTSUPP) {
        gsoDisabledErrno = errno;  // kernel or device refuses GSO: fall back for good
        gso_ = false;
        break;
      }
      return errno;
    }
  }

  mmsghdr msgs[kMaxBatch] = {};
  for (size_t i = 0; i < n; i++) {
    msgs[i].msg_hdr.msg_iov = &iov[iovPer * i];
    msgs[i].msg_hdr.msg_iovlen = iovPer;
  }
  size_t sent = 0;
  int tries = 0;
  while (sent < n) {
    int r = sendmmsg(fd, msgs + sent, static_cast<unsigned>(n - sent), 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS || errno == EAGAIN) {
        if (waitForQueue(&tries)) continue;
        softErrors++;
        localDrops++;
        sent++;  // skip the datagram the kernel refused
        tries = 0;
        continue;
      }
      return errno;
    }
    tries = 0;
    for (int i = 0; i < r; i++) bytes += msgs[sent + i].msg_len;
    packets += r;
    sent += r;
  }
  batches++;
  return 0;
}

}  // namespace blockcast
