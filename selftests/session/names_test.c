// SPDX-License-Identifier: GPL-2.0
/*
 * Service names: what a name may be, how it is read from userspace, and
 * where it lives: per IPC namespace, in the registrant's euid domain or
 * in the system domain (CAP_SYS_ADMIN), free again after the listener is
 * cancelled or closed.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "xs_util.h"

#define UID_A	1000
#define UID_B	1001

static const char *const valid_names[] = {
	"a", "Z", "a1", "a.b", "com.example.kv", "org.example.kv-2",
	"a.1", "a.-", "a._x", "A-b_c.D-9.e", "x.y.z.w.v.u.t.s",
	"abc-", "abc_", "a.b-c.d_e",
};

static const char *const invalid_names[] = {
	"", ".", "..", ".a", "a.", "a..b", "1a", "-a", "_a", "9.a",
	"a b", " a", "a ", "a/b", "a:b", "a*", "a\tb", "a\n", "a@b",
	"a,b", "a+b", "a~", "a\\b", "a\"b", "a.b.", "a.b..c",
	"\xe9t\xe9",		/* Latin-1 letters are not letters here */
	"a\xc3\xa9",		/* nor is UTF-8 */
	"a\x7f", "a\x01",
};

/* A name of @len bytes: "a" followed by 'b's, NUL terminated. */
static char *long_name(size_t len)
{
	char *s = malloc(len + 1);

	XS_ASSERT_NE(s, NULL);
	memset(s, 'b', len);
	s[0] = 'a';
	s[len] = '\0';
	return s;
}

XS_TEST(valid_names_listen_and_connect)
{
	unsigned int i;

	for (i = 0; i < sizeof(valid_names) / sizeof(valid_names[0]); i++) {
		int l, c, s;

		l = xsu_try_listen(valid_names[i], 0);
		if (l < 0)
			xs_diag("listen \"%s\"", valid_names[i]);
		XS_ASSERT_OK(l);
		c = xsu_try_connect(valid_names[i], 0);
		if (c < 0)
			xs_diag("connect \"%s\"", valid_names[i]);
		XS_ASSERT_OK(c);
		s = xsu_accept(l);
		close(s);
		close(c);
		close(l);
	}
}

XS_TEST(name_of_127_bytes_ok)
{
	char *name = long_name(XS_NAME_MAX - 1);
	int l, c;

	l = xsu_listen(name, 0);
	c = xsu_connect(name, 0);
	close(c);
	close(l);
	free(name);
}

XS_TEST(invalid_names_einval)
{
	unsigned int i;

	for (i = 0; i < sizeof(invalid_names) / sizeof(invalid_names[0]); i++) {
		int fd = xsu_open(), r;

		r = xsu_listen_fd(fd, invalid_names[i], 0);
		if (r != -EINVAL)
			xs_diag("listen name #%u \"%s\"", i, invalid_names[i]);
		XS_EXPECT_EQ(r, -EINVAL);
		r = xsu_connect_fd(fd, invalid_names[i], 0, 0);
		if (r != -EINVAL)
			xs_diag("connect name #%u \"%s\"", i, invalid_names[i]);
		XS_EXPECT_EQ(r, -EINVAL);
		r = xsu_listen_fd(fd, invalid_names[i], XS_LISTEN_SYSTEM);
		XS_EXPECT_EQ(r, -EINVAL);
		r = xsu_connect_fd(fd, invalid_names[i], XS_CONNECT_PRIVILEGED,
				   0);
		XS_EXPECT_EQ(r, -EINVAL);
		close(fd);
	}
}

