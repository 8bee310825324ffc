// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-line items: file descriptors and sealed memfds travel with a
 * message.  They are taken at send time, installed (O_CLOEXEC) only when
 * the receiver takes the message, all or none, and closed when the
 * message is discarded: no descriptor is ever leaked, none that could
 * build a reference cycle may travel.
 *
 * Lifetimes are checked through pipes: the read end of a pipe sees EOF
 * exactly when the last reference to its write end is gone, wherever
 * that reference was.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "xs_util.h"

#define SEALS	(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

static int send_fd(int fd, int item_fd, uint32_t type)
{
	struct xs_item it = { .type = type, .fd = item_fd };

	return xsu_send_items(fd, XS_MSG_ONEWAY, 0, "msg", 3, &it, 1, NULL);
}

/* A pipe whose write end we hand out; the read end watches for EOF. */
struct watched {
	int rd, wr;
};

static void watched_init(struct watched *w)
{
	int p[2];

	XS_ASSERT_OK(pipe2(p, O_CLOEXEC));
	w->rd = p[0];
	w->wr = p[1];
}

/* Every reference to the write end is gone: EOF, within @ms. */
static bool watched_closed(struct watched *w, int ms)
{
	char c;

	if (!(xsu_revents(w->rd, POLLIN, ms) & (POLLIN | POLLHUP)))
		return false;
	return read(w->rd, &c, 1) == 0;
}

static int open_fds(void)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	XS_ASSERT_TRUE(d != NULL);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own */
}

/* A memfd of @len bytes of a pattern, with @seals added. */
static int make_memfd(size_t len, unsigned int seals)
{
	int fd = memfd_create("items", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint8_t *p;
	size_t i;

	XS_ASSERT_OK(fd);
	XS_ASSERT_OK(ftruncate(fd, len));
	if (len) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		XS_ASSERT_TRUE(p != MAP_FAILED);
		for (i = 0; i < len; i++)
			p[i] = (uint8_t)(i * 7 + 3);
		XS_ASSERT_OK(munmap(p, len));
	}
	if (seals)
		XS_ASSERT_OK(fcntl(fd, F_ADD_SEALS, seals));
	return fd;
}

static int highest_fd(void)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	int hi = -1;

	XS_ASSERT_TRUE(d != NULL);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) > hi)
			hi = atoi(e->d_name);
	closedir(d);
	return hi;
}

static long meminfo_kb(const char *key)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	XS_ASSERT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key));
	fclose(f);
	return v;
}

XS_TEST(items_fd_arrives_cloexec)
{
	XSU_NAME(name);
	struct xs_item in[2];
	struct xs_msg_hdr h;
	struct watched w;
	char buf[16], c;
	int cf, sf;

	xsu_pair(name, NULL, &cf, &sf);
	watched_init(&w);
	XS_ASSERT_EQ(send_fd(cf, w.wr, XS_ITEM_FD), 0);
	/* Taken at send time: our own descriptor may go at once. */
	close(w.wr);

	memset(in, 0x55, sizeof(in));
	XS_ASSERT_EQ(xsu_recv_items(sf, 0, buf, sizeof(buf), in, 2, &h), 0);
	XS_EXPECT_EQ(h.kind, XS_MSG_ONEWAY);
	XS_EXPECT_EQ(h.nr_items, 1);
	XS_EXPECT_EQ(h.payload_len, 3);
	XS_EXPECT_EQ(in[0].type, XS_ITEM_FD);
	XS_EXPECT_EQ(in[0].size, 0);
	XS_EXPECT_EQ(in[0].reserved, 0);
	XS_ASSERT_GE(in[0].fd, 0);
	XS_EXPECT_EQ(fcntl(in[0].fd, F_GETFD), FD_CLOEXEC);
	/* Slots past the items are not touched. */
	XS_EXPECT_EQ(in[1].type, 0x55555555);
	/* It is the same pipe. */
	XS_ASSERT_EQ(write(in[0].fd, "z", 1), 1);
	XS_ASSERT_EQ(read(w.rd, &c, 1), 1);
	XS_EXPECT_EQ(c, 'z');
	close(in[0].fd);
	XS_EXPECT_TRUE(watched_closed(&w, XSU_WAIT_MS));
}

