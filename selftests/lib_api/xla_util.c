// SPDX-License-Identifier: GPL-2.0
/*
 * xla_util: helpers shared by the libxsession API selftests (see
 * xla_util.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "xla_util.h"

/* ---- names ---------------------------------------------------------- */

void xla_name_make(char *buf, size_t len, const char *tag)
{
	static int n;

	if (!strncmp(tag, "xs_fn_", 6))
		tag += 6;
	snprintf(buf, len, "org.test.libapi.%.48s.%d.%d", tag, (int)getpid(),
		 n++);
}

/* ---- the monitor ------------------------------------------------------- */

pthread_mutex_t xla_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t xla_cv;

static void __attribute__((constructor)) xla_init(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&xla_cv, &a);
	pthread_condattr_destroy(&a);
}

void xla_lock(void)
{
	pthread_mutex_lock(&xla_mu);
}

void xla_unlock(void)
{
	pthread_mutex_unlock(&xla_mu);
}

void xla_broadcast(void)
{
	pthread_cond_broadcast(&xla_cv);
}

void xla_deadline(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool xla_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

bool xla_wait_locked(const struct timespec *deadline)
{
	struct timespec now, slice;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!xla_before(&now, deadline))
		return false;
	xla_deadline(&slice, 20);
	pthread_cond_timedwait(&xla_cv, &xla_mu,
			       xla_before(&slice, deadline) ? &slice : deadline);
	return true;
}

/* ---- the event log -------------------------------------------------------- */

struct xla_ev xla_evs[XLA_MAX_EVS];
int xla_nev;
xs_queue_t *xla_expect_q;

void xla_record(char what, const xs_rich_error_t *err, int64_t value)
{
	bool on_q = xla_expect_q ? xs_queue_is_current(xla_expect_q) : true;
	struct xla_ev *ev;

	xla_lock();
	if (xla_nev < XLA_MAX_EVS) {
		ev = &xla_evs[xla_nev++];
		ev->what = what;
		ev->kind = err ? (int)xs_rich_error_get_kind(err) : 0;
		ev->can_retry = err ? xs_rich_error_can_retry(err) : false;
		ev->on_queue = on_q;
		ev->thread = pthread_self();
		ev->value = value;
		snprintf(ev->desc, sizeof(ev->desc), "%s",
			 err ? xs_rich_error_get_description(err) : "");
	}
	xla_broadcast();
	xla_unlock();
}

int xla_count_locked(char what)
{
	int i, n = 0;

	for (i = 0; i < xla_nev; i++)
		n += xla_evs[i].what == what;
	return n;
}

int xla_count(char what)
{
	int n;

	xla_lock();
	n = xla_count_locked(what);
	xla_unlock();
	return n;
}

int xla_first(char what)
{
	int i, r = -1;

	xla_lock();
	for (i = 0; i < xla_nev; i++) {
		if (xla_evs[i].what == what) {
			r = i;
			break;
		}
	}
	xla_unlock();
	return r;
}

int xla_last(char what)
{
	int i, r = -1;

	xla_lock();
	for (i = 0; i < xla_nev; i++)
		if (xla_evs[i].what == what)
			r = i;
	xla_unlock();
	return r;
}

int xla_off_queue(char what)
{
	int i, n = 0;

	xla_lock();
	for (i = 0; i < xla_nev; i++)
		n += xla_evs[i].what == what && !xla_evs[i].on_queue;
	xla_unlock();
	return n;
}

/* ---- messages ------------------------------------------------------------- */

xs_object_t *xla_req(const char *op, int64_t seq)
{
	xs_object_t *d = xs_dictionary_create();

	XS_ASSERT_TRUE(d);
	XS_ASSERT_EQ(xs_dictionary_set_string(d, "op", op), 0);
	XS_ASSERT_EQ(xs_dictionary_set_int64(d, "seq", seq), 0);
	return d;
}

static const struct xs_field xla_ping_fields[] = {
	XS_FIELD_STRING(struct xla_ping, op, "op"),
	XS_FIELD_INT64(struct xla_ping, seq, "seq"),
	XS_FIELD_STRING(struct xla_ping, text, "text", .optional = true),
};
const struct xs_codable xla_ping_codable =
	XS_CODABLE(struct xla_ping, xla_ping_fields);

static const struct xs_field xla_pong_fields[] = {
	XS_FIELD_INT64(struct xla_pong, seq, "seq"),
	XS_FIELD_STRING(struct xla_pong, text, "text", .optional = true),
};
const struct xs_codable xla_pong_codable =
	XS_CODABLE(struct xla_pong, xla_pong_fields);

int xla_kind(const xs_rich_error_t *e)
{
	return e ? (int)xs_rich_error_get_kind(e) : 0;
}

