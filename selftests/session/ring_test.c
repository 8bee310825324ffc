// SPDX-License-Identifier: GPL-2.0
/*
 * Mapped receive rings: a receiver that maps its ring reads every message
 * in place and releases it by moving head in the control page, with the
 * same order, backpressure, replies and endings as XS_IOC_RECV; and
 * nothing it writes into that page can hurt the kernel or its peer.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "xs_util.h"

#define PAGE		((size_t)sysconf(_SC_PAGESIZE))
#define START_PARAM	"/sys/module/xsession/parameters/ring_start_index"

/* A payload derived from its sequence number, so damage shows. */
static uint32_t msg_len(uint32_t seq, uint32_t max)
{
	return (seq * 2654435761U >> 16) % (max + 1);
}

static void msg_fill(uint8_t *buf, uint32_t seq, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(seq * 131 + i * 7);
}

/* The record at head must be one-way message @seq; then release it. */
static void expect_in_place(struct xsu_ring *r, uint32_t seq, uint32_t max)
{
	const struct xs_msg_hdr *hdr;
	uint8_t want[8192];
	uint32_t len = msg_len(seq, max);
	int spins = 0;

	while (!(hdr = xsu_ring_peek(r))) {
		XS_ASSERT_EQ(xsu_ring_wait(r->fd, 0, 5000000000ULL), 0);
		XS_ASSERT_LT(++spins, 1000);
	}
	XS_ASSERT_EQ(hdr->kind, XS_MSG_ONEWAY);
	XS_ASSERT_EQ(hdr->payload_len, len);
	XS_EXPECT_EQ(hdr->id, 2ULL * (seq + 1));
	msg_fill(want, seq, len);
	XS_ASSERT_MEMEQ(hdr + 1, want, len);
	xsu_ring_release(r);
}

static void send_seq(int fd, uint32_t seq, uint32_t max)
{
	uint8_t buf[8192];
	uint32_t len = msg_len(seq, max);

	msg_fill(buf, seq, len);
	XS_ASSERT_EQ(xsu_oneway(fd, buf, len), 0);
}

