// SPDX-License-Identifier: GPL-2.0
/*
 * poll() and epoll on every state of every kind of endpoint, and the
 * wake-ups between them.  Always asked for POLLIN | POLLOUT, so revents
 * are compared exactly (POLLERR and POLLHUP are reported regardless):
 *
 *   unbound                     0
 *   listener                    POLLIN when active with requests queued,
 *                               POLLHUP once cancelled, else 0
 *   session                     POLLIN: an item to receive (messages,
 *                               kernel error replies, END)
 *                               POLLOUT: connected or client pending,
 *                               and room in the peer's ring
 *                               POLLHUP: ended and nothing left to read
 *                               POLLERR: ended by REJECTED/LISTENER_GONE
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "xs_util.h"

static short ev(int fd)
{
	return xsu_revents(fd, XSU_EV, 0);
}

XS_TEST(unbound_is_never_ready)
{
	int fd = xsu_open();

	XS_EXPECT_EQ(xsu_revents(fd, XSU_EV, XSU_QUIET_MS), 0);
	close(fd);
}

XS_TEST(listener_states)
{
	XSU_NAME(name);
	XSU_NAME(name2);
	int l = xsu_listen(name, XS_LISTEN_INACTIVE), a, c1, c2, s;

	/* Inactive, empty and with a request. */
	XS_EXPECT_EQ(ev(l), 0);
	c1 = xsu_connect(name, 0);
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, XSU_QUIET_MS), 0);
	/* Active with a request. */
	XS_ASSERT_EQ(xsu_activate(l), 0);
	XS_EXPECT_EQ(ev(l), POLLIN);
	/* Active and empty again. */
	s = xsu_accept(l);
	XS_EXPECT_EQ(ev(l), 0);
	/* A request made while active. */
	c2 = xsu_connect(name, 0);
	XS_EXPECT_EQ(ev(l), POLLIN);
	/* Cancelled, with a request still queued (it ends). */
	XS_ASSERT_EQ(xsu_cancel(l, NULL, 0), 0);
	XS_EXPECT_EQ(ev(l), POLLHUP);
	close(s);
	close(c1);
	close(c2);
	close(l);

	/* Active from the start and empty. */
	a = xsu_listen(name2, 0);
	XS_EXPECT_EQ(xsu_revents(a, XSU_EV, XSU_QUIET_MS), 0);
	close(a);
}

XS_TEST(session_states)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c, s;
	char buf[16];

	/* Client pending: may send. */
	c = xsu_connect(name, 0);
	XS_EXPECT_EQ(ev(c), POLLOUT);
	/* Server deciding: nothing to receive, may not send yet. */
	s = xsu_accept(l);
	XS_EXPECT_EQ(ev(s), 0);
	XS_EXPECT_EQ(ev(c), POLLOUT);
	/* Connected. */
	XS_ASSERT_EQ(xsu_activate(s), 0);
	XS_EXPECT_EQ(ev(c), POLLOUT);
	XS_EXPECT_EQ(ev(s), POLLOUT);
	/* With items. */
	XS_ASSERT_EQ(xsu_oneway(s, "a", 1), 0);
	XS_ASSERT_EQ(xsu_oneway(s, "b", 1), 0);
	XS_EXPECT_EQ(ev(c), POLLIN | POLLOUT);
	XS_EXPECT_EQ(ev(s), POLLOUT);
	XS_ASSERT_EQ(xsu_recv(c, 0, buf, sizeof(buf), NULL), 0);
	XS_EXPECT_EQ(ev(c), POLLIN | POLLOUT);
	XS_ASSERT_EQ(xsu_recv(c, XS_RECV_PEEK, buf, sizeof(buf), NULL), 0);
	XS_EXPECT_EQ(ev(c), POLLIN | POLLOUT);
	XS_ASSERT_EQ(xsu_recv(c, 0, buf, sizeof(buf), NULL), 0);
	XS_EXPECT_EQ(ev(c), POLLOUT);

	/* Ended, with items: the peer's messages and END. */
	XS_ASSERT_EQ(xsu_oneway(c, "x", 1), 0);
	XS_ASSERT_EQ(xsu_cancel(c, "r", 1), 0);
	XS_EXPECT_EQ(ev(s), POLLIN);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "x", 1, NULL);
	XS_EXPECT_EQ(ev(s), POLLIN);		/* END is still to read */
	xsu_expect_end(s, XS_END_INVALIDATED, "r", 1);
	/* Ended and drained. */
	XS_EXPECT_EQ(ev(s), POLLHUP);
	/* The canceller: only its END is left, then nothing. */
	XS_EXPECT_EQ(ev(c), POLLIN);
	xsu_expect_end(c, XS_END_CANCELED, NULL, 0);
	XS_EXPECT_EQ(ev(c), POLLHUP);
	close(c);
	close(s);
	close(l);
}

