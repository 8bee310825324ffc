// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Received messages: an incoming message or a reply, its payload decoded
 * into a dictionary on first use, and the duty to reply that comes with a
 * request (at most once; handed off to be settled later, from anywhere).
 *
 * A message owns the descriptors that came with it (its out-of-line
 * items): the decoder duplicates what its fd and shmem objects keep, and
 * the message closes its own when it is freed, decoded or not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/xsession.h>

#include "xs_codec.h"
#include "xs_private.h"

struct xs_received_message {
	atomic_int refs;
	xs_session_t *session;
	struct xs_msg_hdr hdr;
	void *bytes;
	int *fds;			/* hdr.nr_items descriptors, or NULL */
	bool items_lost;		/* they could not be installed */
	pthread_mutex_t lock;		/* guards the lazy decode and map */
	xs_object_t *dict;
	bool decoded;
	void *body;			/* the body, mapped by get_bytes() */
	size_t body_len;
	atomic_bool replied;
	atomic_bool handed_off;
};

static void xs_close_items(const struct xs_item *items, uint32_t n)
{
	uint32_t i;

	for (i = 0; items && i < n; i++)
		close(items[i].fd);
}

/* Takes over the descriptors of @items, also when it fails. */
xs_received_message_t *xs_received_message_new(xs_session_t *s,
					       const struct xs_msg_hdr *hdr,
					       const void *payload,
					       const struct xs_item *items)
{
	xs_received_message_t *m = calloc(1, sizeof(*m));
	uint32_t i, n = hdr->nr_items;

	if (!m)
		goto fail;
	if (hdr->payload_len) {
		m->bytes = malloc(hdr->payload_len);
		if (!m->bytes)
			goto fail;
		memcpy(m->bytes, payload, hdr->payload_len);
	}
	if (n && items) {
		m->fds = malloc(n * sizeof(*m->fds));
		if (!m->fds)
			goto fail;
		for (i = 0; i < n; i++)
			m->fds[i] = items[i].fd;
	}
	m->items_lost = n && !items;
	atomic_init(&m->refs, 1);
	pthread_mutex_init(&m->lock, NULL);
	m->hdr = *hdr;
	m->session = xs_session_get(s);
	return m;
fail:
	xs_close_items(items, n);
	if (m)
		free(m->bytes);
	free(m);
	return NULL;
}

xs_received_message_t *xs_received_message_retain(xs_received_message_t *m)
{
	atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
	return m;
}

void xs_received_message_release(xs_received_message_t *m)
{
	if (!m || atomic_fetch_sub_explicit(&m->refs, 1,
					    memory_order_acq_rel) != 1)
		return;
	/*
	 * A handed-off request released without a reply: answer with an
	 * error so the requester does not wait until the session ends.
	 */
	if (m->hdr.kind == XS_MSG_REQUEST)
		xs_rich_error_release(xs_received_message_reply_error(m,
				XS_REPLY_STATUS_UNHANDLED));
	if (m->dict)
		xs_release(m->dict);
	if (m->body)
		munmap(m->body, m->body_len);
	if (m->fds) {
		uint32_t i;

		for (i = 0; i < m->hdr.nr_items; i++)
			close(m->fds[i]);
		free(m->fds);
	}
	pthread_mutex_destroy(&m->lock);
	xs_session_put(m->session);
	free(m->bytes);
	free(m);
}

xs_object_t *xs_received_message_get_dictionary(xs_received_message_t *m)
{
	xs_object_t *obj = NULL;

	pthread_mutex_lock(&m->lock);
	if (!m->decoded) {
		m->decoded = true;
		/* xs_decode() gives a dictionary or nothing. */
		if (m->hdr.payload_len)
			xs_decode(m->bytes, m->hdr.payload_len, m->fds,
				  m->fds ? m->hdr.nr_items : 0, &obj);
		m->dict = obj;
	}
	obj = m->dict;
	pthread_mutex_unlock(&m->lock);
	return obj;
}

/*
 * For a message whose dictionary came out of line, the bytes are the
 * body, not the reference that stood for it: mapped on first use and
 * kept with the message (logically const: the mapping is a cache).
 */
const void *xs_received_message_get_bytes(const xs_received_message_t *cm,
					  size_t *len)
{
	xs_received_message_t *m = (xs_received_message_t *)cm;
	uint64_t index, blen;
	int err;

	if (xs_body_ref_parse(m->bytes, m->hdr.payload_len, &index,
			      &blen) != 1) {
		if (len)
			*len = m->hdr.payload_len;
		return m->bytes;
	}
	pthread_mutex_lock(&m->lock);
	if (!m->body && m->fds && index < m->hdr.nr_items) {
		m->body = xs_body_map(m->fds[index], blen, &err);
		m->body_len = m->body ? (size_t)blen : 0;
	}
	pthread_mutex_unlock(&m->lock);
	if (len)
		*len = m->body_len;
	return m->body;
}

bool xs_received_message_items_lost(const xs_received_message_t *m)
{
	return m->items_lost;
}

