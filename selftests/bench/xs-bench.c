// SPDX-License-Identifier: GPL-2.0
/*
 * xs-bench: xsession against the other ways two Linux processes talk.
 *
 * Not a test: it measures.  Every mechanism runs the same workloads as a
 * forked pair of processes (the parent drives and times, the child
 * serves), and every message is verified, so no mechanism can win by
 * measuring nothing:
 *
 *   rt_16 rt_1K rt_64K     round trip (request + reply), us per round trip
 *   ow_64 ow_4K ow_64K ow_1M  one-way stream, the receiver reads every byte
 *   conn                   connect + accept + close both ends, per second
 *   mem_idle               kernel memory per idle session, bytes
 *   loop_16 loop_64K       one process plays both ends of a round trip
 *                          (request, reply, each received at once): the
 *                          kernel's path without any sleep or wake-up,
 *                          so rt_X - loop_X is what waking costs
 *   syscall                a null system call (getppid), for scale
 *
 * Mechanisms:
 *   xsession        /dev/xsession through raw ioctls.  Every receiver maps
 *                   its ring and reads messages in place; it calls in
 *                   (XS_IOC_RING_WAIT) only when its ring is empty.
 *                   Round trips: XS_IOC_SEND_SYNC, and the server sends
 *                   each reply with the XS_IOC_RING_WAIT that waits for
 *                   the next request (one call per round trip on each
 *                   side).  One-way: XS_IOC_SEND per message.
 *   xsession-batch  one-way only: XS_IOC_SEND_BATCH
 *   xsession-async  round trips only: the client sends each request with
 *                   the XS_IOC_RING_WAIT that waits for its reply, and
 *                   reads the reply in place (XPC's send with a reply
 *                   handler), to tell the synchronous path's cost from
 *                   the rest
 *   af_unix         AF_UNIX SOCK_SEQPACKET: the reference, ratio 1
 *   pipe            two pipes for round trips, one for one-way
 *   futex           a MAP_SHARED page and FUTEX_WAIT/FUTEX_WAKE: the floor
 *                   of a blocking wake-up (round trips only)
 *   binder          Android binder through raw BINDER_WRITE_READ: the
 *                   server is the context manager, the client transacts
 *                   with handle 0 (needs /dev/binder)
 *
 * Verification: every payload is a multiple of 8 bytes, at least 16.  Its
 * first word is a stamp (the sequence number, with a tag for replies),
 * its last word a function of the stamp, and the words in between one of
 * NPAT fixed patterns chosen by the sequence number.  The receiver checks
 * the stamp and a sum over every word of the payload: a lost, repeated,
 * reordered, truncated or stale message (old body, new stamps) fails.
 * The sender stamps prebuilt buffers, so it pays no per-byte cost that
 * would dilute the comparison; the receiver reads every byte once.
 *
 * Buffering: every mechanism that can be told gets 4 MiB (xsession rings,
 * AF_UNIX SO_SNDBUFFORCE, F_SETPIPE_SZ, binder's mmap), so a 1 MiB
 * message fits everywhere and streams are limited by the mechanism, not
 * by one configuration being smaller.
 *
 * Timing: each figure is the median of REPS rounds (default 7).  The
 * first round sizes a run (doubling the count) to last about TARGET
 * seconds; every round then makes one short warm-up run and one measured
 * run per mechanism, and the rounds alternate between the mechanisms of
 * a workload, so a slow phase of the machine weighs on all of them
 * alike.  Under TCG the absolute numbers mean little; ratios measured in
 * one boot do.
 *
 * Output on stdout: comment lines ("# ..."), the results as TSV
 * (workload, mechanism, value, unit) between XS-BENCH-TSV-BEGIN and
 * XS-BENCH-TSV-END, then a table of ratios to AF_UNIX between
 * XS-BENCH-TABLE-BEGIN and XS-BENCH-TABLE-END.  Exit status: 0, or 1
 * when any message failed verification or a mechanism failed mid-run.
 *
 *   xs-bench [-t SECONDS] [-r REPS] [-n SESSIONS] [-m MECH,...]
 *            [-w WORKLOAD,...] [-c RING] [-p] all
 *   xs-bench list
 *
 * -c RING: conn with RING bytes of ring on both xsession ends (default:
 * the module's default), to see what ring allocation costs a connect.
 * -p: pin the driving process to CPU 0 and the serving one to CPU 1.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/android/binder.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/xsession.h>

#define KiB		1024UL
#define MiB		(1024UL * KiB)

/* Buffering every mechanism gets (see the top of the file). */
#define BUF_BYTES	(4 * MiB)
/* Patterns the payload bodies cycle through. */
#define NPAT		4
/* Multiplier of the last word: odd, so stamp -> tail is one to one. */
#define TAIL_K		0xd6e8feb86659fd93ULL
/* Stamp tag of replies, so an echo of the request is not a reply. */
#define TAG_REQ		0ULL
#define TAG_REPLY	0xa5a5000000000000ULL
/* Failures printed in detail per run; the rest are only counted. */
#define FAIL_PRINT_MAX	5
/* One workload may take this long before the program gives up on it. */
#define WATCHDOG_S	300

/* ------------------------------------------------------------------ */
/* Options, workloads, mechanisms                                      */
/* ------------------------------------------------------------------ */

static double opt_target = 0.4;		/* seconds one measured run lasts */
static int opt_reps = 7;		/* rounds */
static int opt_sessions = 500;		/* mem_idle: sessions held open */
static bool opt_pin;			/* parent on CPU 0, child on CPU 1 */
static uint32_t opt_conn_ring;		/* conn: xsession ring bytes, 0: default */
static const char *opt_mechs;		/* comma list, NULL: all */
static const char *opt_workloads;

enum kind { K_RT, K_OW, K_CONN, K_MEM, K_LOOP };

struct workload {
	const char *name;
	enum kind kind;
	size_t size;
	const char *unit;
	bool lower_better;
	/* xsession's target, as a ratio to AF_UNIX (0: none). */
	double target;
	const char *target_text;
};

static const struct workload workloads[] = {
	{ "rt_16",  K_RT, 16,       "us",        true,  0.65, "<=0.65x" },
	{ "rt_1K",  K_RT, 1 * KiB,  "us",        true,  0,    "" },
	{ "rt_64K", K_RT, 64 * KiB, "us",        true,  0.45, "<=0.45x" },
	{ "ow_64",  K_OW, 64,       "msg/s",     false, 3.0,  ">=3x" },
	{ "ow_4K",  K_OW, 4 * KiB,  "MB/s",      false, 0,    "" },
	{ "ow_64K", K_OW, 64 * KiB, "MB/s",      false, 2.5,  ">=2.5x" },
	{ "ow_1M",  K_OW, 1 * MiB,  "MB/s",      false, 2.5,  ">=2.5x" },
	{ "conn",   K_CONN, 0,      "conn/s",    false, 1.0,  ">=1x" },
	{ "mem_idle", K_MEM, 0,     "B/session", true,  0,    "<=4096 B" },
	{ "loop_16",  K_LOOP, 16,   "us",        true,  0,    "" },
	{ "loop_64K", K_LOOP, 64 * KiB, "us",    true,  0,    "" },
};
#define NR_WL		(sizeof(workloads) / sizeof(workloads[0]))

struct chan;

struct mech {
	const char *name;
	/* Which kinds it runs; others are reported as n/a or left out. */
	unsigned int kinds;
	/* Why a kind it does not run is n/a (shown in the table). */
	const char *na_why;
	/* Before fork: make what both processes inherit.  0 or -errno. */
	int (*open)(struct chan *c);
	/* After fork, in each process: keep its own end.  0 or -errno. */
	int (*child_init)(struct chan *c);
	int (*parent_init)(struct chan *c);
	/*
	 * One run of @n: the parent's side (client, sender, connector)
	 * and the child's (server, receiver, acceptor).  They return the
	 * number of verification failures, or -1 when the mechanism itself
	 * failed (a syscall error), which ends the workload.
	 */
	long (*parent_run)(struct chan *c, uint64_t n);
	long (*child_run)(struct chan *c, uint64_t n);
	/* mem_idle: open @n idle sessions into @fds; returns fds used. */
	int (*mem_open)(int *fds, int n, char *why, size_t whylen);
	/* loop_*: @n round trips between two ends both in this process. */
	long (*loop_run)(struct chan *c, uint64_t n);
};

#define KIND_BIT(k)	(1u << (k))

/* Per pair of processes: the channel and each side's buffers. */
struct chan {
	const struct mech *m;
	const struct workload *w;
	size_t size;
	int fd[4];
	void *shm;		/* futex: the shared page(s) */
	char name[96];		/* xsession: service name */
	struct sockaddr_un sun;	/* af_unix conn: abstract address */
	socklen_t sunlen;
	/* This side's next sequence number (sent or expected). */
	uint64_t seq;
	/* Prebuilt messages: txcount buffers of stride bytes. */
	uint8_t *tx;
	size_t stride;
	unsigned int txcount;
	uint8_t *rx;
	uint64_t patsum[NPAT];
	unsigned int batch;	/* xsession-batch: messages per call */
	bool async;		/* xsession-async: replies through the ring */
	struct xs_send_desc *descs;
	/* xsession: this side's receive ring, mapped */
	struct xs_ring_ctl *ctl;
	const uint8_t *ring;
	uint32_t ring_size;
	uint32_t head;
	/* binder */
	void *bmap;
	uint64_t bfree;		/* a received buffer still to free, or 0 */
	uint64_t retries;	/* binder one-way: sends refused, retried */
	bool looper;		/* binder server: BC_ENTER_LOOPER was sent */
	unsigned int failprint;
};

static const struct workload *cur_wl;
static const char *cur_mech;

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A comment line on stdout, flushed: the log survives a later hang. */
static void note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* A syscall that failed where it must not: say where, fail the run. */
static long fail_sys(const char *what)
{
	note("ERROR %s/%s: %s: %s", cur_wl ? cur_wl->name : "-",
	     cur_mech ? cur_mech : "-", what, strerror(errno));
	return -1;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t r = write(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= r;
	}
	return 0;
}

