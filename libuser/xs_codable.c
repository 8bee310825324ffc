// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Codables: structs to dictionaries and back, driven by field tables.
 *
 * Decoding reads dictionaries that came from a peer, so every value is
 * type- and range-checked before it touches the struct, and a failure
 * explains itself with the key path (a.b[3].c) and what was expected:
 * that sentence is what a rich error will carry back to the sender.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xs_codable.h"
#include "xs_codec.h"
#include "xs_object.h"

#define XS_PATH_MAX	1024
/* Longer key paths are shown by their end: the reason must fit too. */
#define XS_PATH_SHOWN	96

struct xs_cctx {
	const struct xs_codable *root;
	char *err;
	size_t errlen;
	char path[XS_PATH_MAX];
	size_t pathlen;
};

static int __attribute__((format(printf, 3, 4)))
xs_cfail(struct xs_cctx *cx, int ret, const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;
	int w;

	if (!cx->err || !cx->errlen)
		return ret;
	if (cx->pathlen > XS_PATH_SHOWN)
		w = snprintf(cx->err, cx->errlen, "%s: key \"...%s\": ",
			     cx->root->name,
			     cx->path + cx->pathlen - (XS_PATH_SHOWN - 3));
	else if (cx->pathlen)
		w = snprintf(cx->err, cx->errlen, "%s: key \"%s\": ",
			     cx->root->name, cx->path);
	else
		w = snprintf(cx->err, cx->errlen, "%s: ", cx->root->name);
	if (w > 0)
		n = (size_t)w < cx->errlen ? (size_t)w : cx->errlen - 1;
	va_start(ap, fmt);
	vsnprintf(cx->err + n, cx->errlen - n, fmt, ap);
	va_end(ap);
	return ret;
}

/* Appends ".key" (or "key" first) or "[i]"; returns where to cut back. */
static size_t xs_path_push(struct xs_cctx *cx, const char *key, size_t index)
{
	size_t old = cx->pathlen, room = sizeof(cx->path) - old;
	int n;

	if (key)
		n = snprintf(cx->path + old, room, "%s%s", old ? "." : "", key);
	else
		n = snprintf(cx->path + old, room, "[%zu]", index);
	/* Too long: keep what fits; the message is still useful. */
	if (n > 0)
		cx->pathlen = (size_t)n < room ? old + (size_t)n
						: sizeof(cx->path) - 1;
	return old;
}

static void xs_path_pop(struct xs_cctx *cx, size_t old)
{
	cx->pathlen = old;
	cx->path[old] = '\0';
}

static const char *xs_field_type_name(xs_field_type_t type)
{
	switch (type) {
	case XS_FIELD_TYPE_BOOL:
		return "bool";
	case XS_FIELD_TYPE_INT64:
		return "int64";
	case XS_FIELD_TYPE_UINT64:
		return "uint64";
	case XS_FIELD_TYPE_INT32:
		return "int32";
	case XS_FIELD_TYPE_UINT32:
		return "uint32";
	case XS_FIELD_TYPE_DOUBLE:
		return "double";
	case XS_FIELD_TYPE_DATE:
		return "date";
	case XS_FIELD_TYPE_STRING_BUF:
	case XS_FIELD_TYPE_STRING_PTR:
		return "string";
	case XS_FIELD_TYPE_DATA_BUF:
	case XS_FIELD_TYPE_DATA_PTR:
		return "data";
	case XS_FIELD_TYPE_UUID:
		return "uuid";
	case XS_FIELD_TYPE_FD:
		return "fd";
	case XS_FIELD_TYPE_OBJECT:
		return "object";
	case XS_FIELD_TYPE_NESTED:
		return "dictionary";
	case XS_FIELD_TYPE_ARRAY:
		return "array";
	default:
		return "invalid";
	}
}

/* The synthetic field that describes one element of an ARRAY field. */
static struct xs_field xs_elem_field(const struct xs_field *f)
{
	struct xs_field e = {
		.key = f->key, .type = f->elem_type, .size = f->elem_size,
		.nested = f->nested,
	};

	return e;
}

