// SPDX-License-Identifier: GPL-2.0
/*
 * conformance_test: one XS_TEST per operation of XPCSession (the seed,
 * shared/spec/seed-xpcsession.txt), named after it so that
 * Documentation/api-map.rst can cite "lib_api/conformance_test: <name>",
 * then the rest of the session API: listeners, session requests,
 * received messages, rich errors, XS_ABORT_ON_MISUSE and event loops.
 *
 * The service is an in-process listener (xla_util.c) unless a test needs
 * another process (peer credentials, an interrupted peer, an abort).
 * Runs as root in the test VM with the module loaded.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xla_util.h"

/* ---- helpers ---------------------------------------------------------- */

/* The values of the events of @what, in order; returns how many. */
static int values_of(char what, int64_t *out, int max)
{
	int i, n = 0;

	xla_lock();
	for (i = 0; i < xla_nev && n < max; i++)
		if (xla_evs[i].what == what)
			out[n++] = xla_evs[i].value;
	xla_unlock();
	return n;
}

/* The @nth (0-based) event of @what (a copy), asserting it exists. */
static struct xla_ev ev_of(char what, int nth)
{
	struct xla_ev ev;
	int i, n = 0;

	xla_lock();
	for (i = 0; i < xla_nev; i++) {
		if (xla_evs[i].what == what && n++ == nth) {
			ev = xla_evs[i];
			xla_unlock();
			return ev;
		}
	}
	xla_unlock();
	XS_FAIL("no event %c #%d", what, nth);
}

/* Waits for @n events of @what; asserts. */
#define WAIT_EVS(what, n)						\
	XS_ASSERT_TRUE(XLA_WAIT(xla_count_locked(what) >= (n), XLA_WAIT_MS))

/* Asserts that after XLA_QUIET_MS there are still exactly @n of @what. */
#define QUIET_EVS(what, n)						\
	do {								\
		usleep(XLA_QUIET_MS * 1000);				\
		XS_ASSERT_EQ(xla_count(what), (n));			\
	} while (0)

static bool contains(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle)) {
		xs_diag("\"%s\" does not contain \"%s\"", hay ? hay : "(null)",
			needle);
		return false;
	}
	return true;
}

/* The session's description contains @a and @b. */
static void assert_desc(xs_session_t *s, const char *a, const char *b)
{
	char *d = xs_session_copy_description(s);

	XS_ASSERT_TRUE(d);
	XS_EXPECT_TRUE(contains(d, a));
	if (b)
		XS_EXPECT_TRUE(contains(d, b));
	free(d);
}

/* Asks the server to send @n messages back (requests if @req); asserts. */
static void push(xs_session_t *s, int n, bool req, int64_t seq, bool bad)
{
	xs_object_t *m = xla_req("push", seq), *reply;
	xs_rich_error_t *e = NULL;

	xs_dictionary_set_int64(m, "n", n);
	xs_dictionary_set_bool(m, "req", req);
	xs_dictionary_set_bool(m, "bad", bad);
	reply = xs_session_send_message_with_reply_sync(s, m, &e);
	xs_release(m);
	if (!reply)
		XS_FAIL("push: %s", e ? xs_rich_error_get_description(e) : "?");
	xs_release(reply);
}

static xs_session_t *create(bool xpc, const char *name, xs_queue_t *q,
			    uint32_t flags, xs_rich_error_t **e)
{
	return xpc ? xs_session_create_xpc_service(name, q, flags, e) :
		     xs_session_create_mach_service(name, q, flags, e);
}

static xs_session_t *create_with(bool xpc, const char *name, xs_queue_t *q,
				 uint32_t flags, xs_message_handler_t m,
				 xs_cancel_handler_t c, xs_rich_error_t **e)
{
	return xpc ? xs_session_create_xpc_service_with_handlers(name, q, flags,
								 m, c, NULL, e) :
		     xs_session_create_mach_service_with_handlers(name, q, flags,
								  m, c, NULL, e);
}

/* Decodable (codable) incoming handler: 'M' with the seq; 'T' on bad text. */
static xs_object_t *on_ping(void *msg, void *ctx)
{
	struct xla_ping *p = msg;
	xs_object_t *r;

	(void)ctx;
	xla_record('M', NULL, p->seq);
	if (strcmp(p->text, "pushed") || strcmp(p->op, "note"))
		xla_record('T', NULL, p->seq);
	r = xs_dictionary_create();
	xs_dictionary_set_int64(r, "seq", p->seq + 1);
	return r;
}

/* Dictionary incoming handler. */
static xs_object_t *on_dict(xs_object_t *d, void *ctx)
{
	int64_t seq = xs_dictionary_get_int64(d, "seq");
	xs_object_t *r;

	(void)ctx;
	xla_record('M', NULL, seq);
	r = xs_dictionary_create();
	xs_dictionary_set_int64(r, "seq", seq + 1);
	return r;
}

enum form { F_DECODABLE, F_RECEIVED, F_DICTIONARY, F_NONE };

/*
 * One init(...) form: create the session the way the seed's initializer
 * does (target queue, options .none, the handler form, a cancellation
 * handler), then check it is active and every handler it has runs, on
 * its queue: a round trip, two one-way messages and a request from the
 * server (whose reply is the handler's return value), the cancel.
 */
static void check_init(bool xpc, enum form f, const char *name)
{
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_rich_error_t *e = NULL;
	xs_session_t *s = NULL;
	int64_t v[8];

	XS_ASSERT_TRUE(q);
	xla_server_start(name, 0);
	xla_expect_q = q;
	switch (f) {
	case F_RECEIVED:
		s = create_with(xpc, name, q, XS_SESSION_CREATE_NONE,
				xla_on_message, xla_on_cancel, &e);
		break;
	case F_NONE:
		s = create_with(xpc, name, q, XS_SESSION_CREATE_NONE, NULL,
				xla_on_cancel, &e);
		break;
	case F_DECODABLE:
	case F_DICTIONARY:
		s = create(xpc, name, q, XS_SESSION_CREATE_INACTIVE, &e);
		XS_ASSERT_TRUE(s);
		if (f == F_DECODABLE)
			XLA_ASSERT_NO_ERROR(xs_session_set_incoming_codable_handler(
				s, &xla_ping_codable, on_ping, NULL));
		else
			XLA_ASSERT_NO_ERROR(xs_session_set_incoming_dictionary_handler(
				s, on_dict, NULL));
		XLA_ASSERT_NO_ERROR(xs_session_set_cancel_handler(s, xla_on_cancel,
								  NULL));
		e = xs_session_activate(s);
		break;
	}
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(s);
	assert_desc(s, name, "active");

	xla_echo_sync(s, 1);
	push(s, 2, false, 10, false);
	push(s, 1, true, 20, false);
	if (f == F_NONE) {
		/* Dropped, and the request answered with an error. */
		XS_ASSERT_TRUE(XLA_WAIT(xla_srv.push_errors == 1, XLA_WAIT_MS));
		XS_EXPECT_EQ(XLA_GET(xla_srv.push_error_kind), XS_ERROR_PEER);
		XS_EXPECT_EQ(XLA_GET(xla_srv.push_replies), 0);
		XS_EXPECT_EQ(xla_count('M'), 0);
	} else {
		WAIT_EVS('M', 3);
		XS_ASSERT_TRUE(XLA_WAIT(xla_srv.push_replies == 1, XLA_WAIT_MS));
		XS_ASSERT_EQ(values_of('M', v, 8), 3);
		XS_EXPECT_EQ(v[0], 10);
		XS_EXPECT_EQ(v[1], 11);
		XS_EXPECT_EQ(v[2], 20);
		/* The handler's return value became the reply. */
		XS_EXPECT_EQ(XLA_GET(xla_srv.push_reply_seq_sum), 21);
		XS_EXPECT_EQ(XLA_GET(xla_srv.push_errors), 0);
		XS_EXPECT_EQ(xla_count('T'), 0);
	}

	xla_cancel_wait(s, NULL);
	XS_EXPECT_EQ(ev_of('C', 0).kind, XS_ERROR_CANCELED);
	QUIET_EVS('C', 1);
	XS_EXPECT_EQ(xla_off_queue('M'), 0);
	XS_EXPECT_EQ(xla_off_queue('C'), 0);
	XS_EXPECT_EQ(xla_last('C'), xla_nev - 1);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

/* ---- Creating a session ------------------------------------------------ */

/* init<Message>(xpcService:targetQueue:options:incomingMessageHandler:cancellationHandler:) */
XS_TEST(init_xpcService_decodable_handler)
{
	XLA_NAME(name);

	check_init(true, F_DECODABLE, name);
}

/* init(xpcService:...incomingMessageHandler: (XPCReceivedMessage) -> Encodable?...) */
XS_TEST(init_xpcService_received_message_handler)
{
	XLA_NAME(name);

	check_init(true, F_RECEIVED, name);
}

/* init(xpcService:...incomingMessageHandler: (XPCDictionary) -> XPCDictionary?...) */
XS_TEST(init_xpcService_dictionary_handler)
{
	XLA_NAME(name);

	check_init(true, F_DICTIONARY, name);
}

/* init(xpcService:targetQueue:options:cancellationHandler:) */
XS_TEST(init_xpcService_no_handler)
{
	XLA_NAME(name);

	check_init(true, F_NONE, name);
}

/* init<Message>(machService:targetQueue:options:incomingMessageHandler:cancellationHandler:) */
XS_TEST(init_machService_decodable_handler)
{
	XLA_NAME(name);

	check_init(false, F_DECODABLE, name);
}

XS_TEST(init_machService_received_message_handler)
{
	XLA_NAME(name);

	check_init(false, F_RECEIVED, name);
}

XS_TEST(init_machService_dictionary_handler)
{
	XLA_NAME(name);

	check_init(false, F_DICTIONARY, name);
}

/* init(machService:targetQueue:options:cancellationHandler:) */
XS_TEST(init_machService_no_handler)
{
	XLA_NAME(name);

	check_init(false, F_NONE, name);
}

/* XPCSession.InitializationOptions .none: active at once. */
XS_TEST(InitializationOptions_none)
{
	XLA_NAME(name);
	xs_rich_error_t *e = NULL;
	xs_session_t *s;

	xla_server_start(name, 0);
	s = xs_session_create_mach_service(name, NULL, XS_SESSION_CREATE_NONE,
					   &e);
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(s);
	assert_desc(s, name, "active");
	xla_echo_sync(s, 1);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.requests == 1, XLA_WAIT_MS));
	/* Already active. */
	XLA_ASSERT_KIND(xs_session_activate(s), XS_ERROR_MISUSE);
	/* Unknown options are refused. */
	XS_ASSERT_EQ(xs_session_create_mach_service(name, NULL, 1u << 7, &e),
		     NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_MISUSE);
	xs_session_cancel(s, NULL);
	xs_session_release(s);
	xla_server_stop();
}