/* 0, or -1 with errno (0 for end of file). */
static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t r = read(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			errno = 0;
		if (r <= 0)
			return -1;
		p += r;
		len -= r;
	}
	return 0;
}

static void *xmalloc_aligned(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, 4096, len ? len : 1)) {
		note("ERROR out of memory (%zu bytes)", len);
		exit(1);
	}
	/* Touch every page now, not inside a timed run. */
	memset(p, 0, len);
	return p;
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		note("cannot pin to CPU %d: %s", cpu, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* Payloads: stamps and sums                                           */
/* ------------------------------------------------------------------ */

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t pat_word(unsigned int p, size_t i)
{
	return mix64(((uint64_t)p << 56) ^ i);
}

/* Sum of every 64-bit word: four chains so it is not latency bound. */
static uint64_t sum_words(const void *buf, size_t len)
{
	const uint64_t *w = buf;
	size_t n = len / 8, i = 0;
	uint64_t a = 0, b = 0, c = 0, d = 0;

	for (; i + 4 <= n; i += 4) {
		a += w[i];
		b += w[i + 1];
		c += w[i + 2];
		d += w[i + 3];
	}
	for (; i < n; i++)
		a += w[i];
	return a + b + c + d;
}

/*
 * This side's buffers for messages of c->size: @count prebuilt messages
 * (a multiple of NPAT, buffer k carrying pattern k % NPAT, so message
 * seq uses buffer seq % count and gets pattern seq % NPAT) and one
 * receive buffer.
 */
static void payload_init(struct chan *c, unsigned int count)
{
	size_t words = c->size / 8, i;
	unsigned int k, p;

	c->stride = (c->size + 63) & ~(size_t)63;
	c->txcount = count;
	c->tx = xmalloc_aligned(c->stride * count);
	c->rx = xmalloc_aligned(c->size);
	for (k = 0; k < count; k++) {
		uint64_t *w = (uint64_t *)(c->tx + k * c->stride);

		for (i = 1; i + 1 < words; i++)
			w[i] = pat_word(k % NPAT, i);
	}
	for (p = 0; p < NPAT; p++) {
		c->patsum[p] = 0;
		for (i = 1; i + 1 < words; i++)
			c->patsum[p] += pat_word(p, i);
	}
}

/* The prebuilt message for @seq, stamped. */
static void *payload_stamp(struct chan *c, uint64_t seq, uint64_t tag)
{
	uint64_t *w = (uint64_t *)(c->tx + (seq % c->txcount) * c->stride);
	uint64_t h = seq ^ tag;

	w[0] = h;
	w[c->size / 8 - 1] = h * TAIL_K;
	return w;
}

/* Check a received payload: returns 0 or 1 (one failure). */
static long payload_check(struct chan *c, const void *buf, size_t len,
			  uint64_t seq, uint64_t tag)
{
	uint64_t h = seq ^ tag, got_h = 0, want, sum;

	if (len == c->size) {
		memcpy(&got_h, buf, sizeof(got_h));
		sum = sum_words(buf, len);
		want = c->patsum[seq % NPAT] + h + h * TAIL_K;
		if (got_h == h && sum == want)
			return 0;
	}
	if (c->failprint++ < FAIL_PRINT_MAX)
		note("VERIFY FAIL %s/%s: seq %llu: %zu bytes (want %zu), stamp %#llx (want %#llx)",
		     cur_wl->name, c->m->name, (unsigned long long)seq, len,
		     c->size, (unsigned long long)got_h,
		     (unsigned long long)h);
	return 1;
}

/* ------------------------------------------------------------------ */
/* xsession                                                            */
/* ------------------------------------------------------------------ */

static struct xs_info xs_info;
static bool xs_have_info;

static int xs_open_dev(void)
{
	return open(XS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

static int xs_query_info(char *why, size_t whylen)
{
	int fd, r;

	if (xs_have_info)
		return 0;
	fd = xs_open_dev();
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", XS_DEVICE_PATH, strerror(errno));
		return -errno;
	}
	memset(&xs_info, 0, sizeof(xs_info));
	xs_info.size = sizeof(xs_info);
	r = ioctl(fd, XS_IOC_INFO, &xs_info);
	close(fd);
	if (r) {
		snprintf(why, whylen, "XS_IOC_INFO: %s", strerror(errno));
		return -errno;
	}
	xs_have_info = true;
	note("xsession %s: max_msg_size %u, ring_size_max %u, features %#llx",
	     xs_info.version, xs_info.max_msg_size, xs_info.ring_size_max,
	     (unsigned long long)xs_info.features);
	return 0;
}

static int xs_listen_on(int fd, const char *name, uint32_t ring_size,
			uint32_t flags)
{
	struct xs_listen l = {
		.size = sizeof(l),
		.flags = flags,
		.name = (uintptr_t)name,
		.ring_size = ring_size,
	};

	return ioctl(fd, XS_IOC_LISTEN, &l);
}

static int xs_connect_to(int fd, const char *name, uint32_t flags,
			 uint32_t ring_size)
{
	struct xs_connect cn = {
		.size = sizeof(cn),
		.flags = flags,
		.name = (uintptr_t)name,
		.ring_size = ring_size,
	};

	return ioctl(fd, XS_IOC_CONNECT, &cn);
}

static int xs_accept_on(int lfd)
{
	struct xs_accept a = { .size = sizeof(a), .fd = -1 };
	int r;

	do
		r = ioctl(lfd, XS_IOC_ACCEPT, &a);
	while (r < 0 && errno == EINTR);
	return r;
}

static void xs_name(struct chan *c)
{
	static unsigned int counter;

	snprintf(c->name, sizeof(c->name), "org.xsbench.%s.%d.%u",
		 c->w->name[0] == 'c' ? "conn" : "data", (int)getpid(),
		 counter++);
}

/*
 * A connected, activated session before fork: both rings BUF_BYTES, so
 * a 1 MiB one-way message and a 64 KiB reply (judged against the
 * requester's ring) fit.
 */
static int xs_open(struct chan *c)
{
	char why[128];
	int lfd, cfd, sfd;

	if (xs_query_info(why, sizeof(why)))
		return -ENODEV;
	if (c->w->kind == K_CONN) {
		xs_name(c);
		return 0;	/* the child listens */
	}
	if (xs_info.max_msg_size < c->size || xs_info.ring_size_max < BUF_BYTES) {
		note("xsession: %zu-byte messages need max_msg_size >= %zu and ring_size_max >= %lu",
		     c->size, c->size, BUF_BYTES);
		return -EMSGSIZE;
	}
	xs_name(c);
	lfd = xs_open_dev();
	cfd = xs_open_dev();
	if (lfd < 0 || cfd < 0)
		return -errno;
	if (xs_listen_on(lfd, c->name, BUF_BYTES, XS_LISTEN_RING_MMAP) ||
	    xs_connect_to(cfd, c->name, XS_CONNECT_RING_MMAP, BUF_BYTES))
		return -errno;
	sfd = xs_accept_on(lfd);
	if (sfd < 0 || ioctl(sfd, XS_IOC_ACTIVATE))
		return -errno;
	close(lfd);
	c->fd[0] = cfd;
	c->fd[1] = sfd;
	return 0;
}

/* Map @fd's receive ring, to read every message in place. */
static int xs_ring_map(struct chan *c, int fd)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 XS_RING_OFF_CTL);
	if (p == MAP_FAILED)
		return -errno;
	c->ctl = p;
	c->ring_size = c->ctl->size;
	p = mmap(NULL, 2 * (size_t)c->ring_size, PROT_READ, MAP_SHARED, fd,
		 XS_RING_OFF_DATA);
	if (p == MAP_FAILED)
		return -errno;
	c->ring = p;
	c->head = c->ctl->head;
	return 0;
}

/*
 * The next record of this side's ring, read in place.  Calls in only when
 * the ring is empty, or to send @send (then it sends, and waits in the
 * same call).  NULL with errno set on failure.
 */
static const struct xs_msg_hdr *xs_ring_next(struct chan *c, int fd,
					     struct xs_send *send)
{
	struct xs_ring_wait w = { .size = sizeof(w), .send = (uintptr_t)send };
	uint32_t tail;

	for (;;) {
		if (!w.send) {
			/* Pair A: the record is complete once tail covers it. */
			tail = __atomic_load_n(&c->ctl->tail, __ATOMIC_ACQUIRE);
			if (tail != c->head)
				return (const void *)(c->ring +
						      (c->head & (c->ring_size - 1)));
		}
		if (ioctl(fd, XS_IOC_RING_WAIT, &w) && errno != EINTR)
			return NULL;
		w.send = 0;
	}
}

/* Done with the record at head: release it, wake a waiting sender. */
static void xs_ring_release(struct chan *c, int fd,
			    const struct xs_msg_hdr *hdr)
{
	struct xs_ring_wait w = { .size = sizeof(w), .flags = XS_NONBLOCK };

	c->head += XS_RING_RECORD_SIZE(hdr->payload_len);
	/* Pair B: our reads of the record before the kernel reuses it. */
	__atomic_store_n(&c->ctl->head, c->head, __ATOMIC_RELEASE);
	/* Pair C: head before the look at need_wakeup. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&c->ctl->need_wakeup, __ATOMIC_RELAXED))
		ioctl(fd, XS_IOC_RING_WAIT, &w);	/* -EAGAIN is fine */
}

static int xs_child_init(struct chan *c)
{
	if (c->w->kind == K_CONN) {
		c->fd[1] = xs_open_dev();
		if (c->fd[1] < 0 ||
		    xs_listen_on(c->fd[1], c->name, opt_conn_ring, 0))
			return -errno;
		return 0;
	}
	close(c->fd[0]);
	payload_init(c, NPAT);
	return xs_ring_map(c, c->fd[1]);
}

