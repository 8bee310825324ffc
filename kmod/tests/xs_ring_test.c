// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite xsession_ring: the receive ring's bookkeeping, its double
 * mapping, the wrap of its u32 indices and its refusal to follow a
 * corrupted record out of bounds.  Every record carries a sequence number
 * and a payload derived from it, so any loss, reordering or damage shows.
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "xs_ring.h"

#define XS_TEST_HDR	((u32)sizeof(struct xs_msg_hdr))

KUNIT_DEFINE_ACTION_WRAPPER(xs_test_ring_destroy, xs_ring_destroy,
			    struct xs_ring *);

/* An initialised ring that is destroyed when the test ends, however. */
static struct xs_ring *xs_test_ring_m(struct kunit *test, u32 size,
				      bool mappable)
{
	struct xs_ring *r;

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_EQ(test, xs_ring_init(r, size, mappable), 0);
	KUNIT_ASSERT_EQ(test, xs_ring_populate(r), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							xs_test_ring_destroy,
							r), 0);
	return r;
}

static struct xs_ring *xs_test_ring(struct kunit *test, u32 size)
{
	return xs_test_ring_m(test, size, false);
}

static u8 xs_test_byte(u64 seq, u32 i)
{
	return (u8)(seq * 131 + i * 7 + (i >> 8));
}

/* Payload lengths that hit every residue modulo XS_RING_ALIGN, and 0. */
static u32 xs_test_len(u64 seq, u32 max)
{
	return ((u32)seq * 2654435761U >> 16) % (max + 1);
}

static void xs_test_fill(struct xs_msg_hdr *hdr, u64 seq, u32 len)
{
	u8 *p = (u8 *)(hdr + 1);
	u32 i;

	hdr->kind = XS_MSG_ONEWAY;
	hdr->flags = 0;
	hdr->payload_len = 0;	/* xs_ring_commit() stores the length */
	hdr->status = 0;
	hdr->nr_items = 0;
	hdr->id = seq;
	hdr->reply_to = ~seq;
	for (i = 0; i < len; i++)
		p[i] = xs_test_byte(seq, i);
}

/*
 * Index of the first byte of the record that is wrong, -1 when the header,
 * the payload and the zeroed padding are all as xs_test_fill() made them.
 */
static long xs_test_check(const struct xs_msg_hdr *hdr, u64 seq, u32 len)
{
	const u8 *p = (const u8 *)(hdr + 1);
	u32 rec = xs_ring_record_size(len);
	u32 i;

	if (hdr->kind != XS_MSG_ONEWAY || hdr->flags || hdr->status ||
	    hdr->id != seq || hdr->reply_to != ~seq || hdr->payload_len != len)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] != xs_test_byte(seq, i))
			return XS_TEST_HDR + i;
	for (; i < rec - XS_TEST_HDR; i++)
		if (p[i])
			return XS_TEST_HDR + i;
	return -1;
}

static void xs_test_put(struct kunit *test, struct xs_ring *r, u64 seq,
			u32 len)
{
	struct xs_msg_hdr *hdr = xs_ring_reserve(r, len);

	KUNIT_ASSERT_NOT_NULL_MSG(test, hdr, "record %llu, %u bytes", seq, len);
	xs_test_fill(hdr, seq, len);
	xs_ring_commit(r, len);
}

static void xs_test_get(struct kunit *test, struct xs_ring *r, u64 seq,
			u32 len)
{
	const struct xs_msg_hdr *hdr = xs_ring_peek(r);

	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, hdr, "record %llu", seq);
	KUNIT_ASSERT_EQ_MSG(test, xs_test_check(hdr, seq, len), -1L,
			    "record %llu, %u bytes", seq, len);
	xs_ring_consume(r);
}

/*
 * Push records through @r, filling it as far as each next record allows
 * and draining a varying number, until @bytes have gone through.  Returns
 * the number of records.
 */
static u64 xs_test_stream(struct kunit *test, struct xs_ring *r, u32 max_len,
			  u64 bytes)
{
	u64 put = 0, got = 0, done = 0;
	u32 n;

	while (done < bytes) {
		while (xs_ring_free(r) >=
		       xs_ring_record_size(xs_test_len(put, max_len))) {
			xs_test_put(test, r, put, xs_test_len(put, max_len));
			put++;
		}
		KUNIT_ASSERT_LE(test, xs_ring_used(r), r->size);
		KUNIT_ASSERT_EQ(test, xs_ring_used(r) + xs_ring_free(r), r->size);

		for (n = (u32)got % 5 + 1; n && got < put; n--, got++) {
			xs_test_get(test, r, got, xs_test_len(got, max_len));
			done += xs_ring_record_size(xs_test_len(got, max_len));
		}
	}
	for (; got < put; got++)
		xs_test_get(test, r, got, xs_test_len(got, max_len));
	KUNIT_EXPECT_TRUE(test, xs_ring_empty(r));
	KUNIT_EXPECT_NULL(test, xs_ring_peek(r));
	return got;
}