/* A failed LISTEN or CONNECT leaves the endpoint unbound and usable. */
XS_TEST(failed_bind_leaves_endpoint_unbound)
{
	XSU_NAME(name);
	XSU_NAME(missing);
	int fd = xsu_open(), l, c, s;

	XS_ASSERT_EQ(xsu_listen_fd(fd, "1bad", 0), -EINVAL);
	XS_ASSERT_EQ(xsu_connect_fd(fd, "bad.", 0, 0), -EINVAL);
	XS_ASSERT_EQ(xsu_connect_fd(fd, missing, 0, 0), -ENOENT);
	XS_ASSERT_EQ(xsu_listen_fd(fd, name, 0), 0);
	close(fd);

	l = xsu_listen(name, 0);
	fd = xsu_open();
	XS_ASSERT_EQ(xsu_listen_fd(fd, name, 0), -EADDRINUSE);
	/* Still unbound: it can become a client of that very name. */
	XS_ASSERT_EQ(xsu_connect_fd(fd, name, 0, 0), 0);
	c = fd;
	s = xsu_accept(l);
	close(s);
	close(c);
	close(l);
}

XS_TEST(name_without_nul_in_128_bytes_enametoolong)
{
	char *n128 = long_name(XS_NAME_MAX), *n4k = long_name(4096);
	char junk[XS_NAME_MAX + 8];
	int fd = xsu_open();

	XS_EXPECT_EQ(xsu_listen_fd(fd, n128, 0), -ENAMETOOLONG);
	XS_EXPECT_EQ(xsu_connect_fd(fd, n128, 0, 0), -ENAMETOOLONG);
	XS_EXPECT_EQ(xsu_listen_fd(fd, n4k, 0), -ENAMETOOLONG);
	XS_EXPECT_EQ(xsu_connect_fd(fd, n4k, 0, 0), -ENAMETOOLONG);
	XS_EXPECT_EQ(xsu_listen_fd(fd, n128, XS_LISTEN_SYSTEM), -ENAMETOOLONG);
	/* The length is judged before the characters. */
	memset(junk, '#', sizeof(junk) - 1);
	junk[sizeof(junk) - 1] = '\0';
	XS_EXPECT_EQ(xsu_listen_fd(fd, junk, 0), -ENAMETOOLONG);
	XS_EXPECT_EQ(xsu_connect_fd(fd, junk, 0, 0), -ENAMETOOLONG);
	/* And the endpoint is still unbound. */
	XS_EXPECT_EQ(xsu_recv(fd, XS_NONBLOCK, NULL, 0, NULL), -ENOTCONN);
	close(fd);
	free(n128);
	free(n4k);
}

/*
 * Names that end right before an unmapped page: the kernel reads at most
 * XS_NAME_MAX bytes, so 128 name bytes there are too long (not a fault),
 * fewer without a NUL fault, and a NUL on the last byte is fine.
 */
XS_TEST(name_at_page_end)
{
	size_t ps = sysconf(_SC_PAGESIZE);
	char *page, *end;
	int fd = xsu_open(), l;

	page = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	XS_ASSERT_NE(page, MAP_FAILED);
	XS_ASSERT_OK(munmap(page + ps, ps));
	end = page + ps;
	memset(page, 'q', ps);

	XS_EXPECT_EQ(xsu_listen_fd(fd, end - XS_NAME_MAX, 0), -ENAMETOOLONG);
	XS_EXPECT_EQ(xsu_connect_fd(fd, end - XS_NAME_MAX, 0, 0),
		     -ENAMETOOLONG);
	XS_EXPECT_EQ(xsu_listen_fd(fd, end - 20, 0), -EFAULT);
	XS_EXPECT_EQ(xsu_connect_fd(fd, end - 20, 0, 0), -EFAULT);
	XS_EXPECT_EQ(xsu_listen_fd(fd, end - 1, 0), -EFAULT);

	/* "q.<pid>" ending with its NUL on the last mapped byte. */
	{
		char name[32];
		int len = snprintf(name, sizeof(name), "q.p%d", (int)getpid());

		memcpy(end - len - 1, name, len + 1);
		XS_EXPECT_EQ(xsu_listen_fd(fd, end - len - 1, 0), 0);
		l = xsu_connect(name, 0);
		close(l);
	}
	close(fd);
	munmap(page, ps);
}

