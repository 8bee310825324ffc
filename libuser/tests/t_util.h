/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers for the libxsession object/codec host tests, on top of the
 * selftests' xs_test harness.
 *
 * XT_TEST(name) is XS_TEST(name) plus two leak checks when the body
 * returns: no fd may be left open that was not open before, and (under
 * ASan) LeakSanitizer must find no unreachable allocation.  The harness
 * ends each test child with _exit(), which skips LSan's own exit check,
 * so the check is made here, per test, where the report names the test.
 */
#ifndef XT_UTIL_H
#define XT_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_test.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#include <sanitizer/lsan_interface.h>
#define XT_HAVE_LSAN 1
#else
#define XT_HAVE_LSAN 0
#endif

static inline int xt_count_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static inline void xt_check_leaks(int fds_before)
{
	int fds = xt_count_fds();

	if (fds != fds_before)
		XS_FAIL("fd leak: %d open before the test, %d after",
			fds_before, fds);
#if XT_HAVE_LSAN
	if (__lsan_do_recoverable_leak_check())
		XS_FAIL("memory leak (LeakSanitizer report above)");
#endif
}

#define XT_TEST_TIMEOUT(name, seconds)					\
	static void xt_body_##name(void);				\
	XS_TEST_TIMEOUT(name, seconds)					\
	{								\
		int xt_fds = xt_count_fds();				\
									\
		xt_body_##name();					\
		xt_check_leaks(xt_fds);					\
	}								\
	static void xt_body_##name(void)

#define XT_TEST(name)	XT_TEST_TIMEOUT(name, XS_DEFAULT_TIMEOUT)

/*
 * @expr (an object constructor) fails with errno @err.  The harness's
 * checks clear errno before evaluating their operands, so it is
 * captured here first.
 */
#define XT_EXPECT_NULL_ERRNO(expr, err)					\
	do {								\
		errno = 0;						\
		xs_object_t *_xt_o = (expr);				\
		int _xt_errno = errno;					\
									\
		if (_xt_o != NULL || _xt_errno != (err)) {		\
			xs_diag("%s:%d: %s: expected NULL with errno %d, "\
				"got %p with errno %d", __FILE__, __LINE__, \
				#expr, (err), (void *)_xt_o, _xt_errno); \
			xs_mark_failed();				\
		}							\
		xs_release(_xt_o);					\
	} while (0)

/* Parses hex (spaces allowed) into a malloc'd buffer; *len its size. */
static inline uint8_t *xt_unhex(const char *hex, size_t *len)
{
	uint8_t *out = malloc(strlen(hex) / 2 + 1);
	size_t n = 0;
	int hi = -1;

	if (!out)
		abort();
	for (; *hex; hex++) {
		int v;

		if (*hex == ' ')
			continue;
		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else if (*hex >= 'A' && *hex <= 'F')
			v = *hex - 'A' + 10;
		else
			abort();	/* a typo in a test vector */
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		abort();
	*len = n;
	return out;
}

/* Lower-case hex of @len bytes, malloc'd. */
static inline char *xt_hex(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	char *s = malloc(2 * len + 1);
	size_t i;

	if (!s)
		abort();
	for (i = 0; i < len; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * len] = '\0';
	return s;
}

#endif /* XT_UTIL_H */
