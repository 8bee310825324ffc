/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxsession codables: C structs <-> dictionaries, the analogue of
 * Swift's Encodable/Decodable that XPCSession's send(Message),
 * send<Message, Reply> and sendSync<Message, Reply> are built on.
 *
 * A struct is described once, by a static table:
 *
 *	struct point {
 *		int64_t x, y;
 *		char label[32];
 *		char *note;			// malloc'd by decode
 *	};
 *
 *	static const struct xs_field point_fields[] = {
 *		XS_FIELD_INT64(struct point, x, "x"),
 *		XS_FIELD_INT64(struct point, y, "y"),
 *		XS_FIELD_STRING(struct point, label, "label"),
 *		XS_FIELD_STRING_PTR(struct point, note, "note",
 *				    .optional = true),
 *	};
 *	static const struct xs_codable point_codable =
 *		XS_CODABLE(struct point, point_fields);
 *
 * xs_codable_encode() turns a struct into a dictionary (one key per
 * field), xs_codable_decode() fills a struct from one, checking every
 * type and range and saying exactly what did not match.  Keys the table
 * does not name are ignored on decode, so a newer peer may add fields.
 *
 * The XS_FIELD_* macros check at compile time that the member has the
 * type the field says (an int32_t member cannot be declared INT64).  Any
 * macro takes extra designated initializers after the key, e.g.
 * `.optional = true`:
 *  - decode: a missing key, or a null value, leaves the member empty
 *    (zero, NULL, or -1 for an fd) instead of failing with -ENOENT;
 *  - encode: a NULL pointer (string, data, array, object) or a negative
 *    fd leaves the key out instead of failing.
 *
 * Integers on the wire have no signedness or width: an INT32 field
 * accepts any integer in int32 range, a UINT64 field any non-negative
 * integer, a DOUBLE field also an integer of magnitude <= 2^53 (exact).
 */
#ifndef XS_CODABLE_H
#define XS_CODABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs_object.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef XS_EXPORT
#define XS_EXPORT __attribute__((visibility("default")))
#endif

/* New field types are only ever appended: the numbers are ABI. */
typedef enum xs_field_type {
	XS_FIELD_TYPE_INVALID = 0,
	XS_FIELD_TYPE_BOOL,		/* bool */
	XS_FIELD_TYPE_INT64,		/* int64_t */
	XS_FIELD_TYPE_UINT64,		/* uint64_t */
	XS_FIELD_TYPE_INT32,		/* int32_t, range-checked */
	XS_FIELD_TYPE_UINT32,		/* uint32_t, range-checked */
	XS_FIELD_TYPE_DOUBLE,		/* double */
	XS_FIELD_TYPE_DATE,		/* int64_t ns since the epoch, as a date */
	XS_FIELD_TYPE_STRING_BUF,	/* char[N], NUL-terminated */
	XS_FIELD_TYPE_STRING_PTR,	/* char *, malloc'd on decode */
	XS_FIELD_TYPE_DATA_BUF,		/* uint8_t[N]: exactly N bytes */
	XS_FIELD_TYPE_DATA_PTR,		/* void or uint8_t * + size_t length */
	XS_FIELD_TYPE_UUID,		/* uint8_t[16], as a uuid */
	XS_FIELD_TYPE_FD,		/* int; decode dups, free closes */
	XS_FIELD_TYPE_OBJECT,		/* xs_object_t *, any type, retained */
	XS_FIELD_TYPE_NESTED,		/* an embedded struct, as a dictionary */
	XS_FIELD_TYPE_ARRAY,		/* pointer + size_t count, as an array */
} xs_field_type_t;

struct xs_codable;

struct xs_field {
	const char *key;
	xs_field_type_t type;
	size_t offset;			/* of the member */
	size_t size;			/* of the member */
	const struct xs_codable *nested; /* NESTED; ARRAY of NESTED */
	bool optional;
	size_t count_offset;		/* DATA_PTR, ARRAY: the size_t count */
	xs_field_type_t elem_type;	/* ARRAY: what each element is */
	size_t elem_size;		/* ARRAY: sizeof one element */
};

struct xs_codable {
	const char *name;		/* for error messages */
	size_t size;			/* sizeof the struct */
	const struct xs_field *fields;
	size_t nr_fields;
};

#define XS_CODABLE(T, fields_)						\
	{ .name = #T, .size = sizeof(T), .fields = (fields_),		\
	  .nr_fields = sizeof(fields_) / sizeof((fields_)[0]) }