XS_TEST(name_bad_pointer_efault)
{
	static const uint64_t bad[] = {
		0, 1, 4095, 0xffffffffff600000ull, 0xffff800000000000ull,
		~0ull,
	};
	unsigned int i;
	int fd = xsu_open();

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xs_listen l;
		struct xs_connect c;

		xsu_listen_init(&l, NULL, 0);
		l.name = bad[i];
		XS_EXPECT_EQ(xsu_listen_raw(fd, &l), -EFAULT);
		xsu_connect_init(&c, NULL, 0);
		c.name = bad[i];
		XS_EXPECT_EQ(xsu_connect_raw(fd, &c), -EFAULT);
	}
	close(fd);
}

XS_TEST(duplicate_name_eaddrinuse)
{
	XSU_NAME(name);
	int a = xsu_listen(name, 0), sa = xsu_listen(name, XS_LISTEN_SYSTEM);

	/* The user and the system domain each hold it once. */
	XS_EXPECT_EQ(xsu_try_listen(name, 0), -EADDRINUSE);
	XS_EXPECT_EQ(xsu_try_listen(name, XS_LISTEN_SYSTEM), -EADDRINUSE);
	XS_EXPECT_EQ(xsu_try_listen(name, XS_LISTEN_INACTIVE), -EADDRINUSE);
	close(a);
	close(sa);
}

XS_TEST(name_free_after_close)
{
	XSU_NAME(name);
	int i, l, c, s;

	for (i = 0; i < 20; i++) {
		l = xsu_listen(name, 0);
		XS_ASSERT_EQ(xsu_try_listen(name, 0), -EADDRINUSE);
		c = xsu_connect(name, 0);
		s = xsu_accept(l);
		close(l);
		close(s);
		close(c);
	}
	/* Gone with its listener: nobody to connect to. */
	XS_EXPECT_EQ(xsu_try_connect(name, 0), -ENOENT);
	l = xsu_listen(name, XS_LISTEN_SYSTEM);
	close(l);
	l = xsu_listen(name, XS_LISTEN_SYSTEM);
	close(l);
}

XS_TEST(name_free_after_cancel)
{
	XSU_NAME(name);
	int old = xsu_listen(name, 0), fresh, c, s;

	XS_ASSERT_EQ(xsu_cancel(old, "moving", 6), 0);
	/* The name is free at once, while the old fd is still open. */
	XS_ASSERT_EQ(xsu_try_connect(name, 0), -ENOENT);
	fresh = xsu_listen(name, 0);
	c = xsu_connect(name, 0);
	/* The request went to the new listener, not the cancelled one. */
	XS_EXPECT_EQ(xsu_accept_raw(old), -ESHUTDOWN);
	s = xsu_accept(fresh);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	XS_ASSERT_EQ(xsu_oneway(c, "hi", 2), 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "hi", 2, NULL);
	/* Closing the old, cancelled listener does not take the name. */
	close(old);
	XS_EXPECT_EQ(xsu_try_listen(name, 0), -EADDRINUSE);
	close(s);
	close(c);
	close(fresh);

	/* Same for the system domain. */
	old = xsu_listen(name, XS_LISTEN_SYSTEM);
	XS_ASSERT_EQ(xsu_cancel(old, NULL, 0), 0);
	fresh = xsu_listen(name, XS_LISTEN_SYSTEM);
	close(fresh);
	close(old);
}

