/* Packet I/O of the attacker tool: sniff IPv4/UDP on an interface with an
 * AF_PACKET socket, and send UDP datagrams with any source address through a
 * raw IP socket (IP_HDRINCL), as a host on a shared LAN can. */
#ifndef ATTACKER_NET_H
#define ATTACKER_NET_H

#include <stddef.h>
#include <stdint.h>

/* One UDP datagram, addresses and ports in network byte order. */
struct udp_pkt {
  uint32_t src, dst;
  uint16_t sport, dport;
  uint8_t ttl;
  int outgoing; /* sent by this host (our own forgeries and replays) */
  size_t len;
  uint8_t data[65536];
};

/* Opens a promiscuous AF_PACKET socket on IFACE that sees every IPv4 frame
 * the interface carries, both directions. Exits on failure. */
int sniff_open(const char *iface);
/* Reads the next IPv4/UDP datagram into P. Returns 1 when one was read, 0 on
 * timeout (100 ms) or a frame that is not UDP, -1 on error. */
int sniff_next(int fd, struct udp_pkt *p);

/* Opens a raw socket for spoofed sends; IFACE_ADDR (dotted) is the local
 * address whose interface carries multicast. Exits on failure. */
int spoof_open(const char *iface_addr);
/* Sends P's payload as a UDP datagram from P->src:sport to P->dst:dport with
 * P->ttl, computing IP and UDP checksums. Returns 0, or -1 (errno set). */
int spoof_send(int fd, const struct udp_pkt *p);

/* The first 4 bytes of every blockcast packet ("BCK1"). */
int is_blockcast(const struct udp_pkt *p);

/* Monotonic clock in microseconds. */
uint64_t now_us(void);
/* Paces a loop to PPS packets per second (0: unpaced): call once per packet. */
struct pacer {
  double pps;
  uint64_t start_us, sent;
};
void pace(struct pacer *pc);

/* Set by SIGINT/SIGTERM: loops finish, print their summary and exit 0. */
extern volatile int stop_requested;
void install_stop_handlers(void);

/* Little-endian field access within a packet. */
uint16_t rd16(const uint8_t *b);
uint32_t rd32(const uint8_t *b);
uint64_t rd64(const uint8_t *b);
void wr16(uint8_t *b, uint16_t v);
void wr32(uint8_t *b, uint32_t v);
void wr64(uint8_t *b, uint64_t v);

#endif
