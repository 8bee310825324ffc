// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring against an unbound endpoint: io_uring polls through our
 * ->poll and its wait queue, so a poll that never completes and a cancel
 * that tears it down exercise the wake-up and removal paths the kernel's
 * io_uring uses, which plain poll() does not.  A pipe is the control that
 * shows these tests can see a completion at all.
 */
#include <poll.h>
#include <stdbool.h>
#include <liburing.h>

#include "xs_dev.h"

#define XS_UD_POLL	1
#define XS_UD_REMOVE	2

static void xs_ring_init(struct io_uring *ring)
{
	/* io_uring disabled or missing is a failure: this is its test. */
	XS_ASSERT_EQ(io_uring_queue_init(8, ring, 0), 0);
}

static struct io_uring_sqe *xs_sqe(struct io_uring *ring, __u64 user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	XS_ASSERT_NE(sqe, NULL);
	io_uring_sqe_set_data64(sqe, user_data);
	return sqe;
}

/* The next completion, within @ms; returns its user_data and result. */
static void xs_next_cqe(struct io_uring *ring, int ms, __u64 *ud, int *res)
{
	struct __kernel_timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;

	XS_ASSERT_EQ(io_uring_wait_cqe_timeout(ring, &cqe, &ts), 0);
	*ud = cqe->user_data;
	*res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
}

static void xs_expect_no_cqe(struct io_uring *ring, int ms)
{
	struct __kernel_timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;

	XS_ASSERT_EQ(io_uring_wait_cqe_timeout(ring, &cqe, &ts), -ETIME);
}

static void xs_expect_cq_empty(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;

	XS_ASSERT_EQ(io_uring_peek_cqe(ring, &cqe), -EAGAIN);
}

/*
 * Arm a poll for @events on a fresh endpoint: nothing may complete until
 * POLL_REMOVE cancels it.
 */
static void xs_poll_never_ready(unsigned int events)
{
	int fd = xs_dev_open(O_RDWR), res[3], seen[3] = { 0 }, i;
	struct io_uring ring;
	__u64 ud;

	xs_ring_init(&ring);
	io_uring_prep_poll_add(xs_sqe(&ring, XS_UD_POLL), fd, events);
	XS_ASSERT_EQ(io_uring_submit(&ring), 1);
	xs_expect_no_cqe(&ring, 100);

	io_uring_prep_poll_remove(xs_sqe(&ring, XS_UD_REMOVE), XS_UD_POLL);
	XS_ASSERT_EQ(io_uring_submit(&ring), 1);
	/* Exactly two completions, in either order. */
	for (i = 0; i < 2; i++) {
		int r;

		xs_next_cqe(&ring, 5000, &ud, &r);
		XS_ASSERT_TRUE(ud == XS_UD_POLL || ud == XS_UD_REMOVE);
		XS_ASSERT_EQ(seen[ud], 0);
		seen[ud] = 1;
		res[ud] = r;
	}
	XS_EXPECT_EQ(res[XS_UD_POLL], -ECANCELED);
	XS_EXPECT_EQ(res[XS_UD_REMOVE], 0);
	xs_expect_cq_empty(&ring);
	io_uring_queue_exit(&ring);
	close(fd);
}

XS_TEST(poll_add_pollin_unbound_never_completes)
{
	xs_poll_never_ready(POLLIN);
}

XS_TEST(poll_add_pollout_unbound_never_completes)
{
	xs_poll_never_ready(POLLOUT);
}

/* The control: the same sequence on a pipe completes once it is written. */
XS_TEST(poll_add_pipe_control_completes)
{
	struct io_uring ring;
	int p[2], res;
	__u64 ud;

	XS_ASSERT_OK(pipe(p));
	xs_ring_init(&ring);
	io_uring_prep_poll_add(xs_sqe(&ring, XS_UD_POLL), p[0], POLLIN);
	XS_ASSERT_EQ(io_uring_submit(&ring), 1);
	xs_expect_no_cqe(&ring, 100);

	XS_ASSERT_EQ(write(p[1], "x", 1), 1);
	xs_next_cqe(&ring, 5000, &ud, &res);
	XS_EXPECT_EQ(ud, XS_UD_POLL);
	XS_EXPECT_TRUE(res & POLLIN);
	xs_expect_cq_empty(&ring);
	io_uring_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
}

/*
 * io_uring first tries the I/O without blocking; a file that cannot do
 * that and can be polled gets a poll armed instead, so the request waits
 * for readiness.  An unbound endpoint is never ready, yet the read must
 * fail at once, as the syscall does.  Offset -1: no file position.
 */
static void xs_uring_rw_enotconn(bool write)
{
	struct __kernel_timespec ts = { .tv_sec = 2 };
	int fd = xs_dev_open(O_RDWR), ret;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	char buf[64] = "hello";

	xs_ring_init(&ring);
	sqe = xs_sqe(&ring, 7);
	if (write)
		io_uring_prep_write(sqe, fd, buf, sizeof(buf), -1);
	else
		io_uring_prep_read(sqe, fd, buf, sizeof(buf), -1);
	XS_ASSERT_EQ(io_uring_submit(&ring), 1);
	ret = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
	if (ret == -ETIME)
		/*
		 * io_uring found the file unable to do non-blocking I/O and
		 * armed a poll, waiting for readiness that never comes.
		 */
		xs_fail("no completion in %lld s: the module must fail the %s without blocking, under IOCB_NOWAIT too (FMODE_NOWAIT and ->%s_iter)",
			(long long)ts.tv_sec, write ? "write" : "read",
			write ? "write" : "read");
	XS_ASSERT_EQ(ret, 0);
	XS_EXPECT_EQ(cqe->user_data, 7);
	XS_EXPECT_EQ(cqe->res, -ENOTCONN);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	close(fd);
}

XS_TEST(read_unbound_enotconn)
{
	xs_uring_rw_enotconn(false);
}

XS_TEST(write_unbound_enotconn)
{
	xs_uring_rw_enotconn(true);
}