XS_TEST(items_sealed_memfd_maps_in_place)
{
	const size_t len = 3 * 4096 + 100;
	XSU_NAME(name);
	struct xs_item in;
	struct xs_msg_hdr h;
	const uint8_t *p;
	char buf[16];
	size_t i;
	int cf, sf, m;

	xsu_pair(name, NULL, &cf, &sf);
	m = make_memfd(len, SEALS);
	XS_ASSERT_EQ(send_fd(cf, m, XS_ITEM_MEMFD), 0);
	close(m);
	XS_ASSERT_EQ(xsu_recv_items(sf, 0, buf, sizeof(buf), &in, 1, &h), 0);
	XS_EXPECT_EQ(h.nr_items, 1);
	XS_EXPECT_EQ(in.type, XS_ITEM_MEMFD);
	XS_EXPECT_EQ(in.size, len);
	XS_EXPECT_EQ(fcntl(in.fd, F_GET_SEALS) & SEALS, SEALS);
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, in.fd, 0);
	XS_ASSERT_TRUE(p != MAP_FAILED);
	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(i * 7 + 3))
			XS_FAIL("byte %zu is %u", i, p[i]);
	/* Nobody can change it: not us, and not the sender. */
	XS_EXPECT_TRUE(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			    in.fd, 0) == MAP_FAILED);
	XS_EXPECT_ERRNO(write(in.fd, "x", 1), EPERM);
	XS_EXPECT_ERRNO(ftruncate(in.fd, 1), EPERM);
	munmap((void *)p, len);
	close(in.fd);
}

XS_TEST(items_memfd_needs_every_seal)
{
	static const unsigned int partial[] = {
		0, F_SEAL_WRITE, F_SEAL_WRITE | F_SEAL_SHRINK,
		F_SEAL_SHRINK | F_SEAL_GROW, F_SEAL_FUTURE_WRITE |
		F_SEAL_SHRINK | F_SEAL_GROW,
	};
	XSU_NAME(name);
	unsigned int i;
	int cf, sf, m, p[2];

	xsu_pair(name, NULL, &cf, &sf);
	for (i = 0; i < sizeof(partial) / sizeof(partial[0]); i++) {
		m = make_memfd(4096, partial[i]);
		XS_EXPECT_EQ(send_fd(cf, m, XS_ITEM_MEMFD), -EINVAL);
		/* As a plain fd it may go. */
		XS_EXPECT_EQ(send_fd(cf, m, XS_ITEM_FD), 0);
		close(m);
	}
	/* Not a memfd at all. */
	XS_ASSERT_OK(pipe(p));
	XS_EXPECT_EQ(send_fd(cf, p[0], XS_ITEM_MEMFD), -EINVAL);
	/* Sealed and fine, with every seal there is. */
	m = make_memfd(0, SEALS | F_SEAL_SEAL);
	XS_EXPECT_EQ(send_fd(cf, m, XS_ITEM_MEMFD), 0);
	for (i = 0; i < sizeof(partial) / sizeof(partial[0]) + 1; i++) {
		struct xs_item in;

		XS_ASSERT_EQ(xsu_recv_items(sf, 0, NULL, 16, &in, 1, NULL), -EFAULT);
		XS_ASSERT_EQ(xsu_recv_items(sf, 0, (char[16]){ 0 }, 16, &in, 1,
					NULL), 0);
		close(in.fd);
	}
	xsu_expect_empty(sf);
}

