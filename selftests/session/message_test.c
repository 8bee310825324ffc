// SPDX-License-Identifier: GPL-2.0
/*
 * Messages on a connected session: exact headers and payloads, ids,
 * kinds, size limits, XS_IOC_SEND/XS_IOC_RECV struct checks, receive
 * flags (non-blocking, peek, short buffers), read()/write() framing, and
 * FIFO order of 100 000 one-way messages.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "xs_util.h"

XS_TEST(oneway_both_directions_exact)
{
	XSU_NAME(name);
	struct xs_msg_hdr h;
	uint64_t cid, sid;
	char buf[64];
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_send(c, XS_MSG_ONEWAY, 0, 0, 0, "hello", 5, &cid), 0);
	XS_ASSERT_EQ(xsu_send(s, XS_MSG_ONEWAY, 0, 0, 0, "world!", 6, &sid), 0);

	memset(&h, 0xa5, sizeof(h));
	memset(buf, 0, sizeof(buf));
	XS_ASSERT_EQ(xsu_recv(s, 0, buf, sizeof(buf), &h), 0);
	XS_EXPECT_EQ(h.kind, XS_MSG_ONEWAY);
	XS_EXPECT_EQ(h.flags, 0);
	XS_EXPECT_EQ(h.payload_len, 5);
	XS_EXPECT_EQ(h.status, 0);
	XS_EXPECT_EQ(h.nr_items, 0);
	XS_EXPECT_EQ(h.id, cid);
	XS_EXPECT_EQ(h.reply_to, 0);
	XS_EXPECT_MEMEQ(buf, "hello\0", 6);

	XS_ASSERT_EQ(xsu_recv(c, 0, buf, sizeof(buf), &h), 0);
	XS_EXPECT_EQ(h.kind, XS_MSG_ONEWAY);
	XS_EXPECT_EQ(h.payload_len, 6);
	XS_EXPECT_EQ(h.id, sid);
	XS_EXPECT_MEMEQ(buf, "world!", 6);

	/* Ids: non-zero, even for all but requests. */
	XS_EXPECT_NE(cid, 0);
	XS_EXPECT_NE(sid, 0);
	XS_EXPECT_EQ(cid & 1, 0);
	XS_EXPECT_EQ(sid & 1, 0);
	xsu_expect_empty(c);
	xsu_expect_empty(s);
	close(c);
	close(s);
}

/* Requests and other messages are numbered apart, each upwards. */
XS_TEST(ids_odd_for_requests_and_increasing_per_sender)
{
	XSU_NAME(name);
	uint64_t ids[2][8], last[2][2] = {}, got;
	int fds[2], side, i;

	xsu_pair(name, NULL, &fds[0], &fds[1]);
	for (i = 0; i < 8; i++) {
		for (side = 0; side < 2; side++) {
			uint32_t kind = i % 3 == 1 ? XS_MSG_REQUEST
						   : XS_MSG_ONEWAY;
			int req = kind == XS_MSG_REQUEST;

			XS_ASSERT_EQ(xsu_send(fds[side], kind, 0, 0, 0, &i,
					      sizeof(i), &ids[side][i]), 0);
			XS_EXPECT_NE(ids[side][i], 0);
			XS_EXPECT_EQ(ids[side][i] & 1, req);
			XS_EXPECT_GT(ids[side][i], last[side][req]);
			last[side][req] = ids[side][i];
		}
	}
	for (side = 0; side < 2; side++) {
		for (i = 0; i < 8; i++) {
			uint32_t kind = i % 3 == 1 ? XS_MSG_REQUEST
						   : XS_MSG_ONEWAY;

			xsu_expect_item(fds[!side], kind, 0, 0, 0, &i,
					sizeof(i), &got);
			XS_EXPECT_EQ(got, ids[side][i]);
		}
	}
	close(fds[0]);
	close(fds[1]);
}

XS_TEST(empty_payload)
{
	XSU_NAME(name);
	struct xs_msg_hdr h;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_oneway(c, NULL, 0), 0);
	XS_ASSERT_EQ(xsu_oneway(c, "ignored", 0), 0);
	XS_ASSERT_EQ(xsu_recv(s, 0, NULL, 0, &h), 0);
	XS_EXPECT_EQ(h.payload_len, 0);
	XS_EXPECT_EQ(h.kind, XS_MSG_ONEWAY);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, NULL, 0, NULL);
	close(c);
	close(s);
}

