/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The receive ring of one session end.
 *
 * Every session end owns one ring.  A sender copies a message once, from
 * its own memory straight into the receiver's ring; the receiver copies it
 * out now, and will later map the data pages read-only and consume records
 * in place, moving the consumer index in a control page it shares with the
 * kernel.  The protocol below is written for that second consumer: it is
 * the future userspace ABI.
 *
 * Layout.  The data area is @size bytes, a power of two, mapped twice in a
 * row, so a record that runs past the end of the ring continues, in the
 * same virtual range, at its start.  A record is a struct xs_msg_hdr
 * followed by hdr.payload_len bytes, padded to XS_RING_ALIGN; it starts at
 * offset (index & (size - 1)) and is always contiguous in the mapping.
 *
 * Indices.  @head (consumer) and @tail (producer) are free-running u32
 * byte counters that wrap at 2^32; tail - head, in u32 arithmetic, is the
 * number of bytes queued, between 0 and @size.  There is no wasted slot:
 * head == tail is empty, tail - head == size is full.
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
 * Trust.  The producer is always the kernel; the consumer index and, for
 * the kernel as consumer, the headers are checked before use: a head that
 * is misaligned or more than @size behind tail, or a header whose record
 * is larger than what is queued, makes the consumer side report -EIO and
 * the producer side see no free space.  Whatever those values hold, the
 * kernel never touches memory outside [data, data + 2 * size).
 *
 * Locking.  The ring has no lock of its own.  The caller serializes the
 * producers of a ring among themselves, and its consumers among
 * themselves; one producer and one consumer may run concurrently.
 */
#ifndef _XS_RING_H
#define _XS_RING_H

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
 *		again, the array vmap() took and a later mmap() of the
 *		double mapping will take.  Charged to the memcg of the task
 *		that created the ring.
 * @data:	the double mapping: 2 * @size bytes.
 * @size:	data bytes, PAGE_SIZE << order.
 * @nr_pages:	distinct data pages, @size >> PAGE_SHIFT.
 * @head:	consumer index, free running.
 * @tail:	producer index, free running.
 */
struct xs_ring {
	struct page **pages;
	void *data;
	u32 size;
	u32 nr_pages;
	u32 head;
	u32 tail;
};

int xs_ring_init(struct xs_ring *r, u32 size);
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

#endif /* _XS_RING_H */
