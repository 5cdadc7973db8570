/* A LAN attacker for blockcast's lab tests (issue 16): it sees every packet
 * on the bridge and sends with any source address.
 *
 *   attacker record --iface IF --file F [--duration S]
 *   attacker replay --addr A --file F [--pps N] [--loop] [--group-only] [--duration S]
 *   attacker mutate --iface IF --addr A [--every N] [--pps N] [--seed N] [--duration S]
 *   attacker forge  --iface IF --addr A [--kinds nack,stranger,overload,done,baddone,ack,ended]
 *                   [--interval MS] [--duration S]
 *   attacker listen --addr A --port P [--group G] [--duration S]
 *
 * Each command prints "ready" on stderr once it runs, stops at SIGTERM/SIGINT
 * or after --duration, and prints one JSON line of counts on stdout. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attacker.h"
#include "net.h"

static int usage(void) {
  fprintf(stderr, "usage: attacker record|replay|mutate|forge|listen [options] (see main.c)\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  const char *cmd = argv[1];
  struct opts o = {NULL, "0.0.0.0", NULL, "nack,stranger,overload,done,baddone,ack,ended", NULL, 0, 0, 0, 0, 16, 50, 0,
                   (unsigned)time(NULL)};
  static const struct option longs[] = {
      {"iface", required_argument, 0, 'i'},   {"addr", required_argument, 0, 'a'},
      {"file", required_argument, 0, 'f'},    {"kinds", required_argument, 0, 'k'},
      {"group", required_argument, 0, 'g'},   {"pps", required_argument, 0, 'r'},
      {"duration", required_argument, 0, 'd'}, {"loop", no_argument, 0, 'l'},
      {"group-only", no_argument, 0, 'G'},    {"every", required_argument, 0, 'e'},
      {"interval", required_argument, 0, 't'}, {"port", required_argument, 0, 'p'},
      {"seed", required_argument, 0, 's'},    {0, 0, 0, 0}};
  int c;
  optind = 2;
  while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
    switch (c) {
      case 'i': o.iface = optarg; break;
      case 'a': o.addr = optarg; break;
      case 'f': o.file = optarg; break;
      case 'k': o.kinds = optarg; break;
      case 'g': o.group = optarg; break;
      case 'r': o.pps = atof(optarg); break;
      case 'd': o.duration_s = atof(optarg); break;
      case 'l': o.loop = 1; break;
      case 'G': o.group_only = 1; break;
      case 'e': o.every = atoi(optarg) > 0 ? atoi(optarg) : 1; break;
      case 't': o.interval_ms = atoi(optarg) > 0 ? atoi(optarg) : 1; break;
      case 'p': o.port = atoi(optarg); break;
      case 's': o.seed = (unsigned)strtoul(optarg, NULL, 10); break;
      default: return usage();
    }
  }
  srand(o.seed);
  install_stop_handlers();
  setvbuf(stdout, NULL, _IOLBF, 0);
  int needs_iface = strcmp(cmd, "record") == 0 || strcmp(cmd, "mutate") == 0 || strcmp(cmd, "forge") == 0;
  if (needs_iface && !o.iface) return usage();
  if ((strcmp(cmd, "record") == 0 || strcmp(cmd, "replay") == 0) && !o.file) return usage();
  if (strcmp(cmd, "record") == 0) return cmd_record(&o);
  if (strcmp(cmd, "replay") == 0) return cmd_replay(&o);
  if (strcmp(cmd, "mutate") == 0) return cmd_mutate(&o);
  if (strcmp(cmd, "forge") == 0) return cmd_forge(&o);
  if (strcmp(cmd, "listen") == 0) return o.port > 0 ? cmd_listen(&o) : usage();
  return usage();
}