static void xs_ring_init_rejects_bad_sizes(struct kunit *test)
{
	static const u32 bad[] = {
		0, 1, 8, PAGE_SIZE / 2, PAGE_SIZE - 1, PAGE_SIZE + 1,
		PAGE_SIZE + 8, 3 * PAGE_SIZE, 6 * PAGE_SIZE, 0x80000001U,
		U32_MAX,
	};
	struct xs_ring r;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&r, 0xa5, sizeof(r));
		KUNIT_EXPECT_EQ_MSG(test, xs_ring_init(&r, bad[i], false), -EINVAL,
				    "size %u", bad[i]);
		/* Left zeroed, whatever it held. */
		KUNIT_EXPECT_NULL(test, r.pages);
		KUNIT_EXPECT_NULL(test, r.data);
		KUNIT_EXPECT_EQ(test, r.size, 0U);
		KUNIT_EXPECT_EQ(test, r.nr_pages, 0U);
		xs_ring_destroy(&r);
	}
}

/*
 * The data pages come with the first message: until then the ring is
 * empty, has room, refuses to reserve, and a head scribbled into its
 * control page finds nothing to read.
 */
static void xs_ring_populate_on_demand(struct kunit *test)
{
	struct xs_ring *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_EQ(test, xs_ring_init(r, 4 * PAGE_SIZE, true), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							xs_test_ring_destroy,
							r), 0);
	KUNIT_EXPECT_NULL(test, r->data);
	KUNIT_EXPECT_NULL(test, r->pages);
	KUNIT_EXPECT_TRUE(test, xs_ring_empty(r));
	KUNIT_EXPECT_EQ(test, xs_ring_free(r), 4 * (u32)PAGE_SIZE);
	KUNIT_EXPECT_NULL(test, xs_ring_reserve(r, 10));
	KUNIT_EXPECT_NULL(test, xs_ring_peek(r));
	WRITE_ONCE(r->ctl->head, 64);
	KUNIT_EXPECT_PTR_EQ(test, xs_ring_peek(r),
			    (const struct xs_msg_hdr *)ERR_PTR(-EIO));
	WRITE_ONCE(r->ctl->head, 0);

	KUNIT_ASSERT_EQ(test, xs_ring_populate(r), 0);
	KUNIT_ASSERT_NOT_NULL(test, r->data);
	KUNIT_EXPECT_PTR_EQ(test, r->pages[0], r->pages[4]);
	/* Once is enough. */
	KUNIT_EXPECT_EQ(test, xs_ring_populate(r), 0);
	xs_test_put(test, r, 1, 100);
	xs_test_get(test, r, 1, 100);
	/* Owners change the memcg, not the pages. */
	xs_ring_set_owner(r);
	KUNIT_EXPECT_NOT_NULL(test, r->data);
}

static void xs_ring_init_good_sizes(struct kunit *test)
{
	static const u32 good[] = { PAGE_SIZE, 2 * PAGE_SIZE, 16 * PAGE_SIZE };
	struct xs_ring *r;
	unsigned int i;
	u32 p;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		r = xs_test_ring(test, good[i]);
		KUNIT_EXPECT_EQ(test, r->size, good[i]);
		KUNIT_EXPECT_EQ(test, r->nr_pages, good[i] >> PAGE_SHIFT);
		KUNIT_EXPECT_EQ(test, r->head, 0U);
		KUNIT_EXPECT_EQ(test, r->tail, 0U);
		KUNIT_EXPECT_TRUE(test, xs_ring_empty(r));
		KUNIT_EXPECT_EQ(test, xs_ring_used(r), 0U);
		KUNIT_EXPECT_EQ(test, xs_ring_free(r), good[i]);
		KUNIT_EXPECT_NULL(test, xs_ring_peek(r));
		for (p = 0; p < r->nr_pages; p++) {
			KUNIT_EXPECT_NOT_NULL(test, r->pages[p]);
			KUNIT_EXPECT_PTR_EQ(test, r->pages[r->nr_pages + p],
					    r->pages[p]);
		}
		/* Fresh pages hold nothing of anyone else's. */
		KUNIT_EXPECT_NULL(test, memchr_inv(r->data, 0,
						   2 * (size_t)r->size));
	}
}

