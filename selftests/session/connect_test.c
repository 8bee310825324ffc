// SPDX-License-Identifier: GPL-2.0
/*
 * Setting up sessions: the unbound endpoint, LISTEN/CONNECT/ACCEPT and
 * their struct checks, the backlog, inactive listeners, the server's
 * decision (ACTIVATE/REJECT), XS_CONNECT_WAIT, listener requirements,
 * and what pending clients learn when their listener goes away.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>

#include "xs_util.h"

/* The backlog limit a listener may ask for (module parameter default). */
#define BACKLOG_MAX	4096

/* ---- the unbound endpoint, ioctl numbers, pointers -------------------- */

XS_TEST(unbound_calls_enotconn)
{
	struct xs_accept a = { .size = sizeof(a) };
	struct xs_cancel c = { .size = sizeof(c) };
	struct xs_send s = { .size = sizeof(s), .kind = XS_MSG_ONEWAY };
	struct xs_send_sync ss = { .size = sizeof(ss) };
	struct xs_recv r = { .size = sizeof(r) };
	struct xs_peer_creds pc = { .size = sizeof(pc) };
	struct xs_info info = { .size = sizeof(info) };
	char buf[64] = { 0 };
	int fd = xsu_open();
	XSU_NAME(name);

	XS_EXPECT_ERRNO(ioctl(fd, XS_IOC_ACTIVATE), ENOTCONN);
	XS_EXPECT_ERRNO(ioctl(fd, XS_IOC_ACCEPT, &a), ENOTCONN);
	XS_EXPECT_ERRNO(ioctl(fd, XS_IOC_REJECT, &c), ENOTCONN);
	XS_EXPECT_ERRNO(ioctl(fd, XS_IOC_CANCEL, &c), ENOTCONN);
	XS_EXPECT_ERRNO(ioctl(fd, XS_IOC_SEND, &s), ENOTCONN);
	XS_EXPECT_ERRNO(ioctl(fd, XS_IOC_SEND_SYNC, &ss), ENOTCONN);
	XS_EXPECT_ERRNO(ioctl(fd, XS_IOC_RECV, &r), ENOTCONN);
	XS_EXPECT_ERRNO(ioctl(fd, XS_IOC_PEER_CREDS, &pc), ENOTCONN);
	XS_EXPECT_ERRNO(read(fd, buf, sizeof(buf)), ENOTCONN);
	XS_EXPECT_ERRNO(write(fd, buf, sizeof(buf)), ENOTCONN);
	/* INFO works in every state. */
	XS_EXPECT_EQ(ioctl(fd, XS_IOC_INFO, &info), 0);
	/* None of it bound the endpoint. */
	XS_EXPECT_EQ(xsu_listen_fd(fd, name, 0), 0);
	close(fd);
}

static void expect_enotty(int fd)
{
	struct termios t;
	char big[256] = { 0 };

	XS_EXPECT_ERRNO(ioctl(fd, _IO(XS_IOC_MAGIC, 0x7f)), ENOTTY);
	XS_EXPECT_ERRNO(ioctl(fd, _IOWR(XS_IOC_MAGIC, 0x3f, struct xs_recv),
			      big), ENOTTY);
	/*
	 * A known number with another direction is another ioctl.  (Other
	 * size bits reach the same ioctl: each struct carries its size.)
	 */
	XS_EXPECT_ERRNO(ioctl(fd, _IOWR(XS_IOC_MAGIC, 0x01, struct xs_listen),
			      big), ENOTTY);
	XS_EXPECT_ERRNO(ioctl(fd, _IOR(XS_IOC_MAGIC, 0x03, struct xs_connect),
			      big), ENOTTY);
	XS_EXPECT_ERRNO(ioctl(fd, _IOWR(XS_IOC_MAGIC, 0x02, int), big), ENOTTY);
	XS_EXPECT_ERRNO(ioctl(fd, _IOR(XS_IOC_MAGIC, 0x09, struct xs_recv),
			      big), ENOTTY);
	XS_EXPECT_ERRNO(ioctl(fd, _IOWR(0xB8, 0x09, struct xs_recv), big),
			ENOTTY);
	XS_EXPECT_ERRNO(ioctl(fd, TCGETS, &t), ENOTTY);
}

XS_TEST(unknown_ioctl_enotty_in_every_state)
{
	XSU_NAME(name);
	int u = xsu_open(), l, c, s;

	expect_enotty(u);
	xsu_pair(name, &l, &c, &s);
	expect_enotty(l);
	expect_enotty(c);
	expect_enotty(s);
	XS_ASSERT_EQ(xsu_cancel(c, NULL, 0), 0);
	expect_enotty(c);
	expect_enotty(s);
	XS_ASSERT_EQ(xsu_cancel(l, NULL, 0), 0);
	expect_enotty(l);
	close(s);
	close(c);
	close(l);
	close(u);
}

XS_TEST(bad_struct_pointer_efault)
{
	static const unsigned long bad[] = { 0, 1, 0xffffffffff600000ul };
	XSU_NAME(name);
	int u = xsu_open(), l, c, s;
	unsigned int i;

	xsu_pair(name, &l, &c, &s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		void *p = (void *)bad[i];

		XS_EXPECT_ERRNO(ioctl(u, XS_IOC_INFO, p), EFAULT);
		XS_EXPECT_ERRNO(ioctl(u, XS_IOC_LISTEN, p), EFAULT);
		XS_EXPECT_ERRNO(ioctl(u, XS_IOC_CONNECT, p), EFAULT);
		XS_EXPECT_ERRNO(ioctl(l, XS_IOC_ACCEPT, p), EFAULT);
		XS_EXPECT_ERRNO(ioctl(l, XS_IOC_CANCEL, p), EFAULT);
		XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND, p), EFAULT);
		XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND_SYNC, p), EFAULT);
		XS_EXPECT_ERRNO(ioctl(c, XS_IOC_RECV, p), EFAULT);
		XS_EXPECT_ERRNO(ioctl(c, XS_IOC_PEER_CREDS, p), EFAULT);
		XS_EXPECT_ERRNO(ioctl(c, XS_IOC_CANCEL, p), EFAULT);
		XS_EXPECT_ERRNO(ioctl(s, XS_IOC_REJECT, p), EFAULT);
		XS_EXPECT_ERRNO(write(c, p, 64), EFAULT);
	}
	/* Nothing of it had an effect: still unbound, still connected. */
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, 0), 0);
	XS_EXPECT_EQ(xsu_revents(c, XSU_EV, 0), POLLOUT);
	XS_EXPECT_EQ(xsu_revents(s, XSU_EV, 0), POLLOUT);
	XS_EXPECT_EQ(xsu_recv(u, 0, NULL, 0, NULL), -ENOTCONN);
	close(s);
	close(c);
	close(l);
	close(u);
}

