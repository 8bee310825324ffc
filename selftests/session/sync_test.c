// SPDX-License-Identifier: GPL-2.0
/*
 * XS_IOC_SEND_SYNC: one request, one sleep, the reply copied straight
 * into the caller's buffer.  Reply sizes, deadlines (late replies are
 * accepted and dropped), signals (EINTR, never a second request), the
 * session ending under a waiter, and many threads waiting on one session.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "xs_util.h"

/* ---- an echo server thread -------------------------------------------- */

struct echo {
	int fd;
	int requests;		/* served */
	bool want_sync;		/* every request must carry XS_MSGF_SYNC */
};

/* Answers each request with "echo:" + its payload until the session ends. */
static void *echo_thread(void *p)
{
	struct echo *e = p;
	char buf[512], out[600];
	struct xs_msg_hdr h;
	int r;

	for (;;) {
		r = xsu_recv_wait(e->fd, buf, sizeof(buf), &h, 60000);
		if (r == -ESHUTDOWN)
			return NULL;
		if (r == -EAGAIN)
			continue;	/* another server thread took it */
		XS_ASSERT_EQ(r, 0);
		if (h.kind == XS_MSG_END)
			return NULL;
		XS_ASSERT_EQ(h.kind, XS_MSG_REQUEST);
		if (e->want_sync)
			XS_ASSERT_EQ(h.flags, XS_MSGF_SYNC);
		memcpy(out, "echo:", 5);
		memcpy(out + 5, buf, h.payload_len);
		XS_ASSERT_EQ(xsu_reply(e->fd, h.id, out, h.payload_len + 5), 0);
		__atomic_add_fetch(&e->requests, 1, __ATOMIC_SEQ_CST);
	}
}

static pthread_t main_thread;

static void *signal_main_later(void *p)
{
	xsu_sleep_ms((int)(intptr_t)p);
	pthread_kill(main_thread, SIGUSR1);
	return NULL;
}

/* ---- basics ------------------------------------------------------------ */

XS_TEST(sync_echo_exact)
{
	XSU_NAME(name);
	struct echo e = { .want_sync = true };
	struct xs_send_sync ss;
	char reply[64];
	pthread_t t;
	int c;

	xsu_pair(name, NULL, &c, &e.fd);
	t = xsu_thread(echo_thread, &e);
	memset(reply, 0, sizeof(reply));
	XS_ASSERT_EQ(xsu_send_sync(c, 0, "hello", 5, reply, sizeof(reply), 0,
				   &ss), 0);
	XS_EXPECT_EQ(ss.id & 1, 1);
	XS_EXPECT_EQ(ss.reply_kind, XS_MSG_REPLY);
	XS_EXPECT_EQ(ss.reply_status, 0);
	XS_EXPECT_EQ(ss.reply_len, 10);
	XS_EXPECT_EQ(ss.reply_flags, 0);
	XS_EXPECT_MEMEQ(reply, "echo:hello", 10);
	/* The reply went to the waiter, not into the queue. */
	xsu_expect_empty(c);
	XS_ASSERT_EQ(xsu_send_sync(c, 0, NULL, 0, reply, sizeof(reply), 0,
				   &ss), 0);
	XS_EXPECT_EQ(ss.reply_len, 5);
	XS_EXPECT_MEMEQ(reply, "echo:", 5);
	close(c);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(e.requests, 2);
	close(e.fd);
}

XS_TEST(sync_error_reply)
{
	XSU_NAME(name);
	struct xs_send_sync ss;
	struct xs_msg_hdr h;
	char reply[16], buf[16];
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	/* Reply from here while the client waits in a forked child. */
	{
		pid_t pid = xsu_fork();

		if (pid == 0) {
			XS_ASSERT_EQ(xsu_send_sync(c, 0, "bad", 3, reply,
						   sizeof(reply), 0, &ss), 0);
			XS_ASSERT_EQ(ss.reply_kind, XS_MSG_ERROR_REPLY);
			XS_ASSERT_EQ(ss.reply_status, 7);
			XS_ASSERT_EQ(ss.reply_flags, 0);
			XS_ASSERT_EQ(ss.reply_len, 4);
			XS_ASSERT_MEMEQ(reply, "nope", 4);
			_exit(0);
		}
		XS_ASSERT_EQ(xsu_recv_wait(s, buf, sizeof(buf), &h,
					   XSU_WAIT_MS), 0);
		XS_EXPECT_EQ(h.kind, XS_MSG_REQUEST);
		XS_EXPECT_EQ(h.flags, XS_MSGF_SYNC);
		XS_EXPECT_EQ(h.payload_len, 3);
		XS_ASSERT_EQ(xsu_error_reply(s, h.id, 7, "nope", 4), 0);
		XS_EXPECT_EQ(xsu_reply(s, h.id, "late", 4), -EALREADY);
		xsu_wait_child(pid, XSU_WAIT_MS);
	}
	close(c);
	close(s);
}

