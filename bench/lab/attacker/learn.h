/* What an eavesdropper learns about the live session from its packets:
 * the sender, its ports, the geometry, the receivers' ids, addresses and
 * join nonces, and (unless data is encrypted) the image digest. */
#ifndef ATTACKER_LEARN_H
#define ATTACKER_LEARN_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

enum { MAX_PEERS = 32 };

struct peer {
  uint32_t rid, addr; /* addr network order */
  uint16_t port;      /* network order */
  uint8_t nonce[16];
};

struct session_view {
  int have_announce;
  uint32_t session;
  uint32_t sender, group; /* network order */
  uint16_t sender_sport, group_port, ctl_port; /* network order */
  uint8_t ttl;
  uint32_t chunks;
  uint16_t flags; /* of the last ANNOUNCE: a sealed session's forgeries carry a (bogus) trailer */
  uint8_t announce[512];
  size_t announce_len;
  int have_digest;
  uint8_t digest[32];
  struct peer peers[MAX_PEERS];
  int npeers;
};

/* Updates V from one sniffed packet (ignores our own and non-blockcast ones). */
void learn(struct session_view *v, const struct udp_pkt *p);

#endif
