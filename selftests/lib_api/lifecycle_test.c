// SPDX-License-Identifier: GPL-2.0
/*
 * lifecycle_test: libxsession sessions under death, races and load.
 *
 *   peer death during an async reply (and a sync send): every reply
 *   handler gets INTERRUPTED exactly once, then the cancel handler, with
 *   can_retry true; cancel racing with synchronous sends from 8 threads;
 *   1 000 sessions opened and closed by one process without leaking fds,
 *   memory or threads; releasing an active session ends it; messages the
 *   server starts; the order of 1 000 one-way messages, one handler call
 *   at a time.
 *
 * Runs as root in the test VM with the module loaded.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xla_util.h"

/*
 * Fault injection.  This static binary defines ioctl(), which replaces
 * glibc's (a weak alias of __ioctl) for every caller, libxsession
 * included.  It passes every call straight to the system call; a test
 * may ask it to sleep after a successful XS_IOC_SEND of a request, to
 * widen a window inside the library deterministically.
 */
static atomic_int inject_request_delay_us;

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	long ret;
	int delay;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	ret = syscall(SYS_ioctl, fd, req, arg);
	delay = atomic_load(&inject_request_delay_us);
	if (delay && ret == 0 && req == XS_IOC_SEND &&
	    ((struct xs_send *)arg)->kind == XS_MSG_REQUEST)
		usleep(delay);
	return (int)ret;
}

/* The @nth (0-based) event of @what, asserting it exists. */
static struct xla_ev ev_of(char what, int nth)
{
	struct xla_ev ev;
	int i, n = 0;

	xla_lock();
	for (i = 0; i < xla_nev; i++) {
		if (xla_evs[i].what == what && n++ == nth) {
			ev = xla_evs[i];
			xla_unlock();
			return ev;
		}
	}
	xla_unlock();
	XS_FAIL("no event %c #%d", what, nth);
}

#define WAIT_EVS(what, n)						\
	XS_ASSERT_TRUE(XLA_WAIT(xla_count_locked(what) >= (n), XLA_WAIT_MS))

#define QUIET_EVS(what, n)						\
	do {								\
		usleep(XLA_QUIET_MS * 1000);				\
		XS_ASSERT_EQ(xla_count(what), (n));			\
	} while (0)

/* Joins @t within XLA_WAIT_MS; asserts. */
static void *join_bounded(pthread_t t)
{
	struct timespec dl;
	void *ret;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += XLA_WAIT_MS / 1000;
	if (pthread_timedjoin_np(t, &ret, &dl))
		XS_FAIL("a thread did not finish within %d ms", XLA_WAIT_MS);
	return ret;
}

/* Asks the server to send @n messages back; asserts. */
static void push(xs_session_t *s, int n, bool req, int64_t seq)
{
	xs_object_t *m = xla_req("push", seq), *reply;
	xs_rich_error_t *e = NULL;

	xs_dictionary_set_int64(m, "n", n);
	xs_dictionary_set_bool(m, "req", req);
	reply = xs_session_send_message_with_reply_sync(s, m, &e);
	xs_release(m);
	if (!reply)
		XS_FAIL("push: %s", e ? xs_rich_error_get_description(e) : "?");
	xs_release(reply);
}

/* ---- peer death ---------------------------------------------------------- */

/*
 * The service receives three requests, hands them off, and is killed
 * before it replies: each reply handler gets INTERRUPTED once, then the
 * cancel handler runs, last, with INTERRUPTED; can_retry is true.
 */
