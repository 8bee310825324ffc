// SPDX-License-Identifier: GPL-2.0
/*
 * XS_IOC_CANCEL on a session.  The peer receives everything already
 * queued to it, then a kernel error reply (XS_END_INVALIDATED) for each
 * of its requests left unanswered, then END (XS_END_INVALIDATED) with
 * the reason.  The cancelling side loses what it had not received yet,
 * gets kernel error replies (XS_END_CANCELED) for its own unanswered
 * requests, then END (XS_END_CANCELED, no payload).  Afterwards both
 * sides' sends fail with ESHUTDOWN.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "xs_util.h"

XS_TEST(cancel_with_traffic_queued_both_ways)
{
	static const char reason[] = "shutting down";
	XSU_NAME(name);
	uint64_t ans, cr[2], sr[2], id;
	char msg[8];
	int c, s, i;

	xsu_pair(name, NULL, &c, &s);
	/* One request answered before the cancel, its reply unread. */
	XS_ASSERT_EQ(xsu_request(c, "ans", 3, &ans), 0);
	xsu_expect_item(s, XS_MSG_REQUEST, 0, 0, 0, "ans", 3, NULL);
	XS_ASSERT_EQ(xsu_reply(s, ans, "answered", 8), 0);

	/* Client -> server, none of it received. */
	for (i = 0; i < 3; i++) {
		snprintf(msg, sizeof(msg), "c%d", i);
		XS_ASSERT_EQ(xsu_oneway(c, msg, 2), 0);
		if (i < 2) {
			snprintf(msg, sizeof(msg), "cr%d", i);
			XS_ASSERT_EQ(xsu_request(c, msg, 3, &cr[i]), 0);
		}
	}
	/* Server -> client, none of it received. */
	for (i = 0; i < 3; i++) {
		snprintf(msg, sizeof(msg), "s%d", i);
		XS_ASSERT_EQ(xsu_oneway(s, msg, 2), 0);
		if (i < 2) {
			snprintf(msg, sizeof(msg), "sr%d", i);
			XS_ASSERT_EQ(xsu_request(s, msg, 3, &sr[i]), 0);
		}
	}

	XS_ASSERT_EQ(xsu_cancel(c, reason, sizeof(reason) - 1), 0);

	/* Neither side may send any more. */
	XS_EXPECT_EQ(xsu_oneway(c, "x", 1), -ESHUTDOWN);
	XS_EXPECT_EQ(xsu_oneway(s, "x", 1), -ESHUTDOWN);
	XS_EXPECT_EQ(xsu_request(c, "x", 1, NULL), -ESHUTDOWN);
	XS_EXPECT_EQ(xsu_request(s, "x", 1, NULL), -ESHUTDOWN);
	XS_EXPECT_EQ(xsu_send_sync(c, 0, "x", 1, NULL, 0, 0, NULL), -ESHUTDOWN);
	XS_EXPECT_EQ(xsu_send_sync(s, 0, "x", 1, NULL, 0, 0, NULL), -ESHUTDOWN);
	XS_EXPECT_EQ(xsu_reply(s, cr[0], "late", 4), -ESHUTDOWN);
	XS_EXPECT_EQ(xsu_reply(c, sr[0], "late", 4), -ESHUTDOWN);

	/* The peer: everything queued, in order... */
	for (i = 0; i < 3; i++) {
		snprintf(msg, sizeof(msg), "c%d", i);
		xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, msg, 2, NULL);
		if (i < 2) {
			snprintf(msg, sizeof(msg), "cr%d", i);
			xsu_expect_item(s, XS_MSG_REQUEST, 0, 0, 0, msg, 3,
					&id);
			XS_EXPECT_EQ(id, cr[i]);
			/* Received, but there is no answering any more. */
			XS_EXPECT_EQ(xsu_reply(s, id, "no", 2), -ESHUTDOWN);
		}
	}
	/* ...a kernel error reply for each of its unanswered requests... */
	xsu_expect_kernel_error(s, sr[0], XS_END_INVALIDATED);
	xsu_expect_kernel_error(s, sr[1], XS_END_INVALIDATED);
	/* ...then the reason. */
	xsu_expect_end(s, XS_END_INVALIDATED, reason, sizeof(reason) - 1);

	/*
	 * The canceller: its unread messages (s0..s2, sr0, sr1) are gone;
	 * every request it made ends with one error reply: "ans" too, whose
	 * queued reply became a cancel error, then cr0 and cr1; then END.
	 */
	xsu_expect_kernel_error(c, ans, XS_END_CANCELED);
	xsu_expect_kernel_error(c, cr[0], XS_END_CANCELED);
	xsu_expect_kernel_error(c, cr[1], XS_END_CANCELED);
	xsu_expect_end(c, XS_END_CANCELED, NULL, 0);
	close(c);
	close(s);
}

