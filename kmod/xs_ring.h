/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The receive ring of one session end.
 *
 * Every session end owns one ring.  A sender copies a message once, from
 * its own memory straight into the receiver's ring.  The receiver either
 * copies it out (XS_IOC_RECV, read()), or, when the end was created
 * mappable, maps the data pages read-only and reads records in place,
 * moving the consumer index in a control page it shares with the kernel.
 * uapi/linux/xsession.h documents that protocol for userspace; this is
 * the kernel's side of it.
 *
 * Layout.  The data area is @size bytes, a power of two, mapped twice in
 * a row (in the kernel and in every user mapping), so a record that runs
 * past the end of the ring continues, in the same virtual range, at its
 * start.  A record is a struct xs_msg_hdr followed by hdr.payload_len
 * bytes, padded to XS_RING_ALIGN; it starts at offset (index & (size -
 * 1)) and is always contiguous in the mapping.
 *
 * Indices.  head (consumer) and @tail (producer) are free-running u32
 * byte counters that wrap at 2^32; tail - head, in u32 arithmetic, is the
 * number of bytes queued, between 0 and @size.  There is no wasted slot:
 * head == tail is empty, tail - head == size is full.  @tail is the
 * kernel's own and is only copied to the control page; head lives in
 * the ring itself, or in the control page of a mappable ring, where
 * userspace may write anything into it at any time (xs_ring_headp()).
 *
 * Ordering, in pairs:
 *
 *  (A) The producer writes the whole record, then publishes it with
 *      smp_store_release(&tail).  The consumer reads tail with
 *      smp_load_acquire() before it reads any record below it, so it sees
 *      every byte the producer wrote.
 *
 *  (B) The consumer is done reading a record (header and payload), then
 *      frees it with smp_store_release(&head).  The producer reads head
 *      with smp_load_acquire() before it computes the free space, so it
 *      never overwrites bytes the consumer is still reading.
 *
 *  (C) A producer about to sleep for room sets need_wakeup, then a full
 *      barrier, then reads head again.  A consumer in userspace stores
 *      head, then a full barrier, then reads need_wakeup and asks the
 *      kernel to wake the producer when it is set.  One of the two sees
 *      the other's store, so no wake-up is lost.
 *
 * Trust.  The producer is always the kernel; the consumer index and, for
 * the kernel as consumer, the headers are checked before use: a head that
 * is misaligned or more than @size behind tail, or a header whose record
 * is larger than what is queued, makes the consumer side report -EIO and
 * the producer side see no free space.  Whatever those values hold, the
 * kernel never touches memory outside [data, data + 2 * size), and it
 * reads nothing else from the control page.
 *
 * Locking.  The ring has no lock of its own.  The caller serializes the
 * producers of a ring among themselves, and its consumers among
 * themselves; one producer and one consumer may run concurrently.
 */
#ifndef _XS_RING_H
#define _XS_RING_H

#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xsession.h>

/*
 * Records start and end on this boundary, so every header is naturally
 * aligned for its __u64 fields.
 */
#define XS_RING_ALIGN	8

/**
 * struct xs_ring - one receive ring
 * @pages:	2 * @nr_pages entries: the data pages, then the same pages
 *		again, the array vmap() and mmap() of the double mapping
 *		take.  NULL until xs_ring_populate().
 * @data:	the double mapping: 2 * @size bytes; NULL until the ring is
 *		populated (written once, with release).
 * @size:	data bytes, PAGE_SIZE << order.
 * @nr_pages:	distinct data pages, @size >> PAGE_SHIFT.
 * @head:	consumer index, free running, of a ring without control page.
 * @tail:	producer index, free running.
 * @ctl_page:	the control page of a mappable ring, else NULL.
 * @ctl:	its kernel address; the kernel reads only ctl->head.
 * @armed:	a producer asked to be woken when room comes (the kernel's
 *		copy of ctl->need_wakeup, which userspace may clear).
 * @populate_lock: serializes populating @pages and @data, and @memcg.
 * @memcg:	the memory cgroup the data pages are charged to (the
 *		owner's), referenced.
 */
struct xs_ring {
	struct page **pages;
	void *data;
	u32 size;
	u32 nr_pages;
	u32 head;
	u32 tail;
	struct page *ctl_page;
	struct xs_ring_ctl *ctl;
	bool armed;
	struct mutex populate_lock;	/* see above */
	struct mem_cgroup *memcg;
};

/*
 * Where the consumer index lives: the control page of a mappable ring
 * (set at creation, never changed), else the ring itself; also for a
 * zeroed ring.  Readers pass a const ring: they only load through it.
 */
static inline u32 *xs_ring_headp(const struct xs_ring *r)
{
	return r->ctl ? &r->ctl->head : (u32 *)&r->head;
}

/**
 * struct xs_ring_req - the receive ring one end asked for
 * @size:	data bytes, already resolved (xs_ring_size_resolve()).
 * @mappable:	with a control page, so the receiver can mmap() it.
 */
struct xs_ring_req {
	u32 size;
	bool mappable;
};

int xs_ring_init(struct xs_ring *r, u32 size, bool mappable);
int xs_ring_populate(struct xs_ring *r);
void xs_ring_set_owner(struct xs_ring *r);
void xs_ring_destroy(struct xs_ring *r);

u32 xs_ring_record_size(u32 payload_len);
bool xs_ring_can_ever_hold(const struct xs_ring *r, u32 payload_len);

u32 xs_ring_used(const struct xs_ring *r);
u32 xs_ring_free(const struct xs_ring *r);
bool xs_ring_empty(const struct xs_ring *r);

struct xs_msg_hdr *xs_ring_reserve(struct xs_ring *r, u32 payload_len);
void xs_ring_commit(struct xs_ring *r, u32 payload_len);

const struct xs_msg_hdr *xs_ring_peek(struct xs_ring *r);
void xs_ring_consume(struct xs_ring *r);

void xs_ring_set_index(struct xs_ring *r, u32 index);

bool xs_ring_room_or_arm(struct xs_ring *r, u32 need);
bool xs_ring_disarm(struct xs_ring *r);
void xs_ring_set_ended(struct xs_ring *r);

struct vm_area_struct;
int xs_ring_mmap(struct xs_ring *r, struct vm_area_struct *vma);

#endif /* _XS_RING_H */