XS_TEST_TIMEOUT(peer_death_during_async_reply, 60)
{
	XLA_NAME(name);
	xs_queue_t *q;
	xs_session_t *s;
	xs_object_t *m;
	struct xla_ev ev;
	int note, i;
	pid_t pid;

	pid = xla_fork_server(name, 0, XLA_SRV_ACCEPT, &note);
	q = xs_queue_create("xla.client");
	xla_expect_q = q;
	s = xla_connect(name, q);
	m = xla_req("hold", 1);
	for (i = 0; i < 3; i++)
		xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply,
							 NULL);
	for (i = 0; i < 3; i++)
		xla_wait_notify(note);
	QUIET_EVS('R', 0);

	XS_ASSERT_OK(kill(pid, SIGKILL));
	XS_ASSERT_EQ(waitpid(pid, NULL, 0), pid);
	WAIT_EVS('C', 1);
	QUIET_EVS('C', 1);
	XS_ASSERT_EQ(xla_count('R'), 3);
	for (i = 0; i < 3; i++) {
		ev = ev_of('R', i);
		XS_EXPECT_EQ(ev.kind, XS_ERROR_INTERRUPTED);
		XS_EXPECT_TRUE(ev.can_retry);
	}
	ev = ev_of('C', 0);
	XS_EXPECT_EQ(ev.kind, XS_ERROR_INTERRUPTED);
	XS_EXPECT_TRUE(ev.can_retry);
	XS_EXPECT_LT(xla_last('R'), xla_first('C'));
	XS_EXPECT_EQ(xla_off_queue('R'), 0);
	XS_EXPECT_EQ(xla_off_queue('C'), 0);
	XS_EXPECT_EQ(xla_count('X'), 0);

	/* The session is over: sends fail, nothing runs twice. */
	XS_EXPECT_EQ(xla_kind(xs_session_send_message(s, m)) != 0, true);
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	WAIT_EVS('R', 4);
	XS_EXPECT_EQ(ev_of('R', 3).kind, XS_ERROR_CANCELED);
	QUIET_EVS('C', 1);
	xs_release(m);
	xs_session_release(s);
	xs_queue_release(q);
	close(note);
}

struct sync_call {
	xs_session_t *s;
	int kind;
	bool can_retry;
	bool got_reply;
};

static void *sync_hold(void *arg)
{
	struct sync_call *c = arg;
	xs_object_t *m = xla_req("hold", 1), *r;
	xs_rich_error_t *e = NULL;

	r = xs_session_send_message_with_reply_sync(c->s, m, &e);
	c->got_reply = r != NULL;
	c->kind = xla_kind(e);
	c->can_retry = e && xs_rich_error_can_retry(e);
	xs_rich_error_release(e);
	xs_release(r);
	xs_release(m);
	return NULL;
}

/* The same with a synchronous sender blocked in the kernel. */
XS_TEST_TIMEOUT(peer_death_during_sync_send, 60)
{
	XLA_NAME(name);
	struct sync_call c = { 0 };
	xs_queue_t *q;
	pthread_t t;
	int note;
	pid_t pid;

	pid = xla_fork_server(name, 0, XLA_SRV_ACCEPT, &note);
	q = xs_queue_create("xla.client");
	xla_expect_q = q;
	c.s = xla_connect(name, q);
	XS_ASSERT_EQ(pthread_create(&t, NULL, sync_hold, &c), 0);
	xla_wait_notify(note);
	XS_ASSERT_OK(kill(pid, SIGKILL));
	XS_ASSERT_EQ(waitpid(pid, NULL, 0), pid);
	join_bounded(t);
	XS_EXPECT_FALSE(c.got_reply);
	XS_EXPECT_EQ(c.kind, XS_ERROR_INTERRUPTED);
	XS_EXPECT_TRUE(c.can_retry);
	WAIT_EVS('C', 1);
	XS_EXPECT_EQ(ev_of('C', 0).kind, XS_ERROR_INTERRUPTED);
	QUIET_EVS('C', 1);
	xs_session_release(c.s);
	xs_queue_release(q);
	close(note);
}

/* ---- cancel racing with synchronous sends ---------------------------------- */

#define RACERS	8
#define ROUNDS	4

static atomic_int race_replies;

struct racer {
	xs_session_t *s;
	int id;
	int replies;
	int kind;		/* of the error that ended its loop */
	int after_kind;		/* of one more send after that */
	int bad_replies;
};

static void *racer_fn(void *arg)
{
	struct racer *r = arg;
	xs_rich_error_t *e;
	xs_object_t *m, *d;
	int64_t i, seq;

	for (i = 0; i < 1000000; i++) {
		seq = (int64_t)r->id * 1000000 + i;
		m = xla_req("echo", seq);
		e = NULL;
		d = xs_session_send_message_with_reply_sync(r->s, m, &e);
		xs_release(m);
		if (d) {
			if (xs_dictionary_get_int64(d, "seq") != seq + 1)
				r->bad_replies++;
			xs_release(d);
			r->replies++;
			atomic_fetch_add(&race_replies, 1);
			continue;
		}
		r->kind = xla_kind(e);
		if (!e)
			r->kind = -1;	/* NULL without an error */
		xs_rich_error_release(e);
		break;
	}
	m = xla_req("echo", 0);
	e = NULL;
	d = xs_session_send_message_with_reply_sync(r->s, m, &e);
	r->after_kind = d ? -1 : xla_kind(e);
	xs_rich_error_release(e);
	xs_release(d);
	xs_release(m);
	return NULL;
}

