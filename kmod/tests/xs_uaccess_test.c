// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite xsession_uaccess: size-versioned structs copied from a real
 * user mapping, exactly as an ioctl would see them.
 */
#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

#include "xs_internal.h"

/* A stand-in for a growable uapi struct: size first, then fields. */
struct xs_test_struct {
	u32 size;
	u32 a;
	u64 b;
};

#define XS_TEST_MIN_SIZE	8

static void __user *xs_test_user_page(struct kunit *test)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "no user mapping for the test");
	return (void __user *)addr;
}

static void xs_put_user_bytes(struct kunit *test, void __user *dst,
			      const void *src, size_t len)
{
	KUNIT_ASSERT_EQ(test, copy_to_user(dst, src, len), 0);
}

static void xs_uaccess_exact_size(struct kunit *test)
{
	struct xs_test_struct in = { .size = sizeof(in), .a = 7, .b = 9 };
	struct xs_test_struct out;
	void __user *u = xs_test_user_page(test);
	u32 usize = 0;

	xs_put_user_bytes(test, u, &in, sizeof(in));
	KUNIT_EXPECT_EQ(test, xs_copy_struct_in(&out, sizeof(out),
						XS_TEST_MIN_SIZE, u, &usize), 0);
	KUNIT_EXPECT_EQ(test, usize, (u32)sizeof(in));
	KUNIT_EXPECT_EQ(test, out.a, 7U);
	KUNIT_EXPECT_EQ(test, out.b, 9ULL);
}

/* An older, smaller struct: the fields it lacks read as zero. */
static void xs_uaccess_older_caller(struct kunit *test)
{
	struct xs_test_struct in = { .size = XS_TEST_MIN_SIZE, .a = 5, .b = 77 };
	struct xs_test_struct out;
	void __user *u = xs_test_user_page(test);
	u32 usize = 0;

	xs_put_user_bytes(test, u, &in, sizeof(in));
	KUNIT_EXPECT_EQ(test, xs_copy_struct_in(&out, sizeof(out),
						XS_TEST_MIN_SIZE, u, &usize), 0);
	KUNIT_EXPECT_EQ(test, usize, (u32)XS_TEST_MIN_SIZE);
	KUNIT_EXPECT_EQ(test, out.a, 5U);
	KUNIT_EXPECT_EQ(test, out.b, 0ULL);
}

static void xs_uaccess_too_small(struct kunit *test)
{
	struct xs_test_struct in = { .size = XS_TEST_MIN_SIZE - 1 };
	struct xs_test_struct out;
	void __user *u = xs_test_user_page(test);
	u32 usize = 0;

	xs_put_user_bytes(test, u, &in, sizeof(in));
	KUNIT_EXPECT_EQ(test, xs_copy_struct_in(&out, sizeof(out),
						XS_TEST_MIN_SIZE, u, &usize),
			-EINVAL);
}

/* A newer struct is fine while its unknown tail is zero, not otherwise. */
static void xs_uaccess_newer_caller(struct kunit *test)
{
	u8 buf[sizeof(struct xs_test_struct) + 16] = {};
	struct xs_test_struct *in = (struct xs_test_struct *)buf;
	struct xs_test_struct out;
	void __user *u = xs_test_user_page(test);
	u32 usize = 0;

	in->size = sizeof(buf);
	in->a = 3;
	xs_put_user_bytes(test, u, buf, sizeof(buf));
	KUNIT_EXPECT_EQ(test, xs_copy_struct_in(&out, sizeof(out),
						XS_TEST_MIN_SIZE, u, &usize), 0);
	KUNIT_EXPECT_EQ(test, out.a, 3U);

	buf[sizeof(buf) - 1] = 1;
	xs_put_user_bytes(test, u, buf, sizeof(buf));
	KUNIT_EXPECT_EQ(test, xs_copy_struct_in(&out, sizeof(out),
						XS_TEST_MIN_SIZE, u, &usize),
			-E2BIG);
}

static void xs_uaccess_oversized(struct kunit *test)
{
	struct xs_test_struct in = { .size = PAGE_SIZE + 1 };
	struct xs_test_struct out;
	void __user *u = xs_test_user_page(test);
	u32 usize = 0;

	xs_put_user_bytes(test, u, &in, sizeof(in));
	KUNIT_EXPECT_EQ(test, xs_copy_struct_in(&out, sizeof(out),
						XS_TEST_MIN_SIZE, u, &usize),
			-E2BIG);
}

/* A size that runs off the end of the mapping faults, it never overreads. */
static void xs_uaccess_fault(struct kunit *test)
{
	struct xs_test_struct in = { .size = 64 };
	struct xs_test_struct out;
	void __user *u = xs_test_user_page(test);
	void __user *near_end = u + PAGE_SIZE - sizeof(in);
	u32 usize = 0;

	KUNIT_EXPECT_EQ(test, xs_copy_struct_in(&out, sizeof(out),
						XS_TEST_MIN_SIZE, NULL, &usize),
			-EFAULT);

	xs_put_user_bytes(test, near_end, &in, sizeof(in));
	KUNIT_EXPECT_EQ(test, xs_copy_struct_in(&out, sizeof(out),
						XS_TEST_MIN_SIZE, near_end,
						&usize),
			-EFAULT);
}

static void xs_uaccess_copy_out_truncates(struct kunit *test)
{
	struct xs_test_struct k = { .size = sizeof(k), .a = 1, .b = 2 };
	u8 back[sizeof(k)];
	void __user *u = xs_test_user_page(test);

	memset(back, 0xaa, sizeof(back));
	xs_put_user_bytes(test, u, back, sizeof(back));
	KUNIT_EXPECT_EQ(test, xs_copy_struct_out(u, &k, sizeof(k),
						 XS_TEST_MIN_SIZE), 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(back, u, sizeof(back)), 0);
	/* The first 8 bytes were written, the rest left as they were. */
	KUNIT_EXPECT_EQ(test, memcmp(back, &k, XS_TEST_MIN_SIZE), 0);
	KUNIT_EXPECT_EQ(test, back[XS_TEST_MIN_SIZE], 0xaa);
}

static struct kunit_case xs_uaccess_cases[] = {
	KUNIT_CASE(xs_uaccess_exact_size),
	KUNIT_CASE(xs_uaccess_older_caller),
	KUNIT_CASE(xs_uaccess_too_small),
	KUNIT_CASE(xs_uaccess_newer_caller),
	KUNIT_CASE(xs_uaccess_oversized),
	KUNIT_CASE(xs_uaccess_fault),
	KUNIT_CASE(xs_uaccess_copy_out_truncates),
	{}
};

static struct kunit_suite xs_uaccess_suite = {
	.name = "xsession_uaccess",
	.test_cases = xs_uaccess_cases,
};

kunit_test_suite(xs_uaccess_suite);
