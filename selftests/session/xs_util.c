// SPDX-License-Identifier: GPL-2.0
/*
 * xs_util: helpers shared by the session selftests; see xs_util.h.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "xs_util.h"

/* ---- names ----------------------------------------------------------- */

void xsu_name_make(char *buf, size_t len, const char *tag)
{
	static unsigned int counter;
	const char *prefix = "xs_fn_";

	/* __func__ of an XS_TEST body is "xs_fn_<test>". */
	if (!strncmp(tag, prefix, strlen(prefix)))
		tag += strlen(prefix);
	snprintf(buf, len, "org.test.%.60s.%d.%u", tag, (int)getpid(),
		 counter++);
}

/* ---- endpoints --------------------------------------------------------- */

int xsu_open_flags(int flags)
{
	int fd = open(XS_DEVICE_PATH, O_RDWR | O_CLOEXEC | flags);

	XS_ASSERT_OK(fd);
	return fd;
}

void xsu_info(struct xs_info *info)
{
	int fd = xsu_open();

	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	XS_ASSERT_EQ(ioctl(fd, XS_IOC_INFO, info), 0);
	close(fd);
}

static int xsu_ret(int r)
{
	return r < 0 ? -errno : r;
}

void xsu_listen_init(struct xs_listen *l, const char *name, uint32_t flags)
{
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->flags = flags;
	l->name = (uintptr_t)name;
}

void xsu_connect_init(struct xs_connect *c, const char *name, uint32_t flags)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->flags = flags;
	c->name = (uintptr_t)name;
}

int xsu_listen_raw(int fd, struct xs_listen *l)
{
	return xsu_ret(ioctl(fd, XS_IOC_LISTEN, l));
}

int xsu_listen_fd(int fd, const char *name, uint32_t flags)
{
	struct xs_listen l;

	xsu_listen_init(&l, name, flags);
	return xsu_listen_raw(fd, &l);
}