/*
 * Eight threads send synchronously on one session while another thread
 * cancels it: every call returns a reply or an error (never hangs), the
 * error is CANCELED, and the cancel handler runs once.  Four rounds, the
 * cancel landing at different moments.
 */
XS_TEST_TIMEOUT(cancel_races_sync_sends_from_8_threads, 90)
{
	XLA_NAME(name);
	struct racer r[RACERS];
	pthread_t t[RACERS];
	xs_queue_t *q = xs_queue_create("xla.client");
	int round, i, total;

	xla_srv.sleep_us = 200;	/* keep requests in flight */
	xla_server_start(name, 0);
	xla_expect_q = q;
	for (round = 0; round < ROUNDS; round++) {
		xs_session_t *s = xla_connect(name, q);

		atomic_store(&race_replies, 0);
		for (i = 0; i < RACERS; i++) {
			memset(&r[i], 0, sizeof(r[i]));
			r[i].s = s;
			r[i].id = i + 1;
			XS_ASSERT_EQ(pthread_create(&t[i], NULL, racer_fn, &r[i]),
				     0);
		}
		/* Let them get going, then cancel at a varying moment. */
		for (i = 0; i < 1000 && atomic_load(&race_replies) < 16; i++)
			usleep(1000);
		usleep(round * 3000);
		xs_session_cancel(s, "race");
		total = 0;
		for (i = 0; i < RACERS; i++) {
			join_bounded(t[i]);
			total += r[i].replies;
			XS_EXPECT_EQ(r[i].bad_replies, 0);
			XS_EXPECT_EQ(r[i].kind, XS_ERROR_CANCELED);
			XS_EXPECT_EQ(r[i].after_kind, XS_ERROR_CANCELED);
		}
		xs_diag("round %d: %d replies before the cancel", round, total);
		WAIT_EVS('C', round + 1);
		XS_EXPECT_EQ(ev_of('C', round).kind, XS_ERROR_CANCELED);
		xs_session_release(s);
	}
	QUIET_EVS('C', ROUNDS);
	XS_EXPECT_EQ(xla_off_queue('C'), 0);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.ended == ROUNDS, XLA_WAIT_MS));
	xla_server_stop();
	xs_queue_release(q);
}

/* Heap growth the allocator's own state can explain (bytes). */
#define XLA_HEAP_SLACK	(40L * 1024)

struct async_racer {
	xs_session_t *s;
	int id;
	int sent;
};

#define ASYNC_SENDS	150

static void *async_racer_fn(void *arg)
{
	struct async_racer *r = arg;
	int i;

	for (i = 0; i < ASYNC_SENDS; i++) {
		xs_object_t *m = xla_req("echo", (int64_t)r->id * 1000 + i);

		xs_session_send_message_with_reply_async(r->s, m,
							 xla_on_dict_reply,
							 NULL);
		xs_release(m);
		r->sent++;
		if (i % 16 == 15)
			usleep(500);
	}
	return NULL;
}

/*
 * The same with asynchronous sends: every reply handler runs exactly
 * once (a reply or an error), and none that got its reply runs after
 * the cancel handler -- that reply was there before the session's end.
 */