/* ---- Declaring fields ---- */

#define XS__MEMBER(T, m)	(((T *)0)->m)
#define XS__IS(T, m, type)						\
	__builtin_types_compatible_p(__typeof__(XS__MEMBER(T, m)), type)
#ifdef __cplusplus
#define XS__CHECK(cond, msg)	0
#else
/* 0, or a compile error saying @msg: usable inside an initializer. */
#define XS__CHECK(cond, msg)						\
	(0 * sizeof(struct { _Static_assert(cond, msg); int xs__unused; }))
#endif

#define XS__FIELD(T, m, k, ftype, cond, ...)				\
	{ .key = (k), .type = (ftype),					\
	  .offset = offsetof(T, m) + XS__CHECK(cond,			\
		"xsession: " #T "." #m " is not the C type " #ftype " takes"), \
	  .size = sizeof(XS__MEMBER(T, m)), __VA_ARGS__ }

#define XS__IS_I64(T, m) (XS__IS(T, m, int64_t) || XS__IS(T, m, long long))
#define XS__IS_U64(T, m)						\
	(XS__IS(T, m, uint64_t) || XS__IS(T, m, unsigned long long))

#define XS_FIELD_BOOL(T, m, k, ...)					\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_BOOL, XS__IS(T, m, bool), __VA_ARGS__)
#define XS_FIELD_INT64(T, m, k, ...)					\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_INT64, XS__IS_I64(T, m), __VA_ARGS__)
#define XS_FIELD_UINT64(T, m, k, ...)					\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_UINT64, XS__IS_U64(T, m), __VA_ARGS__)
#define XS_FIELD_INT32(T, m, k, ...)					\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_INT32, XS__IS(T, m, int32_t),	\
		  __VA_ARGS__)
#define XS_FIELD_UINT32(T, m, k, ...)					\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_UINT32, XS__IS(T, m, uint32_t), \
		  __VA_ARGS__)
#define XS_FIELD_DOUBLE(T, m, k, ...)					\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_DOUBLE, XS__IS(T, m, double),	\
		  __VA_ARGS__)
#define XS_FIELD_DATE(T, m, k, ...)					\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_DATE, XS__IS_I64(T, m), __VA_ARGS__)
/* char member[N]: strings up to N - 1 bytes. */
#define XS_FIELD_STRING(T, m, k, ...)					\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_STRING_BUF,			\
		  XS__IS(T, m, char[sizeof(XS__MEMBER(T, m))]), __VA_ARGS__)
/* char *member: decode mallocs it, xs_codable_free() frees it. */
#define XS_FIELD_STRING_PTR(T, m, k, ...)				\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_STRING_PTR, XS__IS(T, m, char *), \
		  __VA_ARGS__)
/* uint8_t member[N]: data of exactly N bytes. */
#define XS_FIELD_DATA(T, m, k, ...)					\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_DATA_BUF,			\
		  XS__IS(T, m, uint8_t[sizeof(XS__MEMBER(T, m))]), __VA_ARGS__)
/* void *member + size_t len: any length, malloc'd by decode. */
#define XS_FIELD_DATA_PTR(T, m, len, k, ...)				\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_DATA_PTR,			\
		  (XS__IS(T, m, void *) || XS__IS(T, m, uint8_t *)) &&	\
		  XS__IS(T, len, size_t),				\
		  .count_offset = offsetof(T, len), __VA_ARGS__)
#define XS_FIELD_UUID(T, m, k, ...)					\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_UUID, XS__IS(T, m, uint8_t[16]), \
		  __VA_ARGS__)
/* int member: a file descriptor (-1 for none). */
#define XS_FIELD_FD(T, m, k, ...)					\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_FD, XS__IS(T, m, int), __VA_ARGS__)
/* xs_object_t *member: any value, retained (e.g. shmem, or free-form). */
#define XS_FIELD_OBJECT(T, m, k, ...)					\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_OBJECT, XS__IS(T, m, xs_object_t *), \
		  __VA_ARGS__)
/* An embedded struct described by @codable (a pointer). */
#define XS_FIELD_NESTED(T, m, k, codable, ...)				\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_NESTED, 1, .nested = (codable), \
		  __VA_ARGS__)

/* ELEM *member + size_t count: an array, malloc'd by decode. */
#define XS__FIELD_ARRAY(T, m, n, k, etype, ctype, ...)			\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_ARRAY,				\
		  XS__IS(T, m, ctype *) && XS__IS(T, n, size_t),	\
		  .count_offset = offsetof(T, n), .elem_type = (etype),	\
		  .elem_size = sizeof(ctype), __VA_ARGS__)