/* The files that could hold other files in flight may not travel. */
XS_TEST(items_refuse_cycle_makers)
{
	struct io_uring_params params = { 0 };
	XSU_NAME(name);
	int l, cf, sf, u, sp[2], ring;

	xsu_pair(name, &l, &cf, &sf);
	u = xsu_open();
	XS_EXPECT_EQ(send_fd(cf, cf, XS_ITEM_FD), -EINVAL);
	XS_EXPECT_EQ(send_fd(cf, sf, XS_ITEM_FD), -EINVAL);
	XS_EXPECT_EQ(send_fd(cf, l, XS_ITEM_FD), -EINVAL);
	XS_EXPECT_EQ(send_fd(cf, u, XS_ITEM_FD), -EINVAL);
	XS_ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp));
	XS_EXPECT_EQ(send_fd(cf, sp[0], XS_ITEM_FD), -EINVAL);
	ring = syscall(__NR_io_uring_setup, 4, &params);
	if (ring >= 0)
		XS_EXPECT_EQ(send_fd(cf, ring, XS_ITEM_FD), -EINVAL);
	else
		xs_diag("no io_uring here (%d): not tried", errno);
	xsu_expect_empty(sf);
	/* Other anonymous files are fine. */
	XS_EXPECT_EQ(send_fd(cf, eventfd(0, EFD_CLOEXEC), XS_ITEM_FD), 0);
	{
		struct xs_item in;
		struct xs_msg_hdr h;
		char buf[8];

		XS_ASSERT_EQ(xsu_recv_items(sf, 0, buf, sizeof(buf), &in, 1, &h),
			     0);
		XS_EXPECT_EQ(h.nr_items, 1);
		XS_EXPECT_EQ(eventfd_write(in.fd, 1), 0);
		close(in.fd);
	}
}

XS_TEST(items_bad_descriptions_queue_nothing)
{
	struct xs_item it[XS_ITEMS_MAX + 1];
	XSU_NAME(name);
	unsigned int i;
	int cf, sf, p[2];

	xsu_pair(name, NULL, &cf, &sf);
	XS_ASSERT_OK(pipe(p));
	memset(it, 0, sizeof(it));
	for (i = 0; i <= XS_ITEMS_MAX; i++)
		it[i] = (struct xs_item){ .type = XS_ITEM_FD, .fd = p[1] };

	XS_EXPECT_EQ(xsu_send_items(cf, XS_MSG_ONEWAY, 0, "x", 1, it,
				XS_ITEMS_MAX + 1, NULL), -EINVAL);
	XS_EXPECT_EQ(xsu_send_items(cf, XS_MSG_ONEWAY, 0, "x", 1,
				(void *)8, 1, NULL), -EFAULT);
	it[3].fd = 1000;	/* not open */
	XS_EXPECT_EQ(xsu_send_items(cf, XS_MSG_ONEWAY, 0, "x", 1, it, 5, NULL),
		     -EBADF);
	it[3].fd = -1;
	XS_EXPECT_EQ(xsu_send_items(cf, XS_MSG_ONEWAY, 0, "x", 1, it, 5, NULL),
		     -EBADF);
	it[3].fd = p[1];
	it[2].type = 3;
	XS_EXPECT_EQ(xsu_send_items(cf, XS_MSG_ONEWAY, 0, "x", 1, it, 5, NULL),
		     -EINVAL);
	it[2].type = 0;
	XS_EXPECT_EQ(xsu_send_items(cf, XS_MSG_ONEWAY, 0, "x", 1, it, 5, NULL),
		     -EINVAL);
	it[2].type = XS_ITEM_FD;
	it[1].size = 1;
	XS_EXPECT_EQ(xsu_send_items(cf, XS_MSG_ONEWAY, 0, "x", 1, it, 5, NULL),
		     -EINVAL);
	it[1].size = 0;
	it[4].reserved = 1;
	XS_EXPECT_EQ(xsu_send_items(cf, XS_MSG_ONEWAY, 0, "x", 1, it, 5, NULL),
		     -EINVAL);
	it[4].reserved = 0;
	/* A good message that cannot be queued takes nothing either. */
	XS_EXPECT_EQ(xsu_send_items(cf, XS_MSG_REPLY, 12, "x", 1, it, 5, NULL),
		     -EINVAL);
	xsu_expect_empty(sf);

	/* The most a message may carry, all the same file. */
	XS_EXPECT_EQ(xsu_send_items(cf, XS_MSG_ONEWAY, 0, "x", 1, it,
				XS_ITEMS_MAX, NULL), 0);
	{
		struct xs_item in[XS_ITEMS_MAX];
		struct xs_msg_hdr h;
		char buf[8];

		XS_ASSERT_EQ(xsu_recv_items(sf, 0, buf, sizeof(buf), in,
					XS_ITEMS_MAX, &h), 0);
		XS_EXPECT_EQ(h.nr_items, XS_ITEMS_MAX);
		for (i = 0; i < XS_ITEMS_MAX; i++)
			close(in[i].fd);
	}
	/* The refused sends dropped what they had taken. */
	close(p[1]);
	{
		struct watched w = { .rd = p[0], .wr = -1 };

		XS_EXPECT_TRUE(watched_closed(&w, XSU_WAIT_MS));
	}
}

