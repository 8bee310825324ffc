// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sessions: the XPCSession analogue over a session fd of /dev/xsession.
 *
 * Life cycle: INACTIVE (setters allowed) -> ACTIVE (connected, its fd
 * watched by the event thread) -> CANCELING (cancel asked, the END item
 * not yet seen) -> CANCELED (END seen, cancel handler run).  While a
 * session is ACTIVE or CANCELING the library holds a reference of its own,
 * so a session keeps working after the program dropped its last pointer
 * to a peer session, and goes away once it has ended.
 *
 * Every incoming message, reply handler and the cancel handler runs from
 * the session's drain, on its target queue: one at a time, in the order
 * the kernel delivered them.  The kernel delivers, for every request this
 * end sent, exactly one reply or error reply before the END item, so
 * every reply handler runs once and before the cancel handler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/xsession.h>

#include "xs_codec.h"
#include "xs_private.h"
#include "xs_wire.h"

enum xs_state {
	XS_STATE_INACTIVE,
	XS_STATE_ACTIVE,
	XS_STATE_CANCELING,
	XS_STATE_CANCELED,
};

enum xs_handler_form {
	XS_FORM_NONE,
	XS_FORM_MESSAGE,
	XS_FORM_DICTIONARY,
	XS_FORM_CODABLE,
};

/* A reply handler waiting for the reply to request @id. */
struct xs_pending {
	struct xs_pending *next;
	uint64_t id;
	int form;			/* enum xs_handler_form */
	union {
		xs_reply_handler_t msg_fn;
		xs_dictionary_reply_handler_t dict_fn;
		xs_codable_reply_handler_t codable_fn;
	};
	const struct xs_codable *codable;
	void *ctx;
	xs_received_message_t *reply;	/* when the reply came first */
};

struct xs_session {
	atomic_int refs;		/* all references */
	atomic_int user_refs;		/* the program's (client sessions) */
	pthread_mutex_t lock;
	int state;			/* enum xs_state, under @lock */
	int fd;
	bool is_peer;
	uint32_t flags;
	char *name;
	xs_queue_t *queue;
	struct xs_source src;

	int form;			/* enum xs_handler_form */
	union {
		xs_message_handler_t msg_fn;
		xs_dictionary_handler_t dict_fn;
		xs_codable_handler_t codable_fn;
	};
	const struct xs_codable *codable;
	void *msg_ctx;
	xs_cancel_handler_t cancel_fn;
	void *cancel_ctx;

	struct xs_pending *pending;	/* reply handlers and early replies */
	bool ended;			/* END seen: no reply will come */
	/*
	 * Requests between their XS_IOC_SEND and the registration of their
	 * reply handler; while there are any, the END's cancel handler waits
	 * in @deferred_end, so it still runs after those reply handlers.
	 */
	int sending;
	struct xs_cancel_call *deferred_end;

	/*
	 * The drain's receive buffer: room for a header (read() wants one
	 * in front of the payload), then @rxcap bytes of payload; and the
	 * slots XS_IOC_RECV installs a message's descriptors into.
	 */
	void *rxbuf;
	size_t rxcap;
	struct xs_item rxitems[XS_ITEMS_MAX];
};

/* ---- references ---- */

static void xs_session_free(xs_session_t *s)
{
	struct xs_pending *p;

	while ((p = s->pending)) {
		s->pending = p->next;
		xs_received_message_release(p->reply);
		free(p);
	}
	if (s->fd >= 0)
		close(s->fd);
	if (s->queue)
		xs_queue_release(s->queue);
	pthread_mutex_destroy(&s->lock);
	free(s->rxbuf);
	free(s->name);
	free(s);
}

/* The library's own references: they never cancel a session. */
xs_session_t *xs_session_get(xs_session_t *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void xs_session_put(xs_session_t *s)
{
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
		xs_session_free(s);
}

xs_session_t *xs_session_retain(xs_session_t *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->user_refs, 1, memory_order_relaxed);
	return s;
}

void xs_session_release(xs_session_t *s)
{
	int state;

	if (!s)
		return;
	if (atomic_fetch_sub_explicit(&s->user_refs, 1,
				      memory_order_acq_rel) == 1 &&
	    !s->is_peer) {
		pthread_mutex_lock(&s->lock);
		state = s->state;
		pthread_mutex_unlock(&s->lock);
		/* Nobody can send or cancel it any more: end it now. */
		if (state == XS_STATE_ACTIVE)
			xs_session_cancel(s, NULL);
	}
	xs_session_put(s);
}

static xs_session_t *xs_session_alloc(const char *name, xs_queue_t *queue,
				      uint32_t flags)
{
	xs_session_t *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	atomic_init(&s->user_refs, 1);
	pthread_mutex_init(&s->lock, NULL);
	s->fd = -1;
	s->flags = flags;
	s->name = strdup(name ? name : "");
	s->queue = queue ? xs_queue_retain(queue) : NULL;
	if (!s->name) {
		xs_session_free(s);
		return NULL;
	}
	return s;
}

int xs_session_fd(xs_session_t *s)
{
	return s->fd;
}

/* ---- creation and setters ---- */

static xs_session_t *xs_session_create(const char *name, xs_queue_t *queue,
				       uint32_t flags, xs_rich_error_t **err)
{
	xs_rich_error_t *e;
	xs_session_t *s;

	if (err)
		*err = NULL;
	if (flags & ~(XS_SESSION_CREATE_INACTIVE | XS_SESSION_CREATE_PRIVILEGED)) {
		e = xs_misuse("unknown session flags %#x", flags);
		goto fail;
	}
	s = xs_session_alloc(name, queue, flags);
	if (!s) {
		e = xs_error_from_errno(ENOMEM, "session");
		goto fail;
	}
	if (flags & XS_SESSION_CREATE_INACTIVE)
		return s;
	e = xs_session_activate(s);
	if (!e)
		return s;
	xs_session_release(s);
fail:
	if (err)
		*err = e;
	else
		xs_rich_error_release(e);
	return NULL;
}

xs_session_t *xs_session_create_mach_service(const char *name,
					     xs_queue_t *queue, uint32_t flags,
					     xs_rich_error_t **err)
{
	return xs_session_create(name, queue, flags, err);
}

