// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The CBOR codec: exact bytes for known values (RFC 8949 Appendix A),
 * deterministic key order, round trips of every type with out-of-line
 * items, and hostile input of every kind failing cleanly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "t_util.h"
#include "xs_codec.h"
#include "xs_object.h"

/* ---- helpers ---- */

/* Encodes @obj (consumed), compares with @hex, decodes it back equal. */
static void xt_check_encoding(int line, xs_object_t *obj, const char *hex)
{
	struct xs_buf b;
	struct xs_ool o;
	xs_object_t *back = NULL;
	char *got = NULL;
	int ret;

	if (!obj) {
		xs_diag("line %d: could not build the object", line);
		xs_mark_failed();
		return;
	}
	xs_buf_init(&b);
	xs_ool_init(&o);
	ret = xs_encode_value(obj, &b, &o);
	if (ret) {
		xs_diag("line %d: encode: %s", line, strerror(-ret));
		xs_mark_failed();
		goto out;
	}
	got = xt_hex(b.data, b.len);
	if (strcmp(got, hex)) {
		xs_diag("line %d: encoded %s, expected %s", line, got, hex);
		xs_mark_failed();
	}
	ret = xs_decode_value(b.data, b.len, o.fds, o.count, &back);
	if (ret || !xs_equal(obj, back)) {
		xs_diag("line %d: %s did not decode back equal (%s)", line, hex,
			strerror(-ret));
		xs_mark_failed();
	}
out:
	free(got);
	xs_release(back);
	xs_release(obj);
	xs_buf_release(&b);
	xs_ool_release(&o);
}

#define XT_ENCODES(obj, hex)	xt_check_encoding(__LINE__, (obj), (hex))

/* Decodes hex with an optional OOL table; returns the result code. */
static int xt_decode_hex(const char *hex, const int *fds, size_t nr,
			 xs_object_t **out)
{
	size_t len;
	uint8_t *buf = xt_unhex(hex, &len);
	int ret;

	ret = xs_decode_value(buf, len, fds, nr, out);
	free(buf);
	return ret;
}

/* @hex decodes to something that re-encodes as @canon. */
static void xt_check_decoding(int line, const char *hex, const char *canon)
{
	xs_object_t *obj = NULL;
	struct xs_buf b;
	struct xs_ool o;
	char *got;
	int ret;

	ret = xt_decode_hex(hex, NULL, 0, &obj);
	if (ret) {
		xs_diag("line %d: decoding %s: %s", line, hex, strerror(-ret));
		xs_mark_failed();
		return;
	}
	xs_buf_init(&b);
	xs_ool_init(&o);
	ret = xs_encode_value(obj, &b, &o);
	got = xt_hex(b.data, b.len);
	if (ret || strcmp(got, canon)) {
		xs_diag("line %d: %s re-encoded as %s, expected %s", line, hex,
			got, canon);
		xs_mark_failed();
	}
	free(got);
	xs_release(obj);
	xs_buf_release(&b);
	xs_ool_release(&o);
}

#define XT_DECODES(hex, canon)	xt_check_decoding(__LINE__, (hex), (canon))

static void xt_check_refused(int line, const char *hex, const int *fds,
			     size_t nr, int want)
{
	xs_object_t *obj = (xs_object_t *)1;
	int ret;

	ret = xt_decode_hex(hex, fds, nr, &obj);
	if (ret != want || obj) {
		xs_diag("line %d: decoding %s gave %d (%s), expected %d (%s)",
			line, hex, ret, strerror(-ret), want, strerror(-want));
		xs_mark_failed();
		if (!ret)
			xs_release(obj);
	}
}

#define XT_REFUSED(hex, err)	xt_check_refused(__LINE__, (hex), NULL, 0, (err))
#define XT_REFUSED_OOL(hex, fds, nr, err)				\
	xt_check_refused(__LINE__, (hex), (fds), (nr), (err))

static xs_object_t *xt_array_of(int n, ...)
{
	xs_object_t *a = xs_array_create();
	va_list ap;

	va_start(ap, n);
	while (n--) {
		xs_object_t *v = va_arg(ap, xs_object_t *);

		if (xs_array_append_value(a, v))
			abort();
		xs_release(v);
	}
	va_end(ap);
	return a;
}

#define I(v)	xs_int64_create(v)
#define S(v)	xs_string_create(v)

/* ---- Exact encodings: RFC 8949 Appendix A ---- */

XT_TEST(rfc8949_integers)
{
	XT_ENCODES(I(0), "00");
	XT_ENCODES(I(1), "01");
	XT_ENCODES(I(10), "0a");
	XT_ENCODES(I(23), "17");
	XT_ENCODES(I(24), "1818");
	XT_ENCODES(I(25), "1819");
	XT_ENCODES(I(100), "1864");
	XT_ENCODES(I(1000), "1903e8");
	XT_ENCODES(I(1000000), "1a000f4240");
	XT_ENCODES(I(1000000000000), "1b000000e8d4a51000");
	XT_ENCODES(xs_uint64_create(18446744073709551615ULL), "1bffffffffffffffff");
	XT_ENCODES(xs_uint64_create(5), "05");
	XT_ENCODES(I(-1), "20");
	XT_ENCODES(I(-10), "29");
	XT_ENCODES(I(-100), "3863");
	XT_ENCODES(I(-1000), "3903e7");
	XT_ENCODES(I(INT64_MIN), "3b7fffffffffffffff");
	XT_ENCODES(I(INT64_MAX), "1b7fffffffffffffff");
	XT_ENCODES(I(255), "18ff");
	XT_ENCODES(I(256), "190100");
	XT_ENCODES(I(65535), "19ffff");
	XT_ENCODES(I(65536), "1a00010000");
	XT_ENCODES(I(4294967295), "1affffffff");
	XT_ENCODES(I(4294967296), "1b0000000100000000");
	/* -18446744073709551616 and bignums do not fit any of our types. */
	XT_REFUSED("3bffffffffffffffff", -EBADMSG);
	XT_REFUSED("3b8000000000000000", -EBADMSG);
	XT_REFUSED("c249010000000000000000", -EBADMSG);
}