struct sync_call {
	int fd;
	uint32_t flags;
	const void *buf;
	uint32_t len;
	void *reply;
	uint32_t cap;
	uint64_t timeout_ns;
	struct xs_send_sync out;
	int ret;
	int done;
};

static void *sync_thread(void *p)
{
	struct sync_call *sc = p;

	sc->ret = xsu_send_sync(sc->fd, sc->flags, sc->buf, sc->len, sc->reply,
				sc->cap, sc->timeout_ns, &sc->out);
	__atomic_store_n(&sc->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static pthread_t start_sync(struct sync_call *sc, int fd, const char *msg,
			    void *reply, uint32_t cap, uint64_t timeout_ns)
{
	memset(sc, 0, sizeof(*sc));
	sc->fd = fd;
	sc->buf = msg;
	sc->len = msg ? strlen(msg) : 0;
	sc->reply = reply;
	sc->cap = cap;
	sc->timeout_ns = timeout_ns;
	return xsu_thread(sync_thread, sc);
}

/* The next request on @s (bounded wait); returns its id. */
static uint64_t take_request(int s, const char *want)
{
	struct xs_msg_hdr h;
	char buf[256];

	XS_ASSERT_EQ(xsu_recv_wait(s, buf, sizeof(buf), &h, XSU_WAIT_MS), 0);
	XS_ASSERT_EQ(h.kind, XS_MSG_REQUEST);
	XS_ASSERT_EQ(h.flags, XS_MSGF_SYNC);
	if (want) {
		XS_ASSERT_EQ(h.payload_len, strlen(want));
		XS_ASSERT_MEMEQ(buf, want, strlen(want));
	}
	return h.id;
}

XS_TEST(sync_reply_too_big_emsgsize_dropped)
{
	XSU_NAME(name);
	struct sync_call sc;
	char reply[16];
	pthread_t t;
	uint64_t id;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	memset(reply, 0x5a, sizeof(reply));
	t = start_sync(&sc, c, "big?", reply, 4, 0);
	id = take_request(s, "big?");
	XS_ASSERT_EQ(xsu_reply(s, id, "0123456789", 10), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(sc.ret, -EMSGSIZE);
	XS_EXPECT_EQ(sc.out.reply_len, 10);
	XS_EXPECT_EQ(sc.out.id, id);
	/* Not copied, not queued: dropped. */
	XS_EXPECT_EQ((unsigned char)reply[0], 0x5a);
	xsu_expect_empty(c);
	XS_EXPECT_EQ(xsu_reply(s, id, "x", 1), -EALREADY);

	/* A buffer of exactly the reply's size is enough. */
	t = start_sync(&sc, c, "fit?", reply, 10, 0);
	id = take_request(s, "fit?");
	XS_ASSERT_EQ(xsu_reply(s, id, "0123456789", 10), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(sc.ret, 0);
	XS_EXPECT_EQ(sc.out.reply_len, 10);
	XS_EXPECT_MEMEQ(reply, "0123456789", 10);

	/* An empty reply needs no buffer at all. */
	t = start_sync(&sc, c, "empty?", NULL, 0, 0);
	id = take_request(s, "empty?");
	XS_ASSERT_EQ(xsu_reply(s, id, NULL, 0), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(sc.ret, 0);
	XS_EXPECT_EQ(sc.out.reply_len, 0);
	XS_EXPECT_EQ(sc.out.reply_kind, XS_MSG_REPLY);
	close(c);
	close(s);
}

XS_TEST(sync_bad_pointers_efault)
{
	XSU_NAME(name);
	struct sync_call sc;
	pthread_t t;
	uint64_t id;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	/* A payload that cannot be read: nothing is sent. */
	XS_EXPECT_EQ(xsu_send_sync(c, 0, NULL, 8, NULL, 0, 0, NULL), -EFAULT);
	XS_EXPECT_EQ(xsu_send_sync(c, 0, (void *)1, 8, NULL, 0, 0, NULL),
		     -EFAULT);
	xsu_expect_empty(s);
	/* A reply buffer that cannot be written. */
	t = start_sync(&sc, c, "where", (void *)1, 64, 0);
	id = take_request(s, "where");
	XS_ASSERT_EQ(xsu_reply(s, id, "here", 4), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(sc.ret, -EFAULT);
	xsu_expect_empty(c);
	close(c);
	close(s);
}

struct sync_big {
	struct xs_send_sync s;
	uint64_t tail;
};

XS_TEST(sync_struct_checks)
{
	XSU_NAME(name);
	struct sync_big b;
	unsigned int bit;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
#define RESET()								\
	do {								\
		memset(&b, 0, sizeof(b));				\
		b.s.size = sizeof(b.s);					\
		b.s.payload = (uintptr_t)"abc";				\
		b.s.payload_len = 3;					\
		b.s.timeout_ns = 1;					\
	} while (0)
	RESET();
	b.s.size = 0;
	XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND_SYNC, &b.s), EINVAL);
	b.s.size = XS_SEND_SYNC_SIZE_VER0 - 8;
	XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND_SYNC, &b.s), EINVAL);
	for (bit = 1; bit < 32; bit++) {
		RESET();
		b.s.flags = 1u << bit;
		XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND_SYNC, &b.s), EINVAL);
	}
	RESET();
	b.s.items = 1;		/* items without a count */
	XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND_SYNC, &b.s), EINVAL);
	RESET();
	b.s.__pad = 1;
	XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND_SYNC, &b.s), EINVAL);
	RESET();
	b.s.size = sizeof(b);
	b.tail = 1;
	XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND_SYNC, &b.s), E2BIG);