XS_TEST(send_kind_status_reply_to_checks)
{
	static const uint32_t bad_kinds[] = {
		0, XS_MSG_END, XS_MSG_END + 1, 0xff, 0x10001, 0xffffffffu,
	};
	XSU_NAME(name);
	uint64_t rid;
	unsigned int i;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	for (i = 0; i < sizeof(bad_kinds) / sizeof(bad_kinds[0]); i++)
		XS_EXPECT_EQ(xsu_send(c, bad_kinds[i], 0, 0, 0, "x", 1, NULL),
			     -EINVAL);
	XS_EXPECT_EQ(xsu_send(c, XS_MSG_ONEWAY, 0, 1, 0, "x", 1, NULL), -EINVAL);
	XS_EXPECT_EQ(xsu_send(c, XS_MSG_ONEWAY, 0, 0, 2, "x", 1, NULL), -EINVAL);
	XS_EXPECT_EQ(xsu_send(c, XS_MSG_REQUEST, 0, 5, 0, "x", 1, NULL),
		     -EINVAL);
	XS_EXPECT_EQ(xsu_send(c, XS_MSG_REQUEST, 0, 0, 3, "x", 1, NULL),
		     -EINVAL);
	/* A real request to answer with a bad reply. */
	XS_ASSERT_EQ(xsu_request(s, "q", 1, &rid), 0);
	XS_EXPECT_EQ(xsu_send(c, XS_MSG_REPLY, 0, 7, rid, "x", 1, NULL),
		     -EINVAL);
	/* Nothing of it was queued. */
	xsu_expect_empty(s);
	xsu_expect_item(c, XS_MSG_REQUEST, 0, 0, 0, "q", 1, NULL);
	/* ERROR_REPLY takes any status. */
	XS_EXPECT_EQ(xsu_error_reply(c, rid, 0xffffffffu, "e", 1), 0);
	xsu_expect_item(s, XS_MSG_ERROR_REPLY, 0, 0xffffffffu, rid, "e", 1,
			NULL);
	close(c);
	close(s);
}

struct send_big {
	struct xs_send s;
	uint64_t tail[2];
};

XS_TEST(send_struct_checks)
{
	XSU_NAME(name);
	struct send_big b;
	unsigned int bit;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
#define RESET()								\
	do {								\
		memset(&b, 0, sizeof(b));				\
		b.s.size = sizeof(b.s);					\
		b.s.kind = XS_MSG_ONEWAY;				\
		b.s.payload = (uintptr_t)"abc";				\
		b.s.payload_len = 3;					\
	} while (0)
	RESET();
	b.s.size = 0;
	XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND, &b.s), EINVAL);
	b.s.size = sizeof(b.s) - 8;
	XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND, &b.s), EINVAL);
	for (bit = 1; bit < 32; bit++) {
		RESET();
		b.s.flags = 1u << bit;
		XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND, &b.s), EINVAL);
	}
	RESET();
	b.s.__pad = 1;
	XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND, &b.s), EINVAL);
	RESET();
	b.s.items = 1;		/* items without a count */
	XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND, &b.s), EINVAL);
	RESET();
	b.s.__pad2 = 1;
	XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND, &b.s), EINVAL);
	RESET();
	b.s.size = sizeof(b);
	b.tail[1] = 1;
	XS_EXPECT_ERRNO(ioctl(c, XS_IOC_SEND, &b.s), E2BIG);
	xsu_expect_empty(s);

	/* A newer caller's zero tail is fine; id is written back. */
	RESET();
	b.s.size = sizeof(b);
	b.s.id = 12345;
	XS_ASSERT_EQ(ioctl(c, XS_IOC_SEND, &b.s), 0);
	XS_EXPECT_NE(b.s.id, 12345);
	XS_EXPECT_EQ(b.tail[0], 0);
	XS_EXPECT_EQ(b.tail[1], 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "abc", 3, NULL);
	/* The out id on input is ignored, XS_NONBLOCK is fine. */
	RESET();
	b.s.flags = XS_NONBLOCK;
	b.s.id = 1;
	XS_ASSERT_EQ(ioctl(c, XS_IOC_SEND, &b.s), 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "abc", 3, NULL);
#undef RESET
	close(c);
	close(s);
}

/* Smallest power-of-two ring that holds one @len-byte message, or 0. */
static uint32_t ring_for(uint32_t len, const struct xs_info *info)
{
	uint64_t r = 4096;

	while (r < XSU_RECORD(len))
		r <<= 1;
	return r <= info->ring_size_max ? r : 0;
}

