/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The requests a session end sent and that are still owed a reply.
 *
 * One object per request, kept by the requester: it is what the requester
 * waits on (a synchronous sender's waiter, or nothing for an asynchronous
 * request, whose reply comes through the ring) and, at the same time, the
 * proof that the peer owes a reply to that id.  A requester that stops
 * waiting (a synchronous send that timed out or was interrupted, a
 * session that ended) withdraws the request: it stays owed, and a late
 * reply settles it and is dropped.
 *
 * Requests are found by id through a small hash table, and walked in the
 * order they were sent (ids grow) through a list, so the error replies a
 * session's end makes come in that order.  The objects come from a slab
 * cache of their own and go back to it at once: a request costs no RCU
 * grace period and no page of memory.
 *
 * Everything here runs under the session's lock (xs_conn.lock).
 */
#ifndef _XS_REQUESTS_H
#define _XS_REQUESTS_H

#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/types.h>

struct xs_sync_waiter;

/**
 * struct xs_req - one request owed a reply
 * @hnode:	entry in the table's hash.
 * @lnode:	entry in the table's list, in the order sent.
 * @id:		the request's id.
 * @flags:	XS_MSGF_* of the request.
 * @awaited:	the requester still waits for the reply.
 * @waiter:	while awaited: a synchronous sender, or NULL for a request
 *		whose reply goes through the requester's ring.
 */
struct xs_req {
	struct hlist_node hnode;
	struct list_head lnode;
	u64 id;
	u16 flags;
	bool awaited;
	struct xs_sync_waiter *waiter;
};

#define XS_REQ_HASH_BITS	4

/**
 * struct xs_req_table - the requests one end sent, owed a reply
 * @hash:	by id.
 * @list:	in the order sent.
 * @nr_awaited:	requests still awaited (bounded by max_outstanding).
 * @nr:		all of them, withdrawn ones included (bounded too).
 */
struct xs_req_table {
	DECLARE_HASHTABLE(hash, XS_REQ_HASH_BITS);
	struct list_head list;
	u32 nr_awaited;
	u32 nr;
};

int xs_reqs_cache_init(void);
void xs_reqs_cache_exit(void);

void xs_reqs_init(struct xs_req_table *t);
void xs_reqs_destroy(struct xs_req_table *t);
struct xs_req *xs_reqs_add(struct xs_req_table *t, u64 id, u16 flags,
			   struct xs_sync_waiter *waiter);
struct xs_req *xs_reqs_find(struct xs_req_table *t, u64 id);
void xs_reqs_withdraw(struct xs_req_table *t, struct xs_req *r);
void xs_reqs_remove(struct xs_req_table *t, struct xs_req *r);
struct xs_req *xs_reqs_first_awaited(struct xs_req_table *t);

#endif /* _XS_REQUESTS_H */