XT_TEST(integer_types_after_decoding)
{
	xs_object_t *o;

	XS_ASSERT_EQ(xt_decode_hex("1b7fffffffffffffff", NULL, 0, &o), 0);
	XS_EXPECT_EQ(xs_get_type(o), XS_TYPE_INT64);
	xs_release(o);
	XS_ASSERT_EQ(xt_decode_hex("1b8000000000000000", NULL, 0, &o), 0);
	XS_EXPECT_EQ(xs_get_type(o), XS_TYPE_UINT64);
	XS_EXPECT_EQ(xs_uint64_get_value(o), 1ULL << 63);
	xs_release(o);
	XS_ASSERT_EQ(xt_decode_hex("3b7fffffffffffffff", NULL, 0, &o), 0);
	XS_EXPECT_EQ(xs_int64_get_value(o), INT64_MIN);
	xs_release(o);
}

XT_TEST(rfc8949_floats)
{
	XT_ENCODES(xs_double_create(0.0), "f90000");
	XT_ENCODES(xs_double_create(-0.0), "f98000");
	XT_ENCODES(xs_double_create(1.0), "f93c00");
	XT_ENCODES(xs_double_create(1.1), "fb3ff199999999999a");
	XT_ENCODES(xs_double_create(1.5), "f93e00");
	XT_ENCODES(xs_double_create(65504.0), "f97bff");
	XT_ENCODES(xs_double_create(100000.0), "fa47c35000");
	XT_ENCODES(xs_double_create(3.4028234663852886e+38), "fa7f7fffff");
	XT_ENCODES(xs_double_create(1.0e+300), "fb7e37e43c8800759c");
	XT_ENCODES(xs_double_create(5.960464477539063e-8), "f90001");
	XT_ENCODES(xs_double_create(0.00006103515625), "f90400");
	XT_ENCODES(xs_double_create(-4.0), "f9c400");
	XT_ENCODES(xs_double_create(-4.1), "fbc010666666666666");
	XT_ENCODES(xs_double_create(INFINITY), "f97c00");
	XT_ENCODES(xs_double_create(NAN), "f97e00");
	XT_ENCODES(xs_double_create(-INFINITY), "f9fc00");

	/* Edges of the float16 and float32 ranges. */
	XT_ENCODES(xs_double_create(ldexp(1023, -24)), "f903ff");  /* max f16 subnormal */
	XT_ENCODES(xs_double_create(ldexp(1, -25)), "fa33000000");  /* below f16 */
	XT_ENCODES(xs_double_create(ldexp(3, -25)), "fa33c00000");
	XT_ENCODES(xs_double_create(65505.0), "fa477fe100");
	XT_ENCODES(xs_double_create(65536.0), "fa47800000");
	XT_ENCODES(xs_double_create(ldexp(1, -149)), "fa00000001");  /* min f32 subnormal */
	XT_ENCODES(xs_double_create(ldexp(1, -150)), "fb3690000000000000");
	XT_ENCODES(xs_double_create(ldexp(1, -1074)), "fb0000000000000001");
	XT_ENCODES(xs_double_create(1.0 / 3.0), "fb3fd5555555555555");
	XT_ENCODES(xs_double_create(ldexp(1, 128)), "fb47f0000000000000");
	XT_ENCODES(xs_double_create(-ldexp(1, 127)), "faff000000");

	/* Any width is accepted and widened; NaNs collapse to one. */
	XT_DECODES("fa7f800000", "f97c00");
	XT_DECODES("fb7ff0000000000000", "f97c00");
	XT_DECODES("fbfff0000000000000", "f9fc00");
	XT_DECODES("fa7fc00000", "f97e00");
	XT_DECODES("fb7ff8000000000001", "f97e00");
	XT_DECODES("f97e01", "f97e00");
	XT_DECODES("fb3ff0000000000000", "f93c00");
	XT_DECODES("fa3fc00000", "f93e00");
	XT_DECODES("fa47c35000", "fa47c35000");
}

XT_TEST(rfc8949_strings_and_bytes)
{
	XT_ENCODES(S(""), "60");
	XT_ENCODES(S("a"), "6161");
	XT_ENCODES(S("IETF"), "6449455446");
	XT_ENCODES(S("\"\\"), "62225c");
	XT_ENCODES(S("\xc3\xbc"), "62c3bc");
	XT_ENCODES(S("\xe6\xb0\xb4"), "63e6b0b4");
	XT_ENCODES(S("\xf0\x90\x85\x91"), "64f0908591");
	XT_ENCODES(xs_data_create(NULL, 0), "40");
	XT_ENCODES(xs_data_create("\x01\x02\x03\x04", 4), "4401020304");
	XT_ENCODES(S("abcdefghijklmnopqrstuvwx"),
		   "78186162636465666768696a6b6c6d6e6f7071727374757677" "78");
}

