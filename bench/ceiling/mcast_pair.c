/*
 * mcast_pair: the plain-C multicast ceiling, the fastest a sender and its receivers can
 * move datagrams through this machine's kernel, to judge blockcast's figures against.
 *
 *   mcast_pair send GROUP PORT IFADDR BYTES PAYLOAD [--gso] [--rate MBps]
 *   mcast_pair recv GROUP PORT IFADDR [--gro]
 *
 * Every datagram starts with its 64-bit big-endian sequence number; a datagram whose
 * sequence number is all ones marks the end. Both modes print one JSON line on stdout.
 * The receiver prints "ready" on stderr once it has joined the group, and exits after the
 * end marker, after 3 s of silence once data has flowed, or after 10 s without any data.
 * MB is 10^6 bytes throughout.
 *
 * cc -O2 -Wall -Wextra -o bench/bin/mcast_pair bench/ceiling/mcast_pair.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define BATCH 64
#define END_SEQ UINT64_MAX
#define END_MARKERS 5
#define MAX_UDP_PAYLOAD 65507 /* 65535 - 20 (IPv4) - 8 (UDP) */
#define RECV_BUF 65536        /* room for one GRO super-datagram */
#define SNDBUF (32 << 20)
#define RCVBUF (64 << 20)
#define FIRST_WAIT_S 10
#define SILENCE_S 3

static __attribute__((noreturn)) void die(const char *what)
{
	perror(what);
	exit(1);
}

static __attribute__((noreturn)) void usage(void)
{
	fprintf(stderr, "usage: mcast_pair send GROUP PORT IFADDR BYTES PAYLOAD [--gso] [--rate MBps]\n"
			"       mcast_pair recv GROUP PORT IFADDR [--gro]\n");
	exit(2);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static struct in_addr parse_addr(const char *s)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "bad IPv4 address: %s\n", s);
		exit(2);
	}
	return a;
}

static unsigned long long parse_num(const char *s, unsigned long long min, unsigned long long max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "bad number: %s\n", s);
		exit(2);
	}
	return v;
}

/* SO_*BUFFORCE ignores net.core.[rw]mem_max but needs CAP_NET_ADMIN; fall back without it. */
static void set_buf(int fd, int force_opt, int opt, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof bytes) < 0 &&
	    setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof bytes) < 0)
		die("setsockopt buffer");
}

/* ---- sender ---- */

struct pacer {
	double rate;     /* bytes per second, 0 = unpaced */
	double depth;    /* bucket depth: the most credit, in seconds, a late sender may catch up */
	double deadline; /* when the bytes sent so far are due, CLOCK_MONOTONIC seconds */
};

/* Token bucket: sleeps until `bytes` more are due. A sender that fell behind catches up at
 * most `depth` seconds' worth in a burst rather than a flood. */
