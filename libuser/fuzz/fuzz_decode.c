// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for the CBOR decoder (and what runs on its output).
 *
 *	clang -fsanitize=fuzzer,address,undefined ...  (see Makefile)
 *
 * Each input is decoded with a fake out-of-line table; a failure must be
 * one of the documented errors.  Whatever decodes must encode, and
 * decode(encode(x)) must equal x and encode to the same bytes again
 * (determinism).  Decoded dictionaries also go through a codable with
 * every field type and through xs_copy_description(), since those read
 * peer data too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xs_codable.h"
#include "xs_codec.h"
#include "xs_object.h"

/*
 * The fake table: a plain fd, a sealed memfd (page-sized, sparse: no
 * body may come from it), an unsealed memfd (shmem must refuse it), a
 * sealed 1-byte memfd, and a good body: a sealed memfd holding BODY.
 */
#define NR_OOL	5
#define BODY_INDEX 4
static int ool_fds[NR_OOL];

/* {"fd": fd 0, "body": true}: 18 bytes, gen_corpus.py's body_ref seed. */
static const uint8_t body[] = {
	0xa2, 0x62, 'f', 'd', 0xda, 0x78, 0x73, 0x4f, 0x4c, 0x82, 0x00, 0x00,
	0x64, 'b', 'o', 'd', 'y', 0xf5,
};

static int sealed_memfd(size_t size, bool seal)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || ftruncate(fd, (off_t)size) ||
	    (seal && fcntl(fd, F_ADD_SEALS,
			   F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)))
		abort();
	return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ool_fds[0] = open("/dev/null", O_RDWR | O_CLOEXEC);
	ool_fds[1] = sealed_memfd(4096, true);
	ool_fds[2] = sealed_memfd(4096, false);
	ool_fds[3] = sealed_memfd(1, true);
	ool_fds[BODY_INDEX] = memfd_create("fuzz-body",
					   MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (ool_fds[0] < 0 || ool_fds[BODY_INDEX] < 0 ||
	    write(ool_fds[BODY_INDEX], body, sizeof(body)) != sizeof(body) ||
	    fcntl(ool_fds[BODY_INDEX], F_ADD_SEALS,
		  F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW))
		abort();
	return 0;
}

/* Equality where fds and shmem compare by kind (and length). */
static bool same(const xs_object_t *a, const xs_object_t *b, int depth)
{
	const xs_object_t *va;
	const char *key;
	size_t i, kl;

	if (depth > XS_MAX_DEPTH + 1 || xs_get_type(a) != xs_get_type(b))
		return xs_equal(a, b);
	switch (xs_get_type(a)) {
	case XS_TYPE_FD:
		return true;
	case XS_TYPE_SHMEM:
		return xs_shmem_get_length(a) == xs_shmem_get_length(b);
	case XS_TYPE_ARRAY:
		if (xs_array_get_count(a) != xs_array_get_count(b))
			return false;
		for (i = 0; i < xs_array_get_count(a); i++)
			if (!same(xs_array_get_value(a, i),
				  xs_array_get_value(b, i), depth + 1))
				return false;
		return true;
	case XS_TYPE_DICTIONARY:
		if (xs_dictionary_get_count(a) != xs_dictionary_get_count(b))
			return false;
		for (i = 0; xs_dictionary_entry(a, i, &key, &kl, &va); i++)
			if (!same(va, xs_dictionary_get_value(b, key), depth + 1))
				return false;
		return true;
	default:
		return xs_equal(a, b);
	}
}

/* A codable with every field type, to run on decoded dictionaries. */
struct fz_inner {
	int32_t a;
	char s[4];
};

static const struct xs_field fz_inner_fields[] = {
	XS_FIELD_INT32(struct fz_inner, a, "a", .optional = true),
	XS_FIELD_STRING(struct fz_inner, s, "s", .optional = true),
};
static const struct xs_codable fz_inner_codable =
	XS_CODABLE(struct fz_inner, fz_inner_fields);

struct fz_all {
	bool b;
	int64_t i;
	uint64_t u;
	int32_t i32;
	uint32_t u32;
	double d;
	int64_t t;
	char s[8];
	char *sp;
	uint8_t fixed[2];
	void *data;
	size_t data_len;
	uint8_t id[16];
	int fd;
	xs_object_t *obj;
	struct fz_inner in;
	int64_t *nums;
	size_t nr_nums;
	char **strs;
	size_t nr_strs;
	struct fz_inner *ins;
	size_t nr_ins;
	xs_object_t **objs;
	size_t nr_objs;
};

