// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Codables: struct <-> dictionary through field tables, over the wire
 * and back, and every way a peer's dictionary can fail to match.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t_util.h"
#include "xs_codable.h"
#include "xs_codec.h"
#include "xs_object.h"

struct xt_inner {
	int32_t a;
	char name[8];
};

static const struct xs_field xt_inner_fields[] = {
	XS_FIELD_INT32(struct xt_inner, a, "a"),
	XS_FIELD_STRING(struct xt_inner, name, "name"),
};
static const struct xs_codable xt_inner_codable =
	XS_CODABLE(struct xt_inner, xt_inner_fields);

#ifdef XT_WRONG_MEMBER_TYPE
/* Must not compile: the Makefile checks that it does not. */
static const struct xs_field xt_wrong_fields[] = {
	XS_FIELD_INT64(struct xt_inner, a, "a"),
};
#endif

struct xt_msg {
	bool flag;
	int64_t i64;
	uint64_t u64;
	int32_t i32;
	uint32_t u32;
	double dbl;
	int64_t when;
	char label[16];
	char *note;
	uint8_t digest[4];
	void *blob;
	size_t blob_len;
	uint8_t id[16];
	int fd;
	xs_object_t *extra;
	struct xt_inner inner;
	int64_t *nums;
	size_t nr_nums;
	char **tags;
	size_t nr_tags;
	struct xt_inner *items;
	size_t nr_items;
	double *ds;
	size_t nr_ds;
	char *opt_note;
	int opt_fd;
	int64_t opt_count;
};

static const struct xs_field xt_msg_fields[] = {
	XS_FIELD_BOOL(struct xt_msg, flag, "flag"),
	XS_FIELD_INT64(struct xt_msg, i64, "i64"),
	XS_FIELD_UINT64(struct xt_msg, u64, "u64"),
	XS_FIELD_INT32(struct xt_msg, i32, "i32"),
	XS_FIELD_UINT32(struct xt_msg, u32, "u32"),
	XS_FIELD_DOUBLE(struct xt_msg, dbl, "dbl"),
	XS_FIELD_DATE(struct xt_msg, when, "when"),
	XS_FIELD_STRING(struct xt_msg, label, "label"),
	XS_FIELD_STRING_PTR(struct xt_msg, note, "note"),
	XS_FIELD_DATA(struct xt_msg, digest, "digest"),
	XS_FIELD_DATA_PTR(struct xt_msg, blob, blob_len, "blob"),
	XS_FIELD_UUID(struct xt_msg, id, "id"),
	XS_FIELD_FD(struct xt_msg, fd, "fd"),
	XS_FIELD_OBJECT(struct xt_msg, extra, "extra"),
	XS_FIELD_NESTED(struct xt_msg, inner, "inner", &xt_inner_codable),
	XS_FIELD_ARRAY_INT64(struct xt_msg, nums, nr_nums, "nums"),
	XS_FIELD_ARRAY_STRING(struct xt_msg, tags, nr_tags, "tags"),
	XS_FIELD_ARRAY_NESTED(struct xt_msg, items, nr_items, "items",
			      &xt_inner_codable),
	XS_FIELD_ARRAY_DOUBLE(struct xt_msg, ds, nr_ds, "ds", .optional = true),
	XS_FIELD_STRING_PTR(struct xt_msg, opt_note, "opt_note", .optional = true),
	XS_FIELD_FD(struct xt_msg, opt_fd, "opt_fd", .optional = true),
	XS_FIELD_INT64(struct xt_msg, opt_count, "opt_count", .optional = true),
};
static const struct xs_codable xt_msg_codable =
	XS_CODABLE(struct xt_msg, xt_msg_fields);

static int64_t xt_nums[] = { -1, 0, INT64_MAX };
static char *xt_tags[] = { "alpha", "b\xc3\xa9ta" };
static struct xt_inner xt_items[] = { { 1, "one" }, { -2, "two" } };