/* ---- the server ------------------------------------------------------------ */

struct xla_server xla_srv = { .notify_fd = -1 };

static xs_object_t *srv_echo(xs_received_message_t *msg, xs_object_t *d)
{
	xs_object_t *r = xs_dictionary_create();
	const char *text = xs_dictionary_get_string(d, "text");

	xs_dictionary_set_int64(r, "seq", xs_dictionary_get_int64(d, "seq") + 1);
	xs_dictionary_set_string(r, "text", text ? text : "");
	xs_dictionary_set_bool(r, "sync", xs_received_message_is_sync(msg));
	xs_dictionary_set_bool(r, "expects",
			       xs_received_message_expects_reply(msg));
	return r;
}

static void srv_push_reply(xs_object_t *reply, xs_rich_error_t *err, void *ctx)
{
	(void)ctx;
	xla_lock();
	if (err) {
		xla_srv.push_errors++;
		xla_srv.push_error_kind = xs_rich_error_get_kind(err);
	} else {
		xla_srv.push_replies++;
		xla_srv.push_reply_seq_sum += xs_dictionary_get_int64(reply, "seq");
	}
	xla_broadcast();
	xla_unlock();
}

static void srv_push(xs_session_t *peer, xs_object_t *d)
{
	int64_t n = xs_dictionary_get_int64(d, "n");
	int64_t seq = xs_dictionary_get_int64(d, "seq");
	bool req = xs_dictionary_get_bool(d, "req");
	bool bad = xs_dictionary_get_bool(d, "bad");
	int64_t i;

	for (i = 0; i < n; i++) {
		xs_object_t *m = xs_dictionary_create();

		xs_dictionary_set_string(m, "op", "note");
		if (bad)
			xs_dictionary_set_string(m, "seq", "x");
		else
			xs_dictionary_set_int64(m, "seq", seq + i);
		xs_dictionary_set_string(m, "text", "pushed");
		if (req)
			xs_session_send_message_with_reply_async(peer, m,
								 srv_push_reply,
								 NULL);
		else
			xs_rich_error_release(xs_session_send_message(peer, m));
		xs_release(m);
	}
}

static xs_object_t *srv_message(xs_received_message_t *msg, void *ctx)
{
	xs_session_t *peer = ctx;
	xs_object_t *d = xs_received_message_get_dictionary(msg);
	const char *op = xs_dictionary_get_string(d, "op");
	int64_t seq = xs_dictionary_get_int64(d, "seq");
	bool expects = xs_received_message_expects_reply(msg);
	xs_object_t *ret = NULL;
	xs_rich_error_t *e;

	xla_lock();
	if (++xla_srv.in_handler > xla_srv.max_in_handler)
		xla_srv.max_in_handler = xla_srv.in_handler;
	if (xla_srv.q && !xs_queue_is_current(xla_srv.q))
		xla_srv.handler_off_queue = true;
	xla_srv.msgs++;
	if (!expects)
		xla_srv.oneways++;
	xla_unlock();
	if (xla_srv.sleep_us)
		usleep(xla_srv.sleep_us);

	if (!op) {
		/* not one of ours: no reply */
	} else if (!strcmp(op, "echo")) {
		xla_lock();
		xla_srv.last_seq = seq;
		xla_unlock();
		if (expects)
			ret = srv_echo(msg, d);
	} else if (!strcmp(op, "order")) {
		xla_lock();
		if (seq != xla_srv.last_seq + 1)
			xla_srv.order_errors++;
		xla_srv.last_seq = seq;
		xla_unlock();
	} else if (!strcmp(op, "null")) {
		ret = NULL;
	} else if (!strcmp(op, "sleep")) {
		usleep(xs_dictionary_get_int64(d, "ms") * 1000);
		ret = expects ? srv_echo(msg, d) : NULL;
	} else if (!strcmp(op, "hold")) {
		xs_received_message_t *h = xs_received_message_handoff(msg);
		bool kept = false;

		xla_lock();
		if (xla_srv.nheld < XLA_MAX_HELD) {
			xla_srv.held[xla_srv.nheld++] = h;
			kept = true;
		}
		xla_unlock();
		if (!kept)
			xs_received_message_release(h);
		if (xla_srv.notify_fd >= 0 &&
		    write(xla_srv.notify_fd, "h", 1) != 1)
			xs_diag("server: notify: %s", strerror(errno));
	} else if (!strcmp(op, "inspect")) {
		xs_object_t *r1 = srv_echo(msg, d), *r2 = srv_echo(msg, d);
		int k1, k2;

		e = xs_received_message_reply(msg, r1);
		k1 = xla_kind(e);
		xs_rich_error_release(e);
		e = xs_received_message_reply(msg, r2);
		k2 = xla_kind(e);
		xs_rich_error_release(e);
		xs_release(r1);
		xs_release(r2);
		xla_lock();
		xla_srv.insp_n++;
		xla_srv.insp_expects = expects;
		xla_srv.insp_sync = xs_received_message_is_sync(msg);
		xla_srv.insp_reply1 = k1;
		xla_srv.insp_reply2 = k2;
		xla_broadcast();
		xla_unlock();
	} else if (!strcmp(op, "push")) {
		srv_push(peer, d);
		if (expects)
			ret = srv_echo(msg, d);
	} else if (!strcmp(op, "reply_null")) {
		/* A reply without a payload: not a dictionary. */
		e = xs_received_message_reply(msg, NULL);
		xs_rich_error_release(e);
	} else if (!strcmp(op, "reply_cancel")) {
		/* Reply, then end the session at once. */
		xs_object_t *r = srv_echo(msg, d);

		xs_rich_error_release(xs_received_message_reply(msg, r));
		xs_release(r);
		xs_session_cancel(peer, "done");
	} else if (!strcmp(op, "cancel_me")) {
		xs_session_cancel(peer, xs_dictionary_get_string(d, "reason"));
	}

	xla_lock();
	xla_srv.in_handler--;
	xla_broadcast();
	xla_unlock();
	return ret;
}