/* .inactive: nothing happens until activate(); sends are misuse. */
XS_TEST(InitializationOptions_inactive)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_rich_error_t *e = NULL;
	xs_object_t *m = xla_req("echo", 1);
	xs_session_t *s;

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xs_session_create_xpc_service(name, q, XS_SESSION_CREATE_INACTIVE,
					  &e);
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(s);
	assert_desc(s, name, "inactive");
	/* Not connected: the service sees nobody. */
	usleep(XLA_QUIET_MS * 1000);
	XS_EXPECT_EQ(XLA_GET(xla_srv.requests), 0);
	/* Every send is misuse before activate(). */
	XLA_ASSERT_KIND(xs_session_send_message(s, m), XS_ERROR_MISUSE);
	XS_ASSERT_EQ(xs_session_send_message_with_reply_sync(s, m, &e), NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_MISUSE);
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	WAIT_EVS('R', 1);
	XS_EXPECT_EQ(ev_of('R', 0).kind, XS_ERROR_MISUSE);
	XS_ASSERT_EQ(xs_session_copy_peer_pidfd(s) < 0, true);

	XLA_ASSERT_NO_ERROR(xs_session_set_cancel_handler(s, xla_on_cancel,
							  NULL));
	XLA_ASSERT_NO_ERROR(xs_session_activate(s));
	assert_desc(s, name, "active");
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.requests == 1, XLA_WAIT_MS));
	xla_echo_sync(s, 2);
	xla_cancel_wait(s, NULL);
	xs_release(m);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

static void reject_all(xs_listener_t *l, xs_session_request_t *req, void *ctx)
{
	(void)l;
	(void)ctx;
	xs_rich_error_release(xs_session_request_reject(req, "user domain"));
}

/*
 * .privileged: looks only in the system domain, so it finds a listener
 * root registered there (XS_LISTENER_CREATE_SYSTEM) and not one in the
 * user domain; PRIVILEGED is for Mach services only.
 */
XS_TEST(InitializationOptions_privileged)
{
	XLA_NAME(sys_name);
	XLA_NAME(user_name);
	xs_rich_error_t *e = NULL;
	xs_listener_t *ul;
	xs_session_t *s;

	xla_server_start(sys_name, XS_LISTENER_CREATE_SYSTEM);
	ul = xs_listener_create(user_name, NULL, XS_LISTENER_CREATE_NONE,
				reject_all, NULL, &e);
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(ul);

	s = xs_session_create_mach_service(sys_name, NULL,
					   XS_SESSION_CREATE_PRIVILEGED, &e);
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(s);
	xla_echo_sync(s, 1);
	xs_session_cancel(s, NULL);
	xs_session_release(s);

	/* Not in the system domain: not found, not a fallback. */
	s = xs_session_create_mach_service(user_name, NULL,
					   XS_SESSION_CREATE_PRIVILEGED, &e);
	XS_ASSERT_EQ(s, NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_NOT_FOUND);
	/* ... while a plain connect finds it. */
	s = xs_session_create_mach_service(user_name, NULL,
					   XS_SESSION_CREATE_NONE, &e);
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(s);
	xs_session_cancel(s, NULL);
	xs_session_release(s);

	/* A plain connect also falls back to the system domain. */
	s = xs_session_create_mach_service(sys_name, NULL, 0, &e);
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(s);
	xla_echo_sync(s, 2);
	xs_session_cancel(s, NULL);
	xs_session_release(s);

	/* XPC services cannot be privileged. */
	s = xs_session_create_xpc_service(sys_name, NULL,
					  XS_SESSION_CREATE_PRIVILEGED, &e);
	XS_ASSERT_EQ(s, NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_MISUSE);
	s = xs_session_create_xpc_service_with_handlers(sys_name, NULL,
						       XS_SESSION_CREATE_PRIVILEGED,
						       xla_on_message,
						       xla_on_cancel, NULL, &e);
	XS_ASSERT_EQ(s, NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_MISUSE);

	xs_listener_cancel(ul);
	xs_listener_release(ul);
	xla_server_stop();
}

/* setTargetQueue(_:): inactive only; every handler runs on that queue. */
XS_TEST(setTargetQueue)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.target");
	xs_queue_t *other = xs_queue_create("xla.other");
	xs_rich_error_t *e = NULL;
	xs_object_t *m;
	xs_session_t *s;

	xla_server_start(name, 0);
	xla_expect_q = q;
	/* Created on another queue, retargeted before activation. */
	s = xs_session_create_mach_service(name, other,
					   XS_SESSION_CREATE_INACTIVE, &e);
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(s);
	XLA_ASSERT_NO_ERROR(xs_session_set_target_queue(s, NULL));
	XLA_ASSERT_NO_ERROR(xs_session_set_target_queue(s, q));
	assert_desc(s, "xla.target", NULL);
	XLA_ASSERT_NO_ERROR(xs_session_set_incoming_message_handler(
		s, xla_on_message, NULL));
	XLA_ASSERT_NO_ERROR(xs_session_set_cancel_handler(s, xla_on_cancel,
							  NULL));
	XLA_ASSERT_NO_ERROR(xs_session_activate(s));
	/* Active: the queue can no longer change. */
	XLA_ASSERT_KIND(xs_session_set_target_queue(s, other), XS_ERROR_MISUSE);

	m = xla_req("echo", 1);
	xs_session_send_with_reply_async(s, m, xla_on_reply, NULL);
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	xs_release(m);
	push(s, 3, false, 10, false);
	push(s, 1, true, 20, false);
	WAIT_EVS('R', 2);
	WAIT_EVS('M', 4);
	xla_cancel_wait(s, NULL);
	XS_EXPECT_EQ(xla_off_queue('R'), 0);
	XS_EXPECT_EQ(xla_off_queue('M'), 0);
	XS_EXPECT_EQ(xla_off_queue('C'), 0);
	XS_EXPECT_EQ(xla_count('X'), 0);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
	xs_queue_release(other);
}

/* ---- Managing the life cycle ---------------------------------------------- */

static pthread_t main_thread;
static volatile bool in_create;

/* 'I': value 1 when it ran inside the create call, on its thread. */
static void cancel_where(xs_rich_error_t *err, void *ctx)
{
	(void)ctx;
	xla_record('I', err, in_create &&
		   pthread_equal(pthread_self(), main_thread));
}

/*
 * activate(): inactive -> active; twice is misuse; a failed activation
 * (no such service) cancels the session and returns NOT_FOUND.
 */
XS_TEST(activate)
{
	XLA_NAME(name);
	XLA_NAME(missing);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_rich_error_t *e = NULL;
	xs_object_t *m = xla_req("echo", 1);
	xs_session_t *s;
	struct xla_ev ev;

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xs_session_create_mach_service(name, q, XS_SESSION_CREATE_INACTIVE,
					   &e);
	XS_ASSERT_TRUE(s);
	XLA_ASSERT_NO_ERROR(xs_session_activate(s));
	xla_echo_sync(s, 1);
	XLA_ASSERT_KIND(xs_session_activate(s), XS_ERROR_MISUSE);
	xla_echo_sync(s, 2);	/* the misuse changed nothing */
	xs_session_cancel(s, NULL);
	XLA_ASSERT_KIND(xs_session_activate(s), XS_ERROR_MISUSE);
	xs_session_release(s);

	/* No such service: NOT_FOUND, and the session is cancelled. */
	s = xs_session_create_mach_service(missing, q,
					   XS_SESSION_CREATE_INACTIVE, &e);
	XS_ASSERT_TRUE(s);
	XLA_ASSERT_NO_ERROR(xs_session_set_cancel_handler(s, xla_on_cancel,
							  NULL));
	e = xs_session_activate(s);
	XS_ASSERT_TRUE(e);
	XS_EXPECT_EQ(xs_rich_error_get_kind(e), XS_ERROR_NOT_FOUND);
	XS_EXPECT_FALSE(xs_rich_error_can_retry(e));
	xs_rich_error_release(e);
	assert_desc(s, missing, "canceled");
	/* The cancel handler runs once, on the queue, with that error. */
	WAIT_EVS('C', 1);
	ev = ev_of('C', 0);
	XS_EXPECT_EQ(ev.kind, XS_ERROR_NOT_FOUND);
	XS_EXPECT_TRUE(ev.on_queue);
	/* Cancelled, not inactive: another activate is misuse. */
	XLA_ASSERT_KIND(xs_session_activate(s), XS_ERROR_MISUSE);
	XLA_ASSERT_KIND(xs_session_send_message(s, m), XS_ERROR_CANCELED);
	xs_session_cancel(s, NULL);
	QUIET_EVS('C', 1);
	xs_session_release(s);

	/* The active form: NULL and the error. */
	s = xs_session_create_mach_service(missing, NULL,
					   XS_SESSION_CREATE_NONE, &e);
	XS_ASSERT_EQ(s, NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_NOT_FOUND);
	/*
	 * Without a target queue the session's handlers run on its private
	 * queue, never inside the call that failed, on the caller's stack.
	 */
	xla_expect_q = NULL;
	main_thread = pthread_self();
	in_create = true;
	s = xs_session_create_mach_service_with_handlers(missing, NULL, 0,
							 xla_on_message,
							 cancel_where, NULL, &e);
	in_create = false;
	XS_ASSERT_EQ(s, NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_NOT_FOUND);
	WAIT_EVS('I', 1);
	XS_EXPECT_EQ(ev_of('I', 0).value, 0);
	XS_EXPECT_EQ(ev_of('I', 0).kind, XS_ERROR_NOT_FOUND);
	xla_expect_q = q;
	s = xs_session_create_xpc_service_with_handlers(missing, q, 0,
						       xla_on_message,
						       xla_on_cancel, NULL, &e);
	XS_ASSERT_EQ(s, NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_NOT_FOUND);
	WAIT_EVS('C', 2);
	XS_EXPECT_EQ(ev_of('C', 1).kind, XS_ERROR_NOT_FOUND);
	QUIET_EVS('C', 2);
	XS_EXPECT_EQ(xla_off_queue('C'), 0);
	xs_release(m);
	xla_server_stop();
	xs_queue_release(q);
}