/* A filled message; its fd and extra are the caller's to close/release. */
static void xt_fill(struct xt_msg *m)
{
	static const uint8_t id[16] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4,
					5, 6, 7, 8, 9, 10, 11, 12 };

	memset(m, 0, sizeof(*m));
	m->flag = true;
	m->i64 = INT64_MIN;
	m->u64 = UINT64_MAX;
	m->i32 = INT32_MIN;
	m->u32 = UINT32_MAX;
	m->dbl = -0.25;
	m->when = 1700000000123456789LL;
	strcpy(m->label, "fifteen chars!!");
	m->note = "a note";
	memcpy(m->digest, "\x01\x02\x03\x04", 4);
	m->blob = "blob\0bytes";
	m->blob_len = 10;
	memcpy(m->id, id, 16);
	m->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	m->extra = xs_string_create("free-form");
	m->inner.a = 7;
	strcpy(m->inner.name, "seven");
	m->nums = xt_nums;
	m->nr_nums = 3;
	m->tags = xt_tags;
	m->nr_tags = 2;
	m->items = xt_items;
	m->nr_items = 2;
	m->ds = NULL;		/* optional: left out */
	m->opt_note = NULL;
	m->opt_fd = -1;
	m->opt_count = 0;
}

static void xt_unfill(struct xt_msg *m)
{
	close(m->fd);
	xs_release(m->extra);
}

/* Through the wire: encode to CBOR and decode again. */
static xs_object_t *xt_over_the_wire(xs_object_t *dict)
{
	struct xs_buf b;
	struct xs_ool ool;
	xs_object_t *back = NULL;

	xs_buf_init(&b);
	xs_ool_init(&ool);
	if (!xs_encode(dict, &b, &ool))
		xs_decode(b.data, b.len, ool.fds, ool.count, &back);
	xs_buf_release(&b);
	xs_ool_release(&ool);
	return back;
}

