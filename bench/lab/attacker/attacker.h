/* The attacker tool's commands and options (see main.c for usage). */
#ifndef ATTACKER_H
#define ATTACKER_H

struct opts {
  const char *iface; /* interface to sniff */
  const char *addr;  /* this host's address (multicast egress, stranger source) */
  const char *file;  /* recording */
  const char *kinds; /* forge: comma-separated packet kinds */
  const char *group; /* listen: multicast group to join */
  double pps;        /* packets per second sent (0: unpaced / unlimited) */
  double duration_s; /* stop after this long (0: at SIGTERM) */
  int loop;          /* replay: start over at the end */
  int group_only;    /* replay: only packets sent to a multicast group */
  int every;         /* mutate: one live packet in EVERY */
  int interval_ms;   /* forge: one round of forgeries per interval */
  int port;          /* listen: UDP port */
  unsigned seed;
};

int cmd_record(const struct opts *o);
int cmd_replay(const struct opts *o);
int cmd_mutate(const struct opts *o);
int cmd_forge(const struct opts *o);
int cmd_listen(const struct opts *o);

#endif
