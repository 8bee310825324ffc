// SPDX-License-Identifier: GPL-2.0
/*
 * Messages: send, synchronous send, receive, and the replies each end owes.
 *
 * A message is copied once, from the sender's memory straight into the
 * receiver's ring (xs_ring.c).  Requests are numbered apart from other
 * messages and get odd ids, (request sequence << 1) | 1, the others even
 * ones, so the kernel can tell "never a request" (-EINVAL) from "a request
 * already answered" (-EALREADY) without remembering every answer.  A
 * reply to a synchronous sender bypasses the ring and is handed to the
 * waiting thread.
 *
 * When a session ends, every request still awaiting a reply fails: sync
 * senders wake at once, asynchronous ones get one kernel-made error reply
 * each, after the messages already queued and before the END item.
 */
#include <kunit/visibility.h>
#include <linux/export.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/stddef.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "xs_direct.h"
#include "xs_session.h"

#define XS_ID_REQUEST	1ULL

/* What one send asks for, whichever call it came from. */
struct xs_out {
	u16 kind;
	u16 flags;
	u32 status;
	u64 reply_to;
	const void __user *payload;
	u32 len;
	bool nonblock;
	bool wake_sync;
	struct xs_sync_waiter *waiter;
	struct xs_items *items;
};

/*
 * Wake whoever waits on @end.  @sync: the waker is about to sleep (a
 * synchronous sender, or a server that replies and then receives), so
 * the scheduler may run the woken task on the waker's CPU at once, as
 * binder does, instead of sending an IPI to another.
 */
static void xs_wake(struct xs_end *end, bool sync)
{
	if (sync)
		wake_up_sync(&end->wait);
	else
		wake_up_all(&end->wait);
}

/* Hand @w its reply (filled in by the caller); @w may be gone after. */
static void xs_sync_done_locked(struct xs_end *requester,
				struct xs_sync_waiter *w, bool sync)
{
	lockdep_assert_held(&requester->conn->lock);
	/* The reply's fields before the flag the waiter looks at. */
	smp_store_release(&w->done, true);
	xs_wake(requester, sync);
}

VISIBLE_IF_KUNIT u64 xs_next_id_locked(struct xs_end *end, bool request)
{
	if (request)
		return (end->next_req_seq++ << 1) | XS_ID_REQUEST;
	return end->next_seq++ << 1;
}
EXPORT_SYMBOL_IF_KUNIT(xs_next_id_locked);