static bool xt_same_file(int a, int b)
{
	struct stat sa, sb;

	return a >= 0 && b >= 0 && !fstat(a, &sa) && !fstat(b, &sb) &&
	       sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

XT_TEST(round_trip_every_field_type)
{
	struct xt_msg in, out;
	xs_object_t *dict, *wire;
	char err[256];

	xt_fill(&in);
	dict = xs_codable_encode(&xt_msg_codable, &in);
	XS_ASSERT_TRUE(dict);
	/* One key per field, optional NULLs left out. */
	XS_EXPECT_EQ(xs_dictionary_get_count(dict), 19);
	XS_EXPECT_TRUE(xs_dictionary_get_value(dict, "ds") == NULL);
	XS_EXPECT_TRUE(xs_dictionary_get_value(dict, "opt_fd") == NULL);
	XS_EXPECT_EQ(xs_dictionary_get_int64(dict, "opt_count"), 0);
	XS_EXPECT_EQ(xs_dictionary_get_int64(dict, "i32"), INT32_MIN);
	XS_EXPECT_STREQ(xs_dictionary_get_string(xs_dictionary_get_dictionary(
		dict, "inner"), "name"), "seven");

	wire = xt_over_the_wire(dict);
	XS_ASSERT_TRUE(wire);
	XS_ASSERT_EQ(xs_codable_decode(&xt_msg_codable, wire, &out, err,
				       sizeof(err)), 0);
	XS_EXPECT_STREQ(err, "");
	XS_EXPECT_TRUE(out.flag);
	XS_EXPECT_EQ(out.i64, INT64_MIN);
	XS_EXPECT_EQ(out.u64, UINT64_MAX);
	XS_EXPECT_EQ(out.i32, INT32_MIN);
	XS_EXPECT_EQ(out.u32, UINT32_MAX);
	XS_EXPECT_TRUE(out.dbl == -0.25);
	XS_EXPECT_EQ(out.when, 1700000000123456789LL);
	XS_EXPECT_STREQ(out.label, "fifteen chars!!");
	XS_EXPECT_STREQ(out.note, "a note");
	XS_EXPECT_MEMEQ(out.digest, "\x01\x02\x03\x04", 4);
	XS_EXPECT_EQ(out.blob_len, 10);
	XS_EXPECT_MEMEQ(out.blob, "blob\0bytes", 10);
	XS_EXPECT_MEMEQ(out.id, in.id, 16);
	XS_EXPECT_NE(out.fd, in.fd);
	XS_EXPECT_TRUE(xt_same_file(out.fd, in.fd));
	XS_EXPECT_STREQ(xs_string_get_string_ptr(out.extra), "free-form");
	XS_EXPECT_EQ(out.inner.a, 7);
	XS_EXPECT_STREQ(out.inner.name, "seven");
	XS_ASSERT_EQ(out.nr_nums, 3);
	XS_EXPECT_EQ(out.nums[0], -1);
	XS_EXPECT_EQ(out.nums[2], INT64_MAX);
	XS_ASSERT_EQ(out.nr_tags, 2);
	XS_EXPECT_STREQ(out.tags[1], "b\xc3\xa9ta");
	XS_ASSERT_EQ(out.nr_items, 2);
	XS_EXPECT_EQ(out.items[1].a, -2);
	XS_EXPECT_STREQ(out.items[1].name, "two");
	XS_EXPECT_TRUE(out.ds == NULL);
	XS_EXPECT_EQ(out.nr_ds, 0);
	XS_EXPECT_TRUE(out.opt_note == NULL);
	XS_EXPECT_EQ(out.opt_fd, -1);

	xs_codable_free(&xt_msg_codable, &out);
	XS_EXPECT_EQ(out.fd, -1);
	XS_EXPECT_TRUE(out.note == NULL && out.tags == NULL && out.extra == NULL);
	xs_codable_free(&xt_msg_codable, &out);	/* twice is harmless */
	xs_release(wire);
	xs_release(dict);
	xt_unfill(&in);
}

/* Decode @dict after replacing @key with @value (NULL: remove it). */
static int xt_decode_with(const char *key, xs_object_t *value, char *err,
			  size_t errlen)
{
	struct xt_msg in, out;
	xs_object_t *dict;
	int ret;

	xt_fill(&in);
	dict = xs_codable_encode(&xt_msg_codable, &in);
	xt_unfill(&in);
	if (!dict)
		return -999;
	xs_dictionary_set_value(dict, key, value);
	xs_release(value);
	memset(&out, 0x5a, sizeof(out));
	ret = xs_codable_decode(&xt_msg_codable, dict, &out, err, errlen);
	xs_release(dict);
	if (!ret) {
		xs_codable_free(&xt_msg_codable, &out);
		return 0;
	}
	/* A failed decode leaves the struct empty, with nothing to free. */
	if (out.note || out.tags || out.nums || out.fd != -1 || out.extra ||
	    out.i64 || out.opt_fd != -1 || out.blob)
		return -998;
	return ret;
}

struct xt_case {
	const char *key;
	xs_object_t *value;
	int ret;
	const char *msg;
};

static void xt_run_cases(struct xt_case *cases, size_t n)
{
	char err[256];
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = xt_decode_with(cases[i].key, cases[i].value, err,
				     sizeof(err));
		if (ret != cases[i].ret || strcmp(err, cases[i].msg)) {
			xs_diag("case %zu (%s): got %d \"%s\", expected %d \"%s\"",
				i, cases[i].key, ret, err, cases[i].ret,
				cases[i].msg);
			xs_mark_failed();
		}
	}
}

static xs_object_t *xt_arr2(xs_object_t *a, xs_object_t *b)
{
	xs_object_t *arr = xs_array_create();

	xs_array_append_value(arr, a);
	xs_array_append_value(arr, b);
	xs_release(a);
	xs_release(b);
	return arr;
}

