// SPDX-License-Identifier: GPL-2.0
/*
 * Calls that send and then wait, so a server answers and waits for the
 * next request (and a client asks and waits for its answer) in one call:
 * XS_IOC_RECV and XS_IOC_RING_WAIT with a struct xs_send to send first.
 * The send is exactly XS_IOC_SEND's; when it fails nothing is received;
 * once it went out, it is never sent twice, not even for a signal.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "xs_util.h"

static void send_init(struct xs_send *s, uint32_t kind, uint64_t reply_to,
		      const void *buf, uint32_t len)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->kind = kind;
	s->reply_to = reply_to;
	s->payload = (uintptr_t)buf;
	s->payload_len = len;
}

/* XS_IOC_RECV sending @s first (NULL: none); 0 or -errno. */
static int recv_send(int fd, uint32_t flags, struct xs_send *s, void *buf,
		     uint32_t cap, struct xs_msg_hdr *hdr)
{
	struct xs_recv r = {
		.size = sizeof(r),
		.flags = flags,
		.buf = (uintptr_t)buf,
		.buf_len = cap,
		.send = (uintptr_t)s,
	};
	int ret = ioctl(fd, XS_IOC_RECV, &r) < 0 ? -errno : 0;

	if (hdr)
		*hdr = r.hdr;
	return ret;
}

static int ring_wait_send(int fd, uint32_t flags, struct xs_send *s,
			  uint64_t timeout_ns)
{
	struct xs_ring_wait w = {
		.size = sizeof(w),
		.flags = flags,
		.timeout_ns = timeout_ns,
		.send = (uintptr_t)s,
	};

	return ioctl(fd, XS_IOC_RING_WAIT, &w) < 0 ? -errno : 0;
}

/* A server loop: each reply goes out with the receive of the next. */
XS_TEST(recv_replies_then_receives)
{
	XSU_NAME(name);
	struct xs_msg_hdr h;
	struct xs_send s;
	uint64_t ids[3];
	char buf[64];
	int c, sv, i;

	xsu_pair(name, NULL, &c, &sv);
	for (i = 0; i < 3; i++)
		XS_ASSERT_EQ(xsu_request(c, "req", 3, &ids[i]), 0);
	XS_ASSERT_EQ(xsu_recv(sv, 0, buf, sizeof(buf), &h), 0);
	for (i = 0; i < 3; i++) {
		XS_ASSERT_EQ(h.id, ids[i]);
		send_init(&s, XS_MSG_REPLY, h.id, "answer", 6);
		if (i < 2) {
			XS_ASSERT_EQ(recv_send(sv, 0, &s, buf, sizeof(buf), &h),
				     0);
			XS_EXPECT_EQ(h.kind, XS_MSG_REQUEST);
		} else {
			/* Nothing left to receive: sent, then -EAGAIN. */
			XS_ASSERT_EQ(recv_send(sv, XS_NONBLOCK, &s, buf,
					       sizeof(buf), &h), -EAGAIN);
		}
		XS_EXPECT_NE(s.id, 0);
		XS_EXPECT_EQ(s.id & 1, 0);
		xsu_expect_item(c, XS_MSG_REPLY, 0, 0, ids[i], "answer", 6,
				NULL);
	}
	xsu_expect_empty(c);
}

/* A send that fails: its error, and nothing is taken. */
XS_TEST(recv_send_failure_receives_nothing)
{
	XSU_NAME(name);
	struct xs_msg_hdr h;
	struct xs_send s;
	char buf[64];
	int c, sv;

	xsu_pair(name, NULL, &c, &sv);
	XS_ASSERT_EQ(xsu_oneway(c, "queued", 6), 0);
	send_init(&s, XS_MSG_REPLY, 99, "x", 1);	/* never requested */
	XS_EXPECT_EQ(recv_send(sv, 0, &s, buf, sizeof(buf), &h), -EINVAL);
	send_init(&s, XS_MSG_END, 0, "x", 1);
	XS_EXPECT_EQ(recv_send(sv, 0, &s, buf, sizeof(buf), &h), -EINVAL);
	s.size = 0;
	XS_EXPECT_EQ(recv_send(sv, 0, &s, buf, sizeof(buf), &h), -EINVAL);
	XS_EXPECT_EQ(recv_send(sv, 0, (void *)8, buf, sizeof(buf), &h),
		     -EFAULT);
	xsu_expect_item(sv, XS_MSG_ONEWAY, 0, 0, 0, "queued", 6, NULL);
	xsu_expect_empty(c);
}

