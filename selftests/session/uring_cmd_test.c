// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring's IORING_OP_URING_CMD on session fds: send, receive,
 * synchronous send and batches through one ring, calls that wait
 * completing later, many sessions in one ring, and waiting calls that
 * complete when their session ends or io_uring cancels them.
 *
 * liburing 2.3 has no helper for uring_cmd: the SQEs are filled by hand.
 */
#include <errno.h>
#include <liburing.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "xs_test.h"
#include "xs_util.h"

static void prep_cmd(struct io_uring_sqe *sqe, int fd, unsigned int op,
		     void *arg, uint64_t user_data)
{
	struct xs_uring_cmd c = { .arg = (uintptr_t)arg };

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = op;
	memcpy(sqe->cmd, &c, sizeof(c));
	sqe->user_data = user_data;
}

static void submit_cmd(struct io_uring *ring, int fd, unsigned int op,
		       void *arg, uint64_t user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	XS_ASSERT_TRUE(sqe != NULL);
	prep_cmd(sqe, fd, op, arg, user_data);
	XS_ASSERT_EQ(io_uring_submit(ring), 1);
}

/* The next completion within @ms: its res, and its user_data. */
static int wait_cqe_ms(struct io_uring *ring, int ms, uint64_t *user_data)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L,
	};
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret == -ETIME ? -ETIME : ret;
	ret = cqe->res;
	if (user_data)
		*user_data = cqe->user_data;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

static void recv_init(struct xs_recv *r, void *buf, uint32_t cap)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->buf = (uintptr_t)buf;
	r->buf_len = cap;
}

XS_TEST(uring_send_and_receive)
{
	XSU_NAME(name);
	struct xs_send s = { .size = sizeof(s), .kind = XS_MSG_ONEWAY };
	struct io_uring ring;
	struct xs_recv r;
	char buf[16];
	int c, sv;

	xsu_pair(name, NULL, &c, &sv);
	XS_ASSERT_EQ(io_uring_queue_init(8, &ring, 0), 0);
	s.payload = (uintptr_t)"hello";
	s.payload_len = 5;
	submit_cmd(&ring, c, XS_IOC_SEND, &s, 1);
	XS_ASSERT_EQ(wait_cqe_ms(&ring, 5000, NULL), 0);
	XS_EXPECT_NE(s.id, 0);

	recv_init(&r, buf, sizeof(buf));
	submit_cmd(&ring, sv, XS_IOC_RECV, &r, 2);
	XS_ASSERT_EQ(wait_cqe_ms(&ring, 5000, NULL), 0);
	XS_EXPECT_EQ(r.hdr.kind, XS_MSG_ONEWAY);
	XS_EXPECT_EQ(r.hdr.id, s.id);
	XS_EXPECT_MEMEQ(buf, "hello", 5);
	io_uring_queue_exit(&ring);
	close(c);
	close(sv);
}

/* A receive on an empty session completes when a message comes. */
XS_TEST(uring_receive_waits)
{
	XSU_NAME(name);
	struct io_uring ring;
	struct xs_recv r;
	char buf[16];
	int c, sv;

	xsu_pair(name, NULL, &c, &sv);
	XS_ASSERT_EQ(io_uring_queue_init(8, &ring, 0), 0);
	recv_init(&r, buf, sizeof(buf));
	submit_cmd(&ring, sv, XS_IOC_RECV, &r, 7);
	XS_EXPECT_EQ(wait_cqe_ms(&ring, 200, NULL), -ETIME);
	XS_ASSERT_EQ(xsu_oneway(c, "late", 4), 0);
	XS_ASSERT_EQ(wait_cqe_ms(&ring, 5000, NULL), 0);
	XS_EXPECT_EQ(r.hdr.payload_len, 4);
	XS_EXPECT_MEMEQ(buf, "late", 4);
	io_uring_queue_exit(&ring);
	close(c);
	close(sv);
}

#define NSESS	16

/* One ring drives many sessions: a receive pending on each, then sends. */
XS_TEST(uring_many_sessions_one_ring)
{
	struct xs_recv r[NSESS];
	char buf[NSESS][16];
	int c[NSESS], sv[NSESS], done[NSESS] = { 0 };
	struct io_uring ring;
	uint64_t ud = 0;
	int i, n;

	XS_ASSERT_EQ(io_uring_queue_init(64, &ring, 0), 0);
	for (i = 0; i < NSESS; i++) {
		char name[XS_NAME_MAX];

		xsu_name_make(name, sizeof(name), "uring_many");
		xsu_pair(name, NULL, &c[i], &sv[i]);
		recv_init(&r[i], buf[i], sizeof(buf[i]));
		submit_cmd(&ring, sv[i], XS_IOC_RECV, &r[i], i);
	}
	XS_EXPECT_EQ(wait_cqe_ms(&ring, 100, NULL), -ETIME);
	for (i = NSESS - 1; i >= 0; i--)
		XS_ASSERT_EQ(xsu_oneway(c[i], &i, sizeof(i)), 0);
	for (n = 0; n < NSESS; n++) {
		XS_ASSERT_EQ(wait_cqe_ms(&ring, 10000, &ud), 0);
		XS_ASSERT_LT(ud, NSESS);
		XS_EXPECT_EQ(done[ud], 0);
		done[ud] = 1;
		XS_EXPECT_EQ(r[ud].hdr.payload_len, sizeof(int));
		XS_EXPECT_MEMEQ(buf[ud], &ud, sizeof(int));
	}
	for (i = 0; i < NSESS; i++) {
		close(c[i]);
		close(sv[i]);
	}
	io_uring_queue_exit(&ring);
}