/* What a member of each type must measure; 0: any size. */
static size_t xs_field_type_size(xs_field_type_t type)
{
	switch (type) {
	case XS_FIELD_TYPE_BOOL:
		return sizeof(bool);
	case XS_FIELD_TYPE_INT64:
	case XS_FIELD_TYPE_UINT64:
	case XS_FIELD_TYPE_DATE:
		return sizeof(int64_t);
	case XS_FIELD_TYPE_INT32:
	case XS_FIELD_TYPE_UINT32:
		return sizeof(int32_t);
	case XS_FIELD_TYPE_DOUBLE:
		return sizeof(double);
	case XS_FIELD_TYPE_STRING_PTR:
	case XS_FIELD_TYPE_DATA_PTR:
	case XS_FIELD_TYPE_OBJECT:
	case XS_FIELD_TYPE_ARRAY:
		return sizeof(void *);
	case XS_FIELD_TYPE_UUID:
		return 16;
	case XS_FIELD_TYPE_FD:
		return sizeof(int);
	default:
		return 0;
	}
}

/*
 * Tables are static and written by hand (the XS_FIELD_* macros check
 * member types; a hand-made table is checked only here): check each
 * field before using it, so a wrong table is an error message, not a
 * wild write.
 */
static int xs_check_field(struct xs_cctx *cx, const struct xs_codable *c,
			  const struct xs_field *f, bool elem)
{
	bool counted = f->type == XS_FIELD_TYPE_ARRAY ||
		       f->type == XS_FIELD_TYPE_DATA_PTR;
	size_t want = xs_field_type_size(f->type);
	const char *why = NULL;

	if (f->type == XS_FIELD_TYPE_INVALID || f->type > XS_FIELD_TYPE_ARRAY)
		why = "a field has an unknown type";
	else if (!elem && !f->key)
		why = "a field has no key";
	else if (!elem && (f->offset > c->size || f->size > c->size - f->offset))
		why = "a field lies outside the struct";
	else if (want && want != f->size)
		why = "a member's size does not match its field type";
	else if (f->type == XS_FIELD_TYPE_STRING_BUF && !f->size)
		why = "a char[] field has no room";
	else if (f->type == XS_FIELD_TYPE_NESTED &&
		 (!f->nested || f->nested->size != f->size || !f->nested->name ||
		  (f->nested->nr_fields && !f->nested->fields)))
		why = "a nested codable is missing or of another size";
	else if (counted && elem)
		why = "an array cannot hold arrays or data pointers";
	else if (counted && (f->count_offset > c->size ||
			     sizeof(size_t) > c->size - f->count_offset))
		why = "an array or data field's count lies outside the struct";
	else if (f->type == XS_FIELD_TYPE_ARRAY && !f->elem_size)
		why = "an array field has no element size";
	if (why)
		return xs_cfail(cx, -EINVAL, "bad field table: %s", why);
	if (f->type == XS_FIELD_TYPE_ARRAY) {
		struct xs_field e = xs_elem_field(f);

		return xs_check_field(cx, c, &e, true);
	}
	return 0;
}

/* ---- init / free ---- */

/* A table entry that is safe to follow, checked quietly. */
static bool xs_field_ok(const struct xs_codable *c, const struct xs_field *f)
{
	struct xs_cctx cx = { .root = c };

	return !xs_check_field(&cx, c, f, false);
}

static void xs_init_struct(const struct xs_codable *c, void *s,
			   unsigned int depth)
{
	size_t i;

	memset(s, 0, c->size);
	if (depth >= XS_MAX_DEPTH)
		return;
	for (i = 0; i < c->nr_fields; i++) {
		const struct xs_field *f = &c->fields[i];
		char *m = (char *)s + f->offset;

		if (!xs_field_ok(c, f))
			continue;
		if (f->type == XS_FIELD_TYPE_FD && f->size == sizeof(int))
			*(int *)m = -1;
		else if (f->type == XS_FIELD_TYPE_NESTED)
			xs_init_struct(f->nested, m, depth + 1);
	}
}

void xs_codable_init(const struct xs_codable *c, void *s)
{
	if (c && s)
		xs_init_struct(c, s, 0);
}