#undef RESET
	/* Nothing was sent. */
	xsu_expect_empty(s);
	close(c);
	close(s);
}

/* ---- deadlines and signals -------------------------------------------- */

XS_TEST(sync_timeout_late_reply_dropped)
{
	XSU_NAME(name);
	struct xs_send_sync ss;
	char reply[16];
	uint64_t t0, dt, id;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	t0 = xsu_now_ns();
	XS_ASSERT_EQ(xsu_send_sync(c, 0, "slow", 4, reply, sizeof(reply),
				   300000000ull, &ss), -ETIMEDOUT);
	dt = xsu_now_ns() - t0;
	/* Roughly the deadline (the VM is slow: no tight upper bound). */
	XS_EXPECT_GE(dt, 250000000ull);
	XS_EXPECT_LT(dt, 10000000000ull);
	/* The server got it once and may still answer: accepted, dropped. */
	id = take_request(s, "slow");
	xsu_expect_empty(s);
	XS_EXPECT_EQ(xsu_reply(s, id, "late", 4), 0);
	XS_EXPECT_EQ(xsu_reply(s, id, "late", 4), -EALREADY);
	xsu_expect_empty(c);

	/* An error reply after the deadline likewise. */
	XS_ASSERT_EQ(xsu_send_sync(c, 0, "slow2", 5, reply, sizeof(reply),
				   50000000ull, &ss), -ETIMEDOUT);
	id = take_request(s, "slow2");
	XS_EXPECT_EQ(xsu_error_reply(s, id, 3, NULL, 0), 0);
	xsu_expect_empty(c);

	/* The session is fine: the next call gets its own reply. */
	{
		struct echo e = { .fd = s, .want_sync = true };
		pthread_t t = xsu_thread(echo_thread, &e);

		XS_ASSERT_EQ(xsu_send_sync(c, 0, "next", 4, reply,
					   sizeof(reply), 0, &ss), 0);
		XS_EXPECT_EQ(ss.reply_len, 9);
		XS_EXPECT_MEMEQ(reply, "echo:next", 9);
		XS_ASSERT_EQ(xsu_cancel(c, NULL, 0), 0);
		xsu_join(t, XSU_WAIT_MS);
	}
	close(c);
	close(s);
}