static int xs_parent_init(struct chan *c)
{
	if (c->w->kind == K_CONN)
		return 0;
	close(c->fd[1]);
	c->async = !strcmp(c->m->name, "xsession-async");
	if (!strcmp(c->m->name, "xsession-batch")) {
		/* Up to 256 KiB of messages per call, 4..64 messages. */
		size_t b = 256 * KiB / c->size;

		b = b < NPAT ? NPAT : b > 64 ? 64 : b;
		c->batch = b & ~(NPAT - 1u);
		c->descs = xmalloc_aligned(c->batch * sizeof(*c->descs));
		payload_init(c, c->batch);
	} else {
		payload_init(c, NPAT);
	}
	/* xsession-async reads its replies in place. */
	return c->async ? xs_ring_map(c, c->fd[0]) : 0;
}

static int xs_recv_into(int fd, void *buf, uint32_t cap, struct xs_msg_hdr *hdr)
{
	struct xs_recv r = {
		.size = sizeof(r),
		.buf = (uintptr_t)buf,
		.buf_len = cap,
	};
	int ret;

	do
		ret = ioctl(fd, XS_IOC_RECV, &r);
	while (ret < 0 && errno == EINTR);
	*hdr = r.hdr;
	return ret;
}

static long xs_rt_client(struct chan *c, uint64_t n)
{
	struct xs_send_sync s = {
		.size = sizeof(s),
		.payload_len = c->size,
		.reply_cap = c->size,
		.reply_buf = (uintptr_t)c->rx,
	};
	long bad = 0;
	uint64_t i;

	for (i = 0; i < n; i++, c->seq++) {
		s.payload = (uintptr_t)payload_stamp(c, c->seq, TAG_REQ);
		/* Never -EINTR here: nothing sends this process signals. */
		if (ioctl(c->fd[0], XS_IOC_SEND_SYNC, &s))
			return fail_sys("XS_IOC_SEND_SYNC");
		if (s.reply_kind != XS_MSG_REPLY)
			bad++;
		else
			bad += payload_check(c, c->rx, s.reply_len, c->seq,
					     TAG_REPLY);
	}
	return bad;
}

/*
 * A request sent by the call that waits for its reply, which is read in
 * place: one call per round trip.
 */
static long xs_rt_async_client(struct chan *c, uint64_t n)
{
	struct xs_send s = {
		.size = sizeof(s),
		.kind = XS_MSG_REQUEST,
		.payload_len = c->size,
	};
	const struct xs_msg_hdr *hdr;
	long bad = 0;
	uint64_t i;

	for (i = 0; i < n; i++, c->seq++) {
		s.payload = (uintptr_t)payload_stamp(c, c->seq, TAG_REQ);
		hdr = xs_ring_next(c, c->fd[0], &s);
		if (!hdr)
			return fail_sys("XS_IOC_RING_WAIT with a request");
		if (hdr->kind != XS_MSG_REPLY || hdr->reply_to != s.id)
			bad++;
		else
			bad += payload_check(c, hdr + 1, hdr->payload_len,
					     c->seq, TAG_REPLY);
		xs_ring_release(c, c->fd[0], hdr);
	}
	return bad;
}

/*
 * Requests read in place; each reply goes out with the call that waits
 * for the next request, the last one on its own.
 */
static long xs_rt_server(struct chan *c, uint64_t n)
{
	struct xs_send s = {
		.size = sizeof(s),
		.kind = XS_MSG_REPLY,
		.payload_len = c->size,
	};
	const struct xs_msg_hdr *hdr;
	long bad = 0;
	uint64_t i;

	for (i = 0; i < n; i++, c->seq++) {
		hdr = xs_ring_next(c, c->fd[1], i ? &s : NULL);
		if (!hdr)
			return fail_sys("XS_IOC_RING_WAIT with a reply");
		if (hdr->kind != XS_MSG_REQUEST)
			bad++;
		else
			bad += payload_check(c, hdr + 1, hdr->payload_len,
					     c->seq, TAG_REQ);
		s.reply_to = hdr->id;
		s.payload = (uintptr_t)payload_stamp(c, c->seq, TAG_REPLY);
		xs_ring_release(c, c->fd[1], hdr);
	}
	if (n && ioctl(c->fd[1], XS_IOC_SEND, &s))
		return fail_sys("XS_IOC_SEND reply");
	return bad;
}

static long xs_ow_send(struct chan *c, uint64_t n)
{
	struct xs_send s = {
		.size = sizeof(s),
		.kind = XS_MSG_ONEWAY,
		.payload_len = c->size,
	};
	uint64_t i;
	int r;

	for (i = 0; i < n; i++, c->seq++) {
		s.payload = (uintptr_t)payload_stamp(c, c->seq, TAG_REQ);
		do
			r = ioctl(c->fd[0], XS_IOC_SEND, &s);
		while (r < 0 && errno == EINTR);
		if (r)
			return fail_sys("XS_IOC_SEND");
	}
	return 0;
}

static long xs_ow_send_batch(struct chan *c, uint64_t n)
{
	struct xs_send_batch b = {
		.size = sizeof(b),
		.descs = (uintptr_t)c->descs,
		.desc_size = sizeof(struct xs_send_desc),
	};
	uint64_t done = 0;

	while (done < n) {
		unsigned int k = n - done < c->batch ? n - done : c->batch;
		unsigned int j, off = 0;

		for (j = 0; j < k; j++) {
			c->descs[j] = (struct xs_send_desc) {
				.kind = XS_MSG_ONEWAY,
				.payload = (uintptr_t)payload_stamp(c, c->seq + j,
								    TAG_REQ),
				.payload_len = c->size,
			};
		}
		/* A partial batch queued its first @queued: send the rest. */
		while (off < k) {
			b.descs = (uintptr_t)(c->descs + off);
			b.count = k - off;
			if (ioctl(c->fd[0], XS_IOC_SEND_BATCH, &b) < 0 &&
			    errno != EINTR)
				return fail_sys("XS_IOC_SEND_BATCH");
			if (b.error && b.error != -EINTR) {
				errno = -b.error;
				return fail_sys("XS_IOC_SEND_BATCH descriptor");
			}
			off += b.queued;
		}
		c->seq += k;
		done += k;
	}
	return 0;
}

static long xs_ow_recv(struct chan *c, uint64_t n)
{
	const struct xs_msg_hdr *hdr;
	long bad = 0;
	uint64_t i;

	for (i = 0; i < n; i++, c->seq++) {
		hdr = xs_ring_next(c, c->fd[1], NULL);
		if (!hdr)
			return fail_sys("XS_IOC_RING_WAIT");
		if (hdr->kind != XS_MSG_ONEWAY)
			bad++;
		else
			bad += payload_check(c, hdr + 1, hdr->payload_len,
					     c->seq, TAG_REQ);
		xs_ring_release(c, c->fd[1], hdr);
	}
	return bad;
}

/* Sessions a connecting client keeps open until the server had them. */
#define XS_CONN_WINDOW	16

/* Wait for @fd to become readable: here, the session's end. */
static int xs_wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, -1);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : 0;
}

/*
 * connect + accept + close.  A client that closes a session whose request
 * no server has accepted yet withdraws it (the server never sees it), so
 * the client keeps its last XS_CONN_WINDOW sessions open and closes each
 * once the server has accepted, activated and closed it (its END item
 * arrived).  Like AF_UNIX's backlog, the window lets both sides run
 * without waiting for each other at every connection.
 */
static long xs_conn_client(struct chan *c, uint64_t n)
{
	int win[XS_CONN_WINDOW];
	uint64_t i;
	int fd, r;

	for (i = 0; i < n + XS_CONN_WINDOW; i++) {
		int *slot = &win[i % XS_CONN_WINDOW];

		if (i >= XS_CONN_WINDOW) {
			if (xs_wait_readable(*slot))
				return fail_sys("poll");
			close(*slot);
		}
		if (i >= n)
			continue;
		fd = xs_open_dev();
		if (fd < 0)
			return fail_sys("open " XS_DEVICE_PATH);
		do
			r = xs_connect_to(fd, c->name, 0, opt_conn_ring);
		while (r < 0 && errno == EINTR);
		if (r)
			return fail_sys("XS_IOC_CONNECT");
		*slot = fd;
	}
	return 0;
}

static long xs_conn_server(struct chan *c, uint64_t n)
{
	uint64_t i;
	int fd;

	for (i = 0; i < n; i++) {
		fd = xs_accept_on(c->fd[1]);
		if (fd < 0)
			return fail_sys("XS_IOC_ACCEPT");
		if (ioctl(fd, XS_IOC_ACTIVATE))
			return fail_sys("XS_IOC_ACTIVATE");
		close(fd);
	}
	return 0;
}

static long xs_rt_or_ow_parent(struct chan *c, uint64_t n)
{
	switch (c->w->kind) {
	case K_RT:
		return c->async ? xs_rt_async_client(c, n) : xs_rt_client(c, n);
	case K_OW:
		return c->batch ? xs_ow_send_batch(c, n) : xs_ow_send(c, n);
	default:
		return xs_conn_client(c, n);
	}
}

static long xs_rt_or_ow_child(struct chan *c, uint64_t n)
{
	switch (c->w->kind) {
	case K_RT:
		return xs_rt_server(c, n);
	case K_OW:
		return xs_ow_recv(c, n);
	default:
		return xs_conn_server(c, n);
	}
}

/*
 * loop_*: both ends are this process's, so nothing ever waits.  The
 * request goes as XS_IOC_SEND (a synchronous send would sleep), so its
 * reply comes back through the client's ring, as in xsession-async.
 */
