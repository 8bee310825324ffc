// SPDX-License-Identifier: GPL-2.0
/*
 * xs_test: runs each registered test in a forked child and reports TAP 13.
 *
 * The parent never runs test code: it forks, waits with a deadline and
 * turns the child's fate into one TAP line.  Everything is written with
 * write(2) one whole line at a time, so output reaches the serial port in
 * order even when a child crashes or is killed mid-test.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xs_test.h"

/* Child exit codes; 4 is what kselftest uses for a skip. */
#define XS_EXIT_PASS	0
#define XS_EXIT_FAIL	1
#define XS_EXIT_SKIP	4

/*
 * What a test child tells its parent.  It lives in a MAP_SHARED page so
 * that the verdict survives the child's exit, and so that a failed check
 * in a grandchild the test forked still fails the test.
 */
struct xs_shared {
	int failed;		/* some check failed */
	int skipped;		/* xs_skip() was called */
	int finished;		/* the test child ended through the harness */
	char reason[480];	/* skip reason */
};

/* Checks made outside a test (a bug, but not a crash) land here. */
static struct xs_shared xs_no_test;
static struct xs_shared *xs_sh = &xs_no_test;
static pid_t xs_test_pid;	/* in a test child: its pid */

static struct xs_test *xs_head, *xs_tail;

void xs_register(struct xs_test *test)
{
	struct xs_test **pp;

	/*
	 * Constructors normally run in source order, but nothing promises
	 * it; sort by line so the TAP numbering is stable.
	 */
	if (!xs_tail || strcmp(xs_tail->file, test->file) ||
	    xs_tail->line < test->line) {
		if (xs_tail)
			xs_tail->next = test;
		else
			xs_head = test;
		xs_tail = test;
		return;
	}
	for (pp = &xs_head; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->file, test->file) && (*pp)->line > test->line)
			break;
	test->next = *pp;
	*pp = test;
}

static void xs_write_all(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

/* One line to stdout, after whatever the test itself left in stdio. */
static void xs_vline(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	int saved = errno;
	size_t len;

	fflush(stdout);
	len = snprintf(buf, sizeof(buf), "%s", prefix);
	vsnprintf(buf + len, sizeof(buf) - len, fmt, ap);
	len = strlen(buf);
	if (len == sizeof(buf) - 1)
		len--;		/* truncated: make room for the newline */
	buf[len++] = '\n';
	xs_write_all(buf, len);
	errno = saved;
}

static void __attribute__((format(printf, 1, 2))) xs_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xs_vline("", fmt, ap);
	va_end(ap);
}

void xs_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xs_vline("# ", fmt, ap);
	va_end(ap);
}

static void __attribute__((noreturn)) xs_exit_test(int code)
{
	/* A grandchild ending through the harness does not end the test. */
	if (getpid() == xs_test_pid)
		xs_sh->finished = 1;
	fflush(NULL);
	_exit(code);
}

void xs_mark_failed(void)
{
	xs_sh->failed = 1;
}

void xs_abort_test(void)
{
	xs_mark_failed();
	xs_exit_test(XS_EXIT_FAIL);
}

void xs_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xs_vline("# ", fmt, ap);
	va_end(ap);
	xs_abort_test();
}

void xs_skip(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(xs_sh->reason, sizeof(xs_sh->reason), fmt, ap);
	va_end(ap);
	/* The reason goes on the TAP line: keep it one line. */
	for (p = xs_sh->reason; *p; p++)
		if (*p == '\n')
			*p = ' ';
	xs_sh->skipped = 1;
	xs_exit_test(xs_sh->failed ? XS_EXIT_FAIL : XS_EXIT_SKIP);
}

enum xs_result { XS_PASS, XS_FAIL, XS_SKIPPED };

static long xs_ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000L +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

/*
 * Wait for @pid until @timeout seconds have passed.  Sleeps in poll() on a
 * pidfd, or where pidfd_open() is missing (before Linux 5.3) in
 * sigtimedwait() on SIGCHLD, which xs_main() keeps blocked for this.
 * Returns 0 once reaped, -1 on timeout (the child still runs).
 */
