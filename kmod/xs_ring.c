// SPDX-License-Identifier: GPL-2.0
/*
 * The receive ring of a session end: a single-producer, single-consumer
 * byte ring of variable-size records over a double mapping of its pages.
 * xs_ring.h describes the layout, the ordering rules and who may trust
 * what; this file keeps to them.
 */
#include <kunit/visibility.h>
#include <linux/align.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "xs_ring.h"

#define XS_RING_HDR_SIZE	((u32)sizeof(struct xs_msg_hdr))

static_assert(sizeof(struct xs_msg_hdr) % XS_RING_ALIGN == 0);
static_assert(XS_RING_RECORD_SIZE(1) == sizeof(struct xs_msg_hdr) + XS_RING_ALIGN);
/* head and tail on cache lines of their own; the page holds it all. */
static_assert(offsetof(struct xs_ring_ctl, tail) == 64);
static_assert(sizeof(struct xs_ring_ctl) == 128);

/*
 * Largest payload whose record size still fits in a u32, so that
 * xs_ring_record_size() can test for overflow before it adds.
 */
#define XS_RING_PAYLOAD_LIMIT	(U32_MAX - XS_RING_HDR_SIZE - (XS_RING_ALIGN - 1))

/*
 * The pages will be mapped into the receiver's address space: they must
 * not carry anyone's old data.  The size is the caller's choice, so a
 * failure is an error for it (no warning, no OOM kill on its behalf).
 */
#define XS_RING_GFP	(GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN | \
			 __GFP_RETRY_MAYFAIL)

/* The control page of a mappable ring: zeroed, then what it reports. */
static int xs_ring_init_ctl(struct xs_ring *r)
{
	r->ctl_page = alloc_page(XS_RING_GFP);
	if (!r->ctl_page)
		return -ENOMEM;
	r->ctl = page_address(r->ctl_page);
	r->ctl->size = r->size;
	return 0;
}

/**
 * xs_ring_init() - set up a receive ring, without its data pages yet
 * @r:		the ring; its previous content is ignored
 * @size:	data bytes: a power of two, at least PAGE_SIZE.  The caller
 *		bounds it (xs_info.ring_size_max).
 * @mappable:	give it a control page, so userspace can mmap() it.
 *
 * The data pages come with the first message or mapping
 * (xs_ring_populate()): a session that is opened and closed, or stays
 * idle, never pays for them.  They are charged to the memory cgroup of
 * the ring's owner: the current task, until xs_ring_set_owner().  The
 * ring starts empty at index 0.  On failure @r is left zeroed, so
 * xs_ring_destroy() on it is a no-op.
 *
 * Return: 0; -EINVAL for a bad @size; -ENOMEM.
 */
