// SPDX-License-Identifier: GPL-2.0
/*
 * Backpressure: each end receives into a ring (64 KiB by default, or the
 * ring_size asked for at listen/connect).  When the peer's ring is full a
 * sender blocks, or gets EAGAIN with XS_NONBLOCK or O_NONBLOCK; POLLOUT
 * is clear.  A blocked sender resumes when the receiver drains, and is
 * woken with ESHUTDOWN when the session ends.  Nothing is ever lost.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "xs_util.h"

/* 992-byte payloads: records of exactly 1 KiB. */
#define PAYLOAD		992
#define RECORD		1024

static void fill_msg(char *buf, uint32_t seq, uint32_t len)
{
	uint32_t i;

	memcpy(buf, &seq, 4);
	for (i = 4; i < len; i++)
		buf[i] = (char)(seq ^ i);
}

static void expect_msg(int fd, uint32_t seq, uint32_t len)
{
	char want[8192];

	fill_msg(want, seq, len);
	xsu_expect_item(fd, XS_MSG_ONEWAY, 0, 0, 0, want, len, NULL);
}

/* Fill the peer's ring with non-blocking 1 KiB records; returns how many. */
static int fill(int fd, uint32_t flags)
{
	char buf[PAYLOAD];
	int n = 0, r;

	for (;;) {
		fill_msg(buf, n, PAYLOAD);
		r = xsu_send(fd, XS_MSG_ONEWAY, flags, 0, 0, buf, PAYLOAD,
			     NULL);
		if (r == -EAGAIN)
			return n;
		XS_ASSERT_EQ(r, 0);
		XS_ASSERT_LT(++n, 1 << 20);
	}
}

XS_TEST(nonblocking_fill_default_ring_exactly)
{
	XSU_NAME(name);
	struct xs_info info;
	int c, s, n, i;

	xsu_info(&info);
	xsu_pair(name, NULL, &c, &s);
	n = fill(c, XS_NONBLOCK);
	/* No slot is wasted: the ring holds exactly its size. */
	XS_EXPECT_EQ(n, (int)(info.ring_size_default / RECORD));
	XS_EXPECT_EQ(xsu_revents(c, XSU_EV, 0), 0);
	/* Every way of sending says EAGAIN, and queues nothing. */
	XS_EXPECT_EQ(xsu_send(c, XS_MSG_ONEWAY, XS_NONBLOCK, 0, 0, NULL, 0,
			      NULL), -EAGAIN);
	XS_EXPECT_EQ(xsu_send(c, XS_MSG_REQUEST, XS_NONBLOCK, 0, 0, "r", 1,
			      NULL), -EAGAIN);
	XS_EXPECT_EQ(xsu_send_sync(c, XS_NONBLOCK, "s", 1, NULL, 0, 0, NULL),
		     -EAGAIN);
	XS_ASSERT_OK(fcntl(c, F_SETFL, O_NONBLOCK));
	XS_EXPECT_EQ(xsu_oneway(c, "x", 1), -EAGAIN);
	XS_EXPECT_ERRNO(write(c, &(struct xs_msg_hdr){ .kind = XS_MSG_ONEWAY },
			      sizeof(struct xs_msg_hdr)), EAGAIN);
	XS_ASSERT_OK(fcntl(c, F_SETFL, 0));
	/* The other direction is not affected. */
	XS_EXPECT_EQ(xsu_revents(s, XSU_EV, 0), POLLIN | POLLOUT);
	XS_EXPECT_EQ(xsu_oneway(s, "free", 4), 0);

	/* One record drained: room for one more, or two halves. */
	expect_msg(s, 0, PAYLOAD);
	XS_EXPECT_EQ(xsu_revents(c, XSU_EV, 0), POLLIN | POLLOUT);
	{
		char half[RECORD / 2 - XSU_HDR];

		memset(half, 'h', sizeof(half));
		XS_EXPECT_EQ(xsu_send(c, XS_MSG_ONEWAY, XS_NONBLOCK, 0, 0, half,
				      sizeof(half), NULL), 0);
		XS_EXPECT_EQ(xsu_send(c, XS_MSG_ONEWAY, XS_NONBLOCK, 0, 0, half,
				      sizeof(half), NULL), 0);
		XS_EXPECT_EQ(xsu_send(c, XS_MSG_ONEWAY, XS_NONBLOCK, 0, 0, NULL,
				      0, NULL), -EAGAIN);
		/* Nothing lost, in order. */
		for (i = 1; i < n; i++)
			expect_msg(s, i, PAYLOAD);
		xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, half, sizeof(half),
				NULL);
		xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, half, sizeof(half),
				NULL);
	}
	xsu_expect_empty(s);
	xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "free", 4, NULL);
	close(c);
	close(s);
}

