#define _GNU_SOURCE
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

volatile int stop_requested = 0;

static void on_stop(int sig) {
  (void)sig;
  stop_requested = 1;
}

void install_stop_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop; /* no SA_RESTART: a blocked recv returns EINTR */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

int sniff_open(const char *iface) {
  int fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
  if (fd < 0) die("socket(AF_PACKET)");
  unsigned idx = if_nametoindex(iface);
  if (idx == 0) die(iface);
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_IP);
  sll.sll_ifindex = (int)idx;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) die("bind(AF_PACKET)");
  /* Promiscuous: take frames addressed to other hosts' MACs (flooded by the bridge). */
  struct packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = (int)idx;
  mr.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) die("PACKET_MR_PROMISC");
  /* A session moves ~70k packets/s; a large buffer keeps the sniffer from missing them. */
  int buf = 128 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  }
  struct timeval tv = {0, 100000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

int sniff_next(int fd, struct udp_pkt *p) {
  static uint8_t frame[65536 + 64];
  struct sockaddr_ll from;
  socklen_t fl = sizeof from;
  ssize_t n = recvfrom(fd, frame, sizeof frame, 0, (struct sockaddr *)&from, &fl);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
  if ((size_t)n < sizeof(struct iphdr)) return 0;
  const struct iphdr *ip = (const struct iphdr *)frame;
  size_t ihl = (size_t)ip->ihl * 4;
  size_t tot = ntohs(ip->tot_len);
  if (ip->version != 4 || ip->protocol != IPPROTO_UDP || ihl < 20 || tot > (size_t)n) return 0;
  /* Fragments other than the first carry no UDP header. */
  if ((ntohs(ip->frag_off) & 0x1fff) != 0) return 0;
  if (tot < ihl + sizeof(struct udphdr)) return 0;
  const struct udphdr *udp = (const struct udphdr *)(frame + ihl);
  size_t ulen = ntohs(udp->len);
  if (ulen < sizeof *udp || ihl + ulen > tot) return 0;
  p->src = ip->saddr;
  p->dst = ip->daddr;
  p->sport = udp->source;
  p->dport = udp->dest;
  p->ttl = ip->ttl;
  p->outgoing = from.sll_pkttype == PACKET_OUTGOING;
  p->len = ulen - sizeof *udp;
  memcpy(p->data, frame + ihl + sizeof *udp, p->len);
  return 1;
}

int spoof_open(const char *iface_addr) {
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW); /* IPPROTO_RAW implies IP_HDRINCL */
  if (fd < 0) die("socket(SOCK_RAW)");
  int one = 1;
  if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) < 0) die("IP_HDRINCL");
  struct in_addr ifa;
  if (inet_pton(AF_INET, iface_addr, &ifa) != 1) {
    fprintf(stderr, "bad interface address %s\n", iface_addr);
    exit(2);
  }
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof ifa) < 0) die("IP_MULTICAST_IF");
  int buf = 8 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  }
  return fd;
}

static uint32_t sum16(const uint8_t *b, size_t n, uint32_t acc) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t)(b[i] << 8 | b[i + 1]);
  if (n & 1) acc += (uint32_t)(b[n - 1] << 8);
  return acc;
}

static uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return (uint16_t)~acc;
}

int spoof_send(int fd, const struct udp_pkt *p) {
  static uint8_t out[20 + 8 + 65536];
  static uint16_t ip_id;
  if (p->len > 65507) {
    errno = EMSGSIZE;
    return -1;
  }
  struct iphdr *ip = (struct iphdr *)out;
  struct udphdr *udp = (struct udphdr *)(out + 20);
  size_t tot = 20 + 8 + p->len;
  memset(out, 0, 28);
  ip->version = 4;
  ip->ihl = 5;
  ip->tot_len = htons((uint16_t)tot);
  ip->id = htons(++ip_id);
  ip->frag_off = htons(0x4000); /* DF, like the real peers' datagrams */
  ip->ttl = p->ttl ? p->ttl : 1;
  ip->protocol = IPPROTO_UDP;
  ip->saddr = p->src;
  ip->daddr = p->dst;
  ip->check = htons(fold(sum16(out, 20, 0)));
  udp->source = p->sport;
  udp->dest = p->dport;
  udp->len = htons((uint16_t)(8 + p->len));
  memcpy(out + 28, p->data, p->len);
  /* Pseudo-header: source, destination, protocol, UDP length. */
  uint8_t pseudo[12];
  memcpy(pseudo, &p->src, 4);
  memcpy(pseudo + 4, &p->dst, 4);
  pseudo[8] = 0;
  pseudo[9] = IPPROTO_UDP;
  memcpy(pseudo + 10, &udp->len, 2);
  uint16_t c = fold(sum16(out + 20, 8 + p->len, sum16(pseudo, 12, 0)));
  udp->check = htons(c == 0 ? 0xffff : c);
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = p->dst;
  ssize_t n = sendto(fd, out, tot, 0, (struct sockaddr *)&to, sizeof to);
  return n == (ssize_t)tot ? 0 : -1;
}

int is_blockcast(const struct udp_pkt *p) {
  return p->len >= 12 && p->data[0] == 'B' && p->data[1] == 'C' && p->data[2] == 'K' && p->data[3] == '1';
}

uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void pace(struct pacer *pc) {
  if (pc->pps <= 0) return;
  if (pc->start_us == 0) pc->start_us = now_us();
  pc->sent++;
  uint64_t due = pc->start_us + (uint64_t)((double)pc->sent * 1e6 / pc->pps);
  uint64_t now = now_us();
  if (due > now + 200) {
    struct timespec ts = {(time_t)((due - now) / 1000000u), (long)((due - now) % 1000000u) * 1000};
    nanosleep(&ts, NULL);
  } else if (now > due + 1000000) {
    /* Far behind (a stall): do not burst to catch up. */
    pc->start_us = now;
    pc->sent = 0;
  }
}

uint16_t rd16(const uint8_t *b) { return (uint16_t)(b[0] | b[1] << 8); }
uint32_t rd32(const uint8_t *b) { return (uint32_t)rd16(b) | (uint32_t)rd16(b + 2) << 16; }
uint64_t rd64(const uint8_t *b) { return (uint64_t)rd32(b) | (uint64_t)rd32(b + 4) << 32; }
void wr16(uint8_t *b, uint16_t v) {
  b[0] = (uint8_t)v;
  b[1] = (uint8_t)(v >> 8);
}
void wr32(uint8_t *b, uint32_t v) {
  wr16(b, (uint16_t)v);
  wr16(b + 2, (uint16_t)(v >> 16));
}
void wr64(uint8_t *b, uint64_t v) {
  wr32(b, (uint32_t)v);
  wr32(b + 4, (uint32_t)(v >> 32));
}