static void xs_free_struct(const struct xs_codable *c, void *s);

/* Frees one member (or array element) @m described by @f. */
static void xs_free_value(const struct xs_field *f, void *m, void *base)
{
	size_t *count, i;
	char *items;

	switch (f->type) {
	case XS_FIELD_TYPE_STRING_PTR:
		free(*(char **)m);
		*(char **)m = NULL;
		break;
	case XS_FIELD_TYPE_DATA_PTR:
		free(*(void **)m);
		*(void **)m = NULL;
		*(size_t *)((char *)base + f->count_offset) = 0;
		break;
	case XS_FIELD_TYPE_FD:
		if (f->size != sizeof(int))
			break;
		if (*(int *)m >= 0)
			close(*(int *)m);
		*(int *)m = -1;
		break;
	case XS_FIELD_TYPE_OBJECT:
		xs_release(*(xs_object_t **)m);
		*(xs_object_t **)m = NULL;
		break;
	case XS_FIELD_TYPE_NESTED:
		if (f->nested && f->nested->size == f->size)
			xs_free_struct(f->nested, m);
		break;
	case XS_FIELD_TYPE_ARRAY: {
		struct xs_field e = xs_elem_field(f);

		items = *(char **)m;
		count = (size_t *)((char *)base + f->count_offset);
		if (items && f->elem_type != XS_FIELD_TYPE_ARRAY &&
		    f->elem_type != XS_FIELD_TYPE_DATA_PTR)
			for (i = 0; i < *count; i++)
				xs_free_value(&e, items + i * f->elem_size, NULL);
		free(items);
		*(char **)m = NULL;
		*count = 0;
		break;
	}
	default:
		break;
	}
}

static void xs_free_struct(const struct xs_codable *c, void *s)
{
	size_t i;

	for (i = 0; i < c->nr_fields; i++) {
		const struct xs_field *f = &c->fields[i];

		if (!xs_field_ok(c, f))
			continue;	/* a bad table: touch nothing */
		xs_free_value(f, (char *)s + f->offset, s);
	}
}

void xs_codable_free(const struct xs_codable *c, void *s)
{
	if (!c || !s)
		return;
	xs_free_struct(c, s);
	xs_init_struct(c, s, 0);
}

/* ---- Encoding ---- */

static int xs_enc_struct(struct xs_cctx *cx, const struct xs_codable *c,
			 const void *s, unsigned int depth, xs_object_t **out);