XT_TEST(rfc8949_containers)
{
	xs_object_t *m, *a;
	int i;

	XT_ENCODES(xs_array_create(), "80");
	XT_ENCODES(xt_array_of(3, I(1), I(2), I(3)), "83010203");
	XT_ENCODES(xt_array_of(3, I(1), xt_array_of(2, I(2), I(3)),
			       xt_array_of(2, I(4), I(5))),
		   "8301820203820405");
	m = xs_array_create();
	for (i = 1; i <= 25; i++) {
		xs_object_t *v = I(i);

		xs_array_append_value(m, v);
		xs_release(v);
	}
	XT_ENCODES(m, "98190102030405060708090a0b0c0d0e0f101112131415161718181819");

	XT_ENCODES(xs_dictionary_create(), "a0");
	m = xs_dictionary_create();
	xs_dictionary_set_int64(m, "a", 1);
	a = xt_array_of(2, I(2), I(3));
	xs_dictionary_set_value(m, "b", a);
	xs_release(a);
	XT_ENCODES(m, "a26161016162820203");
	XT_ENCODES(xt_array_of(2, S("a"), xs_dictionary_create()),
		   "826161a0");

	m = xs_dictionary_create();
	xs_dictionary_set_string(m, "e", "E");
	xs_dictionary_set_string(m, "c", "C");
	xs_dictionary_set_string(m, "a", "A");
	xs_dictionary_set_string(m, "d", "D");
	xs_dictionary_set_string(m, "b", "B");
	XT_ENCODES(m, "a56161614161626142616361436164614461656145");

	XT_ENCODES(xs_bool_create(false), "f4");
	XT_ENCODES(xs_bool_create(true), "f5");
	XT_ENCODES(xs_null_create(), "f6");
}

XT_TEST(tags_uuid_and_dates)
{
	static const uint8_t id[16] = {
		0x5e, 0xa5, 0xf2, 0xc0, 0x12, 0x34, 0x45, 0x67,
		0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67,
	};
	xs_object_t *o;

	XT_ENCODES(xs_uuid_create(id),
		   "d825505ea5f2c01234456789abcdef01234567");
	/* RFC 8949 A: 1(1363896240) and 1(1363896240.5). */
	XT_ENCODES(xs_date_create(1363896240LL * XS_NSEC_PER_SEC), "c11a514b67b0");
	XT_DECODES("c1fb41d452d9ec200000",
		   "d903e9a2011a514b67b0281a1dcd6500");
	XT_ENCODES(xs_date_create(0), "c100");
	XT_ENCODES(xs_date_create(XS_NSEC_PER_SEC), "c101");
	XT_ENCODES(xs_date_create(-XS_NSEC_PER_SEC), "c120");
	/* Sub-second: RFC 9581 {1: floor(seconds), -9: ns}. */
	XT_ENCODES(xs_date_create(-1), "d903e9a20120281a3b9ac9ff");
	XT_ENCODES(xs_date_create(1), "d903e9a201002801");
	XT_ENCODES(xs_date_create(1500000000123456789LL),
		   "d903e9a2011a59682f00281a075bcd15");
	/* The extremes survive exactly. */
	XT_ENCODES(xs_date_create(INT64_MIN),
		   "d903e9a2013b0000000225c17d04281a08a7f200");
	XT_ENCODES(xs_date_create(INT64_MAX),
		   "d903e9a2011b0000000225c17d04281a32f2d7ff");

	/* Other spellings peers may use. */
	XS_ASSERT_EQ(xt_decode_hex("d903e9a1011a514b67b0", NULL, 0, &o), 0);
	XS_EXPECT_EQ(xs_date_get_value(o), 1363896240LL * XS_NSEC_PER_SEC);
	xs_release(o);
	XS_ASSERT_EQ(xt_decode_hex("d903e9a2221903e70100", NULL, 0, &o), 0);
	XS_EXPECT_EQ(xs_date_get_value(o), 999000000);	/* -3: ms */
	xs_release(o);
	XS_ASSERT_EQ(xt_decode_hex("d903e9a2250a0120", NULL, 0, &o), 0);
	XS_EXPECT_EQ(xs_date_get_value(o), -XS_NSEC_PER_SEC + 10000); /* -6: us */
	xs_release(o);
	XS_ASSERT_EQ(xt_decode_hex("c1fa3f000000", NULL, 0, &o), 0);
	XS_EXPECT_EQ(xs_date_get_value(o), 500000000);	/* float32 seconds */
	xs_release(o);
	/* 2^-30 s = 0.93 ns: rounded to nearest, on both sides of zero. */
	XS_ASSERT_EQ(xt_decode_hex("c1fa30800000", NULL, 0, &o), 0);
	XS_EXPECT_EQ(xs_date_get_value(o), 1);
	xs_release(o);
	XS_ASSERT_EQ(xt_decode_hex("c1fab0800000", NULL, 0, &o), 0);
	XS_EXPECT_EQ(xs_date_get_value(o), -1);
	xs_release(o);
	/* 2^-31 s = 0.47 ns rounds to 0; 2^62 ns - 1 s is still exact. */
	XS_ASSERT_EQ(xt_decode_hex("c1fa30000000", NULL, 0, &o), 0);
	XS_EXPECT_EQ(xs_date_get_value(o), 0);
	xs_release(o);
	XS_ASSERT_EQ(xt_decode_hex("c13a3b9ac9ff", NULL, 0, &o), 0);
	XS_EXPECT_EQ(xs_date_get_value(o), -1000000000LL * XS_NSEC_PER_SEC);
	xs_release(o);
}

