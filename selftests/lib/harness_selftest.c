// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the harness itself: most of them are meant to fail, crash or
 * hang.  harness_selftest.sh runs this and checks every TAP line, so a
 * harness that reports a broken test as passing is caught on the host.
 *
 * Lines whose diagnostic the script checks are tagged "L:<tag>"; the
 * script finds their line numbers by the tag.  Keep the tags unique.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xs_test.h"

/*
 * A process the test leaves behind, which the harness must kill with the
 * test's process group.  Its pid is appended to $XS_SELFTEST_PIDS for the
 * script to check; we return only once it is written.
 */
static void spawn_sleeper(void)
{
	const char *file = getenv("XS_SELFTEST_PIDS");
	int p[2], fd;
	char c;

	XS_ASSERT_OK(pipe(p));
	if (fork() == 0) {
		if (file) {
			fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0600);
			dprintf(fd, "%d\n", getpid());
			close(fd);
		}
		close(p[0]);
		close(p[1]);	/* tells the test the pid is written */
		sleep(1000);
		_exit(0);
	}
	close(p[1]);
	XS_ASSERT_EQ(read(p[0], &c, 1), 0);
	close(p[0]);
}

XS_TEST(pass_plain)
{
	unsigned char big = 255;
	char buf[4] = "abc";
	void *p;

	XS_ASSERT_EQ(1 + 1, 2);
	XS_ASSERT_EQ(big, 255);
	/* Mathematical comparison: C would promote -1 to UINT_MAX here. */
	XS_ASSERT_LT(-1, 0u);
	XS_ASSERT_LT((int64_t)-1, UINT64_MAX);
	XS_ASSERT_GT(UINT64_MAX, INT64_MAX);
	XS_ASSERT_GE(INT64_MIN, INT64_MIN);
	XS_ASSERT_LE(INT64_MIN, 0);
	XS_ASSERT_NE(-1, UINT32_MAX);
	XS_ASSERT_TRUE(big);
	XS_ASSERT_FALSE(big == 0);
	XS_ASSERT_STREQ(buf, "abc");
	XS_ASSERT_MEMEQ(buf, "abc", 4);
	XS_ASSERT_ERRNO(close(-1), EBADF);
	XS_ASSERT_OK(getpid());
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	XS_ASSERT_NE(p, MAP_FAILED);
	XS_ASSERT_ERRNO(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0), EINVAL);
}

XS_TEST(fail_eq)
{
	int a = 2;

	XS_ASSERT_EQ(a, 3);	/* L:eq */
	xs_diag("not reached");
}

XS_TEST(fail_signed_unsigned)
{
	XS_ASSERT_EQ((int64_t)-1, UINT64_MAX);	/* L:sign */
}

XS_TEST(fail_ptr)
{
	void *p = (void *)0x1000;

	XS_ASSERT_EQ(p, NULL);	/* L:ptr */
}

/* A syscall's -1 comes with the errno it set. */
XS_TEST(fail_eq_errno)
{
	XS_ASSERT_EQ(close(-1), 0);	/* L:eqerrno */
}

XS_TEST(expect_continues)
{
	XS_EXPECT_GT(1, 2);	/* L:expect */
	xs_diag("after expect");
}

XS_TEST(fail_errno_wrong)
{
	XS_ASSERT_ERRNO(close(-1), EINVAL);	/* L:errno */
}

XS_TEST(fail_errno_success)
{
	XS_ASSERT_ERRNO(dup(0) * 0, ENOENT);	/* L:errno0 */
}

XS_TEST(fail_ok)
{
	XS_ASSERT_OK(open("/nonexistent/xs", O_RDONLY));	/* L:ok */
}

XS_TEST(fail_streq)
{
	XS_ASSERT_STREQ("abc", "abd");	/* L:str */
}

XS_TEST(fail_memeq)
{
	XS_ASSERT_MEMEQ("abcd", "abXd", 4);	/* L:mem */
}

XS_TEST(fail_true)
{
	XS_ASSERT_TRUE(1 == 2);	/* L:true */
}

XS_TEST(fail_explicit)
{
	XS_FAIL("explicit %s", "failure");
}

/* A check failing in a process the test forked still fails the test. */
XS_TEST(fail_in_grandchild)
{
	pid_t pid = fork();

	XS_ASSERT_OK(pid);
	if (pid == 0) {
		XS_EXPECT_EQ(getpid(), 0);
		_exit(0);
	}
	XS_ASSERT_EQ(waitpid(pid, NULL, 0), pid);
}

XS_TEST(crash_segv)
{
	raise(SIGSEGV);
}

XS_TEST(crash_abort)
{
	abort();
}

XS_TEST_TIMEOUT(timeout_short, 1)
{
	spawn_sleeper();
	pause();
}

XS_TEST(exit_early)
{
	exit(0);
}

XS_TEST(exit_status)
{
	_exit(3);
}

XS_TEST(skip_reason)
{
	XS_SKIP("no frobnicator %d", 42);
}

XS_TEST(pass_orphan)
{
	spawn_sleeper();
}

XS_TEST(pass_last)
{
	XS_ASSERT_EQ(0, 0);
}