/* Too few slots: -EMSGSIZE, the count in the header, still queued. */
XS_TEST(items_too_few_slots_keep_message)
{
	struct xs_item it[2], in[2];
	XSU_NAME(name);
	struct xs_msg_hdr h;
	char buf[16];
	int cf, sf, p[2], before;

	xsu_pair(name, NULL, &cf, &sf);
	XS_ASSERT_OK(pipe2(p, O_CLOEXEC));
	it[0] = (struct xs_item){ .type = XS_ITEM_FD, .fd = p[0] };
	it[1] = (struct xs_item){ .type = XS_ITEM_FD, .fd = p[1] };
	XS_ASSERT_EQ(xsu_send_items(cf, XS_MSG_ONEWAY, 0, "two", 3, it, 2, NULL),
		     0);
	before = open_fds();
	XS_EXPECT_EQ(xsu_recv_items(sf, 0, buf, sizeof(buf), NULL, 0, &h),
		     -EMSGSIZE);
	XS_EXPECT_EQ(h.nr_items, 2);
	XS_EXPECT_EQ(h.payload_len, 3);
	XS_EXPECT_EQ(xsu_recv_items(sf, 0, buf, sizeof(buf), in, 1, &h),
		     -EMSGSIZE);
	XS_EXPECT_EQ(open_fds(), before);
	/* A fault on the slots installs nothing either. */
	XS_EXPECT_EQ(xsu_recv_items(sf, 0, buf, sizeof(buf), (void *)8, 2, &h),
		     -EFAULT);
	XS_EXPECT_EQ(open_fds(), before);

	/* A peek says what there is, and installs nothing. */
	memset(in, 0, sizeof(in));
	XS_ASSERT_EQ(xsu_recv_items(sf, XS_RECV_PEEK, buf, sizeof(buf), in, 2, &h),
		     0);
	XS_EXPECT_EQ(h.nr_items, 2);
	XS_EXPECT_EQ(in[0].fd, -1);
	XS_EXPECT_EQ(in[1].fd, -1);
	XS_EXPECT_EQ(in[1].type, XS_ITEM_FD);
	XS_EXPECT_EQ(open_fds(), before);

	XS_ASSERT_EQ(xsu_recv_items(sf, 0, buf, sizeof(buf), in, 2, &h), 0);
	XS_EXPECT_EQ(open_fds(), before + 2);
	XS_EXPECT_MEMEQ(buf, "two", 3);
	close(in[0].fd);
	close(in[1].fd);
	xsu_expect_empty(sf);
}

