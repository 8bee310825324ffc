// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Listeners: the XPCListener analogue.  A listener fd registers a name;
 * each connect becomes a session request handed to the incoming-session
 * handler on the listener's queue, where the server accepts it (and
 * configures the new session) or rejects it with a reason the client
 * receives.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/xsession.h>

#include "xs_private.h"

enum { XS_L_INACTIVE, XS_L_ACTIVE, XS_L_CANCELED };

struct xs_listener {
	atomic_int refs;
	pthread_mutex_t lock;
	int state;
	int fd;
	char *name;
	xs_queue_t *queue;
	xs_incoming_session_handler_t fn;
	void *ctx;
	struct xs_source src;
};

enum { XS_REQ_UNDECIDED, XS_REQ_ACCEPTED, XS_REQ_REJECTED };

struct xs_session_request {
	xs_session_t *session;
	int decision;
};

static void xs_listener_free(xs_listener_t *l)
{
	if (l->fd >= 0)
		close(l->fd);
	if (l->queue)
		xs_queue_release(l->queue);
	pthread_mutex_destroy(&l->lock);
	free(l->name);
	free(l);
}

xs_listener_t *xs_listener_retain(xs_listener_t *l)
{
	atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
	return l;
}

void xs_listener_release(xs_listener_t *l)
{
	if (l && atomic_fetch_sub_explicit(&l->refs, 1,
					   memory_order_acq_rel) == 1)
		xs_listener_free(l);
}

/* Hand one accepted fd to the program, then act on its decision. */
static void xs_listener_offer(xs_listener_t *l, int fd)
{
	struct xs_session_request req = { 0 };
	xs_rich_error_t *e;

	req.session = xs_session_new_peer(fd, l->queue);
	if (!req.session) {
		close(fd);	/* the client learns "invalidated" */
		return;
	}
	l->fn(l, &req, l->ctx);

	switch (req.decision) {
	case XS_REQ_ACCEPTED:
		if (!xs_session_has_incoming_handler(req.session)) {
			/* Unconfigured: cancelled, not leaked. */
			xs_session_drop_peer(req.session,
					     "the server set no message handler",
					     false);
			break;
		}
		e = xs_session_activate_peer(req.session);
		xs_rich_error_release(e);
		break;
	case XS_REQ_UNDECIDED:
		xs_session_drop_peer(req.session, "not accepted", true);
		break;
	}
	/* The activated session holds its own reference while active. */
	xs_session_put(req.session);
}

static void xs_listener_drain(struct xs_source *src)
{
	xs_listener_t *l = (xs_listener_t *)((char *)src -
					     offsetof(struct xs_listener, src));
	struct xs_accept a;
	int fd, i;

	for (i = 0; i < 16; i++) {
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		fd = ioctl(l->fd, XS_IOC_ACCEPT, &a);
		if (fd >= 0) {
			xs_listener_offer(l, fd);
			continue;
		}
		if (errno == EAGAIN)
			break;
		/* Cancelled (ESHUTDOWN) or broken: stop watching. */
		xs_source_remove(src);
		xs_listener_release(l);	/* the reference held while active */
		return;
	}
	xs_source_rearm(src);
}