/* A received-message handler that returns NULL for seq 99. */
static xs_object_t *on_message_99(xs_received_message_t *msg, void *ctx)
{
	xs_object_t *d = xs_received_message_get_dictionary(msg);

	if (xs_dictionary_get_int64(d, "seq") == 99) {
		xla_record('N', NULL, 99);
		return NULL;
	}
	return xla_on_message(msg, ctx);
}

static xs_object_t *on_message_never(xs_received_message_t *msg, void *ctx)
{
	(void)msg;
	(void)ctx;
	xla_record('W', NULL, 0);
	return NULL;
}

/* setIncomingMessageHandler<Message>(_:) -- the Decodable form. */
XS_TEST(setIncomingMessageHandler_decodable)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_rich_error_t *e = NULL;
	xs_session_t *s;
	int64_t v[4];

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xs_session_create_mach_service(name, q, XS_SESSION_CREATE_INACTIVE,
					   &e);
	XS_ASSERT_TRUE(s);
	XLA_ASSERT_KIND(xs_session_set_incoming_codable_handler(s, NULL, on_ping,
								 NULL),
			XS_ERROR_MISUSE);
	/* A later call replaces an earlier one. */
	XLA_ASSERT_NO_ERROR(xs_session_set_incoming_message_handler(
		s, on_message_never, NULL));
	XLA_ASSERT_NO_ERROR(xs_session_set_incoming_codable_handler(
		s, &xla_ping_codable, on_ping, NULL));
	XLA_ASSERT_NO_ERROR(xs_session_activate(s));
	XLA_ASSERT_KIND(xs_session_set_incoming_codable_handler(
				s, &xla_ping_codable, on_ping, NULL),
			XS_ERROR_MISUSE);

	push(s, 1, false, 5, false);
	push(s, 1, true, 6, false);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.push_replies == 1, XLA_WAIT_MS));
	/* The non-null return value became the reply. */
	XS_EXPECT_EQ(XLA_GET(xla_srv.push_reply_seq_sum), 7);
	/* Undecodable: the handler is not called; a request gets an error. */
	push(s, 1, false, 0, true);
	push(s, 1, true, 0, true);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.push_errors == 1, XLA_WAIT_MS));
	XS_EXPECT_EQ(XLA_GET(xla_srv.push_error_kind), XS_ERROR_PEER);
	XS_ASSERT_EQ(values_of('M', v, 4), 2);
	XS_EXPECT_EQ(v[0], 5);
	XS_EXPECT_EQ(v[1], 6);
	XS_EXPECT_EQ(xla_count('T'), 0);
	XS_EXPECT_EQ(xla_count('W'), 0);
	XS_EXPECT_EQ(xla_off_queue('M'), 0);
	xs_session_cancel(s, NULL);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

/* setIncomingMessageHandler(_:) -- the XPCReceivedMessage form. */
XS_TEST(setIncomingMessageHandler_received_message)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_rich_error_t *e = NULL;
	xs_session_t *s;

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xs_session_create_mach_service(name, q, XS_SESSION_CREATE_INACTIVE,
					   &e);
	XS_ASSERT_TRUE(s);
	XLA_ASSERT_NO_ERROR(xs_session_set_incoming_dictionary_handler(
		s, on_dict, NULL));
	XLA_ASSERT_NO_ERROR(xs_session_set_incoming_message_handler(
		s, on_message_99, NULL));
	XLA_ASSERT_NO_ERROR(xs_session_activate(s));
	XLA_ASSERT_KIND(xs_session_set_incoming_message_handler(s, on_message_99,
								 NULL),
			XS_ERROR_MISUSE);
	push(s, 1, true, 41, false);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.push_replies == 1, XLA_WAIT_MS));
	XS_EXPECT_EQ(XLA_GET(xla_srv.push_reply_seq_sum), 42);
	/* NULL from the handler: the requester gets an error reply. */
	push(s, 1, true, 99, false);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.push_errors == 1, XLA_WAIT_MS));
	XS_EXPECT_EQ(XLA_GET(xla_srv.push_error_kind), XS_ERROR_PEER);
	XS_EXPECT_EQ(xla_count('N'), 1);
	XS_EXPECT_EQ(xla_count('M'), 1);
	XS_EXPECT_EQ(xla_off_queue('M'), 0);
	xs_session_cancel(s, NULL);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

/* setIncomingMessageHandler(_:) -- the XPCDictionary form. */
XS_TEST(setIncomingMessageHandler_dictionary)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_rich_error_t *e = NULL;
	xs_session_t *s;
	int64_t v[4];

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xs_session_create_xpc_service(name, q, XS_SESSION_CREATE_INACTIVE,
					  &e);
	XS_ASSERT_TRUE(s);
	XLA_ASSERT_NO_ERROR(xs_session_set_incoming_message_handler(
		s, on_message_never, NULL));
	XLA_ASSERT_NO_ERROR(xs_session_set_incoming_dictionary_handler(
		s, on_dict, NULL));
	XLA_ASSERT_NO_ERROR(xs_session_activate(s));
	XLA_ASSERT_KIND(xs_session_set_incoming_dictionary_handler(s, on_dict,
								    NULL),
			XS_ERROR_MISUSE);
	push(s, 1, false, 7, false);
	push(s, 1, true, 8, false);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.push_replies == 1, XLA_WAIT_MS));
	XS_EXPECT_EQ(XLA_GET(xla_srv.push_reply_seq_sum), 9);
	XS_ASSERT_EQ(values_of('M', v, 4), 2);
	XS_EXPECT_EQ(v[0], 7);
	XS_EXPECT_EQ(v[1], 8);
	XS_EXPECT_EQ(xla_count('W'), 0);
	XS_EXPECT_EQ(xla_off_queue('M'), 0);
	xs_session_cancel(s, NULL);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

/*
 * cancel(reason:): the peer's cancel handler gets INVALIDATED with the
 * reason in its description, the local one CANCELED; sends fail after.
 */
XS_TEST(cancel_reason)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_object_t *m = xla_req("echo", 1);
	xs_session_t *s;
	struct xla_ev ev;

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xla_connect(name, q);
	xla_echo_sync(s, 1);
	xla_cancel_wait(s, "client says bye");
	ev = ev_of('C', 0);
	XS_EXPECT_EQ(ev.kind, XS_ERROR_CANCELED);
	XS_EXPECT_FALSE(ev.can_retry);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.ended == 1, XLA_WAIT_MS));
	XS_EXPECT_EQ(XLA_GET(xla_srv.end_kind), XS_ERROR_INVALIDATED);
	xla_lock();
	XS_EXPECT_TRUE(contains(xla_srv.end_desc, "client says bye"));
	xla_unlock();
	XLA_ASSERT_KIND(xs_session_send_message(s, m), XS_ERROR_CANCELED);
	XS_ASSERT_EQ(xs_session_send_message_with_reply_sync(s, m, NULL), NULL);
	xs_session_cancel(s, "again");	/* harmless */
	QUIET_EVS('C', 1);
	xs_session_release(s);

	/* The other way: the service cancels with a reason. */
	s = xla_connect(name, q);
	xs_release(m);
	m = xla_req("cancel_me", 0);
	xs_dictionary_set_string(m, "reason", "server says bye");
	XLA_ASSERT_NO_ERROR(xs_session_send_message(s, m));
	WAIT_EVS('C', 2);
	ev = ev_of('C', 1);
	XS_EXPECT_EQ(ev.kind, XS_ERROR_INVALIDATED);
	XS_EXPECT_TRUE(contains(ev.desc, "server says bye"));
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.ended == 2, XLA_WAIT_MS));
	XS_EXPECT_EQ(XLA_GET(xla_srv.end_kind), XS_ERROR_CANCELED);
	XS_EXPECT_EQ(xla_off_queue('C'), 0);
	xs_release(m);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

static void other_cancel(xs_rich_error_t *err, void *ctx)
{
	(void)ctx;
	xla_record('O', err, 0);
}

/*
 * setCancellationHandler(_:): runs exactly once, last, after every
 * pending reply handler -- on a local cancel and on the peer's.
 */