XS_TEST(max_msg_size_emsgsize)
{
	XSU_NAME(name);
	struct xs_info info;
	uint32_t ring, max;
	char *buf, *out;
	int c, s, i;

	xsu_info(&info);
	max = info.max_msg_size;
	XS_ASSERT_GT(max, 0);
	ring = ring_for(max, &info);
	if (!ring)
		XS_SKIP("max_msg_size %u does not fit the largest ring %u",
			max, info.ring_size_max);
	buf = malloc(max + 1);
	out = malloc(max + 64);
	XS_ASSERT_NE(buf, NULL);
	XS_ASSERT_NE(out, NULL);
	for (i = 0; i <= (int)max; i++)
		buf[i] = i * 7;
	xsu_pair_rings(name, ring, ring, NULL, &c, &s);

	XS_EXPECT_EQ(xsu_oneway(c, buf, max + 1), -EMSGSIZE);
	XS_EXPECT_EQ(xsu_oneway(c, buf, 0xffffffffu), -EMSGSIZE);
	XS_EXPECT_EQ(xsu_send(c, XS_MSG_ONEWAY, XS_NONBLOCK, 0, 0, buf,
			      max + 1, NULL), -EMSGSIZE);
	XS_EXPECT_EQ(xsu_request(s, buf, max + 1, NULL), -EMSGSIZE);
	xsu_expect_empty(s);

	XS_ASSERT_EQ(xsu_oneway(c, buf, max), 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, buf, max, NULL);
	close(c);
	close(s);
	free(buf);
	free(out);
}

/* A record must fit the receiver's ring: 32 + payload rounded up to 8. */
XS_TEST(message_larger_than_receiver_ring_emsgsize)
{
	XSU_NAME(name);
	struct xs_info info;
	static char buf[65536];
	uint32_t fit;
	int c, s;

	xsu_info(&info);
	memset(buf, 'm', sizeof(buf));
	/* Client ring 4 KiB, server ring 8 KiB. */
	xsu_pair_rings(name, 4096, 8192, NULL, &c, &s);
	fit = 4096 - XSU_HDR;
	XS_EXPECT_EQ(xsu_oneway(s, buf, fit + 1), -EMSGSIZE);
	XS_EXPECT_EQ(xsu_oneway(s, buf, fit + 8), -EMSGSIZE);
	XS_EXPECT_EQ(xsu_oneway(s, buf, 4096), -EMSGSIZE);
	XS_EXPECT_EQ(xsu_send(s, XS_MSG_ONEWAY, XS_NONBLOCK, 0, 0, buf,
			      fit + 1, NULL), -EMSGSIZE);
	fit = 8192 - XSU_HDR;
	XS_EXPECT_EQ(xsu_oneway(c, buf, fit + 1), -EMSGSIZE);
	xsu_expect_empty(c);
	xsu_expect_empty(s);

	/* Exactly the ring's size fits, in either direction. */
	XS_ASSERT_EQ(xsu_oneway(s, buf, 4096 - XSU_HDR), 0);
	xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, buf, 4096 - XSU_HDR, NULL);
	XS_ASSERT_EQ(xsu_oneway(c, buf, fit), 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, buf, fit, NULL);
	close(c);
	close(s);

	/* The default ring: 64 KiB unless the module says otherwise. */
	xsu_pair(name, NULL, &c, &s);
	fit = info.ring_size_default - XSU_HDR;
	if (fit < sizeof(buf) && fit < info.max_msg_size) {
		XS_EXPECT_EQ(xsu_oneway(c, buf, fit + 1), -EMSGSIZE);
		XS_ASSERT_EQ(xsu_oneway(c, buf, fit), 0);
		xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, buf, fit, NULL);
	}
	close(c);
	close(s);
}

XS_TEST(payload_bad_pointer_efault)
{
	XSU_NAME(name);
	size_t ps = sysconf(_SC_PAGESIZE);
	char *page;
	int c, s;

	page = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	XS_ASSERT_NE(page, MAP_FAILED);
	XS_ASSERT_OK(munmap(page + ps, ps));
	memset(page, 'p', ps);
	xsu_pair(name, NULL, &c, &s);

	XS_EXPECT_EQ(xsu_oneway(c, NULL, 10), -EFAULT);
	XS_EXPECT_EQ(xsu_oneway(c, (void *)1, 10), -EFAULT);
	XS_EXPECT_EQ(xsu_request(c, (void *)0xffffffffff600000ul, 10, NULL),
		     -EFAULT);
	/* Runs 1 byte into the unmapped page. */
	XS_EXPECT_EQ(xsu_oneway(c, page + ps - 99, 100), -EFAULT);
	/* write(): a good header whose payload runs off the page. */
	{
		struct xs_msg_hdr h = {
			.kind = XS_MSG_ONEWAY, .payload_len = 9,
		};

		memcpy(page + ps - 40, &h, sizeof(h));
		XS_EXPECT_ERRNO(write(c, page + ps - 40, 41), EFAULT);
		/* The header itself off the page. */
		XS_EXPECT_ERRNO(write(c, page + ps - 16, 32), EFAULT);
		memset(page + ps - 40, 'p', 40);
	}
	/* Nothing was queued and the session is fine. */
	xsu_expect_empty(s);
	XS_ASSERT_EQ(xsu_oneway(c, page + ps - 100, 100), 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, page + ps - 100, 100, NULL);
	close(c);
	close(s);
	munmap(page, ps);
}