/* ---- struct checks ---------------------------------------------------- */

/*
 * The size field: too small is EINVAL; larger with a zero tail is a newer
 * caller (accepted); a non-zero byte the kernel does not know is E2BIG.
 */
struct listen_big {
	struct xs_listen l;
	uint64_t tail;
};

XS_TEST(listen_struct_checks)
{
	XSU_NAME(name);
	struct xs_listen l;
	struct listen_big big;
	unsigned int bit;
	int fd = xsu_open();

	xsu_listen_init(&l, name, 0);
	l.size = 0;
	XS_EXPECT_EQ(xsu_listen_raw(fd, &l), -EINVAL);
	l.size = sizeof(l) - 8;
	XS_EXPECT_EQ(xsu_listen_raw(fd, &l), -EINVAL);
	l.size = 4;
	XS_EXPECT_EQ(xsu_listen_raw(fd, &l), -EINVAL);

	for (bit = 3; bit < 32; bit++) {	/* 0-2: SYSTEM, INACTIVE, RING_MMAP */
		xsu_listen_init(&l, name, 1u << bit);
		XS_EXPECT_EQ(xsu_listen_raw(fd, &l), -EINVAL);
	}
	xsu_listen_init(&l, name, 0);
	l.reserved[0] = 1;
	XS_EXPECT_EQ(xsu_listen_raw(fd, &l), -EINVAL);
	xsu_listen_init(&l, name, 0);
	l.reserved[1] = 1ull << 63;
	XS_EXPECT_EQ(xsu_listen_raw(fd, &l), -EINVAL);

	memset(&big, 0, sizeof(big));
	xsu_listen_init(&big.l, name, 0);
	big.l.size = sizeof(big);
	big.tail = 1;
	XS_EXPECT_EQ(xsu_listen_raw(fd, &big.l), -E2BIG);
	/* None of these registered the name. */
	XS_EXPECT_EQ(xsu_try_connect(name, 0), -ENOENT);

	big.tail = 0;
	XS_EXPECT_EQ(xsu_listen_raw(fd, &big.l), 0);
	close(fd);
}

XS_TEST(listen_ring_size_and_backlog_checks)
{
	static const uint32_t bad_rings[] = {
		1, 8, 2048, 4095, 4097, 6144, 12288, 65535, 0x80000001u,
	};
	XSU_NAME(name);
	struct xs_info info;
	struct xs_listen l;
	unsigned int i;
	int fd;

	xsu_info(&info);
	for (i = 0; i < sizeof(bad_rings) / sizeof(bad_rings[0]); i++) {
		fd = xsu_open();
		xsu_listen_init(&l, name, 0);
		l.ring_size = bad_rings[i];
		if (xsu_listen_raw(fd, &l) != -EINVAL)
			XS_FAIL("ring_size %u accepted", bad_rings[i]);
		close(fd);
	}
	/* Above the maximum, though a power of two. */
	fd = xsu_open();
	xsu_listen_init(&l, name, 0);
	l.ring_size = info.ring_size_max * 2;
	XS_EXPECT_EQ(xsu_listen_raw(fd, &l), -EINVAL);
	l.ring_size = 0;
	l.backlog = BACKLOG_MAX + 1;
	XS_EXPECT_EQ(xsu_listen_raw(fd, &l), -EINVAL);
	l.backlog = 0xffffffffu;
	XS_EXPECT_EQ(xsu_listen_raw(fd, &l), -EINVAL);
	close(fd);

	/* The valid extremes. */
	fd = xsu_listen_opts(name, 0, 4096, BACKLOG_MAX);
	close(fd);
	fd = xsu_listen_opts(name, 0, info.ring_size_max, 1);
	close(fd);
	fd = xsu_listen_opts(name, 0, 8192, 0);
	close(fd);
}

XS_TEST(listen_requirement_checks)
{
	static const struct { uint32_t kind, id; } bad[] = {
		{ XS_REQ_NONE, 1 },
		{ XS_REQ_SAME_UID, 1000 },
		{ XS_REQ_SAME_UID, 0xffffffffu },
		{ XS_REQ_UID, 0xffffffffu },	/* (uid_t)-1 never maps */
		{ XS_REQ_GID, 0xffffffffu },
		{ XS_REQ_GID + 1, 0 },
		{ 0x7fffffffu, 0 },
		{ 0xffffffffu, 0 },
	};
	XSU_NAME(name);
	struct xs_listen l;
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = xsu_open();
		xsu_listen_init(&l, name, 0);
		l.req_kind = bad[i].kind;
		l.req_id = bad[i].id;
		if (xsu_listen_raw(fd, &l) != -EINVAL)
			XS_FAIL("req_kind %u req_id %u not refused with EINVAL",
				bad[i].kind, bad[i].id);
		close(fd);
	}
	XS_EXPECT_EQ(xsu_try_connect(name, 0), -ENOENT);

	for (i = XS_REQ_NONE; i <= XS_REQ_GID; i++) {
		fd = xsu_open();
		xsu_listen_init(&l, name, 0);
		l.req_kind = i;
		l.req_id = i >= XS_REQ_UID ? 1000 : 0;
		XS_EXPECT_EQ(xsu_listen_raw(fd, &l), 0);
		close(fd);
	}
}

