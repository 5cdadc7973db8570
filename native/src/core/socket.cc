#include "core/socket.h"

#include <arpa/inet.h>
#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace blockcast {

namespace {

int fail(int fd, SocketError* err, const char* syscall) {
  err->err = errno;
  err->syscall = syscall;
  if (fd >= 0) close(fd);
  return -1;
}

bool parseAddr(const std::string& s, in_addr* out) { return inet_pton(AF_INET, s.c_str(), out) == 1; }

// As root, the FORCE variants ignore net.core.{r,w}mem_max; otherwise the
// plain option is capped by the sysctl and we take what we get.
void setBuffer(int fd, bool receive, int bytes) {
  if (bytes <= 0) return;
  int force = receive ? SO_RCVBUFFORCE : SO_SNDBUFFORCE;
  int plain = receive ? SO_RCVBUF : SO_SNDBUF;
  if (setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof bytes) != 0) {
    setsockopt(fd, SOL_SOCKET, plain, &bytes, sizeof bytes);
  }
}

}  // namespace

int socketBufferSize(int fd, bool receive) {
  int v = 0;
  socklen_t len = sizeof v;
  getsockopt(fd, SOL_SOCKET, receive ? SO_RCVBUF : SO_SNDBUF, &v, &len);
  return v;
}

int openSenderSocket(const McastOptions& o, SocketError* err) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(fd, err, "socket");
  setBuffer(fd, false, o.bufferBytes);
  // A datagram the local qdisc drops comes back as ENOBUFS only with
  // IP_RECVERR (udp_send_skb counts and swallows it otherwise): the sender
  // then waits for the queue (udp_batch.cc) instead of losing the overrun.
  int one = 1;
  if (setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one) != 0) return fail(fd, err, "setsockopt(IP_RECVERR)");
  unsigned char ttl = static_cast<unsigned char>(o.ttl);
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0)
    return fail(fd, err, "setsockopt(IP_MULTICAST_TTL)");
  unsigned char loop = o.loopback ? 1 : 0;
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop) != 0)
    return fail(fd, err, "setsockopt(IP_MULTICAST_LOOP)");
  if (!o.ifaddr.empty()) {
    in_addr ifa;
    if (!parseAddr(o.ifaddr, &ifa)) {
      errno = EINVAL;
      return fail(fd, err, "inet_pton(interface)");
    }
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof ifa) != 0)
      return fail(fd, err, "setsockopt(IP_MULTICAST_IF)");
  }
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(o.port);
  if (!parseAddr(o.group, &dst.sin_addr)) {
    errno = EINVAL;
    return fail(fd, err, "inet_pton(group)");
  }
  // Connecting fixes the destination so the hot path sends without an address.
  if (connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) return fail(fd, err, "connect");
  return fd;
}

int openReceiverSocket(const McastOptions& o, SocketError* err) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(fd, err, "socket");
  int one = 1;
  // Several receivers on one host (tests, the demo) share the group and port.
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
    return fail(fd, err, "setsockopt(SO_REUSEADDR)");
  setBuffer(fd, true, o.bufferBytes);
  sockaddr_in bindAddr{};
  bindAddr.sin_family = AF_INET;
  bindAddr.sin_port = htons(o.port);
  in_addr group;
  if (!parseAddr(o.group, &group)) {
    errno = EINVAL;
    return fail(fd, err, "inet_pton(group)");
  }
  // Binding to the group (not INADDR_ANY) keeps other groups on the same port out.
  bindAddr.sin_addr = group;
  if (bind(fd, reinterpret_cast<sockaddr*>(&bindAddr), sizeof bindAddr) != 0) return fail(fd, err, "bind");
  ip_mreqn mreq{};
  mreq.imr_multiaddr = group;
  if (!o.ifaddr.empty() && !parseAddr(o.ifaddr, &mreq.imr_address)) {
    errno = EINVAL;
    return fail(fd, err, "inet_pton(interface)");
  }
  if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0)
    return fail(fd, err, "setsockopt(IP_ADD_MEMBERSHIP)");
  return fd;
}

}  // namespace blockcast
