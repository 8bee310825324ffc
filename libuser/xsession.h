/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxsession: XPC-style sessions for Linux.
 *
 * The C analogue of Apple's XPCSession / XPCListener API, over the
 * /dev/xsession device.  Names mirror XPC's with an xs_ prefix; handlers
 * are a function pointer plus a void *context.  Every handler of one
 * session runs on that session's target queue, one at a time, in order;
 * the cancel handler runs exactly once, last.
 *
 * Objects are reference counted: *_create functions return a reference the
 * caller releases.  Functions that can fail return NULL (and, when given
 * an error pointer, a rich error the caller releases) or a rich error
 * directly (NULL on success), as XPC's do.
 *
 * Misuse (a setter on an active session, sending before activate,
 * activating twice, a synchronous send on the session's own queue) is
 * reported as an XS_ERROR_MISUSE rich error; set XS_ABORT_ON_MISUSE=1 in
 * the environment to abort() with a message instead, for debugging.
 */
#ifndef XSESSION_H
#define XSESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef XS_EXPORT
#define XS_EXPORT __attribute__((visibility("default")))
#endif

#include "xs_codable.h"
#include "xs_object.h"
#include "xs_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Module probe ---- */

/** What the loaded module says about itself. */
struct xs_module_info {
	unsigned int uapi_version;	/* the module's XS_UAPI_VERSION */
	uint64_t features;		/* XS_FEATURE_* bits */
	char version[32];		/* module version, e.g. "0.1.0" */
};

/*
 * Open the device, ask the module for its version, features and struct
 * sizes, and check they match this library.  Return: 0; -ENOENT when the
 * module is not loaded; -EPROTO for another uapi version or struct sizes;
 * another negative errno.  @err (optional) receives a sentence.
 */
XS_EXPORT int xs_module_get_info(struct xs_module_info *info,
				 char *err, size_t errlen);

/** The library's own version string. */
XS_EXPORT const char *xs_library_version(void);

/* ---- Rich errors ---- */

typedef struct xs_rich_error xs_rich_error_t;

typedef enum xs_error_kind {
	XS_ERROR_CANCELED = 1,	/* this side cancelled */
	XS_ERROR_INVALIDATED,	/* the peer cancelled or closed */
	XS_ERROR_INTERRUPTED,	/* the peer's process died: retry may work */
	XS_ERROR_REJECTED,	/* the listener rejected the session */
	XS_ERROR_REQUIREMENT,	/* a peer requirement was not met */
	XS_ERROR_TIMED_OUT,
	XS_ERROR_NOT_FOUND,	/* no such service */
	XS_ERROR_PEER,		/* the peer answered with an error reply */
	XS_ERROR_CODEC,		/* a message did not match its type */
	XS_ERROR_MISUSE,	/* the API was used wrongly */
	XS_ERROR_SYSTEM,	/* a system call failed: see the errno */
} xs_error_kind_t;

XS_EXPORT xs_error_kind_t xs_rich_error_get_kind(const xs_rich_error_t *e);
XS_EXPORT const char *xs_error_kind_name(xs_error_kind_t kind);
/* The description, e.g. the peer's cancel or reject reason. */
XS_EXPORT const char *xs_rich_error_get_description(const xs_rich_error_t *e);
XS_EXPORT char *xs_rich_error_copy_description(const xs_rich_error_t *e);
XS_EXPORT bool xs_rich_error_can_retry(const xs_rich_error_t *e);
XS_EXPORT int xs_rich_error_get_errno(const xs_rich_error_t *e);
XS_EXPORT xs_rich_error_t *xs_rich_error_retain(xs_rich_error_t *e);
XS_EXPORT void xs_rich_error_release(xs_rich_error_t *e);

/* ---- Received messages ---- */

typedef struct xs_received_message xs_received_message_t;

/* The message as a dictionary (borrowed; NULL if it is not one). */
XS_EXPORT xs_object_t *
xs_received_message_get_dictionary(xs_received_message_t *msg);
/* The raw payload bytes. */
XS_EXPORT const void *
xs_received_message_get_bytes(const xs_received_message_t *msg, size_t *len);
/* Decode into a struct described by @c; NULL or a codec error. */
XS_EXPORT xs_rich_error_t *
xs_received_message_decode(xs_received_message_t *msg,
			   const struct xs_codable *c, void *out);
XS_EXPORT bool xs_received_message_expects_reply(const xs_received_message_t *msg);
XS_EXPORT bool xs_received_message_is_sync(const xs_received_message_t *msg);
/* A reply that is an error reply from the peer (its status). */
XS_EXPORT bool xs_received_message_is_error(const xs_received_message_t *msg,
					    uint32_t *status);
/* Reply at most once; a second reply is a misuse error. */
XS_EXPORT xs_rich_error_t *
xs_received_message_reply(xs_received_message_t *msg, xs_object_t *reply);
XS_EXPORT xs_rich_error_t *
xs_received_message_reply_codable(xs_received_message_t *msg,
				  const struct xs_codable *c, const void *reply);
/*
 * Take over the duty to reply: the handler may return at once and reply
 * later, from any thread or queue.  Returns a reference to release.
 */
XS_EXPORT xs_received_message_t *
xs_received_message_handoff(xs_received_message_t *msg);
XS_EXPORT xs_received_message_t *
xs_received_message_retain(xs_received_message_t *msg);
XS_EXPORT void xs_received_message_release(xs_received_message_t *msg);

/* ---- Sessions ---- */

typedef struct xs_session xs_session_t;

#define XS_SESSION_CREATE_NONE		0u
#define XS_SESSION_CREATE_INACTIVE	(1u << 0)	/* activate later */
#define XS_SESSION_CREATE_PRIVILEGED	(1u << 1)	/* system domain only */

/*
 * Incoming message handlers.  The return value (released by the library)
 * is the reply when the message expects one and the handler neither
 * replied nor handed the message off; NULL then sends an error reply, so
 * the requester never waits forever.
 */
typedef xs_object_t *(*xs_message_handler_t)(xs_received_message_t *msg,
					     void *ctx);
typedef xs_object_t *(*xs_dictionary_handler_t)(xs_object_t *msg, void *ctx);
/* Decoded form: @msg is a struct of the session's message codable. */
typedef xs_object_t *(*xs_codable_handler_t)(void *msg, void *ctx);
typedef void (*xs_cancel_handler_t)(xs_rich_error_t *err, void *ctx);
/* Exactly one of @reply and @err is set. */
typedef void (*xs_reply_handler_t)(xs_received_message_t *reply,
				   xs_rich_error_t *err, void *ctx);
typedef void (*xs_dictionary_reply_handler_t)(xs_object_t *reply,
					      xs_rich_error_t *err, void *ctx);
/* @reply is a struct of the reply codable, freed after the call. */
typedef void (*xs_codable_reply_handler_t)(void *reply, xs_rich_error_t *err,
					   void *ctx);

/*
 * Connect to a service (a launch agent or daemon for "mach" services; the
 * same registry for "XPC" services until on-demand activation exists).
 * Returns an active session, or an inactive one with
 * XS_SESSION_CREATE_INACTIVE; NULL and @err on failure.  @queue NULL gives
 * the session a private serial queue.
 */
XS_EXPORT xs_session_t *
xs_session_create_mach_service(const char *name, xs_queue_t *queue,
			       uint32_t flags, xs_rich_error_t **err);
XS_EXPORT xs_session_t *
xs_session_create_xpc_service(const char *name, xs_queue_t *queue,
			      uint32_t flags, xs_rich_error_t **err);
/* The same with handlers installed before activation (the seed's forms). */
XS_EXPORT xs_session_t *
xs_session_create_mach_service_with_handlers(const char *name,
					     xs_queue_t *queue, uint32_t flags,
					     xs_message_handler_t on_message,
					     xs_cancel_handler_t on_cancel,
					     void *ctx, xs_rich_error_t **err);
XS_EXPORT xs_session_t *
xs_session_create_xpc_service_with_handlers(const char *name,
					    xs_queue_t *queue, uint32_t flags,
					    xs_message_handler_t on_message,
					    xs_cancel_handler_t on_cancel,
					    void *ctx, xs_rich_error_t **err);

/* Setters: on an inactive session only (else XS_ERROR_MISUSE). */
XS_EXPORT xs_rich_error_t *
xs_session_set_target_queue(xs_session_t *s, xs_queue_t *queue);
XS_EXPORT xs_rich_error_t *
xs_session_set_incoming_message_handler(xs_session_t *s,
					xs_message_handler_t fn, void *ctx);
XS_EXPORT xs_rich_error_t *
xs_session_set_incoming_dictionary_handler(xs_session_t *s,
					   xs_dictionary_handler_t fn,
					   void *ctx);
XS_EXPORT xs_rich_error_t *
xs_session_set_incoming_codable_handler(xs_session_t *s,
					const struct xs_codable *c,
					xs_codable_handler_t fn, void *ctx);
XS_EXPORT xs_rich_error_t *
xs_session_set_cancel_handler(xs_session_t *s, xs_cancel_handler_t fn,
			      void *ctx);

/* Inactive -> active.  A failure cancels the session and is returned. */
XS_EXPORT xs_rich_error_t *xs_session_activate(xs_session_t *s);
/*
 * End the session; @reason (may be NULL) reaches the peer.  Unsent and
 * unreceived messages are discarded; every reply handler still waiting
 * gets a CANCELED error, then the cancel handler runs.
 */
XS_EXPORT void xs_session_cancel(xs_session_t *s, const char *reason);

/* Send a dictionary, one-way.  NULL or an error. */
XS_EXPORT xs_rich_error_t *xs_session_send_message(xs_session_t *s,
						   xs_object_t *msg);
/* Send and call @fn once, on the target queue, with the reply or an error. */
XS_EXPORT void
xs_session_send_message_with_reply_async(xs_session_t *s, xs_object_t *msg,
					 xs_dictionary_reply_handler_t fn,
					 void *ctx);
XS_EXPORT void
xs_session_send_with_reply_async(xs_session_t *s, xs_object_t *msg,
				 xs_reply_handler_t fn, void *ctx);
/*
 * Send and block the calling thread until the reply: the reply dictionary
 * (release it), or NULL and @err.  Refused on the session's own queue.
 */
XS_EXPORT xs_object_t *
xs_session_send_message_with_reply_sync(xs_session_t *s, xs_object_t *msg,
					xs_rich_error_t **err);
XS_EXPORT xs_received_message_t *
xs_session_send_with_reply_sync(xs_session_t *s, xs_object_t *msg,
				xs_rich_error_t **err);

/* Encodable / Decodable forms: structs described by codables. */
XS_EXPORT xs_rich_error_t *
xs_session_send_codable(xs_session_t *s, const struct xs_codable *c,
			const void *msg);
XS_EXPORT void
xs_session_send_codable_with_reply_async(xs_session_t *s,
					 const struct xs_codable *c,
					 const void *msg,
					 const struct xs_codable *reply_c,
					 xs_codable_reply_handler_t fn,
					 void *ctx);
/* Fills @reply (free it with xs_codable_free()); NULL or an error. */
XS_EXPORT xs_rich_error_t *
xs_session_send_codable_with_reply_sync(xs_session_t *s,
					const struct xs_codable *c,
					const void *msg,
					const struct xs_codable *reply_c,
					void *reply);

/** The peer's credentials, captured when the session was made. */
struct xs_peer_credentials {
	pid_t pid;		/* in this process's pid namespace (0: not visible) */
	uid_t uid;		/* effective, in this process's user namespace */
	gid_t gid;
	bool alive;		/* the peer process had not been reaped */
	char label[256];	/* LSM context, "" without an LSM */
};

XS_EXPORT xs_rich_error_t *
xs_session_copy_peer_credentials(xs_session_t *s,
				 struct xs_peer_credentials *out);
/* A pidfd (O_CLOEXEC) that is proven to be the peer's; -errno on failure. */
XS_EXPORT int xs_session_copy_peer_pidfd(xs_session_t *s);

/* A debug description, e.g. "<xs_session com.example.kv: active ...>". */
XS_EXPORT char *xs_session_copy_description(xs_session_t *s);
XS_EXPORT xs_session_t *xs_session_retain(xs_session_t *s);
/*
 * Release a reference.  Releasing the last one of a session that is
 * still active cancels it first (XPC would crash; a leak is worse).
 */
XS_EXPORT void xs_session_release(xs_session_t *s);

/* ---- Listeners ---- */

typedef struct xs_listener xs_listener_t;
typedef struct xs_session_request xs_session_request_t;

#define XS_LISTENER_CREATE_NONE		0u
#define XS_LISTENER_CREATE_INACTIVE	(1u << 0)
#define XS_LISTENER_CREATE_SYSTEM	(1u << 1)	/* CAP_SYS_ADMIN */

/*
 * Called on the listener's queue for each client.  Accept the request
 * (configure the returned session: handlers, queue) or reject it.  When
 * the handler returns, an accepted session with an incoming handler is
 * activated; one left without a handler is cancelled, and a request
 * neither accepted nor rejected is rejected.
 */
typedef void (*xs_incoming_session_handler_t)(xs_listener_t *l,
					      xs_session_request_t *req,
					      void *ctx);

XS_EXPORT xs_listener_t *
xs_listener_create(const char *name, xs_queue_t *queue, uint32_t flags,
		   xs_incoming_session_handler_t fn, void *ctx,
		   xs_rich_error_t **err);
XS_EXPORT xs_rich_error_t *xs_listener_activate(xs_listener_t *l);
XS_EXPORT void xs_listener_cancel(xs_listener_t *l);
XS_EXPORT char *xs_listener_copy_description(xs_listener_t *l);
XS_EXPORT xs_listener_t *xs_listener_retain(xs_listener_t *l);
XS_EXPORT void xs_listener_release(xs_listener_t *l);

/* The new session: inactive, on the listener's queue; borrowed. */
XS_EXPORT xs_session_t *xs_session_request_accept(xs_session_request_t *req);
XS_EXPORT xs_rich_error_t *
xs_session_request_reject(xs_session_request_t *req, const char *reason);
XS_EXPORT xs_rich_error_t *
xs_session_request_copy_peer_credentials(xs_session_request_t *req,
					 struct xs_peer_credentials *out);

#ifdef __cplusplus
}
#endif

#endif /* XSESSION_H */