/* The object for member @m; *@out NULL (and 0) means "leave the key out". */
static int xs_enc_value(struct xs_cctx *cx, const struct xs_field *f,
			const void *m, const void *base, unsigned int depth,
			xs_object_t **out)
{
	const size_t *count;
	const char *str;
	size_t len, i;
	int ret;

	*out = NULL;
	switch (f->type) {
	case XS_FIELD_TYPE_BOOL:
		*out = xs_bool_create(*(const bool *)m);
		break;
	case XS_FIELD_TYPE_INT64:
		*out = xs_int64_create(*(const int64_t *)m);
		break;
	case XS_FIELD_TYPE_UINT64:
		*out = xs_uint64_create(*(const uint64_t *)m);
		break;
	case XS_FIELD_TYPE_INT32:
		*out = xs_int64_create(*(const int32_t *)m);
		break;
	case XS_FIELD_TYPE_UINT32:
		*out = xs_uint64_create(*(const uint32_t *)m);
		break;
	case XS_FIELD_TYPE_DOUBLE:
		*out = xs_double_create(*(const double *)m);
		break;
	case XS_FIELD_TYPE_DATE:
		*out = xs_date_create(*(const int64_t *)m);
		break;
	case XS_FIELD_TYPE_STRING_BUF:
		len = strnlen(m, f->size);
		if (len == f->size)
			return xs_cfail(cx, -EINVAL,
					"char[%zu] is not NUL-terminated", f->size);
		*out = xs_string_create_len(m, len);
		if (!*out && errno == EINVAL)
			return xs_cfail(cx, -EINVAL, "string is not valid UTF-8");
		break;
	case XS_FIELD_TYPE_STRING_PTR:
		str = *(char *const *)m;
		if (!str)
			return f->optional ? 0 : xs_cfail(cx, -EINVAL,
						 "required string is NULL");
		*out = xs_string_create(str);
		if (!*out && errno == EINVAL)
			return xs_cfail(cx, -EINVAL, "string is not valid UTF-8");
		break;
	case XS_FIELD_TYPE_DATA_BUF:
		*out = xs_data_create(m, f->size);
		break;
	case XS_FIELD_TYPE_DATA_PTR:
		str = *(const char *const *)m;
		len = *(const size_t *)((const char *)base + f->count_offset);
		if (!str && len)
			return xs_cfail(cx, -EINVAL,
					"NULL data with a length of %zu", len);
		if (!str && f->optional)
			return 0;
		*out = xs_data_create(str, len);
		break;
	case XS_FIELD_TYPE_UUID:
		*out = xs_uuid_create(m);
		break;
	case XS_FIELD_TYPE_FD:
		if (*(const int *)m < 0)
			return f->optional ? 0 : xs_cfail(cx, -EBADF,
						 "required fd is %d",
						 *(const int *)m);
		*out = xs_fd_create(*(const int *)m);
		if (!*out)
			return xs_cfail(cx, -errno, "cannot duplicate fd %d: %s",
					*(const int *)m, strerror(errno));
		return 0;
	case XS_FIELD_TYPE_OBJECT:
		if (!*(xs_object_t *const *)m)
			return f->optional ? 0 : xs_cfail(cx, -EINVAL,
						 "required object is NULL");
		*out = xs_retain(*(xs_object_t *const *)m);
		return 0;
	case XS_FIELD_TYPE_NESTED:
		return xs_enc_struct(cx, f->nested, m, depth + 1, out);
	case XS_FIELD_TYPE_ARRAY: {
		struct xs_field e = xs_elem_field(f);
		const char *items = *(const char *const *)m;
		xs_object_t *array, *item;
		size_t old;

		count = (const size_t *)((const char *)base + f->count_offset);
		if (!items && *count)
			return xs_cfail(cx, -EINVAL,
					"NULL array with a count of %zu", *count);
		if (!items && f->optional)
			return 0;
		if (depth + 1 >= XS_MAX_DEPTH)
			return xs_cfail(cx, -ELOOP, "nested too deep");
		array = xs_array_create();
		if (!array)
			return xs_cfail(cx, -ENOMEM, "out of memory");
		ret = xs_array_reserve(array, *count);
		for (i = 0; i < *count && !ret; i++) {
			old = xs_path_push(cx, NULL, i);
			ret = xs_enc_value(cx, &e, items + i * f->elem_size,
					   NULL, depth + 1, &item);
			if (!ret)
				ret = xs_array_append_owned(array, item);
			if (!ret)
				xs_path_pop(cx, old);
		}
		if (ret) {
			xs_release(array);
			return ret == -ENOMEM ? xs_cfail(cx, ret, "out of memory")
					      : ret;
		}
		*out = array;
		return 0;
	}
	default:
		return xs_cfail(cx, -EINVAL, "bad field table: unknown type %d",
				(int)f->type);
	}
	if (!*out)
		return xs_cfail(cx, -ENOMEM, "out of memory");
	return 0;
}

static int xs_enc_struct(struct xs_cctx *cx, const struct xs_codable *c,
			 const void *s, unsigned int depth, xs_object_t **out)
{
	xs_object_t *dict, *value;
	size_t i, old;
	int ret = 0;

	*out = NULL;
	if (depth >= XS_MAX_DEPTH)
		return xs_cfail(cx, -ELOOP, "nested too deep");
	dict = xs_dictionary_create();
	if (!dict)
		return xs_cfail(cx, -ENOMEM, "out of memory");
	for (i = 0; i < c->nr_fields && !ret; i++) {
		const struct xs_field *f = &c->fields[i];

		ret = xs_check_field(cx, c, f, false);
		if (ret)
			break;
		old = xs_path_push(cx, f->key, 0);
		ret = xs_enc_value(cx, f, (const char *)s + f->offset, s, depth,
				   &value);
		if (!ret && value) {
			ret = xs_dictionary_set_value(dict, f->key, value);
			xs_release(value);
			if (ret)
				xs_cfail(cx, ret, "cannot store the key: %s",
					 strerror(-ret));
		}
		if (!ret)
			xs_path_pop(cx, old);
	}
	if (ret) {
		xs_release(dict);
		return ret;
	}
	*out = dict;
	return 0;
}