/* Why a reply to @id is refused, given the end that would have sent it. */
VISIBLE_IF_KUNIT int xs_reply_id_error(struct xs_end *requester, u64 id)
{
	u64 seq = id >> 1;

	if ((id & XS_ID_REQUEST) && seq && seq < requester->next_req_seq)
		return -EALREADY;
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(xs_reply_id_error);

static bool xs_state_can_send(struct xs_end *end)
{
	int state = xs_end_state(end);

	return state == XS_ST_CONNECTED ||
	       (state == XS_ST_PENDING && end->side == XS_SIDE_CLIENT);
}

static int xs_send_state_error(struct xs_end *end)
{
	if (xs_end_state(end) == XS_ST_ENDED)
		return -ESHUTDOWN;
	return -ENOTCONN;	/* an undecided server session: activate first */
}

/*
 * POLLOUT: room for the smallest message.  On a mapped peer ring this
 * also asks the receiver to wake us when it frees room, as a sender that
 * sleeps in xs_wait_for_room() does: poll is about to sleep too.
 */
bool xs_end_can_send(struct xs_end *end)
{
	return xs_state_can_send(end) &&
	       xs_ring_room_or_arm(&xs_peer(end)->rx, xs_ring_record_size(0));
}

/* Is anything left to receive?  Lockless: poll and wait conditions. */
bool xs_end_has_items(struct xs_end *end)
{
	if (xs_end_state(end) != XS_ST_ENDED)
		return !xs_ring_empty(&end->rx);
	if (!xs_ring_empty(&end->rx))
		return true;	/* after a local cancel, maybe a reply to convert */
	return READ_ONCE(end->reqs.nr_awaited) || !READ_ONCE(end->end_taken);
}

/**
 * xs_end_fail_waiters_locked() - wake every synchronous sender of @end
 * @end:	an end that just ended
 * @why:	enum xs_end_reason, reported as the reply's status
 *
 * Asynchronous requests stay awaited: xs_recv_item() turns them into
 * error replies once the ring is drained.
 */
void xs_end_fail_waiters_locked(struct xs_end *end, int why)
{
	struct xs_sync_waiter *w;
	struct xs_req *r;

	lockdep_assert_held(&end->conn->lock);
	list_for_each_entry(r, &end->reqs.list, lnode) {
		w = r->waiter;
		if (!r->awaited || !w)
			continue;
		xs_reqs_withdraw(&end->reqs, r);
		w->hdr = (struct xs_msg_hdr) {
			.kind = XS_MSG_ERROR_REPLY,
			.flags = XS_MSGF_KERNEL,
			.status = why,
			.reply_to = r->id,
		};
		w->buf = NULL;
		w->items = NULL;
		/* The caller wakes every waiter of @end next. */
		smp_store_release(&w->done, true);
	}
}

/*
 * Check that @end owes a reply to @m->reply_to.  Returns the peer's
 * request (its @awaited and @waiter say who, if anyone, waits for the
 * reply) or an ERR_PTR.
 */
static struct xs_req *xs_reply_target_locked(struct xs_end *end,
					     const struct xs_out *m)
{
	struct xs_end *peer = xs_peer(end);
	struct xs_req *r = xs_reqs_find(&peer->reqs, m->reply_to);

	return r ? r : ERR_PTR(xs_reply_id_error(peer, m->reply_to));
}

/* The reply settles the request: the peer no longer awaits it. */
static void xs_reply_settle_locked(struct xs_end *end, struct xs_req *r)
{
	xs_reqs_remove(&xs_peer(end)->reqs, r);
}

/* Largest reply buffer an end keeps for the next synchronous reply. */
#define XS_REPLY_BUF_KEEP	(256 * 1024)

/*
 * A buffer for a synchronous reply of @len bytes to @requester: the one
 * its last synchronous reply came in, when that is large enough, so a
 * steady stream of replies costs no allocation and no zeroing of fresh
 * memory.  Stale bytes never leak: a reply is delivered only once all
 * of its @len bytes were copied in.
 */
static struct xs_reply_buf *xs_reply_buf_get(struct xs_end *requester,
					     u32 len)
{
	struct xs_reply_buf *b = xchg(&requester->reply_buf, NULL);
	u32 cap;

	if (b && b->cap >= len)
		return b;
	kvfree(b);
	cap = max_t(u32, len, 256);
	if (cap <= XS_REPLY_BUF_KEEP)
		cap = roundup_pow_of_two(cap);
	b = kvmalloc(struct_size(b, data, cap), GFP_KERNEL_ACCOUNT);
	if (b)
		b->cap = cap;
	return b;
}

/* The waiter is done with @b: keep it for the next reply, or free it. */
static void xs_reply_buf_put(struct xs_end *requester, struct xs_reply_buf *b)
{
	if (b && (b->cap > XS_REPLY_BUF_KEEP ||
		  cmpxchg(&requester->reply_buf, NULL, b)))
		kvfree(b);
}

/*
 * The payload of a reply to a synchronous sender, on its way: pinned for
 * a direct copy into the waiter's buffer (large replies), or copied into
 * a kernel buffer now, before the session's lock is taken.
 */
struct xs_reply_payload {
	struct xs_direct direct;
	struct xs_reply_buf *buf;
};

static int xs_reply_payload_get(struct xs_end *end, const struct xs_out *m,
				struct xs_reply_payload *p)
{
	int ret;

	memset(p, 0, sizeof(*p));
	if (m->len >= XS_DIRECT_MIN) {
		ret = xs_direct_pin(&p->direct, m->payload, m->len);
		if (ret != -EAGAIN)
			return ret;
	}
	p->buf = xs_reply_buf_get(xs_peer(end), m->len);
	if (!p->buf)
		return -ENOMEM;
	if (copy_from_user(p->buf->data, m->payload, m->len)) {
		xs_reply_buf_put(xs_peer(end), p->buf);
		return -EFAULT;
	}
	return 0;
}

/*
 * Under conn->lock: put the payload where waiter @w will find it, into
 * its own buffer when that can be done without a fault, else into a
 * kernel buffer, from the pinned pages (no fault there either).
 */
static int xs_reply_payload_deliver_locked(struct xs_end *end,
					   struct xs_reply_payload *p,
					   struct xs_sync_waiter *w)
{
	if (!p->direct.pages)
		return 0;
	if (xs_direct_to_waiter(&p->direct, w)) {
		w->direct = true;
		return 0;
	}
	p->buf = xs_reply_buf_get(xs_peer(end), p->direct.len);
	if (!p->buf)
		return -ENOMEM;
	xs_direct_to_kernel(&p->direct, p->buf->data);
	return 0;
}

/*
 * A reply to a synchronous sender: copy it out of the replier's memory
 * (or pin it) before taking the lock, then hand it over.
 */
static int xs_reply_to_waiter(struct xs_end *end, struct xs_out *m,
			      u64 *id_out)
{
	struct xs_conn *conn = end->conn;
	struct xs_reply_payload p;
	struct xs_sync_waiter *w;
	struct xs_req *r;
	int ret;

	ret = xs_reply_payload_get(end, m, &p);
	if (ret)
		return ret;

	mutex_lock(&conn->lock);
	if (!xs_state_can_send(end)) {
		ret = xs_send_state_error(end);
		goto out;
	}
	r = xs_reply_target_locked(end, m);
	if (IS_ERR(r)) {
		ret = PTR_ERR(r);
		goto out;
	}
	/* The waiter may have given up while we copied: then it is dropped. */
	w = r->awaited ? r->waiter : NULL;
	if (w) {
		ret = xs_reply_payload_deliver_locked(end, &p, w);
		if (ret)
			goto out;
	}
	*id_out = xs_next_id_locked(end, false);
	xs_reply_settle_locked(end, r);
	if (w) {
		w->hdr = (struct xs_msg_hdr) {
			.kind = m->kind,
			.flags = m->flags,
			.status = m->status,
			.payload_len = m->len,
			.nr_items = m->items ? m->items->nr : 0,
			.id = *id_out,
			.reply_to = m->reply_to,
		};
		w->buf = p.buf;
		w->items = m->items;
		p.buf = NULL;
		m->items = NULL;
		xs_sync_done_locked(xs_peer(end), w, m->wake_sync);
	}
out:
	mutex_unlock(&conn->lock);
	xs_direct_unpin(&p.direct);
	xs_reply_buf_put(xs_peer(end), p.buf);
	return ret;
}

/*
 * Under conn->lock, after the payload is in the ring: make it a message.
 * Its items are queued before the record is published, so a receiver
 * that sees the record finds them.
 */
static int xs_commit_locked(struct xs_end *end, struct xs_out *m,
			    struct xs_msg_hdr *hdr, u64 *id_out)
{
	struct xs_end *peer = xs_peer(end);
	struct xs_req *r;
	bool awaited;
	u64 id;

	if (!xs_state_can_send(end))
		return xs_send_state_error(end);

	switch (m->kind) {
	case XS_MSG_REQUEST:
		id = xs_next_id_locked(end, true);
		r = xs_reqs_add(&end->reqs, id, m->flags, m->waiter);
		if (IS_ERR(r)) {
			end->next_req_seq--;
			return PTR_ERR(r);
		}
		break;
	case XS_MSG_REPLY:
	case XS_MSG_ERROR_REPLY:
		r = xs_reply_target_locked(end, m);
		if (IS_ERR(r))
			return PTR_ERR(r);
		awaited = r->awaited;
		id = xs_next_id_locked(end, false);
		xs_reply_settle_locked(end, r);
		if (!awaited) {
			/* The requester stopped waiting meanwhile: drop it. */
			*id_out = id;
			return 1;
		}
		break;
	default:
		id = xs_next_id_locked(end, false);
		break;
	}

	*hdr = (struct xs_msg_hdr) {
		.kind = m->kind,
		.flags = m->flags,
		.status = m->status,
		.payload_len = m->len,
		.nr_items = m->items ? m->items->nr : 0,
		.id = id,
		.reply_to = m->reply_to,
	};
	if (m->items) {
		/* The producer lock keeps tail where the record starts. */
		xs_item_queue_add(&peer->rx_items, m->items, id, peer->rx.tail);
		m->items = NULL;
	}
	xs_ring_commit(&peer->rx, m->len);
	*id_out = id;
	return 0;
}

/* Wait until the peer's ring can take @len bytes, or the session ends. */
static int xs_wait_for_room(struct xs_end *end, u32 len)
{
	struct xs_end *peer = xs_peer(end);
	u32 need = xs_ring_record_size(len);

	return wait_event_interruptible(end->wait,
			xs_ring_room_or_arm(&peer->rx, need) ||
			xs_end_state(end) == XS_ST_ENDED);
}

/*
 * Replies that need not go through the ring: to a synchronous sender
 * (handed over directly), or to a requester that stopped waiting (settled
 * and dropped at once, without waiting for ring space).  Returns 1 when
 * the reply must go through the ring, else 0 or an error.
 */
static int xs_reply_shortcut(struct xs_end *end, struct xs_out *m,
			     u64 *id_out)
{
	enum { DROP, WAITER, RING } route = DROP;
	struct xs_req *r;
	int ret = 0;

	mutex_lock(&end->conn->lock);
	r = xs_state_can_send(end) ? xs_reply_target_locked(end, m) :
	    ERR_PTR(xs_send_state_error(end));
	if (IS_ERR(r)) {
		ret = PTR_ERR(r);
	} else if (!r->awaited) {
		*id_out = xs_next_id_locked(end, false);
		xs_reply_settle_locked(end, r);
	} else {
		route = r->waiter ? WAITER : RING;
	}
	mutex_unlock(&end->conn->lock);

	if (ret || route == DROP)
		return ret;
	if (route == WAITER)
		return xs_reply_to_waiter(end, m, id_out);
	return 1;
}

/**
 * xs_end_reap_items() - close the items of records released in place
 * @end:	the receiving end
 *
 * Only when nobody holds its consumer lock: the holder reaps itself.
 */
void xs_end_reap_items(struct xs_end *end)
{
	if (list_empty_careful(&end->rx_items.list))
		return;
	if (!mutex_trylock(&end->rx_read))
		return;
	xs_item_queue_reap(&end->rx_items, &end->rx);
	mutex_unlock(&end->rx_read);
}

/* xs_send() without the items' cleanup; see there. */
static int xs_send_one(struct xs_end *end, struct xs_out *m, u64 *id_out)
{
	struct xs_end *peer = xs_peer(end);
	struct xs_msg_hdr *hdr;
	int ret;

	if (!xs_state_can_send(end))
		return xs_send_state_error(end);
	if (m->len > xs_limits.max_msg_size || !xs_end_fits(peer, m->len))
		return -EMSGSIZE;

	if (m->kind == XS_MSG_REPLY || m->kind == XS_MSG_ERROR_REPLY) {
		ret = xs_reply_shortcut(end, m, id_out);
		if (ret <= 0)
			return ret;
	}
	/* A receiver reading in place leaves the reaping to us. */
	xs_end_reap_items(peer);
	/* A ring gets its pages with its first message. */
	ret = xs_ring_populate(&peer->rx);
	if (ret)
		return ret;

	for (;;) {
		if (m->nonblock) {
			/* Another sender may be stalled in its copy. */
			if (!mutex_trylock(&peer->rx_write))
				return -EAGAIN;
		} else if (mutex_lock_interruptible(&peer->rx_write)) {
			return -ERESTARTSYS;
		}

		if (xs_end_state(end) == XS_ST_ENDED) {
			ret = -ESHUTDOWN;
			goto unlock;
		}
		hdr = xs_ring_reserve(&peer->rx, m->len);
		if (hdr)
			break;
		mutex_unlock(&peer->rx_write);
		if (m->nonblock)
			return -EAGAIN;
		ret = xs_wait_for_room(end, m->len);
		if (ret)
			return ret;
	}

	if (m->len && copy_from_user(hdr + 1, m->payload, m->len)) {
		ret = -EFAULT;
		goto unlock;
	}

	mutex_lock(&end->conn->lock);
	ret = xs_commit_locked(end, m, hdr, id_out);
	mutex_unlock(&end->conn->lock);
	if (ret > 0)
		ret = 0;	/* a reply nobody awaits any more */
	else if (!ret)
		xs_wake(peer, m->wake_sync);
unlock:
	mutex_unlock(&peer->rx_write);
	return ret;
}

/**
 * xs_send() - queue one message from @end to its peer
 * @end:	the sending end
 * @m:		what to send; its items are consumed whatever happens (queued,
 *		handed to a waiter, or closed)
 * @id_out:	the message's id
 *
 * Return: 0; -EMSGSIZE when the payload can never fit; -EAGAIN when the
 * peer's ring is full and @m->nonblock; -ERESTARTSYS on a signal before
 * anything was queued; -ESHUTDOWN once the session ended; -ENOTCONN for
 * an undecided server session; -EINVAL/-EALREADY for a reply that is not
 * owed; -ENOBUFS with too many requests awaiting replies; -EFAULT.
 */
static int xs_send(struct xs_end *end, struct xs_out *m, u64 *id_out)
{
	int ret = xs_send_one(end, m, id_out);

	xs_items_free(m->items);
	m->items = NULL;
	return ret;
}

/* Validate the kind/status/reply_to combination of a send from userspace. */
static int xs_out_check(const struct xs_out *m)
{
	switch (m->kind) {
	case XS_MSG_ONEWAY:
	case XS_MSG_REQUEST:
		return m->status || m->reply_to ? -EINVAL : 0;
	case XS_MSG_REPLY:
		return m->status ? -EINVAL : 0;
	case XS_MSG_ERROR_REPLY:
		return 0;
	default:
		return -EINVAL;
	}
}

/* @nowait: the file is O_NONBLOCK, or io_uring asks without blocking. */
static bool xs_nonblock(bool nowait, u32 flags)
{
	return nowait || (flags & XS_NONBLOCK);
}

/* XS_IOC_SEND; @wake_sync: the caller is about to sleep (see xs_wake()). */
static long xs_send_ioctl(struct xs_end *end, void __user *uarg, bool nowait,
			  bool wake_sync)
{
	struct xs_send s;
	struct xs_out m;
	u32 usize;
	int ret;

	ret = xs_copy_struct_in(&s, sizeof(s), sizeof(s), uarg, &usize);
	if (ret)
		return ret;
	if ((s.flags & ~XS_NONBLOCK) || s.__pad || s.__pad2)
		return -EINVAL;

	m = (struct xs_out) {
		.kind = s.kind,
		.status = s.status,
		.reply_to = s.reply_to,
		.payload = u64_to_user_ptr(s.payload),
		.len = s.payload_len,
		.nonblock = xs_nonblock(nowait, s.flags),
		.wake_sync = wake_sync,
	};
	if (s.kind > U16_MAX)
		return -EINVAL;
	ret = xs_out_check(&m);
	if (ret)
		return ret;
	ret = xs_items_from_user(s.items, s.nr_items, &m.items);
	if (ret)
		return ret;

	ret = xs_send(end, &m, &s.id);
	if (ret)
		return ret;
	return xs_copy_struct_out(uarg, &s, sizeof(s), usize);
}

long xs_ioctl_send(struct xs_end *end, void __user *uarg, bool nowait)
{
	return xs_send_ioctl(end, uarg, nowait, false);
}

/**
 * xs_send_first() - the send of a call that then receives or waits
 * @end:	the sending end
 * @usend:	user pointer to a struct xs_send, or 0 for none
 * @nowait:	O_NONBLOCK, or io_uring's first attempt
 * @nonblock:	the call will not wait after the send
 * @may_retry:	a call that answers -EAGAIN is made again from scratch
 *		(io_uring's first attempt), which would send twice: such a
 *		call is left for the retry before anything is sent
 *
 * Return: 0 (nothing to send, or sent); -EAGAIN for @may_retry; what
 * XS_IOC_SEND returns.
 */
int xs_send_first(struct xs_end *end, u64 usend, bool nowait, bool nonblock,
		  bool may_retry)
{
	if (!usend)
		return 0;
	if (may_retry)
		return -EAGAIN;
	/* When nothing is there for us yet, we sleep right after the send. */
	return xs_send_ioctl(end, u64_to_user_ptr(usend), nowait,
			     !nonblock && !xs_end_has_items(end));
}

/*
 * Queue the message one descriptor describes: 0 or XS_IOC_SEND's error.
 * *@queued says whether it went out, which a failure to write its id back
 * (-EFAULT) does not undo.
 */
static int xs_send_one_desc(struct xs_end *end, void __user *udesc,
			    u32 desc_size, bool nonblock, bool *queued)
{
	struct xs_send_desc d;
	struct xs_out m;
	int ret;

	*queued = false;
	ret = copy_struct_from_user(&d, sizeof(d), udesc, desc_size);
	if (ret)
		return ret;
	if (d.__pad || d.__pad2 || d.kind > U16_MAX)
		return -EINVAL;
	m = (struct xs_out) {
		.kind = d.kind,
		.status = d.status,
		.reply_to = d.reply_to,
		.payload = u64_to_user_ptr(d.payload),
		.len = d.payload_len,
		.nonblock = nonblock,
	};
	ret = xs_out_check(&m);
	if (!ret)
		ret = xs_items_from_user(d.items, d.nr_items, &m.items);
	if (!ret)
		ret = xs_send(end, &m, &d.id);
	if (ret)
		return ret;
	*queued = true;
	if (put_user(d.id, (u64 __user *)(udesc +
					  offsetof(struct xs_send_desc, id))))
		return -EFAULT;
	return 0;
}

long xs_ioctl_send_batch(struct xs_end *end, void __user *uarg, bool nowait)
{
	struct xs_send_batch b;
	void __user *descs;
	u32 usize, i;
	int ret;

	ret = xs_copy_struct_in(&b, sizeof(b), sizeof(b), uarg, &usize);
	if (ret)
		return ret;
	if ((b.flags & ~XS_NONBLOCK) || !xs_reserved_clear(b.reserved) ||
	    b.count > XS_BATCH_MAX ||
	    b.desc_size < XS_SEND_DESC_SIZE_VER0 ||
	    b.desc_size > XS_STRUCT_SIZE_MAX)
		return -EINVAL;

	descs = u64_to_user_ptr(b.descs);
	b.error = 0;
	for (i = 0; i < b.count; i++) {
		bool queued;

		ret = xs_send_one_desc(end, descs + (size_t)i * b.desc_size,
				       b.desc_size, xs_nonblock(nowait, b.flags),
				       &queued);
		if (ret) {
			b.error = ret == -ERESTARTSYS ? -EINTR : ret;
			i += queued;
			break;
		}
	}
	b.queued = i;
	if (xs_copy_struct_out(uarg, &b, sizeof(b), usize))
		return -EFAULT;
	/* Once part of the batch is out, a restart would send it twice. */
	return b.queued ? b.queued : ret;
}

/*
 * Wait for the reply to request @id.  Returns 0 once @w is complete, or
 * -EINTR/-ETIMEDOUT after withdrawing @w (a reply that comes later finds
 * no waiter and is dropped).
 */
/* Has @w its reply?  The reply's fields are visible once it says so. */
static bool xs_sync_is_done(struct xs_sync_waiter *w)
{
	/* Pairs with the release in xs_sync_done_locked(). */
	return smp_load_acquire(&w->done);
}

static int xs_sync_wait(struct xs_end *end, struct xs_sync_waiter *w, u64 id,
			u64 timeout_ns)
{
	struct xs_req *r;
	long left;
	int ret = 0;

	if (timeout_ns) {
		unsigned long t = nsecs_to_jiffies(timeout_ns);

		left = wait_event_interruptible_timeout(end->wait,
							xs_sync_is_done(w),
							max(t, 1UL));
		if (left == 0)
			ret = -ETIMEDOUT;
		else if (left < 0)
			ret = -EINTR;
	} else if (wait_event_interruptible(end->wait, xs_sync_is_done(w))) {
		ret = -EINTR;
	}
	if (!ret)
		return 0;

	/*
	 * The request was sent: never -ERESTARTSYS, a restart would send it
	 * twice.  If a reply completed @w meanwhile, take it after all.
	 */
	mutex_lock(&end->conn->lock);
	r = xs_reqs_find(&end->reqs, id);
	if (r && r->awaited && r->waiter == w)
		xs_reqs_withdraw(&end->reqs, r);
	else
		ret = 0;
	mutex_unlock(&end->conn->lock);
	return ret;
}

/*
 * Hand a synchronous sender its reply: the payload into its buffer, then
 * the items installed as descriptors, last, so a call that fails leaves
 * no descriptor behind.
 */
static int xs_sync_take_reply(struct xs_send_sync *s, struct xs_sync_waiter *w)
{
	s->reply_kind = w->hdr.kind;
	s->reply_status = w->hdr.status;
	s->reply_flags = w->hdr.flags;
	s->reply_len = w->hdr.payload_len;
	s->reply_nr_items = w->hdr.nr_items;
	if (w->hdr.flags & XS_MSGF_KERNEL)
		return -ESHUTDOWN;	/* the session ended first */
	if (s->reply_len > s->reply_cap ||
	    (w->items && w->items->nr > s->reply_items_cap))
		return -EMSGSIZE;
	if (s->reply_len && !w->direct &&
	    copy_to_user(u64_to_user_ptr(s->reply_buf), w->buf->data,
			 s->reply_len))
		return -EFAULT;
	/* Last: the one step that creates something (descriptors). */
	if (!w->items)
		return 0;
	return xs_items_install(w->items, s->reply_items, s->reply_items_cap);
}

long xs_ioctl_send_sync(struct xs_end *end, void __user *uarg, bool nowait)
{
	struct xs_sync_waiter w;
	struct xs_send_sync s;
	struct xs_out m;
	u32 usize;
	int ret;

	ret = xs_copy_struct_in(&s, sizeof(s), XS_SEND_SYNC_SIZE_VER0, uarg,
				&usize);
	if (ret)
		return ret;
	if ((s.flags & ~XS_NONBLOCK) || s.__pad)
		return -EINVAL;

	w = (struct xs_sync_waiter) {
		.ubuf = s.reply_buf,
		.ucap = s.reply_cap,
		.mm = current->mm,
	};
	m = (struct xs_out) {
		.kind = XS_MSG_REQUEST,
		.flags = XS_MSGF_SYNC,
		.payload = u64_to_user_ptr(s.payload),
		.len = s.payload_len,
		.nonblock = xs_nonblock(nowait, s.flags),
		.wake_sync = true,	/* we sleep until the reply */
		.waiter = &w,
	};
	ret = xs_items_from_user(s.items, s.nr_items, &m.items);
	if (ret)
		return ret;
	ret = xs_send(end, &m, &s.id);
	if (ret)
		return ret;

	ret = xs_sync_wait(end, &w, s.id, s.timeout_ns);
	if (ret) {
		/* Sent, no reply: the caller still learns the request's id. */
		if (xs_copy_struct_out(uarg, &s, sizeof(s), usize))
			return -EFAULT;
		return ret;
	}

	ret = xs_sync_take_reply(&s, &w);
	xs_reply_buf_put(end, w.buf);
	xs_items_free(w.items);
	if (ret == -EFAULT)
		return ret;
	if (xs_copy_struct_out(uarg, &s, sizeof(s), usize))
		return -EFAULT;
	return ret;
}

/*
 * Where a received item goes: the payload to @buf, the header either
 * inline before it (read()) or to @uhdr (the ioctl's struct), the
 * out-of-line items to @items (installed as descriptors), or nowhere for
 * read(), which closes them.  All of it is written before the item is
 * consumed, so a fault loses nothing.
 */
struct xs_rx_dest {
	void __user *buf;
	u32 cap;
	bool inline_hdr;
	struct xs_msg_hdr __user *uhdr;
	u64 items;
	u32 items_cap;
	bool drop_items;
	bool peek;
	bool nonblock;
};

static bool xs_dest_fits(const struct xs_rx_dest *d,
			 const struct xs_msg_hdr *hdr,
			 const struct xs_items *items)
{
	u32 off = d->inline_hdr ? sizeof(*hdr) : 0;

	if (d->cap < off || d->cap - off < hdr->payload_len)
		return false;
	return !items || d->drop_items || items->nr <= d->items_cap;
}

static int xs_deliver(const struct xs_rx_dest *d, const struct xs_msg_hdr *hdr,
		      const void *payload, struct xs_items *items)
{
	u32 off = d->inline_hdr ? sizeof(*hdr) : 0;
	void __user *uhdr = d->inline_hdr ? d->buf : d->uhdr;

	if (!xs_dest_fits(d, hdr, items)) {
		/* Say how much room the item needs; it stays queued. */
		if (d->uhdr && copy_to_user(d->uhdr, hdr, sizeof(*hdr)))
			return -EFAULT;
		return -EMSGSIZE;
	}
	if ((hdr->payload_len &&
	     copy_to_user(d->buf + off, payload, hdr->payload_len)) ||
	    copy_to_user(uhdr, hdr, sizeof(*hdr)))
		return -EFAULT;
	/* Last: the one step that creates something (descriptors). */
	if (!items || d->drop_items)
		return 0;
	if (d->peek)
		return xs_items_describe(items, d->items, d->items_cap);
	return xs_items_install(items, d->items, d->items_cap);
}

/*
 * The ring is drained and the session over: error replies, then END.
 * Once an end has ended, its @why and @reason never change, nobody can
 * reply any more, and only its receiver (holding rx_read, as we do)
 * removes requests, so the copies to userspace need not hold conn->lock.
 */
static int xs_take_final_item(struct xs_end *end, const struct xs_rx_dest *d,
			      struct xs_msg_hdr *hdr)
{
	struct xs_conn *conn = end->conn;
	struct xs_req *r;
	int ret;

	mutex_lock(&conn->lock);
	r = xs_reqs_first_awaited(&end->reqs);
	mutex_unlock(&conn->lock);

	if (r) {
		*hdr = (struct xs_msg_hdr) {
			.kind = XS_MSG_ERROR_REPLY,
			.flags = XS_MSGF_KERNEL,
			.status = end->why,
			.reply_to = r->id,
		};
		ret = xs_deliver(d, hdr, NULL, NULL);
		if (!ret && !d->peek) {
			mutex_lock(&conn->lock);
			xs_reqs_remove(&end->reqs, r);
			mutex_unlock(&conn->lock);
		}
		return ret;
	}
	if (end->end_taken)
		return -ESHUTDOWN;
	*hdr = (struct xs_msg_hdr) {
		.kind = XS_MSG_END,
		.status = end->why,
		.payload_len = end->reason_len,
	};
	ret = xs_deliver(d, hdr, end->reason, NULL);
	if (!ret && !d->peek)
		WRITE_ONCE(end->end_taken, true);
	return ret;
}

/*
 * Drop the record at head, and with it the items nobody took (after a
 * local cancel, or from records a receiver released in place).
 */
static void xs_rx_consume(struct xs_end *end)
{
	xs_ring_consume(&end->rx);
	xs_item_queue_reap(&end->rx_items, &end->rx);
}

/*
 * The record at head, delivered: with its items, found by its id (or
 * none, when they are gone: the header then says so too).
 */
static int xs_take_record(struct xs_end *end, const struct xs_rx_dest *d,
			  const struct xs_msg_hdr *rec, struct xs_msg_hdr *hdr)
{
	struct xs_items *items = NULL;
	int ret;

	*hdr = *rec;
	if (hdr->nr_items) {
		items = xs_item_queue_find(&end->rx_items, hdr->id);
		hdr->nr_items = items ? items->nr : 0;
	}
	ret = xs_deliver(d, hdr, rec + 1, items);
	if (ret || d->peek)
		return ret;
	if (items) {
		/* Installed (each descriptor holds its own reference), or
		 * dropped by read(): ours go.
		 */
		xs_item_queue_unlink(&end->rx_items, items);
		xs_items_free(items);
	}
	xs_rx_consume(end);
	wake_up_all(&xs_peer(end)->wait);
	return 0;
}

/*
 * After a local cancel nothing queued is delivered, except that a reply
 * to one of this end's own requests becomes a kernel error reply: every
 * request it made then ends with XS_END_CANCELED.  Returns 0 with @hdr
 * filled for such a reply, 1 when the ring held nothing to report.
 */
static int xs_take_after_cancel(struct xs_end *end, const struct xs_rx_dest *d,
				struct xs_msg_hdr *hdr)
{
	const struct xs_msg_hdr *rec;
	int ret;

	for (;;) {
		rec = xs_ring_peek(&end->rx);
		if (IS_ERR_OR_NULL(rec))
			return rec ? PTR_ERR(rec) : 1;
		if (rec->kind == XS_MSG_REPLY || rec->kind == XS_MSG_ERROR_REPLY) {
			*hdr = (struct xs_msg_hdr) {
				.kind = XS_MSG_ERROR_REPLY,
				.flags = XS_MSGF_KERNEL,
				.status = XS_END_CANCELED,
				.reply_to = rec->reply_to,
			};
			ret = xs_deliver(d, hdr, NULL, NULL);
			if (!ret && !d->peek)
				xs_rx_consume(end);
			return ret;
		}
		xs_rx_consume(end);
	}
}

/*
 * Take the next item for @end into @d.  Return: 0 with @hdr filled;
 * -EMSGSIZE (the item stays queued; @d->uhdr says its size); -EAGAIN;
 * -ERESTARTSYS (nothing was taken); -ESHUTDOWN after the END item was
 * taken; -EIO for a corrupt ring; -EFAULT.
 */
static int xs_recv_item(struct xs_end *end, const struct xs_rx_dest *d,
			struct xs_msg_hdr *hdr)
{
	const struct xs_msg_hdr *rec;
	int ret;

	if (d->nonblock) {
		if (!mutex_trylock(&end->rx_read))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&end->rx_read)) {
		return -ERESTARTSYS;
	}
	for (;;) {
		bool ended = xs_end_state(end) == XS_ST_ENDED;

		if (ended && end->why == XS_END_CANCELED) {
			ret = xs_take_after_cancel(end, d, hdr);
			if (ret > 0)
				ret = xs_take_final_item(end, d, hdr);
			break;
		}
		rec = xs_ring_peek(&end->rx);
		if (IS_ERR(rec)) {
			ret = PTR_ERR(rec);
			break;
		}
		if (rec) {
			ret = xs_take_record(end, d, rec, hdr);
			break;
		}
		if (ended) {
			ret = xs_take_final_item(end, d, hdr);
			break;
		}
		if (d->nonblock) {
			ret = -EAGAIN;
			break;
		}
		mutex_unlock(&end->rx_read);
		if (wait_event_interruptible(end->wait, xs_end_has_items(end)))
			return -ERESTARTSYS;
		if (mutex_lock_interruptible(&end->rx_read))
			return -ERESTARTSYS;
	}
	mutex_unlock(&end->rx_read);
	return ret;
}

