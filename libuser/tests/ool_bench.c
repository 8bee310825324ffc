// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ool_bench: what a large message costs out of line, measured.
 *
 *   ool_bench [-n ROUNDS] [SIZE...]         on any Linux host, no module
 *   ool_bench --ring [-n ROUNDS] [SIZE...]  through /dev/xsession
 *
 * Host mode compares, per message of SIZE bytes (default 64k 256k 1M 4M
 * 16M), the ways a sender can hand a body to a receiver:
 *
 *   per-msg   memfd_create(), write(), seal: what libxsession did without
 *             a pool (and still does when the pool has nothing ready)
 *   pool      xs_body_memfd(), the library's own: write into a memfd its
 *             thread made and fallocate()d ahead, truncate, seal
 *   socket    an AF_UNIX stream socketpair, a writer thread, the reader
 *             reading into one reused buffer (the copy-twice baseline)
 *
 * and, for the receiver, mapping the sealed memfd (what the decoder does)
 * against pread() into a reused buffer.  "send" is the sender's time per
 * message; "total" adds the receiver reading every byte and closing.
 * The pool is measured twice: back to back (its thread races the sender)
 * and paced (the sender waits until the stock is back, as a sender that
 * does anything else between large messages would).
 *
 * Ring mode needs the module: a session pair with 16 MiB rings, one
 * process, and for each size an inline send + receive against a body
 * memfd sent as an item, received, mapped and read.
 *
 * Library mode (--lib) needs the module too, loaded with a
 * ring_size_default large enough for the sizes measured: an in-process
 * listener and session, a synchronous request carrying SIZE bytes of
 * data and a tiny reply, and one-way messages back to back.  Run it
 * once with XS_LARGE_THRESHOLD=1G (inline) and once with 0 (every body
 * out of line): that is where the threshold comes from
 * (Documentation/libxsession.rst has the numbers).
 *
 * Build: make -C libuser/tests bench (static, -O2, no sanitizers;
 * links ../libxsession.a, so `make lib` first).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/xsession.h>

#include "xs_wire.h"
#include "xsession.h"

#define SEALS	(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

static uint8_t *src, *dst;	/* the body, and where receivers copy it */
static size_t max_len;
static volatile uint64_t sink;

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* ---- the ways to make a body ---- */

static int body_per_msg(size_t len)
{
	int fd = memfd_create("bench", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	size_t done = 0;
	ssize_t n;

	if (fd < 0)
		die("memfd_create");
	while (done < len) {
		n = write(fd, src + done, len - done);
		if (n <= 0)
			die("write");
		done += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, SEALS))
		die("seal");
	return fd;
}

static int body_pool(size_t len)
{
	int fd = xs_body_memfd(src, len);

	if (fd < 0) {
		errno = -fd;
		die("xs_body_memfd");
	}
	return fd;
}

/* ---- the ways to read one ---- */

static void read_mapped(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);

	if (p == MAP_FAILED)
		die("mmap");
	memcpy(dst, p, len);	/* the decoder's copy into a data object */
	sink += dst[len - 1];
	munmap(p, len);
}

static void read_pread(int fd, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, dst + done, len - done, (off_t)done);
		if (n <= 0)
			die("pread");
		done += (size_t)n;
	}
	sink += dst[len - 1];
}

/* ---- host mode ---- */

static void pool_wait_ready(void)
{
	struct xs_pool_stats st;
	int i;

	for (i = 0; i < 20000; i++) {
		xs_pool_get_stats(&st);
		if (!st.busy)
			return;
		usleep(50);
	}
}

struct result {
	double send, total;
};

/* @rounds bodies made by @make and read by @rd (NULL: closed unread). */
static struct result run_bodies(int (*make)(size_t), void (*rd)(int, size_t),
				size_t len, int rounds, bool paced)
{
	struct result r = { 0, 0 };
	double t0, t1;
	int i, fd;

	for (i = 0; i < rounds; i++) {
		if (paced)
			pool_wait_ready();
		t0 = now_us();
		fd = make(len);
		t1 = now_us();
		if (rd)
			rd(fd, len);
		close(fd);
		r.send += t1 - t0;
		r.total += now_us() - t0;
	}
	r.send /= rounds;
	r.total /= rounds;
	return r;
}