struct connect_big {
	struct xs_connect c;
	uint64_t tail;
};

XS_TEST(connect_struct_checks)
{
	static const uint32_t bad_rings[] = { 1, 2048, 4095, 6144, 12288 };
	XSU_NAME(name);
	struct xs_connect c;
	struct connect_big big;
	struct xs_info info;
	unsigned int i;
	int l = xsu_listen(name, 0), fd = xsu_open();

	xsu_info(&info);
	xsu_connect_init(&c, name, 0);
	c.size = 0;
	XS_EXPECT_EQ(xsu_connect_raw(fd, &c), -EINVAL);
	c.size = sizeof(c) - 8;
	XS_EXPECT_EQ(xsu_connect_raw(fd, &c), -EINVAL);
	for (i = 3; i < 32; i++) {	/* 0-2: PRIVILEGED, WAIT, RING_MMAP */
		xsu_connect_init(&c, name, 1u << i);
		XS_EXPECT_EQ(xsu_connect_raw(fd, &c), -EINVAL);
	}
	xsu_connect_init(&c, name, 0);
	c.__pad = 1;
	XS_EXPECT_EQ(xsu_connect_raw(fd, &c), -EINVAL);
	xsu_connect_init(&c, name, 0);
	c.reserved[0] = 1;
	XS_EXPECT_EQ(xsu_connect_raw(fd, &c), -EINVAL);
	xsu_connect_init(&c, name, 0);
	c.reserved[1] = 1;
	XS_EXPECT_EQ(xsu_connect_raw(fd, &c), -EINVAL);
	/* A deadline only means something with XS_CONNECT_WAIT. */
	xsu_connect_init(&c, name, 0);
	c.timeout_ns = 1000000;
	XS_EXPECT_EQ(xsu_connect_raw(fd, &c), -EINVAL);
	xsu_connect_init(&c, name, XS_CONNECT_PRIVILEGED);
	c.timeout_ns = 1;
	XS_EXPECT_EQ(xsu_connect_raw(fd, &c), -EINVAL);
	for (i = 0; i < sizeof(bad_rings) / sizeof(bad_rings[0]); i++) {
		xsu_connect_init(&c, name, 0);
		c.ring_size = bad_rings[i];
		XS_EXPECT_EQ(xsu_connect_raw(fd, &c), -EINVAL);
	}
	xsu_connect_init(&c, name, 0);
	c.ring_size = info.ring_size_max * 2;
	XS_EXPECT_EQ(xsu_connect_raw(fd, &c), -EINVAL);

	memset(&big, 0, sizeof(big));
	xsu_connect_init(&big.c, name, 0);
	big.c.size = sizeof(big);
	big.tail = 0xff;
	XS_EXPECT_EQ(xsu_connect_raw(fd, &big.c), -E2BIG);

	/* Nothing reached the listener. */
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, 0), 0);
	big.tail = 0;
	XS_EXPECT_EQ(xsu_connect_raw(fd, &big.c), 0);
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, XSU_WAIT_MS), POLLIN);
	close(fd);
	close(l);
}

XS_TEST(accept_struct_checks)
{
	XSU_NAME(name);
	struct xs_accept a;
	int l = xsu_listen(name, 0), c = xsu_connect(name, 0), s;

	memset(&a, 0, sizeof(a));
	a.size = 0;
	XS_EXPECT_ERRNO(ioctl(l, XS_IOC_ACCEPT, &a), EINVAL);
	a.size = sizeof(a) - 8;
	XS_EXPECT_ERRNO(ioctl(l, XS_IOC_ACCEPT, &a), EINVAL);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = 1;
	XS_EXPECT_ERRNO(ioctl(l, XS_IOC_ACCEPT, &a), EINVAL);
	a.flags = 1u << 31;
	XS_EXPECT_ERRNO(ioctl(l, XS_IOC_ACCEPT, &a), EINVAL);
	a.flags = 0;
	a.__pad = 1;
	XS_EXPECT_ERRNO(ioctl(l, XS_IOC_ACCEPT, &a), EINVAL);
	a.__pad = 0;
	a.reserved[1] = 1;
	XS_EXPECT_ERRNO(ioctl(l, XS_IOC_ACCEPT, &a), EINVAL);
	/* The request is still queued after all those refusals. */
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, 0), POLLIN);
	s = xsu_accept(l);
	close(s);
	close(c);
	close(l);
}

static void cancel_struct_checks(int fd, unsigned long cmd)
{
	char reason[XS_REASON_MAX + 1];
	struct xs_cancel c;

	memset(reason, 'r', sizeof(reason));
	memset(&c, 0, sizeof(c));
	XS_EXPECT_EQ(xsu_cancel_raw(fd, cmd, &c), -EINVAL);	/* size 0 */
	c.size = sizeof(c) - 8;
	XS_EXPECT_EQ(xsu_cancel_raw(fd, cmd, &c), -EINVAL);
	c.size = sizeof(c);
	c.flags = 1;
	XS_EXPECT_EQ(xsu_cancel_raw(fd, cmd, &c), -EINVAL);
	c.flags = 0;
	c.__pad = 1;
	XS_EXPECT_EQ(xsu_cancel_raw(fd, cmd, &c), -EINVAL);
	c.__pad = 0;
	c.reserved[0] = 1;
	XS_EXPECT_EQ(xsu_cancel_raw(fd, cmd, &c), -EINVAL);
	c.reserved[0] = 0;
	c.reason = (uintptr_t)reason;
	c.reason_len = XS_REASON_MAX + 1;
	XS_EXPECT_EQ(xsu_cancel_raw(fd, cmd, &c), -EINVAL);
	c.reason_len = 0xffffffffu;
	XS_EXPECT_EQ(xsu_cancel_raw(fd, cmd, &c), -EINVAL);
	c.reason = 1;
	c.reason_len = 8;
	XS_EXPECT_EQ(xsu_cancel_raw(fd, cmd, &c), -EFAULT);
}

