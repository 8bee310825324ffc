/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xs_test: a small TAP test harness for the xsession selftests.
 *
 *	#include "xs_test.h"
 *
 *	XS_TEST(info_rejects_flags)
 *	{
 *		int fd = open(XS_DEVICE_PATH, O_RDWR);
 *
 *		XS_ASSERT_OK(fd);
 *		XS_ASSERT_ERRNO(ioctl(fd, XS_IOC_INFO, &bad), EINVAL);
 *	}
 *
 * Each test runs in its own forked child and process group, so a crash,
 * a hang or a leaked fd in one test cannot take the others with it.  The
 * binary prints TAP 13 on stdout and exits 0 iff no test failed.
 *
 * XS_ASSERT_* end the test as failed at the first failure, XS_EXPECT_*
 * record the failure and carry on.  Integer comparisons compare the
 * mathematical values: -1 < 0u holds here, unlike in C, so mixing signed
 * and unsigned operands is safe and warning-free.  Operands must be
 * integers, enums, bools or pointers.
 */
#ifndef _XS_TEST_H
#define _XS_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XS_DEFAULT_TIMEOUT	30	/* seconds */

struct xs_test {
	const char *name;
	void (*fn)(void);
	unsigned int timeout;		/* seconds */
	const char *file;
	int line;
	struct xs_test *next;
};

void xs_register(struct xs_test *test);

/*
 * Tests register from constructors, so a test file needs no table and
 * no main(); they run in the order they appear in the file.
 */
