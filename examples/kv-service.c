// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kv-service: a small stateful service.  It keeps a table of integer
 * values by key, answers "set", "get" and "count" requests, and tells
 * every client that asked to "watch" about each change, unprompted.
 *
 *	kv-service [--once]	(--once: exit after the first client leaves)
 *
 * All handlers run on the listener's queue, one at a time, so the table
 * needs no lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kv-common.h"

#define KV_MAX 64

static struct { char key[64]; int64_t value; } table[KV_MAX];
static int nr_keys;
static xs_session_t *watchers[16];
static int nr_watchers;
static bool once;

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static bool done;

static int64_t *kv_slot(const char *key, bool create)
{
	int i;

	for (i = 0; i < nr_keys; i++)
		if (!strcmp(table[i].key, key))
			return &table[i].value;
	if (!create || nr_keys == KV_MAX)
		return NULL;
	snprintf(table[nr_keys].key, sizeof(table[0].key), "%s", key);
	table[nr_keys].value = 0;
	return &table[nr_keys++].value;
}

/* A server-initiated message to every watcher. */
static void kv_notify(const char *key, int64_t value)
{
	xs_object_t *note = xs_dictionary_create();
	int i;

	xs_dictionary_set_string(note, "event", "changed");
	xs_dictionary_set_string(note, "key", key);
	xs_dictionary_set_int64(note, "value", value);
	for (i = 0; i < nr_watchers; i++)
		xs_rich_error_release(xs_session_send_message(watchers[i], note));
	xs_release(note);
}

static xs_object_t *kv_handle(xs_received_message_t *msg, void *ctx)
{
	xs_session_t *s = ctx;
	xs_object_t *req = xs_received_message_get_dictionary(msg);
	const char *op = req ? xs_dictionary_get_string(req, "op") : NULL;
	xs_object_t *reply = xs_dictionary_create();
	int64_t *slot;

	if (!op) {
		xs_dictionary_set_string(reply, "error", "no op");
	} else if (!strcmp(op, "set")) {
		struct kv_set set;
		struct kv_set_reply r;
		xs_rich_error_t *e;

		e = xs_received_message_decode(msg, &kv_set_codable, &set);
		if (e) {
			xs_dictionary_set_string(reply, "error",
						 xs_rich_error_get_description(e));
			xs_rich_error_release(e);
			return reply;
		}
		slot = kv_slot(set.key, true);
		r.previous = slot ? *slot : 0;
		if (slot)
			*slot = set.value;
		r.count = nr_keys;
		printf("kv-service: set %s = %lld\n", set.key,
		       (long long)set.value);
		xs_release(reply);
		reply = xs_codable_encode(&kv_set_reply_codable, &r);
		kv_notify(set.key, set.value);
	} else if (!strcmp(op, "get")) {
		const char *key = xs_dictionary_get_string(req, "key");

		slot = key ? kv_slot(key, false) : NULL;
		if (slot)
			xs_dictionary_set_int64(reply, "value", *slot);
		else
			xs_dictionary_set_string(reply, "error", "no such key");
	} else if (!strcmp(op, "count")) {
		xs_dictionary_set_int64(reply, "count", nr_keys);
	} else if (!strcmp(op, "watch") && nr_watchers < 16) {
		watchers[nr_watchers++] = xs_session_retain(s);
		xs_dictionary_set_bool(reply, "watching", true);
	} else {
		xs_dictionary_set_string(reply, "error", "unknown op");
	}
	return reply;
}

static void kv_session_ended(xs_rich_error_t *err, void *ctx)
{
	xs_session_t *s = ctx;
	int i;

	printf("kv-service: client session ended: %s\n",
	       xs_rich_error_get_description(err));
	for (i = 0; i < nr_watchers; i++) {
		if (watchers[i] == s) {
			watchers[i] = watchers[--nr_watchers];
			xs_session_release(s);
		}
	}
	if (once) {
		pthread_mutex_lock(&done_lock);
		done = true;
		pthread_cond_signal(&done_cond);
		pthread_mutex_unlock(&done_lock);
	}
}

static void kv_incoming(xs_listener_t *l, xs_session_request_t *req, void *ctx)
{
	struct xs_peer_credentials pc;
	xs_session_t *s;

	(void)l;
	(void)ctx;
	if (!xs_session_request_copy_peer_credentials(req, &pc))
		printf("kv-service: client pid %d uid %u wants a session\n",
		       (int)pc.pid, (unsigned int)pc.uid);
	s = xs_session_request_accept(req);
	xs_session_set_incoming_message_handler(s, kv_handle, s);
	xs_session_set_cancel_handler(s, kv_session_ended, s);
}

int main(int argc, char **argv)
{
	xs_rich_error_t *err;
	xs_listener_t *l;

	once = argc > 1 && !strcmp(argv[1], "--once");
	setvbuf(stdout, NULL, _IOLBF, 0);
	l = xs_listener_create(KV_SERVICE, NULL, XS_LISTENER_CREATE_NONE,
			       kv_incoming, NULL, &err);
	if (!l) {
		fprintf(stderr, "kv-service: %s\n",
			xs_rich_error_get_description(err));
		return 1;
	}
	printf("kv-service: listening as %s\n", KV_SERVICE);

	pthread_mutex_lock(&done_lock);
	while (!done)
		pthread_cond_wait(&done_cond, &done_lock);
	pthread_mutex_unlock(&done_lock);

	xs_listener_cancel(l);
	xs_listener_release(l);
	printf("kv-service: done\n");
	return 0;
}