/**
 * xs_ioctl_recv() - XS_IOC_RECV, optionally sending a message first
 * @end:	the receiving end
 * @uarg:	struct xs_recv
 * @nowait:	O_NONBLOCK, or io_uring's first attempt
 * @may_retry:	a call that answers -EAGAIN is made again from scratch (io_uring's
 *		first attempt): a send would then go twice, so a call with
 *		one is left for the retry
 *
 * Return: 0; XS_IOC_SEND's error when the send fails (nothing received);
 * the receive's error, where -EINTR replaces a restart once a message
 * went out.
 */
long xs_ioctl_recv(struct xs_end *end, void __user *uarg, bool nowait,
		   bool may_retry)
{
	struct xs_rx_dest d;
	struct xs_recv r;
	u32 usize;
	int ret;

	ret = xs_copy_struct_in(&r, sizeof(r), XS_RECV_SIZE_VER0, uarg,
				&usize);
	if (ret)
		return ret;
	if ((r.flags & ~(XS_NONBLOCK | XS_RECV_PEEK)) || r.__pad ||
	    r.__pad2 || (r.items && !r.items_cap))
		return -EINVAL;

	d = (struct xs_rx_dest) {
		.buf = u64_to_user_ptr(r.buf),
		.cap = r.buf_len,
		.uhdr = uarg + offsetof(struct xs_recv, hdr),
		.items = r.items,
		.items_cap = r.items_cap,
		.peek = r.flags & XS_RECV_PEEK,
		.nonblock = xs_nonblock(nowait, r.flags),
	};
	ret = xs_send_first(end, r.send, nowait, d.nonblock, may_retry);
	if (ret)
		return ret;
	/* The header is the only output: written in place, before consuming. */
	ret = xs_recv_item(end, &d, &r.hdr);
	/* Once a message went out, a restart would send it again. */
	return ret == -ERESTARTSYS && r.send ? -EINTR : ret;
}