XS_TEST(cancel_and_reject_struct_checks)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c = xsu_connect(name, 0), s;

	s = xsu_accept(l);
	cancel_struct_checks(l, XS_IOC_CANCEL);
	cancel_struct_checks(s, XS_IOC_REJECT);
	cancel_struct_checks(s, XS_IOC_CANCEL);
	cancel_struct_checks(c, XS_IOC_CANCEL);
	/* None of it ended anything. */
	XS_EXPECT_EQ(xsu_revents(c, XSU_EV, 0), POLLOUT);
	XS_EXPECT_EQ(xsu_activate(s), 0);
	XS_EXPECT_EQ(xsu_oneway(s, "x", 1), 0);
	xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "x", 1, NULL);
	XS_EXPECT_EQ(xsu_try_listen(name, 0), -EADDRINUSE);
	close(s);
	close(c);
	close(l);
}

/* ---- connect and accept ----------------------------------------------- */

XS_TEST(connect_returns_at_once_and_client_may_send)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c, s, i;
	struct xs_peer_creds pc;
	uint64_t rid, id;
	char msg[16];

	c = xsu_connect(name, 0);
	/* Pending, yet the client may send: it waits in the server's ring. */
	XS_EXPECT_EQ(xsu_revents(c, XSU_EV, 0), POLLOUT);
	for (i = 0; i < 3; i++) {
		snprintf(msg, sizeof(msg), "early-%d", i);
		XS_ASSERT_EQ(xsu_oneway(c, msg, strlen(msg)), 0);
	}
	XS_ASSERT_EQ(xsu_request(c, "req", 3, &rid), 0);
	XS_EXPECT_EQ(rid & 1, 1);

	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_peer_creds(s, &pc, NULL, 0), 0);
	XS_EXPECT_EQ(pc.pid, getpid());
	/* Deciding: the server may not send yet. */
	XS_EXPECT_EQ(xsu_oneway(s, "no", 2), -ENOTCONN);
	XS_EXPECT_EQ(xsu_reply(s, rid, "no", 2), -ENOTCONN);
	XS_EXPECT_ERRNO(write(s, &(struct xs_msg_hdr){ .kind = XS_MSG_ONEWAY },
			      sizeof(struct xs_msg_hdr)), ENOTCONN);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	for (i = 0; i < 3; i++) {
		snprintf(msg, sizeof(msg), "early-%d", i);
		xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, msg, strlen(msg),
				NULL);
	}
	xsu_expect_item(s, XS_MSG_REQUEST, 0, 0, 0, "req", 3, &id);
	XS_EXPECT_EQ(id, rid);
	XS_ASSERT_EQ(xsu_reply(s, rid, "ans", 3), 0);
	xsu_expect_item(c, XS_MSG_REPLY, 0, 0, rid, "ans", 3, NULL);
	close(s);
	close(c);
	close(l);
}