XS_TEST(sync_reply_within_deadline)
{
	XSU_NAME(name);
	struct echo e = { .want_sync = true };
	struct xs_send_sync ss;
	char reply[16];
	pthread_t t;
	int c;

	xsu_pair(name, NULL, &c, &e.fd);
	t = xsu_thread(echo_thread, &e);
	XS_ASSERT_EQ(xsu_send_sync(c, 0, "fast", 4, reply, sizeof(reply),
				   20ull * 1000000000, &ss), 0);
	XS_EXPECT_MEMEQ(reply, "echo:fast", 9);
	close(c);
	xsu_join(t, XSU_WAIT_MS);
	close(e.fd);
}

static void install_usr1(bool restart)
{
	struct sigaction sa;

	xsu_install_sigusr1();
	if (!restart)
		return;
	XS_ASSERT_OK(sigaction(SIGUSR1, NULL, &sa));
	sa.sa_flags |= SA_RESTART;
	XS_ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
}

static void sync_signal_case(bool restart, uint64_t timeout_ns)
{
	XSU_NAME(name);
	struct xs_send_sync ss;
	char reply[16];
	pthread_t t;
	uint64_t id;
	int c, s, before;

	xsu_pair(name, NULL, &c, &s);
	install_usr1(restart);
	main_thread = pthread_self();
	before = xsu_sigusr1_count;
	t = xsu_thread(signal_main_later, (void *)(intptr_t)XSU_QUIET_MS);
	XS_ASSERT_EQ(xsu_send_sync(c, 0, "sig", 3, reply, sizeof(reply),
				   timeout_ns, &ss), -EINTR);
	XS_EXPECT_EQ((int)xsu_sigusr1_count, before + 1);
	xsu_join(t, XSU_WAIT_MS);
	/* Exactly one request, never a second. */
	id = take_request(s, "sig");
	xsu_sleep_ms(XSU_QUIET_MS);
	xsu_expect_empty(s);
	XS_EXPECT_EQ(id & 1, 1);
	/* Still owed; a late answer is accepted and goes nowhere visible. */
	XS_EXPECT_EQ(xsu_reply(s, id, "late", 4), 0);
	XS_EXPECT_EQ(xsu_reply(s, id, "late", 4), -EALREADY);
	close(c);
	close(s);
}

XS_TEST(sync_signal_eintr_one_request)
{
	sync_signal_case(false, 0);
}

XS_TEST(sync_signal_eintr_with_deadline)
{
	sync_signal_case(false, 30ull * 1000000000);
}

/* Even an SA_RESTART handler does not restart it: that would resend. */
XS_TEST(sync_signal_sa_restart_still_eintr)
{
	sync_signal_case(true, 0);
}

/* ---- the session ends under a waiter ----------------------------------- */