static int xs_wait(pid_t pid, unsigned int timeout, int *status)
{
	struct timespec deadline;
	sigset_t chld;
	int pidfd, ret = -1;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pidfd = syscall(SYS_pidfd_open, pid, 0);

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		long ms;

		if (r == pid) {
			ret = 0;
			break;
		}
		if (r < 0 && errno != EINTR) {
			/* Cannot happen for our own child; do not spin. */
			*status = 0;
			ret = 0;
			break;
		}
		ms = xs_ms_left(&deadline);
		if (ms <= 0)
			break;
		if (pidfd >= 0) {
			struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

			poll(&pfd, 1, ms > INT_MAX ? INT_MAX : (int)ms);
		} else {
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

			sigtimedwait(&chld, NULL, &ts);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return ret;
}

static void __attribute__((noreturn)) xs_child(const struct xs_test *test,
					       const sigset_t *mask)
{
	setpgid(0, 0);
	sigprocmask(SIG_SETMASK, mask, NULL);
	xs_test_pid = getpid();
	errno = 0;
	test->fn();
	xs_exit_test(xs_sh->failed ? XS_EXIT_FAIL : XS_EXIT_PASS);
}

static enum xs_result xs_run_one(const struct xs_test *test, int num,
				 const sigset_t *mask)
{
	const char *sig;
	int status;
	pid_t pid;

	memset(xs_sh, 0, sizeof(*xs_sh));
	xs_diag("RUN %s", test->name);
	fflush(NULL);	/* or the child would print our stdio buffer again */

	pid = fork();
	if (pid < 0) {
		xs_diag("%s: fork: %s", test->name, strerror(errno));
		xs_line("not ok %d %s", num, test->name);
		return XS_FAIL;
	}
	if (pid == 0)
		xs_child(test, mask);
	/* Also here, so kill(-pid) works even before the child ran. */
	setpgid(pid, pid);

	if (xs_wait(pid, test->timeout, &status)) {
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
		xs_diag("%s: timed out after %u s, killed", test->name,
			test->timeout);
		xs_line("not ok %d %s # TIMEOUT", num, test->name);
		return XS_FAIL;
	}
	/* Whatever the test started and left behind goes too. */
	kill(-pid, SIGKILL);

	if (WIFSIGNALED(status)) {
		sig = sigabbrev_np(WTERMSIG(status));
		if (sig)
			xs_line("not ok %d %s # killed by signal SIG%s", num,
				test->name, sig);
		else
			xs_line("not ok %d %s # killed by signal %d", num,
				test->name, WTERMSIG(status));
		return XS_FAIL;
	}
	if (xs_sh->failed) {
		xs_line("not ok %d %s", num, test->name);
		return XS_FAIL;
	}
	if (WEXITSTATUS(status) != XS_EXIT_PASS &&
	    WEXITSTATUS(status) != XS_EXIT_SKIP) {
		xs_diag("%s: exited with status %d", test->name,
			WEXITSTATUS(status));
		xs_line("not ok %d %s", num, test->name);
		return XS_FAIL;
	}
	if (!xs_sh->finished) {
		/* exit() in the middle of a test must not look like a pass. */
		xs_diag("%s: exited with status %d before the test ended",
			test->name, WEXITSTATUS(status));
		xs_line("not ok %d %s", num, test->name);
		return XS_FAIL;
	}
	if (xs_sh->skipped) {
		xs_line("ok %d %s # SKIP %s", num, test->name, xs_sh->reason);
		return XS_SKIPPED;
	}
	xs_line("ok %d %s", num, test->name);
	return XS_PASS;
}

static void xs_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-l] [-t TEST]...\n"
		"  -l       list the tests\n"
		"  -t TEST  run only TEST (repeatable)\n", prog);
}

static bool xs_selected(const struct xs_test *test, char **names, int n)
{
	int i;

	if (!n)
		return true;
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], test->name))
			return true;
	return false;
}

int xs_main(int argc, char **argv)
{
	int counts[3] = { 0 }, n_names = 0, planned = 0, num = 0, opt, i;
	char **names = calloc(argc, sizeof(*names));
	const struct xs_test *test;
	sigset_t chld, mask;
	bool list = false;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "lt:h")) != -1) {
		switch (opt) {
		case 'l':
			list = true;
			break;
		case 't':
			names[n_names++] = optarg;
			break;
		default:
			xs_usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind < argc) {
		xs_usage(argv[0]);
		return 2;
	}
	for (i = 0; i < n_names; i++) {
		for (test = xs_head; test; test = test->next)
			if (!strcmp(test->name, names[i]))
				break;
		if (!test) {
			fprintf(stderr, "%s: no test named %s\n", argv[0],
				names[i]);
			return 2;
		}
	}
	if (list) {
		for (test = xs_head; test; test = test->next)
			printf("%s\n", test->name);
		return 0;
	}

	xs_sh = mmap(NULL, sizeof(*xs_sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (xs_sh == MAP_FAILED) {
		perror("xs_test: mmap");
		return 2;
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &mask);

	for (test = xs_head; test; test = test->next)
		planned += xs_selected(test, names, n_names);
	xs_line("TAP version 13");
	xs_line("1..%d", planned);
	for (test = xs_head; test; test = test->next)
		if (xs_selected(test, names, n_names))
			counts[xs_run_one(test, ++num, &mask)]++;
	xs_diag("Totals: pass:%d fail:%d skip:%d", counts[XS_PASS],
		counts[XS_FAIL], counts[XS_SKIPPED]);
	free(names);
	return counts[XS_FAIL] ? 1 : 0;
}

/* Weak, so a test binary that needs its own main() can call xs_main(). */
int __attribute__((weak)) main(int argc, char **argv)
{
	return xs_main(argc, argv);
}
