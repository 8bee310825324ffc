/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xla_util: helpers shared by the libxsession API selftests
 * (selftests/lib_api/), which drive the library the way a program does:
 *
 *   conformance_test  one XS_TEST per XPCSession operation of the seed
 *                     (named after it, for Documentation/api-map.rst),
 *                     plus listeners, session requests, received
 *                     messages, rich errors, misuse and event loops
 *   lifecycle_test    peer death under an async reply, cancel racing
 *                     sync sends from 8 threads, 1 000 sessions without
 *                     leaks, release without cancel, server pushes,
 *                     ordering of 1 000 one-way messages
 *
 * Each XS_TEST runs in its own forked process (the harness does that),
 * so the globals below belong to one test.  A test that needs a second
 * process forks it before it touches the library: libxsession's queues
 * and event thread do not survive fork().
 *
 * Every wait is bounded (XLA_WAIT_MS): a library or kernel bug fails a
 * test instead of hanging it.
 */
#ifndef _XLA_UTIL_H
#define _XLA_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/xsession.h>

#include "xs_test.h"
#include "../../libuser/xsession.h"

/* Bound of every wait for something that must happen (ms). */
#define XLA_WAIT_MS	10000
/* How long to watch for something that must not happen (ms). */
#define XLA_QUIET_MS	200

/* ---- names ---------------------------------------------------------- */

/* "org.test.libapi.<tag>.<pid>.<n>": unique per test and process. */
void xla_name_make(char *buf, size_t len, const char *tag);
#define XLA_NAME(var)							\
	char var[XS_NAME_MAX];						\
	xla_name_make(var, sizeof(var), __func__)

/* ---- one monitor for everything a test waits on ---------------------- */

extern pthread_mutex_t xla_mu;

void xla_lock(void);
void xla_unlock(void);
/* Wake every waiter; call with the lock held. */
void xla_broadcast(void);
/*
 * Wait (lock held) until woken, or 20 ms passed (so predicates nobody
 * signals, like an fd count, are polled too).  False once @deadline
 * (CLOCK_MONOTONIC) has passed.
 */
bool xla_wait_locked(const struct timespec *deadline);
void xla_deadline(struct timespec *ts, long ms);

/*
 * Waits until @expr (evaluated under the lock) is true, at most @ms
 * milliseconds; the value is the last evaluation of @expr (made after
 * the deadline too).
 */
#define XLA_WAIT(expr, ms)						\
	({								\
		struct timespec _xla_dl;				\
		bool _xla_ok;						\
		xla_deadline(&_xla_dl, (ms));				\
		xla_lock();						\
		for (;;) {						\
			if ((_xla_ok = !!(expr)))			\
				break;					\
			if (!xla_wait_locked(&_xla_dl)) {		\
				_xla_ok = !!(expr);			\
				break;					\
			}						\
		}							\
		xla_unlock();						\
		_xla_ok;						\
	})

/* @var += @n under the lock, and wake the waiters. */
#define XLA_ADD(var, n)							\
	do {								\
		xla_lock();						\
		(var) += (n);						\
		xla_broadcast();					\
		xla_unlock();						\
	} while (0)

/* Reads @var under the lock. */
#define XLA_GET(var)							\
	({								\
		__typeof__(var) _xla_v;					\
		xla_lock();						\
		_xla_v = (var);						\
		xla_unlock();						\
		_xla_v;							\
	})

/* ---- an event log: which handler ran, with what, where ---------------- */

struct xla_ev {
	char what;		/* 'R' reply, 'C' cancel, 'M' message, ... */
	int kind;		/* xs_error_kind_t, 0 without an error */
	bool can_retry;
	bool on_queue;		/* xs_queue_is_current(the queue checked) */
	pthread_t thread;
	int64_t value;
	char desc[200];		/* the error's description */
};

#define XLA_MAX_EVS	4096
extern struct xla_ev xla_evs[XLA_MAX_EVS];
extern int xla_nev;
/* The queue handlers are expected on (NULL: not checked). */
extern xs_queue_t *xla_expect_q;

/* Appends one event (takes the lock, wakes waiters). */
void xla_record(char what, const xs_rich_error_t *err, int64_t value);
/* How many events of @what (lock held). */
int xla_count_locked(char what);
int xla_count(char what);
/* The index of the first/last event of @what, or -1. */
int xla_first(char what);
int xla_last(char what);
/* Events of @what that ran off xla_expect_q (0 when all were on it). */
int xla_off_queue(char what);

/* ---- messages ----------------------------------------------------------- */

/* A dictionary {"op": @op, "seq": @seq}; asserts. */
xs_object_t *xla_req(const char *op, int64_t seq);

/* The codables the tests send: struct ping out, struct pong back. */
struct xla_ping {
	char op[16];
	int64_t seq;
	char text[32];
};

struct xla_pong {
	int64_t seq;		/* the ping's seq + 1 */
	char text[32];		/* the ping's text */
};

extern const struct xs_codable xla_ping_codable;
extern const struct xs_codable xla_pong_codable;

/* Kind of @e, 0 for NULL (for XS_ASSERT_EQ(xla_kind(e), XS_ERROR_...)). */
int xla_kind(const xs_rich_error_t *e);
/* Asserts @e is an error of @kind and releases it. */
#define XLA_ASSERT_KIND(e, kind)					\
	do {								\
		xs_rich_error_t *_xla_e = (e);				\
		if (_xla_e)						\
			xs_diag("error: %s (%s)",			\
				xs_rich_error_get_description(_xla_e),	\
				xs_error_kind_name(xs_rich_error_get_kind(_xla_e))); \
		XS_ASSERT_EQ(xla_kind(_xla_e), (int)(kind));		\
		xs_rich_error_release(_xla_e);				\
	} while (0)