XS_TEST_TIMEOUT(cancel_races_async_sends_from_8_threads, 90)
{
	XLA_NAME(name);
	struct async_racer r[RACERS];
	pthread_t t[RACERS];
	xs_queue_t *q = xs_queue_create("xla.client");
	int round, i, c, base, ok_after, replies, errors;
	xs_session_t *s;

	xla_srv.sleep_us = 100;
	xla_server_start(name, 0);
	xla_expect_q = q;
	for (round = 0; round < 2; round++) {
		base = xla_count('R');
		s = xla_connect(name, q);
		for (i = 0; i < RACERS; i++) {
			r[i].s = s;
			r[i].id = i + 1;
			r[i].sent = 0;
			XS_ASSERT_EQ(pthread_create(&t[i], NULL, async_racer_fn,
						    &r[i]), 0);
		}
		XLA_WAIT(xla_count_locked('R') >= base + 100 * (round + 1),
			 XLA_WAIT_MS);
		xs_session_cancel(s, "race");
		for (i = 0; i < RACERS; i++)
			join_bounded(t[i]);
		XS_ASSERT_TRUE(XLA_WAIT(xla_count_locked('R') ==
					base + RACERS * ASYNC_SENDS &&
					xla_count_locked('C') == round + 1,
					XLA_WAIT_MS));
		QUIET_EVS('R', base + RACERS * ASYNC_SENDS);
		c = xla_last('C');
		ok_after = replies = errors = 0;
		xla_lock();
		for (i = 0; i < xla_nev; i++) {
			if (xla_evs[i].what != 'R' || i < base)
				continue;
			if (xla_evs[i].kind) {
				errors++;
				if (xla_evs[i].kind != XS_ERROR_CANCELED)
					xs_diag("reply %d: kind %d", i,
						xla_evs[i].kind);
			} else {
				replies++;
				ok_after += i > c;
			}
		}
		xla_unlock();
		xs_diag("round %d: %d replies, %d errors, %d replies after the cancel handler",
			round, replies, errors, ok_after);
		XS_EXPECT_EQ(ok_after, 0);
		XS_EXPECT_EQ(replies + errors, RACERS * ASYNC_SENDS);
		xs_session_release(s);
	}
	XS_EXPECT_EQ(xla_count('X'), 0);
	XS_EXPECT_EQ(xla_off_queue('R'), 0);
	QUIET_EVS('C', 2);
	xla_server_stop();
	xs_queue_release(q);
}

/* ---- 1 000 sessions --------------------------------------------------------- */

#define SESSIONS	1000
#define WARMUP		20

static void open_close_one(const char *name, int i)
{
	xs_rich_error_t *e = NULL;
	xs_session_t *s;

	s = xs_session_create_mach_service_with_handlers(name, NULL,
							 XS_SESSION_CREATE_NONE,
							 NULL, xla_on_cancel,
							 NULL, &e);
	if (!s)
		XS_FAIL("session %d: %s", i,
			e ? xs_rich_error_get_description(e) : "?");
	xla_echo_sync(s, i);
	xs_session_cancel(s, NULL);
	xs_session_release(s);
}

/* Waits until the worker threads idle out: the count stops falling. */
static int settled_threads(void)
{
	int n = xla_count_threads(), prev, i;

	for (i = 0; i < 40; i++) {
		usleep(250 * 1000);
		prev = n;
		n = xla_count_threads();
		if (n == prev && i >= 11)	/* > the 2 s idle timeout */
			break;
	}
	return n;
}

/*
 * One process opens, uses and closes 1 000 sessions (and its in-process
 * service 1 000 peers): afterwards the fd count is what it was, the heap
 * has not grown, and the worker threads go back to the baseline.
 */
XS_TEST_TIMEOUT(thousand_sessions_no_leak, 180)
{
	XLA_NAME(name);
	int fds0, threads0, fds1, threads1, i;
	size_t heap0, heap1;
	struct timespec t0, t1;

	xla_server_start(name, 0);
	for (i = 0; i < WARMUP; i++)
		open_close_one(name, i);
	XS_ASSERT_TRUE(XLA_WAIT(xla_count_locked('C') == WARMUP &&
				xla_srv.ended == WARMUP, XLA_WAIT_MS));
	threads0 = settled_threads();
	fds0 = xla_count_fds();
	heap0 = xla_heap_used();

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < SESSIONS; i++) {
		open_close_one(name, WARMUP + i);
		if (i % 100 == 99)
			XS_ASSERT_TRUE(XLA_WAIT(xla_count_locked('C') >=
						WARMUP + i + 1, XLA_WAIT_MS));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	xs_diag("%d sessions in %ld ms", SESSIONS,
		(long)((t1.tv_sec - t0.tv_sec) * 1000 +
		       (t1.tv_nsec - t0.tv_nsec) / 1000000));
	XS_ASSERT_TRUE(XLA_WAIT(xla_count_locked('C') == WARMUP + SESSIONS &&
				xla_srv.ended == WARMUP + SESSIONS,
				XLA_WAIT_MS));
	XS_EXPECT_EQ(XLA_GET(xla_srv.accepted), WARMUP + SESSIONS);
	for (i = 0; i < xla_nev; i++)
		if (xla_evs[i].kind != XS_ERROR_CANCELED)
			XS_FAIL("session end %d: kind %d (%s)", i,
				xla_evs[i].kind, xla_evs[i].desc);

	/* Every fd of both ends closed (peers are freed on their queue). */
	XLA_WAIT(xla_count_fds() == fds0, XLA_WAIT_MS);
	fds1 = xla_count_fds();
	threads1 = settled_threads();
	heap1 = xla_heap_used();
	xs_diag("fds %d -> %d, threads %d -> %d, heap %zu -> %zu (%+ld)",
		fds0, fds1, threads0, threads1, heap0, heap1,
		(long)heap1 - (long)heap0);
	XS_EXPECT_EQ(fds1, fds0);
	XS_EXPECT_LE(threads1, threads0);
	/*
	 * The allocator's own state (per-thread caches of the workers that
	 * came and went) moves the count by up to ~20 KiB either way; a leak
	 * of 40 bytes a session, the smallest thing a session allocates,
	 * shows above that.
	 */
	XS_EXPECT_LT((long)heap1 - (long)heap0, XLA_HEAP_SLACK);
	xla_server_stop();
}

