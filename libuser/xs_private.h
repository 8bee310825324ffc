/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxsession internals: not installed, not part of the API. */
#ifndef XS_PRIVATE_H
#define XS_PRIVATE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "xsession.h"

struct xs_info;
struct xs_item;
struct xs_msg_hdr;

/*
 * Open /dev/xsession and verify the module matches this library.
 * Return: the fd (O_CLOEXEC) or a negative errno, with @err explaining.
 */
int xs_device_open_checked(char *err, size_t errlen, struct xs_info *out);
/* The module's largest message payload (probed once per process). */
uint32_t xs_device_max_msg_size(void);
/*
 * The ring a session end gets when it asks for none, as every end the
 * library makes does: what bounds the payload a peer can receive.
 */
uint32_t xs_device_ring_size_default(void);

/* Rich errors (xs_error.c). */
xs_rich_error_t *xs_error_new(xs_error_kind_t kind, int err,
			      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
xs_rich_error_t *xs_error_from_end(uint32_t why, const char *reason,
				   size_t len);
xs_rich_error_t *xs_error_from_errno(int err, const char *what);
xs_rich_error_t *xs_misuse(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/*
 * Status of error replies the library itself sends (XS_MSG_ERROR_REPLY
 * without XS_MSGF_KERNEL).
 */
#define XS_REPLY_STATUS_UNHANDLED	1	/* no handler, or it gave no reply */
#define XS_REPLY_STATUS_UNDECODABLE	2	/* did not match the handler's type */
#define XS_REPLY_STATUS_REPLY_FAILED	3	/* the reply itself could not be sent */
#define XS_REPLY_STATUS_ITEMS_LOST	4	/* its descriptors could not be received */

/*
 * Event sources (xs_events.c): one process-wide epoll thread watches the
 * fds of active sessions and listeners.  When one becomes readable it
 * queues @drain on the source's queue, once (EPOLLONESHOT); the drain
 * reads what it can, then re-arms the source or removes it.  So every
 * handler of an object runs on its queue, in order, and nothing polls.
 */
struct xs_source {
	int fd;
	xs_queue_t *queue;
	void (*drain)(struct xs_source *src);
};

int xs_source_add(struct xs_source *src);
int xs_source_rearm(struct xs_source *src);
void xs_source_remove(struct xs_source *src);

/* Sessions, for the listener (xs_session.c). */
xs_session_t *xs_session_new_peer(int fd, xs_queue_t *queue);
xs_rich_error_t *xs_session_activate_peer(xs_session_t *s);
bool xs_session_has_incoming_handler(xs_session_t *s);
void xs_session_drop_peer(xs_session_t *s, const char *reason, bool reject);
xs_rich_error_t *xs_creds_read(int fd, struct xs_peer_credentials *out);

/*
 * Received messages (xs_message.c).  @items: the hdr->nr_items
 * descriptors installed with the message, which it takes over (closing
 * them also when it cannot be made), or NULL when they could not be
 * installed (the kernel closed them): the message then cannot decode,
 * and says so.
 */
xs_received_message_t *xs_received_message_new(xs_session_t *s,
					       const struct xs_msg_hdr *hdr,
					       const void *payload,
					       const struct xs_item *items);
bool xs_received_message_items_lost(const xs_received_message_t *msg);
bool xs_received_message_settled(const xs_received_message_t *msg);
xs_rich_error_t *xs_received_message_reply_error(xs_received_message_t *msg,
						 uint32_t status);
xs_session_t *xs_session_get(xs_session_t *s);
void xs_session_put(xs_session_t *s);
int xs_session_fd(xs_session_t *s);
xs_rich_error_t *xs_session_send_raw(xs_session_t *s, uint16_t kind,
				     uint32_t status, uint64_t reply_to,
				     xs_object_t *msg, uint64_t *id);
xs_rich_error_t *xs_error_from_reply(const struct xs_msg_hdr *hdr);
xs_rich_error_t *xs_received_message_error(const xs_received_message_t *msg);

#endif /* XS_PRIVATE_H */