#define XS_FIELD_ARRAY_INT64(T, m, n, k, ...)				\
	XS__FIELD_ARRAY(T, m, n, k, XS_FIELD_TYPE_INT64, int64_t, __VA_ARGS__)
#define XS_FIELD_ARRAY_UINT64(T, m, n, k, ...)				\
	XS__FIELD_ARRAY(T, m, n, k, XS_FIELD_TYPE_UINT64, uint64_t, __VA_ARGS__)
#define XS_FIELD_ARRAY_INT32(T, m, n, k, ...)				\
	XS__FIELD_ARRAY(T, m, n, k, XS_FIELD_TYPE_INT32, int32_t, __VA_ARGS__)
#define XS_FIELD_ARRAY_DOUBLE(T, m, n, k, ...)				\
	XS__FIELD_ARRAY(T, m, n, k, XS_FIELD_TYPE_DOUBLE, double, __VA_ARGS__)
#define XS_FIELD_ARRAY_BOOL(T, m, n, k, ...)				\
	XS__FIELD_ARRAY(T, m, n, k, XS_FIELD_TYPE_BOOL, bool, __VA_ARGS__)
#define XS_FIELD_ARRAY_STRING(T, m, n, k, ...)				\
	XS__FIELD_ARRAY(T, m, n, k, XS_FIELD_TYPE_STRING_PTR, char *,	\
			__VA_ARGS__)
#define XS_FIELD_ARRAY_OBJECT(T, m, n, k, ...)				\
	XS__FIELD_ARRAY(T, m, n, k, XS_FIELD_TYPE_OBJECT, xs_object_t *, \
			__VA_ARGS__)
/* STRUCT *member + size_t count, each element described by @codable. */
#define XS_FIELD_ARRAY_NESTED(T, m, n, k, codable, ...)			\
	XS__FIELD(T, m, k, XS_FIELD_TYPE_ARRAY, XS__IS(T, n, size_t),	\
		  .count_offset = offsetof(T, n),			\
		  .elem_type = XS_FIELD_TYPE_NESTED,			\
		  .elem_size = sizeof(*XS__MEMBER(T, m)),		\
		  .nested = (codable), __VA_ARGS__)

/* ---- Using them ---- */

/*
 * Zeroes @s and sets its fd fields (nested ones too) to -1: the empty
 * value of a struct, what decode starts from.
 */
XS_EXPORT void xs_codable_init(const struct xs_codable *c, void *s);

/*
 * @s as a new dictionary, or NULL with errno set: EINVAL (a NULL pointer
 * in a required field, a char[N] without NUL or not UTF-8, a bad table),
 * EBADF (a required fd is negative), ELOOP (nested deeper than
 * XS_MAX_DEPTH), ENOMEM.  xs_codable_encode_checked() says the same
 * with a negative errno and an explanation in @err.
 */
XS_EXPORT xs_object_t *xs_codable_encode(const struct xs_codable *c,
					 const void *s);
XS_EXPORT int xs_codable_encode_checked(const struct xs_codable *c,
					const void *s, xs_object_t **out,
					char *err, size_t errlen);

/*
 * Fills @s (overwritten: free what it held first) from @dict.
 * Return: 0; or, with @s left empty (xs_codable_init()) and a sentence
 * in @err naming the codable, the key path and what was expected vs
 * found, e.g.
 *   struct point: key "origin.x": expected int64, got string
 * -EINVAL  a value of the wrong type (or @dict not a dictionary; or a
 *          bad table)
 * -ERANGE  an integer out of the field's range, a string too long for
 *          its buffer, data not of the fixed length
 * -ENOENT  a required key is missing
 * -ELOOP   nesting deeper than XS_MAX_DEPTH
 * -ENOMEM, or an fd duplication's errno
 */
XS_EXPORT int xs_codable_decode(const struct xs_codable *c,
				const xs_object_t *dict, void *s,
				char *err, size_t errlen);

/*
 * Frees what decode allocated in @s: strings, data, arrays (and their
 * elements), objects (released), fds (closed); then leaves @s empty.
 * Safe on an empty struct.
 */
XS_EXPORT void xs_codable_free(const struct xs_codable *c, void *s);

#ifdef __cplusplus
}
#endif

#endif /* XS_CODABLE_H */