/* ---- release, server pushes, ordering ---------------------------------------- */

/*
 * Releasing the last reference to an active client session ends it (XPC
 * would crash; a leak is worse): the server sees INVALIDATED, the client's
 * cancel handler still runs once.  Another reference keeps it alive.
 */
XS_TEST(release_active_session_ends_it)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_session_t *s, *s2;

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xla_connect(name, q);
	xla_echo_sync(s, 1);
	s2 = xs_session_retain(s);
	XS_ASSERT_TRUE(s2 == s);
	xs_session_release(s);
	xla_echo_sync(s2, 2);		/* still active */
	usleep(XLA_QUIET_MS * 1000);
	XS_EXPECT_EQ(XLA_GET(xla_srv.ended), 0);
	xs_session_release(s2);		/* the last one: ends it */
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.ended == 1, XLA_WAIT_MS));
	XS_EXPECT_EQ(XLA_GET(xla_srv.end_kind), XS_ERROR_INVALIDATED);
	WAIT_EVS('C', 1);
	XS_EXPECT_EQ(ev_of('C', 0).kind, XS_ERROR_CANCELED);
	QUIET_EVS('C', 1);
	XS_EXPECT_EQ(xla_off_queue('C'), 0);
	xla_server_stop();
	xs_queue_release(q);
}

/*
 * Messages the server starts reach the client's incoming handler, in
 * order; the client's return value answers the server's requests.
 */
XS_TEST(server_initiated_messages)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_session_t *s;
	int i;

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xla_connect(name, q);
	push(s, 5, false, 100);
	push(s, 5, true, 200);
	WAIT_EVS('M', 10);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.push_replies == 5, XLA_WAIT_MS));
	for (i = 0; i < 5; i++) {
		XS_EXPECT_EQ(ev_of('M', i).value, 100 + i);
		XS_EXPECT_EQ(ev_of('M', 5 + i).value, 200 + i);
	}
	XS_EXPECT_EQ(XLA_GET(xla_srv.push_reply_seq_sum),
		     201 + 202 + 203 + 204 + 205);
	XS_EXPECT_EQ(XLA_GET(xla_srv.push_errors), 0);
	XS_EXPECT_EQ(xla_off_queue('M'), 0);
	xla_cancel_wait(s, NULL);
	QUIET_EVS('M', 10);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

#define ORDER_N	1000

static atomic_int in_handler, max_in_handler;
static int64_t last_seq[2];
static int order_errors;

/* ctx: which session (0 or 1); checks order and one call at a time. */
static xs_object_t *ordered(xs_received_message_t *msg, void *ctx)
{
	int64_t seq = xs_dictionary_get_int64(
		xs_received_message_get_dictionary(msg), "seq");
	int who = (int)(intptr_t)ctx, n;

	n = atomic_fetch_add(&in_handler, 1) + 1;
	if (n > atomic_load(&max_in_handler))
		atomic_store(&max_in_handler, n);
	if (seq != last_seq[who] + 1)
		order_errors++;
	last_seq[who] = seq;
	if (seq % 97 == 0)
		usleep(1000);	/* let a backlog build up */
	atomic_fetch_sub(&in_handler, 1);
	xla_record('M', NULL, seq);
	return NULL;
}

/*
 * 1 000 one-way messages each way: the receiving handler sees them in
 * order, one at a time.  Then two sessions sharing one target queue get
 * 1 000 each at once: still one handler call at a time, each in order.
 */
