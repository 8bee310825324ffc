/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sessions: one struct xs_conn per session, holding both ends.
 */
#ifndef _XS_SESSION_H
#define _XS_SESSION_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>

#include "xs_creds.h"
#include "xs_internal.h"
#include "xs_items.h"
#include "xs_requests.h"
#include "xs_ring.h"

enum xs_side {
	XS_SIDE_CLIENT = 0,
	XS_SIDE_SERVER = 1,
};

/**
 * enum xs_end_state - life cycle of one end
 * @XS_ST_PENDING:	client: queued at the listener or not yet activated
 *			by the server; it may send already.  Server: still
 *			in the listener's backlog (no file yet).
 * @XS_ST_DECIDING:	server: accepted, not yet activated or rejected.
 * @XS_ST_CONNECTED:	both sides may send.
 * @XS_ST_ENDED:	final; @why says why.
 */
enum xs_end_state {
	XS_ST_PENDING = 0,
	XS_ST_DECIDING,
	XS_ST_CONNECTED,
	XS_ST_ENDED,
};

/**
 * struct xs_reply_buf - a synchronous reply's payload, in the kernel
 * @cap:	bytes at @data.
 * @data:	the payload.
 */
struct xs_reply_buf {
	u32 cap;
	u8 data[] __counted_by(cap);
};

/**
 * struct xs_sync_waiter - a synchronous sender waiting for its reply
 * @done:	set (release, under xs_conn.lock) once @hdr, @buf and @items
 *		are; the waiter sleeps on its end's @wait until it sees it
 *		(acquire).  Whoever sets it must not touch the waiter after:
 *		it may be gone.
 * @hdr:	the reply's header (kind, status, flags, payload_len,
 *		nr_items).
 * @buf:	the reply's payload (NULL for a kernel error reply), owned
 *		by the waiter once done.
 * @items:	the reply's out-of-line items, owned by the waiter once done.
 * @ubuf:	where the waiter wants the reply's payload (its reply_buf).
 * @ucap:	bytes there.
 * @mm:		the waiter's mm, for a direct reply (xs_direct.h); valid while
 *		the waiter waits, which the replier makes sure of by holding
 *		xs_conn.lock.
 * @direct:	the replier put the payload into @ubuf itself: @buf is NULL.
 *
 * Lives on the waiter's stack; reachable through its request (struct
 * xs_req) only while it waits.
 */
struct xs_sync_waiter {
	bool done;
	struct xs_msg_hdr hdr;
	struct xs_reply_buf *buf;
	struct xs_items *items;
	u64 ubuf;
	u32 ucap;
	struct mm_struct *mm;
	bool direct;
};

/**
 * struct xs_end - one side of a session
 * @conn:	the session.
 * @side:	enum xs_side.
 * @state:	enum xs_end_state, under conn->lock (poll reads it locklessly).
 * @why:	enum xs_end_reason once ENDED: what this end's END item says.
 * @reason:	text for this end's END item (kmalloc'ed) or NULL.
 * @reason_len:	bytes of @reason.
 * @end_taken:	the END item was received; nothing is left to read.
 * @exiting:	the last close of this end's fd came from an exiting task:
 *		the peer learns INTERRUPTED rather than INVALIDATED.
 * @rx:		messages to this end; freed with the session, so a sender
 *		never races with its destruction.
 * @rx_cap:	@rx's size, fixed at creation (the largest record it holds).
 * @rx_items:	the out-of-line items of messages in @rx.
 * @reply_buf:	the buffer this end's last synchronous reply came in,
 *		kept for the next one (exchanged atomically), or NULL.
 * @rx_read:	serializes receivers.
 * @rx_write:	serializes senders into @rx, held across their user copy.
 * @wait:	everything a user of this end waits for: items in @rx, room
 *		in the peer's @rx, state changes, replies.
 * @next_seq:	sequence number of the next message (not request) this end
 *		sends.
 * @next_req_seq: sequence number of the next request this end sends; a
 *		separate count, so an odd id below it was surely a request.
 * @reqs:	requests this end sent that are owed a reply (the peer
 *		answers from this table too).
 * @creds:	credentials of this end's owner (client: at connect;
 *		server: at accept).
 * @has_creds:	@creds was captured.
 */
struct xs_end {
	struct xs_conn *conn;
	int side;
	int state;
	int why;
	char *reason;
	u32 reason_len;
	bool end_taken;
	bool exiting;
	struct xs_ring rx;
	u32 rx_cap;
	struct xs_item_queue rx_items;
	struct xs_reply_buf *reply_buf;
	struct mutex rx_read;	/* see above */
	struct mutex rx_write;	/* see above */
	wait_queue_head_t wait;
	u64 next_seq;
	u64 next_req_seq;
	struct xs_req_table reqs;
	struct xs_creds creds;
	bool has_creds;
};

