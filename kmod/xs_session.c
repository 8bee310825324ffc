// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: creation, activation, rejection, cancellation, peer death,
 * credentials, poll and fdinfo.
 *
 * Both ends of a session always end together, under xs_conn.lock: the end
 * that cancels (or whose last fd closes) learns XS_END_CANCELED, its peer
 * INVALIDATED, INTERRUPTED (the closing task was exiting) or REJECTED.
 * Each end then receives what was already queued to it (unless it
 * cancelled itself), an error reply for each request left unanswered, and
 * a final END item that carries the reason.
 */
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "xs_listener.h"
#include "xs_session.h"

/*
 * Sessions come from a cache of their own: a session is about 1.1 KiB
 * (without lock debugging), which kmalloc would round up to 2 KiB.
 */
static struct kmem_cache *xs_conn_cache;

int xs_session_cache_init(void)
{
	xs_conn_cache = KMEM_CACHE(xs_conn, SLAB_ACCOUNT);
	return xs_conn_cache ? 0 : -ENOMEM;
}

void xs_session_cache_exit(void)
{
	kmem_cache_destroy(xs_conn_cache);
}

/* Every session, for the debugfs view. */
LIST_HEAD(xs_conns);
/* Guards xs_conns only. */
DEFINE_MUTEX(xs_conns_lock);

/* Everything that cannot fail, so a half-built session can be destroyed. */
static void xs_end_init(struct xs_conn *conn, int side)
{
	struct xs_end *end = &conn->end[side];

	end->conn = conn;
	end->side = side;
	end->state = XS_ST_PENDING;
	end->next_seq = 1;
	end->next_req_seq = 1;
	mutex_init(&end->rx_read);
	mutex_init(&end->rx_write);
	init_waitqueue_head(&end->wait);
	xs_reqs_init(&end->reqs);
	xs_item_queue_init(&end->rx_items);
}

static int xs_end_init_ring(struct xs_end *end, const struct xs_ring_req *req)
{
	int ret;

	end->rx_cap = req->size;
	ret = xs_ring_init(&end->rx, req->size, req->mappable);
	if (!ret)
		xs_ring_set_index(&end->rx, xs_ring_start_index());
	return ret;
}

/* Would a message of @payload_len bytes ever fit in @end's ring? */
bool xs_end_fits(struct xs_end *end, u32 payload_len)
{
	u32 need = xs_ring_record_size(payload_len);

	return need && need <= end->rx_cap;
}

static void xs_end_destroy(struct xs_end *end)
{
	xs_item_queue_destroy(&end->rx_items);
	kvfree(end->reply_buf);
	xs_ring_destroy(&end->rx);
	/* No file is left, so no waiter can be in @reqs. */
	xs_reqs_destroy(&end->reqs);
	kfree(end->reason);
	if (end->has_creds)
		xs_creds_release(&end->creds);
}

/**
 * xs_conn_create() - a new session, both ends pending
 * @name:	the service connected to
 * @client_ring: the client's receive ring
 * @server_ring: the server's receive ring
 *
 * The caller holds the one reference; both rings are charged to the
 * caller's memory cgroup.
 */
struct xs_conn *xs_conn_create(const char *name,
			       const struct xs_ring_req *client_ring,
			       const struct xs_ring_req *server_ring)
{
	struct xs_conn *conn;
	int ret;

	conn = kmem_cache_zalloc(xs_conn_cache, GFP_KERNEL_ACCOUNT);
	if (!conn)
		return ERR_PTR(-ENOMEM);
	kref_init(&conn->ref);
	mutex_init(&conn->lock);
	INIT_LIST_HEAD(&conn->backlog_node);
	strscpy(conn->name, name, sizeof(conn->name));

	xs_end_init(conn, XS_SIDE_CLIENT);
	xs_end_init(conn, XS_SIDE_SERVER);
	ret = xs_end_init_ring(&conn->end[XS_SIDE_CLIENT], client_ring);
	if (!ret)
		ret = xs_end_init_ring(&conn->end[XS_SIDE_SERVER], server_ring);
	if (ret) {
		xs_end_destroy(&conn->end[XS_SIDE_CLIENT]);
		xs_end_destroy(&conn->end[XS_SIDE_SERVER]);
		kmem_cache_free(xs_conn_cache, conn);
		return ERR_PTR(ret);
	}

	mutex_lock(&xs_conns_lock);
	list_add_tail(&conn->node, &xs_conns);
	mutex_unlock(&xs_conns_lock);
	return conn;
}

void xs_conn_get(struct xs_conn *conn)
{
	kref_get(&conn->ref);
}

