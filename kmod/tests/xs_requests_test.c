// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite xsession_requests: the table of requests an end sent that
 * are owed a reply: found by id, walked in the order sent, withdrawn and
 * removed with exact counts, and bounded (-ENOBUFS) both in awaited
 * requests and in all it may hold.
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/slab.h>

#include "xs_internal.h"
#include "xs_requests.h"

KUNIT_DEFINE_ACTION_WRAPPER(xs_test_reqs_destroy, xs_reqs_destroy,
			    struct xs_req_table *);

static struct xs_req_table *xs_test_table(struct kunit *test)
{
	struct xs_req_table *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	xs_reqs_init(t);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							xs_test_reqs_destroy,
							t), 0);
	return t;
}

static void xs_reqs_add_find_remove(struct kunit *test)
{
	struct xs_req_table *t = xs_test_table(test);
	struct xs_sync_waiter *w = (struct xs_sync_waiter *)t;	/* a token */
	struct xs_req *a, *b;
	u64 id;

	a = xs_reqs_add(t, 3, XS_MSGF_SYNC, w);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	b = xs_reqs_add(t, 5, 0, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	KUNIT_EXPECT_EQ(test, t->nr_awaited, 2U);
	KUNIT_EXPECT_EQ(test, t->nr, 2U);
	KUNIT_EXPECT_PTR_EQ(test, xs_reqs_find(t, 3), a);
	KUNIT_EXPECT_PTR_EQ(test, xs_reqs_find(t, 5), b);
	KUNIT_EXPECT_PTR_EQ(test, a->waiter, w);
	KUNIT_EXPECT_EQ(test, a->flags, (u16)XS_MSGF_SYNC);
	KUNIT_EXPECT_TRUE(test, b->awaited);
	KUNIT_EXPECT_NULL(test, b->waiter);
	/* Ids that are not there, in and around the same hash buckets. */
	for (id = 0; id < 200; id++)
		if (id != 3 && id != 5)
			KUNIT_EXPECT_NULL(test, xs_reqs_find(t, id));

	xs_reqs_remove(t, a);
	KUNIT_EXPECT_NULL(test, xs_reqs_find(t, 3));
	KUNIT_EXPECT_EQ(test, t->nr_awaited, 1U);
	KUNIT_EXPECT_EQ(test, t->nr, 1U);
}

/* Withdrawn: still owed (found), no longer awaited, nobody to wake. */
static void xs_reqs_withdraw_keeps_debt(struct kunit *test)
{
	struct xs_req_table *t = xs_test_table(test);
	struct xs_req *r = xs_reqs_add(t, 7, XS_MSGF_SYNC,
				       (struct xs_sync_waiter *)t);

	KUNIT_ASSERT_FALSE(test, IS_ERR(r));
	xs_reqs_withdraw(t, r);
	KUNIT_EXPECT_PTR_EQ(test, xs_reqs_find(t, 7), r);
	KUNIT_EXPECT_FALSE(test, r->awaited);
	KUNIT_EXPECT_NULL(test, r->waiter);
	KUNIT_EXPECT_EQ(test, t->nr_awaited, 0U);
	KUNIT_EXPECT_EQ(test, t->nr, 1U);
	KUNIT_EXPECT_NULL(test, xs_reqs_first_awaited(t));
	/* The late reply settles it. */
	xs_reqs_remove(t, r);
	KUNIT_EXPECT_EQ(test, t->nr, 0U);
	KUNIT_EXPECT_EQ(test, t->nr_awaited, 0U);
}

/* The oldest awaited request first, whatever order the rest went in. */
static void xs_reqs_first_awaited_in_order(struct kunit *test)
{
	struct xs_req_table *t = xs_test_table(test);
	struct xs_req *r[6];
	int i;

	for (i = 0; i < 6; i++) {
		r[i] = xs_reqs_add(t, 2 * i + 3, 0, NULL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(r[i]));
	}
	KUNIT_EXPECT_PTR_EQ(test, xs_reqs_first_awaited(t), r[0]);
	xs_reqs_withdraw(t, r[0]);
	xs_reqs_remove(t, r[1]);
	KUNIT_EXPECT_PTR_EQ(test, xs_reqs_first_awaited(t), r[2]);
	xs_reqs_remove(t, r[4]);
	xs_reqs_remove(t, r[2]);
	KUNIT_EXPECT_PTR_EQ(test, xs_reqs_first_awaited(t), r[3]);
	xs_reqs_remove(t, r[3]);
	KUNIT_EXPECT_PTR_EQ(test, xs_reqs_first_awaited(t), r[5]);
	xs_reqs_remove(t, r[5]);
	KUNIT_EXPECT_NULL(test, xs_reqs_first_awaited(t));
	KUNIT_EXPECT_EQ(test, t->nr, 1U);	/* r[0], withdrawn */
}

/* max_outstanding awaited, or four times that owed: -ENOBUFS. */
static void xs_reqs_bounded(struct kunit *test)
{
	struct xs_req_table *t = xs_test_table(test);
	u32 max = xs_limits.max_outstanding, i;
	struct xs_req **r;
	u64 id = 1;

	r = kunit_kcalloc(test, 4 * max + 1, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	for (i = 0; i < max; i++) {
		r[i] = xs_reqs_add(t, id += 2, 0, NULL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(r[i]));
	}
	KUNIT_EXPECT_PTR_EQ(test, xs_reqs_add(t, id += 2, 0, NULL),
			    ERR_PTR(-ENOBUFS));
	/* Withdrawing makes room, up to the bound on all of them. */
	for (i = 0; t->nr < 4 * max; i++) {
		xs_reqs_withdraw(t, r[i]);
		r[max + i] = xs_reqs_add(t, id += 2, 0, NULL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(r[max + i]));
	}
	xs_reqs_withdraw(t, r[i]);
	KUNIT_EXPECT_PTR_EQ(test, xs_reqs_add(t, id += 2, 0, NULL),
			    ERR_PTR(-ENOBUFS));
	KUNIT_EXPECT_EQ(test, t->nr, 4 * max);
	KUNIT_EXPECT_EQ(test, t->nr_awaited, max - 1);
	KUNIT_EXPECT_PTR_EQ(test, xs_reqs_first_awaited(t), r[i + 1]);
}

static struct kunit_case xs_requests_cases[] = {
	KUNIT_CASE(xs_reqs_add_find_remove),
	KUNIT_CASE(xs_reqs_withdraw_keeps_debt),
	KUNIT_CASE(xs_reqs_first_awaited_in_order),
	KUNIT_CASE_SLOW(xs_reqs_bounded),
	{}
};

static struct kunit_suite xs_requests_suite = {
	.name = "xsession_requests",
	.test_cases = xs_requests_cases,
};

kunit_test_suite(xs_requests_suite);
