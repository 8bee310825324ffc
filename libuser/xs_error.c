// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Rich errors: what went wrong with a session, in a form a program can act
 * on (a kind, whether retrying may help) and a person can read (a
 * description that carries the peer's cancel or reject reason).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/xsession.h>

#include "xs_private.h"
#include "xsession.h"

struct xs_rich_error {
	atomic_int refs;
	xs_error_kind_t kind;
	int err;		/* the errno behind it, or 0 */
	char *description;
};

static const char *const xs_kind_names[] = {
	[XS_ERROR_CANCELED] = "canceled",
	[XS_ERROR_INVALIDATED] = "invalidated",
	[XS_ERROR_INTERRUPTED] = "interrupted",
	[XS_ERROR_REJECTED] = "rejected",
	[XS_ERROR_REQUIREMENT] = "requirement not met",
	[XS_ERROR_TIMED_OUT] = "timed out",
	[XS_ERROR_NOT_FOUND] = "service not found",
	[XS_ERROR_PEER] = "error reply from the peer",
	[XS_ERROR_CODEC] = "message does not match its type",
	[XS_ERROR_MISUSE] = "API misuse",
	[XS_ERROR_SYSTEM] = "system error",
};

const char *xs_error_kind_name(xs_error_kind_t kind)
{
	if ((unsigned int)kind >= sizeof(xs_kind_names) / sizeof(xs_kind_names[0]) ||
	    !xs_kind_names[kind])
		return "unknown";
	return xs_kind_names[kind];
}

xs_rich_error_t *xs_error_new(xs_error_kind_t kind, int err, const char *fmt, ...)
{
	xs_rich_error_t *e;
	va_list ap;
	int n;

	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	atomic_init(&e->refs, 1);
	e->kind = kind;
	e->err = err;
	va_start(ap, fmt);
	n = vasprintf(&e->description, fmt, ap);
	va_end(ap);
	if (n < 0)
		e->description = NULL;
	return e;
}

/* The error an XS_MSG_END (or a kernel error reply) stands for. */
xs_rich_error_t *xs_error_from_end(uint32_t why, const char *reason, size_t len)
{
	int n = (int)(len > XS_REASON_MAX ? XS_REASON_MAX : len);

	switch (why) {
	case XS_END_CANCELED:
		return xs_error_new(XS_ERROR_CANCELED, ECANCELED,
				    "Session manually canceled");
	case XS_END_INTERRUPTED:
		return xs_error_new(XS_ERROR_INTERRUPTED, ECONNRESET,
				    "Peer process exited: connection interrupted");
	case XS_END_REJECTED:
		return xs_error_new(XS_ERROR_REJECTED, ECONNREFUSED,
				    "Peer rejected the session%s%.*s",
				    n ? ": " : "", n, reason ? reason : "");
	case XS_END_LISTENER_GONE:
		return xs_error_new(XS_ERROR_INVALIDATED, ECONNRESET,
				    "The service's listener went away%s%.*s",
				    n ? ": " : "", n, reason ? reason : "");
	case XS_END_INVALIDATED:
	default:
		if (n)
			return xs_error_new(XS_ERROR_INVALIDATED, ECONNRESET,
					    "Peer canceled the session: %.*s",
					    n, reason);
		return xs_error_new(XS_ERROR_INVALIDATED, ECONNRESET,
				    "Peer closed the session");
	}
}

/* The error a failed device call stands for. */
xs_rich_error_t *xs_error_from_errno(int err, const char *what)
{
	switch (err) {
	case ENOENT:
		return xs_error_new(XS_ERROR_NOT_FOUND, err,
				    "%s: no such service", what);
	case EPERM:
	case EACCES:
		return xs_error_new(XS_ERROR_REQUIREMENT, err,
				    "%s: not permitted", what);
	case ETIMEDOUT:
		return xs_error_new(XS_ERROR_TIMED_OUT, err, "%s: timed out",
				    what);
	case ESHUTDOWN:
		return xs_error_new(XS_ERROR_CANCELED, err,
				    "%s: the session has ended", what);
	default:
		return xs_error_new(XS_ERROR_SYSTEM, err, "%s: %s", what,
				    strerror(err));
	}
}

xs_rich_error_t *xs_rich_error_retain(xs_rich_error_t *e)
{
	if (e)
		atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
	return e;
}

void xs_rich_error_release(xs_rich_error_t *e)
{
	if (!e || atomic_fetch_sub_explicit(&e->refs, 1,
					    memory_order_acq_rel) != 1)
		return;
	free(e->description);
	free(e);
}

xs_error_kind_t xs_rich_error_get_kind(const xs_rich_error_t *e)
{
	return e->kind;
}

int xs_rich_error_get_errno(const xs_rich_error_t *e)
{
	return e->err;
}

/*
 * Only an interrupted peer (a process that died: a new session may reach
 * its restarted successor) and transient resource shortages are worth
 * trying again.
 */
bool xs_rich_error_can_retry(const xs_rich_error_t *e)
{
	if (e->kind == XS_ERROR_INTERRUPTED || e->kind == XS_ERROR_TIMED_OUT)
		return true;
	return e->kind == XS_ERROR_SYSTEM &&
	       (e->err == ENOMEM || e->err == EAGAIN || e->err == ENOBUFS);
}

char *xs_rich_error_copy_description(const xs_rich_error_t *e)
{
	char *s;

	if (asprintf(&s, "<xs_rich_error: %s%s%s>", xs_error_kind_name(e->kind),
		     e->description ? ": " : "",
		     e->description ? e->description : "") < 0)
		return NULL;
	return s;
}

const char *xs_rich_error_get_description(const xs_rich_error_t *e)
{
	return e->description ? e->description : xs_error_kind_name(e->kind);
}

/* API misuse: an error code, or abort() when XS_ABORT_ON_MISUSE is set. */
xs_rich_error_t *xs_misuse(const char *fmt, ...)
{
	const char *env = getenv("XS_ABORT_ON_MISUSE");
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (env && *env && strcmp(env, "0")) {
		fprintf(stderr, "libxsession: API misuse: %s\n", msg);
		abort();
	}
	return xs_error_new(XS_ERROR_MISUSE, EINVAL, "%s", msg);
}