/* The server cancels: the same, mirrored. */
XS_TEST(server_cancel_mirrors_client_cancel)
{
	XSU_NAME(name);
	uint64_t cr, sr;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_request(c, "cq", 2, &cr), 0);
	XS_ASSERT_EQ(xsu_oneway(s, "s1", 2), 0);
	XS_ASSERT_EQ(xsu_request(s, "sq", 2, &sr), 0);
	XS_ASSERT_EQ(xsu_oneway(s, "s2", 2), 0);
	XS_ASSERT_EQ(xsu_cancel(s, "bye", 3), 0);

	xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "s1", 2, NULL);
	xsu_expect_item(c, XS_MSG_REQUEST, 0, 0, 0, "sq", 2, NULL);
	xsu_expect_item(c, XS_MSG_ONEWAY, 0, 0, 0, "s2", 2, NULL);
	xsu_expect_kernel_error(c, cr, XS_END_INVALIDATED);
	xsu_expect_end(c, XS_END_INVALIDATED, "bye", 3);

	xsu_expect_kernel_error(s, sr, XS_END_CANCELED);
	xsu_expect_end(s, XS_END_CANCELED, NULL, 0);
	close(c);
	close(s);
}

XS_TEST(cancel_twice_ealready)
{
	XSU_NAME(name);
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_cancel(c, "one", 3), 0);
	XS_EXPECT_EQ(xsu_cancel(c, "two", 3), -EALREADY);
	XS_EXPECT_EQ(xsu_cancel(c, NULL, 0), -EALREADY);
	/* Still only the first reason reached the peer. */
	xsu_expect_end(s, XS_END_INVALIDATED, "one", 3);
	xsu_expect_end(c, XS_END_CANCELED, NULL, 0);
	XS_EXPECT_EQ(xsu_cancel(c, NULL, 0), -EALREADY);
	close(c);
	close(s);
}

XS_TEST(cancel_after_peer_ended_is_ok)
{
	XSU_NAME(name);
	struct xs_msg_hdr h;
	char buf[64];
	int c, s, r, n = 0;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_oneway(s, "queued", 6), 0);
	XS_ASSERT_EQ(xsu_cancel(s, "first", 5), 0);
	XS_EXPECT_EQ(xsu_cancel(c, "second", 6), 0);
	/* The session's end stays the peer's, with its reason. */
	for (;;) {
		r = xsu_recv_wait(c, buf, sizeof(buf), &h, XSU_WAIT_MS);
		XS_ASSERT_EQ(r, 0);
		if (h.kind == XS_MSG_END)
			break;
		XS_ASSERT_LT(++n, 2);
	}
	XS_EXPECT_EQ(h.status, XS_END_INVALIDATED);
	XS_EXPECT_EQ(h.payload_len, 5);
	XS_EXPECT_MEMEQ(buf, "first", 5);
	xsu_expect_end(s, XS_END_CANCELED, NULL, 0);
	close(c);
	close(s);
}

XS_TEST(cancel_reason_bytes_exact)
{
	XSU_NAME(name);
	char reason[XS_REASON_MAX];
	int c, s, i;

	for (i = 0; i < XS_REASON_MAX; i++)
		reason[i] = (char)(255 - i);	/* includes NUL and 0xff */
	xsu_pair(name, NULL, &c, &s);
	XS_EXPECT_EQ(xsu_cancel(c, reason, XS_REASON_MAX + 1), -EINVAL);
	XS_ASSERT_EQ(xsu_cancel(c, reason, XS_REASON_MAX), 0);
	xsu_expect_end(s, XS_END_INVALIDATED, reason, XS_REASON_MAX);
	close(c);
	close(s);

	/* Need not be NUL terminated, may contain NULs. */
	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_cancel(s, "a\0b", 3), 0);
	xsu_expect_end(c, XS_END_INVALIDATED, "a\0b", 3);
	close(c);
	close(s);

	/* No reason: an empty END payload, with or without a pointer. */
	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_cancel(s, "ignored", 0), 0);
	xsu_expect_end(c, XS_END_INVALIDATED, NULL, 0);
	close(c);
	close(s);
}