XS_TEST(accept_fd_is_cloexec_rdwr)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c = xsu_connect(name, 0), s;

	s = xsu_accept(l);
	XS_EXPECT_EQ(fcntl(s, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	XS_EXPECT_EQ(fcntl(s, F_GETFL) & O_ACCMODE, O_RDWR);
	XS_EXPECT_EQ(fcntl(s, F_GETFL) & O_NONBLOCK, 0);
	close(s);
	close(c);
	close(l);
}

XS_TEST(accept_nonblocking_eagain)
{
	XSU_NAME(name);
	XSU_NAME(name2);
	int l = xsu_open_flags(O_NONBLOCK), l2, c, s;

	XS_ASSERT_EQ(xsu_listen_fd(l, name, 0), 0);
	XS_EXPECT_EQ(xsu_accept_raw(l), -EAGAIN);
	c = xsu_connect(name, 0);
	s = xsu_accept(l);
	XS_EXPECT_EQ(xsu_accept_raw(l), -EAGAIN);
	close(s);
	close(c);

	/* O_NONBLOCK set after LISTEN counts as well. */
	l2 = xsu_listen(name2, 0);
	XS_ASSERT_OK(fcntl(l2, F_SETFL, O_NONBLOCK));
	XS_EXPECT_EQ(xsu_accept_raw(l2), -EAGAIN);
	close(l2);
	close(l);
}

struct accept_arg {
	int lfd;
	int ret;
	int done;
};

static void *accept_thread(void *p)
{
	struct accept_arg *a = p;

	a->ret = xsu_accept_raw(a->lfd);
	__atomic_store_n(&a->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

XS_TEST(accept_blocks_until_a_request)
{
	XSU_NAME(name);
	struct accept_arg a = { .lfd = xsu_listen(name, 0) };
	pthread_t t = xsu_thread(accept_thread, &a);
	int c;

	xsu_sleep_ms(XSU_QUIET_MS);
	XS_ASSERT_EQ(__atomic_load_n(&a.done, __ATOMIC_SEQ_CST), 0);
	c = xsu_connect(name, 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_ASSERT_OK(a.ret);
	XS_EXPECT_EQ(xsu_activate(a.ret), 0);
	close(a.ret);
	close(c);
	close(a.lfd);
}

XS_TEST(accept_after_cancel_eshutdown)
{
	XSU_NAME(name);
	struct accept_arg a = { .lfd = xsu_listen(name, 0) };
	pthread_t t = xsu_thread(accept_thread, &a);

	xsu_sleep_ms(XSU_QUIET_MS);
	XS_ASSERT_EQ(__atomic_load_n(&a.done, __ATOMIC_SEQ_CST), 0);
	/* A blocked accept wakes up with ESHUTDOWN... */
	XS_ASSERT_EQ(xsu_cancel(a.lfd, NULL, 0), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(a.ret, -ESHUTDOWN);
	/* ...and so does every later one, blocking or not. */
	XS_EXPECT_EQ(xsu_accept_raw(a.lfd), -ESHUTDOWN);
	XS_ASSERT_OK(fcntl(a.lfd, F_SETFL, O_NONBLOCK));
	XS_EXPECT_EQ(xsu_accept_raw(a.lfd), -ESHUTDOWN);
	/* Cancelling a listener twice. */
	XS_EXPECT_EQ(xsu_cancel(a.lfd, NULL, 0), -EALREADY);
	XS_EXPECT_EQ(xsu_cancel(a.lfd, "x", 1), -EALREADY);
	close(a.lfd);
}

XS_TEST(backlog_full_econnrefused)
{
	XSU_NAME(name);
	int l = xsu_listen_opts(name, 0, 0, 3), c[5], s, i;
	uint64_t t0;

	for (i = 0; i < 3; i++)
		c[i] = xsu_connect(name, 0);
	t0 = xsu_now_ns();
	XS_EXPECT_EQ(xsu_try_connect(name, 0), -ECONNREFUSED);
	/* At once, also for a client that would wait for a decision. */
	XS_EXPECT_EQ(xsu_try_connect(name, XS_CONNECT_WAIT), -ECONNREFUSED);
	XS_EXPECT_LT(xsu_now_ns() - t0, 5000000000ull);

	/* Accepting one makes room for one. */
	s = xsu_accept(l);
	c[3] = xsu_connect(name, 0);
	XS_EXPECT_EQ(xsu_try_connect(name, 0), -ECONNREFUSED);
	/* So does a pending client that gives up, by close or by cancel. */
	close(c[1]);
	c[1] = xsu_connect(name, 0);
	XS_EXPECT_EQ(xsu_try_connect(name, 0), -ECONNREFUSED);
	XS_ASSERT_EQ(xsu_cancel(c[2], NULL, 0), 0);
	c[4] = xsu_connect(name, 0);
	XS_EXPECT_EQ(xsu_try_connect(name, 0), -ECONNREFUSED);
	for (i = 0; i < 5; i++)
		close(c[i]);
	close(s);
	close(l);
}

XS_TEST(backlog_default_from_info)
{
	XSU_NAME(name);
	struct xs_info info;
	int l = xsu_listen(name, 0), *c;
	unsigned int i;

	xsu_info(&info);
	XS_ASSERT_GT(info.backlog_default, 0);
	XS_ASSERT_LE(info.backlog_default, BACKLOG_MAX);
	c = calloc(info.backlog_default, sizeof(*c));
	XS_ASSERT_NE(c, NULL);
	for (i = 0; i < info.backlog_default; i++)
		c[i] = xsu_connect(name, 0);
	XS_EXPECT_EQ(xsu_try_connect(name, 0), -ECONNREFUSED);
	for (i = 0; i < info.backlog_default; i++)
		close(c[i]);
	free(c);
	close(l);
}

/* ---- inactive listeners ----------------------------------------------- */

XS_TEST(inactive_listener_queues_until_activate)
{
	XSU_NAME(name);
	struct accept_arg a;
	int l = xsu_listen(name, XS_LISTEN_INACTIVE), c, s;
	pthread_t t;

	/* The name is taken and requests queue... */
	XS_EXPECT_EQ(xsu_try_listen(name, 0), -EADDRINUSE);
	c = xsu_connect(name, 0);
	XS_ASSERT_EQ(xsu_oneway(c, "queued", 6), 0);
	/* ...but the listener offers nothing yet. */
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, XSU_QUIET_MS), 0);
	XS_ASSERT_OK(fcntl(l, F_SETFL, O_NONBLOCK));
	XS_EXPECT_EQ(xsu_accept_raw(l), -EAGAIN);
	XS_ASSERT_OK(fcntl(l, F_SETFL, 0));

	a.lfd = l;
	a.done = 0;
	t = xsu_thread(accept_thread, &a);
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_ASSERT_EQ(__atomic_load_n(&a.done, __ATOMIC_SEQ_CST), 0);

	XS_ASSERT_EQ(xsu_activate(l), 0);
	xsu_join(t, XSU_WAIT_MS);
	s = a.ret;
	XS_ASSERT_OK(s);
	XS_EXPECT_EQ(xsu_activate(l), -EALREADY);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "queued", 6, NULL);
	close(s);
	close(c);
	close(l);
}

XS_TEST(inactive_listener_pollin_after_activate)
{
	XSU_NAME(name);
	int l = xsu_listen(name, XS_LISTEN_INACTIVE), c1, c2, s1, s2;

	c1 = xsu_connect(name, 0);
	c2 = xsu_connect(name, 0);
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, 0), 0);
	XS_ASSERT_EQ(xsu_activate(l), 0);
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, 0), POLLIN);
	s1 = xsu_accept(l);
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, 0), POLLIN);
	s2 = xsu_accept(l);
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, 0), 0);
	close(s1);
	close(s2);
	close(c1);
	close(c2);
	close(l);
}

XS_TEST(activate_active_listener_ealready)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0);

	XS_EXPECT_EQ(xsu_activate(l), -EALREADY);
	close(l);
}

/* ---- the server's decision -------------------------------------------- */

XS_TEST(activate_rules)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c = xsu_connect(name, 0), s;

	/* A client has nothing to activate, pending or connected. */
	XS_EXPECT_EQ(xsu_activate(c), -EINVAL);
	s = xsu_accept(l);
	XS_EXPECT_EQ(xsu_activate(c), -EINVAL);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	XS_EXPECT_EQ(xsu_activate(s), -EALREADY);
	XS_EXPECT_EQ(xsu_activate(c), -EINVAL);
	/* Deciding is over. */
	XS_EXPECT_EQ(xsu_reject(s, "late", 4), -EINVAL);
	/* And the session works both ways. */
	XS_EXPECT_EQ(xsu_oneway(s, "s2c", 3), 0);
	XS_EXPECT_EQ(xsu_oneway(c, "c2s", 3), 0);
	xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "s2c", 3, NULL);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "c2s", 3, NULL);
	close(s);
	close(c);
	close(l);
}

