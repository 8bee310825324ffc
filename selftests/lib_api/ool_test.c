// SPDX-License-Identifier: GPL-2.0
/*
 * ool_test: what travels out of line with libxsession's messages.
 *
 *  - fd and shmem objects, sent both ways and used on the other side;
 *  - a 4 MiB dictionary (a data object), which travels in a sealed
 *    memfd, sent one-way, with an async reply and with a sync send,
 *    arriving intact both ways; 200 of them without leaking a
 *    descriptor;
 *  - a hostile peer (raw ioctls) whose body references lie gets error
 *    replies, and the service goes on;
 *  - a receiver out of descriptors loses the message's items, not the
 *    session: the requester gets an error reply.
 *
 * The service is an in-process listener with its own handler (below);
 * the hostile peer is this process too, through /dev/xsession directly.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "xla_util.h"

#define BIG		(4u << 20)	/* the large dictionary's data */
#define SEALS		(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

/* ---- data that proves it arrived intact ---- */

static uint8_t pattern_byte(uint32_t seed, size_t i)
{
	return (uint8_t)(seed * 131u + i * 7u + (i >> 13));
}

static xs_object_t *big_dict(uint32_t seed, size_t len)
{
	xs_object_t *d = xs_dictionary_create();
	uint8_t *b = malloc(len);
	size_t i;

	XS_ASSERT_TRUE(d && b);
	for (i = 0; i < len; i++)
		b[i] = pattern_byte(seed, i);
	XS_ASSERT_EQ(xs_dictionary_set_data(d, "blob", b, len), 0);
	XS_ASSERT_EQ(xs_dictionary_set_int64(d, "seed", seed), 0);
	XS_ASSERT_EQ(xs_dictionary_set_string(d, "op", "big"), 0);
	free(b);
	return d;
}

/* @d's "blob" is @len bytes of the pattern of its "seed". */
static bool big_ok(const xs_object_t *d, size_t len)
{
	const uint8_t *b;
	uint32_t seed;
	size_t n, i;

	b = xs_dictionary_get_data(d, "blob", &n);
	if (!b || n != len)
		return false;
	seed = (uint32_t)xs_dictionary_get_int64(d, "seed");
	for (i = 0; i < n; i++)
		if (b[i] != pattern_byte(seed, i))
			return false;
	return true;
}

/* ---- the service ---- */

static struct {
	xs_listener_t *l;
	xs_queue_t *q;
	int big_ok, big_bad;		/* large dictionaries checked */
	int fd_used, shm_used;
	int undecodable;		/* messages whose dictionary failed */
	int dict_calls;			/* dictionary handler calls */
	size_t big_bytes;		/* get_bytes() of the last large one */
} srv;