static void xs_ring_record_size_rounding(struct kunit *test)
{
	const u32 limit = U32_MAX - XS_TEST_HDR - (XS_RING_ALIGN - 1);
	u32 len;

	KUNIT_EXPECT_EQ(test, XS_TEST_HDR, 32U);
	KUNIT_EXPECT_EQ(test, xs_ring_record_size(0), 32U);
	KUNIT_EXPECT_EQ(test, xs_ring_record_size(1), 40U);
	KUNIT_EXPECT_EQ(test, xs_ring_record_size(7), 40U);
	KUNIT_EXPECT_EQ(test, xs_ring_record_size(8), 40U);
	KUNIT_EXPECT_EQ(test, xs_ring_record_size(9), 48U);
	KUNIT_EXPECT_EQ(test, xs_ring_record_size(PAGE_SIZE - 32),
			(u32)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, xs_ring_record_size(PAGE_SIZE - 31),
			(u32)PAGE_SIZE + 8);
	for (len = 0; len < 256; len++) {
		u32 rec = xs_ring_record_size(len);

		KUNIT_EXPECT_EQ(test, rec % XS_RING_ALIGN, 0U);
		KUNIT_EXPECT_GE(test, rec, XS_TEST_HDR + len);
		KUNIT_EXPECT_LT(test, rec, XS_TEST_HDR + len + XS_RING_ALIGN);
	}

	/* The largest payload whose record size fits in a u32 ... */
	KUNIT_EXPECT_EQ(test, xs_ring_record_size(limit), U32_MAX - 7);
	KUNIT_EXPECT_EQ(test, xs_ring_record_size(limit - 7), U32_MAX - 7);
	KUNIT_EXPECT_EQ(test, xs_ring_record_size(limit - 8), U32_MAX - 15);
	/* ... and those whose would wrap around to a small number. */
	KUNIT_EXPECT_EQ(test, xs_ring_record_size(limit + 1), 0U);
	KUNIT_EXPECT_EQ(test, xs_ring_record_size(U32_MAX - XS_TEST_HDR), 0U);
	KUNIT_EXPECT_EQ(test, xs_ring_record_size(U32_MAX - 1), 0U);
	KUNIT_EXPECT_EQ(test, xs_ring_record_size(U32_MAX), 0U);
}

/* 128-byte records: PAGE_SIZE / 128 of them fill a one-page ring. */
#define XS_TEST_LEN128	(128 - 32)

static void xs_ring_fill_exactly(struct kunit *test)
{
	struct xs_ring *r = xs_test_ring(test, PAGE_SIZE);
	u32 n = PAGE_SIZE / 128, i;

	KUNIT_ASSERT_EQ(test, xs_ring_record_size(XS_TEST_LEN128), 128U);
	for (i = 0; i < n - 1; i++) {
		xs_test_put(test, r, i, XS_TEST_LEN128);
		KUNIT_EXPECT_EQ(test, xs_ring_used(r), (i + 1) * 128);
	}

	/* 128 bytes left: a record of 136 does not fit, one of 128 does. */
	KUNIT_EXPECT_EQ(test, xs_ring_free(r), 128U);
	KUNIT_EXPECT_NULL(test, xs_ring_reserve(r, XS_TEST_LEN128 + 1));
	xs_test_put(test, r, i, XS_TEST_LEN128);

	/* Exactly full: no slot is kept free, nothing more goes in. */
	KUNIT_EXPECT_EQ(test, xs_ring_used(r), (u32)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, xs_ring_free(r), 0U);
	KUNIT_EXPECT_FALSE(test, xs_ring_empty(r));
	KUNIT_EXPECT_NULL(test, xs_ring_reserve(r, 0));
	KUNIT_EXPECT_EQ(test, r->tail - r->head, (u32)PAGE_SIZE);

	for (i = 0; i < n; i++)
		xs_test_get(test, r, i, XS_TEST_LEN128);
	KUNIT_EXPECT_TRUE(test, xs_ring_empty(r));
}