XS_TEST(reject_ends_client_with_reason)
{
	static const char reason[] = "not today";
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c = xsu_connect(name, 0), s;
	char buf[64];

	XS_ASSERT_EQ(xsu_oneway(c, "hello", 5), 0);
	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_reject(s, reason, sizeof(reason) - 1), 0);

	/*
	 * The END item waits to be read: POLLIN, with POLLERR as the
	 * session ended by rejection; no POLLHUP while there is an item.
	 */
	XS_EXPECT_EQ(xsu_revents(c, XSU_EV, 0), POLLIN | POLLERR);
	/* ...and sending is over. */
	XS_EXPECT_EQ(xsu_oneway(c, "more", 4), -ESHUTDOWN);
	xsu_expect_end(c, XS_END_REJECTED, reason, sizeof(reason) - 1);
	XS_EXPECT_EQ(xsu_revents(c, XSU_EV, 0), POLLERR | POLLHUP);
	XS_EXPECT_EQ(read(c, buf, sizeof(buf)), 0);
	/* The decision is final. */
	XS_EXPECT_EQ(xsu_reject(s, NULL, 0), -ESHUTDOWN);
	XS_EXPECT_EQ(xsu_oneway(s, "x", 1), -ESHUTDOWN);
	close(s);
	close(c);
	close(l);
}

XS_TEST(reject_reason_limits)
{
	char reason[XS_REASON_MAX];
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c1, c2, s1, s2;

	memset(reason, 'z', sizeof(reason));
	c1 = xsu_connect(name, 0);
	c2 = xsu_connect(name, 0);
	s1 = xsu_accept(l);
	s2 = xsu_accept(l);
	XS_EXPECT_EQ(xsu_reject(s1, reason, XS_REASON_MAX + 1), -EINVAL);
	XS_ASSERT_EQ(xsu_reject(s1, reason, XS_REASON_MAX), 0);
	XS_ASSERT_EQ(xsu_reject(s2, NULL, 0), 0);
	xsu_expect_end(c1, XS_END_REJECTED, reason, XS_REASON_MAX);
	xsu_expect_end(c2, XS_END_REJECTED, NULL, 0);
	close(s1);
	close(s2);
	close(c1);
	close(c2);
	close(l);
}

XS_TEST(reject_after_client_gone_eshutdown)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c = xsu_connect(name, 0), s;

	s = xsu_accept(l);
	close(c);
	XS_EXPECT_EQ(xsu_reject(s, "bye", 3), -ESHUTDOWN);
	/* What the server sees: the client went away. */
	xsu_expect_end(s, XS_END_INVALIDATED, NULL, 0);
	close(s);
	close(l);
}

/* ---- XS_CONNECT_WAIT -------------------------------------------------- */

struct wait_arg {
	const char *name;
	uint64_t timeout_ns;
	int fd;
	int ret;
	int done;
};

static void *connect_wait_thread(void *p)
{
	struct wait_arg *w = p;

	w->ret = xsu_connect_fd(w->fd, w->name, XS_CONNECT_WAIT, w->timeout_ns);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static pthread_t start_wait(struct wait_arg *w, const char *name,
			    uint64_t timeout_ns)
{
	memset(w, 0, sizeof(*w));
	w->name = name;
	w->timeout_ns = timeout_ns;
	w->fd = xsu_open();
	return xsu_thread(connect_wait_thread, w);
}

XS_TEST(connect_wait_returns_on_activate)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), s;
	struct wait_arg w;
	pthread_t t = start_wait(&w, name, 0);

	s = xsu_accept(l);
	xsu_sleep_ms(XSU_QUIET_MS);
	/* Accepted is not decided. */
	XS_ASSERT_EQ(__atomic_load_n(&w.done, __ATOMIC_SEQ_CST), 0);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_ASSERT_EQ(w.ret, 0);
	XS_EXPECT_EQ(xsu_oneway(w.fd, "up", 2), 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "up", 2, NULL);
	close(s);
	close(w.fd);
	close(l);
}

XS_TEST(connect_wait_with_deadline_returns_on_activate)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), s;
	struct wait_arg w;
	pthread_t t = start_wait(&w, name, 30ull * 1000000000);

	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_ASSERT_EQ(w.ret, 0);
	close(s);
	close(w.fd);
	close(l);
}

XS_TEST(connect_wait_rejected_econnrefused)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), s;
	struct wait_arg w;
	pthread_t t = start_wait(&w, name, 0);

	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_reject(s, "full", 4), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_ASSERT_EQ(w.ret, -ECONNREFUSED);
	/* The session exists and ended: its last item says why. */
	xsu_expect_end(w.fd, XS_END_REJECTED, "full", 4);
	XS_EXPECT_EQ(xsu_connect_fd(w.fd, name, 0, 0), -EISCONN);
	close(s);
	close(w.fd);
	close(l);
}

XS_TEST(connect_wait_timeout_stays_pending)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c = xsu_open(), s;
	uint64_t t0 = xsu_now_ns(), dt;

	XS_ASSERT_EQ(xsu_connect_fd(c, name, XS_CONNECT_WAIT, 300000000ull),
		     -ETIMEDOUT);
	dt = xsu_now_ns() - t0;
	XS_EXPECT_GE(dt, 250000000ull);
	XS_EXPECT_LT(dt, 10000000000ull);
	/* Still connected-pending: bound, may send, may be activated. */
	XS_EXPECT_EQ(xsu_connect_fd(c, name, 0, 0), -EISCONN);
	XS_EXPECT_EQ(xsu_revents(c, XSU_EV, 0), POLLOUT);
	XS_ASSERT_EQ(xsu_oneway(c, "after", 5), 0);
	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "after", 5, NULL);
	XS_ASSERT_EQ(xsu_oneway(s, "back", 4), 0);
	xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "back", 4, NULL);
	close(s);
	close(c);
	close(l);
}

