/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The key-value example's protocol, shared by the service and the client.
 * Every request is a dictionary with an "op" and its arguments; the
 * codable below describes the "set" request as a C struct, the way a
 * Swift program would declare an Encodable message.
 */
#ifndef KV_COMMON_H
#define KV_COMMON_H

#include <xsession.h>

#define KV_SERVICE	"com.example.kv"

struct kv_set {
	char op[8];		/* "set" */
	char key[64];
	int64_t value;
};

static const struct xs_field kv_set_fields[] = {
	XS_FIELD_STRING(struct kv_set, op, "op"),
	XS_FIELD_STRING(struct kv_set, key, "key"),
	XS_FIELD_INT64(struct kv_set, value, "value"),
};

static const struct xs_codable kv_set_codable =
	XS_CODABLE(struct kv_set, kv_set_fields);

/* The reply to "set": the value it replaced, and how many keys exist. */
struct kv_set_reply {
	int64_t previous;
	int64_t count;
};

static const struct xs_field kv_set_reply_fields[] = {
	XS_FIELD_INT64(struct kv_set_reply, previous, "previous"),
	XS_FIELD_INT64(struct kv_set_reply, count, "count"),
};

static const struct xs_codable kv_set_reply_codable =
	XS_CODABLE(struct kv_set_reply, kv_set_reply_fields);

#endif /* KV_COMMON_H */