/* Asserts @e is NULL (printing it otherwise). */
#define XLA_ASSERT_NO_ERROR(e)	XLA_ASSERT_KIND(e, 0)

/* ---- an in-process (or forked) server ------------------------------------ */

enum xla_srv_mode {
	XLA_SRV_ACCEPT,		/* accept, configure, activate */
	XLA_SRV_REJECT,		/* reject with xla_srv.reject_reason */
	XLA_SRV_UNCONFIGURED,	/* accept but set no handler */
	XLA_SRV_UNDECIDED,	/* neither accept nor reject */
};

#define XLA_MAX_HELD	64

/*
 * The server's state; its counters are read and written under xla_mu.
 * Its peer sessions run on the listener's queue.  Requests it handles,
 * by "op":
 *   echo     reply {"seq": seq + 1, "text": text, "sync": is_sync,
 *            "expects": expects_reply}; one-way: counted only
 *   null     return NULL (the library sends an error reply)
 *   hold     hand the request off and keep it in held[] (written to
 *            notify_fd if set); the test replies or releases it later
 *   sleep    usleep("ms") then echo
 *   inspect  reply twice (the second must be a misuse error) and record
 *            what the message says about itself
 *   push     send "n" messages {"op": "note", "seq": seq + i} back to
 *            the client, one-way or ("req": true) as requests whose
 *            replies (or errors) are recorded; "bad": true sends an
 *            undecodable {"op": "note", "seq": "x"} instead
 *   reply_null  reply with no payload (not a dictionary)
 *   reply_cancel  reply (echo), then cancel the peer session at once
 *   cancel_me  cancel the peer session with "reason"
 *   order    one-way: check "seq" follows the last one
 */
struct xla_server {
	char name[XS_NAME_MAX];
	xs_listener_t *l;
	xs_queue_t *q;			/* the listener's (and peers') queue */
	enum xla_srv_mode mode;
	const char *reject_reason;
	int notify_fd;			/* -1, or written to on each hold */
	unsigned int sleep_us;		/* every handler sleeps this long */
	unsigned int accept_delay_us;	/* the incoming-session handler too */

	int requests;			/* incoming-session handler calls */
	int accepted;
	int ended;			/* peer cancel handlers run */
	int end_kind;			/* of the last one */
	char end_desc[256];
	int msgs;			/* messages handled */
	int oneways;
	int64_t last_seq;		/* "echo" and "order" one-ways */
	int order_errors;		/* "order": seq out of order */
	int in_handler, max_in_handler;	/* concurrency of the handler */
	bool handler_off_queue;		/* a handler ran off xla_srv.q */
	struct xs_peer_credentials creds; /* of the last request */
	int creds_err;			/* xs_rich_error kind reading them */
	bool reject_misuse_ok;		/* second reject: misuse */
	bool accept_after_reject_null;

	/* "inspect" */
	int insp_n;
	bool insp_expects, insp_sync;
	int insp_reply1, insp_reply2;	/* error kinds (0 = none) */

	/* "push" replies */
	int push_replies, push_errors;
	int push_error_kind;
	int64_t push_reply_seq_sum;

	/* "hold" */
	xs_received_message_t *held[XLA_MAX_HELD];
	int nheld;
};

extern struct xla_server xla_srv;

/* Starts the listener as @name with @flags (XS_LISTENER_CREATE_*); asserts. */
void xla_server_start(const char *name, uint32_t flags);
/* Cancels and releases the listener (peer sessions go on). */
void xla_server_stop(void);
/* Replies {"seq": @seq} to held request @i from this thread; the error. */
xs_rich_error_t *xla_server_reply_held(int i, int64_t seq);
/* Releases every held request (each gets the library's error reply). */
void xla_server_release_held(void);

/*
 * Forks a process that runs xla_server_start(@name, @flags) with @mode
 * and @notify (1: write a byte to the returned pipe on each "hold"),
 * then sleeps until killed.  Call before this process touches the
 * library.  Returns the child's pid once its listener is up; *@notify_rd
 * gets the read end of the notification pipe (if @notify_rd).
 */
pid_t xla_fork_server(const char *name, uint32_t flags,
		      enum xla_srv_mode mode, int *notify_rd);
/* Waits (bounded) for one notification byte; asserts. */
void xla_wait_notify(int fd);

/* ---- a client ------------------------------------------------------------- */

/*
 * Handlers that record events: 'M' for each incoming message (value: its
 * "seq"), 'C' for the cancel handler, 'R' for each reply handler (value:
 * the reply's "seq", or -1).  Their return value for a request is
 * {"seq": seq + 1}.
 */
xs_object_t *xla_on_message(xs_received_message_t *msg, void *ctx);
void xla_on_cancel(xs_rich_error_t *err, void *ctx);
void xla_on_reply(xs_received_message_t *reply, xs_rich_error_t *err,
		  void *ctx);
void xla_on_dict_reply(xs_object_t *reply, xs_rich_error_t *err, void *ctx);

/* An active client session to @name with xla_on_message/xla_on_cancel. */
xs_session_t *xla_connect(const char *name, xs_queue_t *q);
/* A synchronous "echo" round trip; asserts the reply. */
void xla_echo_sync(xs_session_t *s, int64_t seq);
/* Cancel and wait (bounded) for the session's cancel handler ('C'). */
void xla_cancel_wait(xs_session_t *s, const char *reason);

/* ---- process state --------------------------------------------------------- */

int xla_count_fds(void);
int xla_count_threads(void);
/* Bytes malloc has handed out and not had back (all arenas). */
size_t xla_heap_used(void);

#endif /* _XLA_UTIL_H */