int xs_codable_encode_checked(const struct xs_codable *c, const void *s,
			      xs_object_t **out, char *err, size_t errlen)
{
	struct xs_cctx cx = { .root = c, .err = err, .errlen = errlen };

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!c || !s || !c->name || (c->nr_fields && !c->fields)) {
		if (err && errlen)
			snprintf(err, errlen, "xs_codable_encode: invalid arguments");
		return -EINVAL;
	}
	return xs_enc_struct(&cx, c, s, 0, out);
}

xs_object_t *xs_codable_encode(const struct xs_codable *c, const void *s)
{
	xs_object_t *dict;
	int ret;

	ret = xs_codable_encode_checked(c, s, &dict, NULL, 0);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	return dict;
}

/* ---- Decoding ---- */

static int xs_mismatch(struct xs_cctx *cx, const struct xs_field *f,
		       const xs_object_t *v)
{
	return xs_cfail(cx, -EINVAL, "expected %s, got %s",
			xs_field_type_name(f->type),
			xs_type_name(xs_get_type(v)));
}

/*
 * An integer value as sign + magnitude, whichever of int64/uint64 it
 * came as.  False when @v is not an integer.
 */
static bool xs_get_integer(const xs_object_t *v, bool *neg, uint64_t *mag)
{
	int64_t i;

	switch (xs_get_type(v)) {
	case XS_TYPE_INT64:
		i = xs_int64_get_value(v);
		*neg = i < 0;
		/* -(i + 1) + 1 never overflows, even for INT64_MIN. */
		*mag = *neg ? (uint64_t)(-(i + 1)) + 1 : (uint64_t)i;
		return true;
	case XS_TYPE_UINT64:
		*neg = false;
		*mag = xs_uint64_get_value(v);
		return true;
	default:
		return false;
	}
}

/* Signed field of range [-(max + 1), max]. */
static int xs_dec_signed(struct xs_cctx *cx, const struct xs_field *f,
			 const xs_object_t *v, uint64_t max, int64_t *out)
{
	uint64_t mag;
	bool neg;

	if (!xs_get_integer(v, &neg, &mag))
		return xs_mismatch(cx, f, v);
	if ((!neg && mag > max) || (neg && mag > max + 1))
		return xs_cfail(cx, -ERANGE, "value %s%" PRIu64
				" is out of range for %s", neg ? "-" : "", mag,
				xs_field_type_name(f->type));
	/* In range, so both conversions are exact. */
	*out = neg ? -(int64_t)(mag - 1) - 1 : (int64_t)mag;
	return 0;
}

static int xs_dec_unsigned(struct xs_cctx *cx, const struct xs_field *f,
			   const xs_object_t *v, uint64_t max, uint64_t *out)
{
	uint64_t mag;
	bool neg;

	if (!xs_get_integer(v, &neg, &mag))
		return xs_mismatch(cx, f, v);
	if ((neg && mag) || mag > max)
		return xs_cfail(cx, -ERANGE, "value %s%" PRIu64
				" is out of range for %s", neg ? "-" : "", mag,
				xs_field_type_name(f->type));
	*out = mag;
	return 0;
}

static int xs_dec_struct(struct xs_cctx *cx, const struct xs_codable *c,
			 const xs_object_t *dict, void *s, unsigned int depth);