static long xs_loop(struct chan *c, uint64_t n)
{
	struct xs_send req = {
		.size = sizeof(req),
		.kind = XS_MSG_REQUEST,
		.payload_len = c->size,
	}, rep = {
		.size = sizeof(rep),
		.kind = XS_MSG_REPLY,
		.payload_len = c->size,
	};
	struct xs_msg_hdr hdr;
	long bad = 0;
	uint64_t i;

	for (i = 0; i < n; i++, c->seq++) {
		req.payload = (uintptr_t)payload_stamp(c, c->seq, TAG_REQ);
		if (ioctl(c->fd[0], XS_IOC_SEND, &req))
			return fail_sys("XS_IOC_SEND request");
		if (xs_recv_into(c->fd[1], c->rx, c->size, &hdr))
			return fail_sys("XS_IOC_RECV request");
		bad += payload_check(c, c->rx, hdr.payload_len, c->seq, TAG_REQ);
		rep.reply_to = hdr.id;
		rep.payload = (uintptr_t)payload_stamp(c, c->seq, TAG_REPLY);
		if (ioctl(c->fd[1], XS_IOC_SEND, &rep))
			return fail_sys("XS_IOC_SEND reply");
		if (xs_recv_into(c->fd[0], c->rx, c->size, &hdr))
			return fail_sys("XS_IOC_RECV reply");
		bad += payload_check(c, c->rx, hdr.payload_len, c->seq, TAG_REPLY);
	}
	return bad;
}

/* One message from @from to @to: the rings get their pages with it. */
static int xs_mem_ping(int from, int to)
{
	struct xs_send s = {
		.size = sizeof(s),
		.kind = XS_MSG_ONEWAY,
		.payload = (uintptr_t)"ping!!!",
		.payload_len = 8,
	};
	struct xs_msg_hdr hdr;
	char buf[8];

	if (ioctl(from, XS_IOC_SEND, &s))
		return -1;
	return xs_recv_into(to, buf, sizeof(buf), &hdr);
}

/*
 * Sessions for mem_idle: one-page rings, so what is not ring shows.  One
 * message each way first: a ring gets its pages with its first message,
 * and an idle session is one that was used, not one that never was.
 */
static int xs_mem_open(int *fds, int n, char *why, size_t whylen)
{
	char name[64];
	int lfd, i, used = 0;

	if (xs_query_info(why, whylen))
		return -1;
	snprintf(name, sizeof(name), "org.xsbench.mem.%d", (int)getpid());
	lfd = xs_open_dev();
	if (lfd < 0 || xs_listen_on(lfd, name, 4096, 0)) {
		snprintf(why, whylen, "listen: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		int cfd = xs_open_dev(), sfd;

		if (cfd < 0 || xs_connect_to(cfd, name, 0, 4096))
			break;
		fds[used++] = cfd;
		sfd = xs_accept_on(lfd);
		if (sfd < 0)
			break;
		fds[used++] = sfd;
		if (ioctl(sfd, XS_IOC_ACTIVATE) || xs_mem_ping(cfd, sfd) ||
		    xs_mem_ping(sfd, cfd))
			break;
	}
	if (i < n)
		snprintf(why, whylen, "session %d: %s", i, strerror(errno));
	close(lfd);
	return i < n ? -1 : used;
}

/* ------------------------------------------------------------------ */
/* AF_UNIX SOCK_SEQPACKET                                              */
/* ------------------------------------------------------------------ */

static void unix_bufs(int fd)
{
	/* The kernel doubles the value: BUF_BYTES of send buffer. */
	int v = BUF_BYTES / 2;

	/* Root may pass wmem_max; without it the default applies. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

static int unix_open(struct chan *c)
{
	int sv[2];

	if (c->w->kind == K_CONN) {
		/* Abstract: a name lookup like xsession's, no filesystem. */
		memset(&c->sun, 0, sizeof(c->sun));
		c->sun.sun_family = AF_UNIX;
		snprintf(c->sun.sun_path + 1, sizeof(c->sun.sun_path) - 1,
			 "xs-bench.%d", (int)getpid());
		c->sunlen = offsetof(struct sockaddr_un, sun_path) + 1 +
			    strlen(c->sun.sun_path + 1);
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	unix_bufs(sv[0]);
	unix_bufs(sv[1]);
	c->fd[0] = sv[0];
	c->fd[1] = sv[1];
	return 0;
}

static int unix_child_init(struct chan *c)
{
	if (c->w->kind == K_CONN) {
		c->fd[1] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (c->fd[1] < 0 ||
		    bind(c->fd[1], (struct sockaddr *)&c->sun, c->sunlen) ||
		    listen(c->fd[1], 128))
			return -errno;
		return 0;
	}
	close(c->fd[0]);
	payload_init(c, NPAT);
	return 0;
}

static int unix_parent_init(struct chan *c)
{
	if (c->w->kind == K_CONN)
		return 0;
	close(c->fd[1]);
	payload_init(c, NPAT);
	return 0;
}

static int unix_send1(int fd, const void *buf, size_t len)
{
	ssize_t r;

	do
		r = send(fd, buf, len, 0);
	while (r < 0 && errno == EINTR);
	return r == (ssize_t)len ? 0 : -1;
}

/* One message; its length (MSG_TRUNC: the real one), or -1. */
static ssize_t unix_recv1(int fd, void *buf, size_t cap)
{
	ssize_t r;

	do
		r = recv(fd, buf, cap, MSG_TRUNC);
	while (r < 0 && errno == EINTR);
	return r;
}

static long unix_run(struct chan *c, uint64_t n, bool parent)
{
	int fd = c->fd[parent ? 0 : 1];
	long bad = 0;
	uint64_t i;
	ssize_t r;

	for (i = 0; i < n; i++, c->seq++) {
		if (parent) {
			if (unix_send1(fd, payload_stamp(c, c->seq, TAG_REQ), c->size))
				return fail_sys("send");
			if (c->w->kind == K_OW)
				continue;
			r = unix_recv1(fd, c->rx, c->size);
			if (r < 0)
				return fail_sys("recv reply");
			bad += payload_check(c, c->rx, r, c->seq, TAG_REPLY);
		} else {
			r = unix_recv1(fd, c->rx, c->size);
			if (r < 0)
				return fail_sys("recv");
			bad += payload_check(c, c->rx, r, c->seq, TAG_REQ);
			if (c->w->kind == K_OW)
				continue;
			if (unix_send1(fd, payload_stamp(c, c->seq, TAG_REPLY), c->size))
				return fail_sys("send reply");
		}
	}
	return bad;
}

static long unix_parent_run(struct chan *c, uint64_t n)
{
	uint64_t i;
	int fd;

	if (c->w->kind != K_CONN)
		return unix_run(c, n, true);
	for (i = 0; i < n; i++) {
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return fail_sys("socket");
		if (connect(fd, (struct sockaddr *)&c->sun, c->sunlen))
			return fail_sys("connect");
		close(fd);
	}
	return 0;
}

static long unix_child_run(struct chan *c, uint64_t n)
{
	uint64_t i;
	int fd;

	if (c->w->kind != K_CONN)
		return unix_run(c, n, false);
	for (i = 0; i < n; i++) {
		do
			fd = accept4(c->fd[1], NULL, NULL, SOCK_CLOEXEC);
		while (fd < 0 && errno == EINTR);
		if (fd < 0)
			return fail_sys("accept");
		close(fd);
	}
	return 0;
}

static long unix_loop(struct chan *c, uint64_t n)
{
	long bad = 0;
	uint64_t i;
	ssize_t r;

	for (i = 0; i < n; i++, c->seq++) {
		if (unix_send1(c->fd[0], payload_stamp(c, c->seq, TAG_REQ), c->size))
			return fail_sys("send");
		r = unix_recv1(c->fd[1], c->rx, c->size);
		if (r < 0)
			return fail_sys("recv");
		bad += payload_check(c, c->rx, r, c->seq, TAG_REQ);
		if (unix_send1(c->fd[1], payload_stamp(c, c->seq, TAG_REPLY), c->size))
			return fail_sys("send reply");
		r = unix_recv1(c->fd[0], c->rx, c->size);
		if (r < 0)
			return fail_sys("recv reply");
		bad += payload_check(c, c->rx, r, c->seq, TAG_REPLY);
	}
	return bad;
}

static int unix_mem_open(int *fds, int n, char *why, size_t whylen)
{
	int i;

	for (i = 0; i < n; i++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
			       fds + 2 * i)) {
			snprintf(why, whylen, "socketpair %d: %s", i,
				 strerror(errno));
			return -1;
		}
	}
	return 2 * n;
}

/* ------------------------------------------------------------------ */
/* Pipes: fixed-size framing                                           */
/* ------------------------------------------------------------------ */

static int pipe_open(struct chan *c)
{
	int a[2], b[2];

	if (pipe2(a, O_CLOEXEC) || pipe2(b, O_CLOEXEC))
		return -errno;
	/* Root may exceed pipe-max-size; without it the default stays. */
	fcntl(a[1], F_SETPIPE_SZ, (int)BUF_BYTES);
	fcntl(b[1], F_SETPIPE_SZ, (int)BUF_BYTES);
	c->fd[0] = a[0];	/* request: parent writes a[1], child reads a[0] */
	c->fd[1] = a[1];
	c->fd[2] = b[0];	/* reply: child writes b[1], parent reads b[0] */
	c->fd[3] = b[1];
	return 0;
}

static int pipe_child_init(struct chan *c)
{
	close(c->fd[1]);
	close(c->fd[2]);
	payload_init(c, NPAT);
	return 0;
}

static int pipe_parent_init(struct chan *c)
{
	close(c->fd[0]);
	close(c->fd[3]);
	payload_init(c, NPAT);
	return 0;
}