XS_TEST(setCancellationHandler)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_rich_error_t *e = NULL;
	xs_object_t *m;
	xs_session_t *s;
	int i, c;

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xs_session_create_mach_service(name, q, XS_SESSION_CREATE_INACTIVE,
					   &e);
	XS_ASSERT_TRUE(s);
	XLA_ASSERT_NO_ERROR(xs_session_set_cancel_handler(s, other_cancel, NULL));
	XLA_ASSERT_NO_ERROR(xs_session_set_cancel_handler(s, xla_on_cancel,
							  NULL));
	XLA_ASSERT_NO_ERROR(xs_session_activate(s));
	XLA_ASSERT_KIND(xs_session_set_cancel_handler(s, other_cancel, NULL),
			XS_ERROR_MISUSE);

	/* Five requests the server keeps unanswered, then a local cancel. */
	m = xla_req("hold", 1);
	for (i = 0; i < 5; i++)
		xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply,
							 NULL);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.nheld == 5, XLA_WAIT_MS));
	xs_session_cancel(s, NULL);
	WAIT_EVS('C', 1);
	QUIET_EVS('C', 1);
	XS_ASSERT_EQ(xla_count('R'), 5);
	for (i = 0; i < 5; i++)
		XS_EXPECT_EQ(ev_of('R', i).kind, XS_ERROR_CANCELED);
	XS_EXPECT_LT(xla_last('R'), xla_first('C'));
	XS_EXPECT_EQ(xla_count('O'), 0);
	xs_session_release(s);

	/* Three more on a new session, then the peer cancels it. */
	s = xla_connect(name, q);
	for (i = 0; i < 3; i++)
		xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply,
							 NULL);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.nheld == 8, XLA_WAIT_MS));
	xs_release(m);
	m = xla_req("cancel_me", 0);
	XLA_ASSERT_NO_ERROR(xs_session_send_message(s, m));
	WAIT_EVS('C', 2);
	QUIET_EVS('C', 2);
	XS_ASSERT_EQ(xla_count('R'), 8);
	c = xla_last('C');
	for (i = 5; i < 8; i++)
		XS_EXPECT_EQ(ev_of('R', i).kind, XS_ERROR_INVALIDATED);
	XS_EXPECT_LT(xla_last('R'), c);
	XS_EXPECT_EQ(ev_of('C', 1).kind, XS_ERROR_INVALIDATED);
	XS_EXPECT_EQ(xla_off_queue('R'), 0);
	XS_EXPECT_EQ(xla_off_queue('C'), 0);
	XS_EXPECT_EQ(xla_count('X'), 0);
	xs_release(m);
	xs_session_release(s);
	xla_server_release_held();
	xla_server_stop();
	xs_queue_release(q);
}

/* ---- Sending messages ---------------------------------------------------- */

struct bad_msg {
	char *s;
};

static const struct xs_field bad_fields[] = {
	XS_FIELD_STRING_PTR(struct bad_msg, s, "s"),
};
static const struct xs_codable bad_codable = XS_CODABLE(struct bad_msg,
							bad_fields);

/* A reply codable the echo reply cannot satisfy. */
struct want_more {
	int64_t seq;
	int64_t missing;
};

static const struct xs_field want_more_fields[] = {
	XS_FIELD_INT64(struct want_more, seq, "seq"),
	XS_FIELD_INT64(struct want_more, missing, "missing"),
};
static const struct xs_codable want_more_codable =
	XS_CODABLE(struct want_more, want_more_fields);

static struct xla_ping ping_of(const char *op, int64_t seq)
{
	struct xla_ping p;

	memset(&p, 0, sizeof(p));
	snprintf(p.op, sizeof(p.op), "%s", op);
	snprintf(p.text, sizeof(p.text), "hello %lld", (long long)seq);
	p.seq = seq;
	return p;
}

/* send<Message>(_:): an Encodable one-way message. */
XS_TEST(send_encodable)
{
	XLA_NAME(name);
	struct bad_msg bad = { NULL };
	struct xla_ping p;
	xs_rich_error_t *e = NULL;
	xs_session_t *s;
	int i;

	xla_server_start(name, 0);
	s = xla_connect(name, NULL);
	for (i = 1; i <= 3; i++) {
		p = ping_of("order", i);
		XLA_ASSERT_NO_ERROR(xs_session_send_codable(s, &xla_ping_codable,
							    &p));
	}
	xla_echo_sync(s, 100);	/* FIFO: the one-ways were handled first */
	XS_EXPECT_EQ(XLA_GET(xla_srv.oneways), 3);
	XS_EXPECT_EQ(XLA_GET(xla_srv.order_errors), 0);
	/* Not encodable: a codec error, nothing sent. */
	XLA_ASSERT_KIND(xs_session_send_codable(s, &bad_codable, &bad),
			XS_ERROR_CODEC);
	xla_echo_sync(s, 200);
	XS_EXPECT_EQ(XLA_GET(xla_srv.oneways), 3);
	xs_session_cancel(s, NULL);
	p = ping_of("order", 4);
	XLA_ASSERT_KIND(xs_session_send_codable(s, &xla_ping_codable, &p),
			XS_ERROR_CANCELED);
	xs_session_release(s);

	s = xs_session_create_mach_service(name, NULL,
					   XS_SESSION_CREATE_INACTIVE, &e);
	XS_ASSERT_TRUE(s);
	XLA_ASSERT_KIND(xs_session_send_codable(s, &xla_ping_codable, &p),
			XS_ERROR_MISUSE);
	xs_session_release(s);
	xla_server_stop();
}

static void on_reply_pong(xs_received_message_t *reply, xs_rich_error_t *err,
			  void *ctx)
{
	struct xla_pong pong;
	xs_rich_error_t *e;

	(void)ctx;
	if (err) {
		xla_record('R', err, -1);
		return;
	}
	xs_codable_init(&xla_pong_codable, &pong);
	e = xs_received_message_decode(reply, &xla_pong_codable, &pong);
	if (e || strncmp(pong.text, "hello ", 6))
		xla_record('T', e, 0);
	xla_record('R', e, pong.seq);
	xs_rich_error_release(e);
	xs_codable_free(&xla_pong_codable, &pong);
}

/*
 * send<Message>(_:replyHandler:) with Result<XPCReceivedMessage, ...>:
 * libxsession has no codable form of it; a program encodes the struct
 * (xs_codable_encode) and calls xs_session_send_with_reply_async.
 */
XS_TEST(send_encodable_replyHandler_received_message)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	struct xla_ping p = ping_of("echo", 10);
	xs_object_t *d;
	xs_session_t *s;

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xla_connect(name, q);
	d = xs_codable_encode(&xla_ping_codable, &p);
	XS_ASSERT_TRUE(d);
	xs_session_send_with_reply_async(s, d, on_reply_pong, NULL);
	xs_release(d);
	p = ping_of("null", 20);
	d = xs_codable_encode(&xla_ping_codable, &p);
	xs_session_send_with_reply_async(s, d, on_reply_pong, NULL);
	xs_release(d);
	WAIT_EVS('R', 2);
	XS_EXPECT_EQ(ev_of('R', 0).kind, 0);
	XS_EXPECT_EQ(ev_of('R', 0).value, 11);
	XS_EXPECT_EQ(ev_of('R', 1).kind, XS_ERROR_PEER);
	XS_EXPECT_EQ(xla_count('T'), 0);
	XS_EXPECT_EQ(xla_off_queue('R'), 0);
	xla_cancel_wait(s, NULL);
	QUIET_EVS('R', 2);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

static void on_pong(void *reply, xs_rich_error_t *err, void *ctx)
{
	struct xla_pong *pong = reply;

	(void)ctx;
	if (!reply == !err)
		xla_record('X', err, 0);
	if (pong && strncmp(pong->text, "hello ", 6))
		xla_record('T', NULL, 0);
	xla_record('R', err, pong ? pong->seq : -1);
}

/* send<Message, Reply>(_:replyHandler:) with Result<Reply, Error>. */
XS_TEST(send_encodable_replyHandler_decodable_reply)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	struct xla_ping p = ping_of("echo", 30);
	struct bad_msg bad = { NULL };
	xs_session_t *s;

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xla_connect(name, q);
	xs_session_send_codable_with_reply_async(s, &xla_ping_codable, &p,
						 &xla_pong_codable, on_pong,
						 NULL);
	/* The reply does not decode as the Reply type. */
	xs_session_send_codable_with_reply_async(s, &xla_ping_codable, &p,
						 &want_more_codable, on_pong,
						 NULL);
	/* The message does not encode. */
	xs_session_send_codable_with_reply_async(s, &bad_codable, &bad,
						 &xla_pong_codable, on_pong,
						 NULL);
	WAIT_EVS('R', 3);
	/* The encode failure may come first: it never left the process. */
	{
		int ok = 0, codec = 0, i;

		for (i = 0; i < 3; i++) {
			struct xla_ev ev = ev_of('R', i);

			if (!ev.kind && ev.value == 31)
				ok++;
			else if (ev.kind == XS_ERROR_CODEC)
				codec++;
			else
				xs_diag("unexpected reply: kind %d value %lld",
					ev.kind, (long long)ev.value);
		}
		XS_EXPECT_EQ(ok, 1);
		XS_EXPECT_EQ(codec, 2);
	}
	p = ping_of("null", 40);
	xs_session_send_codable_with_reply_async(s, &xla_ping_codable, &p,
						 &xla_pong_codable, on_pong,
						 NULL);
	WAIT_EVS('R', 4);
	XS_EXPECT_EQ(ev_of('R', 3).kind, XS_ERROR_PEER);
	XS_EXPECT_EQ(xla_count('T'), 0);
	XS_EXPECT_EQ(xla_count('X'), 0);
	XS_EXPECT_EQ(xla_off_queue('R'), 0);
	xla_cancel_wait(s, NULL);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

/* send(message:): a dictionary, one-way. */
XS_TEST(send_message_dictionary)
{
	XLA_NAME(name);
	xs_object_t *m, *notdict = xs_int64_create(1);
	xs_session_t *s;
	int i;

	xla_server_start(name, 0);
	s = xla_connect(name, NULL);
	for (i = 1; i <= 5; i++) {
		m = xla_req("order", i);
		XLA_ASSERT_NO_ERROR(xs_session_send_message(s, m));
		xs_release(m);
	}
	xla_echo_sync(s, 100);
	XS_EXPECT_EQ(XLA_GET(xla_srv.oneways), 5);
	XS_EXPECT_EQ(XLA_GET(xla_srv.order_errors), 0);
	/* A message must be a dictionary. */
	XLA_ASSERT_KIND(xs_session_send_message(s, notdict), XS_ERROR_MISUSE);
	XLA_ASSERT_KIND(xs_session_send_message(s, NULL), XS_ERROR_MISUSE);
	xs_session_cancel(s, NULL);
	m = xla_req("order", 6);
	XLA_ASSERT_KIND(xs_session_send_message(s, m), XS_ERROR_CANCELED);
	xs_release(m);
	xs_release(notdict);
	xs_session_release(s);
	xla_server_stop();
}

/*
 * send(message:replyHandler:): the handler runs once, on the queue, with
 * the reply or an error (a cancelled or never activated session).
 */
