// SPDX-License-Identifier: GPL-2.0
/*
 * Load: 64 sessions x 4 threads of synchronous requests against an echo
 * server in another process (a thread per session), connect/close churn,
 * many processes connecting at once, and cancel or close racing with
 * traffic.  Every reply is checked, every wait is bounded.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "xs_util.h"

#define SESSIONS	64
#define THREADS		4
#define CALLS		25

/* ---- the echo server process ------------------------------------------ */

static void *echo_session(void *p)
{
	int fd = (int)(intptr_t)p, r;
	char buf[256], out[300];
	struct xs_msg_hdr h;

	XS_ASSERT_EQ(xsu_activate(fd), 0);
	for (;;) {
		r = xsu_recv(fd, 0, buf, sizeof(buf), &h);
		if (r == -ESHUTDOWN)
			break;
		XS_ASSERT_EQ(r, 0);
		if (h.kind == XS_MSG_END)
			break;
		XS_ASSERT_EQ(h.kind, XS_MSG_REQUEST);
		out[0] = '<';
		memcpy(out + 1, buf, h.payload_len);
		out[h.payload_len + 1] = '>';
		XS_ASSERT_EQ(xsu_reply(fd, h.id, out, h.payload_len + 2), 0);
	}
	close(fd);
	return NULL;
}

/* Accepts @n sessions and serves each in its own thread; exits 0. */
static void __attribute__((noreturn)) echo_server(int lfd, int n)
{
	pthread_t *t = calloc(n, sizeof(*t));
	int i;

	XS_ASSERT_NE(t, NULL);
	for (i = 0; i < n; i++) {
		int fd = xsu_accept(lfd);

		t[i] = xsu_thread(echo_session, (void *)(intptr_t)fd);
	}
	for (i = 0; i < n; i++)
		xsu_join(t[i], 120000);
	_exit(0);
}

struct worker {
	int fd;
	int session, thread;
	int ok;
};

static void *worker(void *p)
{
	struct worker *w = p;
	char msg[64], want[80], reply[128];
	struct xs_send_sync ss;
	int n, len;

	for (n = 0; n < CALLS; n++) {
		len = snprintf(msg, sizeof(msg), "s%d.t%d.n%d", w->session,
			       w->thread, n);
		XS_ASSERT_EQ(xsu_send_sync(w->fd, 0, msg, len, reply,
					   sizeof(reply), 30ull * 1000000000,
					   &ss), 0);
		snprintf(want, sizeof(want), "<%s>", msg);
		if (ss.reply_len != strlen(want) ||
		    memcmp(reply, want, ss.reply_len))
			XS_FAIL("%s: got \"%.*s\"", msg, (int)ss.reply_len,
				reply);
		w->ok++;
	}
	return NULL;
}

XS_TEST_TIMEOUT(sessions_64_threads_4, 180)
{
	XSU_NAME(name);
	static struct worker w[SESSIONS][THREADS];
	static pthread_t t[SESSIONS][THREADS];
	int l = xsu_listen_opts(name, 0, 0, SESSIONS), c[SESSIONS], i, k;
	uint64_t t0 = xsu_now_ns();
	pid_t pid;

	pid = xsu_fork();
	if (pid == 0)
		echo_server(l, SESSIONS);
	close(l);
	for (i = 0; i < SESSIONS; i++)
		c[i] = xsu_connect(name, 0);
	for (i = 0; i < SESSIONS; i++) {
		for (k = 0; k < THREADS; k++) {
			w[i][k] = (struct worker){
				.fd = c[i], .session = i, .thread = k,
			};
			t[i][k] = xsu_thread(worker, &w[i][k]);
		}
	}
	for (i = 0; i < SESSIONS; i++)
		for (k = 0; k < THREADS; k++) {
			xsu_join(t[i][k], 150000);
			XS_EXPECT_EQ(w[i][k].ok, CALLS);
		}
	for (i = 0; i < SESSIONS; i++)
		close(c[i]);
	xsu_wait_child(pid, 30000);
	xs_diag("%d sync calls in %llu ms", SESSIONS * THREADS * CALLS,
		(unsigned long long)((xsu_now_ns() - t0) / 1000000));
}