XS_TEST(fifo_mixed_kinds_both_directions)
{
	XSU_NAME(name);
	uint64_t req_c[10], req_s[10], id;
	char msg[32];
	int c, s, i;

	xsu_pair(name, NULL, &c, &s);
	for (i = 0; i < 10; i++) {
		snprintf(msg, sizeof(msg), "c%d", i);
		XS_ASSERT_EQ(xsu_oneway(c, msg, strlen(msg)), 0);
		XS_ASSERT_EQ(xsu_request(c, msg, strlen(msg), &req_c[i]), 0);
		snprintf(msg, sizeof(msg), "s%d", i);
		XS_ASSERT_EQ(xsu_request(s, msg, strlen(msg), &req_s[i]), 0);
		XS_ASSERT_EQ(xsu_oneway(s, msg, strlen(msg)), 0);
	}
	for (i = 0; i < 10; i++) {
		snprintf(msg, sizeof(msg), "c%d", i);
		xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, msg, strlen(msg),
				NULL);
		xsu_expect_item(s, XS_MSG_REQUEST, 0, 0, 0, msg, strlen(msg),
				&id);
		XS_EXPECT_EQ(id, req_c[i]);
		snprintf(msg, sizeof(msg), "s%d", i);
		xsu_expect_item(c, XS_MSG_REQUEST, 0, 0, 0, msg, strlen(msg),
				&id);
		XS_EXPECT_EQ(id, req_s[i]);
		xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, msg, strlen(msg),
				NULL);
	}
	/* The server asked unprompted; the client answers. */
	for (i = 0; i < 10; i++)
		XS_ASSERT_EQ(xsu_reply(c, req_s[i], &i, sizeof(i)), 0);
	for (i = 0; i < 10; i++)
		xsu_expect_item(s, XS_MSG_REPLY, 0, 0, req_s[i], &i, sizeof(i),
				NULL);
	close(c);
	close(s);
}

/* ---- receiving -------------------------------------------------------- */

XS_TEST(recv_nonblocking_eagain)
{
	XSU_NAME(name);
	int l, c, s, cn;
	char buf[64];

	xsu_pair(name, &l, &c, &s);
	XS_EXPECT_EQ(xsu_recv(c, XS_NONBLOCK, buf, sizeof(buf), NULL), -EAGAIN);
	XS_EXPECT_EQ(xsu_recv(s, XS_NONBLOCK, buf, sizeof(buf), NULL), -EAGAIN);
	XS_EXPECT_EQ(xsu_recv(s, XS_NONBLOCK | XS_RECV_PEEK, buf, sizeof(buf),
			      NULL), -EAGAIN);
	/* O_NONBLOCK on the fd: a client opened so, a server set so. */
	cn = xsu_open_flags(O_NONBLOCK);
	XS_ASSERT_EQ(xsu_connect_fd(cn, name, 0, 0), 0);
	XS_EXPECT_EQ(xsu_recv(cn, 0, buf, sizeof(buf), NULL), -EAGAIN);
	XS_EXPECT_ERRNO(read(cn, buf, sizeof(buf)), EAGAIN);
	XS_ASSERT_OK(fcntl(s, F_SETFL, O_NONBLOCK));
	XS_EXPECT_EQ(xsu_recv(s, 0, buf, sizeof(buf), NULL), -EAGAIN);
	close(cn);
	close(c);
	close(s);
	close(l);
}

struct recv_arg {
	int fd;
	int ret;
	int done;
	struct xs_msg_hdr hdr;
	char buf[64];
};