#define OPT .optional = true
static const struct xs_field fz_all_fields[] = {
	XS_FIELD_BOOL(struct fz_all, b, "b", OPT),
	XS_FIELD_INT64(struct fz_all, i, "i", OPT),
	XS_FIELD_UINT64(struct fz_all, u, "u", OPT),
	XS_FIELD_INT32(struct fz_all, i32, "i32", OPT),
	XS_FIELD_UINT32(struct fz_all, u32, "u32", OPT),
	XS_FIELD_DOUBLE(struct fz_all, d, "d", OPT),
	XS_FIELD_DATE(struct fz_all, t, "t", OPT),
	XS_FIELD_STRING(struct fz_all, s, "s", OPT),
	XS_FIELD_STRING_PTR(struct fz_all, sp, "sp", OPT),
	XS_FIELD_DATA(struct fz_all, fixed, "fixed", OPT),
	XS_FIELD_DATA_PTR(struct fz_all, data, data_len, "data", OPT),
	XS_FIELD_UUID(struct fz_all, id, "id", OPT),
	XS_FIELD_FD(struct fz_all, fd, "fd", OPT),
	XS_FIELD_OBJECT(struct fz_all, obj, "obj", OPT),
	XS_FIELD_NESTED(struct fz_all, in, "in", &fz_inner_codable, OPT),
	XS_FIELD_ARRAY_INT64(struct fz_all, nums, nr_nums, "nums", OPT),
	XS_FIELD_ARRAY_STRING(struct fz_all, strs, nr_strs, "strs", OPT),
	XS_FIELD_ARRAY_NESTED(struct fz_all, ins, nr_ins, "ins",
			      &fz_inner_codable, OPT),
	XS_FIELD_ARRAY_OBJECT(struct fz_all, objs, nr_objs, "objs", OPT),
};
static const struct xs_codable fz_all_codable =
	XS_CODABLE(struct fz_all, fz_all_fields);

static void check_codable(const xs_object_t *dict)
{
	struct fz_all s;
	xs_object_t *again = NULL;
	char err[256];
	int ret;

	ret = xs_codable_decode(&fz_all_codable, dict, &s, err, sizeof(err));
	if (ret) {
		if (ret != -EINVAL && ret != -ERANGE && ret != -ENOENT &&
		    ret != -ELOOP) {
			fprintf(stderr, "codable decode: %d %s\n", ret, err);
			abort();
		}
		if (!err[0])
			abort();	/* every failure explains itself */
		return;
	}
	/* What decoded must encode again, losslessly enough to decode. */
	ret = xs_codable_encode_checked(&fz_all_codable, &s, &again, err,
					sizeof(err));
	if (ret) {
		/* Only a NULL required string/array could... none here. */
		fprintf(stderr, "codable re-encode: %d %s\n", ret, err);
		abort();
	}
	xs_codable_free(&fz_all_codable, &s);
	ret = xs_codable_decode(&fz_all_codable, again, &s, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "codable re-decode: %d %s\n", ret, err);
		abort();
	}
	xs_codable_free(&fz_all_codable, &s);
	xs_release(again);
}

/* A payload that is (or starts like) a body reference. */
static void check_body_ref(int ret, int ret_msg, xs_object_t *msg,
			   uint64_t index, uint64_t len)
{
	xs_object_t *want;

	/* Never a value, whatever it says. */
	if (ret != -EBADMSG)
		abort();
	if (ret_msg) {
		if (msg || (ret_msg != -EBADMSG && ret_msg != -E2BIG))
			abort();
		return;
	}
	/* Only the good body can decode, to exactly what it holds. */
	if (index != BODY_INDEX || len != sizeof(body) ||
	    xs_get_type(msg) != XS_TYPE_DICTIONARY)
		abort();
	if (xs_decode_value(body, sizeof(body), ool_fds, NR_OOL, &want) ||
	    !same(msg, want, 0))
		abort();
	xs_release(want);
	xs_release(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_buf b1, b2;
	struct xs_ool o1, o2;
	xs_object_t *x, *y, *msg;
	uint64_t index = 0, len = 0;
	char *desc;
	int ret, ret_msg, is_body;

	ret = xs_decode_value(data, size, ool_fds, NR_OOL, &x);
	ret_msg = xs_decode(data, size, ool_fds, NR_OOL, &msg);
	is_body = xs_body_ref_parse(data, size, &index, &len);
	if (is_body) {
		if (x)
			abort();
		check_body_ref(ret, ret_msg, msg, index, len);
		return 0;
	}
	/* The message decoder is the value decoder plus "root is a map". */
	if (ret_msg != (ret ? ret : xs_get_type(x) == XS_TYPE_DICTIONARY ?
					0 : -EBADMSG))
		abort();
	xs_release(msg);
	if (ret) {
		if (ret != -EBADMSG && ret != -ELOOP && ret != -E2BIG) {
			fprintf(stderr, "decode: unexpected %d\n", ret);
			abort();
		}
		if (x)
			abort();
		return 0;
	}

	xs_buf_init(&b1);
	xs_buf_init(&b2);
	xs_ool_init(&o1);
	xs_ool_init(&o2);
	if (xs_encode_value(x, &b1, &o1))
		abort();
	if (xs_decode_value(b1.data, b1.len, o1.fds, o1.count, &y))
		abort();
	if (!same(x, y, 0))
		abort();
	if (xs_encode_value(y, &b2, &o2) || b1.len != b2.len ||
	    memcmp(b1.data, b2.data, b1.len) || o1.count != o2.count)
		abort();

	desc = xs_copy_description(x);
	if (!desc)
		abort();
	free(desc);
	if (xs_get_type(x) == XS_TYPE_DICTIONARY)
		check_codable(x);

	xs_release(x);
	xs_release(y);
	xs_buf_release(&b1);
	xs_buf_release(&b2);
	xs_ool_release(&o1);
	xs_ool_release(&o2);
	return 0;
}