/* An old binary's struct, without the send pointer, still works. */
XS_TEST(recv_first_struct_size)
{
	XSU_NAME(name);
	struct xs_recv r;
	char buf[16];
	int c, sv;

	xsu_pair(name, NULL, &c, &sv);
	XS_ASSERT_EQ(xsu_oneway(c, "old", 3), 0);
	memset(&r, 0, sizeof(r));
	r.size = XS_RECV_SIZE_VER0;
	r.buf = (uintptr_t)buf;
	r.buf_len = sizeof(buf);
	r.send = (uintptr_t)&r;	/* beyond its size: not looked at */
	XS_ASSERT_EQ(ioctl(sv, XS_IOC_RECV, &r), 0);
	XS_EXPECT_EQ(r.hdr.payload_len, 3);
	xsu_expect_empty(c);
}

static void *late_reply(void *arg)
{
	int fd = *(int *)arg;
	struct xs_msg_hdr h;
	char buf[16];

	if (xsu_recv_wait(fd, buf, sizeof(buf), &h, XSU_WAIT_MS))
		return (void *)1L;
	xsu_sleep_ms(50);
	return (void *)(long)xsu_reply(fd, h.id, "late", 4);
}

/* A client asks and waits for the answer in its ring, in one call. */
XS_TEST(ring_wait_requests_then_waits)
{
	XSU_NAME(name);
	struct xsu_ring r;
	struct xs_send s;
	pthread_t t;
	int c, sv;

	xsu_pair_mapped(name, 0, NULL, &c, &sv);
	xsu_ring_map(c, &r);
	t = xsu_thread(late_reply, &sv);
	send_init(&s, XS_MSG_REQUEST, 0, "question", 8);
	XS_ASSERT_EQ(ring_wait_send(c, 0, &s, 0), 0);
	XS_EXPECT_EQ(s.id & 1, 1);
	XS_ASSERT_TRUE(xsu_ring_peek(&r) != NULL);
	XS_EXPECT_EQ(xsu_ring_peek(&r)->kind, XS_MSG_REPLY);
	XS_EXPECT_EQ(xsu_ring_peek(&r)->reply_to, s.id);
	XS_EXPECT_MEMEQ(xsu_ring_peek(&r) + 1, "late", 4);
	xsu_ring_release(&r);
	XS_EXPECT_EQ(xsu_join(t, XSU_WAIT_MS), NULL);

	/* A failing send: its error, and no wait. */
	send_init(&s, XS_MSG_REPLY, 7, NULL, 0);
	XS_EXPECT_EQ(ring_wait_send(c, 0, &s, 0), -EINVAL);
	/* A send that went out, then a deadline: -ETIMEDOUT, sent once. */
	send_init(&s, XS_MSG_ONEWAY, 0, "once", 4);
	XS_EXPECT_EQ(ring_wait_send(c, 0, &s, 30000000), -ETIMEDOUT);
	xsu_expect_item(sv, XS_MSG_ONEWAY, 0, 0, 0, "once", 4, NULL);
	xsu_expect_empty(sv);
	xsu_ring_unmap(&r);
}

static volatile sig_atomic_t restart_hits;

static void on_restart_signal(int sig)
{
	(void)sig;
	restart_hits++;
}

/*
 * A signal while waiting after the send: -EINTR even with SA_RESTART,
 * because a restart would send the message a second time.
 */
XS_TEST(send_then_wait_never_restarts)
{
	struct sigaction sa = { .sa_handler = on_restart_signal,
				.sa_flags = SA_RESTART };
	XSU_NAME(name);
	struct xs_send s;
	char buf[16];
	int c, sv, i;
	pid_t pid;

	xsu_pair(name, NULL, &c, &sv);
	XS_ASSERT_OK(sigaction(SIGUSR2, &sa, NULL));
	for (i = 0; i < 2; i++) {
		pid = xsu_fork();
		if (!pid) {
			xsu_sleep_ms(100);
			kill(getppid(), SIGUSR2);
			_exit(0);
		}
		send_init(&s, XS_MSG_ONEWAY, 0, "one", 3);
		if (i == 0)
			XS_EXPECT_EQ(recv_send(sv, 0, &s, buf, sizeof(buf),
					       NULL), -EINTR);
		else
			XS_EXPECT_EQ(ring_wait_send(sv, 0, &s, 0), -EINTR);
		XS_EXPECT_NE(s.id, 0);
		xsu_wait_child(pid, XSU_WAIT_MS);
		xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "one", 3, NULL);
		xsu_expect_empty(c);
	}
	XS_EXPECT_EQ((int)restart_hits, 2);

	/* Without a send, the same wait is restarted as usual. */
	pid = xsu_fork();
	if (!pid) {
		xsu_sleep_ms(100);
		kill(getppid(), SIGUSR2);
		xsu_sleep_ms(100);
		_exit(xsu_oneway(c, "wake", 4) ? 1 : 0);
	}
	XS_EXPECT_EQ(xsu_recv(sv, 0, buf, sizeof(buf), NULL), 0);
	XS_EXPECT_MEMEQ(buf, "wake", 4);
	xsu_wait_child(pid, XSU_WAIT_MS);
	XS_EXPECT_EQ((int)restart_hits, 3);
}