#define XS_TEST_TIMEOUT(test, seconds)					\
	static void xs_fn_##test(void);					\
	static struct xs_test xs_test_##test = {			\
		.name = #test, .fn = xs_fn_##test, .timeout = (seconds),\
		.file = __FILE__, .line = __LINE__,			\
	};								\
	static void __attribute__((constructor)) xs_reg_##test(void)	\
	{								\
		xs_register(&xs_test_##test);				\
	}								\
	static void xs_fn_##test(void)

#define XS_TEST(test)	XS_TEST_TIMEOUT(test, XS_DEFAULT_TIMEOUT)

/* Runs the selected tests; the library's weak main() just calls this. */
int xs_main(int argc, char **argv);

/* A "# " diagnostic line on stdout; the newline is added. */
void xs_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* End the current test as skipped or failed, with a reason. */
void xs_skip(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void xs_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#define XS_SKIP(...)	xs_skip(__VA_ARGS__)
#define XS_FAIL(...)	xs_fail(__VA_ARGS__)

/*
 * An operand of a comparison, captured with its type's signedness so it
 * can be compared and printed exactly whatever its width.
 */
struct xs_val {
	uintmax_t bits;		/* the value; two's complement if signed */
	bool is_signed;
	bool is_ptr;
	unsigned char size;	/* sizeof the operand's type */
};

struct xs_val xs_val_make(const void *p, size_t size, bool is_signed,
			  bool is_ptr);

/* (T)-1 < (T)1 only for signed T; pointers count as unsigned. */
#define xs_is_signed(v)	((__typeof__(v))-1L < (__typeof__(v))1L)
/* 5 is GCC's pointer_type_class. */
#define xs_is_ptr(v)	(__builtin_classify_type(v) == 5)
#define XS_VAL(v)	xs_val_make(&(v), sizeof(v), xs_is_signed(v), xs_is_ptr(v))

enum xs_op { XS_OP_EQ, XS_OP_NE, XS_OP_LT, XS_OP_LE, XS_OP_GT, XS_OP_GE };

/*
 * The checks print the failure and return false; the macros decide
 * whether the test goes on.
 */
bool xs_check_cmp(const char *file, int line, enum xs_op op,
		  const char *ea, struct xs_val a,
		  const char *eb, struct xs_val b, int err);
bool xs_check_bool(const char *file, int line, const char *expr,
		   bool value, bool want);
bool xs_check_errno(const char *file, int line, const char *expr,
		    struct xs_val ret, int err, int want);
bool xs_check_ok(const char *file, int line, const char *expr,
		 struct xs_val ret, int err);
bool xs_check_str(const char *file, int line, const char *ea,
		  const char *a, const char *eb, const char *b);
bool xs_check_mem(const char *file, int line, const char *ea, const void *a,
		  const char *eb, const void *b, const char *elen, size_t len);

/* Marks the running test failed; it goes on (after XS_EXPECT_*). */
void xs_mark_failed(void);
/* Ends the running test as failed (after a failed XS_ASSERT_*). */
void xs_abort_test(void) __attribute__((noreturn));

#define xs_end_if(ok, fatal)						\
	do {								\
		if (!(ok) && (fatal))					\
			xs_abort_test();				\
	} while (0)

/*
 * The expressions are stringified by the public macros: one level down
 * their arguments would already be macro-expanded (XS_IOC_INFO, EINVAL).
 * errno is cleared before the operands are evaluated, so what a check
 * reports (or accepts) is what they set, never a stale value.
 */
#define __XS_CMP(a, sa, op, b, sb, fatal)				\
	do {								\
		errno = 0;						\
		__typeof__(a) _xs_a = (a);				\
		__typeof__(b) _xs_b = (b);				\
		int _xs_err = errno;					\
		bool _xs_ok = xs_check_cmp(__FILE__, __LINE__, op,	\
					   sa, XS_VAL(_xs_a),		\
					   sb, XS_VAL(_xs_b), _xs_err);	\
		xs_end_if(_xs_ok, fatal);				\
	} while (0)

#define __XS_BOOL(x, sx, want, fatal)					\
	do {								\
		bool _xs_ok = xs_check_bool(__FILE__, __LINE__, sx,	\
					    !!(x), want);		\
		xs_end_if(_xs_ok, fatal);				\
	} while (0)

#define __XS_ERRNO(expr, sexpr, want, fatal)				\
	do {								\
		errno = 0;						\
		__typeof__(expr) _xs_r = (expr);			\
		int _xs_err = errno;					\
		bool _xs_ok = xs_check_errno(__FILE__, __LINE__, sexpr,	\
					     XS_VAL(_xs_r), _xs_err,	\
					     want);			\
		xs_end_if(_xs_ok, fatal);				\
	} while (0)

#define __XS_OK(expr, sexpr, fatal)					\
	do {								\
		errno = 0;						\
		__typeof__(expr) _xs_r = (expr);			\
		int _xs_err = errno;					\
		bool _xs_ok = xs_check_ok(__FILE__, __LINE__, sexpr,	\
					  XS_VAL(_xs_r), _xs_err);	\
		xs_end_if(_xs_ok, fatal);				\
	} while (0)

#define __XS_STR(a, sa, b, sb, fatal)					\
	do {								\
		bool _xs_ok = xs_check_str(__FILE__, __LINE__,		\
					   sa, (a), sb, (b));		\
		xs_end_if(_xs_ok, fatal);				\
	} while (0)

#define __XS_MEM(a, sa, b, sb, len, slen, fatal)			\
	do {								\
		bool _xs_ok = xs_check_mem(__FILE__, __LINE__, sa, (a),	\
					   sb, (b), slen, (len));	\
		xs_end_if(_xs_ok, fatal);				\
	} while (0)

#define XS_ASSERT_EQ(a, b)	__XS_CMP(a, #a, XS_OP_EQ, b, #b, true)
#define XS_ASSERT_NE(a, b)	__XS_CMP(a, #a, XS_OP_NE, b, #b, true)
#define XS_ASSERT_LT(a, b)	__XS_CMP(a, #a, XS_OP_LT, b, #b, true)
#define XS_ASSERT_LE(a, b)	__XS_CMP(a, #a, XS_OP_LE, b, #b, true)
#define XS_ASSERT_GT(a, b)	__XS_CMP(a, #a, XS_OP_GT, b, #b, true)
#define XS_ASSERT_GE(a, b)	__XS_CMP(a, #a, XS_OP_GE, b, #b, true)
#define XS_ASSERT_TRUE(x)	__XS_BOOL(x, #x, true, true)
#define XS_ASSERT_FALSE(x)	__XS_BOOL(x, #x, false, true)
#define XS_ASSERT_STREQ(a, b)	__XS_STR(a, #a, b, #b, true)
#define XS_ASSERT_MEMEQ(a, b, len) __XS_MEM(a, #a, b, #b, len, #len, true)
/* expr returns -1 (all ones if unsigned) and sets errno to err. */
#define XS_ASSERT_ERRNO(expr, err) __XS_ERRNO(expr, #expr, err, true)
/* expr returns a value >= 0; on failure errno is printed. */
#define XS_ASSERT_OK(expr)	__XS_OK(expr, #expr, true)

#define XS_EXPECT_EQ(a, b)	__XS_CMP(a, #a, XS_OP_EQ, b, #b, false)
#define XS_EXPECT_NE(a, b)	__XS_CMP(a, #a, XS_OP_NE, b, #b, false)
#define XS_EXPECT_LT(a, b)	__XS_CMP(a, #a, XS_OP_LT, b, #b, false)
#define XS_EXPECT_LE(a, b)	__XS_CMP(a, #a, XS_OP_LE, b, #b, false)
#define XS_EXPECT_GT(a, b)	__XS_CMP(a, #a, XS_OP_GT, b, #b, false)
#define XS_EXPECT_GE(a, b)	__XS_CMP(a, #a, XS_OP_GE, b, #b, false)
#define XS_EXPECT_TRUE(x)	__XS_BOOL(x, #x, true, false)
#define XS_EXPECT_FALSE(x)	__XS_BOOL(x, #x, false, false)
#define XS_EXPECT_STREQ(a, b)	__XS_STR(a, #a, b, #b, false)
#define XS_EXPECT_MEMEQ(a, b, len) __XS_MEM(a, #a, b, #b, len, #len, false)
#define XS_EXPECT_ERRNO(expr, err) __XS_ERRNO(expr, #expr, err, false)
#define XS_EXPECT_OK(expr)	__XS_OK(expr, #expr, false)

#endif /* _XS_TEST_H */