XT_TEST(bad_tags_are_refused)
{
	XT_REFUSED("c0 74 323031332d30332d32315432303a30343a30305a", -EBADMSG);
	XT_REFUSED("d82076687474703a2f2f7777772e6578616d706c652e636f6d", -EBADMSG);
	XT_REFUSED("d8254f 000102030405060708090a0b0c0d0e", -EBADMSG);
	XT_REFUSED("d82551 000102030405060708090a0b0c0d0e0f10", -EBADMSG);
	XT_REFUSED("d82570 000102030405060708090a0b0c0d0e0f", -EBADMSG);
	XT_REFUSED("d82550 000102030405060708090a0b0c0d0e", -EBADMSG);
	XT_REFUSED("c160", -EBADMSG);			/* date from text */
	XT_REFUSED("c1f97e00", -EBADMSG);		/* NaN seconds */
	XT_REFUSED("c1f97c00", -EBADMSG);		/* infinite seconds */
	XT_REFUSED("c1fb43e0000000000000", -EBADMSG);	/* 2^63 s */
	XT_REFUSED("c11b4000000000000000", -EBADMSG);	/* 2^62 s */
	XT_REFUSED("c13b4000000000000000", -EBADMSG);
	XT_REFUSED("c11b0000000225c17d05", -EBADMSG);	/* 1 s past the end */
	XT_REFUSED("c1c100", -EBADMSG);
	XT_REFUSED("d903e9a0", -EBADMSG);		/* no seconds */
	XT_REFUSED("d903e9a12800", -EBADMSG);
	XT_REFUSED("d903e9a201002801 00", -EBADMSG);	/* trailing */
	XT_REFUSED("d903e9a2 0100 281a3b9aca00", -EBADMSG);	/* 1e9 ns */
	XT_REFUSED("d903e9a2 0100 0101", -EBADMSG);	/* key 1 twice */
	XT_REFUSED("d903e9a3 0100 2800 2200", -EBADMSG);
	XT_REFUSED("d903e9a2 2800 2200", -EBADMSG);
	XT_REFUSED("d903e9a2 0100 2820", -EBADMSG);	/* negative fraction */
	XT_REFUSED("d903e9a2 0100 2300", -EBADMSG);	/* key -4 */
	XT_REFUSED("d903e9a1 01f93c00", -EBADMSG);	/* float base */
	XT_REFUSED("d903e9a1 6161 00", -EBADMSG);
	XT_REFUSED("d903e980", -EBADMSG);
	XT_REFUSED("d903e9a2 013b0000000225c17d05 2800", -EBADMSG);
	XT_REFUSED("d903e9a2 013b0000000225c17d04 281a08a7f1ff", -EBADMSG);
	XT_REFUSED("d9d9f7", -EBADMSG);
	XT_DECODES("d9d9f7 a0", "a0");
}