/* A pipe's read end that will read @text (the write end is closed). */
static int pipe_with(const char *text)
{
	int p[2];

	XS_ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	XS_ASSERT_EQ(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	close(p[1]);
	return p[0];
}

/* "fd": write "text" into the fd we got; answer with an fd of ours. */
static xs_object_t *srv_fd(xs_object_t *d)
{
	const char *text = xs_dictionary_get_string(d, "text");
	int fd = xs_dictionary_dup_fd(d, "fd"), mine;
	xs_object_t *r = xs_dictionary_create();
	bool ok;

	ok = fd >= 0 && text &&
	     write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	if (fd >= 0)
		close(fd);
	XLA_ADD(srv.fd_used, ok);
	mine = pipe_with("from the server");
	xs_dictionary_set_fd(r, "fd", mine);
	close(mine);
	xs_dictionary_set_bool(r, "ok", ok);
	return r;
}

/* "shmem": read the region we got; answer with it upside down. */
static xs_object_t *srv_shmem(xs_object_t *d)
{
	xs_object_t *shm = xs_dictionary_get_value(d, "shm"), *r, *back;
	uint8_t *copy;
	size_t len, i;
	uint8_t *p;

	p = xs_shmem_map(shm, &len);
	if (!p)
		return NULL;
	copy = malloc(len);
	XS_ASSERT_TRUE(copy);
	for (i = 0; i < len; i++)
		copy[i] = p[len - 1 - i];
	munmap(p, len);
	back = xs_shmem_create_with_bytes(copy, len);
	free(copy);
	XS_ASSERT_TRUE(back);
	r = xs_dictionary_create();
	xs_dictionary_set_value(r, "shm", back);
	xs_release(back);
	XLA_ADD(srv.shm_used, 1);
	return r;
}

/* "big": check the blob; a request gets a large reply of its own. */
static xs_object_t *srv_big(xs_received_message_t *msg, xs_object_t *d)
{
	bool ok = big_ok(d, BIG);
	xs_object_t *r;
	size_t n = 0;

	xs_received_message_get_bytes(msg, &n);
	xla_lock();
	if (ok)
		srv.big_ok++;
	else
		srv.big_bad++;
	srv.big_bytes = n;
	xla_broadcast();
	xla_unlock();
	if (!xs_received_message_expects_reply(msg))
		return NULL;
	r = big_dict((uint32_t)xs_dictionary_get_int64(d, "seed") + 1, BIG);
	xs_dictionary_set_bool(r, "ok", ok);
	return r;
}

/* @msg NULL: called from the dictionary form with @ctx, the dictionary. */
static xs_object_t *srv_message(xs_received_message_t *msg, void *ctx)
{
	xs_object_t *d = msg ? xs_received_message_get_dictionary(msg) : ctx;
	const char *op = xs_dictionary_get_string(d, "op");
	xs_object_t *r;

	if (!d) {
		XLA_ADD(srv.undecodable, 1);
		return NULL;	/* a request gets the library's error reply */
	}
	if (op && !strcmp(op, "fd"))
		return srv_fd(d);
	if (op && !strcmp(op, "shmem"))
		return srv_shmem(d);
	if (op && !strcmp(op, "big"))
		return srv_big(msg, d);
	if (msg && !xs_received_message_expects_reply(msg))
		return NULL;
	r = xs_dictionary_create();
	xs_dictionary_set_int64(r, "seq", xs_dictionary_get_int64(d, "seq") + 1);
	return r;
}

/* The dictionary form: the library answers what does not decode. */
static xs_object_t *srv_dictionary(xs_object_t *d, void *ctx)
{
	(void)ctx;
	XLA_ADD(srv.dict_calls, 1);
	if (!xs_dictionary_get_string(d, "op"))
		return srv_message(NULL, d);
	return NULL;
}

static void srv_incoming(xs_listener_t *l, xs_session_request_t *req,
			 void *ctx)
{
	xs_session_t *s = xs_session_request_accept(req);

	(void)l;
	if (!s)
		return;
	if (ctx)
		xs_rich_error_release(xs_session_set_incoming_dictionary_handler(
			s, srv_dictionary, NULL));
	else
		xs_rich_error_release(xs_session_set_incoming_message_handler(
			s, srv_message, NULL));
}

/* @dict_form: a dictionary handler (only "seq" echoes), else a message one. */
static void srv_start_form(const char *name, bool dict_form)
{
	xs_rich_error_t *e = NULL;

	srv.q = xs_queue_create("ool.server");
	XS_ASSERT_TRUE(srv.q);
	srv.l = xs_listener_create(name, srv.q, 0, srv_incoming,
				   dict_form ? &srv : NULL, &e);
	if (!srv.l)
		XS_FAIL("listener %s: %s", name,
			e ? xs_rich_error_get_description(e) : "?");
}

static void srv_start(const char *name)
{
	srv_start_form(name, false);
}

static void srv_stop(void)
{
	xs_listener_cancel(srv.l);
	xs_listener_release(srv.l);
	xs_queue_release(srv.q);
}

/* ---- descriptors ---- */

/*
 * Open descriptors, without the body memfds the library's pool holds
 * ready (*@pool gets their number): those belong to no message.
 */
static int count_fds(int *pool)
{
	char path[300], link[128];
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0, p = 0;
	ssize_t len;

	XS_ASSERT_TRUE(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		link[len > 0 ? len : 0] = '\0';
		if (strstr(link, "memfd:xsession-body"))
			p++;
		else
			n++;
	}
	closedir(d);
	if (pool)
		*pool = p;
	return n;
}

/* ---- fd and shmem objects ---- */

XS_TEST(fd_objects_travel_both_ways)
{
	XLA_NAME(name);
	xs_object_t *req, *reply;
	xs_rich_error_t *e = NULL;
	char buf[64] = "";
	int p[2], fd;
	xs_session_t *s;
	ssize_t n;

	srv_start(name);
	s = xla_connect(name, NULL);
	XS_ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	req = xs_dictionary_create();
	xs_dictionary_set_string(req, "op", "fd");
	xs_dictionary_set_string(req, "text", "from the client");
	xs_dictionary_set_fd(req, "fd", p[1]);
	close(p[1]);		/* the message holds its own duplicate */
	reply = xs_session_send_message_with_reply_sync(s, req, &e);
	xs_release(req);	/* and now nobody in this process writes */
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(reply);
	XS_EXPECT_TRUE(xs_dictionary_get_bool(reply, "ok"));

	/* The server wrote into our pipe through the fd it received. */
	n = read(p[0], buf, sizeof(buf) - 1);
	XS_ASSERT_EQ(n, 15);
	buf[n] = '\0';
	XS_EXPECT_STREQ(buf, "from the client");
	XS_EXPECT_EQ(read(p[0], buf, sizeof(buf)), 0);	/* every copy closed */
	close(p[0]);

	/* And we read the server's pipe through the fd it sent back. */
	fd = xs_dictionary_dup_fd(reply, "fd");
	XS_ASSERT_GE(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	XS_ASSERT_EQ(n, 15);
	buf[n] = '\0';
	XS_EXPECT_STREQ(buf, "from the server");
	close(fd);
	xs_release(reply);
	XS_EXPECT_EQ(XLA_GET(srv.fd_used), 1);

	xla_cancel_wait(s, NULL);
	xs_session_release(s);
	srv_stop();
}

XS_TEST(shmem_objects_travel_both_ways)
{
	XLA_NAME(name);
	xs_object_t *req, *reply, *shm;
	xs_rich_error_t *e = NULL;
	size_t len = 100000, n, i;
	uint8_t *mine, *p;
	xs_session_t *s;

	srv_start(name);
	s = xla_connect(name, NULL);
	mine = malloc(len);
	XS_ASSERT_TRUE(mine);
	for (i = 0; i < len; i++)
		mine[i] = (uint8_t)(i * 13);
	shm = xs_shmem_create_with_bytes(mine, len);
	XS_ASSERT_TRUE(shm);
	req = xs_dictionary_create();
	xs_dictionary_set_string(req, "op", "shmem");
	xs_dictionary_set_value(req, "shm", shm);
	xs_release(shm);
	reply = xs_session_send_message_with_reply_sync(s, req, &e);
	xs_release(req);
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(reply);

	shm = xs_dictionary_get_value(reply, "shm");
	XS_ASSERT_EQ(xs_get_type(shm), XS_TYPE_SHMEM);
	p = xs_shmem_map(shm, &n);
	XS_ASSERT_TRUE(p);
	XS_ASSERT_EQ(n, len);
	for (i = 0; i < len && p[i] == mine[len - 1 - i]; i++)
		;
	XS_EXPECT_EQ(i, len);
	munmap(p, n);
	xs_release(reply);
	free(mine);
	XS_EXPECT_EQ(XLA_GET(srv.shm_used), 1);

	xla_cancel_wait(s, NULL);
	xs_session_release(s);
	srv_stop();
}

/* ---- large dictionaries ---- */

static int big_replies_ok, big_replies_bad;

static void on_big_reply(xs_object_t *reply, xs_rich_error_t *err, void *ctx)
{
	(void)ctx;
	if (err)
		xs_diag("big reply: %s", xs_rich_error_get_description(err));
	xla_lock();
	if (!err && big_ok(reply, BIG) && xs_dictionary_get_bool(reply, "ok"))
		big_replies_ok++;
	else
		big_replies_bad++;
	xla_broadcast();
	xla_unlock();
}

static void big_sync(xs_session_t *s, uint32_t seed)
{
	xs_object_t *req = big_dict(seed, BIG), *reply;
	xs_rich_error_t *e = NULL;

	reply = xs_session_send_message_with_reply_sync(s, req, &e);
	xs_release(req);
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(reply);
	XS_EXPECT_TRUE(xs_dictionary_get_bool(reply, "ok"));
	XS_EXPECT_EQ(xs_dictionary_get_int64(reply, "seed"), seed + 1);
	XS_EXPECT_TRUE(big_ok(reply, BIG));
	xs_release(reply);
}

XS_TEST_TIMEOUT(large_dictionary_one_way_async_and_sync, 120)
{
	XLA_NAME(name);
	xs_object_t *req;
	xs_session_t *s;

	srv_start(name);
	s = xla_connect(name, NULL);

	/* One-way: the server checks every byte. */
	req = big_dict(1, BIG);
	XLA_ASSERT_NO_ERROR(xs_session_send_message(s, req));
	xs_release(req);
	XS_ASSERT_TRUE(XLA_WAIT(srv.big_ok + srv.big_bad == 1, XLA_WAIT_MS));
	XS_EXPECT_EQ(XLA_GET(srv.big_ok), 1);
	/* get_bytes() gives the body the dictionary came from. */
	XS_EXPECT_GT(XLA_GET(srv.big_bytes), BIG);

	/* With a reply (async): 4 MiB each way. */
	req = big_dict(2, BIG);
	xs_session_send_message_with_reply_async(s, req, on_big_reply, NULL);
	xs_release(req);
	XS_ASSERT_TRUE(XLA_WAIT(big_replies_ok + big_replies_bad == 1,
				XLA_WAIT_MS * 3));
	XS_EXPECT_EQ(XLA_GET(big_replies_ok), 1);

	/* Synchronously: the reply's body comes with XS_IOC_SEND_SYNC. */
	big_sync(s, 3);
	XS_EXPECT_EQ(XLA_GET(srv.big_ok), 3);
	XS_EXPECT_EQ(XLA_GET(srv.big_bad), 0);

	xla_cancel_wait(s, NULL);
	xs_session_release(s);
	srv_stop();
}

#define ROUNDS	200

XS_TEST_TIMEOUT(two_hundred_large_messages_leak_no_fd, 600)
{
	XLA_NAME(name);
	int fds0, fds1, pool0, pool1, i;
	struct timespec t0, t1;
	xs_object_t *req;
	xs_session_t *s;

	srv_start(name);
	s = xla_connect(name, NULL);
	big_sync(s, 0);		/* warm up: the pool has its stock now */
	fds0 = count_fds(&pool0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < ROUNDS; i++) {
		switch (i % 3) {
		case 0:
			req = big_dict(i, BIG);
			XLA_ASSERT_NO_ERROR(xs_session_send_message(s, req));
			xs_release(req);
			break;
		case 1:
			req = big_dict(i, BIG);
			xs_session_send_message_with_reply_async(s, req,
								 on_big_reply,
								 NULL);
			xs_release(req);
			break;
		default:
			big_sync(s, i);
			break;
		}
	}
	XS_ASSERT_TRUE(XLA_WAIT(srv.big_ok + srv.big_bad == ROUNDS + 1 &&
				big_replies_ok + big_replies_bad ==
				ROUNDS / 3, XLA_WAIT_MS * 6));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	XS_EXPECT_EQ(XLA_GET(srv.big_bad), 0);
	XS_EXPECT_EQ(XLA_GET(big_replies_bad), 0);
	xs_diag("%d messages of 4 MiB (a third with 4 MiB replies) in %ld ms",
		ROUNDS, (long)((t1.tv_sec - t0.tv_sec) * 1000 +
			       (t1.tv_nsec - t0.tv_nsec) / 1000000));

	/*
	 * Every body's memfd is closed once its message is gone; the pool
	 * may hold a few ready (at most XS_POOL_DEPTH = 2 per size class,
	 * and requests and replies share one class), and may still be
	 * growing one: let it settle.
	 */
	XLA_WAIT((fds1 = count_fds(&pool1)) == fds0 && pool1 <= 2, 5000);
	fds1 = count_fds(&pool1);
	xs_diag("fds %d -> %d, ready body memfds %d -> %d", fds0, fds1, pool0,
		pool1);
	XS_EXPECT_EQ(fds1, fds0);
	XS_EXPECT_LE(pool1, 2);

	xla_cancel_wait(s, NULL);
	xs_session_release(s);
	srv_stop();
}

/* ---- a hostile peer ---- */

/* A raw session end connected to @name. */
static int raw_connect(const char *name)
{
	struct xs_connect c = { .size = sizeof(c) };
	int fd = open(XS_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	XS_ASSERT_GE(fd, 0);
	c.name = (uintptr_t)name;
	XS_ASSERT_EQ(ioctl(fd, XS_IOC_CONNECT, &c), 0);
	return fd;
}

/* A memfd of @len bytes of @p with @seals. */
static int memfd_with(const void *p, size_t len, int seals)
{
	int fd = memfd_create("hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	XS_ASSERT_GE(fd, 0);
	XS_ASSERT_EQ(write(fd, p, len), (ssize_t)len);
	if (seals)
		XS_ASSERT_EQ(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

/* tag 0x78734f4c, [2, @index, @len] (@len < 2^16) */
static size_t body_ref(uint8_t *out, uint8_t index, uint16_t len)
{
	static const uint8_t head[] = { 0xda, 0x78, 0x73, 0x4f, 0x4c, 0x83,
					0x02 };

	memcpy(out, head, sizeof(head));
	out[7] = index;		/* < 24: one byte */
	out[8] = 0x19;
	out[9] = (uint8_t)(len >> 8);
	out[10] = (uint8_t)len;
	return 11;
}

/*
 * Sends a request whose payload is @payload with the item @fd (as
 * @type; no item when @fd < 0) and returns the reply's header.
 */
static struct xs_msg_hdr raw_request(int s, const void *payload, size_t len,
				     int fd, uint32_t type)
{
	struct xs_item it = { .type = type, .fd = fd };
	struct xs_send snd = { .size = sizeof(snd) };
	struct xs_recv r = { .size = sizeof(r) };
	struct pollfd pfd = { .fd = s, .events = POLLIN };
	struct xs_item got[XS_ITEMS_MAX];
	uint8_t buf[4096];
	uint32_t i;

	snd.kind = XS_MSG_REQUEST;
	snd.payload = (uintptr_t)payload;
	snd.payload_len = (uint32_t)len;
	if (fd >= 0) {
		snd.items = (uintptr_t)&it;
		snd.nr_items = 1;
	}
	XS_ASSERT_EQ(ioctl(s, XS_IOC_SEND, &snd), 0);
	XS_ASSERT_EQ(poll(&pfd, 1, XLA_WAIT_MS), 1);
	r.flags = XS_NONBLOCK;
	r.buf = (uintptr_t)buf;
	r.buf_len = sizeof(buf);
	r.items = (uintptr_t)got;
	r.items_cap = XS_ITEMS_MAX;
	XS_ASSERT_EQ(ioctl(s, XS_IOC_RECV, &r), 0);
	XS_EXPECT_EQ(r.hdr.reply_to, snd.id);
	for (i = 0; i < r.hdr.nr_items; i++)
		close(got[i].fd);
	return r.hdr;
}

#define STATUS_UNDECODABLE	2	/* xs_private.h: the library's own */

XS_TEST(lying_body_references_get_error_replies)
{
	XLA_NAME(name);
	static const uint8_t good[] = {		/* {"seq": 41} */
		0xa1, 0x63, 's', 'e', 'q', 0x18, 0x29,
	};
	struct xs_msg_hdr h;
	int s, fd, fds0, fds1;
	uint8_t ref[16];
	size_t n;

	srv_start_form(name, true);
	s = raw_connect(name);

	/* An honest body first: decoded, answered (seq + 1). */
	fd = memfd_with(good, sizeof(good), SEALS);
	n = body_ref(ref, 0, sizeof(good));
	h = raw_request(s, ref, n, fd, XS_ITEM_MEMFD);
	XS_EXPECT_EQ(h.kind, XS_MSG_REPLY);
	close(fd);
	/* Counted now that the server's end of the session exists. */
	fds0 = count_fds(NULL);

	/* Then lies; each gets an error reply, nothing else happens. */
	fd = memfd_with(good, sizeof(good), 0);		/* unsealed */
	h = raw_request(s, ref, n, fd, XS_ITEM_FD);
	XS_EXPECT_EQ(h.kind, XS_MSG_ERROR_REPLY);
	XS_EXPECT_EQ(h.status, STATUS_UNDECODABLE);
	close(fd);

	fd = memfd_with(good, sizeof(good), SEALS);	/* wrong lengths */
	n = body_ref(ref, 0, sizeof(good) + 1);
	h = raw_request(s, ref, n, fd, XS_ITEM_MEMFD);
	XS_EXPECT_EQ(h.kind, XS_MSG_ERROR_REPLY);
	XS_EXPECT_EQ(h.status, STATUS_UNDECODABLE);
	n = body_ref(ref, 0, sizeof(good) - 1);
	h = raw_request(s, ref, n, fd, XS_ITEM_MEMFD);
	XS_EXPECT_EQ(h.kind, XS_MSG_ERROR_REPLY);
	n = body_ref(ref, 1, sizeof(good));		/* no such item */
	h = raw_request(s, ref, n, fd, XS_ITEM_MEMFD);
	XS_EXPECT_EQ(h.kind, XS_MSG_ERROR_REPLY);
	n = body_ref(ref, 0, sizeof(good));		/* no item at all */
	h = raw_request(s, ref, n, -1, 0);
	XS_EXPECT_EQ(h.kind, XS_MSG_ERROR_REPLY);
	close(fd);

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);	/* not a memfd */
	h = raw_request(s, ref, n, fd, XS_ITEM_FD);
	XS_EXPECT_EQ(h.kind, XS_MSG_ERROR_REPLY);
	close(fd);

	/* And the service is still there for an honest client. */
	fd = memfd_with(good, sizeof(good), SEALS);
	h = raw_request(s, ref, n, fd, XS_ITEM_MEMFD);
	XS_EXPECT_EQ(h.kind, XS_MSG_REPLY);
	close(fd);
	/* The handler saw the two honest ones only. */
	XS_EXPECT_EQ(XLA_GET(srv.dict_calls), 2);

	/* The server side kept none of the descriptors it was sent. */
	fds1 = count_fds(NULL);
	XS_EXPECT_EQ(fds1, fds0);
	close(s);
	srv_stop();
}

/* ---- out of descriptors ---- */

XS_TEST(descriptor_limit_costs_the_items_not_the_session)
{
	XLA_NAME(name);
	struct rlimit old, none;
	xs_object_t *req;
	xs_session_t *s;
	int fd, n0;

	srv_start(name);
	s = xla_connect(name, NULL);
	xla_echo_sync(s, 1);	/* both ends are up and drained */

	req = xs_dictionary_create();
	xs_dictionary_set_string(req, "op", "fd");
	xs_dictionary_set_string(req, "text", "never");
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	xs_dictionary_set_fd(req, "fd", fd);
	xs_dictionary_set_fd(req, "fd2", fd);
	close(fd);

	/*
	 * No new descriptor for anyone: the server's receive cannot install
	 * the two items.  Sending needs none (the kernel takes the files).
	 */
	XS_ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	none = old;
	none.rlim_cur = 1;
	n0 = xla_count('R');
	XS_ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &none), 0);
	xs_session_send_with_reply_async(s, req, xla_on_reply, NULL);
	XS_ASSERT_TRUE(XLA_WAIT(xla_count_locked('R') > n0, XLA_WAIT_MS));
	XS_ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
	xs_release(req);

	/* The request was answered with an error that says why... */
	xs_diag("reply: %s", xla_evs[xla_last('R')].desc);
	XS_EXPECT_EQ(xla_evs[xla_last('R')].kind, XS_ERROR_PEER);
	XS_EXPECT_TRUE(strstr(xla_evs[xla_last('R')].desc, "descriptor"));
	XS_EXPECT_EQ(XLA_GET(srv.fd_used), 0);	/* no handler saw it */
	/* ...and the session goes on, descriptors included. */
	xla_echo_sync(s, 2);
	XS_EXPECT_EQ(xla_count('C'), 0);

	xla_cancel_wait(s, NULL);
	xs_session_release(s);
	srv_stop();
}
