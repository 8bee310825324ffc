// SPDX-License-Identifier: GPL-2.0
/*
 * XS_IOC_SEND_BATCH: many messages in one call, in order, and an exact
 * account of how many were queued when a batch stops early, and why.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "xs_test.h"
#include "xs_util.h"

#define NMSG	100

struct batch {
	struct xs_send_batch b;
	struct xs_send_desc d[NMSG];
	uint32_t payload[NMSG];
};

static void batch_init(struct batch *bt, unsigned int count, uint32_t len)
{
	unsigned int i;

	memset(bt, 0, sizeof(*bt));
	bt->b.size = sizeof(bt->b);
	bt->b.descs = (uintptr_t)bt->d;
	bt->b.count = count;
	bt->b.desc_size = sizeof(bt->d[0]);
	for (i = 0; i < count; i++) {
		bt->payload[i] = i;
		bt->d[i].kind = i % 4 == 3 ? XS_MSG_REQUEST : XS_MSG_ONEWAY;
		bt->d[i].payload = (uintptr_t)&bt->payload[i];
		bt->d[i].payload_len = len;
	}
}

static int batch_send(int fd, struct batch *bt)
{
	int ret = ioctl(fd, XS_IOC_SEND_BATCH, &bt->b);

	return ret < 0 ? -errno : ret;
}

/* A whole batch: every message queued, ids filled, order kept. */
XS_TEST(batch_queues_all_in_order)
{
	XSU_NAME(name);
	struct batch bt;
	uint64_t got;
	unsigned int i;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	batch_init(&bt, NMSG, sizeof(uint32_t));
	XS_ASSERT_EQ(batch_send(c, &bt), NMSG);
	XS_EXPECT_EQ(bt.b.queued, NMSG);
	XS_EXPECT_EQ(bt.b.error, 0);
	for (i = 0; i < NMSG; i++) {
		XS_EXPECT_EQ(bt.d[i].id & 1, bt.d[i].kind == XS_MSG_REQUEST);
		xsu_expect_item(s, bt.d[i].kind, 0, 0, 0, &bt.payload[i],
				sizeof(uint32_t), &got);
		XS_EXPECT_EQ(got, bt.d[i].id);
	}
	xsu_expect_empty(s);
	close(c);
	close(s);
}

/* A full ring stops a non-blocking batch: exactly the first k are out. */
XS_TEST(batch_stops_at_full_ring_nonblocking)
{
	static uint8_t big[1000];
	XSU_NAME(name);
	struct batch bt;
	unsigned int i, k;
	int c, s;

	/* The server's ring: 4096 bytes, room for 3 records of 1032 bytes. */
	xsu_pair_rings(name, 0, 4096, NULL, &c, &s);
	batch_init(&bt, NMSG, 0);
	for (i = 0; i < NMSG; i++) {
		bt.d[i].kind = XS_MSG_ONEWAY;
		bt.d[i].payload = (uintptr_t)big;
		bt.d[i].payload_len = sizeof(big);
	}
	bt.b.flags = XS_NONBLOCK;
	XS_ASSERT_EQ(batch_send(c, &bt), 3);
	XS_EXPECT_EQ(bt.b.queued, 3);
	XS_EXPECT_EQ(bt.b.error, -EAGAIN);
	k = bt.b.queued;
	for (i = 0; i < k; i++)
		xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, big, sizeof(big),
				NULL);
	xsu_expect_empty(s);
	close(c);
	close(s);
}

/* A bad descriptor stops the batch there; the ones before it are out. */
XS_TEST(batch_stops_at_bad_descriptor)
{
	XSU_NAME(name);
	struct batch bt;
	unsigned int i;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	batch_init(&bt, 10, sizeof(uint32_t));
	bt.d[6].kind = 99;
	XS_ASSERT_EQ(batch_send(c, &bt), 6);
	XS_EXPECT_EQ(bt.b.error, -EINVAL);
	XS_EXPECT_EQ(bt.d[6].id, 0);

	batch_init(&bt, 10, sizeof(uint32_t));
	bt.d[4].payload = 8;	/* unmapped */
	XS_ASSERT_EQ(batch_send(c, &bt), 4);
	XS_EXPECT_EQ(bt.b.error, -EFAULT);

	batch_init(&bt, 10, sizeof(uint32_t));
	bt.d[2].__pad = 1;
	XS_ASSERT_EQ(batch_send(c, &bt), 2);
	XS_EXPECT_EQ(bt.b.error, -EINVAL);

	/* 6 + 4 + 2 messages went out, in order. */
	for (i = 0; i < 12; i++) {
		uint32_t want = i < 6 ? i : i < 10 ? i - 6 : i - 10;
		uint16_t kind = want % 4 == 3 ? XS_MSG_REQUEST : XS_MSG_ONEWAY;

		xsu_expect_item(s, kind, 0, 0, 0, &want, sizeof(want), NULL);
	}
	xsu_expect_empty(s);
	close(c);
	close(s);
}