static void xs_ring_consume_frees_room(struct kunit *test)
{
	struct xs_ring *r = xs_test_ring(test, PAGE_SIZE);
	u32 n = PAGE_SIZE / 128, i;
	u32 head;

	for (i = 0; i < n; i++)
		xs_test_put(test, r, i, XS_TEST_LEN128);
	KUNIT_ASSERT_EQ(test, xs_ring_free(r), 0U);

	/* Looking at a record does not free it. */
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, xs_ring_peek(r));
	KUNIT_EXPECT_EQ(test, xs_ring_free(r), 0U);
	KUNIT_EXPECT_NULL(test, xs_ring_reserve(r, 0));

	xs_test_get(test, r, 0, XS_TEST_LEN128);
	KUNIT_EXPECT_EQ(test, xs_ring_free(r), 128U);
	KUNIT_EXPECT_NULL(test, xs_ring_reserve(r, XS_TEST_LEN128 + 1));
	xs_test_put(test, r, n, XS_TEST_LEN128);
	KUNIT_EXPECT_EQ(test, xs_ring_free(r), 0U);

	for (i = 1; i <= n; i++)
		xs_test_get(test, r, i, XS_TEST_LEN128);
	KUNIT_EXPECT_TRUE(test, xs_ring_empty(r));
	KUNIT_EXPECT_EQ(test, xs_ring_free(r), (u32)PAGE_SIZE);

	/* Consuming an empty ring moves nothing. */
	head = r->head;
	xs_ring_consume(r);
	KUNIT_EXPECT_EQ(test, r->head, head);
	KUNIT_EXPECT_NULL(test, xs_ring_peek(r));
}

/* A shorter commit than the reservation publishes only what it says. */
static void xs_ring_commit_shorter(struct kunit *test)
{
	struct xs_ring *r = xs_test_ring(test, PAGE_SIZE);
	struct xs_msg_hdr *hdr;

	hdr = xs_ring_reserve(r, 1000);
	KUNIT_ASSERT_NOT_NULL(test, hdr);
	xs_test_fill(hdr, 5, 1000);
	xs_ring_commit(r, 13);
	KUNIT_EXPECT_EQ(test, xs_ring_used(r), xs_ring_record_size(13));
	/* The header got the committed length, the padding got zeroes. */
	xs_test_get(test, r, 5, 13);
	KUNIT_EXPECT_TRUE(test, xs_ring_empty(r));
}

static void xs_ring_fifo_variable(struct kunit *test)
{
	struct xs_ring *r = xs_test_ring(test, 4 * PAGE_SIZE);
	u64 n;

	n = xs_test_stream(test, r, 1500, 64 * (u64)r->size);
	kunit_info(test, "%llu records", n);
	KUNIT_EXPECT_GT(test, n, 1000ULL);
}

/*
 * Put one record at @index, which ends up crossing the end of the ring,
 * and read it back in one piece through the second mapping; its bytes
 * past the end must be those of the ring's first page.
 */
static void xs_test_straddle_at(struct kunit *test, struct xs_ring *r,
				u32 index, u32 len)
{
	u32 off = index & (r->size - 1);
	u32 rec = xs_ring_record_size(len);
	const struct xs_msg_hdr *hdr;
	u32 over;

	KUNIT_ASSERT_GT(test, off + rec, r->size);
	over = off + rec - r->size;

	xs_ring_set_index(r, index);
	xs_test_put(test, r, index, len);

	hdr = xs_ring_peek(r);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, hdr);
	KUNIT_EXPECT_PTR_EQ(test, (const void *)hdr, r->data + off);
	KUNIT_EXPECT_EQ(test, xs_test_check(hdr, index, len), -1L);
	KUNIT_EXPECT_EQ(test, memcmp(r->data + r->size, r->data, over), 0);
	KUNIT_EXPECT_EQ(test, memcmp(r->data + r->size,
				     page_address(r->pages[0]),
				     min_t(u32, over, PAGE_SIZE)), 0);
	xs_ring_consume(r);
	KUNIT_EXPECT_TRUE(test, xs_ring_empty(r));
}

static void xs_ring_straddle(struct kunit *test)
{
	struct xs_ring *r = xs_test_ring(test, 2 * PAGE_SIZE);
	u32 size = r->size;

	/* The payload crosses the end. */
	xs_test_straddle_at(test, r, size - 40, 200);
	/* The header itself crosses the end. */
	xs_test_straddle_at(test, r, size - 16, 300);
	/* Into the ring's second page. */
	xs_test_straddle_at(test, r, size - 64, PAGE_SIZE + 100);
	/* The largest record, from the middle of the ring round to it. */
	xs_test_straddle_at(test, r, size / 2 + 8, size - XS_TEST_HDR);
}