static int xs_dec_value(struct xs_cctx *cx, const struct xs_field *f,
			const xs_object_t *v, void *m, void *base,
			unsigned int depth)
{
	xs_type_t t = xs_get_type(v);
	int64_t i64 = 0;	/* set on success; gcc -O2 cannot tell */
	uint64_t u64 = 0, mag;
	size_t len, i;
	bool neg;
	char *p;
	int fd;

	switch (f->type) {
	case XS_FIELD_TYPE_BOOL:
		if (t != XS_TYPE_BOOL)
			return xs_mismatch(cx, f, v);
		*(bool *)m = xs_bool_get_value(v);
		return 0;
	case XS_FIELD_TYPE_INT64:
	case XS_FIELD_TYPE_INT32: {
		bool wide = f->type == XS_FIELD_TYPE_INT64;
		int ret = xs_dec_signed(cx, f, v, wide ? INT64_MAX : INT32_MAX,
					&i64);

		if (ret)
			return ret;
		if (wide)
			*(int64_t *)m = i64;
		else
			*(int32_t *)m = (int32_t)i64;
		return 0;
	}
	case XS_FIELD_TYPE_UINT64:
	case XS_FIELD_TYPE_UINT32: {
		bool wide = f->type == XS_FIELD_TYPE_UINT64;
		int ret = xs_dec_unsigned(cx, f, v, wide ? UINT64_MAX : UINT32_MAX,
					  &u64);

		if (ret)
			return ret;
		if (wide)
			*(uint64_t *)m = u64;
		else
			*(uint32_t *)m = (uint32_t)u64;
		return 0;
	}
	case XS_FIELD_TYPE_DOUBLE:
		if (t == XS_TYPE_DOUBLE) {
			*(double *)m = xs_double_get_value(v);
			return 0;
		}
		if (!xs_get_integer(v, &neg, &mag))
			return xs_mismatch(cx, f, v);
		/* Beyond 2^53 the double would be another number. */
		if (mag > (1ULL << 53))
			return xs_cfail(cx, -ERANGE, "integer %s%" PRIu64
					" has no exact double", neg ? "-" : "", mag);
		*(double *)m = neg ? -(double)mag : (double)mag;
		return 0;
	case XS_FIELD_TYPE_DATE:
		if (t != XS_TYPE_DATE)
			return xs_mismatch(cx, f, v);
		*(int64_t *)m = xs_date_get_value(v);
		return 0;
	case XS_FIELD_TYPE_STRING_BUF:
		if (t != XS_TYPE_STRING)
			return xs_mismatch(cx, f, v);
		len = xs_string_get_length(v);
		if (len >= f->size)
			return xs_cfail(cx, -ERANGE,
					"string of %zu bytes does not fit in char[%zu]",
					len, f->size);
		memcpy(m, xs_string_get_string_ptr(v), len + 1);
		return 0;
	case XS_FIELD_TYPE_STRING_PTR:
		if (t != XS_TYPE_STRING)
			return xs_mismatch(cx, f, v);
		p = strdup(xs_string_get_string_ptr(v));
		if (!p)
			return xs_cfail(cx, -ENOMEM, "out of memory");
		*(char **)m = p;
		return 0;
	case XS_FIELD_TYPE_DATA_BUF:
		if (t != XS_TYPE_DATA)
			return xs_mismatch(cx, f, v);
		len = xs_data_get_length(v);
		if (len != f->size)
			return xs_cfail(cx, -ERANGE,
					"expected exactly %zu bytes of data, got %zu",
					f->size, len);
		memcpy(m, xs_data_get_bytes_ptr(v), len);
		return 0;
	case XS_FIELD_TYPE_DATA_PTR:
		if (t != XS_TYPE_DATA)
			return xs_mismatch(cx, f, v);
		len = xs_data_get_length(v);
		p = NULL;
		if (len) {
			p = malloc(len);
			if (!p)
				return xs_cfail(cx, -ENOMEM, "out of memory");
			memcpy(p, xs_data_get_bytes_ptr(v), len);
		}
		*(void **)m = p;
		*(size_t *)((char *)base + f->count_offset) = len;
		return 0;
	case XS_FIELD_TYPE_UUID:
		if (t != XS_TYPE_UUID)
			return xs_mismatch(cx, f, v);
		memcpy(m, xs_uuid_get_bytes(v), 16);
		return 0;
	case XS_FIELD_TYPE_FD:
		if (t != XS_TYPE_FD)
			return xs_mismatch(cx, f, v);
		fd = xs_fd_dup(v);
		if (fd < 0)
			return xs_cfail(cx, -errno, "cannot duplicate the fd: %s",
					strerror(errno));
		*(int *)m = fd;
		return 0;
	case XS_FIELD_TYPE_OBJECT:
		*(xs_object_t **)m = xs_retain((xs_object_t *)v);
		return 0;
	case XS_FIELD_TYPE_NESTED:
		if (t != XS_TYPE_DICTIONARY)
			return xs_mismatch(cx, f, v);
		return xs_dec_struct(cx, f->nested, v, m, depth + 1);
	case XS_FIELD_TYPE_ARRAY: {
		struct xs_field e = xs_elem_field(f);
		size_t n = xs_array_get_count(v), old;
		char *items;
		int ret;

		if (t != XS_TYPE_ARRAY)
			return xs_mismatch(cx, f, v);
		if (depth + 1 >= XS_MAX_DEPTH)
			return xs_cfail(cx, -ELOOP, "nested too deep");
		items = NULL;
		if (n) {
			items = calloc(n, f->elem_size);
			if (!items)
				return xs_cfail(cx, -ENOMEM, "out of memory");
		}
		/*
		 * Store array and count before filling: should an element
		 * fail, xs_codable_free() finds and frees the others.
		 */
		for (i = 0; i < n; i++) {
			if (e.type == XS_FIELD_TYPE_FD)
				*(int *)(items + i * f->elem_size) = -1;
			else if (e.type == XS_FIELD_TYPE_NESTED)
				xs_init_struct(e.nested, items + i * f->elem_size,
					       depth + 1);
		}
		*(char **)m = items;
		*(size_t *)((char *)base + f->count_offset) = n;
		for (i = 0; i < n; i++) {
			old = xs_path_push(cx, NULL, i);
			ret = xs_dec_value(cx, &e, xs_array_get_value(v, i),
					   items + i * f->elem_size, NULL,
					   depth + 1);
			if (ret)
				return ret;
			xs_path_pop(cx, old);
		}
		return 0;
	}
	default:
		return xs_cfail(cx, -EINVAL, "bad field table: unknown type %d",
				(int)f->type);
	}
}