XS_TEST(connect_wait_timeout_while_deciding)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), s;
	struct wait_arg w;
	pthread_t t;

	/* Accepted, never decided: the deadline still applies. */
	t = start_wait(&w, name, 200000000ull);
	s = xsu_accept(l);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(w.ret, -ETIMEDOUT);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	XS_EXPECT_EQ(xsu_oneway(w.fd, "ok", 2), 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "ok", 2, NULL);
	close(s);
	close(w.fd);
	close(l);
}

XS_TEST(connect_wait_listener_gone_econnreset)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0);
	struct wait_arg w1, w2;
	pthread_t t1 = start_wait(&w1, name, 0), t2;

	XS_ASSERT_TRUE(xsu_wait_revents(l, XSU_EV, POLLIN, XSU_WAIT_MS));
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_ASSERT_EQ(__atomic_load_n(&w1.done, __ATOMIC_SEQ_CST), 0);
	/* A cancel with a reason... */
	XS_ASSERT_EQ(xsu_cancel(l, "gone", 4), 0);
	xsu_join(t1, XSU_WAIT_MS);
	XS_EXPECT_EQ(w1.ret, -ECONNRESET);
	xsu_expect_end(w1.fd, XS_END_LISTENER_GONE, "gone", 4);
	close(w1.fd);
	close(l);

	/* ...or a close. */
	l = xsu_listen(name, 0);
	t2 = start_wait(&w2, name, 0);
	XS_ASSERT_TRUE(xsu_wait_revents(l, XSU_EV, POLLIN, XSU_WAIT_MS));
	close(l);
	xsu_join(t2, XSU_WAIT_MS);
	XS_EXPECT_EQ(w2.ret, -ECONNRESET);
	xsu_expect_end(w2.fd, XS_END_LISTENER_GONE, NULL, 0);
	close(w2.fd);
}

XS_TEST(connect_wait_server_closes_econnreset)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), s;
	struct wait_arg w;
	pthread_t t = start_wait(&w, name, 0);

	s = xsu_accept(l);
	close(s);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(w.ret, -ECONNRESET);
	xsu_expect_end(w.fd, XS_END_INVALIDATED, NULL, 0);
	close(w.fd);
	close(l);
}

/*
 * Activated, then closed at once: the waiter was activated, so it gets 0
 * (then the server's message and END), whenever it gets to run.  The
 * server runs SCHED_FIFO on the waiter's CPU, so the waiter cannot run
 * between the activation and the close.
 */
XS_TEST(connect_wait_activated_then_closed_returns_0)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), s;
	struct sched_param fifo = { .sched_priority = 10 }, other = { 0 };
	struct wait_arg w;
	cpu_set_t cpu;
	pthread_t t;

	CPU_ZERO(&cpu);
	CPU_SET(0, &cpu);
	XS_ASSERT_OK(sched_setaffinity(0, sizeof(cpu), &cpu));
	t = start_wait(&w, name, 0);
	s = xsu_accept(l);
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_ASSERT_EQ(__atomic_load_n(&w.done, __ATOMIC_SEQ_CST), 0);
	if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &fifo))
		XS_SKIP("cannot run SCHED_FIFO");
	XS_ASSERT_EQ(xsu_activate(s), 0);
	XS_ASSERT_EQ(xsu_oneway(s, "hi", 2), 0);
	close(s);
	XS_ASSERT_EQ(pthread_setschedparam(pthread_self(), SCHED_OTHER, &other),
		     0);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(w.ret, 0);
	xsu_expect_item(w.fd, XS_MSG_ONEWAY, 0, 0, 0, "hi", 2, NULL);
	xsu_expect_end(w.fd, XS_END_INVALIDATED, NULL, 0);
	close(w.fd);
	close(l);
}

static pthread_t main_thread;

static void *signal_later(void *p)
{
	(void)p;
	xsu_sleep_ms(XSU_QUIET_MS);
	pthread_kill(main_thread, SIGUSR1);
	return NULL;
}

XS_TEST(connect_wait_signal_eintr)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c = xsu_open(), s;
	pthread_t t;

	xsu_install_sigusr1();
	main_thread = pthread_self();
	t = xsu_thread(signal_later, NULL);
	XS_ASSERT_EQ(xsu_connect_fd(c, name, XS_CONNECT_WAIT, 0), -EINTR);
	XS_EXPECT_EQ((int)xsu_sigusr1_count, 1);
	xsu_join(t, XSU_WAIT_MS);
	/* Connected-pending; exactly one request reached the listener. */
	XS_EXPECT_EQ(xsu_connect_fd(c, name, 0, 0), -EISCONN);
	s = xsu_accept(l);
	XS_ASSERT_OK(fcntl(l, F_SETFL, O_NONBLOCK));
	XS_EXPECT_EQ(xsu_accept_raw(l), -EAGAIN);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	XS_ASSERT_EQ(xsu_oneway(c, "ok", 2), 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "ok", 2, NULL);
	close(s);
	close(c);
	close(l);
}

/* ---- requirements ----------------------------------------------------- */

static int listen_sys_req(const char *name, uint32_t kind, uint32_t id)
{
	struct xs_listen a;
	int l = xsu_open();

	/*
	 * In the system domain, where an unprivileged client's plain
	 * connect finds it after its own (empty) domain.
	 */
	xsu_listen_init(&a, name, XS_LISTEN_SYSTEM);
	a.req_kind = kind;
	a.req_id = id;
	XS_ASSERT_EQ(xsu_listen_raw(l, &a), 0);
	return l;
}

/*
 * In a child as @uid/@gid (+ supplementary @supp): connect to @name and
 * expect @want (0: success, which the child checks by accepting on the
 * inherited listener @lfd).
 */
static void connect_as(const char *name, uid_t uid, gid_t gid, gid_t supp,
		       int want, int lfd)
{
	pid_t pid = xsu_fork();

	if (pid == 0) {
		int fd, s;

		XS_ASSERT_OK(setgroups(supp ? 1 : 0, &supp));
		XS_ASSERT_OK(setresgid(gid, gid, gid));
		XS_ASSERT_OK(setresuid(uid, uid, uid));
		fd = xsu_try_connect(name, 0);
		if (want) {
			XS_ASSERT_EQ(fd, want);
			/* Refused before the server could see it. */
			XS_ASSERT_EQ(xsu_revents(lfd, XSU_EV, 0), 0);
		} else {
			XS_ASSERT_OK(fd);
			s = xsu_accept(lfd);
			close(s);
			close(fd);
		}
		_exit(0);
	}
	xsu_wait_child(pid, XSU_WAIT_MS);
}