static void *recv_thread(void *p)
{
	struct recv_arg *a = p;

	a->ret = xsu_recv(a->fd, 0, a->buf, sizeof(a->buf), &a->hdr);
	__atomic_store_n(&a->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

XS_TEST(recv_blocks_until_a_message)
{
	XSU_NAME(name);
	struct recv_arg a;
	pthread_t t;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	memset(&a, 0, sizeof(a));
	a.fd = s;
	t = xsu_thread(recv_thread, &a);
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_ASSERT_EQ(__atomic_load_n(&a.done, __ATOMIC_SEQ_CST), 0);
	XS_ASSERT_EQ(xsu_oneway(c, "wake", 4), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(a.ret, 0);
	XS_EXPECT_EQ(a.hdr.kind, XS_MSG_ONEWAY);
	XS_EXPECT_EQ(a.hdr.payload_len, 4);
	XS_EXPECT_MEMEQ(a.buf, "wake", 4);
	close(c);
	close(s);
}

XS_TEST(recv_short_buffer_emsgsize_keeps_item)
{
	XSU_NAME(name);
	struct xs_msg_hdr h;
	char msg[100], buf[128];
	uint64_t id;
	int c, s, i;

	for (i = 0; i < 100; i++)
		msg[i] = i;
	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_send(c, XS_MSG_REQUEST, 0, 0, 0, msg, 100, &id), 0);
	XS_ASSERT_EQ(xsu_oneway(c, "next", 4), 0);

	memset(&h, 0, sizeof(h));
	memset(buf, 0x5a, sizeof(buf));
	XS_EXPECT_EQ(xsu_recv(s, 0, buf, 99, &h), -EMSGSIZE);
	XS_EXPECT_EQ(h.payload_len, 100);
	/* Nothing was copied. */
	XS_EXPECT_EQ((unsigned char)buf[0], 0x5a);
	XS_EXPECT_EQ(xsu_recv(s, 0, NULL, 0, &h), -EMSGSIZE);
	XS_EXPECT_EQ(h.payload_len, 100);
	XS_EXPECT_EQ(xsu_recv(s, XS_RECV_PEEK, buf, 1, &h), -EMSGSIZE);
	XS_EXPECT_EQ(h.payload_len, 100);
	XS_EXPECT_EQ(xsu_recv(s, XS_NONBLOCK, buf, 50, &h), -EMSGSIZE);
	XS_EXPECT_EQ(h.payload_len, 100);
	/* Still queued, first. */
	XS_ASSERT_EQ(xsu_recv(s, 0, buf, 100, &h), 0);
	XS_EXPECT_EQ(h.kind, XS_MSG_REQUEST);
	XS_EXPECT_EQ(h.id, id);
	XS_EXPECT_EQ(h.payload_len, 100);
	XS_EXPECT_MEMEQ(buf, msg, 100);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "next", 4, NULL);
	close(c);
	close(s);
}

XS_TEST(recv_peek_leaves_item)
{
	XSU_NAME(name);
	struct xs_msg_hdr h1, h2, h3;
	char b1[16], b2[16], b3[16];
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_oneway(c, "first", 5), 0);
	XS_ASSERT_EQ(xsu_oneway(c, "second", 6), 0);
	XS_ASSERT_EQ(xsu_recv(s, XS_RECV_PEEK, b1, sizeof(b1), &h1), 0);
	XS_ASSERT_EQ(xsu_recv(s, XS_RECV_PEEK | XS_NONBLOCK, b2, sizeof(b2),
			      &h2), 0);
	XS_ASSERT_EQ(xsu_recv(s, 0, b3, sizeof(b3), &h3), 0);
	XS_EXPECT_MEMEQ(&h1, &h2, sizeof(h1));
	XS_EXPECT_MEMEQ(&h1, &h3, sizeof(h1));
	XS_EXPECT_EQ(h1.payload_len, 5);
	XS_EXPECT_MEMEQ(b1, "first", 5);
	XS_EXPECT_MEMEQ(b2, "first", 5);
	XS_EXPECT_MEMEQ(b3, "first", 5);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "second", 6, NULL);
	/* Peeking never waits past "nothing" with XS_NONBLOCK. */
	XS_EXPECT_EQ(xsu_recv(s, XS_RECV_PEEK | XS_NONBLOCK, b1, sizeof(b1),
			      NULL), -EAGAIN);
	close(c);
	close(s);
}

struct recv_big {
	struct xs_recv r;
	uint64_t tail;
};

XS_TEST(recv_struct_checks)
{
	XSU_NAME(name);
	struct recv_big b;
	char buf[16];
	unsigned int bit;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_oneway(c, "kept", 4), 0);
#define RESET()								\
	do {								\
		memset(&b, 0, sizeof(b));				\
		b.r.size = sizeof(b.r);					\
		b.r.flags = XS_NONBLOCK;				\
		b.r.buf = (uintptr_t)buf;				\
		b.r.buf_len = sizeof(buf);				\
	} while (0)
	RESET();
	b.r.size = 0;
	XS_EXPECT_ERRNO(ioctl(s, XS_IOC_RECV, &b.r), EINVAL);
	b.r.size = XS_RECV_SIZE_VER0 - 8;
	XS_EXPECT_ERRNO(ioctl(s, XS_IOC_RECV, &b.r), EINVAL);
	for (bit = 2; bit < 32; bit++) {
		RESET();
		b.r.flags |= 1u << bit;
		XS_EXPECT_ERRNO(ioctl(s, XS_IOC_RECV, &b.r), EINVAL);
	}
	RESET();
	b.r.__pad = 1;
	XS_EXPECT_ERRNO(ioctl(s, XS_IOC_RECV, &b.r), EINVAL);
	RESET();
	b.r.__pad2 = 1;
	XS_EXPECT_ERRNO(ioctl(s, XS_IOC_RECV, &b.r), EINVAL);
	RESET();
	b.r.items = 8;		/* a place for items, but no room */
	XS_EXPECT_ERRNO(ioctl(s, XS_IOC_RECV, &b.r), EINVAL);
	RESET();
	b.r.size = sizeof(b);
	b.tail = 1;
	XS_EXPECT_ERRNO(ioctl(s, XS_IOC_RECV, &b.r), E2BIG);
	/* The message survived all of it. */
	RESET();
	b.r.size = sizeof(b);
	XS_ASSERT_EQ(ioctl(s, XS_IOC_RECV, &b.r), 0);
	XS_EXPECT_EQ(b.r.hdr.payload_len, 4);
	XS_EXPECT_MEMEQ(buf, "kept", 4);
	XS_EXPECT_EQ(b.tail, 0);