/**
 * struct xs_conn - a session
 * @ref:	held by each end's file and by the listener's backlog.
 * @lock:	guards both ends' @state, @why, @reason, @reqs.
 * @end:	indexed by enum xs_side.
 * @listener:	while the request sits in the backlog (referenced).
 * @backlog_node: entry in listener->backlog.
 * @activated:	the server activated the session (a client waiting in
 *		XS_CONNECT_WAIT succeeds even if the session ended since).
 * @name:	the service name connected to (for descriptions).
 * @node:	entry in the global list of sessions (debugfs).
 */
struct xs_conn {
	struct kref ref;
	struct mutex lock;	/* see above */
	struct xs_end end[2];
	struct xs_listener *listener;
	struct list_head backlog_node;
	bool activated;
	char name[XS_NAME_MAX];
	struct list_head node;
};

/*
 * An end's state is written under xs_conn.lock and read without it by
 * poll and wait conditions.  The release store publishes @why, @reason
 * and the failed waiters before the new state; the acquire load pairs
 * with it, so a reader that sees XS_ST_ENDED also sees why.
 */
static inline int xs_end_state(struct xs_end *end)
{
	/* Pairs with xs_end_set_state(). */
	return smp_load_acquire(&end->state);
}

static inline void xs_end_set_state(struct xs_end *end, int state)
{
	lockdep_assert_held(&end->conn->lock);
	/* Pairs with xs_end_state(). */
	smp_store_release(&end->state, state);
}

static inline struct xs_end *xs_peer(struct xs_end *end)
{
	return &end->conn->end[!end->side];
}

/* xs_session.c */
int xs_session_cache_init(void);
void xs_session_cache_exit(void);
struct xs_conn *xs_conn_create(const char *name,
			       const struct xs_ring_req *client_ring,
			       const struct xs_ring_req *server_ring);
void xs_conn_get(struct xs_conn *conn);
void xs_conn_put(struct xs_conn *conn);
void xs_end_terminate_locked(struct xs_end *end, int why, int peer_why,
			     char *peer_reason, u32 peer_reason_len);
void xs_end_release(struct xs_end *end);
int xs_cancel_in(void __user *uarg, char **reason, u32 *len);
bool xs_end_fits(struct xs_end *end, u32 payload_len);
void xs_end_flush(struct xs_end *end);
long xs_session_ioctl(struct file *file, struct xs_end *end,
		      unsigned int cmd, void __user *uarg);
__poll_t xs_session_poll(struct file *file, struct xs_end *end,
			 poll_table *pt);
void xs_session_show_fdinfo(struct seq_file *m, struct xs_end *end);
const char *xs_state_name(int state);
const char *xs_why_name(int why);

extern struct list_head xs_conns;
extern struct mutex xs_conns_lock;

/* xs_message.c */
long xs_ioctl_send(struct xs_end *end, void __user *uarg, bool nowait);
int xs_send_first(struct xs_end *end, u64 usend, bool nowait, bool nonblock,
		  bool may_retry);
long xs_ioctl_send_sync(struct xs_end *end, void __user *uarg, bool nowait);
long xs_ioctl_send_batch(struct xs_end *end, void __user *uarg, bool nowait);
long xs_ioctl_recv(struct xs_end *end, void __user *uarg, bool nowait,
		   bool may_retry);
int xs_session_uring_cmd(struct xs_end *end, unsigned int cmd,
			 void __user *uarg, bool nowait);
ssize_t xs_session_read(struct xs_end *end, void __user *buf, size_t len,
			bool nonblock);
ssize_t xs_session_write(struct xs_end *end, const void __user *buf,
			 size_t len, bool nonblock);
void xs_end_fail_waiters_locked(struct xs_end *end, int why);
bool xs_end_has_items(struct xs_end *end);
#if IS_ENABLED(CONFIG_KUNIT)
u64 xs_next_id_locked(struct xs_end *end, bool request);
int xs_reply_id_error(struct xs_end *requester, u64 id);
#endif
bool xs_end_can_send(struct xs_end *end);
void xs_end_reap_items(struct xs_end *end);

/* xs_mmap.c */
int xs_session_mmap(struct xs_end *end, struct vm_area_struct *vma);
long xs_ioctl_ring_wait(struct xs_end *end, void __user *uarg, bool nowait,
			bool may_retry);

#endif /* _XS_SESSION_H */