int xsu_try_listen(const char *name, uint32_t flags)
{
	int fd = xsu_open(), r;

	r = xsu_listen_fd(fd, name, flags);
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

int xsu_listen(const char *name, uint32_t flags)
{
	int fd = xsu_open();

	XS_ASSERT_EQ(xsu_listen_fd(fd, name, flags), 0);
	return fd;
}

int xsu_listen_opts(const char *name, uint32_t flags, uint32_t ring_size,
		    uint32_t backlog)
{
	struct xs_listen l;
	int fd = xsu_open();

	xsu_listen_init(&l, name, flags);
	l.ring_size = ring_size;
	l.backlog = backlog;
	XS_ASSERT_EQ(xsu_listen_raw(fd, &l), 0);
	return fd;
}

int xsu_connect_raw(int fd, struct xs_connect *c)
{
	return xsu_ret(ioctl(fd, XS_IOC_CONNECT, c));
}

int xsu_connect_fd(int fd, const char *name, uint32_t flags,
		   uint64_t timeout_ns)
{
	struct xs_connect c;

	xsu_connect_init(&c, name, flags);
	c.timeout_ns = timeout_ns;
	return xsu_connect_raw(fd, &c);
}

int xsu_try_connect(const char *name, uint32_t flags)
{
	int fd = xsu_open(), r;

	r = xsu_connect_fd(fd, name, flags, 0);
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

int xsu_connect(const char *name, uint32_t flags)
{
	int fd = xsu_open();

	XS_ASSERT_EQ(xsu_connect_fd(fd, name, flags, 0), 0);
	return fd;
}

int xsu_connect_ring(const char *name, uint32_t flags, uint32_t ring_size)
{
	struct xs_connect c;
	int fd = xsu_open();

	xsu_connect_init(&c, name, flags);
	c.ring_size = ring_size;
	XS_ASSERT_EQ(xsu_connect_raw(fd, &c), 0);
	return fd;
}

int xsu_accept_raw(int lfd)
{
	struct xs_accept a = { .size = sizeof(a), .fd = -1 };
	int r = ioctl(lfd, XS_IOC_ACCEPT, &a);

	if (r < 0)
		return -errno;
	/* The fd is both the return value and xs_accept.fd. */
	XS_EXPECT_EQ(a.fd, r);
	return r;
}

int xsu_accept(int lfd)
{
	int fd;

	XS_ASSERT_EQ(xsu_revents(lfd, POLLIN, XSU_WAIT_MS), POLLIN);
	fd = xsu_accept_raw(lfd);
	XS_ASSERT_OK(fd);
	return fd;
}

int xsu_activate(int fd)
{
	return xsu_ret(ioctl(fd, XS_IOC_ACTIVATE));
}

int xsu_cancel_raw(int fd, unsigned long cmd, struct xs_cancel *c)
{
	return xsu_ret(ioctl(fd, cmd, c));
}

static int xsu_end_call(int fd, unsigned long cmd, const void *reason,
			uint32_t len)
{
	struct xs_cancel c = {
		.size = sizeof(c),
		.reason = (uintptr_t)reason,
		.reason_len = len,
	};

	return xsu_cancel_raw(fd, cmd, &c);
}

int xsu_reject(int fd, const void *reason, uint32_t len)
{
	return xsu_end_call(fd, XS_IOC_REJECT, reason, len);
}

int xsu_cancel(int fd, const void *reason, uint32_t len)
{
	return xsu_end_call(fd, XS_IOC_CANCEL, reason, len);
}

void xsu_pair_rings(const char *name, uint32_t client_ring,
		    uint32_t server_ring, int *lfd, int *cfd, int *sfd)
{
	int l = xsu_listen_opts(name, 0, server_ring, 0);

	*cfd = xsu_connect_ring(name, 0, client_ring);
	*sfd = xsu_accept(l);
	XS_ASSERT_EQ(xsu_activate(*sfd), 0);
	if (lfd)
		*lfd = l;
	else
		close(l);
}

void xsu_pair(const char *name, int *lfd, int *cfd, int *sfd)
{
	xsu_pair_rings(name, 0, 0, lfd, cfd, sfd);
}

void xsu_pair_mapped(const char *name, uint32_t ring, int *lfd, int *cfd,
		     int *sfd)
{
	int l = xsu_listen_opts(name, XS_LISTEN_RING_MMAP, ring, 0);

	*cfd = xsu_connect_ring(name, XS_CONNECT_RING_MMAP, ring);
	*sfd = xsu_accept(l);
	XS_ASSERT_EQ(xsu_activate(*sfd), 0);
	if (lfd)
		*lfd = l;
	else
		close(l);
}

/* ---- mapped rings -------------------------------------------------------- */

void xsu_ring_map(int fd, struct xsu_ring *r)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 XS_RING_OFF_CTL);
	XS_ASSERT_TRUE(p != MAP_FAILED);
	r->ctl = p;
	r->size = r->ctl->size;
	XS_ASSERT_GE(r->size, page);
	XS_ASSERT_EQ(r->size & (r->size - 1), 0);
	p = mmap(NULL, 2 * (size_t)r->size, PROT_READ, MAP_SHARED, fd,
		 XS_RING_OFF_DATA);
	XS_ASSERT_TRUE(p != MAP_FAILED);
	r->data = p;
	r->head = __atomic_load_n(&r->ctl->head, __ATOMIC_RELAXED);
}

void xsu_ring_unmap(struct xsu_ring *r)
{
	if (r->data)
		munmap((void *)r->data, 2 * (size_t)r->size);
	if (r->ctl)
		munmap(r->ctl, sysconf(_SC_PAGESIZE));
	r->data = NULL;
	r->ctl = NULL;
}