#undef RESET
	close(c);
	close(s);
}

XS_TEST(recv_bad_buffer_efault)
{
	XSU_NAME(name);
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_oneway(c, "12345", 5), 0);
	XS_EXPECT_EQ(xsu_recv(s, XS_NONBLOCK, NULL, 16, NULL), -EFAULT);
	XS_EXPECT_EQ(xsu_recv(s, XS_NONBLOCK, (void *)0xffffffffff600000ul, 16,
			      NULL), -EFAULT);
	XS_ASSERT_OK(fcntl(s, F_SETFL, O_NONBLOCK));
	{
		/* Hidden from the compiler, which knows read()'s contract. */
		void *volatile bad[2] = { NULL, (void *)1 };

		XS_EXPECT_ERRNO(read(s, bad[0], 64), EFAULT);
		XS_EXPECT_ERRNO(read(s, bad[1], 64), EFAULT);
	}
	close(c);
	close(s);
}

/* Variable sizes through a 4 KiB ring: records wrap around its end. */
XS_TEST(small_ring_wraps_exactly)
{
	XSU_NAME(name);
	uint64_t seed = xsu_seed(), st = seed;
	static char out[4096], in[4096];
	struct xs_msg_hdr h;
	int c, s, i;

	xsu_pair_rings(name, 4096, 4096, NULL, &c, &s);
	for (i = 0; i < 3000; i++) {
		uint32_t len = xsu_rand(&st) % (4096 - XSU_HDR + 1), k;

		for (k = 0; k < len; k++)
			out[k] = (char)(i * 13 + k);
		XS_ASSERT_EQ(xsu_oneway(s, out, len), 0);
		XS_ASSERT_EQ(xsu_recv(c, XS_NONBLOCK, in, sizeof(in), &h), 0);
		XS_ASSERT_EQ(h.payload_len, len);
		XS_ASSERT_MEMEQ(in, out, len);
	}
	close(c);
	close(s);
}

/* ---- read() and write() ----------------------------------------------- */

struct frame {
	struct xs_msg_hdr h;
	char payload[256];
};

static ssize_t write_frame(int fd, uint16_t kind, uint32_t status,
			   uint64_t reply_to, const char *payload)
{
	struct frame f;
	size_t len = payload ? strlen(payload) : 0;

	memset(&f, 0, sizeof(f));
	f.h.kind = kind;
	f.h.status = status;
	f.h.reply_to = reply_to;
	f.h.payload_len = len;
	memcpy(f.payload, payload ? payload : "", len);
	return write(fd, &f, sizeof(f.h) + len);
}

XS_TEST(read_write_framing)
{
	XSU_NAME(name);
	struct frame f;
	uint64_t rid;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(write_frame(c, XS_MSG_ONEWAY, 0, 0, "via write"),
		     (ssize_t)(32 + 9));
	XS_ASSERT_EQ(write_frame(c, XS_MSG_REQUEST, 0, 0, "question"),
		     (ssize_t)(32 + 8));
	XS_ASSERT_EQ(write_frame(c, XS_MSG_ONEWAY, 0, 0, NULL), (ssize_t)32);

	memset(&f, 0xa5, sizeof(f));
	XS_ASSERT_EQ(read(s, &f, sizeof(f)), (ssize_t)(32 + 9));
	XS_EXPECT_EQ(f.h.kind, XS_MSG_ONEWAY);
	XS_EXPECT_EQ(f.h.flags, 0);
	XS_EXPECT_EQ(f.h.payload_len, 9);
	XS_EXPECT_EQ(f.h.status, 0);
	XS_EXPECT_EQ(f.h.nr_items, 0);
	XS_EXPECT_NE(f.h.id, 0);
	XS_EXPECT_EQ(f.h.id & 1, 0);
	XS_EXPECT_EQ(f.h.reply_to, 0);
	XS_EXPECT_MEMEQ(f.payload, "via write", 9);

	XS_ASSERT_EQ(read(s, &f, sizeof(f)), (ssize_t)(32 + 8));
	XS_EXPECT_EQ(f.h.kind, XS_MSG_REQUEST);
	XS_EXPECT_EQ(f.h.id & 1, 1);
	XS_EXPECT_MEMEQ(f.payload, "question", 8);
	rid = f.h.id;

	/* Exactly the header's size is enough for an empty message. */
	XS_ASSERT_EQ(read(s, &f, 32), (ssize_t)32);
	XS_EXPECT_EQ(f.h.kind, XS_MSG_ONEWAY);
	XS_EXPECT_EQ(f.h.payload_len, 0);

	XS_ASSERT_EQ(write_frame(s, XS_MSG_ERROR_REPLY, 77, rid, "nope"),
		     (ssize_t)(32 + 4));
	XS_ASSERT_EQ(read(c, &f, sizeof(f)), (ssize_t)(32 + 4));
	XS_EXPECT_EQ(f.h.kind, XS_MSG_ERROR_REPLY);
	XS_EXPECT_EQ(f.h.status, 77);
	XS_EXPECT_EQ(f.h.reply_to, rid);
	XS_EXPECT_MEMEQ(f.payload, "nope", 4);
	/* A reply written is a reply like any other: owed once. */
	XS_EXPECT_ERRNO(write_frame(s, XS_MSG_REPLY, 0, rid, "again"),
			EALREADY);
	close(c);
	close(s);
}