XS_TEST(requirement_same_uid)
{
	XSU_NAME(name);
	int l = listen_sys_req(name, XS_REQ_SAME_UID, 0), c, s;

	c = xsu_connect(name, 0);
	s = xsu_accept(l);
	close(s);
	close(c);
	connect_as(name, 1000, 1000, 0, -EPERM, l);
	connect_as(name, 1000, 0, 0, -EPERM, l);
	close(l);
}

XS_TEST(requirement_uid)
{
	XSU_NAME(name);
	int l = listen_sys_req(name, XS_REQ_UID, 1000);

	connect_as(name, 1000, 1000, 0, 0, l);
	connect_as(name, 1001, 1000, 0, -EPERM, l);
	/* Root is no exception. */
	XS_EXPECT_EQ(xsu_try_connect(name, 0), -EPERM);
	XS_EXPECT_EQ(xsu_try_connect(name, XS_CONNECT_WAIT), -EPERM);
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, 0), 0);
	close(l);
}

XS_TEST(requirement_gid)
{
	XSU_NAME(name);
	int l = listen_sys_req(name, XS_REQ_GID, 2000);

	connect_as(name, 1000, 2000, 0, 0, l);		/* egid */
	connect_as(name, 1001, 1001, 2000, 0, l);	/* supplementary */
	connect_as(name, 1002, 1002, 0, -EPERM, l);
	connect_as(name, 1003, 1003, 2001, -EPERM, l);
	close(l);
}

/* ---- the listener goes away ------------------------------------------- */

XS_TEST(listener_cancel_ends_pending_clients)
{
	static const char reason[] = "maintenance";
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c[3], s, i;

	for (i = 0; i < 3; i++)
		c[i] = xsu_connect(name, 0);
	XS_ASSERT_EQ(xsu_oneway(c[1], "lost", 4), 0);
	XS_ASSERT_EQ(xsu_cancel(l, reason, sizeof(reason) - 1), 0);
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, 0), POLLHUP);
	XS_EXPECT_EQ(xsu_try_connect(name, 0), -ENOENT);
	for (i = 0; i < 3; i++) {
		XS_EXPECT_EQ(xsu_revents(c[i], XSU_EV, 0), POLLIN | POLLERR);
		XS_EXPECT_EQ(xsu_oneway(c[i], "x", 1), -ESHUTDOWN);
		xsu_expect_end(c[i], XS_END_LISTENER_GONE, reason,
			       sizeof(reason) - 1);
		XS_EXPECT_EQ(xsu_revents(c[i], XSU_EV, 0), POLLERR | POLLHUP);
	}
	XS_EXPECT_EQ(xsu_cancel(l, NULL, 0), -EALREADY);
	XS_EXPECT_EQ(xsu_accept_raw(l), -ESHUTDOWN);
	/* A new listener of the name gets none of the old requests. */
	s = xsu_listen(name, 0);
	XS_EXPECT_EQ(xsu_revents(s, XSU_EV, 0), 0);
	for (i = 0; i < 3; i++)
		close(c[i]);
	close(s);
	close(l);
}

XS_TEST(listener_close_ends_pending_clients)
{
	XSU_NAME(name);
	int l = xsu_listen(name, XS_LISTEN_INACTIVE), c1, c2;

	c1 = xsu_connect(name, 0);
	c2 = xsu_connect(name, 0);
	close(l);
	xsu_expect_end(c1, XS_END_LISTENER_GONE, NULL, 0);
	xsu_expect_end(c2, XS_END_LISTENER_GONE, NULL, 0);
	XS_EXPECT_EQ(xsu_revents(c1, XSU_EV, 0), POLLERR | POLLHUP);
	close(c1);
	close(c2);
}

XS_TEST(listener_cancel_spares_accepted_sessions)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c1, c2, s1, s2;

	c1 = xsu_connect(name, 0);
	c2 = xsu_connect(name, 0);
	s1 = xsu_accept(l);
	s2 = xsu_accept(l);
	XS_ASSERT_EQ(xsu_activate(s1), 0);
	XS_ASSERT_EQ(xsu_cancel(l, "bye", 3), 0);
	close(l);
	/* Connected, and still deciding: both go on. */
	XS_ASSERT_EQ(xsu_activate(s2), 0);
	XS_EXPECT_EQ(xsu_oneway(s1, "1", 1), 0);
	XS_EXPECT_EQ(xsu_oneway(s2, "2", 1), 0);
	xsu_expect_item(c1, XS_MSG_ONEWAY, 0, 0, 0, "1", 1, NULL);
	xsu_expect_item(c2, XS_MSG_ONEWAY, 0, 0, 0, "2", 1, NULL);
	XS_EXPECT_EQ(xsu_oneway(c1, "3", 1), 0);
	xsu_expect_item(s1, XS_MSG_ONEWAY, 0, 0, 0, "3", 1, NULL);
	close(s1);
	close(s2);
	close(c1);
	close(c2);
}

XS_TEST(listener_session_calls_rejected)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0);
	struct xs_peer_creds pc;

	/* A listener is no session; refused with an error, never done. */
	XS_EXPECT_EQ(xsu_oneway(l, "x", 1) < 0, true);
	XS_EXPECT_EQ(xsu_recv(l, XS_NONBLOCK, NULL, 0, NULL) < 0, true);
	XS_EXPECT_EQ(xsu_peer_creds(l, &pc, NULL, 0) < 0, true);
	XS_EXPECT_EQ(xsu_reject(l, NULL, 0) < 0, true);
	/* And it still works. */
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, 0), 0);
	close(xsu_connect(name, 0));
	close(l);
}