static long pipe_run(struct chan *c, uint64_t n, bool parent)
{
	long bad = 0;
	uint64_t i;

	for (i = 0; i < n; i++, c->seq++) {
		if (parent) {
			if (write_full(c->fd[1], payload_stamp(c, c->seq, TAG_REQ), c->size))
				return fail_sys("write");
			if (c->w->kind == K_OW)
				continue;
			if (read_full(c->fd[2], c->rx, c->size))
				return fail_sys("read reply");
			bad += payload_check(c, c->rx, c->size, c->seq, TAG_REPLY);
		} else {
			if (read_full(c->fd[0], c->rx, c->size))
				return fail_sys("read");
			bad += payload_check(c, c->rx, c->size, c->seq, TAG_REQ);
			if (c->w->kind == K_OW)
				continue;
			if (write_full(c->fd[3], payload_stamp(c, c->seq, TAG_REPLY), c->size))
				return fail_sys("write reply");
		}
	}
	return bad;
}

static long pipe_loop(struct chan *c, uint64_t n)
{
	long bad = 0;
	uint64_t i;

	for (i = 0; i < n; i++, c->seq++) {
		if (write_full(c->fd[1], payload_stamp(c, c->seq, TAG_REQ), c->size))
			return fail_sys("write");
		if (read_full(c->fd[0], c->rx, c->size))
			return fail_sys("read");
		bad += payload_check(c, c->rx, c->size, c->seq, TAG_REQ);
		if (write_full(c->fd[3], payload_stamp(c, c->seq, TAG_REPLY), c->size))
			return fail_sys("write reply");
		if (read_full(c->fd[2], c->rx, c->size))
			return fail_sys("read reply");
		bad += payload_check(c, c->rx, c->size, c->seq, TAG_REPLY);
	}
	return bad;
}

static long pipe_parent_run(struct chan *c, uint64_t n)
{
	return pipe_run(c, n, true);
}

static long pipe_child_run(struct chan *c, uint64_t n)
{
	return pipe_run(c, n, false);
}

/* ------------------------------------------------------------------ */
/* futex ping-pong on shared memory                                    */
/* ------------------------------------------------------------------ */

/*
 * One word says whose turn it is: 2s+1 once request s is in the shared
 * buffer, 2s+2 once its reply is.  Each side copies its message in
 * (one copy, like a single-copy kernel path), wakes the other and
 * sleeps in FUTEX_WAIT until the word moves on.  No spinning: this is
 * the cost of a blocking wake-up across processes and nothing more.
 */
struct futex_shm {
	uint32_t turn;
	uint8_t pad[60];
	uint8_t data[] __attribute__((aligned(64)));
};

static long sys_futex(uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static void futex_post(uint32_t *turn, uint32_t v)
{
	__atomic_store_n(turn, v, __ATOMIC_RELEASE);
	/* Shared (not private) futex: the page is mapped in two mms. */
	sys_futex(turn, FUTEX_WAKE, 1);
}

static void futex_await(uint32_t *turn, uint32_t want)
{
	uint32_t v;

	while ((v = __atomic_load_n(turn, __ATOMIC_ACQUIRE)) != want)
		sys_futex(turn, FUTEX_WAIT, v);
}

static int futex_open(struct chan *c)
{
	c->shm = mmap(NULL, sizeof(struct futex_shm) + c->size,
		      PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c->shm == MAP_FAILED)
		return -errno;
	return 0;
}

static int futex_init(struct chan *c)
{
	payload_init(c, NPAT);
	return 0;
}

static long futex_parent_run(struct chan *c, uint64_t n)
{
	struct futex_shm *s = c->shm;
	long bad = 0;
	uint64_t i;

	for (i = 0; i < n; i++, c->seq++) {
		uint32_t t = (uint32_t)c->seq * 2;

		memcpy(s->data, payload_stamp(c, c->seq, TAG_REQ), c->size);
		futex_post(&s->turn, t + 1);
		futex_await(&s->turn, t + 2);
		/* The reply is read in place: every byte, once. */
		bad += payload_check(c, s->data, c->size, c->seq, TAG_REPLY);
	}
	return bad;
}

static long futex_child_run(struct chan *c, uint64_t n)
{
	struct futex_shm *s = c->shm;
	long bad = 0;
	uint64_t i;

	for (i = 0; i < n; i++, c->seq++) {
		uint32_t t = (uint32_t)c->seq * 2;

		futex_await(&s->turn, t + 1);
		bad += payload_check(c, s->data, c->size, c->seq, TAG_REQ);
		memcpy(s->data, payload_stamp(c, c->seq, TAG_REPLY), c->size);
		futex_post(&s->turn, t + 2);
	}
	return bad;
}

/* ------------------------------------------------------------------ */
/* Android binder, raw BINDER_WRITE_READ                               */
/* ------------------------------------------------------------------ */

/*
 * The child is the context manager (handle 0 to everyone on the device),
 * a single looper thread; the parent is a client transacting with
 * handle 0.  Payloads are the transaction's data buffer (no objects, no
 * offsets).  The receiver reads them in place in its binder mapping,
 * then frees them with BC_FREE_BUFFER, batched into its next call, as
 * libbinder does.  A round trip costs the client one ioctl and the
 * server two (the reply's BR_TRANSACTION_COMPLETE comes back at once,
 * then the server blocks for the next transaction), as with libbinder.
 *
 * One-way: TF_ONE_WAY.  Binder gives a oneway sender no backpressure:
 * when the receiver's async space (half its mapping) is used up the
 * send fails with BR_FAILED_REPLY and the data are gone.  The sender
 * then yields and sends the same message again; those retries are
 * counted, never counted as messages.
 */
static const char *binder_paths[] = { "/dev/binderfs/binder", "/dev/binder" };

#define BINDER_RBUF	256
/*
 * Largest write: BC_ENTER_LOOPER, BC_REPLY and BC_FREE_BUFFER, each a
 * 32-bit command and its argument.
 */
#define BINDER_WBUF	(3 * sizeof(uint32_t) + \
			 sizeof(struct binder_transaction_data) + \
			 sizeof(binder_uintptr_t))