static int xs_dec_struct(struct xs_cctx *cx, const struct xs_codable *c,
			 const xs_object_t *dict, void *s, unsigned int depth)
{
	const xs_object_t *v;
	size_t i, old;
	int ret;

	if (depth >= XS_MAX_DEPTH)
		return xs_cfail(cx, -ELOOP, "nested too deep");
	for (i = 0; i < c->nr_fields; i++) {
		const struct xs_field *f = &c->fields[i];

		ret = xs_check_field(cx, c, f, false);
		if (ret)
			return ret;
		old = xs_path_push(cx, f->key, 0);
		v = xs_dictionary_get_value(dict, f->key);
		/* A null stands for "absent" where absence is allowed. */
		if (!v || (f->optional && xs_get_type(v) == XS_TYPE_NULL)) {
			if (!f->optional)
				return xs_cfail(cx, -ENOENT,
						"missing (expected %s)",
						xs_field_type_name(f->type));
		} else {
			ret = xs_dec_value(cx, f, v, (char *)s + f->offset, s,
					   depth);
			if (ret)
				return ret;
		}
		xs_path_pop(cx, old);
	}
	return 0;
}

int xs_codable_decode(const struct xs_codable *c, const xs_object_t *dict,
		      void *s, char *err, size_t errlen)
{
	struct xs_cctx cx = { .root = c, .err = err, .errlen = errlen };
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!c || !s || !c->name || (c->nr_fields && !c->fields)) {
		if (err && errlen)
			snprintf(err, errlen, "xs_codable_decode: invalid arguments");
		return -EINVAL;
	}
	xs_init_struct(c, s, 0);
	if (xs_get_type(dict) != XS_TYPE_DICTIONARY)
		return xs_cfail(&cx, -EINVAL, "expected dictionary, got %s",
				xs_type_name(xs_get_type(dict)));
	ret = xs_dec_struct(&cx, c, dict, s, 0);
	if (ret)
		xs_codable_free(c, s);
	return ret;
}