/* mmap() that must fail: its errno, or 0 (unmapped again) if it worked. */
static int map_errno(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

XS_TEST(ring_unmappable_without_flag)
{
	XSU_NAME(name);
	int l, c, s, u = xsu_open();

	xsu_pair(name, &l, &c, &s);
	/* A session that did not ask for a mappable ring has none. */
	XS_EXPECT_EQ(map_errno(c, PAGE, PROT_READ,
			       MAP_SHARED, XS_RING_OFF_CTL), ENODEV);
	XS_EXPECT_EQ(map_errno(s, PAGE, PROT_READ,
			       MAP_SHARED, XS_RING_OFF_CTL), ENODEV);
	/* Listeners and unbound endpoints have nothing to map. */
	XS_EXPECT_EQ(map_errno(l, PAGE, PROT_READ,
			       MAP_SHARED, XS_RING_OFF_CTL), ENODEV);
	XS_EXPECT_EQ(map_errno(u, PAGE, PROT_READ,
			       MAP_SHARED, XS_RING_OFF_CTL), ENODEV);
	/* And XS_IOC_RING_WAIT is a session call. */
	XS_EXPECT_EQ(xsu_ring_wait(u, XS_NONBLOCK, 0), -ENOTCONN);
	XS_EXPECT_EQ(xsu_ring_wait(l, XS_NONBLOCK, 0), -EINVAL);
}

XS_TEST(ring_mmap_checks_arguments)
{
	XSU_NAME(name);
	uint32_t size = 4 * PAGE;
	int c, s;
	void *p;

	xsu_pair_mapped(name, size, NULL, &c, &s);
	/* Private mappings, wrong lengths and unknown offsets. */
	XS_EXPECT_EQ(map_errno(c, PAGE, PROT_READ,
			       MAP_PRIVATE, XS_RING_OFF_CTL), EINVAL);
	XS_EXPECT_EQ(map_errno(c, 2 * PAGE, PROT_READ,
			       MAP_SHARED, XS_RING_OFF_CTL), EINVAL);
	XS_EXPECT_EQ(map_errno(c, size, PROT_READ,
			       MAP_SHARED, XS_RING_OFF_DATA), EINVAL);
	XS_EXPECT_EQ(map_errno(c, 4 * size, PROT_READ,
			       MAP_SHARED, XS_RING_OFF_DATA), EINVAL);
	XS_EXPECT_EQ(map_errno(c, PAGE, PROT_READ, MAP_SHARED, PAGE), EINVAL);
	XS_EXPECT_EQ(map_errno(c, PAGE, PROT_READ,
			       MAP_SHARED, XS_RING_OFF_DATA + PAGE), EINVAL);
	/* The data is never writable, nor executable; neither is ctl. */
	XS_EXPECT_EQ(map_errno(c, 2 * size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, XS_RING_OFF_DATA), EACCES);
	XS_EXPECT_EQ(map_errno(c, 2 * size, PROT_READ | PROT_EXEC,
			       MAP_SHARED, XS_RING_OFF_DATA), EACCES);
	XS_EXPECT_EQ(map_errno(c, PAGE, PROT_READ | PROT_EXEC,
			       MAP_SHARED, XS_RING_OFF_CTL), EACCES);

	/* A read-only data mapping cannot be made writable later. */
	p = mmap(NULL, 2 * size, PROT_READ, MAP_SHARED, c, XS_RING_OFF_DATA);
	XS_ASSERT_TRUE(p != MAP_FAILED);
	XS_EXPECT_ERRNO(mprotect(p, 2 * size, PROT_READ | PROT_WRITE), EACCES);
	XS_EXPECT_ERRNO(mprotect(p, PAGE, PROT_READ | PROT_EXEC), EACCES);
	XS_EXPECT_OK(munmap(p, 2 * size));
}

XS_TEST(ring_ctl_describes_ring)
{
	XSU_NAME(name);
	struct xsu_ring rc, rs;
	char v[32];
	int c, s;

	xsu_pair_mapped(name, 8 * PAGE, NULL, &c, &s);
	xsu_ring_map(c, &rc);
	xsu_ring_map(s, &rs);
	XS_EXPECT_EQ(rc.size, 8 * PAGE);
	XS_EXPECT_EQ(rs.size, 8 * PAGE);
	XS_EXPECT_EQ(rc.ctl->head, rc.ctl->tail);
	XS_EXPECT_EQ(rc.ctl->need_wakeup, 0);
	XS_EXPECT_EQ(rc.ctl->ended, 0);
	XS_ASSERT_TRUE(xsu_fdinfo(c, "xs-rx-mappable", v, sizeof(v)));
	XS_EXPECT_STREQ(v, "yes");
	/* Both ends' rings are their own. */
	XS_EXPECT_TRUE(rc.ctl != rs.ctl);
	XS_EXPECT_EQ(xsu_oneway(s, "to client", 9), 0);
	XS_EXPECT_EQ(rc.ctl->tail - rc.ctl->head, XS_RING_RECORD_SIZE(9));
	XS_EXPECT_EQ(rs.ctl->tail, rs.ctl->head);
	xsu_ring_unmap(&rc);
	xsu_ring_unmap(&rs);
}

XS_TEST(ring_one_end_mappable)
{
	XSU_NAME(name);
	char v[32];
	int l, c, s;

	/* A plain client of a listener whose sessions are mappable. */
	l = xsu_listen_opts(name, XS_LISTEN_RING_MMAP, 0, 0);
	c = xsu_connect(name, 0);
	s = xsu_accept(l);
	XS_ASSERT_TRUE(xsu_fdinfo(c, "xs-rx-mappable", v, sizeof(v)));
	XS_EXPECT_STREQ(v, "no");
	XS_ASSERT_TRUE(xsu_fdinfo(s, "xs-rx-mappable", v, sizeof(v)));
	XS_EXPECT_STREQ(v, "yes");
	XS_EXPECT_EQ(map_errno(c, PAGE, PROT_READ,
			       MAP_SHARED, XS_RING_OFF_CTL), ENODEV);
}

/* Messages read in place, in order, with ids and payloads intact. */
XS_TEST(ring_read_in_place)
{
	XSU_NAME(name);
	struct xsu_ring r;
	uint32_t seq;
	int c, s;

	xsu_pair_mapped(name, 4 * PAGE, NULL, &c, &s);
	xsu_ring_map(c, &r);
	for (seq = 0; seq < 2000; seq++) {
		send_seq(s, seq, 700);
		if (seq % 3 == 2) {
			expect_in_place(&r, seq - 2, 700);
			expect_in_place(&r, seq - 1, 700);
			expect_in_place(&r, seq, 700);
		}
	}
	expect_in_place(&r, 1998, 700);
	expect_in_place(&r, 1999, 700);
	XS_EXPECT_TRUE(xsu_ring_peek(&r) == NULL);
	/* What we released in place is gone for XS_IOC_RECV too. */
	xsu_expect_empty(c);
	XS_EXPECT_EQ(xsu_ring_wait(c, XS_NONBLOCK, 0), -EAGAIN);
	xsu_ring_unmap(&r);
}

/* XS_IOC_RECV on a mapped ring consumes from the shared head. */
XS_TEST(ring_recv_moves_shared_head)
{
	XSU_NAME(name);
	struct xsu_ring r;
	uint32_t head;
	int c, s;

	xsu_pair_mapped(name, 0, NULL, &c, &s);
	xsu_ring_map(c, &r);
	head = r.ctl->head;
	XS_ASSERT_EQ(xsu_oneway(s, "one", 3), 0);
	XS_ASSERT_EQ(xsu_oneway(s, "two!", 4), 0);
	xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "one", 3, NULL);
	XS_EXPECT_EQ(r.ctl->head, head + XS_RING_RECORD_SIZE(3));
	r.head = r.ctl->head;
	XS_ASSERT_TRUE(xsu_ring_peek(&r) != NULL);
	XS_EXPECT_MEMEQ(xsu_ring_peek(&r) + 1, "two!", 4);
	xsu_ring_release(&r);
	xsu_expect_empty(c);
	xsu_ring_unmap(&r);
}