static void srv_cancel(xs_rich_error_t *err, void *ctx)
{
	(void)ctx;
	xla_lock();
	xla_srv.ended++;
	xla_srv.end_kind = xs_rich_error_get_kind(err);
	snprintf(xla_srv.end_desc, sizeof(xla_srv.end_desc), "%s",
		 xs_rich_error_get_description(err));
	xla_broadcast();
	xla_unlock();
}

static void srv_incoming(xs_listener_t *l, xs_session_request_t *req,
			 void *ctx)
{
	struct xs_peer_credentials pc;
	xs_rich_error_t *e;
	xs_session_t *s;

	(void)l;
	(void)ctx;
	e = xs_session_request_copy_peer_credentials(req, &pc);
	xla_lock();
	xla_srv.requests++;
	xla_srv.creds_err = xla_kind(e);
	if (!e)
		xla_srv.creds = pc;
	xla_broadcast();
	xla_unlock();
	xs_rich_error_release(e);
	if (xla_srv.accept_delay_us)
		usleep(xla_srv.accept_delay_us);

	switch (xla_srv.mode) {
	case XLA_SRV_REJECT:
		e = xs_session_request_reject(req, xla_srv.reject_reason);
		xs_rich_error_release(e);
		e = xs_session_request_reject(req, "twice");
		xla_lock();
		xla_srv.reject_misuse_ok = xla_kind(e) == XS_ERROR_MISUSE;
		xla_srv.accept_after_reject_null =
			!xs_session_request_accept(req);
		xla_unlock();
		xs_rich_error_release(e);
		return;
	case XLA_SRV_UNCONFIGURED:
		xs_session_request_accept(req);
		return;
	case XLA_SRV_UNDECIDED:
		return;
	case XLA_SRV_ACCEPT:
		break;
	}
	s = xs_session_request_accept(req);
	if (!s)
		return;
	xs_rich_error_release(xs_session_set_incoming_message_handler(
		s, srv_message, s));
	xs_rich_error_release(xs_session_set_cancel_handler(s, srv_cancel, s));
	XLA_ADD(xla_srv.accepted, 1);
}

void xla_server_start(const char *name, uint32_t flags)
{
	xs_rich_error_t *e = NULL;

	snprintf(xla_srv.name, sizeof(xla_srv.name), "%s", name);
	xla_srv.q = xs_queue_create("xla.server");
	XS_ASSERT_TRUE(xla_srv.q);
	xla_srv.l = xs_listener_create(name, xla_srv.q, flags, srv_incoming,
				       NULL, &e);
	if (!xla_srv.l)
		XS_FAIL("xs_listener_create(%s): %s", name,
			e ? xs_rich_error_get_description(e) : "?");
}

void xla_server_stop(void)
{
	if (!xla_srv.l)
		return;
	xs_listener_cancel(xla_srv.l);
	xs_listener_release(xla_srv.l);
	xla_srv.l = NULL;
	xs_queue_release(xla_srv.q);
	xla_srv.q = NULL;
}

xs_rich_error_t *xla_server_reply_held(int i, int64_t seq)
{
	xs_received_message_t *h;
	xs_rich_error_t *e;
	xs_object_t *r;

	xla_lock();
	h = i < xla_srv.nheld ? xla_srv.held[i] : NULL;
	if (h)
		xla_srv.held[i] = NULL;
	xla_unlock();
	XS_ASSERT_TRUE(h);
	r = xs_dictionary_create();
	xs_dictionary_set_int64(r, "seq", seq);
	e = xs_received_message_reply(h, r);
	xs_release(r);
	xs_received_message_release(h);
	return e;
}

