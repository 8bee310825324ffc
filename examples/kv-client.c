// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kv-client: talks to kv-service the ways XPCSession allows.
 *
 *  1. a synchronous send of an Encodable-style struct (set a = 1),
 *  2. "watch", after which the service sends messages on its own,
 *  3. asynchronous sends whose replies arrive on the session's queue,
 *  4. a dictionary request answered synchronously (count),
 *  5. a cancel with a reason, which the service prints.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv-common.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int replies, notes;
static bool ended;

static void bump(int *counter)
{
	pthread_mutex_lock(&lock);
	(*counter)++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static void wait_for(int *counter, int n)
{
	pthread_mutex_lock(&lock);
	while (*counter < n)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

/* Messages the service sends without being asked. */
static xs_object_t *on_message(xs_received_message_t *msg, void *ctx)
{
	xs_object_t *d = xs_received_message_get_dictionary(msg);

	(void)ctx;
	printf("kv-client: service says %s: %s = %lld\n",
	       xs_dictionary_get_string(d, "event"),
	       xs_dictionary_get_string(d, "key"),
	       (long long)xs_dictionary_get_int64(d, "value"));
	bump(&notes);
	return NULL;
}

static void on_cancel(xs_rich_error_t *err, void *ctx)
{
	(void)ctx;
	printf("kv-client: session ended: %s\n",
	       xs_rich_error_get_description(err));
	pthread_mutex_lock(&lock);
	ended = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static void on_get_reply(xs_object_t *reply, xs_rich_error_t *err, void *ctx)
{
	const char *key = ctx;

	if (err)
		printf("kv-client: get %s failed: %s\n", key,
		       xs_rich_error_get_description(err));
	else if (xs_dictionary_get_string(reply, "error"))
		printf("kv-client: get %s: %s\n", key,
		       xs_dictionary_get_string(reply, "error"));
	else
		printf("kv-client: get %s = %lld (async reply)\n", key,
		       (long long)xs_dictionary_get_int64(reply, "value"));
	bump(&replies);
}

static int set_sync(xs_session_t *s, const char *key, int64_t value)
{
	struct kv_set set = { .op = "set", .value = value };
	struct kv_set_reply r;
	xs_rich_error_t *e;

	snprintf(set.key, sizeof(set.key), "%s", key);
	e = xs_session_send_codable_with_reply_sync(s, &kv_set_codable, &set,
						    &kv_set_reply_codable, &r);
	if (e) {
		printf("kv-client: set %s failed: %s\n", key,
		       xs_rich_error_get_description(e));
		xs_rich_error_release(e);
		return -1;
	}
	printf("kv-client: set %s = %lld (sync; was %lld, %lld keys)\n", key,
	       (long long)value, (long long)r.previous, (long long)r.count);
	return 0;
}

static xs_object_t *request(const char *op, const char *key)
{
	xs_object_t *d = xs_dictionary_create();

	xs_dictionary_set_string(d, "op", op);
	if (key)
		xs_dictionary_set_string(d, "key", key);
	return d;
}

int main(void)
{
	xs_object_t *msg, *reply;
	xs_rich_error_t *err;
	xs_session_t *s;
	char *desc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	s = xs_session_create_mach_service_with_handlers(KV_SERVICE, NULL,
							 XS_SESSION_CREATE_NONE,
							 on_message, on_cancel,
							 NULL, &err);
	if (!s) {
		fprintf(stderr, "kv-client: %s\n",
			xs_rich_error_get_description(err));
		return 1;
	}
	desc = xs_session_copy_description(s);
	printf("kv-client: connected: %s\n", desc);
	free(desc);

	if (set_sync(s, "a", 1))
		return 1;

	msg = request("watch", NULL);
	reply = xs_session_send_message_with_reply_sync(s, msg, &err);
	xs_release(msg);
	if (!reply) {
		printf("kv-client: watch failed: %s\n",
		       xs_rich_error_get_description(err));
		return 1;
	}
	xs_release(reply);

	set_sync(s, "b", 2);
	set_sync(s, "a", 3);
	wait_for(&notes, 2);

	msg = request("get", "a");
	xs_session_send_message_with_reply_async(s, msg, on_get_reply, "a");
	xs_release(msg);
	msg = request("get", "zzz");
	xs_session_send_message_with_reply_async(s, msg, on_get_reply, "zzz");
	xs_release(msg);
	wait_for(&replies, 2);

	msg = request("count", NULL);
	reply = xs_session_send_message_with_reply_sync(s, msg, &err);
	xs_release(msg);
	if (reply) {
		printf("kv-client: %lld keys\n",
		       (long long)xs_dictionary_get_int64(reply, "count"));
		xs_release(reply);
	}

	xs_session_cancel(s, "client done: goodbye");
	pthread_mutex_lock(&lock);
	while (!ended)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	xs_session_release(s);
	return 0;
}