XS_TEST(send_message_replyHandler)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_rich_error_t *e = NULL;
	xs_object_t *m = xla_req("echo", 50);
	xs_session_t *s;

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xla_connect(name, q);
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	WAIT_EVS('R', 1);
	XS_EXPECT_EQ(ev_of('R', 0).kind, 0);
	XS_EXPECT_EQ(ev_of('R', 0).value, 51);
	/*
	 * A reply that is not a dictionary (the service replied with no
	 * payload): the handler still gets exactly one of reply and error.
	 */
	xs_release(m);
	m = xla_req("reply_null", 1);
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	WAIT_EVS('R', 2);
	XS_EXPECT_EQ(xla_count('X'), 0);
	XS_EXPECT_NE(ev_of('R', 1).kind, 0);
	/* The synchronous form says the same about the same reply. */
	XS_EXPECT_EQ(xs_session_send_message_with_reply_sync(s, m, &e), NULL);
	XLA_ASSERT_KIND(e, ev_of('R', 1).kind);
	xs_release(m);
	m = xla_req("echo", 50);
	/* No message at all is misuse, not an empty request. */
	xs_session_send_message_with_reply_async(s, NULL, xla_on_dict_reply,
						 NULL);
	WAIT_EVS('R', 3);
	XS_EXPECT_EQ(ev_of('R', 2).kind, XS_ERROR_MISUSE);
	XS_EXPECT_EQ(XLA_GET(xla_srv.msgs), 3);	/* nothing sent */
	xla_cancel_wait(s, NULL);
	/* On a cancelled session: an error, asynchronously, on the queue. */
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	WAIT_EVS('R', 4);
	XS_EXPECT_EQ(ev_of('R', 3).kind, XS_ERROR_CANCELED);
	xs_session_release(s);

	s = xs_session_create_mach_service(name, q, XS_SESSION_CREATE_INACTIVE,
					   &e);
	XS_ASSERT_TRUE(s);
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	WAIT_EVS('R', 5);
	XS_EXPECT_EQ(ev_of('R', 4).kind, XS_ERROR_MISUSE);
	QUIET_EVS('R', 5);
	XS_EXPECT_EQ(xla_off_queue('R'), 0);
	XS_EXPECT_EQ(xla_count('X'), 0);
	xs_release(m);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

/* The three sync forms, run on @s's own queue: each must be refused. */
struct own_queue_try {
	xs_session_t *s;
	int kinds[3];
	bool returned_null[3];
};

static void try_sync_on_queue(void *arg)
{
	struct own_queue_try *t = arg;
	struct xla_ping p = ping_of("echo", 1);
	struct xla_pong pong;
	xs_object_t *m = xla_req("echo", 1), *d;
	xs_received_message_t *r;
	xs_rich_error_t *e = NULL;

	d = xs_session_send_message_with_reply_sync(t->s, m, &e);
	t->returned_null[0] = !d;
	t->kinds[0] = xla_kind(e);
	xs_rich_error_release(e);
	xs_release(d);
	e = NULL;
	r = xs_session_send_with_reply_sync(t->s, m, &e);
	t->returned_null[1] = !r;
	t->kinds[1] = xla_kind(e);
	xs_rich_error_release(e);
	xs_received_message_release(r);
	xs_codable_init(&xla_pong_codable, &pong);
	e = xs_session_send_codable_with_reply_sync(t->s, &xla_ping_codable, &p,
						    &xla_pong_codable, &pong);
	t->returned_null[2] = true;
	t->kinds[2] = xla_kind(e);
	xs_rich_error_release(e);
	xs_release(m);
}

static void assert_refused_on_own_queue(xs_session_t *s, xs_queue_t *q)
{
	struct own_queue_try t = { .s = s };
	int i;

	XS_ASSERT_EQ(xs_queue_sync(q, try_sync_on_queue, &t), 0);
	for (i = 0; i < 3; i++) {
		XS_EXPECT_TRUE(t.returned_null[i]);
		XS_EXPECT_EQ(t.kinds[i], XS_ERROR_MISUSE);
	}
}

/* sendSync<Message>(_:) -> XPCReceivedMessage. */
XS_TEST(sendSync_received_message)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	struct xla_ping p = ping_of("echo", 60);
	struct xla_pong pong;
	xs_received_message_t *r;
	xs_rich_error_t *e = NULL;
	xs_object_t *d;
	xs_session_t *s;
	uint32_t status;

	xla_server_start(name, 0);
	s = xla_connect(name, q);
	d = xs_codable_encode(&xla_ping_codable, &p);
	r = xs_session_send_with_reply_sync(s, d, &e);
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(r);
	XS_EXPECT_FALSE(xs_received_message_is_error(r, &status));
	XS_EXPECT_FALSE(xs_received_message_expects_reply(r));
	XLA_ASSERT_NO_ERROR(xs_received_message_decode(r, &xla_pong_codable,
						       &pong));
	XS_EXPECT_EQ(pong.seq, 61);
	XS_EXPECT_STREQ(pong.text, "hello 60");
	/* The service saw a synchronous request. */
	XS_EXPECT_TRUE(xs_dictionary_get_bool(
		xs_received_message_get_dictionary(r), "sync"));
	xs_codable_free(&xla_pong_codable, &pong);
	xs_received_message_release(r);
	xs_release(d);

	p = ping_of("null", 70);
	d = xs_codable_encode(&xla_ping_codable, &p);
	XS_ASSERT_EQ(xs_session_send_with_reply_sync(s, d, &e), NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_PEER);
	xs_release(d);
	assert_refused_on_own_queue(s, q);
	xla_cancel_wait(s, NULL);
	d = xla_req("echo", 1);
	XS_ASSERT_EQ(xs_session_send_with_reply_sync(s, d, &e), NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_CANCELED);
	xs_release(d);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

/* sendSync<Message, Reply>(_:) -> Reply. */
XS_TEST(sendSync_decodable_reply)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	struct xla_ping p = ping_of("echo", 80);
	struct bad_msg bad = { NULL };
	struct want_more more;
	struct xla_pong pong;
	xs_session_t *s;

	xla_server_start(name, 0);
	s = xla_connect(name, q);
	xs_codable_init(&xla_pong_codable, &pong);
	XLA_ASSERT_NO_ERROR(xs_session_send_codable_with_reply_sync(
		s, &xla_ping_codable, &p, &xla_pong_codable, &pong));
	XS_EXPECT_EQ(pong.seq, 81);
	XS_EXPECT_STREQ(pong.text, "hello 80");
	xs_codable_free(&xla_pong_codable, &pong);
	/* The reply does not decode: a codec error. */
	xs_codable_init(&want_more_codable, &more);
	XLA_ASSERT_KIND(xs_session_send_codable_with_reply_sync(
				s, &xla_ping_codable, &p, &want_more_codable,
				&more),
			XS_ERROR_CODEC);
	/* The message does not encode. */
	XLA_ASSERT_KIND(xs_session_send_codable_with_reply_sync(
				s, &bad_codable, &bad, &xla_pong_codable, &pong),
			XS_ERROR_CODEC);
	p = ping_of("null", 90);
	XLA_ASSERT_KIND(xs_session_send_codable_with_reply_sync(
				s, &xla_ping_codable, &p, &xla_pong_codable,
				&pong),
			XS_ERROR_PEER);
	assert_refused_on_own_queue(s, q);
	xla_cancel_wait(s, NULL);
	XLA_ASSERT_KIND(xs_session_send_codable_with_reply_sync(
				s, &xla_ping_codable, &p, &xla_pong_codable,
				&pong),
			XS_ERROR_CANCELED);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

/* sendSync(message:) -> XPCDictionary. */
XS_TEST(sendSync_message_dictionary)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_rich_error_t *e = NULL;
	xs_object_t *m, *r;
	xs_session_t *s;

	xla_server_start(name, 0);
	s = xla_connect(name, q);
	m = xla_req("echo", 100);
	r = xs_session_send_message_with_reply_sync(s, m, &e);
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(r);
	XS_EXPECT_EQ(xs_dictionary_get_int64(r, "seq"), 101);
	XS_EXPECT_TRUE(xs_dictionary_get_bool(r, "sync"));
	XS_EXPECT_TRUE(xs_dictionary_get_bool(r, "expects"));
	xs_release(r);
	xs_release(m);
	m = xla_req("null", 1);
	XS_ASSERT_EQ(xs_session_send_message_with_reply_sync(s, m, &e), NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_PEER);
	/* No error pointer: still NULL, no crash. */
	XS_ASSERT_EQ(xs_session_send_message_with_reply_sync(s, m, NULL), NULL);
	xs_release(m);
	assert_refused_on_own_queue(s, q);
	xla_cancel_wait(s, NULL);
	m = xla_req("echo", 1);
	XS_ASSERT_EQ(xs_session_send_message_with_reply_sync(s, m, &e), NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_CANCELED);
	xs_session_release(s);

	s = xs_session_create_mach_service(name, q, XS_SESSION_CREATE_INACTIVE,
					   &e);
	XS_ASSERT_TRUE(s);
	XS_ASSERT_EQ(xs_session_send_message_with_reply_sync(s, m, &e), NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_MISUSE);
	xs_release(m);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

/* A handler that tries a synchronous send on its own session. */
static xs_session_t *sync_self;

static xs_object_t *sync_in_handler(xs_received_message_t *msg, void *ctx)
{
	xs_object_t *m = xla_req("echo", 1), *r;
	xs_rich_error_t *e = NULL;

	(void)msg;
	(void)ctx;
	r = xs_session_send_message_with_reply_sync(sync_self, m, &e);
	xla_record('S', e, r ? 1 : 0);
	xs_rich_error_release(e);
	xs_release(r);
	xs_release(m);
	return NULL;
}

/*
 * sendSync on the session's own target queue (a handler of the session,
 * or work run there) would deadlock: refused with a misuse error.
 */
