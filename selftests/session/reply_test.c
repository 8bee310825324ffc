// SPDX-License-Identifier: GPL-2.0
/*
 * Requests and replies: the kernel tracks every reply owed.  A reply to
 * anything but an outstanding request of the peer is EINVAL, a second
 * reply EALREADY; replies may come in any order and from any thread and
 * reach an asynchronous requester in the order they were sent; more than
 * 1024 requests awaiting replies from one end is ENOBUFS.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "xs_util.h"

/* The module's default limit of requests awaiting replies per end. */
#define MAX_OUTSTANDING	1024

XS_TEST(request_reply_exact)
{
	XSU_NAME(name);
	struct xs_msg_hdr h;
	uint64_t rid, got, repid;
	char buf[16];
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_request(c, "ping", 4, &rid), 0);
	XS_EXPECT_EQ(rid & 1, 1);
	/* An asynchronous request: no XS_MSGF_SYNC. */
	xsu_expect_item(s, XS_MSG_REQUEST, 0, 0, 0, "ping", 4, &got);
	XS_EXPECT_EQ(got, rid);
	XS_ASSERT_EQ(xsu_send(s, XS_MSG_REPLY, 0, 0, rid, "pong", 4, &repid),
		     0);
	XS_EXPECT_EQ(repid & 1, 0);
	XS_ASSERT_EQ(xsu_recv(c, 0, buf, sizeof(buf), &h), 0);
	XS_EXPECT_EQ(h.kind, XS_MSG_REPLY);
	XS_EXPECT_EQ(h.flags, 0);
	XS_EXPECT_EQ(h.status, 0);
	XS_EXPECT_EQ(h.id, repid);
	XS_EXPECT_EQ(h.reply_to, rid);
	XS_EXPECT_EQ(h.payload_len, 4);
	XS_EXPECT_MEMEQ(buf, "pong", 4);

	XS_ASSERT_EQ(xsu_request(c, "fail", 4, &rid), 0);
	xsu_expect_item(s, XS_MSG_REQUEST, 0, 0, 0, "fail", 4, NULL);
	XS_ASSERT_EQ(xsu_error_reply(s, rid, 42, "why", 3), 0);
	xsu_expect_item(c, XS_MSG_ERROR_REPLY, 0, 42, rid, "why", 3, NULL);
	/* And an error reply with an empty payload and status 0. */
	XS_ASSERT_EQ(xsu_request(c, NULL, 0, &rid), 0);
	XS_ASSERT_EQ(xsu_error_reply(s, rid, 0, NULL, 0), 0);
	xsu_expect_item(s, XS_MSG_REQUEST, 0, 0, 0, NULL, 0, NULL);
	xsu_expect_item(c, XS_MSG_ERROR_REPLY, 0, 0, rid, NULL, 0, NULL);
	close(c);
	close(s);
}

XS_TEST(reply_to_oneway_einval)
{
	XSU_NAME(name);
	uint64_t oid;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_send(c, XS_MSG_ONEWAY, 0, 0, 0, "o", 1, &oid), 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "o", 1, NULL);
	XS_EXPECT_EQ(xsu_reply(s, oid, "r", 1), -EINVAL);
	XS_EXPECT_EQ(xsu_error_reply(s, oid, 1, "r", 1), -EINVAL);
	/* A reply is not a request either. */
	{
		uint64_t rid, repid;

		XS_ASSERT_EQ(xsu_request(c, "q", 1, &rid), 0);
		XS_ASSERT_EQ(xsu_send(s, XS_MSG_REPLY, 0, 0, rid, "a", 1,
				      &repid), 0);
		XS_EXPECT_EQ(xsu_reply(c, repid, "x", 1), -EINVAL);
		xsu_expect_item(c, XS_MSG_REPLY, 0, 0, rid, "a", 1, NULL);
	}
	xsu_expect_empty(c);
	close(c);
	close(s);
}

