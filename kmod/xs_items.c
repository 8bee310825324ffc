// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-line items: taking files from a sender, keeping them beside the
 * receiver's ring, installing them in the receiver.  xs_items.h says what
 * may travel and why.
 *
 * Who may free an entry of a queue: only a holder of the receiving end's
 * consumer lock (rx_read), which is also the only one that delivers
 * them.  Producers only append, under the queue's spinlock, before they
 * publish the record the entry belongs to, so a consumer that sees a
 * record always finds its items.
 */
#include <kunit/visibility.h>
#include <linux/anon_inodes.h>
#include <linux/export.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/net.h>
#include <linux/overflow.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "xs_internal.h"
#include "xs_items.h"
#include "xs_ring.h"

static_assert(XS_MEMFD_SEALS == (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE));

/* io_uring's own files are anonymous inodes of this name. */
static bool xs_file_is_io_uring(struct file *file)
{
	return file_inode(file)->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	       !strcmp(file->f_path.dentry->d_name.name, "[io_uring]");
}

/**
 * xs_file_may_travel() - whether @file may be carried by a message
 * @file:	the file
 *
 * The files refused are those that can hold other files in flight: an
 * xsession endpoint (its rings hold items), an AF_UNIX socket (its queue
 * holds SCM_RIGHTS), an io_uring (its table holds registered files).
 * Carrying one could close a cycle of references that only a garbage
 * collector would find; refusing them means none is ever needed.
 *
 * Return: true when @file may travel.
 */