/*
 * Bundled XPC services and Mach services share one registry until the
 * activation daemon exists.  As in XPC, PRIVILEGED is for Mach services.
 */
xs_session_t *xs_session_create_xpc_service(const char *name,
					    xs_queue_t *queue, uint32_t flags,
					    xs_rich_error_t **err)
{
	if (flags & XS_SESSION_CREATE_PRIVILEGED) {
		xs_rich_error_t *e =
			xs_misuse("PRIVILEGED is only for Mach services");

		if (err)
			*err = e;
		else
			xs_rich_error_release(e);
		return NULL;
	}
	return xs_session_create(name, queue, flags, err);
}

static xs_session_t *
xs_session_create_with(const char *name, xs_queue_t *queue, uint32_t flags,
		       bool xpc, xs_message_handler_t on_message,
		       xs_cancel_handler_t on_cancel, void *ctx,
		       xs_rich_error_t **err)
{
	uint32_t inactive = flags | XS_SESSION_CREATE_INACTIVE;
	xs_rich_error_t *e;
	xs_session_t *s;

	s = xpc ? xs_session_create_xpc_service(name, queue, inactive, err)
		: xs_session_create_mach_service(name, queue, inactive, err);
	if (!s)
		return NULL;
	if (on_message)
		xs_rich_error_release(xs_session_set_incoming_message_handler(
			s, on_message, ctx));
	if (on_cancel)
		xs_rich_error_release(xs_session_set_cancel_handler(s, on_cancel,
								    ctx));
	if (flags & XS_SESSION_CREATE_INACTIVE)
		return s;
	e = xs_session_activate(s);
	if (!e)
		return s;
	xs_session_release(s);
	if (err)
		*err = e;
	else
		xs_rich_error_release(e);
	return NULL;
}

xs_session_t *
xs_session_create_mach_service_with_handlers(const char *name,
					     xs_queue_t *queue, uint32_t flags,
					     xs_message_handler_t on_message,
					     xs_cancel_handler_t on_cancel,
					     void *ctx, xs_rich_error_t **err)
{
	return xs_session_create_with(name, queue, flags, false, on_message,
				      on_cancel, ctx, err);
}

xs_session_t *
xs_session_create_xpc_service_with_handlers(const char *name,
					    xs_queue_t *queue, uint32_t flags,
					    xs_message_handler_t on_message,
					    xs_cancel_handler_t on_cancel,
					    void *ctx, xs_rich_error_t **err)
{
	return xs_session_create_with(name, queue, flags, true, on_message,
				      on_cancel, ctx, err);
}

/* Run @set under the lock if the session is still inactive. */
#define XS_WHILE_INACTIVE(s, what, set)					\
	do {								\
		pthread_mutex_lock(&(s)->lock);				\
		if ((s)->state != XS_STATE_INACTIVE) {			\
			pthread_mutex_unlock(&(s)->lock);		\
			return xs_misuse("%s on a session that is not inactive", what); \
		}							\
		set;							\
		pthread_mutex_unlock(&(s)->lock);			\
		return NULL;						\
	} while (0)

xs_rich_error_t *xs_session_set_target_queue(xs_session_t *s, xs_queue_t *q)
{
	XS_WHILE_INACTIVE(s, "set_target_queue", {
		if (s->queue)
			xs_queue_release(s->queue);
		s->queue = q ? xs_queue_retain(q) : NULL;
	});
}

xs_rich_error_t *
xs_session_set_incoming_message_handler(xs_session_t *s,
					xs_message_handler_t fn, void *ctx)
{
	XS_WHILE_INACTIVE(s, "set_incoming_message_handler", {
		s->form = fn ? XS_FORM_MESSAGE : XS_FORM_NONE;
		s->msg_fn = fn;
		s->msg_ctx = ctx;
	});
}

xs_rich_error_t *
xs_session_set_incoming_dictionary_handler(xs_session_t *s,
					   xs_dictionary_handler_t fn,
					   void *ctx)
{
	XS_WHILE_INACTIVE(s, "set_incoming_message_handler", {
		s->form = fn ? XS_FORM_DICTIONARY : XS_FORM_NONE;
		s->dict_fn = fn;
		s->msg_ctx = ctx;
	});
}

xs_rich_error_t *
xs_session_set_incoming_codable_handler(xs_session_t *s,
					const struct xs_codable *c,
					xs_codable_handler_t fn, void *ctx)
{
	if (fn && !c)
		return xs_misuse("a codable handler needs its codable");
	XS_WHILE_INACTIVE(s, "set_incoming_message_handler", {
		s->form = fn ? XS_FORM_CODABLE : XS_FORM_NONE;
		s->codable_fn = fn;
		s->codable = c;
		s->msg_ctx = ctx;
	});
}

xs_rich_error_t *xs_session_set_cancel_handler(xs_session_t *s,
					       xs_cancel_handler_t fn,
					       void *ctx)
{
	XS_WHILE_INACTIVE(s, "set_cancel_handler", {
		s->cancel_fn = fn;
		s->cancel_ctx = ctx;
	});
}

bool xs_session_has_incoming_handler(xs_session_t *s)
{
	return s->form != XS_FORM_NONE;
}

/* ---- the end ---- */

struct xs_cancel_call {
	xs_session_t *s;
	xs_rich_error_t *err;
};

static void xs_run_cancel_handler(void *arg)
{
	struct xs_cancel_call *c = arg;

	if (c->s->cancel_fn)
		c->s->cancel_fn(c->err, c->s->cancel_ctx);
	xs_rich_error_release(c->err);
	xs_session_put(c->s);	/* the reference held while active */
	free(c);
}

/*
 * The session is over: run the cancel handler once, on the queue, then
 * drop the library's own reference.  Called on the queue (from the drain)
 * or before the session was ever active.
 */
static void xs_session_finish(xs_session_t *s, xs_rich_error_t *err,
			      bool on_queue)
{
	struct xs_cancel_call *c;

	pthread_mutex_lock(&s->lock);
	s->state = XS_STATE_CANCELED;
	s->ended = true;
	pthread_mutex_unlock(&s->lock);

	c = malloc(sizeof(*c));
	if (!c) {
		xs_rich_error_release(err);
		xs_session_put(s);
		return;
	}
	c->s = s;
	c->err = err;
	if (on_queue) {
		pthread_mutex_lock(&s->lock);
		if (s->sending) {
			/* The last sender queues it, after its reply handler. */
			s->deferred_end = c;
			pthread_mutex_unlock(&s->lock);
			return;
		}
		pthread_mutex_unlock(&s->lock);
		xs_run_cancel_handler(c);
	}
	else if (xs_queue_async(s->queue, xs_run_cancel_handler, c))
		xs_run_cancel_handler(c);	/* no queue: run it here */
}

