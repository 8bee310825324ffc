/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxsession internals: a message as it goes on the wire, with what
 * travels out of line.  Not installed.
 *
 * Sending a dictionary takes three steps: xs_wire_encode() encodes it
 * (xs_codec.h) and turns its fd and shmem objects into struct xs_item
 * (XS_ITEM_FD, XS_ITEM_MEMFD); when the encoding is large,
 * xs_wire_body_out() writes it into a sealed memfd from the body pool and
 * leaves a body reference (XS_OOL_KIND_BODY) as the payload; the caller
 * then hands xs_wire_payload() and the items to XS_IOC_SEND or
 * XS_IOC_SEND_SYNC, and xs_wire_release() closes what the kernel no
 * longer needs (it took its own reference to every file).
 *
 * Nothing here needs the module, so the host tests run all of it.
 */
#ifndef XS_WIRE_H
#define XS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/xsession.h>

#include "xs_codec.h"

struct xs_wire {
	struct xs_buf body;		/* the encoded dictionary */
	struct xs_buf ref;		/* the body reference, once out of line */
	struct xs_ool ool;		/* the objects' own fds (borrowed) */
	struct xs_item items[XS_ITEMS_MAX];
	uint32_t nr_items;
	int body_fd;			/* the body's sealed memfd, or -1 */
	size_t body_len;		/* bytes of the encoded dictionary */
};

void xs_wire_init(struct xs_wire *w);
/* Frees the buffers and closes the body's memfd (not the objects' fds). */
void xs_wire_release(struct xs_wire *w);

/*
 * Encodes @msg (a dictionary) and fills the items from its objects.
 * Return: 0; the codec's errors (xs_encode()); -E2BIG when it holds more
 * than XS_ITEMS_MAX fd and shmem objects (w->ool.count says how many).
 */
int xs_wire_encode(struct xs_wire *w, const xs_object_t *msg);

/*
 * Moves the encoded dictionary out of line: into a sealed memfd that
 * becomes the last item, with a body reference as the payload.
 * Return: 0; -E2BIG when every item slot is taken already; -EMSGSIZE
 * above XS_CODEC_BODY_MAX; -ENOMEM, -EMFILE and the like from the memfd.
 */
int xs_wire_body_out(struct xs_wire *w);

static inline bool xs_wire_is_out(const struct xs_wire *w)
{
	return w->body_fd >= 0;
}

/* What goes in the payload: the encoding itself or its body reference. */
static inline const void *xs_wire_payload(const struct xs_wire *w,
					  size_t *len)
{
	const struct xs_buf *b = xs_wire_is_out(w) ? &w->ref : &w->body;

	*len = b->len;
	return b->data;
}

/*
 * The body threshold: an encoding above this many bytes travels out of
 * line (XS_LARGE_THRESHOLD in the environment, read once, overrides
 * XS_LARGE_THRESHOLD_DEFAULT).  The sender also moves out of line what
 * the peer's ring could not take inline, whatever the threshold.
 *
 * Measured (ool_bench --lib, Documentation/libxsession.rst), a message
 * that fits the ring went faster inline at every size up to the
 * module's default max_msg_size, 4 MiB: so by default a body goes out
 * of line when it must, not sooner.
 */
#define XS_LARGE_THRESHOLD_DEFAULT	(4u << 20)
size_t xs_large_threshold(void);

/*
 * Parses a byte count: decimal digits with an optional binary suffix
 * k/K, m/M or g/G (KiB, MiB, GiB), nothing else.  0 or -EINVAL.
 */
int xs_parse_size(const char *s, size_t *out);

/*
 * A sealed memfd (XS_MEMFD_SEALS) holding exactly @len bytes of @bytes,
 * every page present.  From the pool when a memfd of the right size
 * class is ready, else made on the spot.  The fd (O_CLOEXEC) or -errno.
 */
int xs_body_memfd(const void *bytes, size_t len);

/*
 * The pool of memfds bodies are written into.  A sealed memfd can never
 * be written again, so nothing is reused: the pool holds memfds that are
 * made and grown (fallocate) ahead of need, by a thread of its own, per
 * size class, so that the sending thread only writes, truncates to the
 * exact length and seals.  Bounded: XS_POOL_DEPTH memfds per class,
 * XS_POOL_MAX_BYTES in all, classes up to XS_POOL_CLASS_MAX; a class is
 * stocked only after a body of its size was sent, and everything is
 * dropped (and the thread ends) after XS_POOL_IDLE_SEC without a body.
 * Bodies below XS_POOL_CLASS_MIN get a memfd of their own: measured,
 * the pool does not pay for itself there (Documentation/libxsession.rst).
 * XS_BODY_POOL=0 in the environment (read once) turns the pool off.
 */
#define XS_POOL_DEPTH		2
#define XS_POOL_MAX_BYTES	(64u << 20)
#define XS_POOL_CLASS_MIN	(1u << 20)
#define XS_POOL_CLASS_MAX	(32u << 20)
#define XS_POOL_IDLE_SEC	10
/* Quarter steps of a power of two from the smallest class to the largest. */
#define XS_POOL_CLASSES		21

struct xs_pool_stats {
	size_t idle;			/* memfds ready */
	size_t idle_bytes;		/* their capacity */
	uint64_t hits;			/* bodies written into a ready memfd */
	uint64_t misses;		/* bodies that needed a new one */
	bool thread;			/* the refill thread is running */
	bool busy;			/* it has memfds to make */
};

void xs_pool_get_stats(struct xs_pool_stats *st);
/* Closes every ready memfd (tests, and the process's exit). */
void xs_pool_flush(void);
/* The capacity of the size class @len falls in, 0 beyond the largest. */
size_t xs_pool_class_size(size_t len);

#endif /* XS_WIRE_H */