void xla_server_release_held(void)
{
	xs_received_message_t *h;
	int i;

	for (i = 0; i < XLA_MAX_HELD; i++) {
		xla_lock();
		h = xla_srv.held[i];
		xla_srv.held[i] = NULL;
		xla_unlock();
		xs_received_message_release(h);
	}
}

pid_t xla_fork_server(const char *name, uint32_t flags,
		      enum xla_srv_mode mode, int *notify_rd)
{
	int ready[2], note[2];
	struct pollfd pfd;
	char c;
	pid_t pid;

	XS_ASSERT_OK(pipe2(ready, O_CLOEXEC));
	XS_ASSERT_OK(pipe2(note, O_CLOEXEC));
	pid = fork();
	XS_ASSERT_OK(pid);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		close(note[0]);
		xla_srv.mode = mode;
		xla_srv.notify_fd = note[1];
		xla_server_start(name, flags);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	close(note[1]);
	pfd.fd = ready[0];
	pfd.events = POLLIN;
	XS_ASSERT_EQ(poll(&pfd, 1, XLA_WAIT_MS), 1);
	XS_ASSERT_EQ(read(ready[0], &c, 1), 1);
	close(ready[0]);
	if (notify_rd)
		*notify_rd = note[0];
	else
		close(note[0]);
	return pid;
}

void xla_wait_notify(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	XS_ASSERT_EQ(poll(&pfd, 1, XLA_WAIT_MS), 1);
	XS_ASSERT_EQ(read(fd, &c, 1), 1);
}

/* ---- the client ----------------------------------------------------------- */

xs_object_t *xla_on_message(xs_received_message_t *msg, void *ctx)
{
	xs_object_t *d = xs_received_message_get_dictionary(msg);
	int64_t seq = xs_dictionary_get_int64(d, "seq");
	xs_object_t *r;

	(void)ctx;
	xla_record('M', NULL, seq);
	if (!xs_received_message_expects_reply(msg))
		return NULL;
	r = xs_dictionary_create();
	xs_dictionary_set_int64(r, "seq", seq + 1);
	return r;
}

void xla_on_cancel(xs_rich_error_t *err, void *ctx)
{
	(void)ctx;
	xla_record('C', err, 0);
}

void xla_on_reply(xs_received_message_t *reply, xs_rich_error_t *err,
		  void *ctx)
{
	(void)ctx;
	if (!reply == !err)
		xla_record('X', err, 0);
	xla_record('R', err, reply ? xs_dictionary_get_int64(
			xs_received_message_get_dictionary(reply), "seq") : -1);
}

void xla_on_dict_reply(xs_object_t *reply, xs_rich_error_t *err, void *ctx)
{
	(void)ctx;
	if (!reply == !err)
		xla_record('X', err, 0);
	xla_record('R', err, reply ? xs_dictionary_get_int64(reply, "seq") : -1);
}

xs_session_t *xla_connect(const char *name, xs_queue_t *q)
{
	xs_rich_error_t *e = NULL;
	xs_session_t *s;

	s = xs_session_create_mach_service_with_handlers(name, q,
							 XS_SESSION_CREATE_NONE,
							 xla_on_message,
							 xla_on_cancel, NULL, &e);
	if (!s)
		XS_FAIL("connect %s: %s", name,
			e ? xs_rich_error_get_description(e) : "?");
	return s;
}

void xla_echo_sync(xs_session_t *s, int64_t seq)
{
	xs_object_t *req = xla_req("echo", seq), *reply;
	xs_rich_error_t *e = NULL;

	reply = xs_session_send_message_with_reply_sync(s, req, &e);
	xs_release(req);
	if (!reply)
		XS_FAIL("echo %lld: %s", (long long)seq,
			e ? xs_rich_error_get_description(e) : "?");
	XS_ASSERT_EQ(xs_dictionary_get_int64(reply, "seq"), seq + 1);
	xs_release(reply);
}

void xla_cancel_wait(xs_session_t *s, const char *reason)
{
	int n = xla_count('C');

	xs_session_cancel(s, reason);
	XS_ASSERT_TRUE(XLA_WAIT(xla_count_locked('C') > n, XLA_WAIT_MS));
}

/* ---- process state ------------------------------------------------------------ */

int xla_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	XS_ASSERT_TRUE(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

int xla_count_threads(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int n = -1;

	XS_ASSERT_TRUE(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

size_t xla_heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}