/* Why get_dictionary() gave nothing, as a codec error. */
static xs_rich_error_t *xs_undecodable(const xs_received_message_t *m)
{
	if (m->items_lost)
		return xs_error_new(XS_ERROR_CODEC, EMFILE,
				    "the message's %u descriptors could not be received (descriptor limit), so it cannot be decoded",
				    m->hdr.nr_items);
	return xs_error_new(XS_ERROR_CODEC, EBADMSG,
			    "the message is not a dictionary");
}

xs_rich_error_t *xs_received_message_decode(xs_received_message_t *m,
					    const struct xs_codable *c,
					    void *out)
{
	xs_object_t *dict = xs_received_message_get_dictionary(m);
	char why[256] = "";
	int ret;

	if (!dict)
		return xs_undecodable(m);
	ret = xs_codable_decode(c, dict, out, why, sizeof(why));
	if (ret)
		return xs_error_new(XS_ERROR_CODEC, -ret, "%s: %s",
				    c->name ? c->name : "message", why);
	return NULL;
}

bool xs_received_message_expects_reply(const xs_received_message_t *m)
{
	return m->hdr.kind == XS_MSG_REQUEST;
}

bool xs_received_message_is_sync(const xs_received_message_t *m)
{
	return m->hdr.flags & XS_MSGF_SYNC;
}

bool xs_received_message_is_error(const xs_received_message_t *m,
				  uint32_t *status)
{
	if (m->hdr.kind != XS_MSG_ERROR_REPLY)
		return false;
	if (status)
		*status = m->hdr.status;
	return true;
}

/* An error reply, as the requester's rich error. */
xs_rich_error_t *xs_error_from_reply(const struct xs_msg_hdr *hdr)
{
	if (hdr->flags & XS_MSGF_KERNEL)
		return xs_error_from_end(hdr->status, NULL, 0);
	switch (hdr->status) {
	case XS_REPLY_STATUS_UNHANDLED:
		return xs_error_new(XS_ERROR_PEER, ENOMSG,
				    "the peer did not reply to the message");
	case XS_REPLY_STATUS_UNDECODABLE:
		return xs_error_new(XS_ERROR_PEER, EBADMSG,
				    "the peer could not decode the message");
	case XS_REPLY_STATUS_REPLY_FAILED:
		return xs_error_new(XS_ERROR_PEER, EMSGSIZE,
				    "the peer's reply could not be sent");
	case XS_REPLY_STATUS_ITEMS_LOST:
		return xs_error_new(XS_ERROR_PEER, EMFILE,
				    "the peer could not receive the message's descriptors (descriptor limit)");
	default:
		return xs_error_new(XS_ERROR_PEER, EPROTO,
				    "the peer replied with error %u",
				    hdr->status);
	}
}

xs_rich_error_t *xs_received_message_error(const xs_received_message_t *m)
{
	if (m->hdr.kind == XS_MSG_ERROR_REPLY)
		return xs_error_from_reply(&m->hdr);
	if (m->items_lost)
		return xs_error_new(XS_ERROR_SYSTEM, EMFILE,
				    "the reply's %u descriptors could not be received (descriptor limit)",
				    m->hdr.nr_items);
	return NULL;
}

bool xs_received_message_settled(const xs_received_message_t *m)
{
	return atomic_load(&m->replied) || atomic_load(&m->handed_off);
}

xs_rich_error_t *xs_received_message_reply(xs_received_message_t *m,
					   xs_object_t *reply)
{
	uint64_t id;

	xs_rich_error_t *e;

	if (m->hdr.kind != XS_MSG_REQUEST)
		return xs_misuse("reply to a message that expects none");
	if (atomic_exchange(&m->replied, true))
		return xs_misuse("a second reply to one message");
	e = xs_session_send_raw(m->session, XS_MSG_REPLY, 0, m->hdr.id,
				reply, &id);
	/*
	 * The reply could not go (too large, not encodable, ...): the
	 * requester gets an error reply instead of waiting for the end.
	 */
	if (e && xs_rich_error_get_errno(e) != ESHUTDOWN)
		xs_rich_error_release(xs_session_send_raw(m->session,
			XS_MSG_ERROR_REPLY, XS_REPLY_STATUS_REPLY_FAILED,
			m->hdr.id, NULL, &id));
	return e;
}

xs_rich_error_t *
xs_received_message_reply_codable(xs_received_message_t *m,
				  const struct xs_codable *c, const void *reply)
{
	xs_rich_error_t *e;
	xs_object_t *dict;
	char why[256] = "";
	int ret;

	ret = xs_codable_encode_checked(c, reply, &dict, why, sizeof(why));
	if (ret)
		return xs_error_new(XS_ERROR_CODEC, -ret, "%s", why);
	e = xs_received_message_reply(m, dict);
	xs_release(dict);
	return e;
}

/* Settle a request with an error reply, unless it was settled already. */
xs_rich_error_t *xs_received_message_reply_error(xs_received_message_t *m,
						 uint32_t status)
{
	uint64_t id;

	if (m->hdr.kind != XS_MSG_REQUEST || atomic_exchange(&m->replied, true))
		return NULL;
	return xs_session_send_raw(m->session, XS_MSG_ERROR_REPLY, status,
				   m->hdr.id, NULL, &id);
}

xs_received_message_t *xs_received_message_handoff(xs_received_message_t *m)
{
	atomic_store(&m->handed_off, true);
	return xs_received_message_retain(m);
}