int xs_ring_init(struct xs_ring *r, u32 size, bool mappable)
{
	memset(r, 0, sizeof(*r));
	if (size < PAGE_SIZE || !is_power_of_2(size))
		return -EINVAL;
	r->size = size;
	r->nr_pages = size >> PAGE_SHIFT;
	mutex_init(&r->populate_lock);
	r->memcg = get_mem_cgroup_from_mm(current->mm);
	if (mappable && xs_ring_init_ctl(r)) {
		xs_ring_destroy(r);
		return -ENOMEM;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_init);

/* The data pages, each twice in a row in @pages and in the mapping. */
static void *xs_ring_alloc_data(u32 nr_pages, struct page ***pagesp)
{
	struct page **pages;
	void *data;
	u32 i;

	pages = kvcalloc(2 * (size_t)nr_pages, sizeof(*pages),
			 GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!pages)
		return NULL;
	for (i = 0; i < nr_pages; i++) {
		pages[i] = alloc_page(XS_RING_GFP);
		if (!pages[i])
			goto err_free_pages;
		pages[nr_pages + i] = pages[i];
	}
	/*
	 * Each page twice in a row: a record that wraps past the end of the
	 * ring is contiguous in this mapping, so neither side ever splits a
	 * copy in two.  x86 caches are physically tagged, so the two aliases
	 * of a page never disagree.
	 */
	data = vmap(pages, 2 * nr_pages, VM_MAP, PAGE_KERNEL);
	if (!data)
		goto err_free_pages;
	*pagesp = pages;
	return data;

err_free_pages:
	for (i = 0; i < nr_pages && pages[i]; i++)
		__free_page(pages[i]);
	kvfree(pages);
	return NULL;
}

/**
 * xs_ring_populate() - give the ring its data pages, if it has none yet
 * @r:	an initialised ring
 *
 * Before the first reserve and the first mapping of the data.  Takes only
 * the ring's own populate_lock, never held across anything else, so any
 * caller may call it: a sender (holding no lock, or the ring's producer
 * lock) or mmap() (holding mmap_lock).
 *
 * Return: 0; -ENOMEM.
 */
int xs_ring_populate(struct xs_ring *r)
{
	struct mem_cgroup *old_memcg;
	struct page **pages;
	int ret = 0;
	void *data;

	/* Pairs with the release below: the pages before their address. */
	if (smp_load_acquire(&r->data))
		return 0;
	mutex_lock(&r->populate_lock);
	if (!r->data) {
		old_memcg = set_active_memcg(r->memcg);
		data = xs_ring_alloc_data(r->nr_pages, &pages);
		set_active_memcg(old_memcg);
		if (data) {
			r->pages = pages;
			/* Pairs with the acquire above: pages, then data. */
			smp_store_release(&r->data, data);
		} else {
			ret = -ENOMEM;
		}
	}
	mutex_unlock(&r->populate_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_populate);

/**
 * xs_ring_set_owner() - charge the ring's pages to the current task
 * @r:	an initialised ring
 *
 * For the server end of a session, whose ring was set up by the client's
 * connect: from the accept on, its pages are the server's.  Pages that
 * messages sent before the accept needed stay charged to the client.
 */
void xs_ring_set_owner(struct xs_ring *r)
{
	struct mem_cgroup *memcg = get_mem_cgroup_from_mm(current->mm);

	mutex_lock(&r->populate_lock);
	swap(r->memcg, memcg);
	mutex_unlock(&r->populate_lock);
	mem_cgroup_put(memcg);
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_set_owner);

/**
 * xs_ring_destroy() - unmap and free a ring
 * @r:	the ring: initialised, or zeroed (never initialised, failed init,
 *	already destroyed)
 *
 * __free_page() drops only the ring's own reference, so a page a user
 * mapping still holds (data or control) stays alive until that mapping
 * goes away.  Leaves @r zeroed.
 */
void xs_ring_destroy(struct xs_ring *r)
{
	u32 i;

	if (r->ctl_page)
		__free_page(r->ctl_page);
	mem_cgroup_put(r->memcg);
	if (r->data)
		vunmap(r->data);
	if (r->pages) {
		for (i = 0; i < r->nr_pages; i++)
			__free_page(r->pages[i]);
		kvfree(r->pages);
	}
	memset(r, 0, sizeof(*r));
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_destroy);

/**
 * xs_ring_record_size() - ring bytes one message takes
 * @payload_len: its payload bytes
 *
 * Return: header plus payload rounded up to XS_RING_ALIGN, or 0 when that
 * does not fit in a u32.  0 is never the size of a real record, so every
 * caller must treat it as "cannot be queued".
 */
u32 xs_ring_record_size(u32 payload_len)
{
	if (payload_len > XS_RING_PAYLOAD_LIMIT)
		return 0;
	return ALIGN(XS_RING_HDR_SIZE + payload_len, XS_RING_ALIGN);
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_record_size);

/**
 * xs_ring_can_ever_hold() - whether a message fits in the empty ring
 * @r:		the ring
 * @payload_len: the message's payload bytes
 *
 * A sender whose message fails this check would wait for room forever;
 * it must be refused instead.
 *
 * Return: true when the record fits in @r->size bytes.
 */
bool xs_ring_can_ever_hold(const struct xs_ring *r, u32 payload_len)
{
	u32 rec = xs_ring_record_size(payload_len);

	return rec && rec <= r->size;
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_can_ever_hold);

/**
 * xs_ring_used() - bytes queued
 * @r:	the ring
 *
 * Both indices are read with acquire, so this serves either side: the
 * consumer then sees the records below tail (pair A), the producer may
 * then write above tail (pair B).  Head is read first: it never passes
 * tail, so an observer that holds neither side's lock never sees the
 * result wrap below zero.  It can still see more than @r->size, as can
 * anyone once head is in memory userspace writes; xs_ring_free() and
 * xs_ring_peek() treat that as no room and as corruption.
 *
 * Return: tail - head, in u32 arithmetic.
 */
u32 xs_ring_used(const struct xs_ring *r)
{
	u32 head, tail;

	/* Pair B, for a producer; first, as explained above. */
	head = smp_load_acquire(xs_ring_headp(r));
	/* Pair A, for a consumer. */
	tail = smp_load_acquire(&r->tail);
	return tail - head;
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_used);

/**
 * xs_ring_free() - bytes a producer may write now
 * @r:	the ring
 *
 * Return: @r->size minus the bytes queued; 0 when the indices are more
 * than @r->size apart, so a bogus head can never make the producer
 * overwrite what the consumer has yet to read, or write past the mapping.
 */
u32 xs_ring_free(const struct xs_ring *r)
{
	u32 used = xs_ring_used(r);

	return used > r->size ? 0 : r->size - used;
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_free);

/**
 * xs_ring_empty() - whether nothing is queued
 * @r:	the ring
 *
 * Return: true when head equals tail.
 */
bool xs_ring_empty(const struct xs_ring *r)
{
	return xs_ring_used(r) == 0;
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_empty);

/**
 * xs_ring_reserve() - find room for one record
 * @r:		the ring
 * @payload_len: payload bytes the caller will write
 *
 * The caller, holding the producer lock, fills the header at the returned
 * address and the payload right after it (hdr + 1), then publishes the
 * record with xs_ring_commit().  Until then the consumer cannot see it, so
 * a copy from userspace that faults half way is abandoned by simply not
 * committing.  The record is contiguous even when it wraps.
 *
 * Return: where the record's header goes; NULL when there is no room now
 * (or ever: check xs_ring_can_ever_hold() before waiting for room).
 */
struct xs_msg_hdr *xs_ring_reserve(struct xs_ring *r, u32 payload_len)
{
	u32 rec = xs_ring_record_size(payload_len);

	/* xs_ring_free() reads head with acquire: pair B. */
	if (!rec || rec > xs_ring_free(r) || !r->data)
		return NULL;
	return r->data + (r->tail & (r->size - 1));
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_reserve);

/**
 * xs_ring_commit() - publish the record written after xs_ring_reserve()
 * @r:		the ring
 * @payload_len: payload bytes written: at most what was reserved
 *
 * Stores @payload_len into the header itself, so the length the consumer
 * reads can never disagree with how far tail moves; and zeroes the
 * padding, so the receiver is never handed stale bytes from an older
 * record.
 */
void xs_ring_commit(struct xs_ring *r, u32 payload_len)
{
	u32 rec = xs_ring_record_size(payload_len);
	u32 tail = r->tail;
	struct xs_msg_hdr *hdr;

	/* Only a commit without a successful reserve gets here. */
	if (WARN_ON_ONCE(!rec || rec > r->size))
		return;

	hdr = r->data + (tail & (r->size - 1));
	hdr->payload_len = payload_len;
	memset((u8 *)(hdr + 1) + payload_len, 0,
	       rec - XS_RING_HDR_SIZE - payload_len);

	/* Pair A: the record's bytes before the tail that covers them. */
	smp_store_release(&r->tail, tail + rec);
	if (r->ctl) {
		/* Pair A for a receiver in userspace, which reads this copy. */
		smp_store_release(&r->ctl->tail, tail + rec);
	}
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_commit);

/*
 * The record at head, validated, and its size.  Every value it reads is
 * checked before use: head is the consumer's, which userspace will later
 * own, and a head that points into the middle of a record makes a header
 * out of payload bytes a sender chose.  A record is accepted only when it
 * lies wholly inside the queued bytes, which are at most r->size from an
 * offset below r->size: inside the double mapping.
 */
static const struct xs_msg_hdr *xs_ring_head_record(const struct xs_ring *r,
						    u32 *headp, u32 *recp)
{
	const struct xs_msg_hdr *hdr;
	u32 head, tail, used, rec;

	/* One snapshot of head: a concurrent writer must not split it. */
	head = READ_ONCE(*xs_ring_headp(r));
	/* Pair A: the records below tail are complete. */
	tail = smp_load_acquire(&r->tail);
	used = tail - head;
	if (!used)
		return NULL;
	/* Only a head userspace scribbled can see bytes in a ring of none. */
	if (!r->data)
		return ERR_PTR(-EIO);
	if (used > r->size || used < XS_RING_HDR_SIZE ||
	    !IS_ALIGNED(head, XS_RING_ALIGN))
		return ERR_PTR(-EIO);

	hdr = r->data + (head & (r->size - 1));
	rec = xs_ring_record_size(READ_ONCE(hdr->payload_len));
	if (!rec || rec > used)
		return ERR_PTR(-EIO);

	*headp = head;
	*recp = rec;
	return hdr;
}

/**
 * xs_ring_peek() - the oldest record, left queued
 * @r:	the ring
 *
 * The caller holds the consumer lock.  The record stays where it is and
 * unchanged until xs_ring_consume(): the producer writes only above tail.
 * Its header was validated: hdr->payload_len bytes at (hdr + 1) are
 * queued bytes of the ring.
 *
 * Return: the record's header; NULL when the ring is empty;
 * ERR_PTR(-EIO) when the indices or the header are inconsistent (the
 * ring's content can then no longer be trusted; xs_ring_set_index() at
 * tail, with producers excluded too, discards it).
 */
const struct xs_msg_hdr *xs_ring_peek(struct xs_ring *r)
{
	u32 head, rec;

	return xs_ring_head_record(r, &head, &rec);
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_peek);

/**
 * xs_ring_consume() - drop the oldest record
 * @r:	the ring
 *
 * The caller holds the consumer lock and has finished reading the record
 * xs_ring_peek() returned.  Does nothing when the ring is empty or its
 * head record is invalid, the cases xs_ring_peek() reported.
 */
void xs_ring_consume(struct xs_ring *r)
{
	const struct xs_msg_hdr *hdr;
	u32 head, rec;

	hdr = xs_ring_head_record(r, &head, &rec);
	if (IS_ERR_OR_NULL(hdr))
		return;

	/* Pair B: our reads of the record before the producer may reuse it. */
	smp_store_release(xs_ring_headp(r), head + rec);
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_consume);

/**
 * xs_ring_set_index() - empty the ring at a given index
 * @r:		the ring
 * @index:	new head and tail; rounded down to XS_RING_ALIGN
 *
 * For resets after corruption and for tests that need the indices near
 * the 2^32 wrap.  The caller excludes both producers and consumers.
 */
void xs_ring_set_index(struct xs_ring *r, u32 index)
{
	index = ALIGN_DOWN(index, XS_RING_ALIGN);
	WRITE_ONCE(*xs_ring_headp(r), index);
	WRITE_ONCE(r->tail, index);
	if (r->ctl)
		WRITE_ONCE(r->ctl->tail, index);
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_set_index);

/**
 * xs_ring_room_or_arm() - is there room, or has a waker been asked for?
 * @r:		the ring
 * @need:	bytes the producer needs
 *
 * The wait condition of a producer (and the POLLOUT test of a sender):
 * true when @need bytes are free.  Otherwise, on a mappable ring, it sets
 * ctl->need_wakeup before it looks again (pair C), so a receiver that
 * frees room in userspace knows to call XS_IOC_RING_WAIT.  Call it after
 * the caller is on the wait queue that XS_IOC_RING_WAIT wakes.
 *
 * Return: true when @need bytes are free.
 */
bool xs_ring_room_or_arm(struct xs_ring *r, u32 need)
{
	if (xs_ring_free(r) >= need)
		return true;
	if (!r->ctl)
		return false;	/* the kernel consumes, and wakes, itself */
	WRITE_ONCE(r->armed, true);
	WRITE_ONCE(r->ctl->need_wakeup, 1);
	/* Pair C: the flags before our second look at head. */
	smp_mb();
	return xs_ring_free(r) >= need;
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_room_or_arm);

/**
 * xs_ring_disarm() - clear the wake-up request, and say if there was one
 * @r:	the ring
 *
 * When it returns true the caller wakes every producer waiting for room;
 * a producer that still finds no room sets the flags again.  Clearing
 * first is what keeps that second request from being lost.  The kernel's
 * own flag decides, not the one userspace could clear.
 *
 * Return: true when a producer asked to be woken since the last call.
 */
bool xs_ring_disarm(struct xs_ring *r)
{
	if (!r->ctl)
		return false;
	WRITE_ONCE(r->ctl->need_wakeup, 0);
	/*
	 * xchg() is a full barrier, pair C on this side: the head the caller
	 * stored, and the cleared flags, before we look at the request.
	 */
	return xchg(&r->armed, false);
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_disarm);

/**
 * xs_ring_set_ended() - tell a mapped receiver that the session ended
 * @r:	the ring
 *
 * Records already queued stay where they are; the rest is for
 * XS_IOC_RECV (see the uapi header).
 */
void xs_ring_set_ended(struct xs_ring *r)
{
	if (r->ctl) {
		/*
		 * The end's why and reason, stored before, are visible to a
		 * receiver that reads ended with acquire and then calls in.
		 */
		smp_store_release(&r->ctl->ended, 1);
	}
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_set_ended);

/*
 * The pages of one user mapping are the ring's own, inserted at mmap()
 * time; the mapping takes its own reference on each, so they outlive the
 * session for as long as the mapping exists.  Never writable or
 * executable: the receiver must not be able to change a record under the
 * kernel (XS_IOC_RECV reads them) or forge one.
 */
static int xs_ring_mmap_data(struct xs_ring *r, struct vm_area_struct *vma)
{
	unsigned long nr = 2UL * r->nr_pages;

	if (vma->vm_end - vma->vm_start != nr << PAGE_SHIFT)
		return -EINVAL;
	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EACCES;
	if (xs_ring_populate(r))
		return -ENOMEM;
	vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP,
		     VM_MAYWRITE | VM_MAYEXEC);
	return vm_insert_pages(vma, vma->vm_start, r->pages, &nr);
}

static int xs_ring_mmap_ctl(struct xs_ring *r, struct vm_area_struct *vma)
{
	if (vma->vm_end - vma->vm_start != PAGE_SIZE)
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EACCES;
	vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP, VM_MAYEXEC);
	return vm_insert_page(vma, vma->vm_start, r->ctl_page);
}

/**
 * xs_ring_mmap() - map a mappable ring's control page or data pages
 * @r:		the ring
 * @vma:	the new mapping: shared; at XS_RING_OFF_CTL one page, at
 *		XS_RING_OFF_DATA exactly 2 * @r->size bytes, read-only
 *
 * Return: 0; -ENODEV when the ring is not mappable; -EINVAL for a
 * private mapping, a bad offset or length; -EACCES for asking to write
 * the data or to execute; -ENOMEM.
 */
int xs_ring_mmap(struct xs_ring *r, struct vm_area_struct *vma)
{
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;

	if (!r->ctl)
		return -ENODEV;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (off == XS_RING_OFF_CTL)
		return xs_ring_mmap_ctl(r, vma);
	if (off == XS_RING_OFF_DATA)
		return xs_ring_mmap_data(r, vma);
	return -EINVAL;
}
