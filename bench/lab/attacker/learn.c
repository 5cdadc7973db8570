#include "learn.h"

#include <arpa/inet.h>
#include <string.h>

#include "wire.h"

static int is_multicast(uint32_t addr) { return (ntohl(addr) >> 28) == 14; }

static void learn_announce(struct session_view *v, const struct udp_pkt *p) {
  const uint8_t *b = p->data;
  if (p->len < A_LEN || !is_multicast(p->dst) || b[A_PHASE] == PHASE_ENDED) return;
  uint32_t session = rd32(b + OFF_SESSION);
  if (!v->have_announce || session != v->session) {
    /* A new session: what we knew about the old one's receivers is stale. */
    memset(v, 0, sizeof *v);
    v->have_announce = 1;
    v->session = session;
  }
  v->sender = p->src;
  v->sender_sport = p->sport;
  v->group = p->dst;
  v->group_port = p->dport;
  v->ttl = p->ttl;
  v->ctl_port = htons(rd16(b + A_CTL_PORT));
  v->chunks = rd32(b + A_CHUNKS);
  v->flags = rd16(b + OFF_FLAGS);
  v->announce_len = p->len < sizeof v->announce ? p->len : sizeof v->announce;
  memcpy(v->announce, b, v->announce_len);
}

static void learn_status(struct session_view *v, const struct udp_pkt *p) {
  const uint8_t *b = p->data;
  if (p->len < S_LEN || p->dst != v->sender || p->dport != v->ctl_port) return;
  uint32_t rid = rd32(b + S_RID);
  int i = 0;
  while (i < v->npeers && v->peers[i].rid != rid) i++;
  if (i == v->npeers) {
    if (v->npeers == MAX_PEERS) return;
    v->npeers++;
  }
  struct peer *peer = &v->peers[i];
  peer->rid = rid;
  peer->addr = p->src;
  peer->port = p->sport;
  memcpy(peer->nonce, b + S_NONCE, 16);
  if (b[S_STATE] == ST_DONE && p->len >= S_DONE_LEN && !v->have_digest) {
    memcpy(v->digest, b + S_DIGEST, 32);
    v->have_digest = 1;
  }
}

static void learn_data(struct session_view *v, const struct udp_pkt *p) {
  const uint8_t *b = p->data;
  /* Manifest symbol 0 holds the image digest at manifest offset 32, in clear unless ENCRYPTED. */
  if (v->have_digest || p->len < D_PAYLOAD + M_DIGEST + 32 || (rd16(b + OFF_FLAGS) & FLAG_ENCRYPTED)) return;
  if (b[D_STREAM] != 1 || b[D_CODING] != 0 || rd32(b + D_CHUNK) != 0 || rd32(b + D_SYMBOL) != 0) return;
  if (memcmp(b + D_PAYLOAD, "BCMANIF", 7) != 0) return;
  memcpy(v->digest, b + D_PAYLOAD + M_DIGEST, 32);
  v->have_digest = 1;
}

void learn(struct session_view *v, const struct udp_pkt *p) {
  if (p->outgoing || !is_blockcast(p) || p->data[OFF_VERSION] != VERSION) return;
  uint8_t type = p->data[OFF_TYPE];
  if (type == T_ANNOUNCE) {
    learn_announce(v, p);
    return;
  }
  if (!v->have_announce || rd32(p->data + OFF_SESSION) != v->session) return;
  if (type == T_STATUS) learn_status(v, p);
  else if (type == T_DATA) learn_data(v, p);
}