const struct xs_msg_hdr *xsu_ring_peek(struct xsu_ring *r)
{
	/* Pair A: the records below tail are complete once we see tail. */
	uint32_t tail = __atomic_load_n(&r->ctl->tail, __ATOMIC_ACQUIRE);
	const struct xs_msg_hdr *hdr;

	if (tail == r->head)
		return NULL;
	hdr = (const void *)(r->data + (r->head & (r->size - 1)));
	XS_ASSERT_LE(XS_RING_RECORD_SIZE(hdr->payload_len), tail - r->head);
	return hdr;
}

void xsu_ring_release(struct xsu_ring *r)
{
	const struct xs_msg_hdr *hdr = xsu_ring_peek(r);

	XS_ASSERT_TRUE(hdr != NULL);
	r->head += XS_RING_RECORD_SIZE(hdr->payload_len);
	/* Pair B: done with the record before the kernel may reuse it. */
	__atomic_store_n(&r->ctl->head, r->head, __ATOMIC_RELEASE);
	/* Pair C: head before the look at need_wakeup. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->ctl->need_wakeup, __ATOMIC_RELAXED)) {
		int ret = xsu_ring_wait(r->fd, XS_NONBLOCK, 0);

		XS_ASSERT_TRUE(ret == 0 || ret == -EAGAIN);
	}
}

int xsu_ring_wait(int fd, uint32_t flags, uint64_t timeout_ns)
{
	struct xs_ring_wait w = {
		.size = sizeof(w),
		.flags = flags,
		.timeout_ns = timeout_ns,
	};

	return xsu_ret(ioctl(fd, XS_IOC_RING_WAIT, &w));
}

/* ---- messages ---------------------------------------------------------- */

static int xsu_send_struct(int fd, struct xs_send *s, uint64_t *id)
{
	if (ioctl(fd, XS_IOC_SEND, s) < 0)
		return -errno;
	if (id)
		*id = s->id;
	return 0;
}

int xsu_send(int fd, uint32_t kind, uint32_t flags, uint32_t status,
	     uint64_t reply_to, const void *buf, uint32_t len, uint64_t *id)
{
	struct xs_send s = {
		.size = sizeof(s),
		.flags = flags,
		.kind = kind,
		.status = status,
		.reply_to = reply_to,
		.payload = (uintptr_t)buf,
		.payload_len = len,
	};

	return xsu_send_struct(fd, &s, id);
}

int xsu_send_items(int fd, uint32_t kind, uint64_t reply_to, const void *buf,
		   uint32_t len, const struct xs_item *items, uint32_t nr,
		   uint64_t *id)
{
	struct xs_send s = {
		.size = sizeof(s),
		.kind = kind,
		.reply_to = reply_to,
		.payload = (uintptr_t)buf,
		.payload_len = len,
		.items = (uintptr_t)items,
		.nr_items = nr,
	};

	return xsu_send_struct(fd, &s, id);
}

int xsu_recv_items(int fd, uint32_t flags, void *buf, uint32_t cap,
		   struct xs_item *items, uint32_t items_cap,
		   struct xs_msg_hdr *hdr)
{
	struct xs_recv r = {
		.size = sizeof(r),
		.flags = flags,
		.buf = (uintptr_t)buf,
		.buf_len = cap,
		.items = (uintptr_t)items,
		.items_cap = items_cap,
	};
	int ret = ioctl(fd, XS_IOC_RECV, &r) < 0 ? -errno : 0;

	if (hdr)
		*hdr = r.hdr;
	return ret;
}

int xsu_recv(int fd, uint32_t flags, void *buf, uint32_t cap,
	     struct xs_msg_hdr *hdr)
{
	return xsu_recv_items(fd, flags, buf, cap, NULL, 0, hdr);
}

int xsu_recv_wait(int fd, void *buf, uint32_t cap, struct xs_msg_hdr *hdr,
		  int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int r;

	do {
		r = poll(&pfd, 1, ms);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ETIME;
	return xsu_recv(fd, XS_NONBLOCK, buf, cap, hdr);
}

static const char *xsu_kind_name(unsigned int kind)
{
	static const char *const names[] = {
		"?", "ONEWAY", "REQUEST", "REPLY", "ERROR_REPLY", "END",
	};

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

void xsu_expect_item(int fd, uint16_t kind, uint16_t flags, uint32_t status,
		     uint64_t reply_to, const void *payload, uint32_t len,
		     uint64_t *id_out)
{
	uint32_t cap = len + 64;
	char *buf = malloc(cap);
	struct xs_msg_hdr h;
	int r;

	XS_ASSERT_NE(buf, NULL);
	r = xsu_recv_wait(fd, buf, cap, &h, XSU_WAIT_MS);
	if (r)
		xs_diag("expected a %s item (status %u, reply_to %llu, %u bytes)",
			xsu_kind_name(kind), status,
			(unsigned long long)reply_to, len);
	XS_ASSERT_EQ(r, 0);
	if (h.kind != kind || h.status != status || h.reply_to != reply_to)
		xs_diag("got %s flags %#x status %u reply_to %llu id %llu len %u; expected %s",
			xsu_kind_name(h.kind), h.flags, h.status,
			(unsigned long long)h.reply_to,
			(unsigned long long)h.id, h.payload_len,
			xsu_kind_name(kind));
	XS_ASSERT_EQ(h.kind, kind);
	XS_ASSERT_EQ(h.flags, flags);
	XS_ASSERT_EQ(h.status, status);
	XS_ASSERT_EQ(h.reply_to, reply_to);
	XS_ASSERT_EQ(h.nr_items, 0);
	XS_ASSERT_EQ(h.payload_len, len);
	if (len)
		XS_ASSERT_MEMEQ(buf, payload, len);
	if (kind == XS_MSG_END || (flags & XS_MSGF_KERNEL)) {
		XS_ASSERT_EQ(h.id, 0);
	} else {
		XS_ASSERT_NE(h.id, 0);
		XS_ASSERT_EQ(h.id & 1, kind == XS_MSG_REQUEST);
	}
	if (id_out)
		*id_out = h.id;
	free(buf);
}

void xsu_expect_kernel_error(int fd, uint64_t reply_to, uint32_t status)
{
	xsu_expect_item(fd, XS_MSG_ERROR_REPLY, XS_MSGF_KERNEL, status,
			reply_to, NULL, 0, NULL);
}

void xsu_expect_end(int fd, uint32_t status, const void *reason,
		    uint32_t len)
{
	char buf[64];

	xsu_expect_item(fd, XS_MSG_END, 0, status, 0, reason, len, NULL);
	/* END is the last item: receiving again reports the end. */
	XS_ASSERT_EQ(xsu_recv(fd, XS_NONBLOCK, buf, sizeof(buf), NULL),
		     -ESHUTDOWN);
	XS_ASSERT_EQ(xsu_recv(fd, 0, buf, sizeof(buf), NULL), -ESHUTDOWN);
}

void xsu_expect_empty(int fd)
{
	struct xs_msg_hdr h;
	char buf[64];
	int r = xsu_recv(fd, XS_NONBLOCK, buf, sizeof(buf), &h);

	if (r != -EAGAIN)
		xs_diag("expected nothing to receive; got %d (%s, %u bytes)",
			r, r ? "" : xsu_kind_name(h.kind), h.payload_len);
	XS_ASSERT_EQ(r, -EAGAIN);
}

int xsu_send_sync(int fd, uint32_t flags, const void *buf, uint32_t len,
		  void *reply, uint32_t cap, uint64_t timeout_ns,
		  struct xs_send_sync *out)
{
	struct xs_send_sync s = {
		.size = sizeof(s),
		.flags = flags,
		.payload = (uintptr_t)buf,
		.payload_len = len,
		.reply_cap = cap,
		.reply_buf = (uintptr_t)reply,
		.timeout_ns = timeout_ns,
	};
	int r = ioctl(fd, XS_IOC_SEND_SYNC, &s) < 0 ? -errno : 0;

	if (out)
		*out = s;
	return r;
}

int xsu_peer_creds(int fd, struct xs_peer_creds *pc, void *label,
		   uint32_t cap)
{
	memset(pc, 0, sizeof(*pc));
	pc->size = sizeof(*pc);
	pc->label = (uintptr_t)label;
	pc->label_cap = cap;
	return xsu_ret(ioctl(fd, XS_IOC_PEER_CREDS, pc));
}

/* ---- poll, time, processes -------------------------------------------- */

short xsu_revents(int fd, short events, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int r;

	do {
		r = poll(&pfd, 1, ms);
	} while (r < 0 && errno == EINTR);
	XS_ASSERT_OK(r);
	return r ? pfd.revents : 0;
}

bool xsu_wait_revents(int fd, short events, short want, int ms)
{
	uint64_t end = xsu_now_ns() + (uint64_t)ms * 1000000;

	for (;;) {
		if (xsu_revents(fd, events, 0) == want)
			return true;
		if (xsu_now_ns() >= end)
			return false;
		xsu_sleep_ms(2);
	}
}

uint64_t xsu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void xsu_sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void xsu_sleep_ms(int ms)
{
	xsu_sleep_us(ms * 1000L);
}

uint64_t xsu_rand(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

uint64_t xsu_seed(void)
{
	const char *env = getenv("XS_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) :
			(xsu_now_ns() ^ ((uint64_t)getpid() << 32));

	if (!seed)
		seed = 1;
	xs_diag("seed %#llx (set XS_SEED to repeat)", (unsigned long long)seed);
	return seed;
}

pid_t xsu_fork(void)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	XS_ASSERT_OK(pid);
	return pid;
}

int xsu_reap(pid_t pid, int ms)
{
	uint64_t end = xsu_now_ns() + (uint64_t)ms * 1000000;
	int status = 0;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		XS_ASSERT_OK(r);
		if (xsu_now_ns() >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			XS_FAIL("child %d did not end within %d ms", (int)pid,
				ms);
		}
		xsu_sleep_ms(2);
	}
}

void xsu_wait_child(pid_t pid, int ms)
{
	int status = xsu_reap(pid, ms);

	if (WIFSIGNALED(status))
		XS_FAIL("child %d killed by signal %d", (int)pid,
			WTERMSIG(status));
	XS_ASSERT_TRUE(WIFEXITED(status));
	XS_ASSERT_EQ(WEXITSTATUS(status), 0);
}

void xsu_event_init(struct xsu_event *ev)
{
	XS_ASSERT_OK(pipe2(ev->fd, O_CLOEXEC));
}

void xsu_event_post_val(struct xsu_event *ev, long val)
{
	XS_ASSERT_EQ(write(ev->fd[1], &val, sizeof(val)), (ssize_t)sizeof(val));
}

long xsu_event_wait_val(struct xsu_event *ev, int ms)
{
	struct pollfd pfd = { .fd = ev->fd[0], .events = POLLIN };
	long val = 0;
	int r;

	do {
		r = poll(&pfd, 1, ms);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		XS_FAIL("no event within %d ms", ms);
	XS_ASSERT_EQ(read(ev->fd[0], &val, sizeof(val)), (ssize_t)sizeof(val));
	return val;
}

void xsu_event_post(struct xsu_event *ev)
{
	xsu_event_post_val(ev, 1);
}

void xsu_event_wait(struct xsu_event *ev, int ms)
{
	xsu_event_wait_val(ev, ms);
}

pthread_t xsu_thread(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;

	XS_ASSERT_EQ(pthread_attr_init(&attr), 0);
	XS_ASSERT_EQ(pthread_attr_setstacksize(&attr, 256 << 10), 0);
	XS_ASSERT_EQ(pthread_create(&t, &attr, fn, arg), 0);
	pthread_attr_destroy(&attr);
	return t;
}

void *xsu_join(pthread_t t, int ms)
{
	struct timespec ts;
	void *ret = NULL;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	r = pthread_timedjoin_np(t, &ret, &ts);
	if (r == ETIMEDOUT)
		XS_FAIL("thread did not finish within %d ms", ms);
	XS_ASSERT_EQ(r, 0);
	return ret;
}

volatile sig_atomic_t xsu_sigusr1_count;

static void xsu_sigusr1(int sig)
{
	(void)sig;
	xsu_sigusr1_count++;
}

void xsu_install_sigusr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = xsu_sigusr1;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: interrupted calls fail */
	XS_ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
}

void xsu_become(uid_t uid, gid_t gid)
{
	XS_ASSERT_OK(setgroups(0, NULL));
	XS_ASSERT_OK(setresgid(gid, gid, gid));
	XS_ASSERT_OK(setresuid(uid, uid, uid));
	XS_ASSERT_EQ(geteuid(), uid);
}

bool xsu_fdinfo(int fd, const char *key, char *out, size_t len)
{
	char path[64], line[512];
	size_t klen = strlen(key);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	XS_ASSERT_NE(f, NULL);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		snprintf(out, len, "%s", line + klen + 1 +
			 (line[klen + 1] == '\t'));
		out[strcspn(out, "\n")] = '\0';
		found = true;
		break;
	}
	fclose(f);
	return found;
}

int xsu_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r;
	size_t len = strlen(text);

	if (fd < 0)
		return -errno;
	r = write(fd, text, len);
	r = r < 0 ? -errno : (size_t)r == len ? 0 : -EIO;
	close(fd);
	return r;
}

static const char *xsu_ns_names(int flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s",
		 flags & CLONE_NEWUSER ? "CLONE_NEWUSER " : "",
		 flags & CLONE_NEWPID ? "CLONE_NEWPID " : "",
		 flags & CLONE_NEWIPC ? "CLONE_NEWIPC " : "",
		 flags & CLONE_NEWNS ? "CLONE_NEWNS " : "");
	return buf;
}

