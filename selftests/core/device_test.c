// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/xsession node and what a freshly opened, unbound endpoint does:
 * nothing to read, nowhere to write, never ready.  The XS_IOC_INFO checks
 * are in info_tests.c, linked in here.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "xs_dev.h"

XS_TEST(node_is_misc_char_device_0666)
{
	struct stat st;

	XS_ASSERT_OK(stat(XS_DEVICE_PATH, &st));
	XS_EXPECT_TRUE(S_ISCHR(st.st_mode));
	XS_EXPECT_EQ(major(st.st_rdev), XS_MISC_MAJOR);
	/* Any user may open a session endpoint; policy is per session. */
	XS_EXPECT_EQ(st.st_mode & 07777, 0666);
}

XS_TEST(open_close_1000_times)
{
	int first = xs_dev_open(O_RDWR), i;

	XS_ASSERT_OK(close(first));
	for (i = 0; i < 1000; i++) {
		int fd = xs_dev_open(O_RDWR);

		/* The same number each time: each close really closed. */
		XS_ASSERT_EQ(fd, first);
		XS_ASSERT_OK(close(fd));
	}
}

XS_TEST(unbound_read_write_enotconn)
{
	int fd = xs_dev_open(O_RDWR);
	char buf[64] = "hello";

	XS_EXPECT_ERRNO(read(fd, buf, sizeof(buf)), ENOTCONN);
	XS_EXPECT_ERRNO(write(fd, buf, sizeof(buf)), ENOTCONN);
	/* Not "would block" either: there is nothing to wait for. */
	XS_ASSERT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	XS_EXPECT_ERRNO(read(fd, buf, sizeof(buf)), ENOTCONN);
	XS_EXPECT_ERRNO(write(fd, buf, sizeof(buf)), ENOTCONN);
	close(fd);
}

XS_TEST(open_mode_is_enforced)
{
	int rd = xs_dev_open(O_RDONLY), wr = xs_dev_open(O_WRONLY);
	char buf[8] = "";

	XS_EXPECT_ERRNO(write(rd, buf, sizeof(buf)), EBADF);
	XS_EXPECT_ERRNO(read(rd, buf, sizeof(buf)), ENOTCONN);
	XS_EXPECT_ERRNO(read(wr, buf, sizeof(buf)), EBADF);
	XS_EXPECT_ERRNO(write(wr, buf, sizeof(buf)), ENOTCONN);
	close(rd);
	close(wr);
}

/* An endpoint is a message stream: it has no file position. */
XS_TEST(endpoint_is_a_stream)
{
	int fd = xs_dev_open(O_RDWR);
	char buf[8] = "";

	XS_EXPECT_ERRNO(lseek(fd, 0, SEEK_SET), ESPIPE);
	XS_EXPECT_ERRNO(pread(fd, buf, sizeof(buf), 0), ESPIPE);
	XS_EXPECT_ERRNO(pwrite(fd, buf, sizeof(buf), 0), ESPIPE);
	close(fd);
}

static long xs_ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000L +
	       (now.tv_nsec - start->tv_nsec) / 1000000L;
}

XS_TEST(unbound_poll_not_ready)
{
	struct pollfd pfd = { .events = POLLIN | POLLOUT | POLLPRI | POLLRDHUP };
	struct timespec start;

	pfd.fd = xs_dev_open(O_RDWR);
	XS_EXPECT_EQ(poll(&pfd, 1, 0), 0);
	XS_EXPECT_EQ(pfd.revents, 0);

	clock_gettime(CLOCK_MONOTONIC, &start);
	XS_EXPECT_EQ(poll(&pfd, 1, 50), 0);
	XS_EXPECT_EQ(pfd.revents, 0);
	/* It really slept, rather than failing or waking early. */
	XS_EXPECT_GE(xs_ms_since(&start), 49);
	close(pfd.fd);
}

XS_TEST(unbound_epoll_not_ready)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLPRI };
	struct epoll_event out[4];
	int fd = xs_dev_open(O_RDWR), ep;

	ep = epoll_create1(EPOLL_CLOEXEC);
	XS_ASSERT_OK(ep);
	XS_ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	XS_EXPECT_EQ(epoll_wait(ep, out, 4, 0), 0);
	XS_EXPECT_EQ(epoll_wait(ep, out, 4, 20), 0);
	/* Closing the endpoint takes it out of the set. */
	close(fd);
	XS_EXPECT_EQ(epoll_wait(ep, out, 4, 0), 0);
	close(ep);
}

XS_TEST(two_fds_are_independent)
{
	int a = xs_dev_open(O_RDWR), b = xs_dev_open(O_RDWR);
	struct pollfd pfd = { .events = POLLIN | POLLOUT };
	struct xs_info ia, ib;
	char buf[8];

	XS_ASSERT_NE(a, b);
	xs_info_get(a, &ia);
	xs_info_get(b, &ib);
	XS_EXPECT_MEMEQ(&ia, &ib, sizeof(ia));

	XS_ASSERT_OK(close(a));
	xs_info_get(b, &ib);
	XS_EXPECT_MEMEQ(&ia, &ib, sizeof(ia));
	XS_EXPECT_ERRNO(read(b, buf, sizeof(buf)), ENOTCONN);
	pfd.fd = b;
	XS_EXPECT_EQ(poll(&pfd, 1, 0), 0);
	XS_ASSERT_OK(close(b));
}