static void pace(struct pacer *p, size_t bytes)
{
	if (p->rate <= 0)
		return;
	double t = now();
	if (p->deadline < t - p->depth)
		p->deadline = t - p->depth;
	p->deadline += (double)bytes / p->rate;
	if (p->deadline > t) {
		struct timespec ts;
		ts.tv_sec = (time_t)p->deadline;
		ts.tv_nsec = (long)((p->deadline - (double)ts.tv_sec) * 1e9);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
}

static void put_seq(unsigned char *dgram, uint64_t seq)
{
	uint64_t be = htobe64(seq);
	memcpy(dgram, &be, sizeof be);
}

/* Sends `len` bytes of buf as one UDP_SEGMENT sendmsg, which the kernel cuts into
 * datagrams of `payload` bytes (the last may be shorter). Returns 0, or -1 with errno set. */
static int send_gso(int fd, unsigned char *buf, size_t payload, size_t len)
{
	char ctrl[CMSG_SPACE(sizeof(uint16_t))];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	uint16_t gso_size = (uint16_t)payload;
	memcpy(CMSG_DATA(cm), &gso_size, sizeof gso_size);
	ssize_t r = sendmsg(fd, &msg, 0);
	if (r < 0)
		return -1;
	if ((size_t)r != len) {
		fprintf(stderr, "short GSO send: %zd of %zu\n", r, len);
		exit(1);
	}
	return 0;
}

/* Sends n datagrams laid out `payload` apart in buf, the last one `last_len` long. */
static void send_mmsg(int fd, unsigned char *buf, size_t payload, unsigned n, size_t last_len)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	memset(msgs, 0, sizeof msgs);
	for (unsigned i = 0; i < n; i++) {
		iovs[i].iov_base = buf + (size_t)i * payload;
		iovs[i].iov_len = i == n - 1 ? last_len : payload;
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	for (unsigned done = 0; done < n;) {
		int r = sendmmsg(fd, msgs + done, n - done, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("sendmmsg");
		}
		done += (unsigned)r;
	}
}

static int do_send(int argc, char **argv)
{
	if (argc < 7)
		usage();
	struct in_addr group = parse_addr(argv[2]);
	uint16_t port = (uint16_t)parse_num(argv[3], 1, 65535);
	struct in_addr ifaddr = parse_addr(argv[4]);
	unsigned long long total = parse_num(argv[5], 1, ULLONG_MAX);
	size_t payload = (size_t)parse_num(argv[6], 8, MAX_UDP_PAYLOAD);
	int gso = 0;
	struct pacer pacer = {0, 0, 0};
	for (int i = 7; i < argc; i++) {
		if (!strcmp(argv[i], "--gso"))
			gso = 1;
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			pacer.rate = (double)parse_num(argv[++i], 1, 1000000) * 1e6;
		else
			usage();
	}

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, SNDBUF);
	struct ip_mreqn mif = {.imr_address = ifaddr};
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mif, sizeof mif) < 0)
		die("IP_MULTICAST_IF");
	int ttl = 1, loop = 1;
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) < 0)
		die("IP_MULTICAST_TTL");
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop) < 0)
		die("IP_MULTICAST_LOOP");
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = group};
	if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0)
		die("connect");

	/* Datagrams per call: 64, and with GSO no more than one UDP datagram's worth. */
	unsigned per_gso = (unsigned)(MAX_UDP_PAYLOAD / payload);
	if (per_gso > BATCH)
		per_gso = BATCH;
	unsigned char *buf = malloc((size_t)BATCH * payload);
	if (!buf)
		die("malloc");
	for (size_t i = 0; i < (size_t)BATCH * payload; i++)
		buf[i] = (unsigned char)(i * 131 + 7);

	uint64_t count = (total + payload - 1) / payload;
	size_t tail = (size_t)(total - (count - 1) * payload); /* length of the last datagram */
	int gso_failed = 0;
	double t0 = now(), cpu0 = cpu_seconds();
	/* 2 ms, but at least two calls' worth: with a smaller bucket, any call that runs late
	 * (the kernel delivers each batch to every receiver inside it) loses its credit. */
	pacer.depth = 0.002;
	if (pacer.rate > 0 && 2.0 * BATCH * (double)payload / pacer.rate > pacer.depth)
		pacer.depth = 2.0 * BATCH * (double)payload / pacer.rate;
	pacer.deadline = t0;
	for (uint64_t seq = 0; seq < count;) {
		int use_gso = gso && !gso_failed && per_gso > 1;
		unsigned n = use_gso ? per_gso : BATCH;
		if (count - seq < n)
			n = (unsigned)(count - seq);
		size_t last_len = seq + n == count ? tail : payload;
		for (unsigned i = 0; i < n; i++)
			put_seq(buf + (size_t)i * payload, seq + i);
		size_t bytes = (size_t)(n - 1) * payload + last_len;
		pace(&pacer, bytes);
		if (use_gso) {
			if (send_gso(fd, buf, payload, bytes) < 0) {
				/* EMSGSIZE: PAYLOAD does not fit one frame of the interface's MTU. */
				if (errno != EINVAL && errno != EIO && errno != ENOPROTOOPT && errno != EMSGSIZE)
					die("sendmsg UDP_SEGMENT");
				fprintf(stderr, "UDP_SEGMENT refused (%s), falling back to sendmmsg\n", strerror(errno));
				gso_failed = 1;
				continue; /* resend the same datagrams, BATCH at a time */
			}
		} else {
			send_mmsg(fd, buf, payload, n, last_len);
		}
		seq += n;
	}
	double secs = now() - t0;

	/* A few end markers, 1 ms apart, in case some are dropped. */
	unsigned char marker[8];
	put_seq(marker, END_SEQ);
	for (int i = 0; i < END_MARKERS; i++) {
		if (send(fd, marker, sizeof marker, 0) < 0)
			die("send end marker");
		usleep(1000);
	}
	printf("{\"role\":\"send\",\"datagrams\":%llu,\"bytes\":%llu,\"seconds\":%.6f,\"MBps\":%.2f,"
	       "\"gso\":%s,\"cpu\":%.3f}\n",
	       (unsigned long long)count, total, secs, secs > 0 ? (double)total / secs / 1e6 : 0.0,
	       gso && !gso_failed && per_gso > 1 ? "true" : "false", cpu_seconds() - cpu0);
	free(buf);
	close(fd);
	return 0;
}

