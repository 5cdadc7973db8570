#include "core/udp_batch.h"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "core/wire.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

namespace blockcast {

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
    for (;;) {
      ssize_t r = sendmsg(fd, &msg, 0);
      if (r >= 0) {
        packets += n;
        bytes += wire - n * kIpUdpOverhead;
        batches++;
        gsoBatches++;
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno == ENOBUFS || errno == EAGAIN) {  // queue full: the datagrams are lost, NACKs repair them
        softErrors++;
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
  while (sent < n) {
    int r = sendmmsg(fd, msgs + sent, static_cast<unsigned>(n - sent), 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS || errno == EAGAIN) {
        softErrors++;
        sent++;  // skip the datagram the kernel refused
        continue;
      }
      return errno;
    }
    for (int i = 0; i < r; i++) bytes += msgs[sent + i].msg_len;
    packets += r;
    sent += r;
  }
  batches++;
  return 0;
}

}  // namespace blockcast