XS_TEST_TIMEOUT(ordering_1000_oneway, 90)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_session_t *s, *s2;
	xs_object_t *m;
	int i;

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xs_session_create_mach_service_with_handlers(name, q, 0, ordered,
							 xla_on_cancel,
							 (void *)(intptr_t)0,
							 NULL);
	XS_ASSERT_TRUE(s);
	for (i = 1; i <= ORDER_N; i++) {
		m = xla_req("order", i);
		XLA_ASSERT_NO_ERROR(xs_session_send_message(s, m));
		xs_release(m);
	}
	xla_echo_sync(s, ORDER_N + 1);	/* FIFO: after all of them */
	XS_EXPECT_EQ(XLA_GET(xla_srv.oneways), ORDER_N);
	XS_EXPECT_EQ(XLA_GET(xla_srv.order_errors), 0);
	XS_EXPECT_EQ(XLA_GET(xla_srv.max_in_handler), 1);
	XS_EXPECT_FALSE(XLA_GET(xla_srv.handler_off_queue));

	/* The other way. */
	push(s, ORDER_N, false, 1);
	WAIT_EVS('M', ORDER_N);
	XS_EXPECT_EQ(order_errors, 0);
	XS_EXPECT_EQ(last_seq[0], ORDER_N);
	XS_EXPECT_EQ(atomic_load(&max_in_handler), 1);
	XS_EXPECT_EQ(xla_off_queue('M'), 0);

	/* Two sessions, one queue, both receiving at once. */
	s2 = xs_session_create_mach_service_with_handlers(name, q, 0, ordered,
							  xla_on_cancel,
							  (void *)(intptr_t)1,
							  NULL);
	XS_ASSERT_TRUE(s2);
	last_seq[0] = 0;
	m = xla_req("push", 1);
	xs_dictionary_set_int64(m, "n", ORDER_N);
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	xs_session_send_message_with_reply_async(s2, m, xla_on_dict_reply, NULL);
	xs_release(m);
	WAIT_EVS('M', 3 * ORDER_N);
	WAIT_EVS('R', 2);
	XS_EXPECT_EQ(order_errors, 0);
	XS_EXPECT_EQ(last_seq[0], ORDER_N);
	XS_EXPECT_EQ(last_seq[1], ORDER_N);
	XS_EXPECT_EQ(atomic_load(&max_in_handler), 1);
	XS_EXPECT_EQ(xla_off_queue('M'), 0);
	xla_cancel_wait(s, NULL);
	xla_cancel_wait(s2, NULL);
	xs_session_release(s);
	xs_session_release(s2);
	xla_server_stop();
	xs_queue_release(q);
}

/* ---- windows inside the library ----------------------------------------------- */

/*
 * The reply (and then the session's end) arrives before the sending
 * thread has registered its reply handler: the handler must still run
 * once and before the cancel handler.  The injected delay after the
 * request's XS_IOC_SEND makes the window certain.
 */
XS_TEST(reply_before_handler_registered)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_session_t *s;
	xs_object_t *m;

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xla_connect(name, q);
	xla_echo_sync(s, 1);

	/* The reply alone comes early. */
	m = xla_req("echo", 10);
	atomic_store(&inject_request_delay_us, 200 * 1000);
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	atomic_store(&inject_request_delay_us, 0);
	xs_release(m);
	WAIT_EVS('R', 1);
	XS_EXPECT_EQ(ev_of('R', 0).kind, 0);
	XS_EXPECT_EQ(ev_of('R', 0).value, 11);

	/* The reply and the end come early. */
	m = xla_req("reply_cancel", 20);
	atomic_store(&inject_request_delay_us, 300 * 1000);
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	atomic_store(&inject_request_delay_us, 0);
	xs_release(m);
	WAIT_EVS('R', 2);
	WAIT_EVS('C', 1);
	QUIET_EVS('R', 2);
	XS_EXPECT_EQ(ev_of('R', 1).kind, 0);
	XS_EXPECT_EQ(ev_of('R', 1).value, 21);
	XS_EXPECT_EQ(ev_of('C', 0).kind, XS_ERROR_INVALIDATED);
	/* The cancel handler runs last. */
	XS_EXPECT_LT(xla_last('R'), xla_first('C'));
	XS_EXPECT_EQ(xla_off_queue('R'), 0);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

/*
 * The client goes away while the service's incoming-session handler is
 * still deciding: when the handler accepts it after all, the peer
 * session ends INVALIDATED (the client left), as the END item the kernel
 * queued for it says -- not as if the server had cancelled it.
 */