static void xs_conn_free(struct kref *ref)
{
	struct xs_conn *conn = container_of(ref, struct xs_conn, ref);

	mutex_lock(&xs_conns_lock);
	list_del(&conn->node);
	mutex_unlock(&xs_conns_lock);

	xs_end_destroy(&conn->end[XS_SIDE_CLIENT]);
	xs_end_destroy(&conn->end[XS_SIDE_SERVER]);
	kmem_cache_free(xs_conn_cache, conn);
}

void xs_conn_put(struct xs_conn *conn)
{
	kref_put(&conn->ref, xs_conn_free);
}

/* Returns false when @end had ended already; @reason is then freed. */
static bool xs_end_set_ended_locked(struct xs_end *end, int why,
				    char *reason, u32 reason_len)
{
	if (end->state == XS_ST_ENDED) {
		kfree(reason);
		return false;
	}
	WRITE_ONCE(end->why, why);
	end->reason = reason;
	end->reason_len = reason_len;
	xs_end_set_state(end, XS_ST_ENDED);
	xs_ring_set_ended(&end->rx);
	xs_end_fail_waiters_locked(end, why);
	wake_up_all(&end->wait);
	return true;
}

/**
 * xs_end_terminate_locked() - end the session from @end's side
 * @end:	the end that cancels, rejects or closes
 * @why:	what @end's own END item says
 * @peer_why:	what the peer's END item says
 * @peer_reason: kmalloc'ed text for the peer (consumed), or NULL
 * @peer_reason_len: bytes of @peer_reason
 */
void xs_end_terminate_locked(struct xs_end *end, int why, int peer_why,
			     char *peer_reason, u32 peer_reason_len)
{
	lockdep_assert_held(&end->conn->lock);
	xs_end_set_ended_locked(end, why, NULL, 0);
	xs_end_set_ended_locked(xs_peer(end), peer_why, peer_reason,
				peer_reason_len);
}

/*
 * A client whose request still sits in the backlog takes it back, so the
 * listener neither counts it nor offers it to accept().
 */
static void xs_conn_withdraw(struct xs_conn *conn)
{
	struct xs_listener *l;
	bool withdrawn = false;

	mutex_lock(&conn->lock);
	l = conn->listener;
	if (l)
		kref_get(&l->ref);
	mutex_unlock(&conn->lock);
	if (!l)
		return;

	mutex_lock(&l->lock);
	mutex_lock(&conn->lock);
	if (conn->listener == l) {
		list_del_init(&conn->backlog_node);
		l->backlog_len--;
		conn->listener = NULL;
		withdrawn = true;
	}
	mutex_unlock(&conn->lock);
	mutex_unlock(&l->lock);

	if (withdrawn) {
		xs_listener_put(l);	/* the backlog's reference */
		xs_conn_put(conn);
	}
	xs_listener_put(l);
}

/* Remember whether the task closing this fd is exiting (see release). */
void xs_end_flush(struct xs_end *end)
{
	WRITE_ONCE(end->exiting, !!(current->flags & PF_EXITING));
}

/**
 * xs_end_release() - the last fd of @end was closed
 * @end:	the end
 *
 * An implicit cancel.  The peer learns INTERRUPTED when the fd went away
 * because its process exited, INVALIDATED when it was closed on purpose.
 * No ring lock is taken: a peer stalled inside a copy from its own memory
 * must not be able to hold up this close (the rings go with the session).
 */
void xs_end_release(struct xs_end *end)
{
	struct xs_conn *conn = end->conn;
	int peer_why;

	mutex_lock(&conn->lock);
	peer_why = READ_ONCE(end->exiting) ? XS_END_INTERRUPTED :
					     XS_END_INVALIDATED;
	xs_end_terminate_locked(end, XS_END_CANCELED, peer_why, NULL, 0);
	mutex_unlock(&conn->lock);

	xs_conn_withdraw(conn);
	xs_conn_put(conn);
}

/* Copy a cancel/reject request and its reason (NULL for none). */
int xs_cancel_in(void __user *uarg, char **reason, u32 *len)
{
	struct xs_cancel c;
	u32 usize;
	int ret;

	*reason = NULL;
	*len = 0;
	ret = xs_copy_struct_in(&c, sizeof(c), sizeof(c), uarg, &usize);
	if (ret)
		return ret;
	if (c.flags || c.__pad || !xs_reserved_clear(c.reserved) ||
	    c.reason_len > XS_REASON_MAX)
		return -EINVAL;
	if (!c.reason_len)
		return 0;

	*reason = memdup_user(u64_to_user_ptr(c.reason), c.reason_len);
	if (IS_ERR(*reason)) {
		ret = PTR_ERR(*reason);
		*reason = NULL;
		return ret;
	}
	*len = c.reason_len;
	return 0;
}