/* At RLIMIT_NOFILE: -EMFILE, nothing installed, the message kept. */
XS_TEST(items_rlimit_nofile_all_or_nothing)
{
	struct xs_item it[4], in[4];
	struct rlimit rl;
	XSU_NAME(name);
	struct xs_msg_hdr h;
	char buf[16];
	int cf, sf, i, n, p[2];

	xsu_pair(name, NULL, &cf, &sf);
	XS_ASSERT_OK(pipe2(p, O_CLOEXEC));
	for (i = 0; i < 4; i++)
		it[i] = (struct xs_item){ .type = XS_ITEM_FD, .fd = p[1] };
	XS_ASSERT_EQ(xsu_send_items(cf, XS_MSG_ONEWAY, 0, "four", 4, it, 4, NULL),
		     0);
	close(p[1]);

	/* Room for one more descriptor (and any holes below). */
	n = open_fds();
	XS_ASSERT_OK(getrlimit(RLIMIT_NOFILE, &rl));
	rl.rlim_cur = highest_fd() + 2;
	XS_ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
	XS_EXPECT_EQ(xsu_recv_items(sf, 0, buf, sizeof(buf), in, 4, &h), -EMFILE);
	XS_EXPECT_EQ(open_fds(), n);
	rl.rlim_cur = rl.rlim_max;
	XS_ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
	XS_ASSERT_EQ(xsu_recv_items(sf, 0, buf, sizeof(buf), in, 4, &h), 0);
	XS_EXPECT_EQ(open_fds(), n + 4);
	for (i = 0; i < 4; i++)
		close(in[i].fd);
	{
		struct watched w = { .rd = p[0], .wr = -1 };

		XS_EXPECT_TRUE(watched_closed(&w, XSU_WAIT_MS));
	}
}

/* read() delivers the message and closes its items, as AF_UNIX does. */
XS_TEST(items_read_closes_them)
{
	struct {
		struct xs_msg_hdr h;
		char payload[16];
	} f;
	XSU_NAME(name);
	struct watched w;
	int cf, sf;

	xsu_pair(name, NULL, &cf, &sf);
	watched_init(&w);
	XS_ASSERT_EQ(send_fd(cf, w.wr, XS_ITEM_FD), 0);
	close(w.wr);
	XS_ASSERT_EQ(read(sf, &f, sizeof(f)), (ssize_t)(32 + 3));
	XS_EXPECT_EQ(f.h.nr_items, 1);
	XS_EXPECT_TRUE(watched_closed(&w, XSU_WAIT_MS));
}

/* Messages never received: their items close with the session. */
XS_TEST(items_closed_with_the_session)
{
	XSU_NAME(name);
	struct watched w1, w2;
	int cf, sf;

	xsu_pair(name, NULL, &cf, &sf);
	watched_init(&w1);
	watched_init(&w2);
	XS_ASSERT_EQ(send_fd(cf, w1.wr, XS_ITEM_FD), 0);
	XS_ASSERT_EQ(send_fd(sf, w2.wr, XS_ITEM_FD), 0);
	close(w1.wr);
	close(w2.wr);
	XS_EXPECT_FALSE(watched_closed(&w1, XSU_QUIET_MS));
	/* One end gone: the other's messages wait to be read. */
	close(cf);
	XS_EXPECT_FALSE(watched_closed(&w1, XSU_QUIET_MS));
	close(sf);
	XS_EXPECT_TRUE(watched_closed(&w1, XSU_WAIT_MS));
	XS_EXPECT_TRUE(watched_closed(&w2, XSU_WAIT_MS));
}

/* After a local cancel, queued messages are dropped, items with them. */
XS_TEST(items_closed_after_local_cancel)
{
	XSU_NAME(name);
	struct watched w;
	int cf, sf;

	xsu_pair(name, NULL, &cf, &sf);
	watched_init(&w);
	XS_ASSERT_EQ(send_fd(sf, w.wr, XS_ITEM_FD), 0);
	close(w.wr);
	XS_ASSERT_EQ(xsu_cancel(cf, "bye", 3), 0);
	xsu_expect_end(cf, XS_END_CANCELED, NULL, 0);
	XS_EXPECT_TRUE(watched_closed(&w, XSU_WAIT_MS));
}