struct recv_arg {
	int fd;
	int ret;
	struct xs_msg_hdr hdr;
	char buf[64];
};

static void *blocking_recv(void *p)
{
	struct recv_arg *a = p;

	a->ret = xsu_recv(a->fd, 0, a->buf, sizeof(a->buf), &a->hdr);
	return NULL;
}

XS_TEST(cancel_wakes_blocked_receivers)
{
	XSU_NAME(name);
	struct recv_arg a = { 0 }, b = { 0 };
	pthread_t ta, tb;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	a.fd = c;
	b.fd = s;
	ta = xsu_thread(blocking_recv, &a);	/* on the canceller */
	tb = xsu_thread(blocking_recv, &b);	/* on the peer */
	xsu_sleep_ms(XSU_QUIET_MS);
	XS_ASSERT_EQ(xsu_cancel(c, "wake", 4), 0);
	xsu_join(ta, XSU_WAIT_MS);
	xsu_join(tb, XSU_WAIT_MS);
	XS_EXPECT_EQ(a.ret, 0);
	XS_EXPECT_EQ(a.hdr.kind, XS_MSG_END);
	XS_EXPECT_EQ(a.hdr.status, XS_END_CANCELED);
	XS_EXPECT_EQ(a.hdr.payload_len, 0);
	XS_EXPECT_EQ(b.ret, 0);
	XS_EXPECT_EQ(b.hdr.kind, XS_MSG_END);
	XS_EXPECT_EQ(b.hdr.status, XS_END_INVALIDATED);
	XS_EXPECT_EQ(b.hdr.payload_len, 4);
	XS_EXPECT_MEMEQ(b.buf, "wake", 4);
	close(c);
	close(s);
}

XS_TEST(cancel_pending_client_withdraws_request)
{
	XSU_NAME(name);
	int l = xsu_listen(name, 0), c1, c2, s;

	c1 = xsu_connect(name, 0);
	c2 = xsu_connect(name, 0);
	XS_ASSERT_EQ(xsu_oneway(c1, "never", 5), 0);
	XS_ASSERT_EQ(xsu_cancel(c1, "changed my mind", 15), 0);
	xsu_expect_end(c1, XS_END_CANCELED, NULL, 0);
	/* Only the second request is offered. */
	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_activate(s), 0);
	XS_ASSERT_EQ(xsu_oneway(c2, "me", 2), 0);
	xsu_expect_item(s, XS_MSG_ONEWAY, 0, 0, 0, "me", 2, NULL);
	XS_ASSERT_OK(fcntl(l, F_SETFL, O_NONBLOCK));
	XS_EXPECT_EQ(xsu_accept_raw(l), -EAGAIN);
	XS_EXPECT_EQ(xsu_revents(l, XSU_EV, 0), 0);
	close(s);
	close(c2);
	close(c1);
	close(l);
}

struct wait_arg {
	int fd;
	const char *name;
	int ret;
};

static void *connect_wait(void *p)
{
	struct wait_arg *w = p;

	w->ret = xsu_connect_fd(w->fd, w->name, XS_CONNECT_WAIT, 0);
	return NULL;
}

/* A deciding server that cancels instead of rejecting. */
XS_TEST(cancel_while_deciding)
{
	XSU_NAME(name);
	struct wait_arg w = { .fd = xsu_open(), .name = name };
	int l = xsu_listen(name, 0), s;
	pthread_t t = xsu_thread(connect_wait, &w);

	s = xsu_accept(l);
	XS_ASSERT_EQ(xsu_cancel(s, "nah", 3), 0);
	xsu_join(t, XSU_WAIT_MS);
	XS_EXPECT_EQ(w.ret, -ECONNRESET);
	xsu_expect_end(w.fd, XS_END_INVALIDATED, "nah", 3);
	xsu_expect_end(s, XS_END_CANCELED, NULL, 0);
	XS_EXPECT_EQ(xsu_activate(s), -ESHUTDOWN);
	XS_EXPECT_EQ(xsu_reject(s, NULL, 0), -ESHUTDOWN);
	close(s);
	close(w.fd);
	close(l);
}