struct sock_job {
	int fd;
	size_t len;
	int rounds;
};

static void *sock_writer(void *arg)
{
	struct sock_job *j = arg;
	size_t done;
	ssize_t n;
	int i;

	for (i = 0; i < j->rounds; i++) {
		for (done = 0; done < j->len; done += (size_t)n) {
			n = write(j->fd, src + done, j->len - done);
			if (n <= 0)
				die("socket write");
		}
	}
	return NULL;
}

/* Wall time per message through a socketpair, reader and writer busy. */
static double run_socket(size_t len, int rounds)
{
	struct sock_job j = { .len = len, .rounds = rounds };
	int sv[2], i, buf = 4 << 20;
	size_t done;
	pthread_t t;
	double t0;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	j.fd = sv[0];
	t0 = now_us();
	if (pthread_create(&t, NULL, sock_writer, &j))
		die("pthread_create");
	for (i = 0; i < rounds; i++) {
		for (done = 0; done < len; done += (size_t)n) {
			n = read(sv[1], dst + done, len - done);
			if (n <= 0)
				die("socket read");
		}
		sink += dst[len - 1];
	}
	pthread_join(t, NULL);
	t0 = (now_us() - t0) / rounds;
	close(sv[0]);
	close(sv[1]);
	return t0;
}

static double run_memcpy(size_t len, int rounds)
{
	double t0 = now_us();
	int i;

	for (i = 0; i < rounds; i++) {
		memcpy(dst, src, len);
		sink += dst[i % len];
	}
	return (now_us() - t0) / rounds;
}

static int rounds_for(size_t len, int n)
{
	if (n)
		return n;
	return len >= (16u << 20) ? 30 : len >= (4u << 20) ? 100 :
	       len >= (1u << 20) ? 300 : 1000;
}

static void host_mode(const size_t *sizes, int nsizes, int n)
{
	struct result pm, pool, paced, map, prd;
	struct xs_pool_stats st0, st;
	double sock, cpy;
	int i, rounds;

	printf("# all times: microseconds per message (mean)\n");
	printf("%8s | %9s %9s | %9s %9s %6s | %9s %9s | %9s %9s | %9s %9s\n",
	       "size", "per-msg", "total", "pool", "total", "hits",
	       "paced", "total", "recv-map", "recv-read", "socket", "memcpy");
	for (i = 0; i < nsizes; i++) {
		size_t len = sizes[i];

		rounds = rounds_for(len, n);
		/* Warm both paths (page cache, allocator, the pool's class). */
		run_bodies(body_per_msg, read_mapped, len, 3, false);
		run_bodies(body_pool, read_mapped, len, 3, true);

		pm = run_bodies(body_per_msg, read_mapped, len, rounds, false);
		xs_pool_get_stats(&st0);
		pool = run_bodies(body_pool, read_mapped, len, rounds, false);
		xs_pool_get_stats(&st);
		paced = run_bodies(body_pool, read_mapped, len, rounds, true);
		/* The receiver alone: one body read again and again. */
		map = run_bodies(body_pool, read_mapped, len, rounds, true);
		prd = run_bodies(body_pool, read_pread, len, rounds, true);
		map.total -= map.send;
		prd.total -= prd.send;
		sock = run_socket(len, rounds);
		cpy = run_memcpy(len, rounds);
		printf("%7zuK | %9.1f %9.1f | %9.1f %9.1f %5.0f%% | %9.1f %9.1f | %9.1f %9.1f | %9.1f %9.1f\n",
		       len >> 10, pm.send, pm.total, pool.send, pool.total,
		       100.0 * (double)(st.hits - st0.hits) / rounds,
		       paced.send, paced.total, map.total, prd.total, sock,
		       cpy);
		fflush(stdout);
		pool_wait_ready();
		xs_pool_flush();
	}
}

/* ---- ring mode ---- */