/* A synchronous send through the ring completes with the reply. */
XS_TEST(uring_send_sync)
{
	XSU_NAME(name);
	struct xs_send_sync ss = { .size = sizeof(ss) };
	struct io_uring ring;
	char reply[16];
	uint64_t id;
	int c, sv;

	xsu_pair(name, NULL, &c, &sv);
	XS_ASSERT_EQ(io_uring_queue_init(8, &ring, 0), 0);
	ss.payload = (uintptr_t)"ping";
	ss.payload_len = 4;
	ss.reply_buf = (uintptr_t)reply;
	ss.reply_cap = sizeof(reply);
	submit_cmd(&ring, c, XS_IOC_SEND_SYNC, &ss, 3);
	xsu_expect_item(sv, XS_MSG_REQUEST, XS_MSGF_SYNC, 0, 0, "ping", 4, &id);
	XS_EXPECT_EQ(wait_cqe_ms(&ring, 100, NULL), -ETIME);
	XS_ASSERT_EQ(xsu_reply(sv, id, "pong", 4), 0);
	XS_ASSERT_EQ(wait_cqe_ms(&ring, 5000, NULL), 0);
	XS_EXPECT_EQ(ss.id, id);
	XS_EXPECT_EQ(ss.reply_kind, XS_MSG_REPLY);
	XS_EXPECT_EQ(ss.reply_len, 4);
	XS_EXPECT_MEMEQ(reply, "pong", 4);
	io_uring_queue_exit(&ring);
	close(c);
	close(sv);
}

/*
 * Calls that send and then wait: io_uring's first, non-blocking attempt
 * must not send (its retry would send again), so the message goes out
 * exactly once, from the retry, and the call completes when something
 * arrives.
 */
XS_TEST(uring_send_then_wait_sends_once)
{
	struct xs_ring_wait w = { .size = sizeof(w) };
	struct xs_send s = { .size = sizeof(s), .kind = XS_MSG_REQUEST };
	XSU_NAME(name);
	struct io_uring ring;
	struct xs_recv r;
	char buf[16];
	uint64_t id;
	int c, sv;

	xsu_pair(name, NULL, &c, &sv);
	XS_ASSERT_EQ(io_uring_queue_init(8, &ring, 0), 0);
	s.payload = (uintptr_t)"ask";
	s.payload_len = 3;
	w.send = (uintptr_t)&s;
	submit_cmd(&ring, c, XS_IOC_RING_WAIT, &w, 1);
	xsu_expect_item(sv, XS_MSG_REQUEST, 0, 0, 0, "ask", 3, &id);
	xsu_expect_empty(sv);
	XS_EXPECT_EQ(s.id, id);
	XS_EXPECT_EQ(wait_cqe_ms(&ring, 100, NULL), -ETIME);

	/* The server answers with a receive that waits for the next one. */
	s = (struct xs_send){ .size = sizeof(s), .kind = XS_MSG_REPLY,
			      .reply_to = id, .payload = (uintptr_t)"yes",
			      .payload_len = 3 };
	recv_init(&r, buf, sizeof(buf));
	r.send = (uintptr_t)&s;
	submit_cmd(&ring, sv, XS_IOC_RECV, &r, 2);
	XS_ASSERT_EQ(wait_cqe_ms(&ring, 5000, &id), 0);
	XS_EXPECT_EQ(id, 1);	/* the client's wait: its reply came */
	xsu_expect_item(c, XS_MSG_REPLY, 0, 0, s.reply_to, "yes", 3, NULL);
	xsu_expect_empty(c);
	XS_EXPECT_EQ(wait_cqe_ms(&ring, 100, NULL), -ETIME);
	XS_ASSERT_EQ(xsu_oneway(c, "next", 4), 0);
	XS_ASSERT_EQ(wait_cqe_ms(&ring, 5000, &id), 0);
	XS_EXPECT_EQ(id, 2);
	XS_EXPECT_EQ(r.hdr.payload_len, 4);
	XS_EXPECT_MEMEQ(buf, "next", 4);
	io_uring_queue_exit(&ring);
	close(c);
	close(sv);
}