XS_TEST(kernel_error_replies_are_pollin)
{
	XSU_NAME(name);
	uint64_t r1, r2;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_request(c, "1", 1, &r1), 0);
	XS_ASSERT_EQ(xsu_request(c, "2", 1, &r2), 0);
	close(s);
	XS_EXPECT_EQ(ev(c), POLLIN);
	xsu_expect_kernel_error(c, r1, XS_END_INVALIDATED);
	XS_EXPECT_EQ(ev(c), POLLIN);
	xsu_expect_kernel_error(c, r2, XS_END_INVALIDATED);
	XS_EXPECT_EQ(ev(c), POLLIN);
	xsu_expect_end(c, XS_END_INVALIDATED, NULL, 0);
	XS_EXPECT_EQ(ev(c), POLLHUP);
	close(c);
}

XS_TEST(rejected_and_listener_gone)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c1, c2, s;

	c1 = xsu_connect(name, 0);
	c2 = xsu_connect(name, 0);
	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_reject(s, "no", 2), 0);
	XS_EXPECT_EQ(ev(c1), POLLIN | POLLERR);
	xsu_expect_end(c1, XS_END_REJECTED, "no", 2);
	XS_EXPECT_EQ(ev(c1), POLLERR | POLLHUP);

	XS_EXPECT_EQ(ev(c2), POLLOUT);
	close(l);
	XS_EXPECT_EQ(ev(c2), POLLIN | POLLERR);
	xsu_expect_end(c2, XS_END_LISTENER_GONE, NULL, 0);
	XS_EXPECT_EQ(ev(c2), POLLERR | POLLHUP);
	close(s);
	close(c1);
	close(c2);
}

/* An ordinary end (peer closed) is a hang-up, not an error. */
XS_TEST(peer_close_is_hup_not_err)
{
	XSU_NAME(name);
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	close(s);
	XS_EXPECT_EQ(ev(c), POLLIN);
	xsu_expect_end(c, XS_END_INVALIDATED, NULL, 0);
	XS_EXPECT_EQ(ev(c), POLLHUP);
	close(c);
}

XS_TEST(full_peer_ring_clears_pollout)
{
	XSU_NAME(name);
	static char buf[4096];
	int c, s, n = 0;

	xsu_pair_rings(name, 0, 4096, NULL, &c, &s);
	while (xsu_send(c, XS_MSG_ONEWAY, XS_NONBLOCK, 0, 0, buf, 1000,
			NULL) == 0)
		n++;
	XS_EXPECT_EQ(n, 3);	/* 3 x 1032 bytes; a 4th needs more than 1000 */
	/* 1000 bytes are left: any message fits in principle, so POLLOUT
	 * tells "room for something", and we fill the rest exactly. */
	XS_ASSERT_EQ(xsu_send(c, XS_MSG_ONEWAY, XS_NONBLOCK, 0, 0, buf,
			      4096 - 3 * 1032 - XSU_HDR, NULL), 0);
	XS_EXPECT_EQ(ev(c), 0);
	XS_EXPECT_EQ(ev(s), POLLIN | POLLOUT);
	XS_ASSERT_EQ(xsu_recv(s, 0, buf, sizeof(buf), NULL), 0);
	XS_EXPECT_EQ(ev(c), POLLOUT);
	close(c);
	close(s);
}

/* ---- wake-ups ----------------------------------------------------------- */

struct poller {
	int fd;
	short events;
	int ms;
	short revents;
	int ret;
};

static void *poll_thread(void *p)
{
	struct poller *pl = p;
	struct pollfd pfd = { .fd = pl->fd, .events = pl->events };

	pl->ret = poll(&pfd, 1, pl->ms);
	pl->revents = pfd.revents;
	return NULL;
}

/* Start a poller, make sure it sleeps, run @wake, check what it saw. */
#define WAKES(fd_, events_, want_, wake)				\
	do {								\
		struct poller pl = { .fd = (fd_), .events = (events_),	\
				     .ms = XSU_WAIT_MS };		\
		pthread_t t = xsu_thread(poll_thread, &pl);		\
									\
		xsu_sleep_ms(XSU_QUIET_MS);				\
		wake;							\
		xsu_join(t, XSU_WAIT_MS + 5000);			\
		XS_EXPECT_EQ(pl.ret, 1);				\
		XS_EXPECT_EQ(pl.revents, (want_));			\
	} while (0)