static long xs_ioctl_cancel(struct xs_end *end, void __user *uarg)
{
	struct xs_conn *conn = end->conn;
	char *reason;
	u32 len;
	int ret;

	ret = xs_cancel_in(uarg, &reason, &len);
	if (ret)
		return ret;

	mutex_lock(&conn->lock);
	if (end->state == XS_ST_ENDED) {
		/* Cancelling twice is a mistake; after the peer ended, a no-op. */
		ret = end->why == XS_END_CANCELED ? -EALREADY : 0;
		kfree(reason);
	} else {
		xs_end_terminate_locked(end, XS_END_CANCELED,
					XS_END_INVALIDATED, reason, len);
	}
	mutex_unlock(&conn->lock);
	xs_conn_withdraw(conn);
	return ret;
}

static long xs_ioctl_reject(struct xs_end *end, void __user *uarg)
{
	struct xs_conn *conn = end->conn;
	char *reason;
	u32 len;
	int ret;

	ret = xs_cancel_in(uarg, &reason, &len);
	if (ret)
		return ret;

	mutex_lock(&conn->lock);
	if (end->state == XS_ST_DECIDING) {
		xs_end_terminate_locked(end, XS_END_CANCELED, XS_END_REJECTED,
					reason, len);
		reason = NULL;
	} else {
		ret = end->state == XS_ST_ENDED ? -ESHUTDOWN : -EINVAL;
	}
	mutex_unlock(&conn->lock);
	kfree(reason);
	return ret;
}

static long xs_ioctl_activate(struct xs_end *end)
{
	struct xs_conn *conn = end->conn;
	struct xs_end *peer = xs_peer(end);
	int ret = 0;

	mutex_lock(&conn->lock);
	switch (end->state) {
	case XS_ST_DECIDING:
		WRITE_ONCE(conn->activated, true);
		xs_end_set_state(end, XS_ST_CONNECTED);
		if (peer->state == XS_ST_PENDING)
			xs_end_set_state(peer, XS_ST_CONNECTED);
		wake_up_all(&end->wait);
		wake_up_all(&peer->wait);
		break;
	case XS_ST_CONNECTED:
		ret = end->side == XS_SIDE_SERVER ? -EALREADY : -EINVAL;
		break;
	case XS_ST_ENDED:
		ret = -ESHUTDOWN;
		break;
	default:
		ret = -EINVAL;	/* a client has nothing to activate */
		break;
	}
	mutex_unlock(&conn->lock);
	return ret;
}

static long xs_ioctl_peer_creds(struct xs_end *end, void __user *uarg)
{
	struct xs_end *peer = xs_peer(end);
	struct xs_peer_creds pc;
	bool known;
	u32 usize;
	int ret;

	ret = xs_copy_struct_in(&pc, sizeof(pc), sizeof(pc), uarg, &usize);
	if (ret)
		return ret;
	if (pc.flags || !xs_reserved_clear(pc.reserved))
		return -EINVAL;

	/* Set once, before the end's file exists; stable after. */
	mutex_lock(&end->conn->lock);
	known = peer->has_creds;
	mutex_unlock(&end->conn->lock);
	if (!known)
		return -ENOTCONN;	/* no server has accepted yet */

	ret = xs_creds_to_user(&peer->creds, &pc);
	if (ret)
		return ret;
	return xs_copy_struct_out(uarg, &pc, sizeof(pc), usize);
}

long xs_session_ioctl(struct file *file, struct xs_end *end,
		      unsigned int cmd, void __user *uarg)
{
	bool nowait = file->f_flags & O_NONBLOCK;

	switch (cmd) {
	case XS_IOC_SEND:
		return xs_ioctl_send(end, uarg, nowait);
	case XS_IOC_SEND_SYNC:
		return xs_ioctl_send_sync(end, uarg, nowait);
	case XS_IOC_SEND_BATCH:
		return xs_ioctl_send_batch(end, uarg, nowait);
	case XS_IOC_RECV:
		return xs_ioctl_recv(end, uarg, nowait, false);
	case XS_IOC_CANCEL:
		return xs_ioctl_cancel(end, uarg);
	case XS_IOC_REJECT:
		return xs_ioctl_reject(end, uarg);
	case XS_IOC_ACTIVATE:
		return xs_ioctl_activate(end);
	case XS_IOC_PEER_CREDS:
		return xs_ioctl_peer_creds(end, uarg);
	case XS_IOC_RING_WAIT:
		return xs_ioctl_ring_wait(end, uarg, nowait, false);
	case XS_IOC_LISTEN:
	case XS_IOC_CONNECT:
		return -EISCONN;
	case XS_IOC_ACCEPT:
		return -EINVAL;
	default:
		return -ENOTTY;
	}
}