/* The data pages cannot be written, whatever the receiver tries. */
XS_TEST(ring_data_is_read_only)
{
	XSU_NAME(name);
	struct xsu_ring r;
	int c, s, status;
	pid_t pid;

	xsu_pair_mapped(name, 0, NULL, &c, &s);
	xsu_ring_map(c, &r);
	XS_ASSERT_EQ(xsu_oneway(s, "intact", 6), 0);
	pid = xsu_fork();
	if (!pid) {
		((volatile uint8_t *)r.data)[sizeof(struct xs_msg_hdr)] = 'X';
		_exit(0);
	}
	status = xsu_reap(pid, XSU_WAIT_MS);
	XS_EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	/* Nor through /proc/self/mem, which would force a write. */
	{
		int mem = open("/proc/self/mem", O_RDWR);

		XS_ASSERT_OK(mem);
		XS_EXPECT_EQ(pwrite(mem, "X", 1, (uintptr_t)r.data +
				    sizeof(struct xs_msg_hdr)), -1);
		close(mem);
	}
	xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "intact", 6, NULL);
	xsu_ring_unmap(&r);
}

/* Each record is contiguous in the double mapping, also where it wraps. */
XS_TEST(ring_double_mapping)
{
	XSU_NAME(name);
	uint8_t buf[3000];
	struct xsu_ring r;
	int c, s, i;

	xsu_pair_mapped(name, PAGE, NULL, &c, &s);
	xsu_ring_map(c, &r);
	/* Walk the record start across the end of the ring many times. */
	for (i = 0; i < 40; i++) {
		uint32_t len = 1000 + i * 37 % 1900;

		msg_fill(buf, i, len);
		XS_ASSERT_EQ(xsu_oneway(s, buf, len), 0);
		XS_ASSERT_TRUE(xsu_ring_peek(&r) != NULL);
		XS_ASSERT_EQ(xsu_ring_peek(&r)->payload_len, len);
		XS_ASSERT_MEMEQ(xsu_ring_peek(&r) + 1, buf, len);
		/* The second copy of the pages is the same memory. */
		XS_ASSERT_MEMEQ(r.data, r.data + r.size, r.size);
		xsu_ring_release(&r);
	}
	xsu_ring_unmap(&r);
}