XS_TEST(poll_wakeups)
{
	XSU_NAME(name);
	int l = xsu_listen(name, XS_LISTEN_INACTIVE), c, s;
	char buf[16];

	/* A listener wakes on a request only once active. */
	c = xsu_connect(name, 0);
	WAKES(l, POLLIN, POLLIN, XS_ASSERT_EQ(xsu_activate(l), 0));
	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	/* ...on a new request. */
	{
		int c2 = -1;

		WAKES(l, POLLIN, POLLIN, c2 = xsu_connect(name, 0));
		close(c2);
	}
	/* A session wakes on a message... */
	WAKES(c, POLLIN, POLLIN, XS_ASSERT_EQ(xsu_oneway(s, "m", 1), 0));
	XS_ASSERT_EQ(xsu_recv(c, 0, buf, sizeof(buf), NULL), 0);
	WAKES(s, POLLIN, POLLIN, XS_ASSERT_EQ(xsu_oneway(c, "m", 1), 0));
	XS_ASSERT_EQ(xsu_recv(s, 0, buf, sizeof(buf), NULL), 0);
	/* ...and on the end. */
	WAKES(c, POLLIN, POLLIN, XS_ASSERT_EQ(xsu_cancel(s, NULL, 0), 0));
	/* A listener wakes when cancelled. */
	WAKES(l, POLLIN, POLLHUP, XS_ASSERT_EQ(xsu_cancel(l, NULL, 0), 0));
	close(c);
	close(s);
	close(l);
}

XS_TEST(poll_wakes_when_rejected)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c = xsu_connect(name, 0), s;

	s = xsu_accept(l);
	WAKES(c, POLLIN, POLLIN | POLLERR, XS_ASSERT_EQ(xsu_reject(s, NULL, 0),
							  0));
	close(s);
	close(c);
	close(l);
}

XS_TEST(poll_pollout_wakes_on_drain)
{
	XSU_NAME(name);
	static char buf[4096];
	int c, s;

	xsu_pair_rings(name, 0, 4096, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_oneway(c, buf, 4096 - XSU_HDR), 0);
	XS_EXPECT_EQ(ev(c), 0);
	WAKES(c, POLLOUT, POLLOUT,
	      XS_ASSERT_EQ(xsu_recv(s, 0, buf, sizeof(buf), NULL), 0));
	close(c);
	close(s);
}

/* ---- epoll --------------------------------------------------------------- */

static uint32_t ep_events(int ep, int ms)
{
	struct epoll_event out[2];
	int n = epoll_wait(ep, out, 2, ms);

	XS_ASSERT_OK(n);
	XS_ASSERT_LE(n, 1);
	return n ? out[0].events : 0;
}

static int ep_add(int fd, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.fd = fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	XS_ASSERT_OK(ep);
	XS_ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e), 0);
	return ep;
}

XS_TEST(epoll_level_triggered_states)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c, s, el, ec, es, eu, u = xsu_open();

	el = ep_add(l, EPOLLIN | EPOLLOUT);
	eu = ep_add(u, EPOLLIN | EPOLLOUT);
	XS_EXPECT_EQ(ep_events(el, 0), 0);
	XS_EXPECT_EQ(ep_events(eu, 0), 0);
	c = xsu_connect(name, 0);
	XS_EXPECT_EQ(ep_events(el, XSU_WAIT_MS), EPOLLIN);
	ec = ep_add(c, EPOLLIN | EPOLLOUT);
	XS_EXPECT_EQ(ep_events(ec, 0), EPOLLOUT);
	s = xsu_accept(l);
	XS_EXPECT_EQ(ep_events(el, 0), 0);
	es = ep_add(s, EPOLLIN | EPOLLOUT);
	XS_EXPECT_EQ(ep_events(es, 0), 0);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	XS_EXPECT_EQ(ep_events(es, XSU_WAIT_MS), EPOLLOUT);
	XS_ASSERT_EQ(xsu_oneway(s, "m", 1), 0);
	XS_EXPECT_EQ(ep_events(ec, 0), EPOLLIN | EPOLLOUT);
	/* Level-triggered: reported again until received. */
	XS_EXPECT_EQ(ep_events(ec, 0), EPOLLIN | EPOLLOUT);
	xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "m", 1, NULL);
	XS_EXPECT_EQ(ep_events(ec, 0), EPOLLOUT);
	XS_ASSERT_EQ(xsu_cancel(s, NULL, 0), 0);
	XS_EXPECT_EQ(ep_events(ec, 0), EPOLLIN);
	xsu_expect_end(c, XS_END_INVALIDATED, NULL, 0);
	XS_EXPECT_EQ(ep_events(ec, 0), EPOLLHUP);
	XS_ASSERT_EQ(xsu_cancel(l, NULL, 0), 0);
	XS_EXPECT_EQ(ep_events(el, 0), EPOLLHUP);
	XS_EXPECT_EQ(ep_events(eu, 0), 0);
	close(el);
	close(ec);
	close(es);
	close(eu);
	close(u);
	close(c);
	close(s);
	close(l);
}

