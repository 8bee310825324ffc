// SPDX-License-Identifier: GPL-2.0
/*
 * XS_IOC_PEER_CREDS: who is on the other end, captured at connect (the
 * client) and at accept (the server), translated into the reader's pid
 * and user namespaces; alive and the race-free pidfd recipe; the LSM
 * label when there is one.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "xs_util.h"

#define OVERFLOW_ID	65534

/* The LSM context of @pid as /proc shows it, or -1 without an LSM. */
static int lsm_context(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/attr/current", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	/* /proc adds a newline; some LSMs count a trailing NUL. */
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	buf[n] = '\0';
	return n;
}

XS_TEST(server_sees_client_and_client_sees_server)
{
	XSU_NAME(name);
	struct xs_peer_creds pc;
	int l = xsu_listen(name, 0), c, s;

	c = xsu_connect(name, 0);
	/* No server yet: nobody to describe. */
	XS_EXPECT_EQ(xsu_peer_creds(c, &pc, NULL, 0), -ENOTCONN);
	s = xsu_accept(l);
	/* Deciding: the server reads the client's credentials... */
	XS_ASSERT_EQ(xsu_peer_creds(s, &pc, NULL, 0), 0);
	XS_EXPECT_EQ(pc.pid, getpid());
	XS_EXPECT_EQ(pc.uid, 0);
	XS_EXPECT_EQ(pc.gid, 0);
	XS_EXPECT_EQ(pc.alive, 1);
	XS_EXPECT_EQ(pc.flags, 0);
	XS_EXPECT_EQ(pc.reserved[0], 0);
	XS_EXPECT_EQ(pc.reserved[1], 0);
	/* ...and the client already knows who accepted it. */
	XS_ASSERT_EQ(xsu_peer_creds(c, &pc, NULL, 0), 0);
	XS_EXPECT_EQ(pc.pid, getpid());
	XS_EXPECT_EQ(pc.alive, 1);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	XS_ASSERT_EQ(xsu_peer_creds(c, &pc, NULL, 0), 0);
	XS_EXPECT_EQ(pc.uid, 0);
	close(s);
	close(c);
	close(l);
}

XS_TEST(creds_of_other_uid_and_gid)
{
	struct xsu_event connected, done;
	XSU_NAME(name);
	struct xs_peer_creds pc;
	int l = xsu_listen(name, XS_LISTEN_SYSTEM), s;
	pid_t pid;

	xsu_event_init(&connected);
	xsu_event_init(&done);
	pid = xsu_fork();
	if (pid == 0) {
		int c;

		xsu_become(1000, 2000);
		c = xsu_connect(name, XS_CONNECT_WAIT);
		XS_ASSERT_EQ(xsu_peer_creds(c, &pc, NULL, 0), 0);
		XS_ASSERT_EQ(pc.pid, getppid());
		XS_ASSERT_EQ(pc.uid, 0);
		XS_ASSERT_EQ(pc.gid, 0);
		XS_ASSERT_EQ(pc.alive, 1);
		xsu_event_post(&connected);
		xsu_event_wait(&done, XSU_WAIT_MS);
		close(c);
		_exit(0);
	}
	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_peer_creds(s, &pc, NULL, 0), 0);
	XS_EXPECT_EQ(pc.pid, pid);
	XS_EXPECT_EQ(pc.uid, 1000);
	XS_EXPECT_EQ(pc.gid, 2000);
	XS_EXPECT_EQ(pc.alive, 1);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	xsu_event_wait(&connected, XSU_WAIT_MS);
	xsu_event_post(&done);
	xsu_wait_child(pid, XSU_WAIT_MS);
	close(s);
	close(l);
}

/* Like SO_PEERCRED: what the client was when it connected. */
XS_TEST(creds_captured_at_connect)
{
	XSU_NAME(name);
	struct xsu_event ready, done;
	struct xs_peer_creds pc;
	int l = xsu_listen(name, XS_LISTEN_SYSTEM), s;
	pid_t pid;

	xsu_event_init(&ready);
	xsu_event_init(&done);
	pid = xsu_fork();
	if (pid == 0) {
		int c = xsu_connect(name, 0);

		xsu_become(1000, 1000);
		xsu_event_post(&ready);
		xsu_event_wait(&done, XSU_WAIT_MS);
		close(c);
		_exit(0);
	}
	xsu_event_wait(&ready, XSU_WAIT_MS);
	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_peer_creds(s, &pc, NULL, 0), 0);
	XS_EXPECT_EQ(pc.uid, 0);
	XS_EXPECT_EQ(pc.gid, 0);
	XS_EXPECT_EQ(pc.pid, pid);
	xsu_event_post(&done);
	xsu_wait_child(pid, XSU_WAIT_MS);
	close(s);
	close(l);
}