/* ---- receiver ---- */

static void set_timeout(int fd, int seconds)
{
	struct timeval tv = {.tv_sec = seconds};
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
		die("SO_RCVTIMEO");
}

/* The UDP_GRO cmsg carries the segment size of a coalesced message; none means one datagram. */
static size_t gro_segment_size(struct msghdr *mh, size_t len)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
			int seg;
			memcpy(&seg, CMSG_DATA(cm), sizeof seg);
			if (seg > 0)
				return (size_t)seg;
		}
	}
	return len;
}

static int do_recv(int argc, char **argv)
{
	if (argc < 5)
		usage();
	struct in_addr group = parse_addr(argv[2]);
	uint16_t port = (uint16_t)parse_num(argv[3], 1, 65535);
	struct in_addr ifaddr = parse_addr(argv[4]);
	int gro = 0;
	for (int i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "--gro"))
			gro = 1;
		else
			usage();
	}

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		die("SO_REUSEADDR");
	set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, RCVBUF);
	if (gro && setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one, sizeof one) < 0)
		die("UDP_GRO");
	/* Bound to the group address, the socket hears only this group. */
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = group};
	if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0)
		die("bind");
	struct ip_mreqn mreq = {.imr_multiaddr = group, .imr_address = ifaddr};
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0)
		die("IP_ADD_MEMBERSHIP");
	set_timeout(fd, FIRST_WAIT_S);
	fprintf(stderr, "ready\n");

	unsigned char *buf = malloc((size_t)BATCH * RECV_BUF);
	if (!buf)
		die("malloc");
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	char ctrl[BATCH][CMSG_SPACE(sizeof(int))];
	memset(msgs, 0, sizeof msgs);
	for (int i = 0; i < BATCH; i++) {
		iovs[i].iov_base = buf + (size_t)i * RECV_BUF;
		iovs[i].iov_len = RECV_BUF;
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_control = ctrl[i];
	}

	unsigned long long datagrams = 0, bytes = 0;
	uint64_t next_seq = 0; /* highest sequence number seen + 1 */
	double t_first = 0, t_last = 0;
	int ended = 0;
	double cpu0 = cpu_seconds();
	while (!ended) {
		for (int i = 0; i < BATCH; i++)
			msgs[i].msg_hdr.msg_controllen = sizeof ctrl[i];
		/* MSG_WAITFORONE: block for the first message, then take what is queued. */
		int r = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break; /* silence */
			die("recvmmsg");
		}
		double t = now();
		for (int i = 0; i < r && !ended; i++) {
			size_t len = msgs[i].msg_len;
			size_t seg = gro ? gro_segment_size(&msgs[i].msg_hdr, len) : len;
			/* A GRO message may end with a shorter segment, which can be an end marker. */
			for (size_t off = 0; off + 8 <= len; off += seg) {
				uint64_t be;
				memcpy(&be, (unsigned char *)iovs[i].iov_base + off, sizeof be);
				uint64_t seq = be64toh(be);
				if (seq == END_SEQ) {
					ended = 1;
					break;
				}
				if (datagrams == 0) {
					t_first = t;
					set_timeout(fd, SILENCE_S);
				}
				datagrams++;
				bytes += len - off < seg ? len - off : seg;
				if (seq + 1 > next_seq)
					next_seq = seq + 1;
			}
		}
		if (datagrams > 0)
			t_last = t;
	}
	double secs = t_last - t_first;
	printf("{\"datagrams\":%llu,\"bytes\":%llu,\"seconds\":%.6f,\"MBps\":%.2f,\"lost\":%llu,"
	       "\"ended\":%s,\"cpu\":%.3f}\n",
	       datagrams, bytes, secs, secs > 0 ? (double)bytes / secs / 1e6 : 0.0,
	       next_seq > datagrams ? (unsigned long long)(next_seq - datagrams) : 0ULL, ended ? "true" : "false",
	       cpu_seconds() - cpu0);
	free(buf);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "send"))
		return do_send(argc, argv);
	if (!strcmp(argv[1], "recv"))
		return do_recv(argc, argv);
	usage();
}