/*
 * A receiver reading in place: a record with items is taken with
 * XS_IOC_RECV; one released in place loses its items, which the kernel
 * closes at the next send or XS_IOC_RING_WAIT.
 */
XS_TEST(items_with_a_mapped_ring)
{
	XSU_NAME(name);
	struct watched w1, w2;
	struct xsu_ring r;
	struct xs_item in;
	char buf[16];
	int cf, sf;

	xsu_pair_mapped(name, 0, NULL, &cf, &sf);
	xsu_ring_map(cf, &r);
	watched_init(&w1);
	watched_init(&w2);
	XS_ASSERT_EQ(send_fd(sf, w1.wr, XS_ITEM_FD), 0);
	XS_ASSERT_EQ(send_fd(sf, w2.wr, XS_ITEM_FD), 0);
	close(w1.wr);
	close(w2.wr);

	XS_ASSERT_TRUE(xsu_ring_peek(&r) != NULL);
	XS_EXPECT_EQ(xsu_ring_peek(&r)->nr_items, 1);
	XS_ASSERT_EQ(xsu_recv_items(cf, 0, buf, sizeof(buf), &in, 1, NULL), 0);
	r.head = r.ctl->head;
	close(in.fd);
	XS_EXPECT_TRUE(watched_closed(&w1, XSU_WAIT_MS));

	XS_ASSERT_TRUE(xsu_ring_peek(&r) != NULL);
	XS_EXPECT_EQ(xsu_ring_peek(&r)->nr_items, 1);
	xsu_ring_release(&r);
	XS_EXPECT_FALSE(watched_closed(&w2, XSU_QUIET_MS));
	XS_EXPECT_EQ(xsu_ring_wait(cf, XS_NONBLOCK, 0), -EAGAIN);
	XS_EXPECT_TRUE(watched_closed(&w2, XSU_WAIT_MS));
	xsu_ring_unmap(&r);
}

struct batch_items {
	struct xs_send_desc d[4];
	struct xs_item it[4];
};

XS_TEST(items_in_a_batch)
{
	struct xs_send_batch b = { .size = sizeof(b) };
	struct batch_items bi;
	XSU_NAME(name);
	struct xs_item in;
	struct xs_msg_hdr h;
	char buf[8];
	int cf, sf, i, p[2];

	xsu_pair(name, NULL, &cf, &sf);
	XS_ASSERT_OK(pipe2(p, O_CLOEXEC));
	memset(&bi, 0, sizeof(bi));
	for (i = 0; i < 4; i++) {
		bi.it[i] = (struct xs_item){ .type = XS_ITEM_FD, .fd = p[1] };
		bi.d[i] = (struct xs_send_desc){
			.kind = XS_MSG_ONEWAY,
			.payload = (uintptr_t)"b",
			.payload_len = 1,
			.items = (uintptr_t)&bi.it[i],
			.nr_items = 1,
		};
	}
	bi.it[2].fd = 999;	/* the third one stops the batch */
	b.descs = (uintptr_t)bi.d;
	b.count = 4;
	b.desc_size = sizeof(bi.d[0]);
	XS_EXPECT_EQ(ioctl(cf, XS_IOC_SEND_BATCH, &b), 2);
	XS_EXPECT_EQ(b.queued, 2);
	XS_EXPECT_EQ(b.error, -EBADF);
	for (i = 0; i < 2; i++) {
		XS_ASSERT_EQ(xsu_recv_items(sf, 0, buf, sizeof(buf), &in, 1, &h), 0);
		XS_EXPECT_EQ(h.nr_items, 1);
		XS_EXPECT_EQ(h.id, bi.d[i].id);
		close(in.fd);
	}
	xsu_expect_empty(sf);
	close(p[1]);
	{
		struct watched w = { .rd = p[0], .wr = -1 };

		XS_EXPECT_TRUE(watched_closed(&w, XSU_WAIT_MS));
	}
}