bool xs_file_may_travel(struct file *file)
{
	struct socket *sock;

	if (xs_file_is_endpoint(file) || xs_file_is_io_uring(file))
		return false;
	sock = sock_from_file(file);
	if (sock && sock->ops && sock->ops->family == PF_UNIX)
		return false;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(xs_file_may_travel);

/*
 * A memfd the receiver may map and parse in place: shmem (hugetlbfs
 * memfds keep their seals elsewhere and are refused), with the seals that
 * fix its content and size.  Seals are only ever added, so what we see
 * now holds for as long as the file lives.  F_SEAL_WRITE could only be
 * set with no writable shared mapping in place, and none can appear
 * after it.
 */
static int xs_memfd_check(struct file *file, u64 *size)
{
	struct inode *inode = file_inode(file);

	if (!shmem_file(file))
		return -EINVAL;
	if ((READ_ONCE(SHMEM_I(inode)->seals) & XS_MEMFD_SEALS) !=
	    XS_MEMFD_SEALS)
		return -EINVAL;
	*size = i_size_read(inode);
	return 0;
}

/* Check one item from userspace and take its file. */
static int xs_item_take(const struct xs_item *ui, struct xs_item_k *out)
{
	struct file *file;
	u64 size = 0;
	int ret;

	if (ui->size || ui->reserved ||
	    (ui->type != XS_ITEM_FD && ui->type != XS_ITEM_MEMFD))
		return -EINVAL;
	file = fget(ui->fd);
	if (!file)
		return -EBADF;
	ret = xs_file_may_travel(file) ? 0 : -EINVAL;
	if (!ret && ui->type == XS_ITEM_MEMFD)
		ret = xs_memfd_check(file, &size);
	if (ret) {
		fput(file);
		return ret;
	}
	*out = (struct xs_item_k){ .file = file, .type = ui->type,
				   .size = size };
	return 0;
}

/**
 * xs_items_from_user() - take the items a sender names
 * @uitems:	user pointer to @nr struct xs_item
 * @nr:		how many; 0 for none (then @uitems must be 0 too)
 * @out:	the items, or NULL for none; the caller owns them
 *
 * Every file is taken (a reference) before this returns, so the sender
 * may close its descriptors right after the send.
 *
 * Return: 0; -EINVAL for a bad count, type, non-zero field, refused file
 * or unsealed memfd; -EBADF for a descriptor that is not open; -EFAULT;
 * -ENOMEM.  Nothing is held on failure.
 */
int xs_items_from_user(u64 uitems, u32 nr, struct xs_items **out)
{
	struct xs_items *items;
	struct xs_item ui;
	struct xs_item_k k;
	u32 i;
	int ret;

	*out = NULL;
	if (!nr)
		return uitems ? -EINVAL : 0;
	if (nr > XS_ITEMS_MAX)
		return -EINVAL;

	items = kzalloc(struct_size(items, it, nr), GFP_KERNEL_ACCOUNT);
	if (!items)
		return -ENOMEM;
	INIT_LIST_HEAD(&items->node);
	for (i = 0; i < nr; i++) {
		if (copy_from_user(&ui, u64_to_user_ptr(uitems) +
				   (size_t)i * sizeof(ui), sizeof(ui))) {
			ret = -EFAULT;
			goto fail;
		}
		ret = xs_item_take(&ui, &k);
		if (ret)
			goto fail;
		items->nr = i + 1;
		items->it[i] = k;
	}
	*out = items;
	return 0;

fail:
	xs_items_free(items);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(xs_items_from_user);

/**
 * xs_items_free() - drop the items of a message that will not be taken
 * @items:	the items (unlinked), or NULL
 *
 * Closes the files: fput() defers the final close to a safe context, so
 * this may run under a spinlock.
 */
void xs_items_free(struct xs_items *items)
{
	u32 i;

	if (!items)
		return;
	for (i = 0; i < items->nr; i++)
		fput(items->it[i].file);
	kfree(items);
}
EXPORT_SYMBOL_IF_KUNIT(xs_items_free);

/* Describe @items in the user's slots, every fd -1. */
static int xs_items_write(const struct xs_items *items, u64 uitems)
{
	struct xs_item out;
	u32 i;

	for (i = 0; i < items->nr; i++) {
		out = (struct xs_item){
			.type = items->it[i].type,
			.fd = -1,
			.size = items->it[i].size,
		};
		if (copy_to_user(u64_to_user_ptr(uitems) +
				 (size_t)i * sizeof(out), &out, sizeof(out)))
			return -EFAULT;
	}
	return 0;
}

/**
 * xs_items_describe() - tell a receiver what items a message has
 * @items:	the items
 * @uitems:	user pointer to @cap struct xs_item
 * @cap:	slots at @uitems
 *
 * For XS_RECV_PEEK: each slot gets its type and size, and fd -1.
 *
 * Return: 0; -EMSGSIZE when @cap is too small; -EFAULT.
 */
int xs_items_describe(const struct xs_items *items, u64 uitems, u32 cap)
{
	if (items->nr > cap)
		return -EMSGSIZE;
	return xs_items_write(items, uitems);
}

/**
 * xs_items_install() - give the receiver a descriptor for each item
 * @items:	the items; they stay the caller's (each new descriptor holds
 *		a reference of its own)
 * @uitems:	user pointer to @cap struct xs_item, written with the new
 *		descriptors
 * @cap:	slots at @uitems
 *
 * The slots are written first (fd -1), so a fault costs no descriptor;
 * receive_fd() then writes each descriptor into its slot before it
 * installs it.  All or nothing: when one cannot be installed
 * (RLIMIT_NOFILE, the LSM's refusal), the ones already installed are
 * closed again.  The caller does this last, once everything else of the
 * message is with the receiver.
 *
 * Return: 0; -EMSGSIZE when @cap is too small; -EMFILE and the like from
 * receive_fd(); -EFAULT.
 */
int xs_items_install(struct xs_items *items, u64 uitems, u32 cap)
{
	struct xs_item __user *slot = u64_to_user_ptr(uitems);
	int fds[XS_ITEMS_MAX];
	u32 i;
	int ret;

	if (items->nr > cap)
		return -EMSGSIZE;
	ret = xs_items_write(items, uitems);
	if (ret)
		return ret;
	for (i = 0; i < items->nr; i++) {
		ret = receive_fd(items->it[i].file, &slot[i].fd, O_CLOEXEC);
		if (ret < 0)
			goto undo;
		fds[i] = ret;
	}
	return 0;
undo:
	while (i--)
		close_fd(fds[i]);
	return ret;
}

void xs_item_queue_init(struct xs_item_queue *q)
{
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->list);
}
EXPORT_SYMBOL_IF_KUNIT(xs_item_queue_init);

/**
 * xs_item_queue_add() - queue a message's items beside the ring
 * @q:		the receiving end's queue
 * @items:	the items; the queue owns them from now on
 * @id:		the message's id
 * @pos:	ring index of its record
 *
 * Called by the producer before it publishes the record.
 */
void xs_item_queue_add(struct xs_item_queue *q, struct xs_items *items,
		       u64 id, u32 pos)
{
	items->id = id;
	items->pos = pos;
	spin_lock(&q->lock);
	list_add_tail(&items->node, &q->list);
	spin_unlock(&q->lock);
}
EXPORT_SYMBOL_IF_KUNIT(xs_item_queue_add);

/**
 * xs_item_queue_find() - the items of message @id
 * @q:		the queue
 * @id:		the message's id (from its record)
 *
 * The caller holds the consumer lock, so the entry stays until it
 * unlinks it.
 *
 * Return: the items, still queued; NULL when there are none (a record
 * whose items were dropped, or a header read from a position a receiver
 * scribbled into head).
 */
struct xs_items *xs_item_queue_find(struct xs_item_queue *q, u64 id)
{
	struct xs_items *items, *found = NULL;

	spin_lock(&q->lock);
	list_for_each_entry(items, &q->list, node) {
		if (items->id == id) {
			found = items;
			break;
		}
	}
	spin_unlock(&q->lock);
	return found;
}
EXPORT_SYMBOL_IF_KUNIT(xs_item_queue_find);

/**
 * xs_item_queue_unlink() - take found items off the queue
 * @q:		the queue
 * @items:	from xs_item_queue_find(); the caller frees them
 */
void xs_item_queue_unlink(struct xs_item_queue *q, struct xs_items *items)
{
	spin_lock(&q->lock);
	list_del_init(&items->node);
	spin_unlock(&q->lock);
}
EXPORT_SYMBOL_IF_KUNIT(xs_item_queue_unlink);

/**
 * xs_item_queue_reap() - close the items of records the receiver released
 * @q:		the queue
 * @r:		its ring
 *
 * A receiver reading in place releases records by moving head; the items
 * of a record head has passed were not taken, and go.  The caller holds
 * the consumer lock.  A head that userspace scribbled can only make its
 * own items go early, or stay until the session goes.
 */
void xs_item_queue_reap(struct xs_item_queue *q, const struct xs_ring *r)
{
	struct xs_items *items, *next;
	u32 head = READ_ONCE(*xs_ring_headp(r));
	LIST_HEAD(gone);

	if (list_empty_careful(&q->list))
		return;
	spin_lock(&q->lock);
	list_for_each_entry_safe(items, next, &q->list, node) {
		if ((s32)(head - items->pos) <= 0)
			break;
		list_move_tail(&items->node, &gone);
	}
	spin_unlock(&q->lock);

	list_for_each_entry_safe(items, next, &gone, node)
		xs_items_free(items);
}
EXPORT_SYMBOL_IF_KUNIT(xs_item_queue_reap);

/**
 * xs_item_queue_destroy() - close every item still queued
 * @q:		the queue of a session being freed: nobody else uses it
 */
void xs_item_queue_destroy(struct xs_item_queue *q)
{
	struct xs_items *items, *next;

	list_for_each_entry_safe(items, next, &q->list, node) {
		list_del(&items->node);
		xs_items_free(items);
	}
}
EXPORT_SYMBOL_IF_KUNIT(xs_item_queue_destroy);