/* ---- churn ----------------------------------------------------------------- */

XS_TEST_TIMEOUT(connect_close_churn, 120)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), i, c, s;
	char buf[16];

	for (i = 0; i < 500; i++) {
		c = xsu_connect(name, 0);
		s = xsu_accept(l);
		switch (i % 5) {
		case 0:		/* normal exchange, client closes first */
			XS_ASSERT_EQ(xsu_activate(s), 0);
			XS_ASSERT_EQ(xsu_oneway(c, &i, sizeof(i)), 0);
			xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, &i,
					sizeof(i), NULL);
			close(c);
			xsu_expect_end(s, XS_END_INVALIDATED, NULL, 0);
			close(s);
			break;
		case 1:		/* server closes first */
			XS_ASSERT_EQ(xsu_activate(s), 0);
			close(s);
			xsu_expect_end(c, XS_END_INVALIDATED, NULL, 0);
			close(c);
			break;
		case 2:		/* rejected */
			XS_ASSERT_EQ(xsu_reject(s, "r", 1), 0);
			xsu_expect_end(c, XS_END_REJECTED, "r", 1);
			close(s);
			close(c);
			break;
		case 3:		/* both close with traffic queued */
			XS_ASSERT_EQ(xsu_activate(s), 0);
			XS_ASSERT_EQ(xsu_request(c, "q", 1, NULL), 0);
			XS_ASSERT_EQ(xsu_request(s, "q", 1, NULL), 0);
			close(s);
			close(c);
			break;
		default:	/* cancelled with a reason */
			XS_ASSERT_EQ(xsu_activate(s), 0);
			XS_ASSERT_EQ(xsu_cancel(c, "x", 1), 0);
			XS_ASSERT_EQ(xsu_recv(s, 0, buf, sizeof(buf), NULL), 0);
			close(c);
			close(s);
			break;
		}
	}
	/* Listener churn on one name. */
	close(l);
	for (i = 0; i < 200; i++) {
		l = xsu_listen(name, i & 1 ? XS_LISTEN_INACTIVE : 0);
		c = xsu_connect(name, 0);
		if (i & 2)
			XS_ASSERT_EQ(xsu_cancel(l, NULL, 0), 0);
		close(l);
		xsu_expect_end(c, XS_END_LISTENER_GONE, NULL, 0);
		close(c);
	}
}

/* ---- many processes connect at once ---------------------------------------- */

#define CLIENT_PROCS	8
#define CONNECTS	40

XS_TEST_TIMEOUT(many_processes_connect_wait, 120)
{
	XSU_NAME(name);
	int l = xsu_listen_opts(name, 0, 0, CLIENT_PROCS * 2), i, n;
	int accepted = 0, rejected = 0, got_acc = 0, got_rej = 0;
	struct xsu_event result;
	pid_t pid[CLIENT_PROCS];

	xsu_event_init(&result);
	for (i = 0; i < CLIENT_PROCS; i++) {
		pid[i] = xsu_fork();
		if (pid[i] == 0) {
			int k, acc = 0, rej = 0;

			for (k = 0; k < CONNECTS; k++) {
				int fd = xsu_open(), r;
				char buf[16];

				r = xsu_connect_fd(fd, name, XS_CONNECT_WAIT,
						   30ull * 1000000000);
				if (r == 0) {
					/* The server greets whom it keeps. */
					xsu_expect_item(fd, XS_MSG_ONEWAY, 0, 0,
							0, "hi", 2, NULL);
					acc++;
				} else {
					XS_ASSERT_EQ(r, -ECONNREFUSED);
					XS_ASSERT_EQ(xsu_recv(fd, 0, buf,
							      sizeof(buf),
							      NULL), 0);
					rej++;
				}
				close(fd);
			}
			xsu_event_post_val(&result, acc * 1000 + rej);
			_exit(0);
		}
	}
	for (n = 0; n < CLIENT_PROCS * CONNECTS; n++) {
		int s = xsu_accept(l);

		if (n % 3 == 0) {
			XS_ASSERT_EQ(xsu_reject(s, NULL, 0), 0);
			rejected++;
		} else {
			XS_ASSERT_EQ(xsu_activate(s), 0);
			XS_ASSERT_EQ(xsu_oneway(s, "hi", 2), 0);
			accepted++;
		}
		close(s);
	}
	for (i = 0; i < CLIENT_PROCS; i++) {
		long v = xsu_event_wait_val(&result, 60000);

		got_acc += v / 1000;
		got_rej += v % 1000;
	}
	for (i = 0; i < CLIENT_PROCS; i++)
		xsu_wait_child(pid[i], XSU_WAIT_MS);
	XS_EXPECT_EQ(got_acc, accepted);
	XS_EXPECT_EQ(got_rej, rejected);
	close(l);
}