XS_TEST(epoll_edge_triggered_one_event_per_arrival)
{
	XSU_NAME(name);
	int c, s, ep, i;

	xsu_pair(name, NULL, &c, &s);
	ep = ep_add(c, EPOLLIN | EPOLLET);
	XS_EXPECT_EQ(ep_events(ep, 0), 0);
	for (i = 0; i < 3; i++) {
		XS_ASSERT_EQ(xsu_oneway(s, "e", 1), 0);
		XS_EXPECT_EQ(ep_events(ep, XSU_WAIT_MS), EPOLLIN);
		XS_EXPECT_EQ(ep_events(ep, 0), 0);
	}
	for (i = 0; i < 3; i++)
		xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "e", 1, NULL);
	/* The end is an arrival too. */
	XS_ASSERT_EQ(xsu_cancel(s, NULL, 0), 0);
	XS_EXPECT_EQ(ep_events(ep, XSU_WAIT_MS) & EPOLLIN, EPOLLIN);
	close(ep);
	close(c);
	close(s);
}

struct ep_waiter {
	int ep;
	uint32_t events;
};

static void *epoll_thread(void *p)
{
	struct ep_waiter *w = p;

	w->events = ep_events(w->ep, XSU_WAIT_MS);
	return NULL;
}

XS_TEST(epoll_wait_wakes_on_message_and_request)
{
	XSU_NAME(name);
	struct ep_waiter w;
	int l = xsu_listen(name, 0), c, s;
	pthread_t t;

	w.ep = ep_add(l, EPOLLIN);
	t = xsu_thread(epoll_thread, &w);
	xsu_sleep_ms(XSU_QUIET_MS);
	c = xsu_connect(name, 0);
	xsu_join(t, XSU_WAIT_MS + 5000);
	XS_EXPECT_EQ(w.events, EPOLLIN);
	close(w.ep);

	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	w.ep = ep_add(s, EPOLLIN);
	t = xsu_thread(epoll_thread, &w);
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_ASSERT_EQ(xsu_oneway(c, "hi", 2), 0);
	xsu_join(t, XSU_WAIT_MS + 5000);
	XS_EXPECT_EQ(w.events, EPOLLIN);
	close(w.ep);
	close(s);
	close(c);
	close(l);
}

/* Many sessions in one epoll set: each event names the right one. */
XS_TEST(epoll_many_sessions)
{
	XSU_NAME(name);
	enum { N = 32 };
	int l = xsu_listen_opts(name, 0, 0, N), c[N], s[N], ep, i, k;
	struct epoll_event e, out[N];
	bool seen[N] = { false };

	ep = epoll_create1(EPOLL_CLOEXEC);
	XS_ASSERT_OK(ep);
	for (i = 0; i < N; i++) {
		c[i] = xsu_connect(name, 0);
		s[i] = xsu_accept(l);
		XS_ASSERT_EQ(xsu_activate(s[i]), 0);
		e.events = EPOLLIN;
		e.data.u32 = i;
		XS_ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, c[i], &e), 0);
	}
	XS_EXPECT_EQ(epoll_wait(ep, out, N, 0), 0);
	for (i = 0; i < N; i += 2)
		XS_ASSERT_EQ(xsu_oneway(s[i], &i, sizeof(i)), 0);
	XS_ASSERT_EQ(epoll_wait(ep, out, N, XSU_WAIT_MS), N / 2);
	for (k = 0; k < N / 2; k++) {
		i = out[k].data.u32;
		XS_ASSERT_EQ(i % 2, 0);
		XS_ASSERT_FALSE(seen[i]);
		seen[i] = true;
		XS_EXPECT_EQ(out[k].events, EPOLLIN);
	}
	for (i = 0; i < N; i++) {
		close(c[i]);
		close(s[i]);
	}
	close(ep);
	close(l);
}
