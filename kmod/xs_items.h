/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Out-of-line items: files that travel with a message.
 *
 * A sender names descriptors (struct xs_item); the kernel takes a
 * reference on each file at send time, so the sender may close them at
 * once, and keeps them beside the receiver's ring, in message order,
 * until the receiver takes the message with XS_IOC_RECV (which installs
 * them as new descriptors) or releases it without taking them (which
 * closes them).  A ring record only says how many items it has; the
 * files themselves never enter memory userspace can see.
 *
 * Only files that cannot hold other files in flight may travel, so no
 * reference cycle can form through a queue and no garbage collector is
 * needed: never an xsession endpoint, an AF_UNIX socket or an io_uring.
 */
#ifndef _XS_ITEMS_H
#define _XS_ITEMS_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xsession.h>

struct file;

/**
 * struct xs_item_k - one item in flight
 * @file:	the file; one reference, ours.
 * @type:	enum xs_item_type.
 * @size:	XS_ITEM_MEMFD: its size, fixed by its seals.
 */
struct xs_item_k {
	struct file *file;
	u32 type;
	u64 size;
};

/**
 * struct xs_items - the items of one message
 * @node:	entry in struct xs_item_queue.list, in ring order.
 * @id:		the message's id.
 * @pos:	ring index of the message's record.
 * @nr:		entries in @it.
 * @it:		the items, in the sender's order.
 */
struct xs_items {
	struct list_head node;
	u64 id;
	u32 pos;
	u32 nr;
	struct xs_item_k it[] __counted_by(nr);
};

/**
 * struct xs_item_queue - the items waiting beside one receive ring
 * @lock:	guards @list: producers append, consumers take and reap.
 * @list:	struct xs_items, oldest first.
 */
struct xs_item_queue {
	spinlock_t lock;	/* see above */
	struct list_head list;
};

struct xs_ring;

int xs_items_from_user(u64 uitems, u32 nr, struct xs_items **out);
void xs_items_free(struct xs_items *items);
int xs_items_install(struct xs_items *items, u64 uitems, u32 cap);
int xs_items_describe(const struct xs_items *items, u64 uitems, u32 cap);

void xs_item_queue_init(struct xs_item_queue *q);
void xs_item_queue_add(struct xs_item_queue *q, struct xs_items *items,
		       u64 id, u32 pos);
struct xs_items *xs_item_queue_find(struct xs_item_queue *q, u64 id);
void xs_item_queue_unlink(struct xs_item_queue *q, struct xs_items *items);
void xs_item_queue_reap(struct xs_item_queue *q, const struct xs_ring *r);
void xs_item_queue_destroy(struct xs_item_queue *q);

bool xs_file_may_travel(struct file *file);

#endif /* _XS_ITEMS_H */