struct blocked_send {
	int fd;
	uint32_t len;
	int ret;
};

static void *blocked_sender(void *arg)
{
	struct blocked_send *b = arg;
	static uint8_t buf[4096];

	b->ret = xsu_send(b->fd, XS_MSG_ONEWAY, 0, 0, 0, buf, b->len, NULL);
	return NULL;
}

/*
 * A sender blocked on a full mapped ring asks for a wake-up; the receiver
 * frees room in place, sees the request and makes one call, which
 * releases the sender.  Without that call the sender stays put.
 */
XS_TEST(ring_wakes_blocked_sender)
{
	XSU_NAME(name);
	struct blocked_send b;
	struct xsu_ring r;
	uint8_t buf[4096] = { 0 };
	pthread_t t;
	uint32_t head;
	int c, s, n = 0;

	xsu_pair_mapped(name, PAGE, NULL, &c, &s);
	xsu_ring_map(c, &r);
	while (xsu_send(s, XS_MSG_ONEWAY, XS_NONBLOCK, 0, 0, buf, 992,
			NULL) == 0)
		n++;
	XS_ASSERT_EQ(n, (int)(PAGE / 1024));
	XS_EXPECT_EQ(r.ctl->need_wakeup, 0);

	b = (struct blocked_send){ .fd = s, .len = 992, .ret = 1 };
	t = xsu_thread(blocked_sender, &b);
	/* It sleeps, having asked for a wake-up. */
	while (!__atomic_load_n(&r.ctl->need_wakeup, __ATOMIC_ACQUIRE))
		xsu_sleep_ms(1);
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_EXPECT_EQ(__atomic_load_n(&b.ret, __ATOMIC_ACQUIRE), 1);

	/* Room, but no call: the sender does not know yet. */
	head = r.head + XS_RING_RECORD_SIZE(992);
	__atomic_store_n(&r.ctl->head, head, __ATOMIC_RELEASE);
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_EXPECT_EQ(__atomic_load_n(&b.ret, __ATOMIC_ACQUIRE), 1);
	/* The call releases it, and clears the request. */
	r.head = head;
	XS_EXPECT_EQ(xsu_ring_wait(c, XS_NONBLOCK, 0), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(b.ret, 0);
	XS_EXPECT_EQ(r.ctl->tail - r.head, (uint32_t)PAGE);
	xsu_ring_unmap(&r);
}

/* poll()'s POLLOUT on a mapped peer ring comes back the same way. */
XS_TEST(ring_pollout_after_release)
{
	XSU_NAME(name);
	uint8_t buf[992] = { 0 };
	struct xsu_ring r;
	int c, s;

	xsu_pair_mapped(name, PAGE, NULL, &c, &s);
	xsu_ring_map(c, &r);
	while (xsu_send(s, XS_MSG_ONEWAY, XS_NONBLOCK, 0, 0, buf, sizeof(buf),
			NULL) == 0)
		;
	XS_EXPECT_EQ(xsu_revents(s, POLLOUT, 0), 0);
	XS_EXPECT_EQ(r.ctl->need_wakeup, 1);
	/* xsu_ring_release() sees the request and makes the call. */
	xsu_ring_release(&r);
	XS_EXPECT_EQ(r.ctl->need_wakeup, 0);
	XS_EXPECT_EQ(xsu_revents(s, POLLOUT, XSU_WAIT_MS), POLLOUT);
	XS_EXPECT_EQ(xsu_oneway(s, buf, sizeof(buf)), 0);
	XS_EXPECT_EQ(xsu_revents(s, POLLOUT, 0), 0);
	xsu_ring_unmap(&r);
}

XS_TEST(ring_wait_semantics)
{
	XSU_NAME(name);
	struct xs_ring_wait w;
	struct xsu_ring r;
	uint64_t t0;
	int c, s;
	pid_t pid;

	xsu_pair_mapped(name, 0, NULL, &c, &s);
	xsu_ring_map(c, &r);
	/* Struct checks. */
	memset(&w, 0, sizeof(w));
	w.size = sizeof(w);
	w.flags = 1U << 7;
	XS_EXPECT_ERRNO(ioctl(c, XS_IOC_RING_WAIT, &w), EINVAL);
	w.flags = 0;
	w.reserved = 1;
	XS_EXPECT_ERRNO(ioctl(c, XS_IOC_RING_WAIT, &w), EINVAL);
	XS_EXPECT_ERRNO(ioctl(c, XS_IOC_RING_WAIT, (void *)8), EFAULT);

	/* Nothing yet: -EAGAIN, or a deadline. */
	XS_EXPECT_EQ(xsu_ring_wait(c, XS_NONBLOCK, 0), -EAGAIN);
	XS_ASSERT_OK(fcntl(c, F_SETFL, O_NONBLOCK));
	XS_EXPECT_EQ(xsu_ring_wait(c, 0, 0), -EAGAIN);
	XS_ASSERT_OK(fcntl(c, F_SETFL, 0));
	t0 = xsu_now_ns();
	XS_EXPECT_EQ(xsu_ring_wait(c, 0, 50000000), -ETIMEDOUT);
	XS_EXPECT_GE(xsu_now_ns() - t0, 40000000);

	/* A message wakes a waiter and stays queued. */
	pid = xsu_fork();
	if (!pid) {
		xsu_sleep_ms(100);
		_exit(xsu_oneway(s, "late", 4) ? 1 : 0);
	}
	XS_EXPECT_EQ(xsu_ring_wait(c, 0, 0), 0);
	xsu_wait_child(pid, XSU_WAIT_MS);
	XS_ASSERT_TRUE(xsu_ring_peek(&r) != NULL);
	XS_EXPECT_EQ(xsu_ring_wait(c, 0, 0), 0);
	xsu_ring_release(&r);

	/* A signal interrupts it. */
	xsu_install_sigusr1();
	pid = xsu_fork();
	if (!pid) {
		xsu_sleep_ms(100);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	XS_EXPECT_EQ(xsu_ring_wait(c, 0, 0), -EINTR);
	xsu_wait_child(pid, XSU_WAIT_MS);
	xsu_ring_unmap(&r);
}

/*
 * The end: records queued before it stay readable in place; ended is
 * set; XS_IOC_RECV then gives the kernel's items (an error reply for a
 * request left unanswered, the END item with the peer's reason).
 */
XS_TEST(ring_end_after_records)
{
	XSU_NAME(name);
	struct xsu_ring r;
	uint64_t req;
	int c, s;

	xsu_pair_mapped(name, 0, NULL, &c, &s);
	xsu_ring_map(c, &r);
	XS_ASSERT_EQ(xsu_request(c, "q", 1, &req), 0);
	XS_ASSERT_EQ(xsu_oneway(s, "before", 6), 0);
	XS_ASSERT_EQ(xsu_oneway(s, "the end", 7), 0);
	XS_ASSERT_EQ(xsu_cancel(s, "server done", 11), 0);

	XS_EXPECT_EQ(__atomic_load_n(&r.ctl->ended, __ATOMIC_ACQUIRE), 1);
	XS_EXPECT_EQ(xsu_ring_wait(c, XS_NONBLOCK, 0), 0);
	XS_ASSERT_TRUE(xsu_ring_peek(&r) != NULL);
	XS_EXPECT_MEMEQ(xsu_ring_peek(&r) + 1, "before", 6);
	xsu_ring_release(&r);
	XS_ASSERT_TRUE(xsu_ring_peek(&r) != NULL);
	XS_EXPECT_MEMEQ(xsu_ring_peek(&r) + 1, "the end", 7);
	xsu_ring_release(&r);
	XS_EXPECT_TRUE(xsu_ring_peek(&r) == NULL);

	/* The ring is empty; what is left is the kernel's. */
	XS_EXPECT_EQ(xsu_ring_wait(c, XS_NONBLOCK, 0), 0);
	xsu_expect_kernel_error(c, req, XS_END_INVALIDATED);
	xsu_expect_end(c, XS_END_INVALIDATED, "server done", 11);
	XS_EXPECT_EQ(r.ctl->tail, r.ctl->head);
	xsu_ring_unmap(&r);
}

/* After this end's own cancel, XS_IOC_RECV decides, as without a map. */
XS_TEST(ring_local_cancel_converts_replies)
{
	XSU_NAME(name);
	struct xs_msg_hdr h;
	struct xsu_ring r;
	uint64_t req;
	char buf[64];
	int c, s;

	xsu_pair_mapped(name, 0, NULL, &c, &s);
	xsu_ring_map(c, &r);
	XS_ASSERT_EQ(xsu_request(c, "q", 1, &req), 0);
	XS_ASSERT_EQ(xsu_recv(s, 0, buf, sizeof(buf), &h), 0);
	XS_ASSERT_EQ(xsu_oneway(s, "dropped", 7), 0);
	XS_ASSERT_EQ(xsu_reply(s, req, "answer", 6), 0);
	XS_ASSERT_EQ(xsu_cancel(c, "bye", 3), 0);
	XS_EXPECT_EQ(r.ctl->ended, 1);
	xsu_expect_kernel_error(c, req, XS_END_CANCELED);
	xsu_expect_end(c, XS_END_CANCELED, NULL, 0);
	XS_EXPECT_EQ(r.ctl->tail, r.ctl->head);
	xsu_ring_unmap(&r);
}

/* Rings can start anywhere; these start just below the 2^32 wrap. */
XS_TEST(ring_index_wraps_at_2_32)
{
	XSU_NAME(name);
	const uint32_t start = 0xffffffffU - 3000;
	struct xsu_ring r;
	uint32_t seq;
	char v[32];
	int c, s, ret;

	ret = xsu_write_file(START_PARAM, "4294964295");
	if (ret == -ENOENT)
		XS_SKIP("no %s", START_PARAM);
	XS_ASSERT_EQ(ret, 0);
	xsu_pair_mapped(name, PAGE, NULL, &c, &s);
	/* Only sessions created while it is set start there. */
	XS_ASSERT_EQ(xsu_write_file(START_PARAM, "0"), 0);
	xsu_ring_map(c, &r);
	XS_EXPECT_EQ(r.ctl->head, start & ~7U);
	XS_EXPECT_EQ(r.ctl->tail, start & ~7U);
	XS_ASSERT_TRUE(xsu_fdinfo(c, "xs-rx-bytes", v, sizeof(v)));
	XS_EXPECT_STREQ(v, "0");

	/* Through the mapping and through XS_IOC_RECV, across the wrap. */
	for (seq = 0; seq < 300; seq++) {
		send_seq(s, seq, 300);
		if (seq % 2) {
			expect_in_place(&r, seq, 300);
		} else {
			uint8_t want[300];
			uint32_t len = msg_len(seq, 300);

			msg_fill(want, seq, len);
			xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, want, len,
					NULL);
			r.head = r.ctl->head;
		}
	}
	XS_EXPECT_LT(r.ctl->tail, 100000);
	XS_EXPECT_EQ(r.ctl->tail, r.ctl->head);
	/* Full and empty still tell apart across the wrap. */
	XS_ASSERT_EQ(xsu_send(s, XS_MSG_ONEWAY, XS_NONBLOCK, 0, 0,
			      calloc(1, PAGE), (uint32_t)PAGE - 32, NULL), 0);
	XS_EXPECT_EQ(xsu_send(s, XS_MSG_ONEWAY, XS_NONBLOCK, 0, 0, NULL, 0,
			      NULL), -EAGAIN);
	xsu_ring_unmap(&r);
}

/*
 * A mapping holds its file, like any mapping: the end stays open until
 * its last fd is closed and its last mapping is gone, and the pages with
 * it.  The peer sees the close only then.
 */
XS_TEST(ring_mapping_holds_the_end)
{
	XSU_NAME(name);
	struct xsu_ring r;
	int c, s;

	xsu_pair_mapped(name, 2 * PAGE, NULL, &c, &s);
	xsu_ring_map(c, &r);
	XS_ASSERT_EQ(xsu_oneway(s, "kept", 4), 0);
	close(c);
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_EXPECT_EQ(xsu_revents(s, POLLIN | POLLOUT, 0), POLLOUT);
	XS_EXPECT_EQ(r.ctl->ended, 0);
	XS_ASSERT_TRUE(xsu_ring_peek(&r) != NULL);
	XS_EXPECT_MEMEQ(xsu_ring_peek(&r) + 1, "kept", 4);
	/* The last mapping goes: the end closes, invalidated. */
	xsu_ring_unmap(&r);
	xsu_expect_end(s, XS_END_INVALIDATED, NULL, 0);
}

/* A mapping keeps the pages alive after the session is gone. */
XS_TEST(ring_mapping_outlives_session)
{
	XSU_NAME(name);
	struct xsu_ring r;
	int c, s;

	xsu_pair_mapped(name, 2 * PAGE, NULL, &c, &s);
	xsu_ring_map(c, &r);
	XS_ASSERT_EQ(xsu_oneway(s, "kept", 4), 0);
	close(s);
	XS_EXPECT_EQ(r.ctl->ended, 1);
	close(c);
	XS_ASSERT_TRUE(xsu_ring_peek(&r) != NULL);
	XS_EXPECT_MEMEQ(xsu_ring_peek(&r) + 1, "kept", 4);
	/* The control page is still ours to write. */
	r.ctl->head = r.ctl->tail;
	xsu_ring_unmap(&r);
}

static bool errno_allowed(int ret, const int *ok, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (ret == ok[i])
			return true;
	return false;
}

/*
 * The peer streams, blocking and not, while the receiver writes random
 * words over its whole control page, reads at random places of its data
 * pages and mixes in XS_IOC_RECV and XS_IOC_RING_WAIT.  The kernel must
 * stay in bounds (KASAN on the debug kernel), the sender must see only
 * the errors a slow or closed receiver gives, and the receiver's close
 * must release it.
 */
XS_TEST_TIMEOUT(ring_hostile_receiver, 120)
{
	static const int send_ok[] = { 0, -EAGAIN, -ESHUTDOWN };
	static const int recv_ok[] = { 0, -EAGAIN, -EIO, -EMSGSIZE };
	uint64_t seed = xsu_seed(), rnd = seed;
	XSU_NAME(name);
	struct xsu_ring r;
	uint8_t buf[4096];
	int c, s, i, round;
	pid_t pid;

	xsu_pair_mapped(name, 2 * PAGE, NULL, &c, &s);
	xsu_ring_map(c, &r);
	pid = xsu_fork();
	if (!pid) {
		uint64_t n;
		int ret;

		/* Our copy of the mapping would keep the receiver's end open. */
		xsu_ring_unmap(&r);
		close(c);
		memset(buf, 0xa5, sizeof(buf));
		for (n = 0;; n++) {
			uint32_t len = (n * 2654435761U >> 20) % sizeof(buf);

			ret = xsu_send(s, XS_MSG_ONEWAY, n % 3 ? XS_NONBLOCK : 0,
				       0, 0, buf, len, NULL);
			if (ret == -ESHUTDOWN)
				_exit(0);
			if (!errno_allowed(ret, send_ok, 3)) {
				printf("# sender: %d\n", ret);
				_exit(1);
			}
			if (ret == -EAGAIN)
				xsu_revents(s, POLLOUT, 5);
		}
	}
	close(s);

	for (round = 0; round < 3000; round++) {
		uint32_t *w = (uint32_t *)r.ctl;
		uint64_t x = xsu_rand(&rnd);
		struct xs_msg_hdr h;
		volatile uint8_t sink;
		int ret;

		switch (x % 6) {
		case 0:		/* the whole page */
			for (i = 0; i < (int)(PAGE / 4); i++)
				w[i] = (uint32_t)xsu_rand(&rnd);
			break;
		case 1:		/* head just around tail */
			r.ctl->head = r.ctl->tail + (uint32_t)(x >> 8) % 64 - 32;
			break;
		case 2:		/* a sane head again, so the stream moves */
			r.ctl->head = r.ctl->tail;
			break;
		case 3:
			ret = xsu_recv(c, XS_NONBLOCK, buf, (x >> 8) % 2 ?
				       sizeof(buf) : 16, &h);
			if (!errno_allowed(ret, recv_ok, 4))
				XS_FAIL("XS_IOC_RECV: %d (seed %llu)", ret,
					(unsigned long long)seed);
			break;
		case 4:
			ret = xsu_ring_wait(c, XS_NONBLOCK, 0);
			XS_ASSERT_TRUE(ret == 0 || ret == -EAGAIN);
			break;
		default:	/* reading anywhere in the data is fine */
			sink = r.data[(x >> 8) % (2 * r.size)];
			(void)sink;
			break;
		}
	}
	/* The receiver goes; the sender must learn it, wherever it is. */
	xsu_ring_unmap(&r);
	close(c);
	xsu_wait_child(pid, XSU_WAIT_MS);

	/* And the module still works. */
	xsu_pair_mapped(name, 0, NULL, &c, &s);
	XS_EXPECT_EQ(xsu_oneway(s, "fine", 4), 0);
	xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "fine", 4, NULL);
}