XS_TEST(sendSync_refused_on_own_queue)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_session_t *s;

	xla_server_start(name, 0);
	s = xs_session_create_mach_service_with_handlers(name, q, 0,
							 sync_in_handler,
							 xla_on_cancel, NULL,
							 NULL);
	XS_ASSERT_TRUE(s);
	sync_self = s;
	push(s, 1, false, 1, false);
	WAIT_EVS('S', 1);
	XS_EXPECT_EQ(ev_of('S', 0).kind, XS_ERROR_MISUSE);
	XS_EXPECT_EQ(ev_of('S', 0).value, 0);
	assert_refused_on_own_queue(s, q);
	/* Elsewhere it works. */
	xla_echo_sync(s, 5);
	xla_cancel_wait(s, NULL);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

/* CustomDebugStringConvertible: the description names the session and state. */
XS_TEST(CustomDebugStringConvertible)
{
	XLA_NAME(name);
	XLA_NAME(missing);
	xs_rich_error_t *e = NULL;
	xs_session_t *s;
	char *d;

	xla_server_start(name, 0);
	s = xs_session_create_mach_service_with_handlers(name, NULL,
							 XS_SESSION_CREATE_INACTIVE,
							 xla_on_message,
							 xla_on_cancel, NULL, &e);
	XS_ASSERT_TRUE(s);
	assert_desc(s, name, "inactive");
	XLA_ASSERT_NO_ERROR(xs_session_activate(s));
	assert_desc(s, name, "active");
	xla_cancel_wait(s, NULL);
	assert_desc(s, name, "canceled");
	xs_session_release(s);

	s = xs_session_create_mach_service(missing, NULL,
					   XS_SESSION_CREATE_INACTIVE, &e);
	XS_ASSERT_TRUE(s);
	e = xs_session_activate(s);
	XS_ASSERT_TRUE(e);
	xs_rich_error_release(e);
	assert_desc(s, missing, "canceled");
	xs_session_release(s);

	d = xs_listener_copy_description(xla_srv.l);
	XS_ASSERT_TRUE(d);
	XS_EXPECT_TRUE(contains(d, name));
	XS_EXPECT_TRUE(contains(d, "active"));
	free(d);
	xla_server_stop();
}

/* ---- listeners and session requests -------------------------------------- */

static void leave_undecided(xs_listener_t *l, xs_session_request_t *req, void *ctx)
{
	(void)l;
	(void)ctx;
	(void)req;
}

/*
 * Listener create (active or inactive), activate (twice: misuse), cancel
 * (the name is free at once; accepted sessions go on).
 */
XS_TEST(listener_create_activate_cancel)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_rich_error_t *e = NULL;
	xs_object_t *m = xla_req("echo", 1);
	xs_listener_t *l2;
	xs_session_t *s, *s2;
	char *d;

	XS_ASSERT_EQ(xs_listener_create(name, NULL, 0, NULL, NULL, &e), NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_MISUSE);
	XS_ASSERT_EQ(xs_listener_create(name, NULL, 1u << 9, leave_undecided, NULL,
					&e), NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_MISUSE);

	xla_server_start(name, XS_LISTENER_CREATE_INACTIVE);
	d = xs_listener_copy_description(xla_srv.l);
	XS_EXPECT_TRUE(contains(d, name));
	XS_EXPECT_TRUE(contains(d, "inactive"));
	free(d);
	/* The name is taken while the listener exists. */
	XS_ASSERT_EQ(xs_listener_create(name, NULL, 0, leave_undecided, NULL, &e),
		     NULL);
	XS_ASSERT_TRUE(e);
	XS_EXPECT_EQ(xs_rich_error_get_errno(e), EADDRINUSE);
	xs_rich_error_release(e);

	/* Inactive: a client may connect, but nobody handles it yet. */
	xla_expect_q = q;
	s = xla_connect(name, q);
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	QUIET_EVS('R', 0);
	XS_EXPECT_EQ(XLA_GET(xla_srv.requests), 0);
	XLA_ASSERT_NO_ERROR(xs_listener_activate(xla_srv.l));
	XLA_ASSERT_KIND(xs_listener_activate(xla_srv.l), XS_ERROR_MISUSE);
	WAIT_EVS('R', 1);
	XS_EXPECT_EQ(ev_of('R', 0).kind, 0);
	XS_EXPECT_EQ(ev_of('R', 0).value, 2);
	d = xs_listener_copy_description(xla_srv.l);
	XS_EXPECT_TRUE(contains(d, "active"));
	free(d);

	/* Cancel: no new sessions, the name is free, old sessions go on. */
	xs_listener_cancel(xla_srv.l);
	d = xs_listener_copy_description(xla_srv.l);
	XS_EXPECT_TRUE(contains(d, "canceled"));
	free(d);
	XS_ASSERT_EQ(xs_session_create_mach_service(name, NULL, 0, &e), NULL);
	XLA_ASSERT_KIND(e, XS_ERROR_NOT_FOUND);
	xla_echo_sync(s, 10);
	XLA_ASSERT_KIND(xs_listener_activate(xla_srv.l), XS_ERROR_MISUSE);
	xs_listener_cancel(xla_srv.l);	/* twice: harmless */
	l2 = xs_listener_create(name, NULL, XS_LISTENER_CREATE_NONE, leave_undecided,
				NULL, &e);
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(l2);
	/* The new listener leaves requests undecided: they are rejected. */
	s2 = xla_connect(name, q);
	WAIT_EVS('C', 1);
	XS_EXPECT_EQ(ev_of('C', 0).kind, XS_ERROR_REJECTED);
	xla_echo_sync(s, 20);
	xla_cancel_wait(s, NULL);
	xs_session_release(s2);
	xs_session_release(s);
	xs_listener_cancel(l2);
	xs_listener_release(l2);
	xs_release(m);
	xla_server_stop();
	xs_queue_release(q);
}

/* Accept: the session is configured in the handler, then activated. */
XS_TEST(session_request_accept)
{
	XLA_NAME(name);
	xs_session_t *s;

	xla_server_start(name, 0);
	s = xla_connect(name, NULL);
	xla_echo_sync(s, 1);
	XS_EXPECT_EQ(XLA_GET(xla_srv.requests), 1);
	XS_EXPECT_EQ(XLA_GET(xla_srv.accepted), 1);
	XS_EXPECT_FALSE(XLA_GET(xla_srv.handler_off_queue));
	xla_cancel_wait(s, NULL);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.ended == 1, XLA_WAIT_MS));
	xs_session_release(s);
	xla_server_stop();
}

/* Reject: the client's session ends REJECTED with the reason. */
XS_TEST(session_request_reject)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	struct xla_ev ev;
	xs_session_t *s;

	xla_srv.mode = XLA_SRV_REJECT;
	xla_srv.reject_reason = "go away";
	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xla_connect(name, q);
	WAIT_EVS('C', 1);
	ev = ev_of('C', 0);
	XS_EXPECT_EQ(ev.kind, XS_ERROR_REJECTED);
	XS_EXPECT_TRUE(contains(ev.desc, "go away"));
	XS_EXPECT_FALSE(ev.can_retry);
	XS_EXPECT_TRUE(ev.on_queue);
	XS_EXPECT_TRUE(XLA_GET(xla_srv.reject_misuse_ok));
	XS_EXPECT_TRUE(XLA_GET(xla_srv.accept_after_reject_null));
	QUIET_EVS('C', 1);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

/*
 * Accepted but left without a message handler: cancelled, not leaked;
 * the client's session ends INVALIDATED with the library's reason, and
 * the server's fd is closed.
 */
XS_TEST(session_request_unconfigured)
{
	XLA_NAME(name);
	xs_session_t *s;
	int fds;

	xla_srv.mode = XLA_SRV_UNCONFIGURED;
	xla_server_start(name, 0);
	fds = xla_count_fds();
	s = xla_connect(name, NULL);
	WAIT_EVS('C', 1);
	XS_EXPECT_EQ(ev_of('C', 0).kind, XS_ERROR_INVALIDATED);
	XS_EXPECT_TRUE(contains(ev_of('C', 0).desc, "handler"));
	xs_session_release(s);
	/* Both ends are gone: the fd count is back where it was. */
	XS_EXPECT_TRUE(XLA_WAIT(xla_count_fds() == fds, XLA_WAIT_MS));
	XS_EXPECT_EQ(xla_count_fds(), fds);
	xla_server_stop();
}

/* Neither accepted nor rejected: rejected when the handler returns. */
XS_TEST(session_request_undecided)
{
	XLA_NAME(name);
	xs_session_t *s;
	int fds;

	xla_srv.mode = XLA_SRV_UNDECIDED;
	xla_server_start(name, 0);
	fds = xla_count_fds();
	s = xla_connect(name, NULL);
	WAIT_EVS('C', 1);
	XS_EXPECT_EQ(ev_of('C', 0).kind, XS_ERROR_REJECTED);
	xs_session_release(s);
	XS_EXPECT_TRUE(XLA_WAIT(xla_count_fds() == fds, XLA_WAIT_MS));
	xla_server_stop();
}

static void wait_child(pid_t pid, int *status)
{
	struct timespec dl, now;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += XLA_WAIT_MS / 1000;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return;
		XS_ASSERT_EQ(r, 0);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > dl.tv_sec) {
			kill(pid, SIGKILL);
			XS_FAIL("child %d did not exit", (int)pid);
		}
		usleep(10000);
	}
}

/*
 * The request carries the client's credentials (pid, uid, gid of a
 * client running as uid 1000), and the client sees the server's.
 */