XS_TEST(bind_twice_eisconn)
{
	XSU_NAME(name);
	XSU_NAME(other);
	int l = xsu_listen(name, 0), c, s, o = xsu_listen(other, 0);

	XS_EXPECT_EQ(xsu_listen_fd(l, other, 0), -EISCONN);
	XS_EXPECT_EQ(xsu_listen_fd(l, name, 0), -EISCONN);
	XS_EXPECT_EQ(xsu_connect_fd(l, other, 0, 0), -EISCONN);
	c = xsu_connect(name, 0);
	XS_EXPECT_EQ(xsu_connect_fd(c, other, 0, 0), -EISCONN);
	XS_EXPECT_EQ(xsu_listen_fd(c, "fresh.name", 0), -EISCONN);
	s = xsu_accept(l);
	XS_EXPECT_EQ(xsu_listen_fd(s, "fresh.name", 0), -EISCONN);
	XS_EXPECT_EQ(xsu_connect_fd(s, other, 0, 0), -EISCONN);
	/* None of these reached the other listener. */
	XS_EXPECT_EQ(xsu_revents(o, XSU_EV, 0), 0);
	/* Even after it ended, a session never binds again. */
	XS_ASSERT_EQ(xsu_cancel(c, NULL, 0), 0);
	XS_EXPECT_EQ(xsu_connect_fd(c, other, 0, 0), -EISCONN);
	XS_ASSERT_EQ(xsu_cancel(l, NULL, 0), 0);
	XS_EXPECT_EQ(xsu_listen_fd(l, name, 0), -EISCONN);
	close(s);
	close(c);
	close(l);
	close(o);
}

XS_TEST(connect_unknown_enoent)
{
	XSU_NAME(name);
	uint64_t t0 = xsu_now_ns();

	XS_EXPECT_EQ(xsu_try_connect(name, 0), -ENOENT);
	XS_EXPECT_EQ(xsu_try_connect(name, XS_CONNECT_PRIVILEGED), -ENOENT);
	/* At once, even when asked to wait for a decision. */
	XS_EXPECT_EQ(xsu_try_connect(name, XS_CONNECT_WAIT), -ENOENT);
	XS_EXPECT_LT(xsu_now_ns() - t0, 5000000000ull);
}

/*
 * Per-uid domains: 1000 registers a name; 1001 cannot see it and may
 * register the same name for itself; root does not see it either.
 */
XS_TEST(user_domains_are_separate)
{
	struct xsu_event a_ready, b_ready, a_checked, done;
	XSU_NAME(name);
	pid_t a, b;
	int fd;

	xsu_event_init(&a_ready);
	xsu_event_init(&b_ready);
	xsu_event_init(&a_checked);
	xsu_event_init(&done);

	a = xsu_fork();
	if (a == 0) {
		int l, c, s;

		xsu_become(UID_A, UID_A);
		l = xsu_listen(name, 0);
		xsu_event_post(&a_ready);
		xsu_event_wait(&b_ready, XSU_WAIT_MS);
		/* Nobody else's connect reached us. */
		XS_ASSERT_EQ(xsu_revents(l, XSU_EV, 0), 0);
		/* Our own domain finds our own listener. */
		c = xsu_connect(name, 0);
		s = xsu_accept(l);
		close(s);
		close(c);
		xsu_event_post(&a_checked);
		xsu_event_wait(&done, XSU_WAIT_MS);
		close(l);
		_exit(0);
	}
	xsu_event_wait(&a_ready, XSU_WAIT_MS);

	b = xsu_fork();
	if (b == 0) {
		int l, c, s;

		xsu_become(UID_B, UID_B);
		XS_ASSERT_EQ(xsu_try_connect(name, 0), -ENOENT);
		XS_ASSERT_EQ(xsu_try_connect(name, XS_CONNECT_PRIVILEGED),
			     -ENOENT);
		/* 1000's name does not stop 1001 from registering it. */
		l = xsu_listen(name, 0);
		c = xsu_connect(name, 0);
		s = xsu_accept(l);
		close(s);
		close(c);
		xsu_event_post(&b_ready);
		/* Keep ours while 1000 and root use theirs. */
		xsu_event_wait(&done, XSU_WAIT_MS);
		close(l);
		_exit(0);
	}

	xsu_event_wait(&a_checked, XSU_WAIT_MS);
	/* Root's own domain does not hold it either... */
	XS_EXPECT_EQ(xsu_try_connect(name, 0), -ENOENT);
	/* ...and root may take the name there too. */
	fd = xsu_listen(name, 0);
	xsu_event_post(&done);
	xsu_event_post(&done);
	xsu_wait_child(b, XSU_WAIT_MS);
	xsu_wait_child(a, XSU_WAIT_MS);
	close(fd);
}

