// SPDX-License-Identifier: GPL-2.0
/*
 * xs_test checks: capturing operands exactly and explaining failures.
 *
 * Each check prints one "# file:line: expected ..." diagnostic when it
 * fails, marks the test failed and returns false; whether the test goes
 * on is the calling macro's business (XS_ASSERT_* or XS_EXPECT_*).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "xs_test.h"

struct xs_val xs_val_make(const void *p, size_t size, bool is_signed,
			  bool is_ptr)
{
	struct xs_val v = { .is_signed = is_signed && !is_ptr,
			    .is_ptr = is_ptr, .size = size };

	/* Load through the right width so byte order never matters. */
#define XS_LOAD(stype, utype)						\
	do {								\
		if (v.is_signed) {					\
			stype s;					\
			memcpy(&s, p, sizeof(s));			\
			v.bits = (uintmax_t)(intmax_t)s;		\
		} else {						\
			utype u;					\
			memcpy(&u, p, sizeof(u));			\
			v.bits = u;					\
		}							\
	} while (0)

	switch (size) {
	case 1:
		XS_LOAD(int8_t, uint8_t);
		break;
	case 2:
		XS_LOAD(int16_t, uint16_t);
		break;
	case 4:
		XS_LOAD(int32_t, uint32_t);
		break;
	case 8:
		XS_LOAD(int64_t, uint64_t);
		break;
	default:
		xs_fail("xs_test: operand of %zu bytes is not comparable",
			size);
	}
#undef XS_LOAD
	return v;
}

static bool xs_val_neg(struct xs_val v)
{
	return v.is_signed && (intmax_t)v.bits < 0;
}

/* -1 for a signed type, all ones for an unsigned one (MAP_FAILED). */
static bool xs_val_minus_one(struct xs_val v)
{
	uintmax_t ones = v.size >= sizeof(uintmax_t) ? UINTMAX_MAX :
			 ((uintmax_t)1 << (v.size * CHAR_BIT)) - 1;

	return v.is_signed ? (intmax_t)v.bits == -1 : v.bits == ones;
}

/* Compares the mathematical values, whatever the types' signedness. */
static int xs_val_cmp(struct xs_val a, struct xs_val b)
{
	bool an = xs_val_neg(a), bn = xs_val_neg(b);

	if (an != bn)
		return an ? -1 : 1;
	/* Same sign: two's complement order equals unsigned order. */
	return a.bits < b.bits ? -1 : a.bits > b.bits;
}

static const char *xs_val_str(struct xs_val v, char *buf, size_t len)
{
	if (v.is_ptr)
		snprintf(buf, len, "0x%jx", v.bits);
	else if (v.is_signed)
		snprintf(buf, len, "%jd", (intmax_t)v.bits);
	else if (v.bits > 0xffff)
		snprintf(buf, len, "%ju = 0x%jx", v.bits, v.bits);
	else
		snprintf(buf, len, "%ju", v.bits);
	return buf;
}

static const char *xs_errno_str(int err, char *buf, size_t len)
{
	const char *name = strerrorname_np(err);

	snprintf(buf, len, "errno=%d (%s: %s)", err, name ? name : "?",
		 strerror(err));
	return buf;
}

static const char *xs_base(const char *file)
{
	const char *slash = strrchr(file, '/');

	return slash ? slash + 1 : file;
}

static bool xs_failed_at(void)
{
	xs_mark_failed();
	return false;
}

bool xs_check_cmp(const char *file, int line, enum xs_op op,
		  const char *ea, struct xs_val a,
		  const char *eb, struct xs_val b, int err)
{
	static const char *const names[] = {
		[XS_OP_EQ] = "==", [XS_OP_NE] = "!=", [XS_OP_LT] = "<",
		[XS_OP_LE] = "<=", [XS_OP_GT] = ">", [XS_OP_GE] = ">=",
	};
	char sa[64], sb[64], se[96] = "";
	int c = xs_val_cmp(a, b);
	bool ok;

	switch (op) {
	case XS_OP_EQ: ok = c == 0; break;
	case XS_OP_NE: ok = c != 0; break;
	case XS_OP_LT: ok = c < 0; break;
	case XS_OP_LE: ok = c <= 0; break;
	case XS_OP_GT: ok = c > 0; break;
	default: ok = c >= 0; break;
	}
	if (ok)
		return true;

	/* A -1 is most likely a failed syscall: say why it failed. */
	if (err && ((a.is_signed && xs_val_minus_one(a)) ||
		    (b.is_signed && xs_val_minus_one(b)))) {
		strcpy(se, ", ");
		xs_errno_str(err, se + 2, sizeof(se) - 2);
	}
	xs_diag("%s:%d: expected %s (%s) %s %s (%s)%s", xs_base(file), line,
		ea, xs_val_str(a, sa, sizeof(sa)), names[op],
		eb, xs_val_str(b, sb, sizeof(sb)), se);
	return xs_failed_at();
}

bool xs_check_bool(const char *file, int line, const char *expr,
		   bool value, bool want)
{
	if (value == want)
		return true;
	xs_diag("%s:%d: expected %s to be %s", xs_base(file), line, expr,
		want ? "true" : "false");
	return xs_failed_at();
}

bool xs_check_errno(const char *file, int line, const char *expr,
		    struct xs_val ret, int err, int want)
{
	const char *wname = strerrorname_np(want);
	char sv[64], se[96];

	if (xs_val_minus_one(ret) && err == want)
		return true;
	if (xs_val_minus_one(ret))
		xs_diag("%s:%d: expected %s to fail with %s (%d); it failed with %s",
			xs_base(file), line, expr, wname ? wname : "?", want,
			xs_errno_str(err, se, sizeof(se)));
	else
		xs_diag("%s:%d: expected %s to fail with %s (%d); it returned %s",
			xs_base(file), line, expr, wname ? wname : "?", want,
			xs_val_str(ret, sv, sizeof(sv)));
	return xs_failed_at();
}

bool xs_check_ok(const char *file, int line, const char *expr,
		 struct xs_val ret, int err)
{
	char sv[64], se[96];

	if (!xs_val_neg(ret) && !xs_val_minus_one(ret))
		return true;
	xs_diag("%s:%d: expected %s to succeed; it returned %s, %s",
		xs_base(file), line, expr, xs_val_str(ret, sv, sizeof(sv)),
		xs_errno_str(err, se, sizeof(se)));
	return xs_failed_at();
}

bool xs_check_str(const char *file, int line, const char *ea,
		  const char *a, const char *eb, const char *b)
{
	if (a == b || (a && b && !strcmp(a, b)))
		return true;
	xs_diag("%s:%d: expected %s (%s%.200s%s) == %s (%s%.200s%s)",
		xs_base(file), line,
		ea, a ? "\"" : "", a ? a : "NULL", a ? "\"" : "",
		eb, b ? "\"" : "", b ? b : "NULL", b ? "\"" : "");
	return xs_failed_at();
}

bool xs_check_mem(const char *file, int line, const char *ea, const void *a,
		  const char *eb, const void *b, const char *elen, size_t len)
{
	const unsigned char *pa = a, *pb = b;
	size_t i;

	for (i = 0; i < len; i++)
		if (pa[i] != pb[i])
			break;
	if (i == len)
		return true;
	xs_diag("%s:%d: expected %s == %s over %s (%zu) bytes; byte %zu differs: 0x%02x != 0x%02x",
		xs_base(file), line, ea, eb, elen, len, i, pa[i], pb[i]);
	return xs_failed_at();
}
