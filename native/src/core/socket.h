// Multicast socket setup shared by the sender and receiver.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>

namespace blockcast {

struct SocketError {
  int err;              // errno
  std::string syscall;  // which call failed, e.g. "setsockopt(IP_ADD_MEMBERSHIP)"
};

struct McastOptions {
  std::string group;      // dotted IPv4 multicast group
  uint16_t port = 0;
  std::string ifaddr;     // local IPv4 address of the interface to use ("" = any)
  int ttl = 1;
  bool loopback = true;
  int bufferBytes = 0;    // SO_{SND,RCV}BUF(FORCE) request, 0 = leave default
};

// Each returns a file descriptor, or -1 with *err filled in.
int openSenderSocket(const McastOptions& o, SocketError* err);
int openReceiverSocket(const McastOptions& o, SocketError* err);

// Returns the buffer size the kernel actually granted (SO_RCVBUF/SO_SNDBUF).
int socketBufferSize(int fd, bool receive);

}  // namespace blockcast