XS_TEST(client_gone_before_accept)
{
	XLA_NAME(name);
	xs_session_t *s;

	xla_srv.accept_delay_us = 300 * 1000;
	xla_server_start(name, 0);
	s = xla_connect(name, NULL);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.requests == 1, XLA_WAIT_MS));
	xla_cancel_wait(s, "never mind");
	xs_session_release(s);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.ended == 1, XLA_WAIT_MS));
	xla_lock();
	xs_diag("server's peer session ended: %s (%s)", xla_srv.end_desc,
		xs_error_kind_name(xla_srv.end_kind));
	XS_EXPECT_EQ(xla_srv.end_kind, XS_ERROR_INVALIDATED);
	xla_unlock();
	xla_server_stop();
}

static void on_usr1(int sig)
{
	(void)sig;
}

struct slow_call {
	xs_session_t *s;
	int kind;
	int64_t seq;
	char desc[200];
};

static void *sync_sleep(void *arg)
{
	struct slow_call *c = arg;
	xs_object_t *m = xla_req("sleep", 7), *r;
	xs_rich_error_t *e = NULL;

	xs_dictionary_set_int64(m, "ms", 600);
	r = xs_session_send_message_with_reply_sync(c->s, m, &e);
	c->seq = r ? xs_dictionary_get_int64(r, "seq") : -1;
	c->kind = xla_kind(e);
	if (e)
		snprintf(c->desc, sizeof(c->desc), "%s",
			 xs_rich_error_get_description(e));
	xs_rich_error_release(e);
	xs_release(r);
	xs_release(m);
	return NULL;
}

/*
 * A signal caught by the thread that waits in a synchronous send (any
 * handler: SIGCHLD, a timer, a profiler) must not lose the reply: XPC's
 * sendSync blocks until the reply or the session's end.
 */
XS_TEST(sync_send_survives_signal)
{
	XLA_NAME(name);
	struct sigaction sa;
	struct slow_call c = { 0 };
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	XS_ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	xla_server_start(name, 0);
	c.s = xla_connect(name, NULL);
	XS_ASSERT_EQ(pthread_create(&t, NULL, sync_sleep, &c), 0);
	usleep(200 * 1000);
	XS_ASSERT_EQ(pthread_kill(t, SIGUSR1), 0);
	join_bounded(t);
	if (c.kind)
		xs_diag("sync send: %s", c.desc);
	XS_EXPECT_EQ(c.kind, 0);
	XS_EXPECT_EQ(c.seq, 8);
	xla_echo_sync(c.s, 9);	/* and the session still works */
	xla_cancel_wait(c.s, NULL);
	xs_session_release(c.s);
	xla_server_stop();
}

/* ---- failure paths do not leak --------------------------------------------------- */

/*
 * Messages that cannot be sent (more fds than XS_ITEMS_MAX, nesting
 * deeper than XS_MAX_DEPTH) fail with an error and leave nothing
 * behind, however often a program tries.
 */