XS_TEST(reply_to_id_never_sent_einval)
{
	static const uint64_t ids[] = {
		0, 1, 2, 3, 5, 999999, 1000001, 1ull << 40, ~0ull, ~0ull - 1,
	};
	XSU_NAME(name);
	unsigned int i;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		XS_EXPECT_EQ(xsu_reply(s, ids[i], "r", 1), -EINVAL);
		XS_EXPECT_EQ(xsu_reply(c, ids[i], "r", 1), -EINVAL);
		XS_EXPECT_EQ(xsu_error_reply(s, ids[i], 9, NULL, 0), -EINVAL);
	}
	xsu_expect_empty(c);
	xsu_expect_empty(s);
	close(c);
	close(s);
}

/*
 * After the client sent one-way messages only, no odd id was ever sent:
 * a reply to one is EINVAL (not "already answered"), whatever the number.
 */
XS_TEST(reply_to_unsent_request_id_after_oneways_einval)
{
	XSU_NAME(name);
	uint64_t oid[4];
	int c, s, i;

	xsu_pair(name, NULL, &c, &s);
	for (i = 0; i < 4; i++)
		XS_ASSERT_EQ(xsu_send(c, XS_MSG_ONEWAY, 0, 0, 0, "o", 1,
				      &oid[i]), 0);
	for (i = 0; i < 4; i++) {
		/* The odd neighbours of one-way ids were never requests. */
		XS_EXPECT_EQ(xsu_reply(s, oid[i] + 1, "r", 1), -EINVAL);
		XS_EXPECT_EQ(xsu_reply(s, oid[i] - 1, "r", 1), -EINVAL);
	}
	close(c);
	close(s);
}

XS_TEST(reply_to_own_request_einval)
{
	XSU_NAME(name);
	uint64_t rid, rid2;
	int c, s, i;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_request(c, "q", 1, &rid), 0);
	/* The client owes nothing: the request is the server's to answer. */
	XS_EXPECT_EQ(xsu_reply(c, rid, "r", 1), -EINVAL);
	XS_EXPECT_EQ(xsu_error_reply(c, rid, 1, "r", 1), -EINVAL);
	/* The same after the server has sent some messages of its own. */
	for (i = 0; i < 4; i++)
		XS_ASSERT_EQ(xsu_oneway(s, "o", 1), 0);
	XS_ASSERT_EQ(xsu_request(c, "q2", 2, &rid2), 0);
	XS_EXPECT_EQ(xsu_reply(c, rid, "r", 1), -EINVAL);
	XS_EXPECT_EQ(xsu_reply(c, rid2, "r", 1), -EINVAL);
	/* And the server still owes both. */
	XS_EXPECT_EQ(xsu_reply(s, rid, "a", 1), 0);
	XS_EXPECT_EQ(xsu_reply(s, rid2, "b", 1), 0);
	close(c);
	close(s);
}

XS_TEST(reply_twice_ealready)
{
	XSU_NAME(name);
	uint64_t r1, r2, r3;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_request(c, "1", 1, &r1), 0);
	XS_ASSERT_EQ(xsu_request(c, "2", 1, &r2), 0);
	XS_ASSERT_EQ(xsu_request(c, "3", 1, &r3), 0);
	XS_ASSERT_EQ(xsu_reply(s, r1, "a", 1), 0);
	XS_EXPECT_EQ(xsu_reply(s, r1, "a", 1), -EALREADY);
	XS_EXPECT_EQ(xsu_error_reply(s, r1, 5, "e", 1), -EALREADY);
	XS_ASSERT_EQ(xsu_error_reply(s, r2, 5, "e", 1), 0);
	XS_EXPECT_EQ(xsu_reply(s, r2, "a", 1), -EALREADY);
	XS_EXPECT_EQ(xsu_error_reply(s, r2, 5, "e", 1), -EALREADY);
	/* Refused replies were not queued; the third is still owed. */
	XS_ASSERT_EQ(xsu_reply(s, r3, "c", 1), 0);
	XS_EXPECT_EQ(xsu_reply(s, r3, "c", 1), -EALREADY);
	xsu_expect_item(c, XS_MSG_REPLY, 0, 0, r1, "a", 1, NULL);
	xsu_expect_item(c, XS_MSG_ERROR_REPLY, 0, 5, r2, "e", 1, NULL);
	xsu_expect_item(c, XS_MSG_REPLY, 0, 0, r3, "c", 1, NULL);
	xsu_expect_empty(c);
	close(c);
	close(s);
}

