// SPDX-License-Identifier: GPL-2.0
/*
 * Closing the last fd of a session is a cancel without a reason.  The
 * peer learns XS_END_INVALIDATED when a live process closed it (close(),
 * exec of an O_CLOEXEC fd), XS_END_INTERRUPTED when the process exited
 * or was killed, at any instant: kill -9 in the middle of a stream, of a
 * request/reply exchange, or of a synchronous send.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "xs_util.h"

#define REPS	50

XS_TEST(close_is_invalidated)
{
	XSU_NAME(name);
	uint64_t cr;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_request(c, "q", 1, &cr), 0);
	XS_ASSERT_EQ(xsu_oneway(s, "last words", 10), 0);
	close(s);
	XS_EXPECT_EQ(xsu_oneway(c, "x", 1), -ESHUTDOWN);
	xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "last words", 10, NULL);
	xsu_expect_kernel_error(c, cr, XS_END_INVALIDATED);
	xsu_expect_end(c, XS_END_INVALIDATED, NULL, 0);
	close(c);
}

XS_TEST(client_close_is_invalidated)
{
	XSU_NAME(name);
	uint64_t sr;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_request(s, "q", 1, &sr), 0);
	XS_ASSERT_EQ(xsu_oneway(c, "bye", 3), 0);
	close(c);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "bye", 3, NULL);
	xsu_expect_kernel_error(s, sr, XS_END_INVALIDATED);
	xsu_expect_end(s, XS_END_INVALIDATED, NULL, 0);
	close(s);
}

XS_TEST(only_the_last_fd_counts)
{
	XSU_NAME(name);
	int c, s, d;
	pid_t pid;

	xsu_pair(name, NULL, &c, &s);
	/* A dup keeps the session alive. */
	d = dup(s);
	XS_ASSERT_OK(d);
	close(s);
	XS_EXPECT_EQ(xsu_revents(c, XSU_EV, XSU_QUIET_MS), POLLOUT);
	XS_ASSERT_EQ(xsu_oneway(c, "still", 5), 0);
	xsu_expect_item(d, XS_MSG_ONEWAY, 0, 0, 0, "still", 5, NULL);

	/* So does a copy in a child that exits. */
	pid = xsu_fork();
	if (pid == 0)
		_exit(0);
	xsu_wait_child(pid, XSU_WAIT_MS);
	XS_EXPECT_EQ(xsu_revents(c, XSU_EV, XSU_QUIET_MS), POLLOUT);
	XS_ASSERT_EQ(xsu_oneway(d, "alive", 5), 0);
	xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "alive", 5, NULL);

	close(d);
	xsu_expect_end(c, XS_END_INVALIDATED, NULL, 0);
	close(c);
}

/*
 * Hand @keep to a child; returns its pid.  The child goes on only once
 * the parent has closed its copy, so the child's is the last fd.
 */
static pid_t fork_owner(int keep, int other)
{
	struct xsu_event closed;
	pid_t pid;

	xsu_event_init(&closed);
	pid = xsu_fork();
	if (pid == 0) {
		close(other);
		xsu_event_wait(&closed, XSU_WAIT_MS);
		close(closed.fd[0]);
		close(closed.fd[1]);
		return 0;
	}
	close(keep);
	xsu_event_post(&closed);
	close(closed.fd[0]);
	close(closed.fd[1]);
	return pid;
}

XS_TEST(exit_is_interrupted)
{
	XSU_NAME(name);
	uint64_t cr;
	pid_t pid;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_request(c, "q", 1, &cr), 0);
	pid = fork_owner(s, c);
	if (pid == 0) {
		XS_ASSERT_EQ(xsu_oneway(s, "exiting", 7), 0);
		_exit(3);
	}
	xsu_reap(pid, XSU_WAIT_MS);
	xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "exiting", 7, NULL);
	/* The requests it left unanswered fail with the same reason. */
	xsu_expect_kernel_error(c, cr, XS_END_INTERRUPTED);
	xsu_expect_end(c, XS_END_INTERRUPTED, NULL, 0);
	close(c);
}