/* ---- receiving ---- */

static struct xs_pending *xs_pending_take_locked(xs_session_t *s, uint64_t id)
{
	struct xs_pending **pp, *p;

	for (pp = &s->pending; (p = *pp); pp = &p->next) {
		if (p->id == id) {
			*pp = p->next;
			return p;
		}
	}
	return NULL;
}

static void xs_pending_call(struct xs_pending *p, xs_received_message_t *reply,
			    xs_rich_error_t *err)
{
	switch (p->form) {
	case XS_FORM_MESSAGE:
		p->msg_fn(err ? NULL : reply, err, p->ctx);
		break;
	case XS_FORM_DICTIONARY: {
		xs_object_t *dict = err ? NULL :
				    xs_received_message_get_dictionary(reply);
		xs_rich_error_t *derr = NULL;

		if (!err && !dict)
			err = derr = xs_error_new(XS_ERROR_CODEC, EBADMSG,
						  "the reply is not a dictionary");
		p->dict_fn(dict, err, p->ctx);
		xs_rich_error_release(derr);
		break;
	}
	case XS_FORM_CODABLE: {
		size_t size = p->codable->size;
		void *out = calloc(1, size ? size : 1);

		if (!err && !out)
			err = xs_error_from_errno(ENOMEM, "reply");
		else if (!err)
			err = xs_received_message_decode(reply, p->codable, out);
		p->codable_fn(err ? NULL : out, err, p->ctx);
		if (out && !err)
			xs_codable_free(p->codable, out);
		free(out);
		break;
	}
	}
}

/* Run a reply handler with its reply (or the reply's error). */
static void xs_pending_complete(struct xs_pending *p,
				xs_received_message_t *reply)
{
	xs_rich_error_t *err = xs_received_message_error(reply);

	xs_pending_call(p, reply, err);
	xs_rich_error_release(err);
	xs_received_message_release(reply);
	free(p);
}

static void xs_handle_reply(xs_session_t *s, const struct xs_msg_hdr *hdr,
			    const void *payload, const struct xs_item *items)
{
	xs_received_message_t *reply;
	struct xs_pending *p;

	reply = xs_received_message_new(s, hdr, payload, items);
	if (!reply)
		return;
	pthread_mutex_lock(&s->lock);
	p = xs_pending_take_locked(s, hdr->reply_to);
	if (!p) {
		/* The sender has not registered its handler yet: park it. */
		p = calloc(1, sizeof(*p));
		if (p) {
			p->id = hdr->reply_to;
			p->reply = reply;
			p->next = s->pending;
			s->pending = p;
		}
		pthread_mutex_unlock(&s->lock);
		if (!p)
			xs_received_message_release(reply);
		return;
	}
	pthread_mutex_unlock(&s->lock);
	xs_pending_complete(p, reply);
}

/*
 * The session ends without the kernel's END (a receive failed): the reply
 * handlers still waiting get @err now, before the cancel handler.
 */
static void xs_session_fail_pending(xs_session_t *s, xs_rich_error_t *err)
{
	struct xs_pending *list, *p;

	pthread_mutex_lock(&s->lock);
	list = s->pending;
	s->pending = NULL;
	s->ended = true;
	pthread_mutex_unlock(&s->lock);
	while ((p = list)) {
		list = p->next;
		if (p->reply)
			xs_received_message_release(p->reply);	/* parked */
		else
			xs_pending_call(p, NULL, err);
		free(p);
	}
}

static xs_object_t *xs_call_incoming(xs_session_t *s,
				     xs_received_message_t *msg,
				     bool *undecodable)
{
	xs_object_t *dict, *ret = NULL;
	xs_rich_error_t *e;
	void *out;

	switch (s->form) {
	case XS_FORM_MESSAGE:
		return s->msg_fn(msg, s->msg_ctx);
	case XS_FORM_DICTIONARY:
		dict = xs_received_message_get_dictionary(msg);
		if (!dict) {
			*undecodable = true;
			return NULL;
		}
		return s->dict_fn(dict, s->msg_ctx);
	case XS_FORM_CODABLE:
		out = calloc(1, s->codable->size ? s->codable->size : 1);
		if (!out)
			return NULL;
		e = xs_received_message_decode(msg, s->codable, out);
		if (e) {
			xs_rich_error_release(e);
			*undecodable = true;
		} else {
			ret = s->codable_fn(out, s->msg_ctx);
			xs_codable_free(s->codable, out);
		}
		free(out);
		return ret;
	default:
		return NULL;	/* no handler: dropped, as in XPC */
	}
}

static void xs_handle_incoming(xs_session_t *s, const struct xs_msg_hdr *hdr,
			       const void *payload, const struct xs_item *items)
{
	xs_received_message_t *msg;
	bool undecodable = false;
	xs_object_t *ret = NULL;

	msg = xs_received_message_new(s, hdr, payload, items);
	if (!msg)
		return;
	/*
	 * Without its descriptors the message is not what was sent: no
	 * handler sees it, and a requester learns why (ITEMS_LOST).
	 */
	if (xs_received_message_items_lost(msg)) {
		xs_rich_error_release(xs_received_message_reply_error(msg,
				XS_REPLY_STATUS_ITEMS_LOST));
		xs_received_message_release(msg);
		return;
	}
	ret = xs_call_incoming(s, msg, &undecodable);
	if (hdr->kind == XS_MSG_REQUEST && !xs_received_message_settled(msg)) {
		/* Nobody may wait forever: the return value, or an error. */
		if (ret && !undecodable)
			xs_rich_error_release(xs_received_message_reply(msg, ret));
		else
			xs_rich_error_release(xs_received_message_reply_error(
				msg, undecodable ? XS_REPLY_STATUS_UNDECODABLE :
						   XS_REPLY_STATUS_UNHANDLED));
	}
	if (ret)
		xs_release(ret);
	xs_received_message_release(msg);
}