/* Outstanding from the moment it is sent, received or not. */
XS_TEST(reply_before_the_request_is_received)
{
	XSU_NAME(name);
	uint64_t rid;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_request(c, "early", 5, &rid), 0);
	XS_ASSERT_EQ(xsu_reply(s, rid, "quick", 5), 0);
	xsu_expect_item(c, XS_MSG_REPLY, 0, 0, rid, "quick", 5, NULL);
	xsu_expect_item(s, XS_MSG_REQUEST, 0, 0, 0, "early", 5, NULL);
	XS_EXPECT_EQ(xsu_reply(s, rid, "again", 5), -EALREADY);
	close(c);
	close(s);
}

XS_TEST(replies_in_any_order_arrive_in_sent_order)
{
	static const int order[8] = { 7, 0, 6, 1, 5, 2, 4, 3 };
	XSU_NAME(name);
	uint64_t rid[8];
	char msg[8];
	int c, s, i;

	xsu_pair(name, NULL, &c, &s);
	for (i = 0; i < 8; i++) {
		snprintf(msg, sizeof(msg), "q%d", i);
		XS_ASSERT_EQ(xsu_request(c, msg, strlen(msg), &rid[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		snprintf(msg, sizeof(msg), "q%d", i);
		xsu_expect_item(s, XS_MSG_REQUEST, 0, 0, 0, msg, 2, NULL);
	}
	for (i = 0; i < 8; i++) {
		snprintf(msg, sizeof(msg), "a%d", order[i]);
		if (order[i] & 1)
			XS_ASSERT_EQ(xsu_error_reply(s, rid[order[i]], order[i],
						     msg, strlen(msg)), 0);
		else
			XS_ASSERT_EQ(xsu_reply(s, rid[order[i]], msg,
					       strlen(msg)), 0);
	}
	for (i = 0; i < 8; i++) {
		int k = order[i];

		snprintf(msg, sizeof(msg), "a%d", k);
		xsu_expect_item(c, k & 1 ? XS_MSG_ERROR_REPLY : XS_MSG_REPLY,
				0, k & 1 ? k : 0, rid[k], msg, strlen(msg),
				NULL);
	}
	close(c);
	close(s);
}

#define NTHREADS	32

struct replier {
	int fd;
	uint64_t rid;
	int index;
	unsigned int delay_us;
};

static void *reply_thread(void *p)
{
	struct replier *r = p;
	char msg[32];

	xsu_sleep_us(r->delay_us);
	snprintf(msg, sizeof(msg), "answer-%d", r->index);
	XS_ASSERT_EQ(xsu_reply(r->fd, r->rid, msg, strlen(msg)), 0);
	return NULL;
}

XS_TEST(replies_from_many_threads)
{
	XSU_NAME(name);
	uint64_t st = xsu_seed();
	struct replier r[NTHREADS];
	uint64_t rid[NTHREADS];
	pthread_t t[NTHREADS];
	bool seen[NTHREADS] = { false };
	char msg[32], buf[64];
	struct xs_msg_hdr h;
	int c, s, i, k;

	xsu_pair(name, NULL, &c, &s);
	for (i = 0; i < NTHREADS; i++) {
		snprintf(msg, sizeof(msg), "question-%d", i);
		XS_ASSERT_EQ(xsu_request(c, msg, strlen(msg), &rid[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		uint64_t id;

		XS_ASSERT_EQ(xsu_recv_wait(s, buf, sizeof(buf), &h,
					   XSU_WAIT_MS), 0);
		XS_ASSERT_EQ(h.kind, XS_MSG_REQUEST);
		id = h.id;
		r[i] = (struct replier){
			.fd = s, .rid = id, .index = i,
			.delay_us = xsu_rand(&st) % 20000,
		};
		XS_ASSERT_EQ(id, rid[i]);
	}
	for (i = 0; i < NTHREADS; i++)
		t[i] = xsu_thread(reply_thread, &r[i]);
	for (i = 0; i < NTHREADS; i++)
		xsu_join(t[i], XSU_WAIT_MS);

	for (i = 0; i < NTHREADS; i++) {
		XS_ASSERT_EQ(xsu_recv_wait(c, buf, sizeof(buf), &h,
					   XSU_WAIT_MS), 0);
		XS_ASSERT_EQ(h.kind, XS_MSG_REPLY);
		for (k = 0; k < NTHREADS; k++)
			if (rid[k] == h.reply_to)
				break;
		XS_ASSERT_LT(k, NTHREADS);
		XS_ASSERT_FALSE(seen[k]);
		seen[k] = true;
		snprintf(msg, sizeof(msg), "answer-%d", k);
		XS_ASSERT_EQ(h.payload_len, strlen(msg));
		XS_ASSERT_MEMEQ(buf, msg, strlen(msg));
	}
	xsu_expect_empty(c);
	close(c);
	close(s);
}

XS_TEST(server_requests_client_replies)
{
	XSU_NAME(name);
	uint64_t rid, got;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_request(s, "from server", 11, &rid), 0);
	XS_EXPECT_EQ(rid & 1, 1);
	xsu_expect_item(c, XS_MSG_REQUEST, 0, 0, 0, "from server", 11, &got);
	XS_EXPECT_EQ(got, rid);
	XS_EXPECT_EQ(xsu_reply(s, rid, "self", 4), -EINVAL);
	XS_ASSERT_EQ(xsu_error_reply(c, rid, 13, "denied", 6), 0);
	xsu_expect_item(s, XS_MSG_ERROR_REPLY, 0, 13, rid, "denied", 6, NULL);
	XS_EXPECT_EQ(xsu_reply(c, rid, "again", 5), -EALREADY);
	close(c);
	close(s);
}

XS_TEST(outstanding_requests_limit_enobufs)
{
	XSU_NAME(name);
	uint64_t *rid = calloc(MAX_OUTSTANDING + 2, sizeof(*rid)), id;
	struct xs_msg_hdr hdr;
	int c, s, i;

	XS_ASSERT_NE(rid, NULL);
	/* Rings big enough that only the limit can stop us. */
	xsu_pair_rings(name, 1 << 18, 1 << 18, NULL, &c, &s);
	for (i = 0; i < MAX_OUTSTANDING; i++)
		XS_ASSERT_EQ(xsu_send(c, XS_MSG_REQUEST, XS_NONBLOCK, 0, 0,
				      &i, sizeof(i), &rid[i]), 0);
	XS_EXPECT_EQ(xsu_request(c, "one more", 8, NULL), -ENOBUFS);
	XS_EXPECT_EQ(xsu_send_sync(c, 0, "sync", 4, NULL, 0, 0, NULL),
		     -ENOBUFS);
	XS_EXPECT_ERRNO(write(c, &(struct xs_msg_hdr){ .kind = XS_MSG_REQUEST },
			      sizeof(struct xs_msg_hdr)), ENOBUFS);
	/* Other kinds still go, and the other direction has its own count. */
	XS_EXPECT_EQ(xsu_oneway(c, "oneway", 6), 0);
	XS_EXPECT_EQ(xsu_request(s, "srv", 3, &id), 0);
	XS_EXPECT_EQ(xsu_reply(c, id, "ok", 2), 0);

	/* One answer makes room for exactly one request. */
	XS_ASSERT_EQ(xsu_recv(s, XS_NONBLOCK, NULL, 0, &hdr), -EMSGSIZE);
	XS_ASSERT_EQ(xsu_reply(s, rid[0], NULL, 0), 0);
	XS_EXPECT_EQ(xsu_request(c, "again", 5, &rid[MAX_OUTSTANDING]), 0);
	XS_EXPECT_EQ(xsu_request(c, "too many", 8, NULL), -ENOBUFS);
	/* Even before the requester received that reply. */
	XS_ASSERT_EQ(xsu_error_reply(s, rid[1], 1, NULL, 0), 0);
	XS_EXPECT_EQ(xsu_request(c, "again", 5, &rid[MAX_OUTSTANDING + 1]), 0);
	XS_EXPECT_EQ(xsu_request(c, "too many", 8, NULL), -ENOBUFS);
	free(rid);
	close(c);
	close(s);
}