pid_t xsu_fork_unshared(int flags, int as_uid, const char *uid_map,
			const char *gid_map, void (*fn)(void *arg), void *arg)
{
	struct xsu_event up, go;
	char path[64], names[96];
	long err;
	pid_t pid;

	xsu_event_init(&up);
	xsu_event_init(&go);
	pid = xsu_fork();
	if (pid == 0) {
		if (as_uid >= 0)
			xsu_become(as_uid, as_uid);
		err = unshare(flags) ? errno : 0;
		xsu_event_post_val(&up, err);
		if (err)
			_exit(0);
		xsu_event_wait(&go, XSU_WAIT_MS);
		fn(arg);
		_exit(0);
	}
	err = xsu_event_wait_val(&up, XSU_WAIT_MS);
	if (err) {
		xsu_wait_child(pid, XSU_WAIT_MS);
		xsu_ns_names(flags, names, sizeof(names));
		if (err == EINVAL || err == EPERM || err == ENOSPC ||
		    err == ENOSYS || err == EUSERS)
			XS_SKIP("unshare(%s) failed: %s; the kernel lacks or forbids these namespaces",
				names, strerror(err));
		XS_FAIL("unshare(%s) failed: %s", names, strerror(err));
	}
	if (flags & CLONE_NEWUSER) {
		snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
		XS_ASSERT_EQ(xsu_write_file(path, uid_map), 0);
		snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
		XS_ASSERT_EQ(xsu_write_file(path, gid_map), 0);
	}
	xsu_event_post(&go);
	close(up.fd[0]);
	close(up.fd[1]);
	close(go.fd[0]);
	close(go.fd[1]);
	return pid;
}