/* Older binaries: the first published struct sizes still work. */
XS_TEST(items_old_struct_sizes)
{
	struct xs_send_batch b = { .size = sizeof(b) };
	struct xs_send_desc d[2];
	XSU_NAME(name);
	int cf, sf;

	xsu_pair(name, NULL, &cf, &sf);
	memset(d, 0, sizeof(d));
	/* Descriptors of 40 bytes, packed: the second starts at 40. */
	((struct xs_send_desc *)d)->kind = XS_MSG_ONEWAY;
	((struct xs_send_desc *)((char *)d + XS_SEND_DESC_SIZE_VER0))->kind =
		XS_MSG_ONEWAY;
	b.descs = (uintptr_t)d;
	b.count = 2;
	b.desc_size = XS_SEND_DESC_SIZE_VER0;
	XS_EXPECT_EQ(ioctl(cf, XS_IOC_SEND_BATCH, &b), 2);
	xsu_expect_item(sf, XS_MSG_ONEWAY, 0, 0, 0, NULL, 0, NULL);
	xsu_expect_item(sf, XS_MSG_ONEWAY, 0, 0, 0, NULL, 0, NULL);
}

struct sync_server {
	int fd;
	int memfd;
};

/* Answer one request with a memfd, checking the request's own item. */
static void *sync_server(void *arg)
{
	struct sync_server *ss = arg;
	struct xs_item in, out = { .type = XS_ITEM_MEMFD, .fd = ss->memfd };
	struct xs_msg_hdr h;
	char buf[16], c;
	int ret;

	ret = xsu_recv_wait(ss->fd, NULL, 0, &h, XSU_WAIT_MS);
	if (ret != -EMSGSIZE || h.nr_items != 1)
		return (void *)1L;
	if (xsu_recv_items(ss->fd, 0, buf, sizeof(buf), &in, 1, &h))
		return (void *)2L;
	if (read(in.fd, &c, 1) != 1 || c != 'q')
		return (void *)3L;
	close(in.fd);
	if (xsu_send_items(ss->fd, XS_MSG_REPLY, h.id, "ok", 2, &out, 1, NULL))
		return (void *)4L;
	return NULL;
}

XS_TEST(items_through_a_synchronous_send)
{
	struct xs_item req, rep[2];
	struct xs_send_sync s;
	struct sync_server ss;
	XSU_NAME(name);
	pthread_t t;
	char reply[16];
	int cf, sf, p[2];

	xsu_pair(name, NULL, &cf, &sf);
	XS_ASSERT_OK(pipe2(p, O_CLOEXEC));
	XS_ASSERT_EQ(write(p[1], "q", 1), 1);
	req = (struct xs_item){ .type = XS_ITEM_FD, .fd = p[0] };
	ss = (struct sync_server){ .fd = sf, .memfd = make_memfd(5000, SEALS) };
	t = xsu_thread(sync_server, &ss);

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.payload = (uintptr_t)"?";
	s.payload_len = 1;
	s.reply_buf = (uintptr_t)reply;
	s.reply_cap = sizeof(reply);
	s.items = (uintptr_t)&req;
	s.nr_items = 1;
	s.reply_items = (uintptr_t)rep;
	s.reply_items_cap = 2;
	XS_ASSERT_EQ(ioctl(cf, XS_IOC_SEND_SYNC, &s), 0);
	XS_EXPECT_EQ(xsu_join(t, XSU_WAIT_MS), NULL);
	XS_EXPECT_EQ(s.reply_kind, XS_MSG_REPLY);
	XS_EXPECT_EQ(s.reply_len, 2);
	XS_EXPECT_EQ(s.reply_nr_items, 1);
	XS_EXPECT_EQ(rep[0].type, XS_ITEM_MEMFD);
	XS_EXPECT_EQ(rep[0].size, 5000);
	XS_EXPECT_EQ(fcntl(rep[0].fd, F_GETFD), FD_CLOEXEC);
	close(rep[0].fd);

	/* No slot for the reply's item: -EMSGSIZE, and it is closed. */
	XS_ASSERT_EQ(write(p[1], "q", 1), 1);
	s.reply_items_cap = 0;
	s.reply_items = 0;
	t = xsu_thread(sync_server, &ss);
	XS_EXPECT_ERRNO(ioctl(cf, XS_IOC_SEND_SYNC, &s), EMSGSIZE);
	XS_EXPECT_EQ(s.reply_nr_items, 1);
	XS_EXPECT_EQ(xsu_join(t, XSU_WAIT_MS), NULL);
	close(ss.memfd);
}