/*
 * A head scribbled to "full" leaves a blocked sender asleep, but
 * interruptible, and the receiver's close still wakes it.
 */
XS_TEST(ring_bogus_head_blocks_interruptibly)
{
	XSU_NAME(name);
	struct blocked_send b;
	struct xsu_ring r;
	pthread_t t;
	int c, s;

	xsu_pair_mapped(name, PAGE, NULL, &c, &s);
	xsu_ring_map(c, &r);
	r.ctl->head = r.ctl->tail + 8;
	XS_EXPECT_EQ(xsu_send(s, XS_MSG_ONEWAY, XS_NONBLOCK, 0, 0, "x", 1,
			      NULL), -EAGAIN);
	XS_EXPECT_EQ(xsu_recv(c, XS_NONBLOCK, NULL, 0, NULL), -EIO);
	XS_EXPECT_EQ(xsu_ring_wait(c, XS_NONBLOCK, 0), 0);

	xsu_install_sigusr1();
	b = (struct blocked_send){ .fd = s, .len = 1, .ret = 1 };
	t = xsu_thread(blocked_sender, &b);
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_EXPECT_EQ(__atomic_load_n(&b.ret, __ATOMIC_ACQUIRE), 1);
	pthread_kill(t, SIGUSR1);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(b.ret, -EINTR);

	b.ret = 1;
	t = xsu_thread(blocked_sender, &b);
	xsu_sleep_ms(XSU_QUIET_MS);
	xsu_ring_unmap(&r);
	close(c);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(b.ret, -ESHUTDOWN);
}
