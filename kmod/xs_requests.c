// SPDX-License-Identifier: GPL-2.0
/*
 * The requests a session end sent and that are owed a reply: see
 * xs_requests.h.
 */
#include <kunit/visibility.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/slab.h>

#include "xs_internal.h"
#include "xs_requests.h"

/*
 * Withdrawn requests stay until the peer replies or the session goes, so
 * a peer that never replies to a requester that keeps giving up must not
 * be able to make the table grow without end.
 */
#define XS_REQS_MAX_FACTOR	4

static struct kmem_cache *xs_req_cache;

int xs_reqs_cache_init(void)
{
	xs_req_cache = KMEM_CACHE(xs_req, SLAB_ACCOUNT);
	return xs_req_cache ? 0 : -ENOMEM;
}

void xs_reqs_cache_exit(void)
{
	kmem_cache_destroy(xs_req_cache);
}

void xs_reqs_init(struct xs_req_table *t)
{
	hash_init(t->hash);
	INIT_LIST_HEAD(&t->list);
	t->nr_awaited = 0;
	t->nr = 0;
}
EXPORT_SYMBOL_IF_KUNIT(xs_reqs_init);

/**
 * xs_reqs_destroy() - free every request of a session that goes
 * @t:	the table; nobody waits on it any more (no file is left)
 */
void xs_reqs_destroy(struct xs_req_table *t)
{
	struct xs_req *r, *next;

	list_for_each_entry_safe(r, next, &t->list, lnode)
		kmem_cache_free(xs_req_cache, r);
	xs_reqs_init(t);
}
EXPORT_SYMBOL_IF_KUNIT(xs_reqs_destroy);

/**
 * xs_reqs_add() - record a request that was just given @id
 * @t:		the requester's table
 * @id:		the request's id (greater than every id in @t)
 * @flags:	its XS_MSGF_* flags
 * @waiter:	the synchronous sender waiting for the reply, or NULL
 *
 * Return: the request, awaited; ERR_PTR(-ENOBUFS) when max_outstanding
 * requests are awaited already (or four times as many are owed);
 * ERR_PTR(-ENOMEM).
 */
struct xs_req *xs_reqs_add(struct xs_req_table *t, u64 id, u16 flags,
			   struct xs_sync_waiter *waiter)
{
	struct xs_req *r;

	if (t->nr_awaited >= xs_limits.max_outstanding ||
	    t->nr >= XS_REQS_MAX_FACTOR * xs_limits.max_outstanding)
		return ERR_PTR(-ENOBUFS);
	r = kmem_cache_alloc(xs_req_cache, GFP_KERNEL_ACCOUNT);
	if (!r)
		return ERR_PTR(-ENOMEM);
	r->id = id;
	r->flags = flags;
	r->awaited = true;
	r->waiter = waiter;
	hash_add(t->hash, &r->hnode, id);
	list_add_tail(&r->lnode, &t->list);
	t->nr_awaited++;
	t->nr++;
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(xs_reqs_add);

/**
 * xs_reqs_find() - the request with @id, if it is still owed a reply
 * @t:	the requester's table
 * @id:	any id
 *
 * Return: the request, or NULL.
 */
struct xs_req *xs_reqs_find(struct xs_req_table *t, u64 id)
{
	struct xs_req *r;

	hash_for_each_possible(t->hash, r, hnode, id)
		if (r->id == id)
			return r;
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(xs_reqs_find);

/**
 * xs_reqs_withdraw() - the requester stops waiting for @r's reply
 * @t:	the requester's table
 * @r:	an awaited request of @t
 *
 * The request stays owed: a late reply settles it and is dropped.
 */
void xs_reqs_withdraw(struct xs_req_table *t, struct xs_req *r)
{
	if (WARN_ON_ONCE(!r->awaited))
		return;
	r->awaited = false;
	r->waiter = NULL;
	t->nr_awaited--;
}
EXPORT_SYMBOL_IF_KUNIT(xs_reqs_withdraw);

/**
 * xs_reqs_remove() - a request is settled: forget it
 * @t:	the requester's table
 * @r:	a request of @t; freed
 */
void xs_reqs_remove(struct xs_req_table *t, struct xs_req *r)
{
	hash_del(&r->hnode);
	list_del(&r->lnode);
	if (r->awaited)
		t->nr_awaited--;
	t->nr--;
	kmem_cache_free(xs_req_cache, r);
}
EXPORT_SYMBOL_IF_KUNIT(xs_reqs_remove);

/**
 * xs_reqs_first_awaited() - the oldest request still awaited
 * @t:	the requester's table
 *
 * Return: the request with the lowest id that is awaited, or NULL.
 */
struct xs_req *xs_reqs_first_awaited(struct xs_req_table *t)
{
	struct xs_req *r;

	list_for_each_entry(r, &t->list, lnode)
		if (r->awaited)
			return r;
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(xs_reqs_first_awaited);