XT_TEST(simple_values_and_reserved_forms)
{
	static const char *const bad[] = {
		"f7", "f0", "e0", "f3", "f8ff", "f814", "f820", "ff",
		"1c", "1d", "1e", "1f", "3c", "5c", "7c", "9c", "bc", "dc", "fc",
		"5f42010243030405ff", "7f657374726561646d696e67ff",
		"9fff", "9f018202039f0405ffff", "bf6161016162f5ff", "df00",
		"3f", "",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		XT_REFUSED(bad[i], -EBADMSG);
}

/* ---- Deterministic order ---- */

XT_TEST(map_keys_sorted_on_the_wire)
{
	static const char *const keys[] = {
		"aaa", "z", "bb", "", "a", "aa", "b",
		"abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvw",
	};
	xs_object_t *d = xs_dictionary_create(), *back;
	struct xs_buf b;
	struct xs_ool o;
	const char *k;
	const xs_object_t *v;
	size_t i, kl;
	char *hex;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		XS_ASSERT_EQ(xs_dictionary_set_null(d, keys[i]), 0);
	xs_buf_init(&b);
	xs_ool_init(&o);
	XS_ASSERT_EQ(xs_encode(d, &b, &o), 0);
	hex = xt_hex(b.data, b.len);
	/* Shorter keys first, then bytewise; 24 bytes needs a longer head. */
	XS_EXPECT_STREQ(hex, "a9" "60f6" "6161f6" "6162f6" "617af6"
			"626161f6" "626262f6" "63616161f6"
			"776162636465666768696a6b6c6d6e6f70717273747576" "77f6"
			"78186162636465666768696a6b6c6d6e6f707172737475767778f6");
	free(hex);

	/* The receiver sees the wire order: insertion order there. */
	XS_ASSERT_EQ(xs_decode(b.data, b.len, NULL, 0, &back), 0);
	XS_ASSERT_TRUE(xs_dictionary_entry(back, 0, &k, &kl, &v));
	XS_EXPECT_STREQ(k, "");
	XS_ASSERT_TRUE(xs_dictionary_entry(back, 4, &k, &kl, &v));
	XS_EXPECT_STREQ(k, "aa");
	XS_EXPECT_TRUE(xs_equal(d, back));
	xs_release(back);

	/* Unsorted input from a peer is accepted, and sorted again. */
	XT_DECODES("a2 6162 02 6161 01", "a2616101616202");
	xs_release(d);
	xs_buf_release(&b);
	xs_ool_release(&o);
}

XT_TEST(longer_heads_are_accepted)
{
	XT_DECODES("1800", "00");
	XT_DECODES("190005", "05");
	XT_DECODES("1b0000000000000005", "05");
	XT_DECODES("3800", "20");
	XT_DECODES("5800", "40");
	XT_DECODES("790001 61", "6161");
	XT_DECODES("9a00000001 01", "8101");
	XT_DECODES("b800", "a0");
	XT_DECODES("d90025 50 000102030405060708090a0b0c0d0e0f",
		   "d82550000102030405060708090a0b0c0d0e0f");
	XT_DECODES("da00000001 00", "c100");
}

/* ---- Round trips with out-of-line items ---- */

struct xt_msg {
	xs_object_t *msg;
	int null_fd;
};

static const char xt_shm_text[] = "shared memory, sealed";
static const uint8_t xt_uuid[16] = {
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
	0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21,
};

/* A message with every type; the caller releases ->msg. */
static xs_object_t *xt_everything(void)
{
	xs_object_t *d = xs_dictionary_create(), *inner, *arr, *shm, *v;
	int fd;

	xs_dictionary_set_null(d, "null");
	xs_dictionary_set_bool(d, "true", true);
	xs_dictionary_set_bool(d, "false", false);
	xs_dictionary_set_int64(d, "int", -42);
	xs_dictionary_set_int64(d, "int_min", INT64_MIN);
	xs_dictionary_set_uint64(d, "uint_max", UINT64_MAX);
	xs_dictionary_set_double(d, "double", 3.14159);
	xs_dictionary_set_double(d, "half", 0.5);
	xs_dictionary_set_date(d, "date", 1700000000123456789LL);
	xs_dictionary_set_date(d, "date_s", 1700000000LL * XS_NSEC_PER_SEC);
	xs_dictionary_set_data(d, "data", "\x00\x01\xfe\xff", 4);
	xs_dictionary_set_string(d, "string", "h\xc3\xa9llo, w\xc3\xb6rld");
	xs_dictionary_set_uuid(d, "uuid", xt_uuid);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	xs_dictionary_set_fd(d, "fd", fd);
	close(fd);
	shm = xs_shmem_create_with_bytes(xt_shm_text, sizeof(xt_shm_text));
	xs_dictionary_set_value(d, "shmem", shm);
	xs_release(shm);

	arr = xs_array_create();
	v = xs_int64_create(1);
	xs_array_append_value(arr, v);
	xs_release(v);
	v = xs_string_create("two");
	xs_array_append_value(arr, v);
	xs_release(v);
	v = xs_dictionary_create();
	xs_array_append_value(arr, v);
	xs_release(v);
	xs_dictionary_set_value(d, "array", arr);
	xs_release(arr);

	inner = xs_dictionary_create();
	v = xs_dictionary_create();
	xs_dictionary_set_bool(v, "deep", true);
	xs_dictionary_set_value(inner, "nested", v);
	xs_release(v);
	xs_dictionary_set_value(d, "dict", inner);
	xs_release(inner);
	return d;
}

static bool xt_same_file(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_ino == sb.st_ino &&
	       sa.st_dev == sb.st_dev;
}

XT_TEST(every_type_round_trips)
{
	xs_object_t *msg = xt_everything(), *back, *o;
	struct xs_buf b, b2;
	struct xs_ool ool, ool2;
	const char *k;
	const xs_object_t *v;
	size_t i, kl, len;
	void *map;

	XS_ASSERT_EQ(xs_dictionary_get_count(msg), 17);
	xs_buf_init(&b);
	xs_ool_init(&ool);
	XS_ASSERT_EQ(xs_encode(msg, &b, &ool), 0);
	/* "fd" sorts before "shmem": indices 0 and 1, the objects' own fds. */
	XS_ASSERT_EQ(ool.count, 2);
	XS_EXPECT_EQ(ool.fds[0], xs_fd_peek(xs_dictionary_get_value(msg, "fd")));
	XS_EXPECT_EQ(ool.fds[1], xs_fd_peek(xs_dictionary_get_value(msg, "shmem")));

	XS_ASSERT_EQ(xs_decode(b.data, b.len, ool.fds, ool.count, &back), 0);
	XS_EXPECT_EQ(xs_dictionary_get_count(back), 17);
	for (i = 0; xs_dictionary_entry(msg, i, &k, &kl, &v); i++) {
		o = xs_dictionary_get_value(back, k);
		XS_EXPECT_EQ(xs_get_type(o), xs_get_type(v));
		if (xs_get_type(v) == XS_TYPE_FD || xs_get_type(v) == XS_TYPE_SHMEM)
			continue;
		if (!xs_equal(o, v)) {
			xs_diag("key %s differs after a round trip", k);
			xs_mark_failed();
		}
	}
	/* The fd arrives as a new descriptor for the same file. */
	o = xs_dictionary_get_value(back, "fd");
	XS_EXPECT_NE(xs_fd_peek(o), ool.fds[0]);
	XS_EXPECT_TRUE(xt_same_file(xs_fd_peek(o), ool.fds[0]));
	o = xs_dictionary_get_value(back, "shmem");
	map = xs_shmem_map(o, &len);
	XS_ASSERT_TRUE(map);
	XS_EXPECT_EQ(len, sizeof(xt_shm_text));
	XS_EXPECT_MEMEQ(map, xt_shm_text, sizeof(xt_shm_text));
	munmap(map, len);

	/* Deterministic: the decoded message encodes to the same bytes. */
	xs_buf_init(&b2);
	xs_ool_init(&ool2);
	XS_ASSERT_EQ(xs_encode(back, &b2, &ool2), 0);
	XS_EXPECT_EQ(b2.len, b.len);
	XS_EXPECT_MEMEQ(b2.data, b.data, b.len);
	XS_EXPECT_EQ(ool2.count, 2);

	xs_release(back);
	xs_release(msg);
	xs_buf_release(&b);
	xs_buf_release(&b2);
	xs_ool_release(&ool);
	xs_ool_release(&ool2);
}

XT_TEST(encode_appends_and_rolls_back)
{
	xs_object_t *d = xs_dictionary_create(), *cur = d, *next;
	struct xs_buf b;
	struct xs_ool ool;
	int fd, i;

	xs_buf_init(&b);
	xs_ool_init(&ool);
	XS_ASSERT_EQ(xs_encode(d, &b, &ool), 0);
	XS_ASSERT_EQ(xs_encode(d, &b, &ool), 0);
	XS_EXPECT_EQ(b.len, 2);			/* a0 a0 */

	/* An fd, then something too deep: all of it is taken back. */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	XS_ASSERT_EQ(xs_dictionary_set_fd(d, "a", fd), 0);
	close(fd);
	for (i = 0; i < XS_MAX_DEPTH; i++) {
		next = xs_dictionary_create();
		XS_ASSERT_EQ(xs_dictionary_set_value(cur, "z", next), 0);
		xs_release(next);
		cur = next;
	}
	XS_EXPECT_EQ(xs_encode(d, &b, &ool), -ELOOP);
	XS_EXPECT_EQ(b.len, 2);
	XS_EXPECT_EQ(ool.count, 0);

	/* One level less fits, and the decoder accepts what we send. */
	xs_release(d);
	d = xs_dictionary_create();
	cur = d;
	for (i = 0; i < XS_MAX_DEPTH - 1; i++) {
		next = xs_dictionary_create();
		XS_ASSERT_EQ(xs_dictionary_set_value(cur, "z", next), 0);
		xs_release(next);
		cur = next;
	}
	b.len = 0;
	XS_ASSERT_EQ(xs_encode(d, &b, &ool), 0);
	XS_ASSERT_EQ(xs_decode(b.data, b.len, NULL, 0, &next), 0);
	XS_EXPECT_TRUE(xs_equal(d, next));
	xs_release(next);

	/* Roots must be dictionaries, both ways. */
	next = xs_array_create();
	XS_EXPECT_EQ(xs_encode(next, &b, &ool), -EINVAL);
	xs_release(next);
	XS_EXPECT_EQ(xs_encode(NULL, &b, &ool), -EINVAL);
	XS_EXPECT_EQ(xs_decode("\x80", 1, NULL, 0, &next), -EBADMSG);
	XS_EXPECT_TRUE(next == NULL);
	XS_EXPECT_EQ(xs_decode(NULL, 0, NULL, 0, &next), -EBADMSG);
	XS_EXPECT_EQ(xs_decode(NULL, 1, NULL, 0, &next), -EINVAL);
	XS_EXPECT_EQ(xs_decode("\xa0", 1, NULL, 1, &next), -EINVAL);
	XS_EXPECT_EQ(xs_decode("\xa0", 1, NULL, 0, NULL), -EINVAL);
	xs_release(d);
	xs_buf_release(&b);
	xs_ool_release(&ool);
}

/* ---- Hostile input ---- */

XT_TEST(every_truncation_fails)
{
	xs_object_t *msg = xt_everything(), *back;
	struct xs_buf b;
	struct xs_ool ool;
	size_t len;
	uint8_t *copy;
	int ret;

	xs_buf_init(&b);
	xs_ool_init(&ool);
	XS_ASSERT_EQ(xs_encode(msg, &b, &ool), 0);
	for (len = 0; len < b.len; len++) {
		/* A copy of exactly @len bytes, so ASan sees any overread. */
		copy = malloc(len ? len : 1);
		memcpy(copy, b.data, len);
		ret = xs_decode(copy, len, ool.fds, ool.count, &back);
		free(copy);
		if (ret != -EBADMSG) {
			xs_diag("truncated to %zu of %zu bytes: %d", len, b.len, ret);
			xs_mark_failed();
			xs_release(back);
		}
	}
	/* And one byte too many. */
	copy = malloc(b.len + 1);
	memcpy(copy, b.data, b.len);
	copy[b.len] = 0;
	XS_EXPECT_EQ(xs_decode(copy, b.len + 1, ool.fds, ool.count, &back),
		     -EBADMSG);
	free(copy);
	xs_release(msg);
	xs_buf_release(&b);
	xs_ool_release(&ool);
}

static double xt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

XT_TEST(huge_counts_fail_fast)
{
	static const char *const bad[] = {
		"9bffffffffffffffff00",			/* 2^64-1 items */
		"9b100000000000000000",			/* 2^60 items */
		"bb1000000000000000616100",		/* 2^60 entries */
		"bbffffffffffffffff",
		"5b100000000000000000",			/* 2^60 bytes */
		"7b1000000000000000 61",
		"5bffffffffffffffff",
		"9a7fffffff 00",
		"a1 6161 9b1000000000000000 00",
		"a1 7b0fffffffffffffff 61 00",
		"82 00 9b0000000000000002 00",		/* one short */
		"a2 6161 00",				/* entry missing */
		"a1 6161",				/* value missing */
	};
	double start = xt_now();
	size_t i;
	int rep;

	for (rep = 0; rep < 100; rep++)
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			XT_REFUSED(bad[i], -EBADMSG);
	/* 1300 decodes: no allocation sized by those counts happened. */
	XS_EXPECT_LT(xt_now() - start, 1.0);
}

/* @n times @unit, then @tail, as hex. */
static char *xt_repeat(const char *unit, size_t n, const char *tail)
{
	size_t ul = strlen(unit), tl = strlen(tail), i;
	char *s = malloc(ul * n + tl + 1);

	for (i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	memcpy(s + n * ul, tail, tl + 1);
	return s;
}

static int xt_decode_repeat(const char *unit, size_t n, const char *tail,
			    bool as_message)
{
	char *hex = xt_repeat(unit, n, tail);
	xs_object_t *o = NULL;
	uint8_t *buf;
	size_t len;
	int ret;

	buf = xt_unhex(hex, &len);
	ret = as_message ? xs_decode(buf, len, NULL, 0, &o)
			 : xs_decode_value(buf, len, NULL, 0, &o);
	xs_release(o);
	free(buf);
	free(hex);
	return ret;
}

XT_TEST(deep_nesting_is_refused)
{
	XS_EXPECT_EQ(xt_decode_repeat("81", 10000, "00", false), -ELOOP);
	XS_EXPECT_EQ(xt_decode_repeat("a16161", 10000, "00", true), -ELOOP);
	XS_EXPECT_EQ(xt_decode_repeat("d9d9f7", 10000, "a0", true), -ELOOP);
	/* Exactly the limit is fine, one more is not. */
	XS_EXPECT_EQ(xt_decode_repeat("81", XS_MAX_DEPTH, "00", false), 0);
	XS_EXPECT_EQ(xt_decode_repeat("81", XS_MAX_DEPTH + 1, "00", false),
		     -ELOOP);
	XS_EXPECT_EQ(xt_decode_repeat("a16161", XS_MAX_DEPTH, "00", true), 0);
	XS_EXPECT_EQ(xt_decode_repeat("a16161", XS_MAX_DEPTH + 1, "00", true),
		     -ELOOP);
	/* Deep but unfinished: still -ELOOP or -EBADMSG, never a crash. */
	XS_EXPECT_EQ(xt_decode_repeat("81", 100000, "", false), -ELOOP);
	XS_EXPECT_EQ(xt_decode_repeat("81", 10, "", false), -EBADMSG);
}

XT_TEST(bad_text_and_keys_are_refused)
{
	XT_REFUSED("62c328", -EBADMSG);			/* bad UTF-8 */
	XT_REFUSED("63eda080", -EBADMSG);		/* surrogate */
	XT_REFUSED("62c080", -EBADMSG);			/* overlong */
	XT_REFUSED("6100", -EBADMSG);			/* NUL inside */
	XT_REFUSED("636100 62", -EBADMSG);
	XT_REFUSED("a1 62c328 f6", -EBADMSG);		/* bad key */
	XT_REFUSED("a1 6100 f6", -EBADMSG);		/* NUL in key */
	XT_REFUSED("a1 01 02", -EBADMSG);		/* integer key */
	XT_REFUSED("a1 4161 02", -EBADMSG);		/* byte-string key */
	XT_REFUSED("a1 f6 02", -EBADMSG);
	XT_REFUSED("a1 80 02", -EBADMSG);
	XT_REFUSED("a2 6161 01 6161 02", -EBADMSG);	/* duplicate */
	XT_REFUSED("a2 6161 01 796161 02", -EBADMSG);	/* same key, other head */
}

XT_TEST(duplicate_keys_in_big_maps)
{
	/* Past the linear-scan size, the hash index finds duplicates. */
	uint8_t buf[2048];
	size_t len = 0, full;
	xs_object_t *o;
	int i;

	buf[len++] = 0xb8;
	buf[len++] = 201;
	for (i = 0; i < 200; i++) {
		buf[len++] = 0x65;
		len += (size_t)sprintf((char *)buf + len, "k%04d", i);
		buf[len++] = 0x01;
	}
	buf[len++] = 0x65;
	memcpy(buf + len, "k0137", 5);
	len += 5;
	buf[len++] = 0x02;
	full = len;
	XS_EXPECT_EQ(xs_decode(buf, full, NULL, 0, &o), -EBADMSG);
	/* Without the duplicate, it decodes. */
	buf[1] = 200;
	XS_ASSERT_EQ(xs_decode(buf, full - 7, NULL, 0, &o), 0);
	XS_EXPECT_EQ(xs_dictionary_get_count(o), 200);
	XS_EXPECT_EQ(xs_dictionary_get_int64(o, "k0199"), 1);
	xs_release(o);
}

static int xt_sealed_memfd(const void *p, size_t len)
{
	int fd = memfd_create("xt", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || write(fd, p, len) != (ssize_t)len ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

XT_TEST(out_of_line_items_are_checked)
{
	int fds[3];
	xs_object_t *o;

	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[1] = xt_sealed_memfd("0123456789", 10);
	fds[2] = memfd_create("unsealed", MFD_CLOEXEC);
	XS_ASSERT_GE(fds[0], 0);
	XS_ASSERT_GE(fds[1], 0);
	XS_ASSERT_GE(fds[2], 0);
	XS_ASSERT_EQ(ftruncate(fds[2], 10), 0);

	XS_ASSERT_EQ(xt_decode_hex("da78734f4c 82 00 00", fds, 3, &o), 0);
	XS_EXPECT_EQ(xs_get_type(o), XS_TYPE_FD);
	XS_EXPECT_TRUE(xt_same_file(xs_fd_peek(o), fds[0]));
	xs_release(o);
	XS_ASSERT_EQ(xt_decode_hex("da78734f4c 83 01 01 0a", fds, 3, &o), 0);
	XS_EXPECT_EQ(xs_get_type(o), XS_TYPE_SHMEM);
	XS_EXPECT_EQ(xs_shmem_get_length(o), 10);
	xs_release(o);
	XS_ASSERT_EQ(xt_decode_hex("da78734f4c 83 01 01 05", fds, 3, &o), 0);
	xs_release(o);
	/* Any fd may be sent as a plain fd, even a memfd. */
	XS_ASSERT_EQ(xt_decode_hex("da78734f4c 82 00 02", fds, 3, &o), 0);
	xs_release(o);

	XT_REFUSED_OOL("da78734f4c 82 00 03", fds, 3, -EBADMSG);   /* range */
	XT_REFUSED_OOL("da78734f4c 82 00 00", fds, 0, -EBADMSG);
	XT_REFUSED_OOL("da78734f4c 82 00 1b8000000000000000", fds, 3, -EBADMSG);
	XT_REFUSED_OOL("82 da78734f4c 82 00 00 da78734f4c 82 00 00", fds, 3,
		       -EBADMSG);				/* used twice */
	XT_REFUSED_OOL("82 da78734f4c 82 00 01 da78734f4c 83 01 01 0a", fds, 3,
		       -EBADMSG);
	XT_REFUSED_OOL("da78734f4c 83 00 00 00", fds, 3, -EBADMSG); /* shape */
	XT_REFUSED_OOL("da78734f4c 82 01 01", fds, 3, -EBADMSG);
	XT_REFUSED_OOL("da78734f4c 82 02 00", fds, 3, -EBADMSG);   /* kind */
	XT_REFUSED_OOL("da78734f4c 81 00", fds, 3, -EBADMSG);
	XT_REFUSED_OOL("da78734f4c 84 01 01 0a 00", fds, 3, -EBADMSG);
	XT_REFUSED_OOL("da78734f4c 00", fds, 3, -EBADMSG);
	XT_REFUSED_OOL("da78734f4c 82 20 00", fds, 3, -EBADMSG);
	XT_REFUSED_OOL("da78734f4c 82 00 6130", fds, 3, -EBADMSG);
	XT_REFUSED_OOL("da78734f4c 83 01 00 01", fds, 3, -EBADMSG); /* not memfd */
	XT_REFUSED_OOL("da78734f4c 83 01 02 01", fds, 3, -EBADMSG); /* unsealed */
	XT_REFUSED_OOL("da78734f4c 83 01 01 0b", fds, 3, -EBADMSG); /* too long */
	XT_REFUSED_OOL("da78734f4c 83 01 01 00", fds, 3, -EBADMSG); /* empty */
	XT_REFUSED_OOL("da78734f4c 83 01 01 1bffffffffffffffff", fds, 3,
		       -EBADMSG);
	XT_REFUSED_OOL("da78734f4d 82 00 00", fds, 3, -EBADMSG);   /* other tag */
	close(fds[0]);
	close(fds[1]);
	close(fds[2]);
}

static void xt_put_count(uint8_t *p, size_t n)
{
	p[0] = 0x9a;		/* array, 4-byte count */
	p[1] = (uint8_t)(n >> 24);
	p[2] = (uint8_t)(n >> 16);
	p[3] = (uint8_t)(n >> 8);
	p[4] = (uint8_t)n;
}

XT_TEST(object_budget)
{
	/* Nulls are one byte and one object each. */
	size_t half = XS_CODEC_MAX_OBJECTS / 2 + 10, len;
	uint8_t *buf = malloc(16 + 2 * half);
	xs_object_t *o;

	/* {"a": [2^20 nulls]}: refused from the declared count. */
	memcpy(buf, "\xa1\x61\x61", 3);
	xt_put_count(buf + 3, XS_CODEC_MAX_OBJECTS);
	memset(buf + 8, 0xf6, 2 * half);
	XS_EXPECT_EQ(xs_decode(buf, 8 + XS_CODEC_MAX_OBJECTS, NULL, 0, &o),
		     -E2BIG);

	/* {"a": [[nulls], [nulls]]}: found out while decoding. */
	buf[3] = 0x82;
	xt_put_count(buf + 4, half);
	memset(buf + 9, 0xf6, half);
	xt_put_count(buf + 9 + half, half);
	memset(buf + 14 + half, 0xf6, half);
	len = 14 + 2 * half;
	XS_EXPECT_EQ(xs_decode(buf, len, NULL, 0, &o), -E2BIG);

	/* Well under the budget: fine. */
	buf[3] = 0x81;
	xt_put_count(buf + 4, 100000);
	XS_ASSERT_EQ(xs_decode(buf, 9 + 100000, NULL, 0, &o), 0);
	XS_EXPECT_EQ(xs_array_get_count(xs_array_get_value(
		xs_dictionary_get_value(o, "a"), 0)), 100000);
	xs_release(o);
	free(buf);
}

/*
 * A small deterministic fuzz run in every build: mutations of a message
 * with every type must decode or fail cleanly, and whatever decodes must
 * encode deterministically.  (The libFuzzer target does this at scale.)
 */
static uint64_t xt_rng = 0x9e3779b97f4a7c15ULL;

static uint64_t xt_rand(void)
{
	xt_rng ^= xt_rng << 13;
	xt_rng ^= xt_rng >> 7;
	xt_rng ^= xt_rng << 17;
	return xt_rng;
}

XT_TEST_TIMEOUT(mutated_messages_fail_cleanly, 300)
{
	xs_object_t *msg = xt_everything(), *o, *o2;
	struct xs_buf b, b1, b2;
	struct xs_ool ool, ool1, ool2;
	size_t len, j, n, decoded = 0;
	uint8_t *m;
	int i, ret;

	xs_buf_init(&b);
	xs_ool_init(&ool);
	XS_ASSERT_EQ(xs_encode(msg, &b, &ool), 0);
	for (i = 0; i < 30000; i++) {
		len = b.len;
		m = malloc(len + 16);
		memcpy(m, b.data, len);
		n = 1 + xt_rand() % 4;
		for (j = 0; j < n; j++) {
			uint64_t r = xt_rand();

			switch (r % 4) {
			case 0:		/* random byte */
				m[(r >> 8) % len] = (uint8_t)(r >> 40);
				break;
			case 1:		/* bit flip */
				m[(r >> 8) % len] ^= (uint8_t)(1u << ((r >> 40) % 8));
				break;
			case 2:		/* truncate */
				len = 1 + (r >> 8) % len;
				break;
			default:	/* interesting heads */
				m[(r >> 8) % len] = (uint8_t[]){ 0x1b, 0x5b, 0x7b,
					0x9b, 0xbb, 0xfb, 0xd9, 0xda, 0xff, 0x9f }
					[(r >> 40) % 10];
				break;
			}
		}
		ret = xs_decode(m, len, ool.fds, ool.count, &o);
		free(m);
		if (ret) {
			if (ret != -EBADMSG && ret != -ELOOP && ret != -E2BIG) {
				xs_diag("iteration %d: unexpected %d", i, ret);
				xs_mark_failed();
			}
			continue;
		}
		decoded++;
		/* Decoded: encode, decode, encode gives the same bytes. */
		xs_buf_init(&b1);
		xs_ool_init(&ool1);
		xs_buf_init(&b2);
		xs_ool_init(&ool2);
		XS_ASSERT_EQ(xs_encode(o, &b1, &ool1), 0);
		XS_ASSERT_EQ(xs_decode(b1.data, b1.len, ool1.fds, ool1.count, &o2), 0);
		XS_ASSERT_EQ(xs_encode(o2, &b2, &ool2), 0);
		XS_ASSERT_EQ(b1.len, b2.len);
		XS_ASSERT_MEMEQ(b1.data, b2.data, b1.len);
		xs_release(o);
		xs_release(o2);
		xs_buf_release(&b1);
		xs_buf_release(&b2);
		xs_ool_release(&ool1);
		xs_ool_release(&ool2);
	}
	xs_diag("%zu of 30000 mutations still decoded", decoded);
	xs_release(msg);
	xs_buf_release(&b);
	xs_ool_release(&ool);
}