XS_TEST(read_sizes)
{
	XSU_NAME(name);
	struct frame f;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	/* Less than a header: EINVAL, queued or not. */
	XS_EXPECT_ERRNO(read(s, &f, 0), EINVAL);
	XS_EXPECT_ERRNO(read(s, &f, 31), EINVAL);
	XS_ASSERT_EQ(xsu_oneway(c, "0123456789", 10), 0);
	XS_EXPECT_ERRNO(read(s, &f, 1), EINVAL);
	XS_EXPECT_ERRNO(read(s, &f, 31), EINVAL);
	/* A header but not the payload: EMSGSIZE, and it stays. */
	XS_EXPECT_ERRNO(read(s, &f, 32), EMSGSIZE);
	XS_EXPECT_ERRNO(read(s, &f, 41), EMSGSIZE);
	XS_ASSERT_EQ(read(s, &f, 42), (ssize_t)42);
	XS_EXPECT_EQ(f.h.payload_len, 10);
	XS_EXPECT_MEMEQ(f.payload, "0123456789", 10);
	close(c);
	close(s);
}

XS_TEST(write_header_checks)
{
	XSU_NAME(name);
	struct frame f;
	uint64_t rid;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
#define RESET()								\
	do {								\
		memset(&f, 0, sizeof(f));				\
		f.h.kind = XS_MSG_ONEWAY;				\
		f.h.payload_len = 4;					\
		memcpy(f.payload, "data", 4);				\
	} while (0)
	RESET();
	XS_EXPECT_ERRNO(write(c, &f, 0), EINVAL);
	XS_EXPECT_ERRNO(write(c, &f, 31), EINVAL);
	RESET();
	f.h.id = 2;
	XS_EXPECT_ERRNO(write(c, &f, 36), EINVAL);
	RESET();
	f.h.flags = XS_MSGF_SYNC;
	XS_EXPECT_ERRNO(write(c, &f, 36), EINVAL);
	RESET();
	f.h.flags = XS_MSGF_KERNEL;
	XS_EXPECT_ERRNO(write(c, &f, 36), EINVAL);
	RESET();
	f.h.nr_items = 1;	/* write() cannot carry items */
	XS_EXPECT_ERRNO(write(c, &f, 36), EINVAL);
	RESET();
	XS_EXPECT_ERRNO(write(c, &f, 35), EINVAL);	/* payload_len 4 != 3 */
	XS_EXPECT_ERRNO(write(c, &f, 37), EINVAL);	/* 4 != 5 */
	XS_EXPECT_ERRNO(write(c, &f, 32), EINVAL);	/* 4 != 0 */
	RESET();
	f.h.kind = 0;
	XS_EXPECT_ERRNO(write(c, &f, 36), EINVAL);
	f.h.kind = XS_MSG_END;
	XS_EXPECT_ERRNO(write(c, &f, 36), EINVAL);
	RESET();
	f.h.status = 1;
	XS_EXPECT_ERRNO(write(c, &f, 36), EINVAL);
	RESET();
	f.h.reply_to = 1;
	XS_EXPECT_ERRNO(write(c, &f, 36), EINVAL);
	/* A reply to something never asked. */
	RESET();
	f.h.kind = XS_MSG_REPLY;
	f.h.reply_to = 4;
	XS_EXPECT_ERRNO(write(c, &f, 36), EINVAL);
	xsu_expect_empty(s);

	/* And one good write of each kind. */
	RESET();
	XS_ASSERT_EQ(write(c, &f, 36), (ssize_t)36);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "data", 4, NULL);
	RESET();
	f.h.kind = XS_MSG_REQUEST;
	XS_ASSERT_EQ(write(s, &f, 36), (ssize_t)36);
	xsu_expect_item(c, XS_MSG_REQUEST, 0, 0, 0, "data", 4, &rid);
	RESET();
	f.h.kind = XS_MSG_REPLY;
	f.h.reply_to = rid;
	XS_ASSERT_EQ(write(c, &f, 36), (ssize_t)36);
	xsu_expect_item(s, XS_MSG_REPLY, 0, 0, rid, "data", 4, NULL);