#define XS_RX_HDR	sizeof(struct xs_msg_hdr)

static void xs_rx_items_close(const struct xs_item *items, uint32_t n)
{
	uint32_t i;

	for (i = 0; items && i < n; i++)
		close(items[i].fd);
}

/* Room for a header and @payload bytes of payload in the drain's buffer. */
static int xs_rx_reserve(xs_session_t *s, size_t payload)
{
	void *n;

	if (s->rxbuf && payload <= s->rxcap)
		return 0;
	n = realloc(s->rxbuf, XS_RX_HDR + payload);
	if (!n)
		return -ENOMEM;
	s->rxbuf = n;
	s->rxcap = payload;
	return 0;
}

/*
 * The kernel could not install the descriptors of the next message
 * (RLIMIT_NOFILE, or an LSM said no): it stays queued, and asking again
 * would fail again, so the drain would spin.  read() takes it without
 * them (the kernel closes them, as read() on an AF_UNIX socket does);
 * the caller hands it on as a message that lost its items.  The
 * message is known to be there and this drain is its end's only
 * receiver, so the blocking read() does not wait (a cancel meanwhile
 * leaves error replies and the END item, which it then returns).
 */
static int xs_session_recv_lossy(xs_session_t *s, struct xs_recv *r)
{
	ssize_t n;

	n = read(s->fd, s->rxbuf, XS_RX_HDR + s->rxcap);
	if (n < 0)
		return -errno;
	if ((size_t)n < XS_RX_HDR)
		return -EIO;
	memcpy(&r->hdr, s->rxbuf, XS_RX_HDR);
	if (XS_RX_HDR + r->hdr.payload_len != (size_t)n)
		return -EIO;
	return 1;
}

static bool xs_items_refused(int err)
{
	return err == EMFILE || err == ENFILE || err == EPERM || err == EACCES;
}

/*
 * Receive one item into the drain's buffer, its payload at
 * rxbuf + XS_RX_HDR.  0 (its descriptors are in s->rxitems), 1 (taken
 * without its descriptors), -EAGAIN or an error.
 */
static int xs_session_recv(xs_session_t *s, struct xs_recv *r)
{
	int ret = xs_rx_reserve(s, 0);

	while (!ret) {
		memset(r, 0, sizeof(*r));
		r->size = sizeof(*r);
		r->flags = XS_NONBLOCK;
		r->buf = (uintptr_t)((char *)s->rxbuf + XS_RX_HDR);
		r->buf_len = s->rxcap;
		r->items = (uintptr_t)s->rxitems;
		r->items_cap = XS_ITEMS_MAX;
		if (ioctl(s->fd, XS_IOC_RECV, r) == 0)
			return 0;
		if (xs_items_refused(errno))
			return xs_session_recv_lossy(s, r);
		if (errno != EMSGSIZE)
			return -errno;
		/* More items than XS_ITEMS_MAX cannot be: do not loop on it. */
		if (r->hdr.payload_len <= s->rxcap)
			return -EPROTO;
		/* The item stays queued: grow to the size it needs. */
		ret = xs_rx_reserve(s, r->hdr.payload_len);
	}
	return ret;
}

#define XS_DRAIN_BUDGET	64	/* items per turn, then let others run */

static void xs_session_drain_again(void *arg);

static void xs_session_drain(struct xs_source *src)
{
	xs_session_t *s = (xs_session_t *)((char *)src -
					   offsetof(struct xs_session, src));
	const struct xs_item *items;
	struct xs_recv r;
	void *payload;
	int i, ret;

	for (i = 0; i < XS_DRAIN_BUDGET; i++) {
		ret = xs_session_recv(s, &r);
		if (ret == -EAGAIN)
			break;
		if (ret < 0) {
			/* Not expected: end the session rather than spin. */
			xs_rich_error_t *e = xs_error_from_errno(-ret, "receive");

			xs_source_remove(src);
			xs_session_fail_pending(s, e);
			xs_session_finish(s, e, true);
			return;
		}
		payload = (char *)s->rxbuf + XS_RX_HDR;
		items = ret ? NULL : s->rxitems;	/* NULL: lost */
		switch (r.hdr.kind) {
		case XS_MSG_ONEWAY:
		case XS_MSG_REQUEST:
			xs_handle_incoming(s, &r.hdr, payload, items);
			break;
		case XS_MSG_REPLY:
		case XS_MSG_ERROR_REPLY:
			xs_handle_reply(s, &r.hdr, payload, items);
			break;
		case XS_MSG_END:
			xs_source_remove(src);
			xs_session_finish(s, xs_error_from_end(r.hdr.status,
							       payload,
							       r.hdr.payload_len),
					  true);
			return;
		default:
			/* Not a kind we know: its descriptors still go. */
			xs_rx_items_close(items, r.hdr.nr_items);
			break;
		}
	}
	if (i == XS_DRAIN_BUDGET)
		xs_queue_async(s->queue, xs_session_drain_again, src);
	else
		xs_source_rearm(src);
}

/* Another turn after a full budget, behind what others queued. */
static void xs_session_drain_again(void *arg)
{
	xs_session_drain(arg);
}

/* ---- activation and cancel ---- */

static xs_rich_error_t *xs_session_start(xs_session_t *s)
{
	char label[160];
	int ret;

	if (!s->queue) {
		snprintf(label, sizeof(label), "xsession.%s", s->name);
		s->queue = xs_queue_create(label);
		if (!s->queue)
			return xs_error_from_errno(errno, "session queue");
	}
	s->src.fd = s->fd;
	s->src.queue = s->queue;
	s->src.drain = xs_session_drain;
	/* The library's own reference, dropped after the cancel handler. */
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	s->state = XS_STATE_ACTIVE;
	ret = xs_source_add(&s->src);
	if (ret) {
		s->state = XS_STATE_INACTIVE;
		atomic_fetch_sub_explicit(&s->refs, 1, memory_order_relaxed);
		return xs_error_from_errno(-ret, "watching the session");
	}
	return NULL;
}