XS_TEST(sync_peer_cancels_eshutdown)
{
	XSU_NAME(name);
	struct sync_call sc;
	char reply[16];
	pthread_t t;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	t = start_sync(&sc, c, "wait", reply, sizeof(reply), 0);
	take_request(s, "wait");
	XS_ASSERT_EQ(xsu_cancel(s, "no", 2), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(sc.ret, -ESHUTDOWN);
	XS_EXPECT_EQ(sc.out.reply_kind, XS_MSG_ERROR_REPLY);
	XS_EXPECT_EQ(sc.out.reply_flags, XS_MSGF_KERNEL);
	XS_EXPECT_EQ(sc.out.reply_status, XS_END_INVALIDATED);
	XS_EXPECT_EQ(sc.out.reply_len, 0);
	/* The waiter took the kernel's answer: the queue has only END. */
	xsu_expect_end(c, XS_END_INVALIDATED, "no", 2);
	/* And sending now fails at once. */
	XS_EXPECT_EQ(xsu_send_sync(c, 0, "x", 1, reply, sizeof(reply), 0, NULL),
		     -ESHUTDOWN);
	close(c);
	close(s);
}

XS_TEST(sync_peer_closes_eshutdown)
{
	XSU_NAME(name);
	struct sync_call sc;
	char reply[16];
	pthread_t t;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	t = start_sync(&sc, c, "wait", reply, sizeof(reply), 0);
	take_request(s, "wait");
	close(s);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(sc.ret, -ESHUTDOWN);
	XS_EXPECT_EQ(sc.out.reply_flags, XS_MSGF_KERNEL);
	XS_EXPECT_EQ(sc.out.reply_status, XS_END_INVALIDATED);
	xsu_expect_end(c, XS_END_INVALIDATED, NULL, 0);
	close(c);
}

/* The waiter's own side cancels from another thread. */
XS_TEST(sync_own_cancel_eshutdown)
{
	XSU_NAME(name);
	struct sync_call sc;
	char reply[16];
	pthread_t t;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	t = start_sync(&sc, c, "wait", reply, sizeof(reply), 0);
	take_request(s, "wait");
	XS_ASSERT_EQ(xsu_cancel(c, "mine", 4), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(sc.ret, -ESHUTDOWN);
	XS_EXPECT_EQ(sc.out.reply_flags, XS_MSGF_KERNEL);
	XS_EXPECT_EQ(sc.out.reply_status, XS_END_CANCELED);
	xsu_expect_end(c, XS_END_CANCELED, NULL, 0);
	xsu_expect_end(s, XS_END_INVALIDATED, "mine", 4);
	close(c);
	close(s);
}

XS_TEST(sync_server_side_waits_too)
{
	XSU_NAME(name);
	struct echo e = { .want_sync = true };
	struct xs_send_sync ss;
	char reply[32];
	pthread_t t;
	int s;

	/* Roles reversed: the server asks, the client answers. */
	xsu_pair(name, NULL, &e.fd, &s);
	t = xsu_thread(echo_thread, &e);
	XS_ASSERT_EQ(xsu_send_sync(s, 0, "from server", 11, reply,
				   sizeof(reply), 0, &ss), 0);
	XS_EXPECT_EQ(ss.reply_len, 16);
	XS_EXPECT_MEMEQ(reply, "echo:from server", 16);
	close(s);
	xsu_join(t, XSU_WAIT_MS);
	close(e.fd);
}

XS_TEST(sync_from_pending_client)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c = xsu_connect(name, 0), s;
	struct sync_call sc;
	char reply[16];
	pthread_t t;
	uint64_t id;

	/* The request waits in the server's ring until it is accepted. */
	t = start_sync(&sc, c, "early", reply, sizeof(reply), 0);
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_ASSERT_EQ(__atomic_load_n(&sc.done, __ATOMIC_SEQ_CST), 0);
	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	id = take_request(s, "early");
	XS_ASSERT_EQ(xsu_reply(s, id, "ok", 2), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(sc.ret, 0);
	XS_EXPECT_MEMEQ(reply, "ok", 2);
	close(s);
	close(c);
	close(l);
}

/* An async and a sync request outstanding at once: each reply goes home. */
XS_TEST(sync_and_async_requests_mixed)
{
	XSU_NAME(name);
	struct sync_call sc;
	struct xs_msg_hdr h;
	uint64_t aid, sid, got;
	char reply[16], buf[16];
	pthread_t t;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_request(c, "async", 5, &aid), 0);
	t = start_sync(&sc, c, "sync", reply, sizeof(reply), 0);
	xsu_expect_item(s, XS_MSG_REQUEST, 0, 0, 0, "async", 5, &got);
	XS_EXPECT_EQ(got, aid);
	XS_ASSERT_EQ(xsu_recv_wait(s, buf, sizeof(buf), &h, XSU_WAIT_MS), 0);
	XS_EXPECT_EQ(h.flags, XS_MSGF_SYNC);
	sid = h.id;
	XS_ASSERT_EQ(xsu_reply(s, sid, "S", 1), 0);
	XS_ASSERT_EQ(xsu_reply(s, aid, "A", 1), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(sc.ret, 0);
	XS_EXPECT_EQ(sc.out.id, sid);
	XS_EXPECT_EQ(sc.out.reply_len, 1);
	XS_EXPECT_MEMEQ(reply, "S", 1);
	xsu_expect_item(c, XS_MSG_REPLY, 0, 0, aid, "A", 1, NULL);
	xsu_expect_empty(c);
	close(c);
	close(s);
}

/* ---- 8 threads on one session ------------------------------------------ */

#define SYNC_THREADS	8
#define SYNC_CALLS	300

struct caller {
	int fd;
	int tid;
	int ok;
};

static void *caller_thread(void *p)
{
	struct caller *cl = p;
	struct xs_send_sync ss;
	char msg[64], want[80], reply[128];
	int n, len;

	for (n = 0; n < SYNC_CALLS; n++) {
		len = snprintf(msg, sizeof(msg), "thread %d call %d", cl->tid,
			       n);
		memset(reply, 0, sizeof(reply));
		XS_ASSERT_EQ(xsu_send_sync(cl->fd, 0, msg, len, reply,
					   sizeof(reply), 0, &ss), 0);
		snprintf(want, sizeof(want), "echo:%s", msg);
		if (ss.reply_len != strlen(want) ||
		    memcmp(reply, want, ss.reply_len))
			XS_FAIL("thread %d call %d got \"%.*s\"", cl->tid, n,
				(int)ss.reply_len, reply);
		XS_ASSERT_EQ(ss.reply_kind, XS_MSG_REPLY);
		cl->ok++;
	}
	return NULL;
}

XS_TEST_TIMEOUT(sync_eight_threads_one_session, 120)
{
	XSU_NAME(name);
	struct caller cl[SYNC_THREADS];
	struct echo e[2] = {
		{ .want_sync = true }, { .want_sync = true },
	};
	pthread_t ct[SYNC_THREADS], et[2];
	int c, s, i;

	xsu_pair(name, NULL, &c, &s);
	/* Two server threads answer, so replies leave in any order. */
	for (i = 0; i < 2; i++) {
		e[i].fd = s;
		et[i] = xsu_thread(echo_thread, &e[i]);
	}
	for (i = 0; i < SYNC_THREADS; i++) {
		cl[i] = (struct caller){ .fd = c, .tid = i };
		ct[i] = xsu_thread(caller_thread, &cl[i]);
	}
	for (i = 0; i < SYNC_THREADS; i++) {
		xsu_join(ct[i], 100000);
		XS_EXPECT_EQ(cl[i].ok, SYNC_CALLS);
	}
	XS_ASSERT_EQ(xsu_cancel(c, NULL, 0), 0);
	for (i = 0; i < 2; i++)
		xsu_join(et[i], XSU_WAIT_MS);
	XS_EXPECT_EQ(e[0].requests + e[1].requests,
		     SYNC_THREADS * SYNC_CALLS);
	xsu_expect_end(c, XS_END_CANCELED, NULL, 0);
	close(c);
	close(s);
}

/* ---- large replies: copied once, into the caller's buffer ---------------- */

#define BIG_RING	(2u << 20)

static void big_fill(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + seed + (i >> 10));
}

static bool big_check(const uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(i * 13 + seed + (i >> 10)))
			return false;
	return true;
}