XS_TEST(many_unanswered_requests_each_get_an_error)
{
	XSU_NAME(name);
	uint64_t cr[100], sr[50];
	int c, s, i;

	xsu_pair(name, NULL, &c, &s);
	for (i = 0; i < 100; i++)
		XS_ASSERT_EQ(xsu_request(c, &i, sizeof(i), &cr[i]), 0);
	for (i = 0; i < 50; i++)
		XS_ASSERT_EQ(xsu_request(s, &i, sizeof(i), &sr[i]), 0);
	/* Answer every third of the client's, after receiving them all. */
	for (i = 0; i < 100; i++)
		xsu_expect_item(s, XS_MSG_REQUEST, 0, 0, 0, &i, sizeof(i),
				NULL);
	for (i = 0; i < 100; i += 3)
		XS_ASSERT_EQ(xsu_reply(s, cr[i], NULL, 0), 0);
	XS_ASSERT_EQ(xsu_cancel(s, NULL, 0), 0);

	/* Client: the server's 50 requests, the real replies, then errors. */
	for (i = 0; i < 50; i++)
		xsu_expect_item(c, XS_MSG_REQUEST, 0, 0, 0, &i, sizeof(i),
				NULL);
	for (i = 0; i < 100; i += 3)
		xsu_expect_item(c, XS_MSG_REPLY, 0, 0, cr[i], NULL, 0, NULL);
	for (i = 0; i < 100; i++)
		if (i % 3)
			xsu_expect_kernel_error(c, cr[i], XS_END_INVALIDATED);
	xsu_expect_end(c, XS_END_INVALIDATED, NULL, 0);
	/* Server: one canceled error per request of its own. */
	for (i = 0; i < 50; i++)
		xsu_expect_kernel_error(s, sr[i], XS_END_CANCELED);
	xsu_expect_end(s, XS_END_CANCELED, NULL, 0);
	close(c);
	close(s);
}

/* Kernel items obey the receive rules: peek, short buffers, read(). */
XS_TEST(kernel_items_peek_and_read)
{
	XSU_NAME(name);
	struct xs_msg_hdr h, p;
	struct {
		struct xs_msg_hdr h;
		char reason[8];
	} f;
	uint64_t rid;
	int c, s;

	xsu_pair(name, NULL, &c, &s);
	XS_ASSERT_EQ(xsu_request(c, "q", 1, &rid), 0);
	XS_ASSERT_EQ(xsu_cancel(s, "reason", 6), 0);
	XS_ASSERT_EQ(xsu_recv(c, XS_RECV_PEEK, NULL, 0, &p), 0);
	XS_ASSERT_EQ(xsu_recv(c, 0, NULL, 0, &h), 0);
	XS_EXPECT_MEMEQ(&p, &h, sizeof(h));
	XS_EXPECT_EQ(h.kind, XS_MSG_ERROR_REPLY);
	XS_EXPECT_EQ(h.flags, XS_MSGF_KERNEL);
	XS_EXPECT_EQ(h.reply_to, rid);
	XS_EXPECT_EQ(h.id, 0);
	/* END with a 6-byte reason: too small a buffer keeps it. */
	XS_EXPECT_EQ(xsu_recv(c, 0, f.reason, 5, &h), -EMSGSIZE);
	XS_EXPECT_EQ(h.payload_len, 6);
	XS_EXPECT_ERRNO(read(c, &f, 37), EMSGSIZE);
	XS_ASSERT_EQ(xsu_recv(c, XS_RECV_PEEK, f.reason, 6, &h), 0);
	XS_EXPECT_EQ(h.kind, XS_MSG_END);
	XS_ASSERT_EQ(read(c, &f, sizeof(f)), (ssize_t)38);
	XS_EXPECT_EQ(f.h.kind, XS_MSG_END);
	XS_EXPECT_EQ(f.h.status, XS_END_INVALIDATED);
	XS_EXPECT_MEMEQ(f.reason, "reason", 6);
	XS_EXPECT_EQ(read(c, &f, sizeof(f)), 0);
	close(c);
	close(s);
}
