// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite xsession_items: which files may travel, and the queue of
 * items beside a ring: found by message id, unlinked by the consumer,
 * reaped once head has passed their record (also across the 2^32 wrap),
 * and closed (their file references dropped) whenever they go.
 */
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include "xs_items.h"
#include "xs_ring.h"

static const struct file_operations xs_test_fops;

KUNIT_DEFINE_ACTION_WRAPPER(xs_test_fput, fput, struct file *);
KUNIT_DEFINE_ACTION_WRAPPER(xs_test_ring_destroy, xs_ring_destroy,
			    struct xs_ring *);
KUNIT_DEFINE_ACTION_WRAPPER(xs_test_queue_destroy, xs_item_queue_destroy,
			    struct xs_item_queue *);

/* A file that is put when the test ends. */
static struct file *xs_test_file(struct kunit *test, const char *anon_name)
{
	struct file *f;

	if (anon_name)
		f = anon_inode_getfile(anon_name, &xs_test_fops, NULL, O_RDWR);
	else
		f = shmem_file_setup("xs_items_test", PAGE_SIZE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, xs_test_fput, f),
			0);
	return f;
}

/* Items of one message, each holding its own reference on @f. */
static struct xs_items *xs_test_items(struct kunit *test, struct file *f,
				      u32 nr)
{
	struct xs_items *items;
	u32 i;

	items = kzalloc(struct_size(items, it, nr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, items);
	INIT_LIST_HEAD(&items->node);
	items->nr = nr;
	for (i = 0; i < nr; i++)
		items->it[i] = (struct xs_item_k){ .file = get_file(f),
						   .type = XS_ITEM_FD };
	return items;
}

static struct xs_item_queue *xs_test_queue(struct kunit *test)
{
	struct xs_item_queue *q = kunit_kzalloc(test, sizeof(*q), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, q);
	xs_item_queue_init(q);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							xs_test_queue_destroy,
							q), 0);
	return q;
}

static struct xs_ring *xs_test_ring(struct kunit *test)
{
	struct xs_ring *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_EQ(test, xs_ring_init(r, PAGE_SIZE, true), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							xs_test_ring_destroy,
							r), 0);
	return r;
}

static void xs_items_which_files_travel(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, xs_file_may_travel(xs_test_file(test, NULL)));
	KUNIT_EXPECT_TRUE(test,
			  xs_file_may_travel(xs_test_file(test, "[eventfd]")));
	/* io_uring's own anonymous files can hold files in flight. */
	KUNIT_EXPECT_FALSE(test,
			   xs_file_may_travel(xs_test_file(test, "[io_uring]")));
}

static void xs_items_free_drops_references(struct kunit *test)
{
	struct file *f = xs_test_file(test, NULL);
	long base = file_count(f);
	struct xs_items *items = xs_test_items(test, f, 5);

	KUNIT_EXPECT_EQ(test, file_count(f), base + 5);
	xs_items_free(items);
	KUNIT_EXPECT_EQ(test, file_count(f), base);
	/* NULL is nothing to free. */
	xs_items_free(NULL);
}

static void xs_items_queue_find_and_unlink(struct kunit *test)
{
	struct xs_item_queue *q = xs_test_queue(test);
	struct file *f = xs_test_file(test, NULL);
	struct xs_items *a = xs_test_items(test, f, 1);
	struct xs_items *b = xs_test_items(test, f, 2);

	xs_item_queue_add(q, a, 2, 0);
	xs_item_queue_add(q, b, 4, 64);
	KUNIT_EXPECT_PTR_EQ(test, xs_item_queue_find(q, 4), b);
	KUNIT_EXPECT_PTR_EQ(test, xs_item_queue_find(q, 2), a);
	KUNIT_EXPECT_NULL(test, xs_item_queue_find(q, 6));
	KUNIT_EXPECT_EQ(test, b->pos, 64U);
	KUNIT_EXPECT_EQ(test, b->id, 4ULL);

	xs_item_queue_unlink(q, a);
	KUNIT_EXPECT_NULL(test, xs_item_queue_find(q, 2));
	KUNIT_EXPECT_PTR_EQ(test, xs_item_queue_find(q, 4), b);
	xs_items_free(a);
	/* b goes with the queue, at the end of the test. */
}

/* Reaped exactly when head has passed the start of their record. */
static void xs_items_reap_follows_head(struct kunit *test, u32 start)
{
	struct xs_item_queue *q = xs_test_queue(test);
	struct xs_ring *r = xs_test_ring(test);
	struct file *f = xs_test_file(test, NULL);
	long base = file_count(f);

	xs_ring_set_index(r, start);
	start = r->tail;
	xs_item_queue_add(q, xs_test_items(test, f, 1), 2, start);
	xs_item_queue_add(q, xs_test_items(test, f, 1), 4, start + 64);
	xs_item_queue_add(q, xs_test_items(test, f, 1), 6, start + 128);
	KUNIT_EXPECT_EQ(test, file_count(f), base + 3);

	/* Head at a record's start: not yet passed. */
	xs_item_queue_reap(q, r);
	KUNIT_EXPECT_EQ(test, file_count(f), base + 3);
	WRITE_ONCE(*xs_ring_headp(r), start + 64);
	xs_item_queue_reap(q, r);
	KUNIT_EXPECT_NULL(test, xs_item_queue_find(q, 2));
	KUNIT_EXPECT_NOT_NULL(test, xs_item_queue_find(q, 4));
	KUNIT_EXPECT_EQ(test, file_count(f), base + 2);
	WRITE_ONCE(*xs_ring_headp(r), start + 200);
	xs_item_queue_reap(q, r);
	KUNIT_EXPECT_NULL(test, xs_item_queue_find(q, 6));
	KUNIT_EXPECT_EQ(test, file_count(f), base);
}

static void xs_items_reap(struct kunit *test)
{
	xs_items_reap_follows_head(test, 0);
}

static void xs_items_reap_across_wrap(struct kunit *test)
{
	xs_items_reap_follows_head(test, 0xffffffc0U);
}

/* Whatever is left goes with the queue. */
static void xs_items_destroy_closes_all(struct kunit *test)
{
	struct xs_item_queue q;
	struct file *f = xs_test_file(test, NULL);
	long base = file_count(f);

	xs_item_queue_init(&q);
	xs_item_queue_add(&q, xs_test_items(test, f, 3), 2, 0);
	xs_item_queue_add(&q, xs_test_items(test, f, 4), 4, 64);
	KUNIT_EXPECT_EQ(test, file_count(f), base + 7);
	xs_item_queue_destroy(&q);
	KUNIT_EXPECT_EQ(test, file_count(f), base);
	KUNIT_EXPECT_TRUE(test, list_empty(&q.list));
}

static struct kunit_case xs_items_cases[] = {
	KUNIT_CASE(xs_items_which_files_travel),
	KUNIT_CASE(xs_items_free_drops_references),
	KUNIT_CASE(xs_items_queue_find_and_unlink),
	KUNIT_CASE(xs_items_reap),
	KUNIT_CASE(xs_items_reap_across_wrap),
	KUNIT_CASE(xs_items_destroy_closes_all),
	{}
};

static struct kunit_suite xs_items_suite = {
	.name = "xsession_items",
	.test_cases = xs_items_cases,
};

kunit_test_suite(xs_items_suite);
