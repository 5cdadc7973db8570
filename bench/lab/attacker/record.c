/* record: every blockcast packet seen on the wire, to a file.
 * replay: send a recording again with its original sources, paced. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attacker.h"
#include "net.h"
#include "wire.h"

/* File: "BCATREC1", then per packet: src u32, dst u32 (network order), sport,
 * dport (network order), ttl u8, 3 zero bytes, len u32 (host order), payload. */
static const char FILE_MAGIC[8] = {'B', 'C', 'A', 'T', 'R', 'E', 'C', '1'};

struct rec_head {
  uint32_t src, dst;
  uint16_t sport, dport;
  uint8_t ttl, pad[3];
  uint32_t len;
};

int cmd_record(const struct opts *o) {
  FILE *f = fopen(o->file, "wb");
  if (!f) {
    perror(o->file);
    return 2;
  }
  fwrite(FILE_MAGIC, 1, sizeof FILE_MAGIC, f);
  int fd = sniff_open(o->iface);
  static struct udp_pkt p;
  uint64_t packets = 0, bytes = 0, by_type[8] = {0}, end = o->duration_s > 0 ? now_us() + (uint64_t)(o->duration_s * 1e6) : 0;
  fprintf(stderr, "ready\n");
  while (!stop_requested && (end == 0 || now_us() < end)) {
    int r = sniff_next(fd, &p);
    if (r < 0) break;
    if (r == 0 || p.outgoing || !is_blockcast(&p)) continue;
    struct rec_head h = {p.src, p.dst, p.sport, p.dport, p.ttl, {0, 0, 0}, (uint32_t)p.len};
    fwrite(&h, sizeof h, 1, f);
    fwrite(p.data, 1, p.len, f);
    packets++;
    bytes += p.len;
    by_type[p.data[OFF_TYPE] < 8 ? p.data[OFF_TYPE] : 0]++;
  }
  int bad = fclose(f) != 0;
  /* byType[t]: packets of blockcast type t (0: unknown); STATUS (3) and NACK (4) are
   * unicast to the sender, so counting them shows the bridge floods. */
  printf("{\"tool\":\"record\",\"packets\":%llu,\"bytes\":%llu,\"byType\":[", (unsigned long long)packets,
         (unsigned long long)bytes);
  for (int t = 0; t < 8; t++) printf("%s%llu", t ? "," : "", (unsigned long long)by_type[t]);
  printf("]}\n");
  return bad ? 1 : 0;
}

/* A recording in memory: the file's bytes and where each packet starts. */
struct recording {
  uint8_t *bytes;
  size_t *offsets, count;
};

static void load(const char *file, struct recording *r) {
  FILE *f = fopen(file, "rb");
  char magic[8];
  if (!f || fread(magic, 1, 8, f) != 8 || memcmp(magic, FILE_MAGIC, 8) != 0) {
    fprintf(stderr, "%s: not a recording\n", file);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 8, SEEK_SET);
  size_t body = size > 8 ? (size_t)size - 8 : 0;
  r->bytes = malloc(body + 1);
  r->offsets = malloc((body / sizeof(struct rec_head) + 1) * sizeof *r->offsets);
  r->count = 0;
  if (!r->bytes || !r->offsets || fread(r->bytes, 1, body, f) != body) {
    fprintf(stderr, "%s: cannot load\n", file);
    exit(2);
  }
  fclose(f);
  /* A truncated last record (recorder killed mid-write) is left out. */
  for (size_t off = 0; off + sizeof(struct rec_head) <= body;) {
    struct rec_head h;
    memcpy(&h, r->bytes + off, sizeof h);
    if (h.len > 65507 || off + sizeof h + h.len > body) break;
    r->offsets[r->count++] = off;
    off += sizeof h + h.len;
  }
}

static void unpack(const struct recording *r, size_t i, struct udp_pkt *p) {
  struct rec_head h;
  memcpy(&h, r->bytes + r->offsets[i], sizeof h);
  p->src = h.src;
  p->dst = h.dst;
  p->sport = h.sport;
  p->dport = h.dport;
  p->ttl = h.ttl;
  p->outgoing = 0;
  p->len = h.len;
  memcpy(p->data, r->bytes + r->offsets[i] + sizeof h, h.len);
}

int cmd_replay(const struct opts *o) {
  struct recording rec;
  load(o->file, &rec);
  size_t n = rec.count;
  int fd = spoof_open(o->addr);
  static struct udp_pkt p;
  struct pacer pc = {o->pps, 0, 0};
  uint64_t sent = 0, errors = 0, loops = 0, end = o->duration_s > 0 ? now_us() + (uint64_t)(o->duration_s * 1e6) : 0;
  fprintf(stderr, "ready\n");
  while (n > 0 && !stop_requested && (end == 0 || now_us() < end)) {
    for (size_t i = 0; i < n && !stop_requested; i++) {
      if (end != 0 && (i & 255) == 0 && now_us() >= end) break;
      unpack(&rec, i, &p);
      /* --group-only: only what the sender multicast (ANNOUNCE, DATA, REPAIR_ADV). */
      if (o->group_only && (ntohl(p.dst) >> 28) != 14) continue;
      pace(&pc);
      if (spoof_send(fd, &p) == 0) sent++;
      else errors++;
    }
    loops++;
    if (!o->loop) break;
  }
  printf("{\"tool\":\"replay\",\"recorded\":%zu,\"sent\":%llu,\"errors\":%llu,\"loops\":%llu}\n", n,
         (unsigned long long)sent, (unsigned long long)errors, (unsigned long long)loops);
  free(rec.bytes);
  free(rec.offsets);
  return 0;
}