struct big_server {
	int fd;
	uint32_t len;		/* reply bytes */
	unsigned int seed;
	size_t off;		/* offset of the reply in its buffer */
	int ret;
};

/* Answers one request with @len bytes of pattern @seed. */
static void *big_server(void *p)
{
	struct big_server *b = p;
	uint8_t *buf = malloc(b->len + b->off + 1);
	struct xs_msg_hdr h;

	XS_ASSERT_TRUE(buf != NULL);
	b->ret = xsu_recv_wait(b->fd, NULL, 0, &h, XSU_WAIT_MS);
	if (b->ret == -EMSGSIZE)
		b->ret = xsu_recv(b->fd, 0, buf, b->len + 1, &h);
	if (!b->ret) {
		big_fill(buf + b->off, b->len, b->seed);
		b->ret = xsu_reply(b->fd, h.id, buf + b->off, b->len);
	}
	free(buf);
	return NULL;
}

/* One synchronous call answered by big_server(); the sync_send result. */
static int big_call(int c, int s, uint32_t len, unsigned int seed,
		    size_t off, void *reply, uint32_t cap,
		    struct xs_send_sync *out)
{
	struct big_server b = { .fd = s, .len = len, .seed = seed,
				.off = off };
	pthread_t t = xsu_thread(big_server, &b);
	int ret = xsu_send_sync(c, 0, "q", 1, reply, cap, 0, out);

	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(b.ret, 0);
	return ret;
}

XS_TEST(sync_large_replies_intact)
{
	static const uint32_t lens[] = { 16383, 16384, 16385, 65536 + 3,
					 300000, 1 << 20 };
	XSU_NAME(name);
	struct xs_send_sync out;
	uint8_t *reply = malloc((1 << 20) + 64);
	unsigned int i, off;
	int c, s;

	XS_ASSERT_TRUE(reply != NULL);
	xsu_pair_rings(name, BIG_RING, BIG_RING, NULL, &c, &s);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (off = 0; off < 3; off++) {
			/* Buffers touched, so their pages are present. */
			memset(reply, 0xee, (1 << 20) + 64);
			XS_ASSERT_EQ(big_call(c, s, lens[i], i + off, off * 1000,
					      reply + off * 7, lens[i], &out), 0);
			XS_EXPECT_EQ(out.reply_len, lens[i]);
			XS_EXPECT_TRUE(big_check(reply + off * 7, lens[i],
						 i + off));
			/* Not a byte beyond the reply. */
			XS_EXPECT_EQ(reply[off * 7 + lens[i]], 0xee);
		}
	}
	free(reply);
}