XS_TEST(client_killed_is_interrupted)
{
	XSU_NAME(name);
	uint64_t sr;
	pid_t pid;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_request(s, "q", 1, &sr), 0);
	pid = fork_owner(c, s);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	XS_ASSERT_OK(kill(pid, SIGKILL));
	xsu_reap(pid, XSU_WAIT_MS);
	xsu_expect_kernel_error(s, sr, XS_END_INTERRUPTED);
	xsu_expect_end(s, XS_END_INTERRUPTED, NULL, 0);
	close(s);
}

/* exec closes an O_CLOEXEC fd, but the process lives on: invalidated. */
XS_TEST(exec_closing_cloexec_fd_is_invalidated)
{
	XSU_NAME(name);
	pid_t pid;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(fcntl(s, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	pid = fork_owner(s, c);
	if (pid == 0) {
		char *argv[] = { "xs-exec", "-l", NULL };
		int null = open("/dev/null", O_WRONLY);

		/* Run ourselves again, just to list the tests. */
		XS_ASSERT_OK(null);
		XS_ASSERT_OK(dup2(null, STDOUT_FILENO));
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	/* The END arrives while the child may still run its new image. */
	xsu_expect_end(c, XS_END_INVALIDATED, NULL, 0);
	{
		int st = xsu_reap(pid, XSU_WAIT_MS);

		XS_EXPECT_TRUE(WIFEXITED(st));
		XS_EXPECT_EQ(WEXITSTATUS(st), 0);
	}
	close(c);
}

XS_TEST(sync_sender_on_dying_peer_eshutdown)
{
	XSU_NAME(name);
	struct xs_send_sync ss;
	char reply[16];
	pid_t pid;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	pid = fork_owner(s, c);
	if (pid == 0) {
		struct xs_msg_hdr h;
		char buf[16];

		/* Take the request, then die without answering. */
		XS_ASSERT_EQ(xsu_recv_wait(s, buf, sizeof(buf), &h,
					   XSU_WAIT_MS), 0);
		XS_ASSERT_EQ(h.kind, XS_MSG_REQUEST);
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	XS_ASSERT_EQ(xsu_send_sync(c, 0, "help", 4, reply, sizeof(reply), 0,
				   &ss), -ESHUTDOWN);
	XS_EXPECT_EQ(ss.reply_flags, XS_MSGF_KERNEL);
	XS_EXPECT_EQ(ss.reply_status, XS_END_INTERRUPTED);
	xsu_reap(pid, XSU_WAIT_MS);
	xsu_expect_end(c, XS_END_INTERRUPTED, NULL, 0);
	close(c);
}

XS_TEST(listener_process_killed_is_listener_gone)
{
	struct xsu_event ready;
	XSU_NAME(name);
	pid_t pid;
	int c;

	xsu_event_init(&ready);
	pid = xsu_fork();
	if (pid == 0) {
		int l = xsu_listen(name, 0);

		(void)l;
		xsu_event_post(&ready);
		pause();
		_exit(0);
	}
	xsu_event_wait(&ready, XSU_WAIT_MS);
	c = xsu_connect(name, 0);
	XS_ASSERT_EQ(xsu_oneway(c, "anyone?", 7), 0);
	XS_ASSERT_OK(kill(pid, SIGKILL));
	xsu_reap(pid, XSU_WAIT_MS);
	xsu_expect_end(c, XS_END_LISTENER_GONE, NULL, 0);
	XS_EXPECT_EQ(xsu_revents(c, XSU_EV, 0), POLLERR | POLLHUP);
	XS_EXPECT_EQ(xsu_try_connect(name, 0), -ENOENT);
	close(c);
}

/* ---- kill -9 at random points ------------------------------------------ */

#define STREAM_MAX	300

static uint32_t stream_len(uint64_t seq)
{
	return 8 + (seq * 37) % STREAM_MAX;
}

static void stream_fill(char *buf, uint64_t seq, uint32_t len)
{
	uint32_t i;

	memcpy(buf, &seq, 8);
	for (i = 8; i < len; i++)
		buf[i] = (char)(seq + i);
}

/* The child: stream one-way messages until killed. */
static void __attribute__((noreturn)) streamer(int fd)
{
	char buf[STREAM_MAX + 8];
	uint64_t seq;

	for (seq = 0;; seq++) {
		uint32_t len = stream_len(seq);

		stream_fill(buf, seq, len);
		if (xsu_oneway(fd, buf, len))
			_exit(2);	/* the parent ended it: not expected */
	}
}

/*
 * The parent: read until @kill_at, then SIGKILL @pid, then read the rest.
 * What arrives must be seq 0, 1, 2... without a gap, then END INTERRUPTED.
 */
static uint64_t drain_stream(int fd, pid_t pid, uint64_t kill_at)
{
	char buf[STREAM_MAX + 64], want[STREAM_MAX + 8];
	struct xs_msg_hdr h;
	bool killed = false;
	uint64_t seq = 0;
	int r;

	for (;;) {
		if (!killed && xsu_now_ns() >= kill_at) {
			XS_ASSERT_OK(kill(pid, SIGKILL));
			killed = true;
		}
		r = xsu_recv_wait(fd, buf, sizeof(buf), &h,
				  killed ? XSU_WAIT_MS : 1);
		if (r == -ETIME && !killed)
			continue;
		if (r)
			XS_FAIL("after %llu messages: recv %d (killed %d)",
				(unsigned long long)seq, r, killed);
		if (h.kind == XS_MSG_END)
			break;
		if (h.kind != XS_MSG_ONEWAY || h.payload_len != stream_len(seq))
			XS_FAIL("message %llu: kind %u len %u",
				(unsigned long long)seq, h.kind, h.payload_len);
		stream_fill(want, seq, h.payload_len);
		if (memcmp(buf, want, h.payload_len)) {
			uint64_t got;

			memcpy(&got, buf, 8);
			XS_FAIL("message %llu: got seq %llu",
				(unsigned long long)seq,
				(unsigned long long)got);
		}
		seq++;
	}
	XS_ASSERT_TRUE(killed);
	XS_ASSERT_EQ(h.status, XS_END_INTERRUPTED);
	XS_ASSERT_EQ(h.payload_len, 0);
	XS_ASSERT_EQ(xsu_recv(fd, XS_NONBLOCK, buf, sizeof(buf), NULL),
		     -ESHUTDOWN);
	{
		int st = xsu_reap(pid, XSU_WAIT_MS);

		XS_ASSERT_TRUE(WIFSIGNALED(st));
		XS_ASSERT_EQ(WTERMSIG(st), SIGKILL);
	}
	return seq;
}

static void kill_streamer(bool child_is_server, uint64_t *st)
{
	XSU_NAME(name);
	uint64_t delay_us = xsu_rand(st) % 20000;
	int c, s, mine, theirs;
	pid_t pid;

	xsu_pair(name, NULL, &c, &s);
	mine = child_is_server ? c : s;
	theirs = child_is_server ? s : c;
	pid = fork_owner(theirs, mine);
	if (pid == 0)
		streamer(theirs);
	drain_stream(mine, pid, xsu_now_ns() + delay_us * 1000);
	close(mine);
}

XS_TEST_TIMEOUT(kill9_streaming_server_50_times, 120)
{
	uint64_t st = xsu_seed();
	int i;

	for (i = 0; i < REPS; i++)
		kill_streamer(true, &st);
}

XS_TEST_TIMEOUT(kill9_streaming_client_50_times, 120)
{
	uint64_t st = xsu_seed();
	int i;

	for (i = 0; i < REPS; i++)
		kill_streamer(false, &st);
}

/* The child answers requests until killed. */
static void __attribute__((noreturn)) answerer(int fd)
{
	char buf[64];
	struct xs_msg_hdr h;

	for (;;) {
		if (xsu_recv(fd, 0, buf, sizeof(buf), &h))
			_exit(2);
		if (h.kind != XS_MSG_REQUEST)
			_exit(3);
		if (xsu_reply(fd, h.id, buf, h.payload_len))
			_exit(4);
	}
}

#define INFLIGHT	32

static void kill_answerer(bool child_is_server, uint64_t *st)
{
	XSU_NAME(name);
	uint64_t kill_at = xsu_now_ns() + (xsu_rand(st) % 20000) * 1000;
	uint64_t rid[4096], sent = 0, answered = 0, failed = 0;
	int c, s, mine, theirs, r;
	struct xs_msg_hdr h;
	bool killed = false, ended = false;
	char buf[64];
	pid_t pid;

	xsu_pair(name, NULL, &c, &s);
	mine = child_is_server ? c : s;
	theirs = child_is_server ? s : c;
	pid = fork_owner(theirs, mine);
	if (pid == 0)
		answerer(theirs);

	while (!ended) {
		if (!killed && xsu_now_ns() >= kill_at) {
			XS_ASSERT_OK(kill(pid, SIGKILL));
			killed = true;
		}
		/* Keep INFLIGHT requests outstanding until the peer dies. */
		while (sent - answered - failed < INFLIGHT &&
		       sent < sizeof(rid) / sizeof(rid[0])) {
			r = xsu_request(mine, &sent, sizeof(sent), &rid[sent]);
			if (r == -ESHUTDOWN)
				break;
			XS_ASSERT_EQ(r, 0);
			sent++;
		}
		r = xsu_recv_wait(mine, buf, sizeof(buf), &h,
				  killed ? XSU_WAIT_MS : 1);
		if (r == -ETIME && !killed)
			continue;
		XS_ASSERT_EQ(r, 0);
		switch (h.kind) {
		case XS_MSG_REPLY:
			/* Real replies: in request order, none after errors. */
			XS_ASSERT_EQ(failed, 0);
			XS_ASSERT_EQ(h.reply_to, rid[answered]);
			XS_ASSERT_EQ(h.payload_len, 8);
			XS_ASSERT_MEMEQ(buf, &answered, 8);
			answered++;
			break;
		case XS_MSG_ERROR_REPLY:
			/* Then one kernel error for each of the rest. */
			XS_ASSERT_TRUE(killed);
			XS_ASSERT_EQ(h.flags, XS_MSGF_KERNEL);
			XS_ASSERT_EQ(h.status, XS_END_INTERRUPTED);
			XS_ASSERT_EQ(h.reply_to, rid[answered + failed]);
			failed++;
			break;
		case XS_MSG_END:
			XS_ASSERT_TRUE(killed);
			XS_ASSERT_EQ(h.status, XS_END_INTERRUPTED);
			ended = true;
			break;
		default:
			XS_FAIL("unexpected item kind %u", h.kind);
		}
	}
	/* Every request got exactly one answer. */
	XS_ASSERT_EQ(answered + failed, sent);
	{
		int st = xsu_reap(pid, XSU_WAIT_MS);

		XS_ASSERT_TRUE(WIFSIGNALED(st));
	}
	close(mine);
}

XS_TEST_TIMEOUT(kill9_answering_server_50_times, 120)
{
	uint64_t st = xsu_seed();
	int i;

	for (i = 0; i < REPS; i++)
		kill_answerer(true, &st);
}

XS_TEST_TIMEOUT(kill9_answering_client_50_times, 120)
{
	uint64_t st = xsu_seed();
	int i;

	for (i = 0; i < REPS; i++)
		kill_answerer(false, &st);
}

/*
 * The child waits in SEND_SYNC (and in blocked sends behind it) when it
 * is killed; the parent sees its request(s) and then INTERRUPTED.
 */
XS_TEST_TIMEOUT(kill9_during_sync_send_50_times, 120)
{
	uint64_t st = xsu_seed();
	int i;

	for (i = 0; i < REPS; i++) {
		XSU_NAME(name);
		struct xs_msg_hdr h;
		char buf[64];
		int c, s, r, n = 0;
		pid_t pid;

		xsu_pair(name, NULL, &c, &s);
		pid = fork_owner(c, s);
		if (pid == 0) {
			char reply[8];

			for (;;)
				xsu_send_sync(c, 0, "sync", 4, reply,
					      sizeof(reply), 0, NULL);
		}
		xsu_sleep_us(xsu_rand(&st) % 10000);
		XS_ASSERT_OK(kill(pid, SIGKILL));
		xsu_reap(pid, XSU_WAIT_MS);
		for (;;) {
			r = xsu_recv_wait(s, buf, sizeof(buf), &h, XSU_WAIT_MS);
			XS_ASSERT_EQ(r, 0);
			if (h.kind == XS_MSG_END)
				break;
			XS_ASSERT_EQ(h.kind, XS_MSG_REQUEST);
			XS_ASSERT_EQ(h.flags, XS_MSGF_SYNC);
			/* Nobody is left to take the answer. */
			XS_ASSERT_EQ(xsu_reply(s, h.id, "x", 1), -ESHUTDOWN);
			XS_ASSERT_LE(++n, 1);
		}
		XS_ASSERT_EQ(h.status, XS_END_INTERRUPTED);
		close(s);
	}
}
