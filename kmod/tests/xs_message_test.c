// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite xsession_message: message ids, the replies a peer may still
 * send, and the limits a sender and a listener are held to.
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "xs_session.h"

static struct xs_end *xs_test_end(struct kunit *test)
{
	struct xs_end *end = kunit_kzalloc(test, sizeof(*end), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, end);
	end->next_seq = 1;
	end->next_req_seq = 1;
	return end;
}

/* Requests get odd ids, other messages even ones, each counting up. */
static void xs_message_ids(struct kunit *test)
{
	struct xs_end *end = xs_test_end(test);

	KUNIT_EXPECT_EQ(test, xs_next_id_locked(end, false), 2ULL);
	KUNIT_EXPECT_EQ(test, xs_next_id_locked(end, true), 3ULL);
	KUNIT_EXPECT_EQ(test, xs_next_id_locked(end, false), 4ULL);
	KUNIT_EXPECT_EQ(test, xs_next_id_locked(end, false), 6ULL);
	KUNIT_EXPECT_EQ(test, xs_next_id_locked(end, true), 5ULL);
}

/*
 * A reply to an id that was never a request is -EINVAL; to a request
 * that was sent (and so, since it is not owed any more, answered) it is
 * -EALREADY.
 */
static void xs_message_reply_id_errors(struct kunit *test)
{
	struct xs_end *req = xs_test_end(test);

	/* Nothing sent yet: no id can have been a request. */
	KUNIT_EXPECT_EQ(test, xs_reply_id_error(req, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, xs_reply_id_error(req, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, xs_reply_id_error(req, 3), -EINVAL);

	xs_next_id_locked(req, false);		/* one-way, id 2 */
	xs_next_id_locked(req, true);		/* request, id 3 */
	xs_next_id_locked(req, false);		/* one-way, id 4 */

	KUNIT_EXPECT_EQ(test, xs_reply_id_error(req, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, xs_reply_id_error(req, 3), -EALREADY);
	KUNIT_EXPECT_EQ(test, xs_reply_id_error(req, 4), -EINVAL);
	/* Id 5 would be the next request: never sent. */
	KUNIT_EXPECT_EQ(test, xs_reply_id_error(req, 5), -EINVAL);
	KUNIT_EXPECT_EQ(test, xs_reply_id_error(req, U64_MAX), -EINVAL);
}

/* Ring sizes a caller may ask for: 0 (default) or a power of two of pages. */
static void xs_message_ring_sizes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, xs_ring_size_resolve(0),
			xs_limits.ring_size_default);
	KUNIT_EXPECT_EQ(test, xs_ring_size_resolve(PAGE_SIZE), (u32)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, xs_ring_size_resolve(xs_limits.ring_size_max),
			xs_limits.ring_size_max);
	KUNIT_EXPECT_EQ(test, xs_ring_size_resolve(xs_limits.ring_size_max * 2),
			0U);
	KUNIT_EXPECT_EQ(test, xs_ring_size_resolve(PAGE_SIZE / 2), 0U);
	KUNIT_EXPECT_EQ(test, xs_ring_size_resolve(3 * PAGE_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, xs_ring_size_resolve(U32_MAX), 0U);
}

static struct kunit_case xs_message_cases[] = {
	KUNIT_CASE(xs_message_ids),
	KUNIT_CASE(xs_message_reply_id_errors),
	KUNIT_CASE(xs_message_ring_sizes),
	{}
};

static struct kunit_suite xs_message_suite = {
	.name = "xsession_message",
	.test_cases = xs_message_cases,
};

kunit_test_suite(xs_message_suite);