XS_TEST(session_request_peer_credentials)
{
	XLA_NAME(name);
	struct xs_peer_credentials pc;
	int go[2], status;
	struct pollfd pfd;
	pid_t child;
	char c;

	XS_ASSERT_OK(pipe(go));
	child = fork();
	XS_ASSERT_OK(child);
	if (child == 0) {
		xs_rich_error_t *e = NULL;
		xs_session_t *s;
		int pidfd;

		close(go[1]);
		pfd.fd = go[0];
		pfd.events = POLLIN;
		XS_ASSERT_EQ(poll(&pfd, 1, XLA_WAIT_MS), 1);
		XS_ASSERT_EQ(read(go[0], &c, 1), 1);
		XS_ASSERT_OK(setresgid(1000, 1000, 1000));
		XS_ASSERT_OK(setresuid(1000, 1000, 1000));
		s = xs_session_create_mach_service(name, NULL, 0, &e);
		if (!s)
			XS_FAIL("connect as uid 1000: %s",
				e ? xs_rich_error_get_description(e) : "?");
		xla_echo_sync(s, 1);
		XLA_ASSERT_NO_ERROR(xs_session_copy_peer_credentials(s, &pc));
		XS_EXPECT_EQ(pc.pid, getppid());
		XS_EXPECT_EQ(pc.uid, 0);
		XS_EXPECT_EQ(pc.gid, 0);
		XS_EXPECT_TRUE(pc.alive);
		pidfd = xs_session_copy_peer_pidfd(s);
		XS_EXPECT_GE(pidfd, 0);
		if (pidfd >= 0)
			close(pidfd);
		xs_session_cancel(s, NULL);
		xs_session_release(s);
		_exit(0);
	}
	close(go[0]);
	/* A uid-1000 client finds root's names only in the system domain. */
	xla_server_start(name, XS_LISTENER_CREATE_SYSTEM);
	XS_ASSERT_EQ(write(go[1], "g", 1), 1);
	wait_child(child, &status);
	XS_ASSERT_TRUE(WIFEXITED(status));
	XS_EXPECT_EQ(WEXITSTATUS(status), 0);
	xla_lock();
	pc = xla_srv.creds;
	xla_unlock();
	XS_EXPECT_EQ(XLA_GET(xla_srv.requests), 1);
	XS_EXPECT_EQ(XLA_GET(xla_srv.creds_err), 0);
	XS_EXPECT_EQ(pc.pid, child);
	XS_EXPECT_EQ(pc.uid, 1000);
	XS_EXPECT_EQ(pc.gid, 1000);
	XS_EXPECT_TRUE(pc.alive);	/* it was connecting, so alive then */
	xla_server_stop();
}

/* ---- received messages ----------------------------------------------------- */

static void *reply_from_thread(void *arg)
{
	return xla_server_reply_held((int)(intptr_t)arg, 71);
}

/*
 * XPCReceivedMessage: expectsReply, isSync, reply (once), handoffReply,
 * and the automatic error reply for a request nobody answers.
 */
XS_TEST(received_message_api)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create("xla.client");
	xs_received_message_t *r;
	xs_rich_error_t *e = NULL;
	xs_object_t *m, *d;
	xs_session_t *s;
	pthread_t t;
	void *ret;
	size_t len;

	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xla_connect(name, q);

	/* One-way: expects no reply, is not sync, cannot be replied to. */
	m = xla_req("inspect", 1);
	XLA_ASSERT_NO_ERROR(xs_session_send_message(s, m));
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.insp_n == 1, XLA_WAIT_MS));
	xla_lock();
	XS_EXPECT_FALSE(xla_srv.insp_expects);
	XS_EXPECT_FALSE(xla_srv.insp_sync);
	XS_EXPECT_EQ(xla_srv.insp_reply1, XS_ERROR_MISUSE);
	xla_unlock();
	/* Async request: expects a reply, not sync; a second reply is misuse. */
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.insp_n == 2, XLA_WAIT_MS));
	xla_lock();
	XS_EXPECT_TRUE(xla_srv.insp_expects);
	XS_EXPECT_FALSE(xla_srv.insp_sync);
	XS_EXPECT_EQ(xla_srv.insp_reply1, 0);
	XS_EXPECT_EQ(xla_srv.insp_reply2, XS_ERROR_MISUSE);
	xla_unlock();
	WAIT_EVS('R', 1);
	XS_EXPECT_EQ(ev_of('R', 0).kind, 0);
	XS_EXPECT_EQ(ev_of('R', 0).value, 2);
	/* Sync request: is_sync is true only here. */
	d = xs_session_send_message_with_reply_sync(s, m, &e);
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(d);
	XS_EXPECT_TRUE(xs_dictionary_get_bool(d, "sync"));
	xs_release(d);
	/* The server records what it saw after it replied: wait for it. */
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.insp_n == 3, XLA_WAIT_MS));
	xla_lock();
	XS_EXPECT_EQ(xla_srv.insp_n, 3);
	XS_EXPECT_TRUE(xla_srv.insp_expects);
	XS_EXPECT_TRUE(xla_srv.insp_sync);
	XS_EXPECT_EQ(xla_srv.insp_reply2, XS_ERROR_MISUSE);
	xla_unlock();
	xs_release(m);

	/* A reply as a received message: no reply expected, raw bytes. */
	m = xla_req("echo", 5);
	r = xs_session_send_with_reply_sync(s, m, &e);
	XLA_ASSERT_NO_ERROR(e);
	XS_ASSERT_TRUE(r);
	XS_EXPECT_FALSE(xs_received_message_expects_reply(r));
	XS_EXPECT_FALSE(xs_received_message_is_sync(r));
	XS_EXPECT_FALSE(xs_received_message_is_error(r, NULL));
	XS_EXPECT_TRUE(xs_received_message_get_bytes(r, &len) != NULL);
	XS_EXPECT_GT(len, 0);
	XS_EXPECT_EQ(xs_dictionary_get_int64(xs_received_message_get_dictionary(r),
					     "seq"), 6);
	XLA_ASSERT_KIND(xs_received_message_reply(r, m), XS_ERROR_MISUSE);
	XS_EXPECT_TRUE(xs_received_message_retain(r) == r);
	xs_received_message_release(r);
	xs_received_message_release(r);
	xs_release(m);

	/* Handoff: the reply comes later, from this thread ... */
	m = xla_req("hold", 6);
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.nheld == 1, XLA_WAIT_MS));
	QUIET_EVS('R', 1);	/* no automatic reply after a handoff */
	XLA_ASSERT_NO_ERROR(xla_server_reply_held(0, 70));
	WAIT_EVS('R', 2);
	XS_EXPECT_EQ(ev_of('R', 1).kind, 0);
	XS_EXPECT_EQ(ev_of('R', 1).value, 70);
	/* ... or from another thread ... */
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.nheld == 2, XLA_WAIT_MS));
	XS_ASSERT_EQ(pthread_create(&t, NULL, reply_from_thread,
				    (void *)(intptr_t)1), 0);
	XS_ASSERT_EQ(pthread_join(t, &ret), 0);
	XLA_ASSERT_NO_ERROR((xs_rich_error_t *)ret);
	WAIT_EVS('R', 3);
	XS_EXPECT_EQ(ev_of('R', 2).kind, 0);
	XS_EXPECT_EQ(ev_of('R', 2).value, 71);
	/* ... and a handed-off request released unanswered gets an error. */
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.nheld == 3, XLA_WAIT_MS));
	xla_server_release_held();
	WAIT_EVS('R', 4);
	XS_EXPECT_EQ(ev_of('R', 3).kind, XS_ERROR_PEER);
	xs_release(m);

	/* A request whose handler returns NULL without replying. */
	m = xla_req("null", 7);
	XS_ASSERT_EQ(xs_session_send_message_with_reply_sync(s, m, &e), NULL);
	XS_ASSERT_TRUE(e);
	XS_EXPECT_EQ(xs_rich_error_get_kind(e), XS_ERROR_PEER);
	XS_EXPECT_FALSE(xs_rich_error_can_retry(e));
	xs_rich_error_release(e);
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	WAIT_EVS('R', 5);
	XS_EXPECT_EQ(ev_of('R', 4).kind, XS_ERROR_PEER);
	xs_release(m);
	XS_EXPECT_EQ(xla_off_queue('R'), 0);
	XS_EXPECT_EQ(xla_count('X'), 0);
	xla_cancel_wait(s, NULL);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(q);
}

/* ---- rich errors ------------------------------------------------------------ */

static void check_error_text(const struct xla_ev *ev, const char *kind_name)
{
	XS_EXPECT_TRUE(ev->desc[0] != '\0');
	XS_EXPECT_STREQ(xs_error_kind_name(ev->kind), kind_name);
}

/*
 * XPCRichError: each way a session can end or a call can fail has its
 * kind and a description; can_retry is true only for an interrupted peer.
 */