static int binder_open_map(struct chan *c)
{
	struct binder_version v = { 0 };
	unsigned int i;
	int fd = -1;

	for (i = 0; i < sizeof(binder_paths) / sizeof(binder_paths[0]); i++) {
		fd = open(binder_paths[i], O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			break;
	}
	if (fd < 0)
		return -errno;
	if (ioctl(fd, BINDER_VERSION, &v) ||
	    v.protocol_version != BINDER_CURRENT_PROTOCOL_VERSION) {
		close(fd);
		return -EPROTO;
	}
	/* Binder maps at most 4 MiB; the mapping must not be writable. */
	c->bmap = mmap(NULL, BUF_BYTES, PROT_READ, MAP_PRIVATE, fd, 0);
	if (c->bmap == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	c->fd[0] = fd;
	return 0;
}

static int binder_probe(struct chan *c)
{
	unsigned int i;

	(void)c;
	for (i = 0; i < sizeof(binder_paths) / sizeof(binder_paths[0]); i++)
		if (!access(binder_paths[i], R_OK | W_OK))
			return 0;
	return -ENOENT;
}

static int binder_child_init(struct chan *c)
{
	double give_up = now_s() + 10;
	int r = binder_open_map(c);

	if (r)
		return r;
	/*
	 * The previous pair's context manager is released from a work
	 * item after its process exits: until then the slot is busy.
	 */
	while (ioctl(c->fd[0], BINDER_SET_CONTEXT_MGR, 0)) {
		if (errno != EBUSY || now_s() > give_up)
			return -errno;
		sleep_s(0.01);
	}
	payload_init(c, NPAT);
	return 0;
}

static int binder_parent_init(struct chan *c)
{
	int r = binder_open_map(c);

	if (r)
		return r;
	payload_init(c, NPAT);
	return 0;
}

/* Append a command and its argument to a write buffer. */
static size_t bw_cmd(uint8_t *wb, size_t off, uint32_t cmd, const void *arg,
		     size_t len)
{
	memcpy(wb + off, &cmd, sizeof(cmd));
	if (len)
		memcpy(wb + off + sizeof(cmd), arg, len);
	return off + sizeof(cmd) + len;
}

static int binder_wr(int fd, const void *wb, size_t wlen, void *rb,
		     size_t rcap, size_t *rlen)
{
	struct binder_write_read bwr = {
		.write_size = wlen,
		.write_buffer = (uintptr_t)wb,
		.read_size = rcap,
		.read_buffer = (uintptr_t)rb,
	};
	int r;

	for (;;) {
		r = ioctl(fd, BINDER_WRITE_READ, &bwr);
		if (!r || errno != EINTR)
			break;
		/* Interrupted: what was written stays written. */
		bwr.write_size -= bwr.write_consumed;
		bwr.write_buffer += bwr.write_consumed;
		bwr.write_consumed = 0;
	}
	if (rlen)
		*rlen = bwr.read_consumed;
	return r;
}

/* What one read returned, reduced to what the benchmark cares about. */
struct binder_ev {
	bool txn, reply, complete, failed;
	struct binder_transaction_data tr;
	uint32_t other;		/* an unexpected return command */
};

static void binder_parse(const uint8_t *rb, size_t len, struct binder_ev *ev)
{
	size_t off = 0;

	memset(ev, 0, sizeof(*ev));
	while (off + sizeof(uint32_t) <= len) {
		uint32_t cmd;

		memcpy(&cmd, rb + off, sizeof(cmd));
		off += sizeof(cmd);
		switch (cmd) {
		case BR_NOOP:
			break;
		case BR_TRANSACTION_COMPLETE:
			ev->complete = true;
			break;
		case BR_TRANSACTION:
		case BR_REPLY:
			memcpy(&ev->tr, rb + off, sizeof(ev->tr));
			if (cmd == BR_TRANSACTION)
				ev->txn = true;
			else
				ev->reply = true;
			break;
		case BR_FAILED_REPLY:
			ev->failed = true;
			break;
		default:
			ev->other = cmd;
			break;
		}
		off += _IOC_SIZE(cmd);
	}
}

static long binder_parent_run(struct chan *c, uint64_t n)
{
	bool oneway = c->w->kind == K_OW;
	uint8_t wb[BINDER_WBUF], rb[BINDER_RBUF];
	struct binder_transaction_data tr = {
		.target.handle = 0,
		.code = 1,
		.flags = oneway ? TF_ONE_WAY : 0,
		.data_size = c->size,
	};
	struct binder_ev ev;
	unsigned int spins;
	long bad = 0;
	size_t wl, rl;
	uint64_t i;

	for (i = 0; i < n; i++, c->seq++) {
		tr.data.ptr.buffer = (uintptr_t)payload_stamp(c, c->seq, TAG_REQ);
		spins = 0;
again:
		wl = 0;
		if (c->bfree) {
			wl = bw_cmd(wb, wl, BC_FREE_BUFFER, &c->bfree,
				    sizeof(c->bfree));
			c->bfree = 0;
		}
		wl = bw_cmd(wb, wl, BC_TRANSACTION, &tr, sizeof(tr));
		memset(&ev, 0, sizeof(ev));
		/*
		 * Read until the transaction's outcome: a sync one's reply
		 * (its read sleeps until then), a oneway one's
		 * TRANSACTION_COMPLETE (queued at once).
		 */
		while (wl || (oneway ? !ev.complete : !ev.reply)) {
			if (binder_wr(c->fd[0], wb, wl, rb, sizeof(rb), &rl))
				return fail_sys("BINDER_WRITE_READ");
			wl = 0;
			binder_parse(rb, rl, &ev);
			if (ev.other) {
				errno = EPROTO;
				note("binder: unexpected return %#x", ev.other);
				return fail_sys("binder client");
			}
			if (ev.failed && oneway) {
				/*
				 * The async space is full.  Yield so the
				 * receiver can drain; after a few tries,
				 * sleep, so this vCPU idles and the other
				 * runs (TCG runs vCPUs by turns).
				 */
				c->retries++;
				if (++spins < 8)
					sched_yield();
				else
					sleep_s(50e-6);
				goto again;
			}
			if (ev.failed) {
				errno = EPROTO;
				return fail_sys("binder transaction failed");
			}
		}
		if (oneway)
			continue;
		bad += payload_check(c, (void *)(uintptr_t)ev.tr.data.ptr.buffer,
				     ev.tr.data_size, c->seq, TAG_REPLY);
		c->bfree = ev.tr.data.ptr.buffer;
	}
	return bad;
}

static long binder_child_run(struct chan *c, uint64_t n)
{
	bool oneway = c->w->kind == K_OW;
	uint8_t wb[BINDER_WBUF], rb[BINDER_RBUF];
	struct binder_transaction_data reply = {
		.data_size = c->size,
	};
	struct binder_ev ev;
	uint64_t done = 0;
	size_t wl = 0, rl;
	long bad = 0;

	if (!c->looper) {
		wl = bw_cmd(wb, wl, BC_ENTER_LOOPER, NULL, 0);
		c->looper = true;
	}
	while (done < n) {
		if (binder_wr(c->fd[0], wb, wl, rb, sizeof(rb), &rl))
			return fail_sys("BINDER_WRITE_READ");
		wl = 0;
		binder_parse(rb, rl, &ev);
		if (ev.other || ev.failed) {
			errno = EPROTO;
			note("binder: unexpected return %#x", ev.other);
			return fail_sys("binder server");
		}
		if (!ev.txn)
			continue;	/* our last reply's TRANSACTION_COMPLETE */
		if (!!(ev.tr.flags & TF_ONE_WAY) != oneway)
			bad++;
		else
			bad += payload_check(c, (void *)(uintptr_t)ev.tr.data.ptr.buffer,
					     ev.tr.data_size, c->seq, TAG_REQ);
		if (!oneway) {
			reply.data.ptr.buffer =
				(uintptr_t)payload_stamp(c, c->seq, TAG_REPLY);
			wl = bw_cmd(wb, wl, BC_REPLY, &reply, sizeof(reply));
		}
		wl = bw_cmd(wb, wl, BC_FREE_BUFFER, &ev.tr.data.ptr.buffer,
			    sizeof(binder_uintptr_t));
		c->seq++;
		done++;
	}
	/* The last reply and free go now; nothing to wait for. */
	if (wl && binder_wr(c->fd[0], wb, wl, rb, 0, NULL))
		return fail_sys("BINDER_WRITE_READ");
	return bad;
}

/* ------------------------------------------------------------------ */
/* The mechanisms                                                      */
/* ------------------------------------------------------------------ */

#define KR	KIND_BIT(K_RT)
#define KO	KIND_BIT(K_OW)
#define KC	KIND_BIT(K_CONN)
#define KM	KIND_BIT(K_MEM)
#define KL	KIND_BIT(K_LOOP)

static const struct mech mechs[] = {
	{ "xsession", KR | KO | KC | KM | KL, "",
	  xs_open, xs_child_init, xs_parent_init,
	  xs_rt_or_ow_parent, xs_rt_or_ow_child, xs_mem_open, xs_loop },
	{ "xsession-batch", KO, "",
	  xs_open, xs_child_init, xs_parent_init,
	  xs_rt_or_ow_parent, xs_rt_or_ow_child, NULL, NULL },
	{ "xsession-async", KR, "",
	  xs_open, xs_child_init, xs_parent_init,
	  xs_rt_or_ow_parent, xs_rt_or_ow_child, NULL, NULL },
	{ "af_unix", KR | KO | KC | KM | KL, "",
	  unix_open, unix_child_init, unix_parent_init,
	  unix_parent_run, unix_child_run, unix_mem_open, unix_loop },
	{ "pipe", KR | KO | KL, "no connect/accept",
	  pipe_open, pipe_child_init, pipe_parent_init,
	  pipe_parent_run, pipe_child_run, NULL, pipe_loop },
	{ "futex", KR, "round trips only",
	  futex_open, futex_init, futex_init,
	  futex_parent_run, futex_child_run, NULL, NULL },
	{ "binder", KR | KO, "no connect/accept",
	  binder_probe, binder_child_init, binder_parent_init,
	  binder_parent_run, binder_child_run, NULL, NULL },
};
#define NR_MECH		(sizeof(mechs) / sizeof(mechs[0]))
#define M_UNIX		3	/* index of the reference */

/* ------------------------------------------------------------------ */
/* Running a pair: fork, calibrate, repeat                             */
/* ------------------------------------------------------------------ */

enum res_state { RS_SKIP = 0, RS_OK, RS_NA, RS_FAIL };

struct result {
	enum res_state state;
	double value;
	char why[96];
	/* Rounds: the calibrated count, one figure per round, and the
	 * context switches and IPIs over all measured operations.
	 */
	uint64_t n;
	double samples[64];
	int nsamples;
	double ctxt, ipi, ops;
	uint64_t retries;
};

static struct result results[NR_WL][NR_MECH];
static long total_failures;
static double null_syscall_us;

/*
 * The child: set up its end, say so, then serve runs until told 0.
 * Control messages are uint64_t over two pipes: the run's count down,
 * (failures, or UINT64_MAX for a broken mechanism) back.
 */
static void child_main(struct chan *c, int ctl, int ack)
{
	uint64_t n, status;
	long r;
	int e;

	if (opt_pin)
		pin_to(1);
	e = c->m->child_init(c);
	status = e ? (uint64_t)-e : 0;
	if (write_full(ack, &status, sizeof(status)) || e)
		_exit(e ? 2 : 1);
	while (!read_full(ctl, &n, sizeof(n)) && n) {
		r = c->m->child_run(c, n);
		status = r < 0 ? UINT64_MAX : (uint64_t)r;
		if (write_full(ack, &status, sizeof(status)) || r < 0)
			_exit(1);
	}
	_exit(0);
}

/*
 * One run of @n in the parent.  Returns its seconds, or -1 when either
 * side's mechanism broke; adds the failures of both sides to *@bad.
 */
/*
 * One run of @n.  A pair: the parent's part here, the child's told over
 * @io (ctl, ack); a loop (@io NULL): all of it here.  Returns its
 * seconds, or -1 when the mechanism broke; adds the failures of both
 * sides to *@bad.
 */
static double run_once(struct chan *c, const int *io, uint64_t n, long *bad)
{
	uint64_t status = 0;
	double t0, t1;
	long r;

	if (io && write_full(io[0], &n, sizeof(n)))
		return -1;
	t0 = now_s();
	r = io ? c->m->parent_run(c, n) : c->m->loop_run(c, n);
	/*
	 * A round trip is over when its reply is in; a stream when all of
	 * it was received and checked, which the child's answer says.
	 */
	t1 = now_s();
	if (r < 0)
		return -1;
	if (io) {
		if (read_full(io[1], &status, sizeof(status)) ||
		    status == UINT64_MAX)
			return -1;
		if (c->w->kind != K_RT)
			t1 = now_s();
	}
	*bad += r + (long)status;
	return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void watchdog(int sig)
{
	static const char msg[] = "# ERROR watchdog: a workload hung, giving up\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

/*
 * Context switches (/proc/stat) and scheduler IPIs (/proc/interrupts:
 * rescheduling and function-call interrupts, all CPUs) so far: per
 * operation, they say how a mechanism spends its wake-ups.
 */
struct sysstat {
	unsigned long long ctxt, ipi;
};

static void sysstat_read(struct sysstat *st)
{
	char line[4096];
	FILE *f;

	memset(st, 0, sizeof(*st));
	f = fopen("/proc/stat", "re");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "ctxt %llu", &st->ctxt) == 1)
				break;
		fclose(f);
	}
	f = fopen("/proc/interrupts", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		unsigned long long v;

		while (*p == ' ')
			p++;
		if (strncmp(p, "RES:", 4) && strncmp(p, "CAL:", 4))
			continue;
		p += 4;
		/* The per-CPU counts, up to the description. */
		for (;;) {
			v = strtoull(p, &end, 10);
			if (end == p)
				break;
			st->ipi += v;
			p = end;
		}
	}
	fclose(f);
}

/* The per-operation figure of a run of @n taking @secs seconds. */
static double figure(const struct workload *w, uint64_t n, double secs)
{
	switch (w->kind) {
	case K_RT:
	case K_LOOP:
		return secs / n * 1e6;			/* us per round trip */
	case K_OW:
		if (!strcmp(w->unit, "msg/s"))
			return n / secs;
		return n * (double)w->size / secs / 1e6; /* MB/s */
	default:
		return n / secs;			/* connections/s */
	}
}

/*
 * One round of a workload for one mechanism.  The first round calibrates:
 * it doubles the count until a run lasts a quarter of the target (those
 * runs also warm up: page faults, first wake-ups, binder's buffer pages)
 * and scales it to the target.  Every round then makes one short warm-up
 * run and one measured run of that count.  The rounds of all mechanisms
 * alternate (see main()), so a slow phase of the machine hits them all
 * alike, and the figure is the median over the rounds.  Returns 0 with a
 * sample added to @res, or -1.
 */
static int measure(struct chan *c, const int *io, long *bad, struct result *res)
{
	struct sysstat before, after;
	uint64_t n = 1;
	double secs;

	if (!res->n) {
		for (;;) {
			secs = run_once(c, io, n, bad);
			if (secs < 0)
				return -1;
			if (secs >= opt_target / 4 || n >= (1ULL << 40))
				break;
			n *= 2;
		}
		n = (uint64_t)(n * opt_target / secs);
		res->n = n < 1 ? 1 : n;
	} else if (run_once(c, io, res->n / 8 + 1, bad) < 0) {
		return -1;
	}
	sysstat_read(&before);
	secs = run_once(c, io, res->n, bad);
	if (secs < 0)
		return -1;
	sysstat_read(&after);
	res->samples[res->nsamples++] = figure(c->w, res->n, secs);
	res->ctxt += after.ctxt - before.ctxt;
	res->ipi += after.ipi - before.ipi;
	res->ops += res->n;
	res->retries += c->retries;
	res->state = RS_OK;
	return 0;
}

/* After the last round: the median, and a line about the spread. */
static void measure_finish(const struct workload *w, const struct mech *m,
			   struct result *res)
{
	double sorted[64];
	int k = res->nsamples;

	if (res->state != RS_OK || !k)
		return;
	res->value = median(res->samples, k);
	memcpy(sorted, res->samples, k * sizeof(sorted[0]));
	qsort(sorted, k, sizeof(sorted[0]), cmp_double);
	note("%-8s %-15s %12.2f %-9s (n=%llu, %d rounds %.2f .. %.2f; per op: %.2f ctxsw, %.2f IPI)",
	     w->name, m->name, res->value, w->unit,
	     (unsigned long long)res->n, k, sorted[0], sorted[k - 1],
	     res->ctxt / res->ops, res->ipi / res->ops);
	if (res->retries)
		note("%-8s %-15s %llu oneway sends refused (async space full) and retried",
		     w->name, m->name, (unsigned long long)res->retries);
}

/* A verdict on a workload that ran: failures make it "fail". */
static void settle_result(struct chan *c, struct result *res, long bad)
{
	if (res->state == RS_FAIL)
		note("ERROR %s/%s: the mechanism failed mid-run", c->w->name,
		     c->m->name);
	if (bad) {
		note("ERROR %s/%s: %ld messages failed verification",
		     c->w->name, c->m->name, bad);
		res->state = RS_FAIL;
	}
	if (res->state == RS_FAIL)
		total_failures += bad ? bad : 1;
}

static void chan_free(struct chan *c)
{
	int i;

	for (i = 0; i < 4; i++)
		if (c->fd[i] >= 0)
			close(c->fd[i]);
	if (c->bmap && c->bmap != MAP_FAILED)
		munmap(c->bmap, BUF_BYTES);
	if (c->shm && c->shm != MAP_FAILED)
		munmap(c->shm, sizeof(struct futex_shm) + c->size);
	free(c->tx);
	free(c->rx);
	free(c->descs);
}

static void run_pair(const struct workload *w, const struct mech *m,
		     struct result *res)
{
	/* Sequence numbers start at 1: a zeroed 16-byte buffer has stamp 0. */
	struct chan c = { .m = m, .w = w, .size = w->size, .seq = 1 };
	int ctl[2], ack[2], io[2], e, wst;
	uint64_t n, status;
	long bad = 0;
	pid_t pid;

	memset(c.fd, -1, sizeof(c.fd));
	e = m->open(&c);
	if (e) {
		res->state = RS_NA;
		snprintf(res->why, sizeof(res->why), "%s", strerror(-e));
		return;
	}
	if (pipe2(ctl, O_CLOEXEC) || pipe2(ack, O_CLOEXEC)) {
		res->state = RS_FAIL;
		settle_result(&c, res, 0);
		chan_free(&c);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (!pid) {
		close(ctl[1]);
		close(ack[0]);
		child_main(&c, ctl[0], ack[1]);
	}
	close(ctl[0]);
	close(ack[1]);
	io[0] = ctl[1];
	io[1] = ack[0];
	if (opt_pin)
		pin_to(0);

	res->state = RS_FAIL;
	if (pid < 0)
		goto out;
	if (read_full(ack[0], &status, sizeof(status)) || status) {
		/* The child could not set up: n/a, with its reason. */
		res->state = RS_NA;
		snprintf(res->why, sizeof(res->why), "server: %s",
			 status ? strerror((int)status) : "died");
		goto out;
	}
	e = m->parent_init(&c);
	if (e) {
		res->state = RS_NA;
		snprintf(res->why, sizeof(res->why), "client: %s", strerror(-e));
		goto out;
	}
	measure(&c, io, &bad, res);
out:
	settle_result(&c, res, bad);
	n = 0;
	if (pid > 0) {
		if (write_full(ctl[1], &n, sizeof(n)) < 0)
			kill(pid, SIGKILL);
		close(ctl[1]);
		close(ack[0]);
		while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
			;
	}
	chan_free(&c);
}

/* loop_*: one process, both ends: no fork, no wake-up. */
static void run_loop(const struct workload *w, const struct mech *m,
		     struct result *res)
{
	struct chan c = { .m = m, .w = w, .size = w->size, .seq = 1 };
	long bad = 0;
	int e;

	memset(c.fd, -1, sizeof(c.fd));
	e = m->open(&c);
	if (e) {
		res->state = RS_NA;
		snprintf(res->why, sizeof(res->why), "%s", strerror(-e));
		return;
	}
	payload_init(&c, NPAT);
	res->state = RS_FAIL;
	measure(&c, NULL, &bad, res);
	settle_result(&c, res, bad);
	chan_free(&c);
}

/* A null system call, for scale: us per getppid(). */
static double syscall_us(void)
{
	double runs[64], t0;
	int i, j;

	for (i = 0; i < opt_reps; i++) {
		t0 = now_s();
		for (j = 0; j < 100000; j++)
			syscall(SYS_getppid);
		runs[i] = (now_s() - t0) / 100000 * 1e6;
	}
	return median(runs, opt_reps);
}

/* ------------------------------------------------------------------ */
/* Kernel memory per idle session                                      */
/* ------------------------------------------------------------------ */

struct memsnap {
	long long free_pages;	/* buddy free + per-cpu page lists */
	long long slab_kb, vmalloc_kb;
};

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = write(fd, s, strlen(s)) < 0 ? -1 : 0;
	close(fd);
	return r;
}

/*
 * Give back what caches hold, so a delta counts objects, not a slab
 * allocator's mood: empty slabs (every cache's "shrink"), and the
 * per-cpu vmstat deltas folded into the counters (vm/stat_refresh).
 */
static void mem_settle(void)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir = opendir("/sys/kernel/slab");

	if (dir) {
		while ((d = readdir(dir))) {
			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
				 d->d_name);
			write_str(path, "1");
		}
		closedir(dir);
	}
	write_str("/proc/sys/vm/stat_refresh", "1");
}