/* The connecting process dies while a child keeps the session open. */
XS_TEST(alive_drops_when_the_peer_process_is_gone)
{
	XSU_NAME(name);
	struct xsu_event ready;
	struct xs_peer_creds pc;
	int l = xsu_listen(name, 0), s;
	pid_t pid, holder;

	xsu_event_init(&ready);
	pid = xsu_fork();
	if (pid == 0) {
		int c = xsu_connect(name, 0);
		pid_t h = xsu_fork();

		if (h == 0) {
			/* Keep the session; wait to be killed. */
			pause();
			_exit(0);
		}
		close(c);
		xsu_event_post_val(&ready, h);
		_exit(0);
	}
	holder = xsu_event_wait_val(&ready, XSU_WAIT_MS);
	xsu_wait_child(pid, XSU_WAIT_MS);
	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	XS_ASSERT_EQ(xsu_peer_creds(s, &pc, NULL, 0), 0);
	/* Still the pid that connected, but it is gone. */
	XS_EXPECT_EQ(pc.pid, pid);
	XS_EXPECT_EQ(pc.alive, 0);
	/* The session itself lives on in the holder. */
	XS_EXPECT_EQ(xsu_revents(s, XSU_EV, 0), POLLOUT);
	kill(holder, SIGKILL);
	/* The holder is not our child; its end shows as an END. */
	xsu_expect_end(s, XS_END_INTERRUPTED, NULL, 0);
	close(s);
	close(l);
}

XS_TEST(pidfd_recipe)
{
	XSU_NAME(name);
	struct xs_peer_creds pc;
	int l = xsu_listen(name, 0), s, pidfd;
	char val[32];
	pid_t pid;

	pid = xsu_fork();
	if (pid == 0) {
		int c = xsu_connect(name, XS_CONNECT_WAIT);

		(void)c;
		pause();
		_exit(0);
	}
	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	XS_ASSERT_EQ(xsu_peer_creds(s, &pc, NULL, 0), 0);
	XS_ASSERT_EQ(pc.pid, pid);
	pidfd = syscall(SYS_pidfd_open, pc.pid, 0);
	if (pidfd < 0 && errno == ENOSYS) {
		kill(pid, SIGKILL);
		xsu_reap(pid, XSU_WAIT_MS);
		XS_SKIP("pidfd_open: ENOSYS");
	}
	XS_ASSERT_OK(pidfd);
	/* Asked again after pidfd_open: alive proves it is the peer's. */
	XS_ASSERT_EQ(xsu_peer_creds(s, &pc, NULL, 0), 0);
	XS_ASSERT_EQ(pc.alive, 1);
	if (xsu_fdinfo(pidfd, "Pid", val, sizeof(val)))
		XS_EXPECT_EQ(atoi(val), pid);
	/* The pidfd works: it signals the peer. */
	XS_ASSERT_OK(syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0));
	{
		int st = xsu_reap(pid, XSU_WAIT_MS);

		XS_EXPECT_TRUE(WIFSIGNALED(st));
	}
	XS_ASSERT_EQ(xsu_peer_creds(s, &pc, NULL, 0), 0);
	XS_EXPECT_EQ(pc.alive, 0);
	close(pidfd);
	close(s);
	close(l);
}