XS_TEST(rich_errors)
{
	XLA_NAME(dead);
	XLA_NAME(name);
	XLA_NAME(missing);
	xs_rich_error_t *e = NULL;
	xs_session_t *s1, *s2, *s3, *s4;
	xs_object_t *m;
	struct xla_pong pong;
	struct want_more more;
	struct xla_ping p = ping_of("echo", 1);
	struct xla_ev ev;
	char *d;
	pid_t pid;
	int i;

	pid = xla_fork_server(dead, 0, XLA_SRV_ACCEPT, NULL);
	xla_server_start(name, 0);

	/* INTERRUPTED: the service's process dies. */
	s1 = xla_connect(dead, NULL);
	xla_echo_sync(s1, 1);
	XS_ASSERT_OK(kill(pid, SIGKILL));
	XS_ASSERT_EQ(waitpid(pid, NULL, 0), pid);
	WAIT_EVS('C', 1);
	ev = ev_of('C', 0);
	XS_EXPECT_EQ(ev.kind, XS_ERROR_INTERRUPTED);
	XS_EXPECT_TRUE(ev.can_retry);
	check_error_text(&ev, "interrupted");

	/* CANCELED: this side cancelled. */
	s2 = xla_connect(name, NULL);
	xla_cancel_wait(s2, NULL);
	ev = ev_of('C', 1);
	XS_EXPECT_EQ(ev.kind, XS_ERROR_CANCELED);
	XS_EXPECT_FALSE(ev.can_retry);
	check_error_text(&ev, "canceled");

	/* INVALIDATED: the peer cancelled, with a reason. */
	s4 = xla_connect(name, NULL);
	m = xla_req("cancel_me", 0);
	xs_dictionary_set_string(m, "reason", "maintenance");
	XLA_ASSERT_NO_ERROR(xs_session_send_message(s4, m));
	xs_release(m);
	WAIT_EVS('C', 3);
	ev = ev_of('C', 2);
	XS_EXPECT_EQ(ev.kind, XS_ERROR_INVALIDATED);
	XS_EXPECT_FALSE(ev.can_retry);
	XS_EXPECT_TRUE(contains(ev.desc, "maintenance"));
	check_error_text(&ev, "invalidated");

	/* REJECTED, with the listener's reason. */
	xla_lock();
	xla_srv.mode = XLA_SRV_REJECT;
	xla_srv.reject_reason = "not today";
	xla_unlock();
	s3 = xla_connect(name, NULL);
	WAIT_EVS('C', 4);
	ev = ev_of('C', 3);
	XS_EXPECT_EQ(ev.kind, XS_ERROR_REJECTED);
	XS_EXPECT_FALSE(ev.can_retry);
	XS_EXPECT_TRUE(contains(ev.desc, "not today"));
	check_error_text(&ev, "rejected");
	xla_lock();
	xla_srv.mode = XLA_SRV_ACCEPT;
	xla_unlock();

	/* NOT_FOUND. */
	XS_ASSERT_EQ(xs_session_create_mach_service(missing, NULL, 0, &e), NULL);
	XS_ASSERT_TRUE(e);
	XS_EXPECT_EQ(xs_rich_error_get_kind(e), XS_ERROR_NOT_FOUND);
	XS_EXPECT_FALSE(xs_rich_error_can_retry(e));
	XS_EXPECT_EQ(xs_rich_error_get_errno(e), ENOENT);
	d = xs_rich_error_copy_description(e);
	XS_EXPECT_TRUE(contains(d, xs_error_kind_name(XS_ERROR_NOT_FOUND)));
	free(d);
	XS_EXPECT_TRUE(xs_rich_error_retain(e) == e);
	xs_rich_error_release(e);
	xs_rich_error_release(e);

	/* PEER, CODEC, MISUSE, CANCELED from calls. */
	xs_session_release(s2);
	s2 = xla_connect(name, NULL);
	m = xla_req("null", 1);
	XS_ASSERT_EQ(xs_session_send_message_with_reply_sync(s2, m, &e), NULL);
	XS_ASSERT_TRUE(e);
	XS_EXPECT_EQ(xs_rich_error_get_kind(e), XS_ERROR_PEER);
	XS_EXPECT_FALSE(xs_rich_error_can_retry(e));
	xs_rich_error_release(e);
	xs_release(m);
	xs_codable_init(&want_more_codable, &more);
	e = xs_session_send_codable_with_reply_sync(s2, &xla_ping_codable, &p,
						    &want_more_codable, &more);
	XS_ASSERT_TRUE(e);
	XS_EXPECT_EQ(xs_rich_error_get_kind(e), XS_ERROR_CODEC);
	XS_EXPECT_FALSE(xs_rich_error_can_retry(e));
	XS_EXPECT_TRUE(contains(xs_rich_error_get_description(e), "missing"));
	xs_rich_error_release(e);
	e = xs_session_activate(s2);
	XS_ASSERT_TRUE(e);
	XS_EXPECT_EQ(xs_rich_error_get_kind(e), XS_ERROR_MISUSE);
	XS_EXPECT_FALSE(xs_rich_error_can_retry(e));
	xs_rich_error_release(e);
	xs_session_cancel(s2, NULL);
	xs_codable_init(&xla_pong_codable, &pong);
	e = xs_session_send_codable_with_reply_sync(s2, &xla_ping_codable, &p,
						    &xla_pong_codable, &pong);
	XS_ASSERT_TRUE(e);
	XS_EXPECT_EQ(xs_rich_error_get_kind(e), XS_ERROR_CANCELED);
	XS_EXPECT_FALSE(xs_rich_error_can_retry(e));
	xs_rich_error_release(e);

	/* Every kind has a distinct name; unknown ones say so. */
	for (i = XS_ERROR_CANCELED; i <= XS_ERROR_SYSTEM; i++) {
		XS_EXPECT_TRUE(strcmp(xs_error_kind_name(i), "unknown") != 0);
		if (i > XS_ERROR_CANCELED)
			XS_EXPECT_TRUE(strcmp(xs_error_kind_name(i),
					      xs_error_kind_name(i - 1)) != 0);
	}
	XS_EXPECT_STREQ(xs_error_kind_name(0), "unknown");
	XS_EXPECT_STREQ(xs_error_kind_name(XS_ERROR_SYSTEM + 1), "unknown");

	WAIT_EVS('C', 5);
	QUIET_EVS('C', 5);
	xs_session_release(s1);
	xs_session_release(s2);
	xs_session_release(s3);
	xs_session_release(s4);
	xla_server_stop();
}

/* ---- XS_ABORT_ON_MISUSE ------------------------------------------------------ */

/* In a fresh child: misuse with @env set; returns the wait status. */
static int misuse_child(const char *env, int how)
{
	int status;
	pid_t pid;

	pid = fork();
	XS_ASSERT_OK(pid);
	if (pid == 0) {
		struct rlimit nocore = { 0, 0 };
		xs_rich_error_t *e = NULL;
		xs_object_t *m;
		xs_session_t *s;

		setrlimit(RLIMIT_CORE, &nocore);
		if (env)
			setenv("XS_ABORT_ON_MISUSE", env, 1);
		else
			unsetenv("XS_ABORT_ON_MISUSE");
		if (how == 0) {
			/* Send on a session that was never activated. */
			s = xs_session_create_mach_service("org.test.libapi.misuse",
							   NULL,
							   XS_SESSION_CREATE_INACTIVE,
							   &e);
			if (!s)
				_exit(3);
			m = xs_dictionary_create();
			e = xs_session_send_message(s, m);
		} else {
			/* Unknown creation flags. */
			s = xs_session_create_mach_service("org.test.libapi.misuse",
							   NULL, 1u << 12, &e);
		}
		_exit(xla_kind(e) == XS_ERROR_MISUSE ? 0 : 2);
	}
	wait_child(pid, &status);
	return status;
}

/* XS_ABORT_ON_MISUSE=1 turns misuse into abort(); unset or 0 does not. */
XS_TEST(abort_on_misuse)
{
	int how, st;

	for (how = 0; how < 2; how++) {
		st = misuse_child("1", how);
		XS_EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
		st = misuse_child("0", how);
		XS_EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		st = misuse_child(NULL, how);
		XS_EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

/* ---- event-loop queues ------------------------------------------------------- */

/* Poll and dispatch @q on this thread until @what reaches @n; asserts. */
static void loop_until(xs_queue_t *q, char what, int n)
{
	struct pollfd pfd = { .fd = xs_queue_get_fd(q), .events = POLLIN };
	struct timespec dl, now;

	xla_deadline(&dl, XLA_WAIT_MS);
	while (xla_count(what) < n) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > dl.tv_sec ||
		    (now.tv_sec == dl.tv_sec && now.tv_nsec > dl.tv_nsec))
			XS_FAIL("event loop: %d of %d '%c' events", xla_count(what),
				n, what);
		if (poll(&pfd, 1, 50) == 1)
			XS_ASSERT_GE(xs_queue_dispatch(q), 0);
	}
}

/*
 * An event-loop queue as target: the session's handlers run inside
 * xs_queue_dispatch() on the polling thread, and nowhere else.
 */
XS_TEST(event_loop_queue)
{
	XLA_NAME(name);
	xs_queue_t *q = xs_queue_create_event_loop("xla.loop");
	xs_queue_t *wq = xs_queue_create("xla.worker");
	pthread_t me = pthread_self();
	xs_rich_error_t *e = NULL;
	struct pollfd pfd;
	xs_object_t *m;
	xs_session_t *s;
	int i;

	XS_ASSERT_TRUE(q);
	XS_ASSERT_GE(xs_queue_get_fd(q), 0);
	XS_ASSERT_EQ(xs_queue_get_fd(wq), -EINVAL);
	XS_ASSERT_EQ(xs_queue_dispatch(wq), -EINVAL);
	xla_server_start(name, 0);
	xla_expect_q = q;
	s = xs_session_create_mach_service(name, q, XS_SESSION_CREATE_INACTIVE,
					   &e);
	XS_ASSERT_TRUE(s);
	XLA_ASSERT_NO_ERROR(xs_session_set_incoming_message_handler(
		s, xla_on_message, NULL));
	XLA_ASSERT_NO_ERROR(xs_session_set_cancel_handler(s, xla_on_cancel,
							  NULL));
	XLA_ASSERT_NO_ERROR(xs_session_activate(s));

	m = xla_req("echo", 1);
	xs_session_send_message_with_reply_async(s, m, xla_on_dict_reply, NULL);
	xs_release(m);
	/* A sync send from the loop thread, outside dispatch, is fine. */
	push(s, 3, false, 10, false);
	push(s, 1, true, 20, false);
	/* Nothing runs until this thread dispatches ... */
	usleep(XLA_QUIET_MS * 1000);
	XS_EXPECT_EQ(xla_count('R') + xla_count('M'), 0);
	pfd.fd = xs_queue_get_fd(q);
	pfd.events = POLLIN;
	XS_EXPECT_EQ(poll(&pfd, 1, XLA_WAIT_MS), 1);
	XS_EXPECT_EQ(xla_count('R') + xla_count('M'), 0);
	/* ... and then everything runs here. */
	loop_until(q, 'R', 1);
	loop_until(q, 'M', 4);
	XS_ASSERT_TRUE(XLA_WAIT(xla_srv.push_replies == 1, XLA_WAIT_MS));
	XS_EXPECT_EQ(XLA_GET(xla_srv.push_reply_seq_sum), 21);
	xs_session_cancel(s, NULL);
	loop_until(q, 'C', 1);
	XS_EXPECT_EQ(ev_of('C', 0).kind, XS_ERROR_CANCELED);
	for (i = 0; i < xla_nev; i++) {
		XS_EXPECT_TRUE(pthread_equal(xla_evs[i].thread, me));
		XS_EXPECT_TRUE(xla_evs[i].on_queue);
	}
	XS_EXPECT_EQ(xla_count('R'), 1);
	XS_EXPECT_EQ(xla_count('M'), 4);
	xs_session_release(s);
	xla_server_stop();
	xs_queue_release(wq);
	xs_queue_release(q);
}