static xs_rich_error_t *xs_session_connect(xs_session_t *s)
{
	struct xs_connect c = { .size = sizeof(c) };
	char msg[256];
	int fd;

	fd = xs_device_open_checked(msg, sizeof(msg), NULL);
	if (fd < 0)
		return xs_error_new(XS_ERROR_SYSTEM, -fd, "%s", msg);
	c.name = (uintptr_t)s->name;
	if (s->flags & XS_SESSION_CREATE_PRIVILEGED)
		c.flags |= XS_CONNECT_PRIVILEGED;
	if (ioctl(fd, XS_IOC_CONNECT, &c) < 0) {
		int err = errno;

		close(fd);
		if (err == EINVAL || err == ENAMETOOLONG)
			return xs_error_new(XS_ERROR_NOT_FOUND, err,
					    "\"%s\" is not a valid service name",
					    s->name);
		return xs_error_from_errno(err, s->name);
	}
	s->fd = fd;
	return NULL;
}

xs_rich_error_t *xs_session_activate(xs_session_t *s)
{
	xs_rich_error_t *e;

	pthread_mutex_lock(&s->lock);
	if (s->state != XS_STATE_INACTIVE) {
		pthread_mutex_unlock(&s->lock);
		return xs_misuse("activate on a session that is %s",
				 s->state == XS_STATE_ACTIVE ? "already active" :
				 "canceled");
	}
	e = s->is_peer ? NULL : xs_session_connect(s);
	/*
	 * A client that left before we activated: watch the session anyway,
	 * so the cancel handler learns why from its END item.
	 */
	if (!e && s->is_peer && ioctl(s->fd, XS_IOC_ACTIVATE) < 0 &&
	    errno != ESHUTDOWN)
		e = xs_error_from_errno(errno, "activating the session");
	if (!e)
		e = xs_session_start(s);
	if (e) {
		/*
		 * A failed activation cancels the session, as in XPC; the
		 * cancel handler still runs once, on a queue.
		 */
		s->state = XS_STATE_CANCELED;
		if (!s->queue)
			s->queue = xs_queue_retain(xs_queue_get_default());
		pthread_mutex_unlock(&s->lock);
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
		xs_session_finish(s, xs_rich_error_retain(e), false);
		return e;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

void xs_session_cancel(xs_session_t *s, const char *reason)
{
	struct xs_cancel c = { .size = sizeof(c) };
	int state;

	pthread_mutex_lock(&s->lock);
	state = s->state;
	if (state == XS_STATE_ACTIVE)
		s->state = XS_STATE_CANCELING;
	else if (state == XS_STATE_INACTIVE)
		s->state = XS_STATE_CANCELED;
	pthread_mutex_unlock(&s->lock);

	if (state == XS_STATE_INACTIVE) {
		/* Never active: the cancel handler still runs, once. */
		if (s->cancel_fn) {
			atomic_fetch_add_explicit(&s->refs, 1,
						  memory_order_relaxed);
			if (!s->queue)
				s->queue = xs_queue_retain(xs_queue_get_default());
			xs_session_finish(s, xs_error_from_end(XS_END_CANCELED,
							       NULL, 0),
					  false);
		}
		return;
	}
	if (state != XS_STATE_ACTIVE)
		return;
	if (reason) {
		c.reason = (uintptr_t)reason;
		c.reason_len = strnlen(reason, XS_REASON_MAX);
	}
	/*
	 * The kernel answers with an END item (after error replies for our
	 * unanswered requests); the drain then runs the cancel handler.
	 */
	ioctl(s->fd, XS_IOC_CANCEL, &c);
}

/* ---- the listener's side ---- */

xs_session_t *xs_session_new_peer(int fd, xs_queue_t *queue)
{
	xs_session_t *s = xs_session_alloc("", queue, 0);

	if (!s)
		return NULL;
	s->fd = fd;
	s->is_peer = true;
	/* Borrowed by the program; the listener's reference until decided. */
	atomic_store(&s->user_refs, 0);
	return s;
}

xs_rich_error_t *xs_session_activate_peer(xs_session_t *s)
{
	return xs_session_activate(s);
}

/*
 * End an accepted peer that never became active: rejected (the client
 * sees XS_END_REJECTED) or, when it was accepted but left unconfigured,
 * cancelled (the client sees it invalidated, with @reason).
 */
void xs_session_drop_peer(xs_session_t *s, const char *reason, bool reject)
{
	struct xs_cancel c = { .size = sizeof(c) };

	if (reason) {
		c.reason = (uintptr_t)reason;
		c.reason_len = strnlen(reason, XS_REASON_MAX);
	}
	if (reject) {
		ioctl(s->fd, XS_IOC_REJECT, &c);
	} else {
		ioctl(s->fd, XS_IOC_ACTIVATE);
		ioctl(s->fd, XS_IOC_CANCEL, &c);
	}
	pthread_mutex_lock(&s->lock);
	s->state = XS_STATE_CANCELED;
	pthread_mutex_unlock(&s->lock);
}

/* ---- sending ---- */

/*
 * The largest encoding sent inline: the threshold, or less when the
 * peer's ring could not take it (every end the library makes has the
 * default ring; a peer with a smaller one still works, see send_raw).
 */
static size_t xs_inline_max(void)
{
	size_t max = xs_large_threshold();
	size_t ring = xs_device_ring_size_default();

	if (ring > XS_RX_HDR && ring - XS_RX_HDR < max)
		max = ring - XS_RX_HDR;
	if (xs_device_max_msg_size() < max)
		max = xs_device_max_msg_size();
	return max;
}

/* Move @w's body out of line; the error says why it could not. */
static xs_rich_error_t *xs_wire_out(struct xs_wire *w)
{
	int ret = xs_wire_body_out(w);

	switch (ret) {
	case 0:
		return NULL;
	case -E2BIG:
		return xs_error_new(XS_ERROR_CODEC, E2BIG,
				    "a message of %zu bytes travels in a sealed memfd, which needs one out-of-line item more than the %u it holds (at most %d)",
				    w->body_len, w->nr_items, XS_ITEMS_MAX);
	case -EMSGSIZE:
		return xs_error_new(XS_ERROR_CODEC, EMSGSIZE,
				    "a message of %zu bytes is larger than the largest body a peer takes (%llu bytes)",
				    w->body_len, XS_CODEC_BODY_MAX);
	default:
		return xs_error_new(XS_ERROR_SYSTEM, -ret,
				    "a message of %zu bytes needs a sealed memfd: %s",
				    w->body_len, strerror(-ret));
	}
}

/*
 * Encode @msg into @w: the payload, and the items its fd and shmem
 * objects (and, above xs_inline_max(), its body) travel as.
 */
static xs_rich_error_t *xs_encode_msg(xs_object_t *msg, struct xs_wire *w)
{
	int ret;

	if (!msg || xs_get_type(msg) != XS_TYPE_DICTIONARY)
		return xs_misuse("a message must be a dictionary");
	ret = xs_wire_encode(w, msg);
	if (ret == -E2BIG)
		return xs_error_new(XS_ERROR_CODEC, E2BIG,
				    "the message holds %zu fd and shmem objects; at most %d travel with one message",
				    w->ool.count, XS_ITEMS_MAX);
	if (ret)
		return xs_error_new(XS_ERROR_CODEC, -ret,
				    "the message cannot be encoded: %s",
				    strerror(-ret));
	if (w->body_len > xs_inline_max())
		return xs_wire_out(w);
	return NULL;
}

/*
 * The kernel refused an inline payload as too large (-EMSGSIZE before
 * anything was sent): the peer's ring is smaller than the library
 * assumed.  True when @w can go out of line instead, which it then did.
 */
static bool xs_wire_retry_out(struct xs_wire *w, int err,
			      xs_rich_error_t **e)
{
	if (err != EMSGSIZE || xs_wire_is_out(w) || !w->body_len)
		return false;
	*e = xs_wire_out(w);
	return !*e;
}

static xs_rich_error_t *xs_check_can_send(xs_session_t *s)
{
	int state;

	pthread_mutex_lock(&s->lock);
	state = s->state;
	pthread_mutex_unlock(&s->lock);
	if (state == XS_STATE_INACTIVE)
		return xs_misuse("send on a session that was never activated");
	if (state != XS_STATE_ACTIVE)
		return xs_error_new(XS_ERROR_CANCELED, ESHUTDOWN,
				    "send on a %s session",
				    state == XS_STATE_CANCELING ? "canceling" :
				    "canceled");
	return NULL;
}

/* A failed send: whose doing was the end of the session, if it ended? */
static xs_rich_error_t *xs_send_error(xs_session_t *s, int err)
{
	int state;

	if (err != ESHUTDOWN)
		return xs_error_from_errno(err, "send");
	pthread_mutex_lock(&s->lock);
	state = s->state;
	pthread_mutex_unlock(&s->lock);
	if (state == XS_STATE_ACTIVE)
		return xs_error_new(XS_ERROR_INVALIDATED, err,
				    "send: the peer ended the session");
	return xs_error_new(XS_ERROR_CANCELED, err,
			    "send: the session was canceled");
}

static int xs_send_wire(xs_session_t *s, struct xs_send *snd,
			const struct xs_wire *w)
{
	size_t len;

	snd->payload = (uintptr_t)xs_wire_payload(w, &len);
	snd->payload_len = (uint32_t)len;
	snd->items = w->nr_items ? (uintptr_t)w->items : 0;
	snd->nr_items = w->nr_items;
	return ioctl(s->fd, XS_IOC_SEND, snd) < 0 ? errno : 0;
}

/* Send one message of @kind; @msg NULL sends an empty payload. */
xs_rich_error_t *xs_session_send_raw(xs_session_t *s, uint16_t kind,
				     uint32_t status, uint64_t reply_to,
				     xs_object_t *msg, uint64_t *id)
{
	struct xs_send snd = { .size = sizeof(snd) };
	xs_rich_error_t *e = NULL;
	struct xs_wire w;
	int err;

	xs_wire_init(&w);
	if (msg) {
		e = xs_encode_msg(msg, &w);
		if (e)
			goto out;
	}
	snd.kind = kind;
	snd.status = status;
	snd.reply_to = reply_to;
	err = xs_send_wire(s, &snd, &w);
	if (err && xs_wire_retry_out(&w, err, &e))
		err = xs_send_wire(s, &snd, &w);
	if (err && !e)
		e = xs_send_error(s, err);
out:
	*id = snd.id;
	/* The kernel holds its own reference to every item it took. */
	xs_wire_release(&w);
	return e;
}

xs_rich_error_t *xs_session_send_message(xs_session_t *s, xs_object_t *msg)
{
	xs_rich_error_t *e = xs_check_can_send(s);
	uint64_t id;

	if (e)
		return e;
	/* NULL means "no payload" to send_raw: not for programs. */
	if (!msg)
		return xs_misuse("a message must be a dictionary");
	return xs_session_send_raw(s, XS_MSG_ONEWAY, 0, 0, msg, &id);
}

struct xs_late_call {
	struct xs_pending *p;
	xs_rich_error_t *err;
};

static void xs_run_failed_reply(void *arg)
{
	struct xs_late_call *c = arg;

	xs_pending_call(c->p, NULL, c->err);
	xs_rich_error_release(c->err);
	free(c->p);
	free(c);
}

static void xs_run_parked_reply(void *arg)
{
	struct xs_pending *p = arg;
	xs_received_message_t *reply = p->reply;

	p->reply = NULL;
	xs_pending_complete(p, reply);
}

/* Call @p's handler with @err on the session's queue (never inline). */
static void xs_pending_fail(xs_session_t *s, struct xs_pending *p,
			    xs_rich_error_t *err)
{
	struct xs_late_call *c = malloc(sizeof(*c));
	xs_queue_t *q = s->queue ? s->queue : xs_queue_get_default();

	if (c) {
		c->p = p;
		c->err = err;
		if (!xs_queue_async(q, xs_run_failed_reply, c))
			return;
		free(c);
	}
	/* No memory even for that: run it here rather than never. */
	xs_pending_call(p, NULL, err);
	xs_rich_error_release(err);
	free(p);
}

static void xs_send_request(xs_session_t *s, xs_object_t *msg,
			    struct xs_pending *p)
{
	struct xs_cancel_call *end = NULL;
	struct xs_pending *early = NULL;
	xs_rich_error_t *e;

	e = xs_check_can_send(s);
	if (!e && !msg)
		e = xs_misuse("a message must be a dictionary");
	if (e) {
		xs_pending_fail(s, p, e);
		return;
	}
	pthread_mutex_lock(&s->lock);
	s->sending++;
	pthread_mutex_unlock(&s->lock);
	e = xs_session_send_raw(s, XS_MSG_REQUEST, 0, 0, msg, &p->id);
	pthread_mutex_lock(&s->lock);
	if (!e) {
		early = xs_pending_take_locked(s, p->id);
		if (!early) {
			p->next = s->pending;
			s->pending = p;
		}
	}
	if (--s->sending == 0) {
		end = s->deferred_end;
		s->deferred_end = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	if (e) {
		xs_pending_fail(s, p, e);
	} else if (early) {
		/* The reply won the race: run the handler on the queue now. */
		p->reply = early->reply;
		free(early);
		if (xs_queue_async(s->queue, xs_run_parked_reply, p))
			xs_run_parked_reply(p);
	}
	/* The session ended meanwhile: its cancel handler comes after. */
	if (end && xs_queue_async(s->queue, xs_run_cancel_handler, end))
		xs_run_cancel_handler(end);
}

static struct xs_pending *xs_pending_new(int form, void *fn, void *ctx)
{
	struct xs_pending *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->form = form;
	p->msg_fn = (xs_reply_handler_t)fn;
	p->ctx = ctx;
	return p;
}

void xs_session_send_with_reply_async(xs_session_t *s, xs_object_t *msg,
				      xs_reply_handler_t fn, void *ctx)
{
	struct xs_pending *p = xs_pending_new(XS_FORM_MESSAGE, (void *)fn, ctx);

	if (p)
		xs_send_request(s, msg, p);
}

void xs_session_send_message_with_reply_async(xs_session_t *s,
					      xs_object_t *msg,
					      xs_dictionary_reply_handler_t fn,
					      void *ctx)
{
	struct xs_pending *p = xs_pending_new(XS_FORM_DICTIONARY, (void *)fn,
					      ctx);

	if (p)
		xs_send_request(s, msg, p);
}

/* One reply buffer per thread, as large as any reply can be. */
static pthread_key_t xs_sync_key;
static pthread_once_t xs_sync_once = PTHREAD_ONCE_INIT;

struct xs_sync_buf {
	void *buf;
	size_t cap;
};

static void xs_sync_buf_free(void *arg)
{
	struct xs_sync_buf *b = arg;

	munmap(b->buf, b->cap);
	free(b);
}

static void xs_sync_key_init(void)
{
	pthread_key_create(&xs_sync_key, xs_sync_buf_free);
}

/*
 * Virtual memory only: the kernel copies the reply in, so only the pages
 * a reply really uses are ever touched.
 */
static struct xs_sync_buf *xs_sync_buf_get(void)
{
	struct xs_sync_buf *b;

	pthread_once(&xs_sync_once, xs_sync_key_init);
	b = pthread_getspecific(xs_sync_key);
	if (b)
		return b;
	b = malloc(sizeof(*b));
	if (!b)
		return NULL;
	b->cap = xs_device_max_msg_size();
	b->buf = mmap(NULL, b->cap, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b->buf == MAP_FAILED) {
		free(b);
		return NULL;
	}
	pthread_setspecific(xs_sync_key, b);
	return b;
}

/* One XS_IOC_SEND_SYNC of @w; the reply's items go to @ritems. */
static int xs_send_sync_wire(xs_session_t *s, struct xs_send_sync *ss,
			     const struct xs_wire *w, struct xs_item *ritems)
{
	sigset_t block, old;
	size_t len;
	int ret;

	ss->payload = (uintptr_t)xs_wire_payload(w, &len);
	ss->payload_len = (uint32_t)len;
	ss->items = w->nr_items ? (uintptr_t)w->items : 0;
	ss->nr_items = w->nr_items;
	ss->reply_items = (uintptr_t)ritems;
	ss->reply_items_cap = XS_ITEMS_MAX;
	/*
	 * A caught signal ends the kernel's wait with -EINTR and the reply
	 * is dropped (a restart would send the request twice).  sendSync
	 * waits for the reply or the session's end: hold the catchable
	 * signals off for the call; the thread takes them when it returns.
	 */
	sigfillset(&block);
	sigdelset(&block, SIGSEGV);
	sigdelset(&block, SIGBUS);
	sigdelset(&block, SIGFPE);
	sigdelset(&block, SIGILL);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	ret = ioctl(s->fd, XS_IOC_SEND_SYNC, ss);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret < 0 ? errno : 0;
}

/* The reply of a successful XS_IOC_SEND_SYNC, as a received message. */
static xs_received_message_t *xs_sync_reply(xs_session_t *s,
					    const struct xs_send_sync *ss,
					    const void *payload,
					    const struct xs_item *ritems,
					    xs_rich_error_t **e)
{
	struct xs_msg_hdr hdr = {
		.kind = ss->reply_kind,
		.flags = ss->reply_flags,
		.status = ss->reply_status,
		.payload_len = ss->reply_len,
		.nr_items = ss->reply_nr_items,
		.reply_to = ss->id,
	};
	xs_received_message_t *reply;

	if (hdr.kind == XS_MSG_ERROR_REPLY) {
		/* An error reply has nothing to carry: whatever came, goes. */
		xs_rx_items_close(ritems, hdr.nr_items);
		*e = xs_error_from_reply(&hdr);
		return NULL;
	}
	reply = xs_received_message_new(s, &hdr, payload, ritems);
	if (!reply)
		*e = xs_error_from_errno(ENOMEM, "reply");
	return reply;
}

xs_received_message_t *xs_session_send_with_reply_sync(xs_session_t *s,
						       xs_object_t *msg,
						       xs_rich_error_t **err)
{
	struct xs_send_sync ss = { .size = sizeof(ss) };
	struct xs_item ritems[XS_ITEMS_MAX];
	xs_received_message_t *reply = NULL;
	struct xs_sync_buf *b;
	xs_rich_error_t *e;
	struct xs_wire w;
	int ret;

	xs_wire_init(&w);
	e = xs_check_can_send(s);
	if (!e && xs_queue_is_current(s->queue))
		e = xs_misuse("send_with_reply_sync on the session's own target queue would deadlock");
	if (e)
		goto out;
	b = xs_sync_buf_get();
	if (!b) {
		e = xs_error_from_errno(ENOMEM, "reply buffer");
		goto out;
	}
	e = xs_encode_msg(msg, &w);
	if (e)
		goto out;
	ss.reply_buf = (uintptr_t)b->buf;
	ss.reply_cap = b->cap;
	ret = xs_send_sync_wire(s, &ss, &w, ritems);
	/* id 0: refused before it was sent, so it can go again. */
	if (ret && !ss.id && xs_wire_retry_out(&w, ret, &e))
		ret = xs_send_sync_wire(s, &ss, &w, ritems);
	if (e)
		goto out;
	if (ret == ESHUTDOWN && (ss.reply_flags & XS_MSGF_KERNEL))
		e = xs_error_from_end(ss.reply_status, NULL, 0);
	else if (ret)
		e = xs_error_from_errno(ret, "send_sync");
	else
		reply = xs_sync_reply(s, &ss, b->buf, ritems, &e);
out:
	xs_wire_release(&w);
	if (err)
		*err = e;
	else
		xs_rich_error_release(e);
	return reply;
}

xs_object_t *xs_session_send_message_with_reply_sync(xs_session_t *s,
						     xs_object_t *msg,
						     xs_rich_error_t **err)
{
	xs_received_message_t *reply;
	xs_object_t *dict;

	reply = xs_session_send_with_reply_sync(s, msg, err);
	if (!reply)
		return NULL;
	dict = xs_received_message_get_dictionary(reply);
	if (dict)
		xs_retain(dict);
	else if (err)
		*err = xs_error_new(XS_ERROR_CODEC, EBADMSG,
				    "the reply is not a dictionary");
	xs_received_message_release(reply);
	return dict;
}

/* ---- codable forms ---- */

static xs_object_t *xs_codable_to_dict(const struct xs_codable *c,
				       const void *msg, xs_rich_error_t **e)
{
	char why[256] = "";
	xs_object_t *dict;
	int ret;

	ret = xs_codable_encode_checked(c, msg, &dict, why, sizeof(why));
	if (ret) {
		*e = xs_error_new(XS_ERROR_CODEC, -ret, "%s", why);
		return NULL;
	}
	*e = NULL;
	return dict;
}

xs_rich_error_t *xs_session_send_codable(xs_session_t *s,
					 const struct xs_codable *c,
					 const void *msg)
{
	xs_rich_error_t *e;
	xs_object_t *dict;

	dict = xs_codable_to_dict(c, msg, &e);
	if (!dict)
		return e;
	e = xs_session_send_message(s, dict);
	xs_release(dict);
	return e;
}

void xs_session_send_codable_with_reply_async(xs_session_t *s,
					      const struct xs_codable *c,
					      const void *msg,
					      const struct xs_codable *reply_c,
					      xs_codable_reply_handler_t fn,
					      void *ctx)
{
	struct xs_pending *p;
	xs_rich_error_t *e;
	xs_object_t *dict;

	p = xs_pending_new(XS_FORM_CODABLE, (void *)fn, ctx);
	if (!p)
		return;
	p->codable = reply_c;
	dict = xs_codable_to_dict(c, msg, &e);
	if (!dict) {
		xs_pending_fail(s, p, e);
		return;
	}
	xs_send_request(s, dict, p);
	xs_release(dict);
}

xs_rich_error_t *
xs_session_send_codable_with_reply_sync(xs_session_t *s,
					const struct xs_codable *c,
					const void *msg,
					const struct xs_codable *reply_c,
					void *reply)
{
	xs_received_message_t *r;
	xs_rich_error_t *e;
	xs_object_t *dict;

	dict = xs_codable_to_dict(c, msg, &e);
	if (!dict)
		return e;
	r = xs_session_send_with_reply_sync(s, dict, &e);
	xs_release(dict);
	if (!r)
		return e;
	e = xs_received_message_decode(r, reply_c, reply);
	xs_received_message_release(r);
	return e;
}

/* ---- credentials and description ---- */

xs_rich_error_t *xs_creds_read(int fd, struct xs_peer_credentials *out)
{
	struct xs_peer_creds pc = { .size = sizeof(pc) };

	memset(out, 0, sizeof(*out));
	pc.label = (uintptr_t)out->label;
	pc.label_cap = sizeof(out->label) - 1;
	if (ioctl(fd, XS_IOC_PEER_CREDS, &pc) < 0)
		return xs_error_from_errno(errno, "peer credentials");
	out->pid = pc.pid;
	out->uid = pc.uid;
	out->gid = pc.gid;
	out->alive = pc.alive;
	if (pc.label_len > pc.label_cap)
		out->label[0] = '\0';	/* did not fit: not copied */
	else
		out->label[pc.label_len] = '\0';
	return NULL;
}

xs_rich_error_t *xs_session_copy_peer_credentials(xs_session_t *s,
						  struct xs_peer_credentials *out)
{
	if (s->fd < 0)
		return xs_misuse("peer credentials of a session that was never activated");
	return xs_creds_read(s->fd, out);
}

/* pidfd_open(pid), then proof that the pid still names the same peer. */
int xs_session_copy_peer_pidfd(xs_session_t *s)
{
	struct xs_peer_credentials pc;
	xs_rich_error_t *e;
	int pidfd;

	e = xs_session_copy_peer_credentials(s, &pc);
	if (e) {
		int err = xs_rich_error_get_errno(e);

		xs_rich_error_release(e);
		return -err;
	}
	if (!pc.pid || !pc.alive)
		return -ESRCH;
	pidfd = (int)syscall(SYS_pidfd_open, pc.pid, 0);
	if (pidfd < 0)
		return -errno;
	e = xs_session_copy_peer_credentials(s, &pc);
	if (e || !pc.alive) {
		xs_rich_error_release(e);
		close(pidfd);
		return -ESRCH;
	}
	return pidfd;
}

char *xs_session_copy_description(xs_session_t *s)
{
	static const char *const states[] = {
		"inactive", "active", "canceling", "canceled",
	};
	char *d;
	int n;

	pthread_mutex_lock(&s->lock);
	n = asprintf(&d, "<xs_session %s: %s, %s, fd %d, queue %s>",
		     s->is_peer ? "(peer)" : s->name, states[s->state],
		     s->is_peer ? "server side" : "client side", s->fd,
		     s->queue ? xs_queue_get_label(s->queue) : "(private)");
	pthread_mutex_unlock(&s->lock);
	return n < 0 ? NULL : d;
}