XS_TEST(peer_creds_struct_checks)
{
	XSU_NAME(name);
	struct {
		struct xs_peer_creds pc;
		uint64_t tail;
	} b;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
#define RESET()							\
	do {							\
		memset(&b, 0, sizeof(b));			\
		b.pc.size = sizeof(b.pc);			\
	} while (0)
	RESET();
	b.pc.size = 0;
	XS_EXPECT_ERRNO(ioctl(s, XS_IOC_PEER_CREDS, &b.pc), EINVAL);
	b.pc.size = sizeof(b.pc) - 8;
	XS_EXPECT_ERRNO(ioctl(s, XS_IOC_PEER_CREDS, &b.pc), EINVAL);
	RESET();
	b.pc.flags = 1;
	XS_EXPECT_ERRNO(ioctl(s, XS_IOC_PEER_CREDS, &b.pc), EINVAL);
	RESET();
	b.pc.reserved[0] = 1;
	XS_EXPECT_ERRNO(ioctl(s, XS_IOC_PEER_CREDS, &b.pc), EINVAL);
	RESET();
	b.pc.reserved[1] = 1;
	XS_EXPECT_ERRNO(ioctl(s, XS_IOC_PEER_CREDS, &b.pc), EINVAL);
	RESET();
	b.pc.size = sizeof(b);
	b.tail = 1;
	XS_EXPECT_ERRNO(ioctl(s, XS_IOC_PEER_CREDS, &b.pc), E2BIG);
	/* Out fields are ignored on input: a struct can be reused. */
	RESET();
	b.pc.pid = 1;
	b.pc.uid = 2;
	b.pc.gid = 3;
	b.pc.alive = 4;
	b.pc.label_len = 5;
	XS_ASSERT_EQ(ioctl(s, XS_IOC_PEER_CREDS, &b.pc), 0);
	XS_EXPECT_EQ(b.pc.pid, getpid());
	XS_EXPECT_EQ(b.pc.uid, getuid());
	XS_EXPECT_EQ(b.pc.gid, getgid());
	XS_EXPECT_EQ(b.pc.alive, 1);
	/* A newer caller's zero tail is fine and stays zero. */
	RESET();
	b.pc.size = sizeof(b);
	XS_ASSERT_EQ(ioctl(s, XS_IOC_PEER_CREDS, &b.pc), 0);
	XS_EXPECT_EQ(b.pc.pid, getpid());
	XS_EXPECT_EQ(b.tail, 0);
#undef RESET
	close(c);
	close(s);
}

XS_TEST(peer_creds_label)
{
	XSU_NAME(name);
	struct xs_peer_creds pc;
	char want[256], label[256];
	int c, s, n;

	xsu_pair(name, NULL, &c, &s);
	n = lsm_context(getpid(), want, sizeof(want));
	memset(label, 0x5a, sizeof(label));
	XS_ASSERT_EQ(xsu_peer_creds(s, &pc, label, sizeof(label)), 0);
	if (n < 0) {
		XS_EXPECT_EQ(pc.label_len, 0);
		XS_EXPECT_EQ((unsigned char)label[0], 0x5a);
		close(c);
		close(s);
		XS_SKIP("no LSM context in /proc/self/attr/current");
	}
	xs_diag("LSM context \"%s\", label_len %u", want, pc.label_len);
	/* The LSM's bytes; a trailing NUL may or may not be counted. */
	XS_ASSERT_GE(pc.label_len, (uint32_t)n);
	XS_ASSERT_LE(pc.label_len, (uint32_t)n + 1);
	XS_EXPECT_MEMEQ(label, want, n);
	if (pc.label_len == (uint32_t)n + 1)
		XS_EXPECT_EQ(label[n], '\0');

	/* Too small: the length, and no bytes. */
	{
		uint32_t need = pc.label_len;

		memset(label, 0x5a, sizeof(label));
		XS_ASSERT_EQ(xsu_peer_creds(s, &pc, label, need - 1), 0);
		XS_EXPECT_EQ(pc.label_len, need);
		XS_EXPECT_EQ((unsigned char)label[0], 0x5a);
		/* No buffer at all: just the length. */
		XS_ASSERT_EQ(xsu_peer_creds(s, &pc, NULL, 0), 0);
		XS_EXPECT_EQ(pc.label_len, need);
		/* A bad buffer that claims to be big enough. */
		XS_EXPECT_EQ(xsu_peer_creds(s, &pc, (void *)1, 4096), -EFAULT);
	}
	close(c);
	close(s);
}

/* ---- namespaces ---------------------------------------------------------- */

struct userns_args {
	const char *name;
	pid_t server_pid;
	uint32_t want_uid, want_gid;	/* the server's ids as we see them */
};