/*
 * The system domain: root registers with XS_LISTEN_SYSTEM, an unprivileged
 * uid may not; a plain connect falls through to it; a privileged connect
 * finds only it, never a user-domain name of the same spelling.
 */
XS_TEST(system_domain)
{
	XSU_NAME(name);
	XSU_NAME(user_only);
	pid_t pid;
	int sys;

	sys = xsu_listen(name, XS_LISTEN_SYSTEM);
	/* Root's own (user) domain is empty: plain connect reaches system. */
	{
		int c = xsu_connect(name, 0), s = xsu_accept(sys);

		close(s);
		close(c);
	}
	{
		int u = xsu_listen(user_only, 0);

		XS_EXPECT_EQ(xsu_try_connect(user_only, XS_CONNECT_PRIVILEGED),
			     -ENOENT);
		close(u);
	}

	pid = xsu_fork();
	if (pid == 0) {
		int c, s, mine, other;

		xsu_become(UID_A, UID_A);
		XS_ASSERT_EQ(xsu_try_listen(name, XS_LISTEN_SYSTEM), -EPERM);
		XS_ASSERT_EQ(xsu_try_listen(user_only, XS_LISTEN_SYSTEM),
			     -EPERM);
		XS_ASSERT_EQ(xsu_try_listen(name, XS_LISTEN_SYSTEM |
					    XS_LISTEN_INACTIVE), -EPERM);

		/* Plain and privileged connects both find root's system name. */
		c = xsu_connect(name, 0);
		s = xsu_accept(sys);
		close(s);
		close(c);
		c = xsu_connect(name, XS_CONNECT_PRIVILEGED);
		s = xsu_accept(sys);
		close(s);
		close(c);

		/* Our own listener of the same name shadows it for plain
		 * connects only. */
		mine = xsu_listen(name, 0);
		c = xsu_connect(name, 0);
		XS_ASSERT_EQ(xsu_revents(sys, XSU_EV, 0), 0);
		s = xsu_accept(mine);
		close(s);
		close(c);
		c = xsu_connect(name, XS_CONNECT_PRIVILEGED);
		XS_ASSERT_EQ(xsu_revents(mine, XSU_EV, 0), 0);
		s = xsu_accept(sys);
		close(s);
		close(c);

		/* A name only in our user domain is not a system service. */
		other = xsu_listen(user_only, 0);
		XS_ASSERT_EQ(xsu_try_connect(user_only, XS_CONNECT_PRIVILEGED),
			     -ENOENT);
		c = xsu_connect(user_only, 0);
		close(c);
		close(other);
		close(mine);
		_exit(0);
	}
	xsu_wait_child(pid, XSU_WAIT_MS);
	close(sys);
}

/* uid 0 without CAP_SYS_ADMIN is not privileged. */
XS_TEST(system_domain_needs_cap_sys_admin)
{
	XSU_NAME(name);
	pid_t pid = xsu_fork();

	if (pid == 0) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2];
		int l;

		XS_ASSERT_OK(syscall(SYS_capget, &hdr, data));
		data[CAP_SYS_ADMIN / 32].effective &=
			~(1u << (CAP_SYS_ADMIN % 32));
		XS_ASSERT_OK(syscall(SYS_capset, &hdr, data));
		XS_ASSERT_EQ(geteuid(), 0);
		XS_ASSERT_EQ(xsu_try_listen(name, XS_LISTEN_SYSTEM), -EPERM);
		l = xsu_listen(name, 0);
		close(l);
		_exit(0);
	}
	xsu_wait_child(pid, XSU_WAIT_MS);
}

struct ipc_args {
	const char *user_name;		/* root's user domain, outside */
	const char *sys_name;		/* system domain, outside */
};