/* When the first descriptor fails, the call fails with its error. */
XS_TEST(batch_first_failure_is_the_return_value)
{
	XSU_NAME(name);
	struct batch bt;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	batch_init(&bt, 5, sizeof(uint32_t));
	bt.d[0].kind = XS_MSG_REPLY;
	bt.d[0].reply_to = 3;	/* nothing owed */
	XS_EXPECT_EQ(batch_send(c, &bt), -EINVAL);
	XS_EXPECT_EQ(bt.b.queued, 0);
	XS_EXPECT_EQ(bt.b.error, -EINVAL);

	XS_ASSERT_EQ(xsu_cancel(c, "x", 1), 0);
	batch_init(&bt, 5, sizeof(uint32_t));
	XS_EXPECT_EQ(batch_send(c, &bt), -ESHUTDOWN);
	XS_EXPECT_EQ(bt.b.queued, 0);
	close(c);
	close(s);
}

XS_TEST(batch_struct_checks)
{
	XSU_NAME(name);
	struct {
		struct xs_send_desc d;
		uint64_t extra;
	} grown[2];
	struct batch bt;
	uint32_t v = 7;
	int c, s, u;

	xsu_pair(name, NULL, &c, &s);
	batch_init(&bt, 1, sizeof(uint32_t));
	bt.b.flags = 2;
	XS_EXPECT_EQ(batch_send(c, &bt), -EINVAL);
	batch_init(&bt, 1, sizeof(uint32_t));
	bt.b.reserved[1] = 1;
	XS_EXPECT_EQ(batch_send(c, &bt), -EINVAL);
	batch_init(&bt, 1, sizeof(uint32_t));
	bt.b.count = XS_BATCH_MAX + 1;
	XS_EXPECT_EQ(batch_send(c, &bt), -EINVAL);
	batch_init(&bt, 1, sizeof(uint32_t));
	bt.b.desc_size = XS_SEND_DESC_SIZE_VER0 - 8;
	XS_EXPECT_EQ(batch_send(c, &bt), -EINVAL);
	batch_init(&bt, 1, sizeof(uint32_t));
	bt.b.descs = 8;
	XS_EXPECT_EQ(batch_send(c, &bt), -EFAULT);
	XS_EXPECT_EQ(ioctl(c, XS_IOC_SEND_BATCH, NULL), -1);

	/* An empty batch is a no-op. */
	batch_init(&bt, 0, 0);
	XS_EXPECT_EQ(batch_send(c, &bt), 0);
	XS_EXPECT_EQ(bt.b.queued, 0);

	/* Larger descriptors: a zero tail is fine, a non-zero one is not. */
	memset(grown, 0, sizeof(grown));
	grown[0].d.kind = grown[1].d.kind = XS_MSG_ONEWAY;
	grown[0].d.payload = grown[1].d.payload = (uintptr_t)&v;
	grown[0].d.payload_len = grown[1].d.payload_len = sizeof(v);
	grown[1].extra = 1;
	batch_init(&bt, 0, 0);
	bt.b.descs = (uintptr_t)grown;
	bt.b.count = 2;
	bt.b.desc_size = sizeof(grown[0]);
	XS_EXPECT_EQ(batch_send(c, &bt), 1);
	XS_EXPECT_EQ(bt.b.error, -E2BIG);
	XS_EXPECT_NE(grown[0].d.id, 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, &v, sizeof(v), NULL);

	/* Only a session sends. */
	u = xsu_open();
	batch_init(&bt, 1, sizeof(uint32_t));
	XS_EXPECT_EQ(batch_send(u, &bt), -ENOTCONN);
	close(u);
	close(c);
	close(s);
}