/* Waiting calls complete when the session ends: END, -ESHUTDOWN. */
XS_TEST(uring_waiting_calls_complete_when_the_session_ends)
{
	static uint8_t big[1000];
	XSU_NAME(name);
	struct xs_send s = { .size = sizeof(s), .kind = XS_MSG_ONEWAY };
	struct io_uring ring;
	char buf[64];
	struct xs_recv r;
	uint64_t ud = 0;
	int c, sv, i, ret, seen = 0;

	/* The server's ring holds 3 records of 1000 bytes. */
	xsu_pair_rings(name, 0, 4096, NULL, &c, &sv);
	XS_ASSERT_EQ(io_uring_queue_init(8, &ring, 0), 0);
	for (i = 0; i < 3; i++)
		XS_ASSERT_EQ(xsu_oneway(c, big, sizeof(big)), 0);
	s.payload = (uintptr_t)big;
	s.payload_len = sizeof(big);
	submit_cmd(&ring, c, XS_IOC_SEND, &s, 1);	/* waits for room */
	recv_init(&r, buf, sizeof(buf));
	submit_cmd(&ring, c, XS_IOC_RECV, &r, 2);	/* waits for a message */
	XS_EXPECT_EQ(wait_cqe_ms(&ring, 200, NULL), -ETIME);

	XS_ASSERT_EQ(xsu_cancel(sv, "going away", 10), 0);
	for (i = 0; i < 2; i++) {
		ret = wait_cqe_ms(&ring, 10000, &ud);
		if (ud == 1) {
			XS_EXPECT_EQ(ret, -ESHUTDOWN);
		} else {
			XS_EXPECT_EQ(ret, 0);
			XS_EXPECT_EQ(r.hdr.kind, XS_MSG_END);
			XS_EXPECT_EQ(r.hdr.status, XS_END_INVALIDATED);
			XS_EXPECT_MEMEQ(buf, "going away", 10);
		}
		seen |= 1 << ud;
	}
	XS_EXPECT_EQ(seen, 6);
	io_uring_queue_exit(&ring);
	close(c);
	close(sv);
}

/* io_uring's own cancel ends a waiting receive, and nothing is lost. */
XS_TEST(uring_async_cancel_of_a_waiting_receive)
{
	XSU_NAME(name);
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct xs_recv r;
	char buf[16];
	uint64_t ud = 0;
	int c, sv, i, ret;

	xsu_pair(name, NULL, &c, &sv);
	XS_ASSERT_EQ(io_uring_queue_init(8, &ring, 0), 0);
	recv_init(&r, buf, sizeof(buf));
	submit_cmd(&ring, sv, XS_IOC_RECV, &r, 5);
	XS_EXPECT_EQ(wait_cqe_ms(&ring, 200, NULL), -ETIME);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_cancel64(sqe, 5, 0);
	sqe->user_data = 9;
	XS_ASSERT_EQ(io_uring_submit(&ring), 1);
	for (i = 0; i < 2; i++) {
		ret = wait_cqe_ms(&ring, 10000, &ud);
		if (ud == 5)
			XS_EXPECT_TRUE(ret == -EINTR || ret == -ECANCELED);
		else
			XS_EXPECT_TRUE(ret == 0 || ret == -EALREADY);
	}
	/* The session still works and nothing was consumed. */
	XS_ASSERT_EQ(xsu_oneway(c, "after", 5), 0);
	xsu_expect_item(sv, XS_MSG_ONEWAY, 0, 0, 0, "after", 5, NULL);
	io_uring_queue_exit(&ring);
	close(c);
	close(sv);
}

XS_TEST(uring_cmd_checks)
{
	XSU_NAME(name);
	struct xs_send s = { .size = sizeof(s), .kind = XS_MSG_ONEWAY };
	struct io_uring_sqe *sqe;
	struct xs_uring_cmd bad = { .reserved = 1 };
	struct io_uring ring;
	int c, sv, u;

	xsu_pair(name, NULL, &c, &sv);
	u = xsu_open();
	XS_ASSERT_EQ(io_uring_queue_init(8, &ring, 0), 0);
	submit_cmd(&ring, c, _IO(XS_IOC_MAGIC, 0x3f), &s, 1);
	XS_EXPECT_EQ(wait_cqe_ms(&ring, 5000, NULL), -ENOTTY);
	submit_cmd(&ring, c, XS_IOC_LISTEN, &s, 1);	/* not via io_uring */
	XS_EXPECT_EQ(wait_cqe_ms(&ring, 5000, NULL), -ENOTTY);
	submit_cmd(&ring, u, XS_IOC_SEND, &s, 1);
	XS_EXPECT_EQ(wait_cqe_ms(&ring, 5000, NULL), -ENOTCONN);
	submit_cmd(&ring, c, XS_IOC_SEND, NULL, 1);
	XS_EXPECT_EQ(wait_cqe_ms(&ring, 5000, NULL), -EFAULT);
	s.__pad2 = 1;
	submit_cmd(&ring, c, XS_IOC_SEND, &s, 1);
	XS_EXPECT_EQ(wait_cqe_ms(&ring, 5000, NULL), -EINVAL);

	sqe = io_uring_get_sqe(&ring);
	prep_cmd(sqe, c, XS_IOC_SEND, &s, 1);
	memcpy(sqe->cmd, &bad, sizeof(bad));
	XS_ASSERT_EQ(io_uring_submit(&ring), 1);
	XS_EXPECT_EQ(wait_cqe_ms(&ring, 5000, NULL), -EINVAL);
	xsu_expect_empty(sv);
	io_uring_queue_exit(&ring);
	close(u);
	close(c);
	close(sv);
}