/*
 * kill -9 on either side at random points while descriptors and memfds
 * are in flight: afterwards no reference to them is left anywhere (the
 * pipe sees EOF), and the memfds' pages are gone (Shmem goes back).
 */
XS_TEST_TIMEOUT(items_survive_kill9_without_leaks, 180)
{
	const size_t mlen = 64 << 10;
	uint64_t seed = xsu_seed(), rnd = seed;
	long shmem_before, shmem_after;
	XSU_NAME(name);
	struct watched w;
	int round, lfd;

	watched_init(&w);
	/* A small ring: at most about 100 messages in flight per session. */
	lfd = xsu_listen_opts(name, 0, 4096, 0);
	shmem_before = meminfo_kb("Shmem:");
	for (round = 0; round < 12; round++) {
		uint64_t delay = xsu_rand(&rnd) % 30000;
		bool kill_sender = xsu_rand(&rnd) & 1;
		pid_t sender, receiver;
		struct xsu_event ev;

		xsu_event_init(&ev);
		sender = xsu_fork();
		if (!sender) {
			int c = xsu_connect(name, 0), i;

			xsu_event_post(&ev);
			for (i = 0;; i++) {
				int m = make_memfd(mlen, SEALS);
				struct xs_item it[2] = {
					{ .type = XS_ITEM_FD, .fd = w.wr },
					{ .type = XS_ITEM_MEMFD, .fd = m },
				};

				if (xsu_send_items(c, XS_MSG_ONEWAY, 0, "k", 1, it,
					       2, NULL))
					_exit(0);
				close(m);
			}
		}
		xsu_event_wait(&ev, XSU_WAIT_MS);
		receiver = xsu_fork();
		if (!receiver) {
			int s = xsu_accept(lfd);
			struct xs_item in[2];
			char buf[8];

			xsu_activate(s);
			for (;;) {
				if (xsu_recv_items(s, 0, buf, sizeof(buf), in, 2,
					       NULL))
					_exit(0);
				close(in[0].fd);
				if (xsu_rand(&rnd) & 1)
					close(in[1].fd);	/* else: leak to exit */
			}
		}
		xsu_sleep_us(delay);
		kill(kill_sender ? sender : receiver, SIGKILL);
		xsu_sleep_us(delay / 2);
		kill(kill_sender ? receiver : sender, SIGKILL);
		xsu_reap(sender, XSU_WAIT_MS);
		xsu_reap(receiver, XSU_WAIT_MS);
	}
	close(w.wr);
	close(lfd);
	XS_EXPECT_TRUE(watched_closed(&w, XSU_WAIT_MS));
	/* The pages go when the last reference does (fput may be deferred). */
	for (round = 0; round < 100; round++) {
		shmem_after = meminfo_kb("Shmem:");
		if (shmem_after <= shmem_before + 1024)
			break;
		xsu_sleep_ms(50);
	}
	xs_diag("Shmem %ld kB before, %ld kB after (seed %llu)",
		shmem_before, shmem_after, (unsigned long long)seed);
	XS_EXPECT_LE(shmem_after, shmem_before + 1024);
}