static long long meminfo_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? atoll(p + strlen(key)) : 0;
}

static int mem_snapshot(struct memsnap *s)
{
	static char buf[1 << 16];
	char *line, *save;
	ssize_t len;
	int fd;

	memset(s, 0, sizeof(*s));
	fd = open("/proc/zoneinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (r <= 0)
			break;
		len += r;
	}
	close(fd);
	buf[len] = 0;
	/* "pages free N" per zone, "count: N" per cpu page list. */
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		long long v;

		if (sscanf(line, " pages free %lld", &v) == 1 ||
		    sscanf(line, " count: %lld", &v) == 1)
			s->free_pages += v;
	}
	fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = 0;
	s->slab_kb = meminfo_kb(buf, "\nSlab:");
	s->vmalloc_kb = meminfo_kb(buf, "\nVmallocUsed:");
	return 0;
}

/*
 * Open @opt_sessions idle sessions, both ends in this process, and read
 * how much memory the kernel gave them: free pages before minus after,
 * per session, minus the rings (xsession: two one-page rings).  Median
 * of the repetitions; the allocator is settled before each snapshot.
 */
static void run_mem(const struct workload *w, const struct mech *m,
		    struct result *res)
{
	double slab[64], vm[64];
	int nfd = 2 * opt_sessions, i, used = 0, rep;
	long long ring = !strcmp(m->name, "xsession") ? 2 * 4096 : 0;
	struct memsnap a, b;
	struct rlimit rl;
	double v[64];
	int *fds;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)nfd + 64) {
		rl.rlim_cur = rl.rlim_max = nfd + 64;
		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			res->state = RS_NA;
			snprintf(res->why, sizeof(res->why), "RLIMIT_NOFILE: %s",
				 strerror(errno));
			return;
		}
	}
	fds = xmalloc_aligned(nfd * sizeof(*fds));
	for (rep = 0; rep < opt_reps; rep++) {
		/* Frees of the last repetition go through RCU: let them. */
		sleep_s(0.5);
		mem_settle();
		if (mem_snapshot(&a))
			goto na_proc;
		used = m->mem_open(fds, opt_sessions, res->why, sizeof(res->why));
		if (used < 0) {
			res->state = RS_NA;
			free(fds);
			return;
		}
		mem_settle();
		if (mem_snapshot(&b))
			goto na_proc;
		v[rep] = (double)(a.free_pages - b.free_pages) * 4096 /
			 opt_sessions - ring;
		slab[rep] = (double)(b.slab_kb - a.slab_kb) * 1024 / opt_sessions;
		vm[rep] = (double)(b.vmalloc_kb - a.vmalloc_kb) * 1024 / opt_sessions;
		for (i = 0; i < used; i++)
			close(fds[i]);
	}
	res->value = median(v, opt_reps);
	res->state = RS_OK;
	note("%-8s %-15s %12.0f %-9s (%d sessions, %lld B/session of rings subtracted; of the total: slab %.0f, vmalloc %.0f B/session)",
	     w->name, m->name, res->value, w->unit, opt_sessions, ring,
	     median(slab, opt_reps), median(vm, opt_reps));
	free(fds);
	return;