static void ipc_child(void *p)
{
	struct ipc_args *a = p;
	int l, s, c, srv;

	/* Nothing registered outside is visible in here. */
	XS_ASSERT_EQ(xsu_try_connect(a->user_name, 0), -ENOENT);
	XS_ASSERT_EQ(xsu_try_connect(a->sys_name, 0), -ENOENT);
	XS_ASSERT_EQ(xsu_try_connect(a->sys_name, XS_CONNECT_PRIVILEGED),
		     -ENOENT);
	/* The same names can be registered in here... */
	l = xsu_listen(a->user_name, 0);
	s = xsu_listen(a->sys_name, XS_LISTEN_SYSTEM);
	/* ...and are the ones connects in here find. */
	c = xsu_connect(a->user_name, 0);
	srv = xsu_accept(l);
	XS_ASSERT_EQ(xsu_activate(srv), 0);
	XS_ASSERT_EQ(xsu_oneway(c, "in", 2), 0);
	xsu_expect_item(srv, XS_MSG_ONEWAY, 0, 0, 0, "in", 2, NULL);
	close(srv);
	close(c);
	c = xsu_connect(a->sys_name, XS_CONNECT_PRIVILEGED);
	srv = xsu_accept(s);
	close(srv);
	close(c);
	close(s);
	close(l);
}

XS_TEST(ipc_namespace_isolation)
{
	XSU_NAME(user_name);
	XSU_NAME(sys_name);
	struct ipc_args a = { user_name, sys_name };
	int l = xsu_listen(user_name, 0), s = xsu_listen(sys_name,
							  XS_LISTEN_SYSTEM);
	pid_t pid;
	int c, srv;

	pid = xsu_fork_unshared(CLONE_NEWIPC, -1, NULL, NULL, ipc_child, &a);
	xsu_wait_child(pid, 2 * XSU_WAIT_MS);
	/* Outside, ours are untouched and got no request from inside. */
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, 0), 0);
	XS_EXPECT_EQ(xsu_revents(s, XSU_EV, 0), 0);
	c = xsu_connect(user_name, 0);
	srv = xsu_accept(l);
	close(srv);
	close(c);
	XS_EXPECT_EQ(xsu_try_listen(user_name, 0), -EADDRINUSE);
	XS_EXPECT_EQ(xsu_try_listen(sys_name, XS_LISTEN_SYSTEM), -EADDRINUSE);
	close(s);
	close(l);
}

static void userns_only_child(void *p)
{
	const char *name = p;
	int l;

	/*
	 * Root of a new user namespace, but the IPC namespace still
	 * belongs to the initial one: no system domain for us.
	 */
	XS_ASSERT_EQ(geteuid(), 0);
	XS_ASSERT_EQ(xsu_try_listen(name, XS_LISTEN_SYSTEM), -EPERM);
	l = xsu_listen(name, 0);
	close(l);
}

XS_TEST(system_domain_needs_cap_over_ipc_ns_owner)
{
	XSU_NAME(name);
	pid_t pid;

	pid = xsu_fork_unshared(CLONE_NEWUSER, 1000, "0 1000 1", "0 1000 1",
				userns_only_child, name);
	xsu_wait_child(pid, XSU_WAIT_MS);
}

static void userns_ipc_child(void *p)
{
	const char *name = p;
	int l, c, s;

	/* Our own IPC namespace, owned by our user namespace. */
	l = xsu_listen(name, XS_LISTEN_SYSTEM);
	c = xsu_connect(name, XS_CONNECT_PRIVILEGED);
	s = xsu_accept(l);
	close(s);
	close(c);
	close(l);
}

XS_TEST(system_domain_in_own_user_and_ipc_ns)
{
	XSU_NAME(name);
	pid_t pid;

	pid = xsu_fork_unshared(CLONE_NEWUSER | CLONE_NEWIPC, 1000,
				"0 1000 1",
				"0 1000 1", userns_ipc_child, name);
	xsu_wait_child(pid, XSU_WAIT_MS);
	/* Nothing of it leaked out here. */
	XS_EXPECT_EQ(xsu_try_connect(name, 0), -ENOENT);
}
