/* listen: a plain UDP socket that counts datagrams by source address, to
 * check that spoofed packets arrive looking like the host they claim. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attacker.h"
#include "net.h"

enum { MAX_SOURCES = 16 };

struct source {
  uint32_t addr;
  uint16_t port;
  unsigned long count;
};

int cmd_listen(const struct opts *o) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)o->port);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    perror("bind");
    return 2;
  }
  if (o->group) {
    struct ip_mreq mr;
    if (inet_pton(AF_INET, o->group, &mr.imr_multiaddr) != 1 || inet_pton(AF_INET, o->addr, &mr.imr_interface) != 1 ||
        setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
      perror("IP_ADD_MEMBERSHIP");
      return 2;
    }
  }
  /* A replay comes at up to 20k packets/s onto a loaded 2-core machine: a
     large buffer keeps the count from depending on the scheduler. */
  int rcvbuf = 32 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct timeval tv = {0, 100000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct source src[MAX_SOURCES];
  int nsrc = 0;
  unsigned long total = 0, blockcast = 0;
  uint64_t end = o->duration_s > 0 ? now_us() + (uint64_t)(o->duration_s * 1e6) : 0;
  static uint8_t buf[65536];
  fprintf(stderr, "ready\n");
  /* Once asked to stop, count what is already queued, then end. */
  int draining = 0;
  for (;;) {
    if (!draining && (stop_requested || (end != 0 && now_us() >= end))) draining = 1;
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, draining ? MSG_DONTWAIT : 0, (struct sockaddr *)&from, &fl);
    if (n < 0) {
      if (draining) break;
      continue;
    }
    total++;
    if (n >= 4 && memcmp(buf, "BCK1", 4) == 0) blockcast++;
    int i = 0;
    while (i < nsrc && !(src[i].addr == from.sin_addr.s_addr && src[i].port == from.sin_port)) i++;
    if (i == nsrc && nsrc < MAX_SOURCES) src[nsrc++] = (struct source){from.sin_addr.s_addr, from.sin_port, 0};
    if (i < nsrc) src[i].count++;
  }
  printf("{\"tool\":\"listen\",\"datagrams\":%lu,\"blockcast\":%lu,\"sources\":[", total, blockcast);
  for (int i = 0; i < nsrc; i++) {
    char a[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &src[i].addr, a, sizeof a);
    printf("%s{\"addr\":\"%s\",\"port\":%u,\"count\":%lu}", i ? "," : "", a, ntohs(src[i].port), src[i].count);
  }
  printf("]}\n");
  close(fd);
  return 0;
}