static xs_object_t *xt_inner_dict(xs_object_t *a, const char *name)
{
	xs_object_t *d = xs_dictionary_create();

	if (a)
		xs_dictionary_set_value(d, "a", a);
	xs_release(a);
	if (name)
		xs_dictionary_set_string(d, "name", name);
	return d;
}

XT_TEST(type_mismatches_name_key_and_types)
{
	struct xt_case cases[] = {
		{ "flag", xs_int64_create(1), -EINVAL,
		  "struct xt_msg: key \"flag\": expected bool, got int64" },
		{ "i64", xs_string_create("1"), -EINVAL,
		  "struct xt_msg: key \"i64\": expected int64, got string" },
		{ "i64", xs_double_create(1.0), -EINVAL,
		  "struct xt_msg: key \"i64\": expected int64, got double" },
		{ "u64", xs_null_create(), -EINVAL,
		  "struct xt_msg: key \"u64\": expected uint64, got null" },
		{ "i32", xs_bool_create(true), -EINVAL,
		  "struct xt_msg: key \"i32\": expected int32, got bool" },
		{ "u32", xs_date_create(0), -EINVAL,
		  "struct xt_msg: key \"u32\": expected uint32, got date" },
		{ "dbl", xs_string_create("1.5"), -EINVAL,
		  "struct xt_msg: key \"dbl\": expected double, got string" },
		{ "when", xs_int64_create(5), -EINVAL,
		  "struct xt_msg: key \"when\": expected date, got int64" },
		{ "label", xs_data_create("x", 1), -EINVAL,
		  "struct xt_msg: key \"label\": expected string, got data" },
		{ "note", xs_array_create(), -EINVAL,
		  "struct xt_msg: key \"note\": expected string, got array" },
		{ "digest", xs_string_create("1234"), -EINVAL,
		  "struct xt_msg: key \"digest\": expected data, got string" },
		{ "blob", xs_uuid_create((const uint8_t *)"0123456789abcdef"), -EINVAL,
		  "struct xt_msg: key \"blob\": expected data, got uuid" },
		{ "id", xs_data_create("0123456789abcdef", 16), -EINVAL,
		  "struct xt_msg: key \"id\": expected uuid, got data" },
		{ "fd", xs_int64_create(0), -EINVAL,
		  "struct xt_msg: key \"fd\": expected fd, got int64" },
		{ "inner", xs_array_create(), -EINVAL,
		  "struct xt_msg: key \"inner\": expected dictionary, got array" },
		{ "nums", xs_dictionary_create(), -EINVAL,
		  "struct xt_msg: key \"nums\": expected array, got dictionary" },
		{ "nums", xt_arr2(xs_int64_create(1), xs_string_create("2")), -EINVAL,
		  "struct xt_msg: key \"nums[1]\": expected int64, got string" },
		{ "tags", xt_arr2(xs_string_create("x"), xs_null_create()), -EINVAL,
		  "struct xt_msg: key \"tags[1]\": expected string, got null" },
		{ "inner", xt_inner_dict(xs_string_create("7"), "n"), -EINVAL,
		  "struct xt_msg: key \"inner.a\": expected int32, got string" },
		{ "items", xt_arr2(xt_inner_dict(xs_int64_create(1), "ok"),
				   xt_inner_dict(xs_int64_create(2), NULL)), -ENOENT,
		  "struct xt_msg: key \"items[1].name\": missing (expected string)" },
		{ "items", xt_arr2(xt_inner_dict(xs_int64_create(1), "ok"),
				   xs_int64_create(3)), -EINVAL,
		  "struct xt_msg: key \"items[1]\": expected dictionary, got int64" },
		{ "ds", xs_string_create("no"), -EINVAL,
		  "struct xt_msg: key \"ds\": expected array, got string" },
		{ "opt_count", xs_string_create("no"), -EINVAL,
		  "struct xt_msg: key \"opt_count\": expected int64, got string" },
	};

	xt_run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

XT_TEST(ranges_are_checked)
{
	struct xt_case cases[] = {
		{ "i32", xs_int64_create(2147483648LL), -ERANGE,
		  "struct xt_msg: key \"i32\": value 2147483648 is out of range for int32" },
		{ "i32", xs_int64_create(-2147483649LL), -ERANGE,
		  "struct xt_msg: key \"i32\": value -2147483649 is out of range for int32" },
		{ "i32", xs_int64_create(-2147483648LL), 0, "" },
		{ "u32", xs_int64_create(-1), -ERANGE,
		  "struct xt_msg: key \"u32\": value -1 is out of range for uint32" },
		{ "u32", xs_uint64_create(4294967296ULL), -ERANGE,
		  "struct xt_msg: key \"u32\": value 4294967296 is out of range for uint32" },
		{ "u64", xs_int64_create(INT64_MIN), -ERANGE,
		  "struct xt_msg: key \"u64\": value -9223372036854775808 is out of range for uint64" },
		{ "u64", xs_int64_create(5), 0, "" },
		{ "i64", xs_uint64_create(9223372036854775808ULL), -ERANGE,
		  "struct xt_msg: key \"i64\": value 9223372036854775808 is out of range for int64" },
		{ "i64", xs_uint64_create(9223372036854775807ULL), 0, "" },
		{ "dbl", xs_int64_create(9007199254740993LL), -ERANGE,
		  "struct xt_msg: key \"dbl\": integer 9007199254740993 has no exact double" },
		{ "dbl", xs_int64_create(-3), 0, "" },
		{ "label", xs_string_create("sixteen chars!!!"), -ERANGE,
		  "struct xt_msg: key \"label\": string of 16 bytes does not fit in char[16]" },
		{ "digest", xs_data_create("12345", 5), -ERANGE,
		  "struct xt_msg: key \"digest\": expected exactly 4 bytes of data, got 5" },
		{ "inner", xt_inner_dict(xs_int64_create(1), "12345678"), -ERANGE,
		  "struct xt_msg: key \"inner.name\": string of 8 bytes does not fit in char[8]" },
		{ "blob", xs_data_create(NULL, 0), 0, "" },
	};

	xt_run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

XT_TEST(missing_and_optional_keys)
{
	struct xt_case cases[] = {
		{ "i64", NULL, -ENOENT,
		  "struct xt_msg: key \"i64\": missing (expected int64)" },
		{ "fd", NULL, -ENOENT,
		  "struct xt_msg: key \"fd\": missing (expected fd)" },
		{ "inner", xt_inner_dict(NULL, "x"), -ENOENT,
		  "struct xt_msg: key \"inner.a\": missing (expected int32)" },
		/* Optional: absent or null is fine. */
		{ "opt_note", NULL, 0, "" },
		{ "opt_note", xs_null_create(), 0, "" },
		{ "opt_fd", xs_null_create(), 0, "" },
		{ "ds", xs_null_create(), 0, "" },
		/* Unknown keys are ignored (a newer peer may add fields). */
		{ "from_the_future", xs_int64_create(1), 0, "" },
	};

	xt_run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

XT_TEST(optional_values_arrive)
{
	struct xt_msg in, out;
	xs_object_t *dict;
	double ds[] = { 0.5, -1.0 };
	int p[2];

	xt_fill(&in);
	XS_ASSERT_OK(pipe2(p, O_CLOEXEC));
	in.opt_fd = p[0];
	in.opt_note = "present";
	in.ds = ds;
	in.nr_ds = 2;
	in.opt_count = 9;
	dict = xs_codable_encode(&xt_msg_codable, &in);
	XS_ASSERT_TRUE(dict);
	XS_ASSERT_EQ(xs_codable_decode(&xt_msg_codable, dict, &out, NULL, 0), 0);
	XS_EXPECT_STREQ(out.opt_note, "present");
	XS_EXPECT_TRUE(xt_same_file(out.opt_fd, p[0]));
	XS_ASSERT_EQ(out.nr_ds, 2);
	XS_EXPECT_TRUE(out.ds[1] == -1.0);
	XS_EXPECT_EQ(out.opt_count, 9);
	xs_codable_free(&xt_msg_codable, &out);
	xs_release(dict);
	close(p[0]);
	close(p[1]);
	xt_unfill(&in);
}

XT_TEST(encode_refuses_what_it_cannot_send)
{
	struct xt_msg in;
	xs_object_t *out;
	char err[256];
	int fd;

	xt_fill(&in);
	in.note = NULL;
	XS_EXPECT_EQ(xs_codable_encode_checked(&xt_msg_codable, &in, &out, err,
					       sizeof(err)), -EINVAL);
	XS_EXPECT_STREQ(err, "struct xt_msg: key \"note\": required string is NULL");
	XS_EXPECT_TRUE(out == NULL);
	in.note = "ok";

	memset(in.label, 'x', sizeof(in.label));
	XS_EXPECT_EQ(xs_codable_encode_checked(&xt_msg_codable, &in, &out, err,
					       sizeof(err)), -EINVAL);
	XS_EXPECT_STREQ(err, "struct xt_msg: key \"label\": char[16] is not NUL-terminated");
	strcpy(in.label, "\xff");
	XS_EXPECT_EQ(xs_codable_encode_checked(&xt_msg_codable, &in, &out, err,
					       sizeof(err)), -EINVAL);
	XS_EXPECT_STREQ(err, "struct xt_msg: key \"label\": string is not valid UTF-8");
	strcpy(in.label, "ok");

	fd = in.fd;
	in.fd = -1;
	XS_EXPECT_EQ(xs_codable_encode_checked(&xt_msg_codable, &in, &out, err,
					       sizeof(err)), -EBADF);
	XS_EXPECT_STREQ(err, "struct xt_msg: key \"fd\": required fd is -1");
	in.fd = fd;

	in.nums = NULL;
	XS_EXPECT_EQ(xs_codable_encode_checked(&xt_msg_codable, &in, &out, err,
					       sizeof(err)), -EINVAL);
	XS_EXPECT_STREQ(err, "struct xt_msg: key \"nums\": NULL array with a count of 3");
	in.nums = xt_nums;

	in.tags = (char *[]){ "fine", NULL };
	XS_EXPECT_EQ(xs_codable_encode_checked(&xt_msg_codable, &in, &out, err,
					       sizeof(err)), -EINVAL);
	XS_EXPECT_STREQ(err, "struct xt_msg: key \"tags[1]\": required string is NULL");
	in.tags = xt_tags;

	in.items = (struct xt_inner[]){ { 1, "a" }, { 2, "\xc3" } };
	XS_EXPECT_EQ(xs_codable_encode_checked(&xt_msg_codable, &in, &out, err,
					       sizeof(err)), -EINVAL);
	XS_EXPECT_STREQ(err, "struct xt_msg: key \"items[1].name\": string is not valid UTF-8");
	in.items = xt_items;

	/* The errno form. */
	in.blob = NULL;
	errno = 0;
	out = xs_codable_encode(&xt_msg_codable, &in);
	fd = errno;
	XS_EXPECT_TRUE(out == NULL);
	XS_EXPECT_EQ(fd, EINVAL);
	in.blob = "blob";
	in.blob_len = 4;

	out = xs_codable_encode(&xt_msg_codable, &in);
	XS_EXPECT_TRUE(out != NULL);
	xs_release(out);
	xt_unfill(&in);
}

XT_TEST(decode_needs_a_dictionary)
{
	struct xt_inner out;
	xs_object_t *a = xs_array_create();
	char err[128];

	XS_EXPECT_EQ(xs_codable_decode(&xt_inner_codable, a, &out, err,
				       sizeof(err)), -EINVAL);
	XS_EXPECT_STREQ(err, "struct xt_inner: expected dictionary, got array");
	XS_EXPECT_EQ(xs_codable_decode(&xt_inner_codable, NULL, &out, err,
				       sizeof(err)), -EINVAL);
	XS_EXPECT_STREQ(err, "struct xt_inner: expected dictionary, got invalid");
	XS_EXPECT_EQ(xs_codable_decode(NULL, a, &out, err, sizeof(err)), -EINVAL);
	/* A tiny error buffer truncates, never overflows. */
	XS_EXPECT_EQ(xs_codable_decode(&xt_inner_codable, a, &out, err, 5), -EINVAL);
	XS_EXPECT_STREQ(err, "stru");
	xs_release(a);
}

struct xt_bad {
	int64_t x;
	int32_t y;
	struct xt_inner in;
	int64_t *arr;
	size_t n;
};

static void xt_expect_bad_table(const struct xs_field *fields, size_t n,
				int line)
{
	struct xs_codable c = { .name = "bad", .size = sizeof(struct xt_bad),
				.fields = fields, .nr_fields = n };
	struct xt_bad s = { .x = 1 };
	xs_object_t *d = xs_dictionary_create(), *o;
	char err[128];

	xs_dictionary_set_int64(d, "x", 1);
	if (xs_codable_decode(&c, d, &s, err, sizeof(err)) != -EINVAL ||
	    !strstr(err, "bad field table") ||
	    xs_codable_encode_checked(&c, &s, &o, err, sizeof(err)) != -EINVAL ||
	    !strstr(err, "bad field table")) {
		xs_diag("line %d: a bad table was not refused (%s)", line, err);
		xs_mark_failed();
	}
	xs_codable_free(&c, &s);	/* must touch nothing bad */
	xs_release(d);
}

#define XT_BAD_TABLE(...)						\
	do {								\
		const struct xs_field f[] = { __VA_ARGS__ };		\
		xt_expect_bad_table(f, sizeof(f) / sizeof(f[0]), __LINE__); \
	} while (0)

XT_TEST(bad_tables_are_errors_not_wild_writes)
{
	XT_BAD_TABLE({ .key = "x", .type = XS_FIELD_TYPE_INT64,
		       .offset = offsetof(struct xt_bad, y), .size = 4 });
	XT_BAD_TABLE({ .key = "x", .type = XS_FIELD_TYPE_INT64,
		       .offset = sizeof(struct xt_bad), .size = 8 });
	XT_BAD_TABLE({ .key = NULL, .type = XS_FIELD_TYPE_INT64, .size = 8 });
	XT_BAD_TABLE({ .key = "x", .type = (xs_field_type_t)99, .size = 8 });
	XT_BAD_TABLE({ .key = "x", .type = XS_FIELD_TYPE_NESTED,
		       .offset = offsetof(struct xt_bad, in), .size = 4,
		       .nested = &xt_inner_codable });
	XT_BAD_TABLE({ .key = "x", .type = XS_FIELD_TYPE_NESTED,
		       .offset = offsetof(struct xt_bad, in),
		       .size = sizeof(struct xt_inner) });
	XT_BAD_TABLE({ .key = "x", .type = XS_FIELD_TYPE_ARRAY,
		       .offset = offsetof(struct xt_bad, arr), .size = 8,
		       .count_offset = sizeof(struct xt_bad),
		       .elem_type = XS_FIELD_TYPE_INT64, .elem_size = 8 });
	XT_BAD_TABLE({ .key = "x", .type = XS_FIELD_TYPE_ARRAY,
		       .offset = offsetof(struct xt_bad, arr), .size = 8,
		       .count_offset = offsetof(struct xt_bad, n),
		       .elem_type = XS_FIELD_TYPE_ARRAY, .elem_size = 8 });
	XT_BAD_TABLE({ .key = "x", .type = XS_FIELD_TYPE_ARRAY,
		       .offset = offsetof(struct xt_bad, arr), .size = 8,
		       .count_offset = offsetof(struct xt_bad, n),
		       .elem_type = XS_FIELD_TYPE_INT64, .elem_size = 4 });
	XT_BAD_TABLE({ .key = "x", .type = XS_FIELD_TYPE_STRING_BUF,
		       .offset = offsetof(struct xt_bad, x), .size = 0 });
}

/* A recursive codable: a tree of nodes. */
struct xt_node {
	int64_t v;
	struct xt_node *kids;
	size_t nr_kids;
};

static const struct xs_codable xt_node_codable;
static const struct xs_field xt_node_fields[] = {
	XS_FIELD_INT64(struct xt_node, v, "v"),
	XS_FIELD_ARRAY_NESTED(struct xt_node, kids, nr_kids, "kids",
			      &xt_node_codable),
};
static const struct xs_codable xt_node_codable =
	XS_CODABLE(struct xt_node, xt_node_fields);

/* A chain of @n nodes out of @nodes. */
static void xt_chain(struct xt_node *nodes, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		nodes[i].v = i;
		nodes[i].kids = i < n - 1 ? &nodes[i + 1] : NULL;
		nodes[i].nr_kids = i < n - 1;
	}
}

XT_TEST(recursion_is_bounded)
{
	struct xt_node nodes[100], out;
	xs_object_t *d, *wire;
	char err[256];

	/*
	 * Each node is two containers on the wire (its dictionary and its
	 * "kids" array): 32 nodes are exactly XS_MAX_DEPTH, 33 too many.
	 */
	xt_chain(nodes, 100);
	XS_EXPECT_EQ(xs_codable_encode_checked(&xt_node_codable, nodes, &d, err,
					       sizeof(err)), -ELOOP);
	XS_EXPECT_TRUE(strstr(err, "struct xt_node: key \"...") == err);
	XS_EXPECT_TRUE(strstr(err, "kids[0]\": nested too deep") != NULL);
	xt_chain(nodes, XS_MAX_DEPTH / 2 + 1);
	XS_EXPECT_EQ(xs_codable_encode_checked(&xt_node_codable, nodes, &d, err,
					       sizeof(err)), -ELOOP);

	xt_chain(nodes, XS_MAX_DEPTH / 2);
	d = xs_codable_encode(&xt_node_codable, nodes);
	XS_ASSERT_TRUE(d);
	wire = xt_over_the_wire(d);
	XS_ASSERT_TRUE(wire);
	XS_ASSERT_EQ(xs_codable_decode(&xt_node_codable, wire, &out, err,
				       sizeof(err)), 0);
	XS_EXPECT_EQ(out.v, 0);
	XS_ASSERT_EQ(out.nr_kids, 1);
	XS_EXPECT_EQ(out.kids[0].kids[0].v, 2);
	xs_codable_free(&xt_node_codable, &out);
	XS_EXPECT_TRUE(out.kids == NULL);
	xs_release(wire);
	xs_release(d);
}

XT_TEST(failed_decode_frees_partial_work)
{
	xs_object_t *d = xs_dictionary_create(), *arr = xs_array_create();
	struct xt_node out;
	char err[256];
	int i;

	/* kids[0..2] fine, each with its own kids; kids[3] broken. */
	xs_dictionary_set_int64(d, "v", 1);
	for (i = 0; i < 4; i++) {
		xs_object_t *k = xs_dictionary_create(), *kk = xs_array_create();

		if (i < 3)
			xs_dictionary_set_int64(k, "v", i);
		xs_dictionary_set_value(k, "kids", kk);
		xs_array_append_value(arr, k);
		xs_release(kk);
		xs_release(k);
	}
	xs_dictionary_set_value(d, "kids", arr);
	xs_release(arr);
	XS_EXPECT_EQ(xs_codable_decode(&xt_node_codable, d, &out, err,
				       sizeof(err)), -ENOENT);
	XS_EXPECT_STREQ(err, "struct xt_node: key \"kids[3].v\": missing (expected int64)");
	XS_EXPECT_TRUE(out.kids == NULL);
	XS_EXPECT_EQ(out.nr_kids, 0);
	xs_release(d);
}