na_proc:
	res->state = RS_NA;
	snprintf(res->why, sizeof(res->why), "cannot read /proc/zoneinfo");
	free(fds);
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

static bool selected(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	if (!list)
		return true;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
		p += len;
	}
	return false;
}

static void print_tsv(void)
{
	unsigned int wi, mi;

	printf("XS-BENCH-TSV-BEGIN\n");
	printf("workload\tmechanism\tvalue\tunit\n");
	for (wi = 0; wi < NR_WL; wi++) {
		for (mi = 0; mi < NR_MECH; mi++) {
			const struct result *r = &results[wi][mi];

			if (r->state == RS_SKIP)
				continue;
			if (r->state == RS_OK)
				printf("%s\t%s\t%.6g\t%s\n", workloads[wi].name,
				       mechs[mi].name, r->value, workloads[wi].unit);
			else
				printf("%s\t%s\t%s\t%s\n", workloads[wi].name,
				       mechs[mi].name,
				       r->state == RS_NA ? "n/a" : "fail",
				       workloads[wi].unit);
		}
	}
	printf("syscall\tnone\t%.4g\tus\n", null_syscall_us);
	printf("verify\tall\t%ld\tfailures\n", total_failures);
	printf("XS-BENCH-TSV-END\n");
}

/*
 * Ratios to AF_UNIX, as the targets are written: for times and bytes
 * lower is better, for rates higher.  The AF_UNIX column shows its
 * absolute value.
 */
/*
 * Whether xsession meets @w's target.  Round trips are judged on the
 * synchronous send (the plain "xsession" column), as the targets say;
 * other workloads on the best way xsession offers (a batch of one-way
 * messages is still xsession), named in the verdict when it is not the
 * plain column.
 */
static const char *target_verdict(unsigned int wi, const struct workload *w,
				  const struct result *ref, char *buf,
				  size_t len)
{
	unsigned int mi, best = NR_MECH;
	double q = 0, bq = 0;

	for (mi = 0; mi < NR_MECH; mi++) {
		const struct result *r = &results[wi][mi];

		if (strncmp(mechs[mi].name, "xsession", 8) ||
		    r->state != RS_OK || (w->kind == K_RT && mi != 0))
			continue;
		q = r->value / ref->value;
		if (best == NR_MECH ||
		    (w->lower_better ? q < bq : q > bq)) {
			best = mi;
			bq = q;
		}
	}
	if (best == NR_MECH)
		return "";
	snprintf(buf, len, "%s%s%s",
		 (w->lower_better ? bq <= w->target : bq >= w->target) ?
		 "met" : "MISSED", best ? " by " : "",
		 best ? mechs[best].name : "");
	return buf;
}

static void print_table(void)
{
	unsigned int wi, mi;

	printf("XS-BENCH-TABLE-BEGIN\n");
	printf("%-9s %-9s %-6s %12s", "workload", "unit", "better", "af_unix");
	for (mi = 0; mi < NR_MECH; mi++)
		if (mi != M_UNIX)
			printf(" %14s", mechs[mi].name);
	printf("  %-9s %s\n", "xs-target", "met");
	for (wi = 0; wi < NR_WL; wi++) {
		const struct workload *w = &workloads[wi];
		const struct result *ref = &results[wi][M_UNIX];
		const struct result *xs = &results[wi][0];
		const char *verdict = "";
		char cell[32];

		if (ref->state == RS_SKIP && xs->state == RS_SKIP)
			continue;
		if (ref->state == RS_OK)
			snprintf(cell, sizeof(cell), "%.4g", ref->value);
		else
			snprintf(cell, sizeof(cell), "%s",
				 ref->state == RS_FAIL ? "fail" : "n/a");
		printf("%-9s %-9s %-6s %12s", w->name, w->unit,
		       w->lower_better ? "lower" : "higher", cell);
		for (mi = 0; mi < NR_MECH; mi++) {
			const struct result *r = &results[wi][mi];

			if (mi == M_UNIX)
				continue;
			if (r->state == RS_OK && ref->state == RS_OK && ref->value > 0)
				snprintf(cell, sizeof(cell), "%.2fx",
					 r->value / ref->value);
			else if (r->state == RS_OK)
				snprintf(cell, sizeof(cell), "%.4g", r->value);
			else
				snprintf(cell, sizeof(cell), "%s",
					 r->state == RS_FAIL ? "fail" :
					 r->state == RS_NA ? "n/a" : "-");
			printf(" %14s", cell);
		}
		if (xs->state == RS_OK && w->kind == K_MEM) {
			verdict = xs->value <= 4096 ? "met" : "MISSED";
		} else if (ref->state == RS_OK && w->target > 0) {
			verdict = target_verdict(wi, w, ref, cell, sizeof(cell));
		}
		printf("  %-9s %s\n", w->target_text, verdict);
	}
	printf("XS-BENCH-TABLE-END\n");
	/* Why the n/a cells are n/a. */
	for (wi = 0; wi < NR_WL; wi++)
		for (mi = 0; mi < NR_MECH; mi++)
			if (results[wi][mi].state == RS_NA)
				note("n/a %s/%s: %s", workloads[wi].name,
				     mechs[mi].name, results[wi][mi].why);
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: xs-bench [-t SECONDS] [-r REPS] [-n SESSIONS] [-m MECH,...]\n"
		"                [-w WORKLOAD,...] [-c RING] [-p] all | list\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned int wi, mi;
	int round, rounds;
	double t0 = now_s();
	int opt;

	while ((opt = getopt(argc, argv, "t:r:n:m:w:c:p")) != -1) {
		switch (opt) {
		case 't':
			opt_target = atof(optarg);
			break;
		case 'r':
			opt_reps = atoi(optarg);
			break;
		case 'n':
			opt_sessions = atoi(optarg);
			break;
		case 'm':
			opt_mechs = optarg;
			break;
		case 'w':
			opt_workloads = optarg;
			break;
		case 'c':
			opt_conn_ring = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			opt_pin = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || opt_target <= 0 || opt_reps < 1 ||
	    opt_reps > 64 || opt_sessions < 1)
		usage();
	if (!strcmp(argv[optind], "list")) {
		for (wi = 0; wi < NR_WL; wi++)
			printf("workload %s\n", workloads[wi].name);
		for (mi = 0; mi < NR_MECH; mi++)
			printf("mechanism %s\n", mechs[mi].name);
		return 0;
	}
	if (strcmp(argv[optind], "all"))
		usage();

	/* A peer that dies must show as an error, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, watchdog);
	note("xs-bench: %d rounds of ~%.2f s per figure, median, mechanisms alternating; %ld cpus; buffers %lu KiB%s",
	     opt_reps, opt_target, sysconf(_SC_NPROCESSORS_ONLN), BUF_BYTES / KiB,
	     opt_pin ? "; pinned: driver CPU 0, server CPU 1" : "");
	if (opt_conn_ring)
		note("conn: xsession rings of %u bytes", opt_conn_ring);
	null_syscall_us = syscall_us();
	note("syscall  none            %12.3f us        (getppid)", null_syscall_us);

	for (wi = 0; wi < NR_WL; wi++) {
		const struct workload *w = &workloads[wi];

		if (!selected(opt_workloads, w->name))
			continue;
		/* Rounds alternate the mechanisms; mem_idle repeats inside. */
		rounds = w->kind == K_MEM ? 1 : opt_reps;
		for (round = 0; round < rounds; round++) {
			for (mi = 0; mi < NR_MECH; mi++) {
				const struct mech *m = &mechs[mi];
				struct result *r = &results[wi][mi];

				if (!selected(opt_mechs, m->name))
					continue;
				if (!(m->kinds & KIND_BIT(w->kind))) {
					/* Only where the question makes sense. */
					if ((w->kind == K_OW || w->kind == K_CONN) &&
					    strncmp(m->name, "xsession-", 9)) {
						r->state = RS_NA;
						snprintf(r->why, sizeof(r->why),
							 "%s", m->na_why);
					}
					continue;
				}
				if (round && r->state != RS_OK)
					continue;	/* n/a or failed */
				cur_wl = w;
				cur_mech = m->name;
				alarm(WATCHDOG_S);
				if (w->kind == K_MEM)
					run_mem(w, m, r);
				else if (w->kind == K_LOOP)
					run_loop(w, m, r);
				else
					run_pair(w, m, r);
				alarm(0);
				if (r->state == RS_NA)
					note("%-8s %-15s n/a: %s", w->name,
					     m->name, r->why);
			}
		}
		if (w->kind != K_MEM)
			for (mi = 0; mi < NR_MECH; mi++)
				measure_finish(w, &mechs[mi], &results[wi][mi]);
	}
	print_tsv();
	print_table();
	note("xs-bench: %.0f s, %ld verification failures", now_s() - t0,
	     total_failures);
	return total_failures ? 1 : 0;
}