/* A buffer whose pages are not there yet: the reply still arrives. */
XS_TEST(sync_large_reply_into_fresh_memory)
{
	const size_t len = 256 * 1024;
	XSU_NAME(name);
	struct xs_send_sync out;
	uint8_t *reply;
	int c, s;

	xsu_pair_rings(name, BIG_RING, BIG_RING, NULL, &c, &s);
	reply = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	XS_ASSERT_TRUE(reply != MAP_FAILED);
	XS_ASSERT_EQ(big_call(c, s, len, 5, 0, reply, len, &out), 0);
	XS_EXPECT_TRUE(big_check(reply, len, 5));
	munmap(reply, len);
}

/*
 * A buffer shared copy-on-write with a child: the reply lands in the
 * caller's own copy, never in the page the child still sees.
 */
XS_TEST(sync_large_reply_respects_copy_on_write)
{
	const size_t len = 128 * 1024;
	XSU_NAME(name);
	struct xsu_event go, done;
	struct xs_send_sync out;
	uint8_t *reply = malloc(len);
	pid_t pid;
	int c, s;

	XS_ASSERT_TRUE(reply != NULL);
	memset(reply, 'P', len);
	xsu_pair_rings(name, BIG_RING, BIG_RING, NULL, &c, &s);
	xsu_event_init(&go);
	xsu_event_init(&done);
	pid = xsu_fork();
	if (!pid) {
		size_t i;

		xsu_event_wait(&go, XSU_WAIT_MS);
		for (i = 0; i < len; i++)
			if (reply[i] != 'P')
				_exit(1);
		_exit(0);
	}
	XS_ASSERT_EQ(big_call(c, s, len, 9, 0, reply, len, &out), 0);
	XS_EXPECT_TRUE(big_check(reply, len, 9));
	xsu_event_post(&go);
	xsu_wait_child(pid, XSU_WAIT_MS);
	free(reply);
}

/* Large replies and their errors: too big, unwritable, unreadable. */
XS_TEST(sync_large_reply_errors)
{
	const size_t len = 64 * 1024;
	XSU_NAME(name);
	struct xs_send_sync out;
	uint8_t *reply = malloc(2 * len), *ro;
	int c, s;

	XS_ASSERT_TRUE(reply != NULL);
	xsu_pair_rings(name, BIG_RING, BIG_RING, NULL, &c, &s);
	/* One byte short: -EMSGSIZE, the length says what was needed. */
	XS_EXPECT_EQ(big_call(c, s, len, 1, 0, reply, len - 1, &out),
		     -EMSGSIZE);
	XS_EXPECT_EQ(out.reply_len, len);
	/* A read-only buffer: -EFAULT for the caller. */
	ro = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	XS_ASSERT_TRUE(ro != MAP_FAILED);
	XS_EXPECT_EQ(big_call(c, s, len, 2, 0, ro, len, &out), -EFAULT);
	munmap(ro, len);

	/* The replier's payload unreadable: -EFAULT for it, still owed. */
	{
		struct sync_call sc;
		pthread_t t;
		uint64_t id;

		t = start_sync(&sc, c, "wait", reply, len, 0);
		id = take_request(s, "wait");
		XS_EXPECT_EQ(xsu_reply(s, id, (void *)4096, len), -EFAULT);
		xsu_sleep_ms(XSU_QUIET_MS);
		XS_EXPECT_EQ(__atomic_load_n(&sc.done, __ATOMIC_ACQUIRE), 0);
		big_fill(reply + len, len, 3);
		XS_EXPECT_EQ(xsu_reply(s, id, reply + len, len), 0);
		xsu_join(t, XSU_WAIT_MS);
		XS_EXPECT_EQ(sc.ret, 0);
		XS_EXPECT_TRUE(big_check(reply, len, 3));
	}
	free(reply);
}