static int dev_open(void)
{
	int fd = open(XS_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die(XS_DEVICE_PATH);
	return fd;
}

/* A session pair with 16 MiB rings: *@c the client, *@s the server. */
static void pair(int *c, int *s)
{
	struct xs_listen l = { .size = sizeof(l) };
	struct xs_connect cn = { .size = sizeof(cn) };
	struct xs_accept a = { .size = sizeof(a) };
	char name[64];
	int lfd;

	snprintf(name, sizeof(name), "org.bench.ool.%d", (int)getpid());
	lfd = dev_open();
	l.name = (uintptr_t)name;
	l.ring_size = 16u << 20;
	if (ioctl(lfd, XS_IOC_LISTEN, &l))
		die("XS_IOC_LISTEN");
	*c = dev_open();
	cn.name = (uintptr_t)name;
	cn.ring_size = 16u << 20;
	if (ioctl(*c, XS_IOC_CONNECT, &cn))
		die("XS_IOC_CONNECT");
	*s = ioctl(lfd, XS_IOC_ACCEPT, &a);
	if (*s < 0 || ioctl(*s, XS_IOC_ACTIVATE))
		die("XS_IOC_ACCEPT");
	close(lfd);
}

static void ring_send(int fd, const void *p, size_t len, struct xs_item *it)
{
	struct xs_send snd = { .size = sizeof(snd) };

	snd.kind = XS_MSG_ONEWAY;
	snd.payload = (uintptr_t)p;
	snd.payload_len = (uint32_t)len;
	if (it) {
		snd.items = (uintptr_t)it;
		snd.nr_items = 1;
	}
	if (ioctl(fd, XS_IOC_SEND, &snd))
		die("XS_IOC_SEND");
}

/* Receives one message into dst; its item's fd (or -1). */
static int ring_recv(int fd)
{
	struct xs_recv r = { .size = sizeof(r) };
	struct xs_item it[1];

	r.buf = (uintptr_t)dst;
	r.buf_len = (uint32_t)max_len;
	r.items = (uintptr_t)it;
	r.items_cap = 1;
	if (ioctl(fd, XS_IOC_RECV, &r))
		die("XS_IOC_RECV");
	sink += dst[0];
	return r.hdr.nr_items ? it[0].fd : -1;
}

static void ring_mode(const size_t *sizes, int nsizes, int n)
{
	struct xs_item it = { .type = XS_ITEM_MEMFD };
	uint8_t ref[16] = { 0 };
	double t0, inl, body;
	int c, s, i, k, rounds, fd;

	pair(&c, &s);
	printf("# all times: microseconds per message (mean), send + receive + read\n");
	printf("%8s | %10s %10s | %s\n", "size", "inline", "body", "faster");
	for (i = 0; i < nsizes; i++) {
		size_t len = sizes[i];

		rounds = rounds_for(len, n) / 4 + 3;
		inl = -1;
		if (len <= (4u << 20)) {	/* max_msg_size by default */
			t0 = now_us();
			for (k = 0; k < rounds; k++) {
				ring_send(c, src, len, NULL);
				ring_recv(s);
			}
			inl = (now_us() - t0) / rounds;
		}
		t0 = now_us();
		for (k = 0; k < rounds; k++) {
			it.fd = body_pool(len);
			ring_send(c, ref, 11, &it);
			close(it.fd);
			fd = ring_recv(s);
			read_mapped(fd, len);
			close(fd);
		}
		body = (now_us() - t0) / rounds;
		if (inl < 0)
			printf("%7zuK | %10s %10.1f | body (too large inline)\n",
			       len >> 10, "-", body);
		else
			printf("%7zuK | %10.1f %10.1f | %s\n", len >> 10, inl,
			       body, inl <= body ? "inline" : "body");
		fflush(stdout);
		pool_wait_ready();
	}
	xs_pool_flush();
	close(c);
	close(s);
}

/* ---- library mode ---- */

static pthread_mutex_t lib_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lib_cv = PTHREAD_COND_INITIALIZER;
static int lib_got;

static xs_object_t *lib_handler(xs_object_t *d, void *ctx)
{
	size_t n = 0;

	(void)ctx;
	xs_dictionary_get_data(d, "blob", &n);
	pthread_mutex_lock(&lib_mu);
	lib_got++;
	pthread_cond_broadcast(&lib_cv);
	pthread_mutex_unlock(&lib_mu);
	return xs_dictionary_create();	/* the reply of a request */
}

static void lib_incoming(xs_listener_t *l, xs_session_request_t *req,
			 void *ctx)
{
	xs_session_t *s = xs_session_request_accept(req);

	(void)l;
	(void)ctx;
	if (s)
		xs_rich_error_release(xs_session_set_incoming_dictionary_handler(
			s, lib_handler, NULL));
}

static void lib_check(xs_rich_error_t *e, const char *what)
{
	if (e) {
		fprintf(stderr, "%s: %s\n", what,
			xs_rich_error_get_description(e));
		exit(1);
	}
}

static void lib_mode(const size_t *sizes, int nsizes, int n)
{
	xs_rich_error_t *e = NULL;
	xs_object_t *msg, *reply;
	double t0, sync_us, oneway_us;
	xs_listener_t *l;
	xs_session_t *s;
	char name[64];
	int i, k, rounds, want;

	snprintf(name, sizeof(name), "org.bench.lib.%d", (int)getpid());
	l = xs_listener_create(name, NULL, 0, lib_incoming, NULL, &e);
	lib_check(e, "listener");
	s = xs_session_create_mach_service(name, NULL, 0, &e);
	lib_check(e, "session");
	printf("# XS_LARGE_THRESHOLD=%s: microseconds per message (mean)\n",
	       getenv("XS_LARGE_THRESHOLD") ?: "(default)");
	printf("%8s | %10s %10s\n", "size", "sync", "one-way");
	for (i = 0; i < nsizes; i++) {
		size_t len = sizes[i];

		rounds = rounds_for(len, n) / 4 + 3;
		msg = xs_dictionary_create();
		xs_dictionary_set_data(msg, "blob", src, len);
		reply = xs_session_send_message_with_reply_sync(s, msg, &e);
		lib_check(e, "warm-up");
		xs_release(reply);

		t0 = now_us();
		for (k = 0; k < rounds; k++) {
			reply = xs_session_send_message_with_reply_sync(s, msg,
									&e);
			lib_check(e, "sync send");
			xs_release(reply);
		}
		sync_us = (now_us() - t0) / rounds;

		pthread_mutex_lock(&lib_mu);
		want = lib_got + rounds;
		pthread_mutex_unlock(&lib_mu);
		t0 = now_us();
		for (k = 0; k < rounds; k++)
			lib_check(xs_session_send_message(s, msg), "send");
		pthread_mutex_lock(&lib_mu);
		while (lib_got < want)
			pthread_cond_wait(&lib_cv, &lib_mu);
		pthread_mutex_unlock(&lib_mu);
		oneway_us = (now_us() - t0) / rounds;
		xs_release(msg);
		printf("%7zuK | %10.1f %10.1f\n", len >> 10, sync_us, oneway_us);
		fflush(stdout);
	}
	xs_session_cancel(s, NULL);
	xs_session_release(s);
	xs_listener_cancel(l);
	xs_listener_release(l);
}

int main(int argc, char **argv)
{
	size_t sizes[32] = {
		64u << 10, 256u << 10, 1u << 20, 4u << 20, 16u << 20,
	};
	int nsizes = 5, n = 0, i;
	bool ring = false, lib = false, custom = false;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ring")) {
			ring = true;
		} else if (!strcmp(argv[i], "--lib")) {
			lib = true;
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			n = atoi(argv[++i]);
		} else {
			if (!custom)
				nsizes = 0;	/* the sizes given replace ours */
			custom = true;
			if (nsizes == 32 || xs_parse_size(argv[i], &sizes[nsizes])
			    || !sizes[nsizes]) {
				fprintf(stderr, "usage: %s [--ring|--lib] [-n ROUNDS] [SIZE...]\n",
					argv[0]);
				return 2;
			}
			nsizes++;
		}
	}
	for (i = 0; i < nsizes; i++)
		if (sizes[i] > max_len)
			max_len = sizes[i];
	src = malloc(max_len);
	dst = malloc(max_len);
	if (!src || !dst)
		die("malloc");
	for (i = 0; i < (int)max_len; i++)
		src[i] = (uint8_t)(i * 31 + (i >> 9));
	memset(dst, 1, max_len);
	if (lib)
		lib_mode(sizes, nsizes, n);
	else if (ring)
		ring_mode(sizes, nsizes, n);
	else
		host_mode(sizes, nsizes, n);
	free(src);
	free(dst);
	return sink == 42;	/* keeps the reads */
}