#undef RESET
	close(c);
	close(s);
}

XS_TEST(read_after_end_is_eof)
{
	XSU_NAME(name);
	struct frame f;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_oneway(s, "last", 4), 0);
	XS_ASSERT_EQ(xsu_cancel(s, "done", 4), 0);
	XS_ASSERT_EQ(read(c, &f, sizeof(f)), (ssize_t)(32 + 4));
	XS_EXPECT_EQ(f.h.kind, XS_MSG_ONEWAY);
	XS_EXPECT_MEMEQ(f.payload, "last", 4);
	/* END through read() too: header plus reason. */
	XS_ASSERT_EQ(read(c, &f, sizeof(f)), (ssize_t)(32 + 4));
	XS_EXPECT_EQ(f.h.kind, XS_MSG_END);
	XS_EXPECT_EQ(f.h.status, XS_END_INVALIDATED);
	XS_EXPECT_EQ(f.h.id, 0);
	XS_EXPECT_MEMEQ(f.payload, "done", 4);
	/* Then end of file, as often as asked, and ESHUTDOWN for RECV. */
	XS_EXPECT_EQ(read(c, &f, sizeof(f)), 0);
	XS_EXPECT_EQ(read(c, &f, sizeof(f)), 0);
	XS_EXPECT_EQ(xsu_recv(c, 0, f.payload, sizeof(f.payload), NULL),
		     -ESHUTDOWN);
	XS_EXPECT_ERRNO(write_frame(c, XS_MSG_ONEWAY, 0, 0, "x"), ESHUTDOWN);
	/* The cancelling side reads its own END, then EOF. */
	XS_ASSERT_EQ(read(s, &f, sizeof(f)), (ssize_t)32);
	XS_EXPECT_EQ(f.h.kind, XS_MSG_END);
	XS_EXPECT_EQ(f.h.status, XS_END_CANCELED);
	XS_EXPECT_EQ(read(s, &f, sizeof(f)), 0);
	close(c);
	close(s);
}

/* ---- 100 000 one-way messages in order --------------------------------- */

#define FIFO_COUNT	100000

static uint32_t fifo_len(uint64_t seq)
{
	return 8 + (seq * 7919) % 113;
}

static void fifo_fill(char *buf, uint64_t seq, uint32_t len)
{
	uint32_t i;

	memcpy(buf, &seq, 8);
	for (i = 8; i < len; i++)
		buf[i] = (char)(seq * 31 + i);
}

struct fifo_arg {
	int fd;
	uint64_t received;
};

static void *fifo_reader(void *p)
{
	struct fifo_arg *a = p;
	char buf[256], want[256];
	struct xs_msg_hdr h;
	uint64_t seq, last_id = 0;
	int r;

	for (seq = 0; seq < FIFO_COUNT; seq++) {
		uint32_t len = fifo_len(seq);

		r = xsu_recv_wait(a->fd, buf, sizeof(buf), &h, XSU_WAIT_MS);
		if (r)
			XS_FAIL("message %llu: recv %d", (unsigned long long)seq,
				r);
		fifo_fill(want, seq, len);
		if (h.kind != XS_MSG_ONEWAY || h.payload_len != len ||
		    memcmp(buf, want, len) || h.id <= last_id) {
			uint64_t got;

			memcpy(&got, buf, 8);
			XS_FAIL("message %llu: kind %u len %u (want %u) seq %llu id %llu after %llu",
				(unsigned long long)seq, h.kind, h.payload_len,
				len, (unsigned long long)got,
				(unsigned long long)h.id,
				(unsigned long long)last_id);
		}
		last_id = h.id;
		a->received = seq + 1;
	}
	return NULL;
}

XS_TEST_TIMEOUT(fifo_100000_oneway_with_reader_thread, 300)
{
	XSU_NAME(name);
	struct fifo_arg a = { 0 };
	uint64_t t0 = xsu_now_ns(), seq;
	char buf[256];
	pthread_t t;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	a.fd = s;
	t = xsu_thread(fifo_reader, &a);
	for (seq = 0; seq < FIFO_COUNT; seq++) {
		uint32_t len = fifo_len(seq);

		fifo_fill(buf, seq, len);
		/* Blocks whenever the server's ring is full. */
		XS_ASSERT_EQ(xsu_oneway(c, buf, len), 0);
	}
	xsu_join(t, 120000);
	XS_EXPECT_EQ(a.received, FIFO_COUNT);
	xsu_expect_empty(s);
	xs_diag("%d messages in %llu ms", FIFO_COUNT,
		(unsigned long long)((xsu_now_ns() - t0) / 1000000));
	close(c);
	close(s);
}