ssize_t xs_session_read(struct xs_end *end, void __user *buf, size_t len,
			bool nonblock)
{
	struct xs_msg_hdr hdr;
	struct xs_rx_dest d = {
		.buf = buf,
		.cap = min_t(size_t, len, U32_MAX),
		.inline_hdr = true,
		.drop_items = true,
		.nonblock = nonblock,
	};
	int ret;

	if (len < sizeof(hdr))
		return -EINVAL;
	ret = xs_recv_item(end, &d, &hdr);
	if (ret == -ESHUTDOWN)
		return 0;	/* end of file: the END item was read */
	if (ret)
		return ret;
	return sizeof(hdr) + hdr.payload_len;
}

ssize_t xs_session_write(struct xs_end *end, const void __user *buf,
			 size_t len, bool nonblock)
{
	struct xs_msg_hdr hdr;
	struct xs_out m;
	u64 id;
	int ret;

	if (len < sizeof(hdr) || len - sizeof(hdr) > U32_MAX)
		return -EINVAL;
	if (copy_from_user(&hdr, buf, sizeof(hdr)))
		return -EFAULT;
	if (hdr.flags || hdr.nr_items || hdr.id ||
	    hdr.payload_len != len - sizeof(hdr))
		return -EINVAL;

	m = (struct xs_out) {
		.kind = hdr.kind,
		.status = hdr.status,
		.reply_to = hdr.reply_to,
		.payload = buf + sizeof(hdr),
		.len = hdr.payload_len,
		.nonblock = nonblock,
	};
	ret = xs_out_check(&m);
	if (ret)
		return ret;
	ret = xs_send(end, &m, &id);
	return ret ? ret : len;
}