/* ---- ends racing with traffic ----------------------------------------------- */

struct racer {
	int fd;
	int sent;
	int last;	/* the error that stopped it */
};

static void *race_sender(void *p)
{
	struct racer *r = p;
	uint32_t seq;
	int ret;

	for (seq = 0;; seq++) {
		ret = xsu_oneway(r->fd, &seq, sizeof(seq));
		if (ret) {
			r->last = ret;
			return NULL;
		}
		r->sent++;
	}
}

XS_TEST_TIMEOUT(cancel_races_with_senders, 120)
{
	uint64_t st = xsu_seed();
	int rep;

	for (rep = 0; rep < 50; rep++) {
		XSU_NAME(name);
		struct racer rc = { 0 }, rs = { 0 };
		pthread_t tc, ts;
		struct xs_msg_hdr h;
		uint32_t seq, expect = 0;
		int c, s, r, how = xsu_rand(&st) % 3;

		xsu_pair_rings(name, 8192, 8192, NULL, &c, &s);
		rc.fd = c;
		rs.fd = s;
		tc = xsu_thread(race_sender, &rc);
		ts = xsu_thread(race_sender, &rs);
		xsu_sleep_us(xsu_rand(&st) % 5000);
		/* End it from either side while both send (and block). */
		if (how == 0)
			XS_ASSERT_EQ(xsu_cancel(c, "c", 1), 0);
		else if (how == 1)
			XS_ASSERT_EQ(xsu_cancel(s, "s", 1), 0);
		else
			XS_ASSERT_EQ(xsu_cancel(s, NULL, 0), 0);
		xsu_join(tc, XSU_WAIT_MS);
		xsu_join(ts, XSU_WAIT_MS);
		XS_EXPECT_EQ(rc.last, -ESHUTDOWN);
		XS_EXPECT_EQ(rs.last, -ESHUTDOWN);
		/* The peer of the canceller gets a gap-free prefix, then END. */
		{
			int peer = how == 0 ? s : c;

			for (;;) {
				r = xsu_recv_wait(peer, &seq, sizeof(seq), &h,
						  XSU_WAIT_MS);
				XS_ASSERT_EQ(r, 0);
				if (h.kind == XS_MSG_END)
					break;
				XS_ASSERT_EQ(seq, expect);
				expect++;
			}
			XS_ASSERT_EQ(h.status, XS_END_INVALIDATED);
			XS_ASSERT_LE(expect, (uint32_t)(how == 0 ? rc.sent
								 : rs.sent));
		}
		close(c);
		close(s);
	}
}

XS_TEST_TIMEOUT(close_races_with_close, 120)
{
	uint64_t st = xsu_seed();
	int rep;

	for (rep = 0; rep < 200; rep++) {
		XSU_NAME(name);
		int c, s;
		pid_t pid;

		xsu_pair(name, NULL, &c, &s);
		XS_ASSERT_EQ(xsu_oneway(c, "x", 1), 0);
		XS_ASSERT_EQ(xsu_request(s, "y", 1, NULL), 0);
		pid = xsu_fork();
		if (pid == 0) {
			close(s);
			xsu_sleep_us(xsu_rand(&st) % 200);
			close(c);
			_exit(0);
		}
		close(c);
		xsu_sleep_us(xsu_rand(&st) % 200);
		close(s);
		xsu_wait_child(pid, XSU_WAIT_MS);
	}
}