static void xs_ring_index_wrap(struct kunit *test)
{
	struct xs_ring *r = xs_test_ring(test, PAGE_SIZE);
	u64 n;

	xs_ring_set_index(r, 0xffffff00U);
	KUNIT_EXPECT_EQ(test, r->head, 0xffffff00U);
	KUNIT_EXPECT_EQ(test, r->tail, 0xffffff00U);
	KUNIT_EXPECT_TRUE(test, xs_ring_empty(r));

	n = xs_test_stream(test, r, 300, 3 * (u64)r->size);
	kunit_info(test, "%llu records across 2^32", n);
	/* Both indices went through 2^32 and came out small. */
	KUNIT_EXPECT_LT(test, r->tail, 0xffffff00U);
	KUNIT_EXPECT_GE(test, r->tail, 2 * (u32)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, r->head, r->tail);

	/* A ring parked at the last aligned index before the wrap. */
	xs_ring_set_index(r, U32_MAX);
	KUNIT_EXPECT_EQ(test, r->head, U32_MAX - 7);
	xs_test_stream(test, r, 100, 3 * (u64)r->size);
}

static void xs_ring_can_ever_hold_boundary(struct kunit *test)
{
	struct xs_ring *r = xs_test_ring(test, PAGE_SIZE);
	struct xs_ring zero = {};
	u32 max = PAGE_SIZE - XS_TEST_HDR;

	KUNIT_EXPECT_TRUE(test, xs_ring_can_ever_hold(r, 0));
	KUNIT_EXPECT_TRUE(test, xs_ring_can_ever_hold(r, max - 7));
	KUNIT_EXPECT_TRUE(test, xs_ring_can_ever_hold(r, max));
	KUNIT_EXPECT_FALSE(test, xs_ring_can_ever_hold(r, max + 1));
	KUNIT_EXPECT_FALSE(test, xs_ring_can_ever_hold(r, PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, xs_ring_can_ever_hold(r, U32_MAX - 40));
	KUNIT_EXPECT_FALSE(test, xs_ring_can_ever_hold(r, U32_MAX));
	KUNIT_EXPECT_FALSE(test, xs_ring_can_ever_hold(&zero, 0));

	/* What it promises holds: the largest record fills the ring. */
	KUNIT_EXPECT_NULL(test, xs_ring_reserve(r, max + 1));
	xs_test_put(test, r, 1, max);
	KUNIT_EXPECT_EQ(test, xs_ring_free(r), 0U);
	KUNIT_EXPECT_NULL(test, xs_ring_reserve(r, 0));
	xs_test_get(test, r, 1, max);

	/* Also from an offset where it wraps. */
	xs_ring_set_index(r, 0xfffffff0U);
	xs_test_put(test, r, 2, max);
	xs_test_get(test, r, 2, max);
	KUNIT_EXPECT_TRUE(test, xs_ring_empty(r));
}

/*
 * A header or index that lies must give -EIO, neither a pointer nor a
 * read of memory outside the ring (KASAN watches the mapping's guard).
 */
static void xs_ring_corrupt_header(struct kunit *test)
{
	struct xs_ring *r = xs_test_ring(test, PAGE_SIZE);
	static const u32 lies[] = {
		U32_MAX, U32_MAX - 40, U32_MAX - XS_TEST_HDR, PAGE_SIZE,
		PAGE_SIZE - XS_TEST_HDR + 1, 2 * PAGE_SIZE, 0x80000000U,
	};
	struct xs_msg_hdr *hdr;
	u32 head, used, i;

	/* The victim is the ring's last bytes, so overreads leave it. */
	xs_ring_set_index(r, PAGE_SIZE - 48);
	xs_test_put(test, r, 1, 16);
	xs_test_put(test, r, 2, 100);
	head = r->head;
	used = xs_ring_used(r);
	hdr = r->data + (head & (r->size - 1));

	for (i = 0; i < ARRAY_SIZE(lies); i++) {
		hdr->payload_len = lies[i];
		KUNIT_EXPECT_PTR_EQ_MSG(test, xs_ring_peek(r),
					(const struct xs_msg_hdr *)ERR_PTR(-EIO),
					"payload_len %u", lies[i]);
		xs_ring_consume(r);
		KUNIT_EXPECT_EQ(test, r->head, head);
		KUNIT_EXPECT_EQ(test, xs_ring_used(r), used);
	}

	/* One byte more than is queued. */
	hdr->payload_len = used - XS_TEST_HDR + 1;
	KUNIT_EXPECT_PTR_EQ(test, xs_ring_peek(r),
			    (const struct xs_msg_hdr *)ERR_PTR(-EIO));

	/*
	 * Exactly what is queued is in bounds, so it is accepted: the
	 * check is about where the kernel reads, not about what was sent.
	 */
	hdr->payload_len = used - XS_TEST_HDR;
	KUNIT_EXPECT_PTR_EQ(test, xs_ring_peek(r),
			    (const struct xs_msg_hdr *)hdr);

	/* Repaired, both records read back. */
	hdr->payload_len = 16;
	xs_test_get(test, r, 1, 16);
	xs_test_get(test, r, 2, 100);
	KUNIT_EXPECT_TRUE(test, xs_ring_empty(r));

	/* A reset at tail discards whatever is queued. */
	xs_test_put(test, r, 3, 10);
	hdr = r->data + (r->head & (r->size - 1));
	hdr->payload_len = U32_MAX;
	KUNIT_EXPECT_TRUE(test, IS_ERR(xs_ring_peek(r)));
	xs_ring_set_index(r, r->tail);
	KUNIT_EXPECT_NULL(test, xs_ring_peek(r));
	xs_test_put(test, r, 4, 10);
	xs_test_get(test, r, 4, 10);
}

/*
 * A consumer index the kernel did not write (it will live in memory
 * userspace maps): ahead of tail, too far behind, misaligned.  The
 * consumer refuses it, the producer sees no room.
 */
static void xs_test_corrupt_index(struct kunit *test, struct xs_ring *r)
{
	const u32 bad_offsets[] = { 8, 4, 1, (u32)-PAGE_SIZE - 8, 0x80000000U };
	u32 head, i;

	xs_test_put(test, r, 1, 64);
	xs_test_put(test, r, 2, 64);
	head = *xs_ring_headp(r);

	for (i = 0; i < ARRAY_SIZE(bad_offsets); i++) {
		/* head = tail + offset: ahead of tail, or > size behind it. */
		WRITE_ONCE(*xs_ring_headp(r), r->tail + bad_offsets[i]);
		KUNIT_EXPECT_PTR_EQ_MSG(test, xs_ring_peek(r),
					(const struct xs_msg_hdr *)ERR_PTR(-EIO),
					"offset %u", bad_offsets[i]);
		KUNIT_EXPECT_EQ(test, xs_ring_free(r), 0U);
		KUNIT_EXPECT_NULL(test, xs_ring_reserve(r, 0));
	}

	/* Misaligned, inside the queued bytes. */
	WRITE_ONCE(*xs_ring_headp(r), head + 4);
	KUNIT_EXPECT_PTR_EQ(test, xs_ring_peek(r),
			    (const struct xs_msg_hdr *)ERR_PTR(-EIO));
	/* Fewer bytes queued than a header. */
	WRITE_ONCE(*xs_ring_headp(r), r->tail - 8);
	KUNIT_EXPECT_PTR_EQ(test, xs_ring_peek(r),
			    (const struct xs_msg_hdr *)ERR_PTR(-EIO));

	WRITE_ONCE(*xs_ring_headp(r), head);
	xs_test_get(test, r, 1, 64);
	xs_test_get(test, r, 2, 64);
}

static void xs_ring_corrupt_index(struct kunit *test)
{
	xs_test_corrupt_index(test, xs_test_ring(test, PAGE_SIZE));
}

/* The same through the control page, where userspace writes head. */
static void xs_ring_mapped_corrupt_index(struct kunit *test)
{
	struct xs_ring *r = xs_test_ring_m(test, PAGE_SIZE, true);

	KUNIT_ASSERT_PTR_EQ(test, xs_ring_headp(r), &r->ctl->head);
	xs_test_corrupt_index(test, r);
}

/*
 * A mappable ring: a control page that reports the size and both
 * indices, follows the producer and the kernel consumer, and carries
 * what the kernel tells a receiver.  A plain ring has none.
 */
static void xs_ring_mapped_ctl(struct kunit *test)
{
	struct xs_ring *plain = xs_test_ring(test, PAGE_SIZE);
	struct xs_ring *r = xs_test_ring_m(test, 2 * PAGE_SIZE, true);

	KUNIT_EXPECT_NULL(test, plain->ctl);
	KUNIT_EXPECT_NULL(test, plain->ctl_page);
	KUNIT_EXPECT_PTR_EQ(test, xs_ring_headp(plain), &plain->head);

	KUNIT_ASSERT_NOT_NULL(test, r->ctl);
	KUNIT_EXPECT_PTR_EQ(test, (void *)r->ctl, page_address(r->ctl_page));
	KUNIT_EXPECT_EQ(test, r->ctl->size, 2 * (u32)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, r->ctl->head, 0U);
	KUNIT_EXPECT_EQ(test, r->ctl->tail, 0U);
	KUNIT_EXPECT_EQ(test, r->ctl->ended, 0U);

	xs_test_put(test, r, 1, 20);
	KUNIT_EXPECT_EQ(test, r->ctl->tail, XS_RING_RECORD_SIZE(20));
	KUNIT_EXPECT_EQ(test, r->ctl->head, 0U);
	xs_test_get(test, r, 1, 20);
	KUNIT_EXPECT_EQ(test, r->ctl->head, XS_RING_RECORD_SIZE(20));

	xs_ring_set_index(r, 0xfffffff3U);
	KUNIT_EXPECT_EQ(test, r->ctl->head, 0xfffffff0U);
	KUNIT_EXPECT_EQ(test, r->ctl->tail, 0xfffffff0U);
	xs_test_put(test, r, 2, 100);
	KUNIT_EXPECT_EQ(test, r->ctl->tail,
			0xfffffff0U + XS_RING_RECORD_SIZE(100));
	xs_test_get(test, r, 2, 100);

	xs_ring_set_ended(r);
	KUNIT_EXPECT_EQ(test, r->ctl->ended, 1U);
	/* Harmless on a ring without a control page. */
	xs_ring_set_ended(plain);
	KUNIT_EXPECT_FALSE(test, xs_ring_disarm(plain));
}

/*
 * Pair C: a producer that finds no room asks for a wake-up through the
 * control page; room it finds on its second look, or later, needs none.
 */
static void xs_ring_mapped_wakeup_flag(struct kunit *test)
{
	struct xs_ring *plain = xs_test_ring(test, PAGE_SIZE);
	struct xs_ring *r = xs_test_ring_m(test, PAGE_SIZE, true);
	u32 half = PAGE_SIZE / 2 - XS_TEST_HDR;

	xs_test_put(test, r, 1, half);
	KUNIT_EXPECT_TRUE(test, xs_ring_room_or_arm(r, PAGE_SIZE / 2));
	KUNIT_EXPECT_EQ(test, r->ctl->need_wakeup, 0U);
	xs_test_put(test, r, 2, half);
	KUNIT_EXPECT_FALSE(test, xs_ring_room_or_arm(r, 8));
	KUNIT_EXPECT_EQ(test, r->ctl->need_wakeup, 1U);

	KUNIT_EXPECT_TRUE(test, xs_ring_disarm(r));
	KUNIT_EXPECT_EQ(test, r->ctl->need_wakeup, 0U);
	/* Asked once, woken once. */
	KUNIT_EXPECT_FALSE(test, xs_ring_disarm(r));
	xs_test_get(test, r, 1, half);
	KUNIT_EXPECT_TRUE(test, xs_ring_room_or_arm(r, PAGE_SIZE / 2));
	KUNIT_EXPECT_FALSE(test, xs_ring_room_or_arm(r, PAGE_SIZE / 2 + 8));
	KUNIT_EXPECT_EQ(test, r->ctl->need_wakeup, 1U);

	/* Userspace clearing the flag does not lose the kernel's request. */
	WRITE_ONCE(r->ctl->need_wakeup, 0);
	KUNIT_EXPECT_TRUE(test, xs_ring_disarm(r));

	/* A scribbled head: no room, however often the producer looks. */
	WRITE_ONCE(r->ctl->head, r->tail + 8);
	KUNIT_EXPECT_FALSE(test, xs_ring_room_or_arm(r, 8));

	/* Without a control page the kernel consumer wakes producers. */
	xs_test_put(test, plain, 1, PAGE_SIZE - XS_TEST_HDR);
	KUNIT_EXPECT_FALSE(test, xs_ring_room_or_arm(plain, 8));
}

static void xs_ring_destroy_after_failed_init(struct kunit *test)
{
	struct xs_ring r = {};

	/* Never initialised. */
	xs_ring_destroy(&r);

	KUNIT_EXPECT_EQ(test, xs_ring_init(&r, 3 * PAGE_SIZE, true), -EINVAL);
	xs_ring_destroy(&r);
	xs_ring_destroy(&r);

	/* A zeroed ring is inert: empty, full, and holds nothing. */
	KUNIT_EXPECT_TRUE(test, xs_ring_empty(&r));
	KUNIT_EXPECT_EQ(test, xs_ring_used(&r), 0U);
	KUNIT_EXPECT_EQ(test, xs_ring_free(&r), 0U);
	KUNIT_EXPECT_NULL(test, xs_ring_reserve(&r, 0));
	KUNIT_EXPECT_NULL(test, xs_ring_peek(&r));
	xs_ring_consume(&r);

	/* Destroy leaves it zeroed, so a second destroy is harmless. */
	KUNIT_ASSERT_EQ(test, xs_ring_init(&r, PAGE_SIZE, true), 0);
	xs_ring_destroy(&r);
	KUNIT_EXPECT_NULL(test, r.pages);
	KUNIT_EXPECT_NULL(test, r.data);
	KUNIT_EXPECT_EQ(test, r.size, 0U);
	xs_ring_destroy(&r);
}

/*
 * One producer thread and one consumer (the test) at once, on a small
 * ring so that they meet at both ends all the time: exercises the
 * acquire/release pairs between the indices and the records.
 */
#define XS_TEST_SPSC_RECORDS	20000
#define XS_TEST_SPSC_MAX_LEN	200

struct xs_test_spsc {
	struct xs_ring *r;
	struct task_struct *task;
};

static int xs_test_spsc_producer(void *arg)
{
	struct xs_test_spsc *s = arg;
	struct xs_msg_hdr *hdr;
	u64 seq;
	u32 len;

	for (seq = 0; seq < XS_TEST_SPSC_RECORDS; seq++) {
		len = xs_test_len(seq, XS_TEST_SPSC_MAX_LEN);
		while (!(hdr = xs_ring_reserve(s->r, len))) {
			if (kthread_should_stop())
				return 0;
			cond_resched();
		}
		xs_test_fill(hdr, seq, len);
		xs_ring_commit(s->r, len);
	}
	/* Sleep until stopped: kthread_stop() wakes us. */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static void xs_test_spsc_stop(void *arg)
{
	struct xs_test_spsc *s = arg;

	kthread_stop_put(s->task);
}

static void xs_ring_spsc_concurrent(struct kunit *test)
{
	struct xs_test_spsc *s;
	const struct xs_msg_hdr *hdr;
	unsigned long deadline;
	u64 seq;
	u32 len;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->r = xs_test_ring(test, PAGE_SIZE);
	s->task = kthread_create(xs_test_spsc_producer, s, "xs_ring_spsc");
	KUNIT_ASSERT_FALSE(test, IS_ERR(s->task));
	get_task_struct(s->task);
	/* Registered after the ring's destroy action, so it runs first. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							xs_test_spsc_stop, s),
			0);
	wake_up_process(s->task);

	deadline = jiffies + 120 * HZ;
	for (seq = 0; seq < XS_TEST_SPSC_RECORDS; seq++) {
		len = xs_test_len(seq, XS_TEST_SPSC_MAX_LEN);
		while (!(hdr = xs_ring_peek(s->r))) {
			KUNIT_ASSERT_TRUE_MSG(test, time_before(jiffies, deadline),
					      "stuck at record %llu", seq);
			cond_resched();
		}
		KUNIT_ASSERT_FALSE(test, IS_ERR(hdr));
		KUNIT_ASSERT_EQ_MSG(test, xs_test_check(hdr, seq, len), -1L,
				    "record %llu", seq);
		xs_ring_consume(s->r);
	}
	KUNIT_EXPECT_TRUE(test, xs_ring_empty(s->r));
}

static struct kunit_case xs_ring_cases[] = {
	KUNIT_CASE(xs_ring_init_rejects_bad_sizes),
	KUNIT_CASE(xs_ring_init_good_sizes),
	KUNIT_CASE(xs_ring_populate_on_demand),
	KUNIT_CASE(xs_ring_record_size_rounding),
	KUNIT_CASE(xs_ring_fill_exactly),
	KUNIT_CASE(xs_ring_consume_frees_room),
	KUNIT_CASE(xs_ring_commit_shorter),
	KUNIT_CASE(xs_ring_fifo_variable),
	KUNIT_CASE(xs_ring_straddle),
	KUNIT_CASE(xs_ring_index_wrap),
	KUNIT_CASE(xs_ring_can_ever_hold_boundary),
	KUNIT_CASE(xs_ring_corrupt_header),
	KUNIT_CASE(xs_ring_corrupt_index),
	KUNIT_CASE(xs_ring_mapped_corrupt_index),
	KUNIT_CASE(xs_ring_mapped_ctl),
	KUNIT_CASE(xs_ring_mapped_wakeup_flag),
	KUNIT_CASE(xs_ring_destroy_after_failed_init),
	KUNIT_CASE_SLOW(xs_ring_spsc_concurrent),
	{}
};

static struct kunit_suite xs_ring_suite = {
	.name = "xsession_ring",
	.test_cases = xs_ring_cases,
};

kunit_test_suite(xs_ring_suite);
