/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xsession module internals shared between its files.
 *
 * Map of the module:
 *   xs_module.c    load/unload
 *   xs_limits.c    module parameters (limits), read-only after load
 *   xs_device.c    /dev/xsession and session fds: file operations, dispatch
 *   xs_uaccess.c   copying size-versioned structs from and to userspace
 *   xs_info.c      XS_IOC_INFO: version, features, limits, struct sizes
 *   xs_registry.c  service names, per IPC namespace and domain
 *   xs_creds.c     credentials captured at connect/accept, requirements
 *   xs_ring.c      the receive ring every session end owns
 *   xs_mmap.c      mapping a ring into the receiver, XS_IOC_RING_WAIT
 *   xs_listener.c  listeners: listen, connect, accept
 *   xs_session.c   sessions: life cycle, activation, cancel, peer death
 *   xs_message.c   send, synchronous send, receive, replies owed
 *   xs_requests.c  the requests an end sent that are owed a reply
 *   xs_direct.c    large replies copied once, into a waiting sender's buffer
 *   xs_items.c     files that travel with messages (out-of-line items)
 *   xs_debugfs.c   read-only debugfs view of listeners and sessions
 *
 * Objects and their lifetimes:
 *   struct xs_endpoint  one per open file (private_data); owns a reference
 *                       on what it became (listener or session conn).
 *   struct xs_listener  kref; held by its endpoint and by each connect in
 *                       flight.
 *   struct xs_conn      kref; one per session, embeds both ends (client
 *                       and server); held by each end's file and by the
 *                       listener's backlog while the request waits.
 *
 * Locking order (outer to inner):
 *   xs_endpoint.lock > xs_listener.lock > xs_end.rx_read > xs_end.rx_write
 *   > xs_conn.lock > registry lock
 *   xs_conns_lock (the list debugfs walks) > xs_conn.lock
 *   leaves, holding nothing else: xs_ring.populate_lock (also taken under
 *   mmap_lock), xs_item_queue.lock (a spinlock)
 * A sender may only *try* the receiver's rx_read (to reap items), before
 * it takes rx_write.  mmap() takes no session lock.
 * xs_end.rx_write serializes producers into one ring and is held across
 * the copy from the sender's memory; xs_conn.lock (a mutex) guards the
 * states of both ends and the reply tables, never across a user copy.
 * Ring indices and end states are also read locklessly by poll (acquire
 * loads paired with release stores).
 */
#ifndef _XS_INTERNAL_H
#define _XS_INTERNAL_H

#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xsession.h>

/* Feature bits this build of the module implements. */
#define XS_FEATURES_SUPPORTED \
	(XS_FEATURE_INFO | XS_FEATURE_SESSIONS | XS_FEATURE_BATCH | \
	 XS_FEATURE_URING_CMD | XS_FEATURE_RING_MMAP | XS_FEATURE_ITEMS)

struct xs_limits {
	u32 max_msg_size;
	u32 ring_size_default;
	u32 ring_size_max;
	u32 backlog_default;
	u32 backlog_max;
	u32 max_outstanding;
};

extern struct xs_limits xs_limits;

int xs_limits_init(void);
u32 xs_ring_size_resolve(u32 requested);
u32 xs_ring_start_index(void);

struct xs_listener;
struct xs_end;

/**
 * enum xs_ep_kind - what an open file has become; set once
 * @XS_EP_UNBOUND:	freshly opened /dev/xsession.
 * @XS_EP_LISTENER:	after XS_IOC_LISTEN.
 * @XS_EP_SESSION:	a client after XS_IOC_CONNECT, or a server session
 *			fd from XS_IOC_ACCEPT.
 */
enum xs_ep_kind {
	XS_EP_UNBOUND = 0,
	XS_EP_LISTENER,
	XS_EP_SESSION,
};

/**
 * struct xs_endpoint - per-file state
 * @lock:	serializes binding (LISTEN, CONNECT) of an unbound endpoint.
 * @kind:	enum xs_ep_kind; written once with release semantics after
 *		@listener or @end is set, read with acquire.
 * @listener:	the listener, when @kind is XS_EP_LISTENER.
 * @end:	this file's end of a session, when @kind is XS_EP_SESSION.
 * @wait:	poll waiters of an unbound endpoint (a bound one uses the
 *		listener's or the end's queue).
 */
struct xs_endpoint {
	struct mutex lock;	/* see above */
	int kind;
	union {
		struct xs_listener *listener;
		struct xs_end *end;
	};
	wait_queue_head_t wait;
};

/*
 * An endpoint is bound once: the release store of @kind publishes the
 * listener or end pointer set before it; the acquire load pairs with it,
 * so whoever sees the kind sees the object.
 */
static inline int xs_ep_kind(const struct xs_endpoint *ep)
{
	/* Pairs with xs_ep_bind(). */
	return smp_load_acquire(&ep->kind);
}

static inline void xs_ep_bind(struct xs_endpoint *ep, int kind)
{
	lockdep_assert_held(&ep->lock);
	/* Pairs with xs_ep_kind(). */
	smp_store_release(&ep->kind, kind);
}

int xs_device_register(void);
void xs_device_unregister(void);
struct file *xs_endpoint_file_create(struct xs_end *end, int flags);
bool xs_file_is_endpoint(const struct file *file);

int xs_copy_struct_in(void *dst, size_t ksize, size_t min_size,
		      const void __user *uarg, u32 *usize);
int xs_copy_struct_out(void __user *uarg, const void *src, size_t ksize,
		       u32 usize);

/* Reserved fields must be zero, or a later meaning would be ignored. */
#define xs_reserved_clear(arr) xs_mem_is_zero(arr, sizeof(arr))
bool xs_mem_is_zero(const void *p, size_t len);

long xs_ioctl_info(void __user *uarg);

void xs_debugfs_init(void);
void xs_debugfs_exit(void);

#endif /* _XS_INTERNAL_H */