xs_listener_t *xs_listener_create(const char *name, xs_queue_t *queue,
				  uint32_t flags,
				  xs_incoming_session_handler_t fn, void *ctx,
				  xs_rich_error_t **err)
{
	struct xs_listen a = { .size = sizeof(a) };
	xs_rich_error_t *e = NULL;
	xs_listener_t *l;
	char msg[256];

	if (err)
		*err = NULL;
	if (!fn || (flags & ~(XS_LISTENER_CREATE_INACTIVE |
			      XS_LISTENER_CREATE_SYSTEM))) {
		e = xs_misuse(fn ? "unknown listener flags" :
			      "a listener needs an incoming-session handler");
		goto fail;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		e = xs_error_from_errno(ENOMEM, "listener");
		goto fail;
	}
	atomic_init(&l->refs, 1);
	pthread_mutex_init(&l->lock, NULL);
	l->fn = fn;
	l->ctx = ctx;
	l->name = strdup(name ? name : "");
	l->queue = queue ? xs_queue_retain(queue) : xs_queue_create(name);
	l->fd = xs_device_open_checked(msg, sizeof(msg), NULL);
	if (l->fd < 0) {
		e = xs_error_new(XS_ERROR_SYSTEM, -l->fd, "%s", msg);
		goto fail_free;
	}
	/* The drain accepts until EAGAIN: it must never block its queue. */
	if (fcntl(l->fd, F_SETFL, O_NONBLOCK) < 0) {
		e = xs_error_from_errno(errno, "listener");
		goto fail_free;
	}
	if (!l->name || !l->queue) {
		e = xs_error_from_errno(ENOMEM, "listener");
		goto fail_free;
	}
	a.name = (uintptr_t)l->name;
	if (flags & XS_LISTENER_CREATE_SYSTEM)
		a.flags |= XS_LISTEN_SYSTEM;
	if (ioctl(l->fd, XS_IOC_LISTEN, &a) < 0) {
		int ret = errno;

		e = ret == EADDRINUSE ?
		    xs_error_new(XS_ERROR_SYSTEM, ret,
				 "%s: the name is taken", l->name) :
		    xs_error_from_errno(ret, l->name);
		goto fail_free;
	}
	if (flags & XS_LISTENER_CREATE_INACTIVE)
		return l;
	e = xs_listener_activate(l);
	if (!e)
		return l;
fail_free:
	xs_listener_release(l);
fail:
	if (err)
		*err = e;
	else
		xs_rich_error_release(e);
	return NULL;
}

xs_rich_error_t *xs_listener_activate(xs_listener_t *l)
{
	int ret;

	pthread_mutex_lock(&l->lock);
	if (l->state != XS_L_INACTIVE) {
		pthread_mutex_unlock(&l->lock);
		return xs_misuse("activate on a listener that is not inactive");
	}
	l->src.fd = l->fd;
	l->src.queue = l->queue;
	l->src.drain = xs_listener_drain;
	xs_listener_retain(l);	/* held while active: dropped by the drain */
	ret = xs_source_add(&l->src);
	if (ret) {
		pthread_mutex_unlock(&l->lock);
		xs_listener_release(l);
		return xs_error_from_errno(-ret, "watching the listener");
	}
	l->state = XS_L_ACTIVE;
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/*
 * Frees the name at once and fails the requests not yet accepted; the
 * drain sees the listener cancelled and lets go of it.
 */
void xs_listener_cancel(xs_listener_t *l)
{
	struct xs_cancel c = { .size = sizeof(c) };

	pthread_mutex_lock(&l->lock);
	if (l->state != XS_L_CANCELED) {
		l->state = XS_L_CANCELED;
		ioctl(l->fd, XS_IOC_CANCEL, &c);
	}
	pthread_mutex_unlock(&l->lock);
}

char *xs_listener_copy_description(xs_listener_t *l)
{
	static const char *const states[] = { "inactive", "active",
					      "canceled" };
	char *d;

	if (asprintf(&d, "<xs_listener %s: %s, fd %d, queue %s>", l->name,
		     states[l->state], l->fd,
		     xs_queue_get_label(l->queue)) < 0)
		return NULL;
	return d;
}

xs_session_t *xs_session_request_accept(xs_session_request_t *req)
{
	if (req->decision == XS_REQ_REJECTED) {
		xs_rich_error_release(xs_misuse("accept after reject"));
		return NULL;
	}
	req->decision = XS_REQ_ACCEPTED;
	return req->session;
}

xs_rich_error_t *xs_session_request_reject(xs_session_request_t *req,
					   const char *reason)
{
	if (req->decision != XS_REQ_UNDECIDED)
		return xs_misuse("reject after the request was decided");
	req->decision = XS_REQ_REJECTED;
	xs_session_drop_peer(req->session, reason, true);
	return NULL;
}

xs_rich_error_t *
xs_session_request_copy_peer_credentials(xs_session_request_t *req,
					 struct xs_peer_credentials *out)
{
	return xs_creds_read(xs_session_fd(req->session), out);
}