XS_TEST(ring_sizes_from_listen_and_connect)
{
	XSU_NAME(name);
	int c, s, i;

	/* Server ring 4 KiB (listener), client ring 8 KiB (connect). */
	xsu_pair_rings(name, 8192, 4096, NULL, &c, &s);
	XS_EXPECT_EQ(fill(c, XS_NONBLOCK), 4);
	XS_EXPECT_EQ(fill(s, XS_NONBLOCK), 8);
	for (i = 0; i < 4; i++)
		expect_msg(s, i, PAYLOAD);
	for (i = 0; i < 8; i++)
		expect_msg(c, i, PAYLOAD);
	close(c);
	close(s);
}

XS_TEST(o_nonblock_fd_fills_too)
{
	XSU_NAME(name);
	int l = xsu_listen_opts(name, 0, 4096, 0), c, s;

	c = xsu_open_flags(O_NONBLOCK);
	XS_ASSERT_EQ(xsu_connect_fd(c, name, 0, 0), 0);
	/* A pending client fills the server's ring before any accept. */
	XS_EXPECT_EQ(fill(c, 0), 4);
	XS_EXPECT_EQ(xsu_revents(c, XSU_EV, 0), 0);
	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	expect_msg(s, 0, PAYLOAD);
	XS_EXPECT_EQ(xsu_revents(c, XSU_EV, 0), POLLOUT);
	close(s);
	close(c);
	close(l);
}

struct sender {
	int fd;
	uint32_t seq;
	uint32_t len;
	int ret;
	int done;
};

