/* mutate: re-send corrupted copies of live packets with their original
 * source and destination: bit flips, a protocol field set to another value
 * (offsets from docs/PROTOCOL.md), or truncation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attacker.h"
#include "net.h"
#include "wire.h"

struct field {
  uint8_t off, width;
};

/* Fields worth changing, per packet type (index = type). */
static const struct field DATA_F[] = {{OFF_FLAGS, 2}, {OFF_SESSION, 4}, {D_STREAM, 1}, {D_CODING, 1},
                                      {D_CHUNK, 4},   {D_SYMBOL, 4},    {D_LENGTH, 4}, {D_PAYLOAD, 1}};
static const struct field ANNOUNCE_F[] = {
    {A_PHASE, 1},      {A_CTL_PORT, 2},  {A_IMAGE_SIZE, 8},    {A_CHUNK_SIZE, 4}, {A_SYMBOL, 2},
    {A_STRIPE, 2},     {A_CHUNKS, 4},    {A_MANIFEST_SIZE, 4}, {A_PROGRESS, 4},   {A_RATE, 4},
    {A_MANIFEST_HASH, 1}, {A_GROUP_SIZE, 2}, {A_BACKOFF, 2},   {A_CIPHER, 1},     {A_SALT, 1}};
static const struct field STATUS_F[] = {{S_RID, 4},   {S_STATE, 1},   {S_REASON, 1}, {S_NAME_LEN, 1},
                                        {S_FLAGS, 1}, {S_WRITTEN, 4}, {S_NONCE, 1},  {S_DIGEST, 1}};
static const struct field NACK_F[] = {{N_RID, 4}, {N_COUNT, 2}, {N_ENTRIES, 1}, {N_ENTRIES + 1, 1},
                                      {N_ENTRIES + 2, 2}, {N_ENTRIES + 4, 4}, {N_ENTRIES + 8, 2}};
static const struct field ACK_F[] = {{K_RID, 4}, {K_STATE, 1}, {K_NONCE, 1}};
static const struct field ADV_F[] = {{R_STREAM, 1}, {R_COUNT, 2}, {R_CHUNK, 4}, {R_CHUNK + 4, 2}, {R_CHUNK + 6, 2}};

struct field_table {
  const struct field *f;
  size_t n;
};
static const struct field_table TABLES[] = {
    {NULL, 0},
    {DATA_F, sizeof DATA_F / sizeof *DATA_F},
    {ANNOUNCE_F, sizeof ANNOUNCE_F / sizeof *ANNOUNCE_F},
    {STATUS_F, sizeof STATUS_F / sizeof *STATUS_F},
    {NACK_F, sizeof NACK_F / sizeof *NACK_F},
    {ACK_F, sizeof ACK_F / sizeof *ACK_F},
    {ADV_F, sizeof ADV_F / sizeof *ADV_F},
};

static uint64_t rand64(void) {
  return (uint64_t)rand() << 42 ^ (uint64_t)rand() << 21 ^ (uint64_t)rand();
}

/* Small values hit boundaries (0, 1, the enum ranges) more often than random ones. */
static uint64_t new_value(uint64_t old, unsigned width) {
  switch (rand() % 4) {
    case 0: return old + 1;
    case 1: return old - 1;
    case 2: return (uint64_t)(rand() % 8);
    default: return width == 8 ? rand64() : rand64() & ((1ull << (8 * width)) - 1);
  }
}

enum { M_BITFLIP, M_FIELD, M_TRUNCATE, M_KINDS };
static const char *const MODE_NAMES[M_KINDS] = {"bitflip", "field", "truncate"};

static int mutate(struct udp_pkt *p) {
  unsigned type = p->data[OFF_TYPE];
  int mode = rand() % M_KINDS;
  if (mode == M_FIELD && type < sizeof TABLES / sizeof *TABLES && TABLES[type].n > 0) {
    const struct field *f = &TABLES[type].f[rand() % (int)TABLES[type].n];
    if ((size_t)f->off + f->width <= p->len) {
      uint8_t *b = p->data + f->off;
      uint64_t old = f->width == 1 ? b[0] : f->width == 2 ? rd16(b) : f->width == 4 ? rd32(b) : rd64(b);
      uint64_t v = new_value(old, f->width);
      if (f->width == 1) b[0] = (uint8_t)v;
      else if (f->width == 2) wr16(b, (uint16_t)v);
      else if (f->width == 4) wr32(b, (uint32_t)v);
      else wr64(b, v);
      return M_FIELD;
    }
    mode = M_BITFLIP;
  }
  if (mode == M_TRUNCATE && p->len > 1) {
    p->len = (size_t)rand() % p->len;
    return M_TRUNCATE;
  }
  int flips = 1 + rand() % 4;
  for (int i = 0; i < flips; i++) p->data[(size_t)rand() % p->len] ^= (uint8_t)(1u << (rand() % 8));
  return M_BITFLIP;
}

int cmd_mutate(const struct opts *o) {
  int in = sniff_open(o->iface);
  int out = spoof_open(o->addr);
  static struct udp_pkt p;
  uint64_t seen = 0, sent = 0, errors = 0, skipped_rate = 0, by_mode[M_KINDS] = {0}, by_type[8] = {0};
  uint64_t end = o->duration_s > 0 ? now_us() + (uint64_t)(o->duration_s * 1e6) : 0;
  /* Token bucket: at most --pps mutated copies per second, never blocking the sniffer. */
  double tokens = 0, burst = o->pps > 0 ? o->pps / 10 + 1 : 0;
  uint64_t last = now_us();
  fprintf(stderr, "ready\n");
  while (!stop_requested && (end == 0 || now_us() < end)) {
    int r = sniff_next(in, &p);
    if (r < 0) break;
    if (r == 0 || p.outgoing || !is_blockcast(&p)) continue;
    if (++seen % (uint64_t)o->every != 0) continue;
    if (o->pps > 0) {
      uint64_t now = now_us();
      tokens += (double)(now - last) * o->pps / 1e6;
      last = now;
      if (tokens > burst) tokens = burst;
      if (tokens < 1) {
        skipped_rate++;
        continue;
      }
      tokens -= 1;
    }
    unsigned type = p.data[OFF_TYPE] < 8 ? p.data[OFF_TYPE] : 0;
    by_mode[mutate(&p)]++;
    by_type[type]++;
    if (spoof_send(out, &p) == 0) sent++;
    else errors++;
  }
  printf("{\"tool\":\"mutate\",\"seen\":%llu,\"sent\":%llu,\"errors\":%llu,\"overRate\":%llu", (unsigned long long)seen,
         (unsigned long long)sent, (unsigned long long)errors, (unsigned long long)skipped_rate);
  for (int m = 0; m < M_KINDS; m++) printf(",\"%s\":%llu", MODE_NAMES[m], (unsigned long long)by_mode[m]);
  printf(",\"byType\":[");
  for (int t = 0; t < 8; t++) printf("%s%llu", t ? "," : "", (unsigned long long)by_type[t]);
  printf("]}\n");
  return 0;
}