XS_TEST_TIMEOUT(unsendable_messages_no_leak, 60)
{
	XLA_NAME(name);
	static char blob[16384];
	xs_object_t *fdmsg, *deep, *inner, *d;
	xs_rich_error_t *e;
	xs_session_t *s;
	size_t heap0, heap1;
	int i, fd, k1 = 0, k2 = 0;

	xla_server_start(name, 0);
	s = xla_connect(name, NULL);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	XS_ASSERT_OK(fd);
	fdmsg = xs_dictionary_create();
	XS_ASSERT_EQ(xs_dictionary_set_data(fdmsg, "blob", blob, sizeof(blob)),
		     0);
	for (i = 0; i <= XS_ITEMS_MAX; i++) {
		char key[16];

		snprintf(key, sizeof(key), "fd%d", i);
		XS_ASSERT_EQ(xs_dictionary_set_fd(fdmsg, key, fd), 0);
	}
	close(fd);
	deep = xs_dictionary_create();
	XS_ASSERT_EQ(xs_dictionary_set_data(deep, "blob", blob, sizeof(blob)), 0);
	inner = deep;
	for (i = 0; i < XS_MAX_DEPTH + 4; i++) {
		d = xs_dictionary_create();
		XS_ASSERT_EQ(xs_dictionary_set_value(inner, "in", d), 0);
		xs_release(d);
		inner = d;
	}

	for (i = 0; i < 10; i++) {
		xs_rich_error_release(xs_session_send_message(s, fdmsg));
		xs_rich_error_release(xs_session_send_message(s, deep));
	}
	heap0 = xla_heap_used();
	for (i = 0; i < 500; i++) {
		e = xs_session_send_message(s, fdmsg);
		k1 = xla_kind(e);
		xs_rich_error_release(e);
	}
	heap1 = xla_heap_used();
	xs_diag("65 fds in a one-way message (%s): heap %+ld after 500 sends",
		xs_error_kind_name(k1), (long)heap1 - (long)heap0);
	XS_EXPECT_EQ(k1, XS_ERROR_CODEC);
	XS_EXPECT_LT((long)heap1 - (long)heap0, XLA_HEAP_SLACK);

	heap0 = xla_heap_used();
	for (i = 0; i < 500; i++) {
		e = NULL;
		XS_ASSERT_EQ(xs_session_send_message_with_reply_sync(s, fdmsg, &e),
			     NULL);
		k1 = xla_kind(e);
		xs_rich_error_release(e);
	}
	heap1 = xla_heap_used();
	xs_diag("65 fds in a sync request (%s): heap %+ld after 500 sends",
		xs_error_kind_name(k1), (long)heap1 - (long)heap0);
	XS_EXPECT_EQ(k1, XS_ERROR_CODEC);
	XS_EXPECT_LT((long)heap1 - (long)heap0, XLA_HEAP_SLACK);

	heap0 = xla_heap_used();
	for (i = 0; i < 500; i++) {
		e = xs_session_send_message(s, deep);
		k2 = xla_kind(e);
		xs_rich_error_release(e);
	}
	heap1 = xla_heap_used();
	xs_diag("too deep (%s): heap %+ld after 500 sends",
		xs_error_kind_name(k2), (long)heap1 - (long)heap0);
	XS_EXPECT_EQ(k2, XS_ERROR_CODEC);
	XS_EXPECT_LT((long)heap1 - (long)heap0, XLA_HEAP_SLACK);
	xla_echo_sync(s, 1);	/* nothing was sent */
	XS_EXPECT_EQ(XLA_GET(xla_srv.msgs), 1);
	xs_release(fdmsg);
	xs_release(deep);
	xla_cancel_wait(s, NULL);
	xs_session_release(s);
	xla_server_stop();
}

static void reject_quietly(xs_listener_t *l, xs_session_request_t *req,
			   void *ctx)
{
	(void)l;
	(void)ctx;
	xs_rich_error_release(xs_session_request_reject(req, "no"));
}

#define LISTENERS	500

/*
 * 500 listeners created, used once and cancelled: their fds, queues and
 * memory all go away.
 */
XS_TEST_TIMEOUT(listeners_open_close_no_leak, 120)
{
	char name[XS_NAME_MAX];
	int fds0 = 0, fds1, threads0 = 0, threads1, i;
	xs_rich_error_t *e = NULL;
	size_t heap0 = 0, heap1;
	xs_listener_t *l;
	xs_session_t *s;

	for (i = 0; i < LISTENERS + 5; i++) {
		if (i == 5) {
			threads0 = settled_threads();
			fds0 = xla_count_fds();
			heap0 = xla_heap_used();
		}
		xla_name_make(name, sizeof(name), "listeners");
		l = xs_listener_create(name, NULL, XS_LISTENER_CREATE_NONE,
				       reject_quietly, NULL, &e);
		if (!l)
			XS_FAIL("listener %d: %s", i,
				e ? xs_rich_error_get_description(e) : "?");
		s = xs_session_create_mach_service_with_handlers(name, NULL, 0,
								 NULL,
								 xla_on_cancel,
								 NULL, &e);
		XS_ASSERT_TRUE(s);
		XS_ASSERT_TRUE(XLA_WAIT(xla_count_locked('C') == i + 1,
					XLA_WAIT_MS));
		xs_session_release(s);
		xs_listener_cancel(l);
		xs_listener_release(l);
	}
	XLA_WAIT(xla_count_fds() == fds0, XLA_WAIT_MS);
	fds1 = xla_count_fds();
	threads1 = settled_threads();
	heap1 = xla_heap_used();
	xs_diag("fds %d -> %d, threads %d -> %d, heap %zu -> %zu (%+ld)",
		fds0, fds1, threads0, threads1, heap0, heap1,
		(long)heap1 - (long)heap0);
	XS_EXPECT_EQ(fds1, fds0);
	XS_EXPECT_LE(threads1, threads0);
	XS_EXPECT_LT((long)heap1 - (long)heap0, XLA_HEAP_SLACK);
	for (i = 0; i < LISTENERS + 5; i++)
		XS_EXPECT_EQ(ev_of('C', i).kind, XS_ERROR_REJECTED);
}