/**
 * xs_session_uring_cmd() - a session call submitted through io_uring
 * @end:	the session end
 * @cmd:	the ioctl command it stands for
 * @uarg:	the ioctl's struct
 * @nowait:	io_uring's first, non-blocking attempt
 *
 * The same handlers, and so the same checks, as the ioctls: uring_cmd
 * bypasses seccomp, never our own validation.  Where the call would
 * block, -EAGAIN makes io_uring issue it again from a worker that may
 * sleep.  A synchronous send, and a batch that may block, go there at
 * once: giving up halfway would send something twice on the retry.
 *
 * Return: what the ioctl returns.
 */
int xs_session_uring_cmd(struct xs_end *end, unsigned int cmd,
			 void __user *uarg, bool nowait)
{
	long ret;

	switch (cmd) {
	case XS_IOC_SEND:
		ret = xs_ioctl_send(end, uarg, nowait);
		break;
	case XS_IOC_RECV:
		ret = xs_ioctl_recv(end, uarg, nowait, nowait);
		break;
	case XS_IOC_RING_WAIT:
		ret = xs_ioctl_ring_wait(end, uarg, nowait, nowait);
		break;
	case XS_IOC_SEND_SYNC:
	case XS_IOC_SEND_BATCH:
		if (nowait)
			return -EAGAIN;
		ret = cmd == XS_IOC_SEND_SYNC ?
		      xs_ioctl_send_sync(end, uarg, false) :
		      xs_ioctl_send_batch(end, uarg, false);
		break;
	default:
		return -ENOTTY;
	}
	/* A worker interrupted by io_uring's cancel: not restartable. */
	return ret == -ERESTARTSYS ? -EINTR : ret;
}

__poll_t xs_session_poll(struct file *file, struct xs_end *end,
			 poll_table *pt)
{
	__poll_t mask = 0;
	int state;

	poll_wait(file, &end->wait, pt);
	state = xs_end_state(end);

	if (xs_end_has_items(end))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (state == XS_ST_ENDED) {
		int why = READ_ONCE(end->why);

		if (!(mask & EPOLLIN))
			mask |= EPOLLHUP;
		if (why == XS_END_REJECTED || why == XS_END_LISTENER_GONE)
			mask |= EPOLLERR;
	} else if (xs_end_can_send(end)) {
		mask |= EPOLLOUT | EPOLLWRNORM;
	}
	return mask;
}

static const char *const xs_state_names[] = {
	[XS_ST_PENDING] = "pending",
	[XS_ST_DECIDING] = "deciding",
	[XS_ST_CONNECTED] = "connected",
	[XS_ST_ENDED] = "ended",
};

static const char *const xs_why_names[] = {
	[XS_END_NONE] = "none",
	[XS_END_CANCELED] = "canceled",
	[XS_END_INVALIDATED] = "invalidated",
	[XS_END_INTERRUPTED] = "interrupted",
	[XS_END_REJECTED] = "rejected",
	[XS_END_LISTENER_GONE] = "listener-gone",
};

const char *xs_state_name(int state)
{
	if (state < 0 || state >= ARRAY_SIZE(xs_state_names))
		return "?";
	return xs_state_names[state];
}

const char *xs_why_name(int why)
{
	if (why < 0 || why >= ARRAY_SIZE(xs_why_names))
		return "?";
	return xs_why_names[why];
}

void xs_session_show_fdinfo(struct seq_file *m, struct xs_end *end)
{
	struct xs_conn *conn = end->conn;

	mutex_lock(&conn->lock);
	seq_printf(m, "xs-kind:\tsession\nxs-side:\t%s\nxs-service:\t%s\n",
		   end->side == XS_SIDE_CLIENT ? "client" : "server",
		   conn->name);
	seq_printf(m, "xs-state:\t%s\n", xs_state_name(end->state));
	if (end->state == XS_ST_ENDED)
		seq_printf(m, "xs-ended:\t%s\n", xs_why_name(end->why));
	seq_printf(m, "xs-rx-bytes:\t%u\nxs-rx-size:\t%u\n",
		   xs_ring_used(&end->rx), end->rx.size);
	seq_printf(m, "xs-rx-mappable:\t%s\n", end->rx.ctl ? "yes" : "no");
	seq_printf(m, "xs-awaiting-replies:\t%u\n", end->reqs.nr_awaited);
	mutex_unlock(&conn->lock);
}