static void userns_client(void *p)
{
	struct userns_args *a = p;
	struct xs_peer_creds pc;
	int c;

	XS_ASSERT_EQ(geteuid(), 0);
	/* Our kuid is 1000: the parent's SYSTEM listener is found. */
	c = xsu_connect(a->name, XS_CONNECT_WAIT);
	XS_ASSERT_EQ(xsu_peer_creds(c, &pc, NULL, 0), 0);
	XS_ASSERT_EQ(pc.uid, a->want_uid);
	XS_ASSERT_EQ(pc.gid, a->want_gid);
	XS_ASSERT_EQ(pc.pid, a->server_pid);
	XS_ASSERT_EQ(pc.alive, 1);
	XS_ASSERT_EQ(xsu_oneway(c, "done", 4), 0);
	close(c);
}

static void userns_case(const char *map, uint32_t want_uid)
{
	XSU_NAME(name);
	struct userns_args a = {
		.name = name, .server_pid = getpid(),
		.want_uid = want_uid, .want_gid = want_uid,
	};
	struct xs_peer_creds pc;
	int l = xsu_listen(name, XS_LISTEN_SYSTEM), s;
	pid_t pid;

	pid = xsu_fork_unshared(CLONE_NEWUSER, 1000, map, map, userns_client,
				&a);
	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_peer_creds(s, &pc, NULL, 0), 0);
	/* In the initial namespace the child is plain uid/gid 1000. */
	XS_EXPECT_EQ(pc.uid, 1000);
	XS_EXPECT_EQ(pc.gid, 1000);
	XS_EXPECT_EQ(pc.pid, pid);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "done", 4, NULL);
	xsu_wait_child(pid, XSU_WAIT_MS);
	close(s);
	close(l);
}

XS_TEST(user_namespace_translates_ids)
{
	/* Root of the initial namespace is unmapped in the child's. */
	userns_case("0 1000 1", OVERFLOW_ID);
}

XS_TEST(user_namespace_mapped_root)
{
	/* With kuid 0 mapped to 1 in the child's namespace, it reads 1. */
	userns_case("0 1000 1\n1 0 1\n", 1);
}

struct pidns_args {
	const char *name;
	struct xsu_event *child_pid;	/* the grandchild's pid, outside */
};

static void pidns_parent(void *p)
{
	struct pidns_args *a = p;
	pid_t inner = xsu_fork();

	if (inner == 0) {
		struct xs_peer_creds pc;
		int c;

		/* First process of the new pid namespace. */
		XS_ASSERT_EQ(getpid(), 1);
		c = xsu_connect(a->name, XS_CONNECT_WAIT);
		XS_ASSERT_EQ(xsu_peer_creds(c, &pc, NULL, 0), 0);
		/* The server lives outside our namespace: invisible. */
		XS_ASSERT_EQ(pc.pid, 0);
		XS_ASSERT_EQ(pc.uid, 0);
		XS_ASSERT_EQ(pc.alive, 1);
		XS_ASSERT_EQ(xsu_oneway(c, "inner", 5), 0);
		close(c);
		_exit(0);
	}
	xsu_event_post_val(a->child_pid, inner);
	xsu_wait_child(inner, 2 * XSU_WAIT_MS);
}

XS_TEST(pid_namespace_translates_pids)
{
	XSU_NAME(name);
	struct xsu_event ev;
	struct pidns_args a = { .name = name, .child_pid = &ev };
	struct xs_peer_creds pc;
	int l = xsu_listen(name, 0), s;
	pid_t pid, inner;

	xsu_event_init(&ev);
	pid = xsu_fork_unshared(CLONE_NEWPID, -1, NULL, NULL, pidns_parent,
				&a);
	inner = xsu_event_wait_val(&ev, XSU_WAIT_MS);
	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_peer_creds(s, &pc, NULL, 0), 0);
	/* We see the grandchild by its pid in our namespace. */
	XS_EXPECT_EQ(pc.pid, inner);
	XS_EXPECT_NE(pc.pid, 1);
	XS_EXPECT_EQ(pc.alive, 1);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "inner", 5, NULL);
	xsu_wait_child(pid, 3 * XSU_WAIT_MS);
	close(s);
	close(l);
}