static void *blocking_send(void *p)
{
	struct sender *sd = p;
	char buf[8192];

	fill_msg(buf, sd->seq, sd->len);
	sd->ret = xsu_oneway(sd->fd, buf, sd->len);
	__atomic_store_n(&sd->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int is_done(struct sender *sd)
{
	return __atomic_load_n(&sd->done, __ATOMIC_SEQ_CST);
}

XS_TEST(blocked_sender_resumes_exactly_on_drain)
{
	XSU_NAME(name);
	struct sender sd = { 0 };
	pthread_t t;
	int c, s, n, i;

	xsu_pair_rings(name, 0, 4096, NULL, &c, &s);
	n = fill(c, XS_NONBLOCK);
	XS_ASSERT_EQ(n, 4);
	sd.fd = c;
	sd.seq = n;
	sd.len = PAYLOAD;
	t = xsu_thread(blocking_send, &sd);
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_ASSERT_EQ(is_done(&sd), 0);
	/* Peeking frees nothing. */
	{
		char buf[PAYLOAD];

		XS_ASSERT_EQ(xsu_recv(s, XS_RECV_PEEK, buf, sizeof(buf), NULL),
			     0);
		xsu_sleep_ms(XSU_QUIET_MS);
		XS_ASSERT_EQ(is_done(&sd), 0);
	}
	/* Draining one record makes room: it goes, and comes last. */
	expect_msg(s, 0, PAYLOAD);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(sd.ret, 0);
	for (i = 1; i <= n; i++)
		expect_msg(s, i, PAYLOAD);
	xsu_expect_empty(s);
	close(c);
	close(s);
}

/* A big blocked message waits until enough is free, not just some. */
XS_TEST(blocked_big_sender_waits_for_enough_room)
{
	XSU_NAME(name);
	struct sender sd = { 0 };
	pthread_t t;
	int c, s;

	xsu_pair_rings(name, 0, 4096, NULL, &c, &s);
	XS_ASSERT_EQ(fill(c, XS_NONBLOCK), 4);
	sd.fd = c;
	sd.seq = 100;
	sd.len = 3 * RECORD - XSU_HDR;	/* needs three records' room */
	t = xsu_thread(blocking_send, &sd);
	expect_msg(s, 0, PAYLOAD);
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_ASSERT_EQ(is_done(&sd), 0);
	expect_msg(s, 1, PAYLOAD);
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_ASSERT_EQ(is_done(&sd), 0);
	expect_msg(s, 2, PAYLOAD);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(sd.ret, 0);
	expect_msg(s, 3, PAYLOAD);
	expect_msg(s, 100, 3 * RECORD - XSU_HDR);
	close(c);
	close(s);
}

static void blocked_sender_ended_by(int how)
{
	XSU_NAME(name);
	struct sender sd = { 0 };
	pthread_t t;
	int c, s;

	xsu_pair_rings(name, 0, 4096, NULL, &c, &s);
	XS_ASSERT_EQ(fill(c, XS_NONBLOCK), 4);
	sd.fd = c;
	sd.seq = 4;
	sd.len = PAYLOAD;
	t = xsu_thread(blocking_send, &sd);
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_ASSERT_EQ(is_done(&sd), 0);
	switch (how) {
	case 0:
		XS_ASSERT_EQ(xsu_cancel(s, "stop", 4), 0);
		break;
	case 1:
		close(s);
		s = -1;
		break;
	default:
		XS_ASSERT_EQ(xsu_cancel(c, NULL, 0), 0);
		break;
	}
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(sd.ret, -ESHUTDOWN);
	if (s >= 0)
		close(s);
	close(c);
}

XS_TEST(blocked_sender_woken_by_peer_cancel)
{
	blocked_sender_ended_by(0);
}

XS_TEST(blocked_sender_woken_by_peer_close)
{
	blocked_sender_ended_by(1);
}

XS_TEST(blocked_sender_woken_by_own_cancel)
{
	blocked_sender_ended_by(2);
}

XS_TEST(sync_send_blocks_for_room_then_for_reply)
{
	XSU_NAME(name);
	struct xs_send_sync ss;
	struct xs_msg_hdr h;
	char buf[PAYLOAD], reply[8];
	int c, s, i, r;
	pid_t pid;

	xsu_pair_rings(name, 0, 4096, NULL, &c, &s);
	XS_ASSERT_EQ(fill(c, XS_NONBLOCK), 4);
	pid = xsu_fork();
	if (pid == 0) {
		XS_ASSERT_EQ(xsu_send_sync(c, 0, "sync", 4, reply,
					   sizeof(reply), 0, &ss), 0);
		XS_ASSERT_EQ(ss.reply_len, 2);
		XS_ASSERT_MEMEQ(reply, "ok", 2);
		_exit(0);
	}
	xsu_sleep_ms(XSU_QUIET_MS);
	for (i = 0; i < 4; i++)
		expect_msg(s, i, PAYLOAD);
	r = xsu_recv_wait(s, buf, sizeof(buf), &h, XSU_WAIT_MS);
	XS_ASSERT_EQ(r, 0);
	XS_ASSERT_EQ(h.kind, XS_MSG_REQUEST);
	XS_ASSERT_EQ(h.flags, XS_MSGF_SYNC);
	XS_ASSERT_EQ(xsu_reply(s, h.id, "ok", 2), 0);
	xsu_wait_child(pid, XSU_WAIT_MS);
	close(c);
	close(s);
}

/* A reply to a synchronous waiter never needs room in its ring. */
XS_TEST(sync_reply_bypasses_a_full_ring)
{
	XSU_NAME(name);
	struct xs_send_sync ss;
	struct xs_msg_hdr h;
	char buf[PAYLOAD], reply[64];
	int c, s, n, i;
	pid_t pid;

	xsu_pair_rings(name, 4096, 0, NULL, &c, &s);
	/* The server fills the client's ring. */
	n = fill(s, XS_NONBLOCK);
	XS_ASSERT_EQ(n, 4);
	pid = xsu_fork();
	if (pid == 0) {
		XS_ASSERT_EQ(xsu_send_sync(c, 0, "q", 1, reply, sizeof(reply),
					   0, &ss), 0);
		XS_ASSERT_EQ(ss.reply_len, 40);
		_exit(0);
	}
	XS_ASSERT_EQ(xsu_recv_wait(s, buf, sizeof(buf), &h, XSU_WAIT_MS), 0);
	XS_ASSERT_EQ(h.kind, XS_MSG_REQUEST);
	memset(reply, 'r', 40);
	XS_ASSERT_EQ(xsu_send(s, XS_MSG_REPLY, XS_NONBLOCK, 0, h.id, reply, 40,
			      NULL), 0);
	xsu_wait_child(pid, XSU_WAIT_MS);
	for (i = 0; i < n; i++)
		expect_msg(c, i, PAYLOAD);
	close(c);
	close(s);
}

struct streamer {
	int fd;
	uint64_t seed;
	int count;
};

static uint32_t stream_len(uint64_t *st)
{
	return xsu_rand(st) % (4096 - XSU_HDR + 1);
}

static void *stream_thread(void *p)
{
	struct streamer *sm = p;
	uint64_t st = sm->seed;
	char buf[4096];
	int i;

	for (i = 0; i < sm->count; i++) {
		uint32_t len = stream_len(&st);

		fill_msg(buf, i, len < 4 ? 4 : len);
		XS_ASSERT_EQ(xsu_oneway(sm->fd, buf, len), 0);
	}
	return NULL;
}

XS_TEST_TIMEOUT(blocking_stream_through_small_ring_loses_nothing, 120)
{
	XSU_NAME(name);
	struct streamer sm;
	uint64_t st;
	char buf[4096], want[4096];
	struct xs_msg_hdr h;
	pthread_t t;
	int c, s, i;

	xsu_pair_rings(name, 0, 4096, NULL, &c, &s);
	sm.fd = c;
	sm.seed = xsu_seed();
	sm.count = 5000;
	st = sm.seed;
	t = xsu_thread(stream_thread, &sm);
	for (i = 0; i < sm.count; i++) {
		uint32_t len = stream_len(&st);

		/* A slow reader now and then. */
		if (i % 500 == 0)
			xsu_sleep_ms(20);
		XS_ASSERT_EQ(xsu_recv_wait(s, buf, sizeof(buf), &h,
					   XSU_WAIT_MS), 0);
		fill_msg(want, i, len < 4 ? 4 : len);
		if (h.payload_len != len || memcmp(buf, want, len))
			XS_FAIL("message %d: %u bytes, expected %u", i,
				h.payload_len, len);
	}
	xsu_join(t, XSU_WAIT_MS);
	xsu_expect_empty(s);
	close(c);
	close(s);
}
