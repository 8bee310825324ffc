/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxsession objects: the values a message carries.
 *
 * Mirrors XPC's object model with an xs_ prefix.  Every object is
 * reference counted (xs_retain/xs_release, atomic, so objects may be
 * shared between threads).  Scalars, strings, data, uuids, fds and shmem
 * are immutable once created.  Arrays and dictionaries are mutable and not
 * locked: mutate one from one thread at a time, and not while another
 * thread reads it (XPC has the same rule).
 *
 * Conventions, as in XPC:
 *  - Constructors return a new object with one reference, or NULL with
 *    errno set (ENOMEM, EINVAL for invalid input, EBADF for a bad fd).
 *  - Getters that find nothing (missing key, wrong type, NULL object)
 *    return 0, false or NULL; they never fail loudly.
 *  - "get" pointers are borrowed: valid while the container (or object)
 *    is alive and unchanged.  "copy" results are the caller's to free
 *    (xs_release, free(), close() or munmap(), as documented).
 *  - Mutators return 0 or a negative errno (the library-wide rule).
 *
 * One deliberate difference from XPC: on the wire (CBOR) an integer has
 * no signedness, so a peer's int64 5 and uint64 5 are the same message.
 * The decoder yields int64 for every value that fits and uint64 only
 * above INT64_MAX; to make that invisible, the integer getters of
 * dictionaries convert between int64 and uint64 whenever the value is
 * representable, and xs_equal() compares integers by value.
 */
#ifndef XS_OBJECT_H
#define XS_OBJECT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef XS_EXPORT
/* Token for token what xsession.h says, so either may come first. */
#define XS_EXPORT __attribute__((visibility("default")))
#endif

typedef struct xs_object xs_object_t;

/* New types are only ever appended: the numbers are ABI. */
typedef enum xs_type {
	XS_TYPE_INVALID = 0,	/* what xs_get_type(NULL) says */
	XS_TYPE_NULL,
	XS_TYPE_BOOL,
	XS_TYPE_INT64,
	XS_TYPE_UINT64,
	XS_TYPE_DOUBLE,
	XS_TYPE_DATE,		/* int64 nanoseconds since the Unix epoch */
	XS_TYPE_DATA,
	XS_TYPE_STRING,		/* UTF-8, no NUL inside */
	XS_TYPE_UUID,
	XS_TYPE_FD,
	XS_TYPE_SHMEM,		/* a sealed memfd */
	XS_TYPE_ARRAY,
	XS_TYPE_DICTIONARY,
} xs_type_t;

#define XS_NSEC_PER_SEC	1000000000LL

/*
 * Containers nest at most this deep in a message (the root dictionary is
 * level 1).  The codec refuses deeper objects on both ends, and
 * xs_equal()/xs_copy_description() stop there, so no caller-built object
 * (even a cyclic one) can run the stack out.
 */
#define XS_MAX_DEPTH	64

/* ---- Every object ---- */

/* Adds a reference; returns @obj (NULL-safe) so it can be chained. */
XS_EXPORT xs_object_t *xs_retain(xs_object_t *obj);
/* Drops a reference; the last one frees the object (NULL-safe). */
XS_EXPORT void xs_release(xs_object_t *obj);
XS_EXPORT xs_type_t xs_get_type(const xs_object_t *obj);
/* "dictionary", "int64", ...; "invalid" for anything unknown. */
XS_EXPORT const char *xs_type_name(xs_type_t type);

/*
 * Deep equality, meaning "the same message on the wire": same type and
 * value, except that int64 and uint64 compare by numeric value, all NaNs
 * are equal (they share one encoding) while 0.0 and -0.0 differ,
 * dictionaries compare as sets of keys whatever their insertion order,
 * and fd and shmem objects are equal only to themselves (as in XPC).
 * Containers nested deeper than XS_MAX_DEPTH compare unequal.
 */
XS_EXPORT bool xs_equal(const xs_object_t *a, const xs_object_t *b);

/*
 * A multi-line debug description like XPC's, e.g.
 *   <dictionary: 0x5581...> { count = 1, contents =
 *   	"answer" => <int64: 0x5581...>: 42
 *   }
 * The format is for humans and may change.  Returns a malloc'd string
 * (free() it) or NULL with errno set.
 */
XS_EXPORT char *xs_copy_description(const xs_object_t *obj);

/* ---- Scalars ---- */

XS_EXPORT xs_object_t *xs_null_create(void);
XS_EXPORT xs_object_t *xs_bool_create(bool value);
XS_EXPORT xs_object_t *xs_int64_create(int64_t value);
XS_EXPORT xs_object_t *xs_uint64_create(uint64_t value);
XS_EXPORT xs_object_t *xs_double_create(double value);
/* @ns: nanoseconds since 1970-01-01 00:00:00 UTC (negative: before). */
XS_EXPORT xs_object_t *xs_date_create(int64_t ns);
/* Now, from CLOCK_REALTIME. */
XS_EXPORT xs_object_t *xs_date_create_from_current(void);

XS_EXPORT bool xs_bool_get_value(const xs_object_t *obj);
XS_EXPORT int64_t xs_int64_get_value(const xs_object_t *obj);
XS_EXPORT uint64_t xs_uint64_get_value(const xs_object_t *obj);
XS_EXPORT double xs_double_get_value(const xs_object_t *obj);
XS_EXPORT int64_t xs_date_get_value(const xs_object_t *obj);

/* ---- Bytes, strings, uuids ---- */

/* Copies @len bytes; @bytes may be NULL when @len is 0. */
XS_EXPORT xs_object_t *xs_data_create(const void *bytes, size_t len);
XS_EXPORT const void *xs_data_get_bytes_ptr(const xs_object_t *obj);
XS_EXPORT size_t xs_data_get_length(const xs_object_t *obj);
/* Copies up to @len bytes from @off into @buf; returns how many. */
XS_EXPORT size_t xs_data_get_bytes(const xs_object_t *obj, void *buf,
				   size_t off, size_t len);

/* Copies @s, which must be valid UTF-8 (else NULL, errno EINVAL). */
XS_EXPORT xs_object_t *xs_string_create(const char *s);
XS_EXPORT xs_object_t *xs_string_create_with_format(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
XS_EXPORT xs_object_t *
xs_string_create_with_format_and_arguments(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));
/* NUL-terminated; the length excludes the NUL. */
XS_EXPORT const char *xs_string_get_string_ptr(const xs_object_t *obj);
XS_EXPORT size_t xs_string_get_length(const xs_object_t *obj);

XS_EXPORT xs_object_t *xs_uuid_create(const uint8_t bytes[16]);
/* 16 bytes, or NULL. */
XS_EXPORT const uint8_t *xs_uuid_get_bytes(const xs_object_t *obj);

/* ---- Out-of-line items ---- */

/*
 * Boxes a duplicate of @fd (F_DUPFD_CLOEXEC), so the caller may close
 * its own copy.  Each xs_fd_dup() returns another duplicate (close it),
 * or -1 with errno set.
 */
XS_EXPORT xs_object_t *xs_fd_create(int fd);
XS_EXPORT int xs_fd_dup(const xs_object_t *obj);

/*
 * Shared memory is a memfd sealed against writing, shrinking and growing
 * (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW), so a receiver can map it
 * and trust that the sender can no longer change it.  @len (1 to the
 * file's size) is how much of it the object covers.  The object holds a
 * duplicate of @memfd.  A memfd without those seals, or a bad @len:
 * NULL, errno EINVAL.
 */
XS_EXPORT xs_object_t *xs_shmem_create(int memfd, size_t len);
/* Copies @len bytes into a new sealed memfd and wraps it. */
XS_EXPORT xs_object_t *xs_shmem_create_with_bytes(const void *bytes,
						  size_t len);
XS_EXPORT size_t xs_shmem_get_length(const xs_object_t *obj);
/*
 * Maps the region read-only and shared; returns the address (munmap it
 * with the length stored in *@len) or NULL with errno set.
 */
XS_EXPORT void *xs_shmem_map(const xs_object_t *obj, size_t *len);

/* ---- Arrays ---- */

XS_EXPORT xs_object_t *xs_array_create(void);
XS_EXPORT size_t xs_array_get_count(const xs_object_t *array);
/* Retains @value.  An array cannot contain itself: -EINVAL. */
XS_EXPORT int xs_array_append_value(xs_object_t *array, xs_object_t *value);
/* Replaces item @index (@index == count appends); -ERANGE beyond. */
XS_EXPORT int xs_array_set_value(xs_object_t *array, size_t index,
				 xs_object_t *value);
/* Borrowed; NULL when @index is out of range. */
XS_EXPORT xs_object_t *xs_array_get_value(const xs_object_t *array,
					  size_t index);

/* Return false to stop early.  Do not modify the array meanwhile. */
typedef bool (*xs_array_applier_t)(size_t index, xs_object_t *value,
				   void *ctx);
/* True when every item was visited. */
XS_EXPORT bool xs_array_apply(const xs_object_t *array,
			      xs_array_applier_t fn, void *ctx);

/* ---- Dictionaries ---- */

/*
 * Keys are UTF-8 C strings (the empty string too), unique; iteration
 * follows insertion order, and replacing a key's value keeps its place.  The wire
 * encoding sorts keys instead (deterministic CBOR), so a received
 * dictionary iterates in the order its sender put on the wire: do not
 * give key order a meaning.
 */
XS_EXPORT xs_object_t *xs_dictionary_create(void);
XS_EXPORT size_t xs_dictionary_get_count(const xs_object_t *dict);

/*
 * Retains @value and stores it under a copy of @key, replacing any
 * previous value; a NULL @value removes the key (as in XPC).  Errors:
 * -EINVAL (not a dictionary, key not UTF-8, value is @dict itself),
 * -ENOMEM.
 */
XS_EXPORT int xs_dictionary_set_value(xs_object_t *dict, const char *key,
				      xs_object_t *value);
/* Borrowed (valid while @dict holds it), or NULL. */
XS_EXPORT xs_object_t *xs_dictionary_get_value(const xs_object_t *dict,
					       const char *key);
/* Retained: xs_release() it.  Safe to keep after @dict changes. */
XS_EXPORT xs_object_t *xs_dictionary_copy_value(const xs_object_t *dict,
						const char *key);
/* 0, or -ENOENT when there was no such key. */
XS_EXPORT int xs_dictionary_remove(xs_object_t *dict, const char *key);

/* Return false to stop early.  Do not modify the dictionary meanwhile. */
typedef bool (*xs_dictionary_applier_t)(const char *key, xs_object_t *value,
					void *ctx);
/* Visits in insertion order; true when every entry was visited. */
XS_EXPORT bool xs_dictionary_apply(const xs_object_t *dict,
				   xs_dictionary_applier_t fn, void *ctx);

/* Typed setters: create the object and store it (same errors as above). */
XS_EXPORT int xs_dictionary_set_null(xs_object_t *dict, const char *key);
XS_EXPORT int xs_dictionary_set_bool(xs_object_t *dict, const char *key,
				     bool value);
XS_EXPORT int xs_dictionary_set_int64(xs_object_t *dict, const char *key,
				      int64_t value);
XS_EXPORT int xs_dictionary_set_uint64(xs_object_t *dict, const char *key,
				       uint64_t value);
XS_EXPORT int xs_dictionary_set_double(xs_object_t *dict, const char *key,
				       double value);
XS_EXPORT int xs_dictionary_set_date(xs_object_t *dict, const char *key,
				     int64_t ns);
XS_EXPORT int xs_dictionary_set_string(xs_object_t *dict, const char *key,
				       const char *value);
XS_EXPORT int xs_dictionary_set_data(xs_object_t *dict, const char *key,
				     const void *bytes, size_t len);
XS_EXPORT int xs_dictionary_set_uuid(xs_object_t *dict, const char *key,
				     const uint8_t bytes[16]);
/* Stores a duplicate of @fd. */
XS_EXPORT int xs_dictionary_set_fd(xs_object_t *dict, const char *key,
				   int fd);

/*
 * Typed getters: 0, false or NULL when the key is missing or holds
 * another type.  int64 and uint64 read each other's values when they fit
 * (see the top of this file).  Pointers are borrowed.
 */
XS_EXPORT bool xs_dictionary_get_bool(const xs_object_t *dict,
				      const char *key);
XS_EXPORT int64_t xs_dictionary_get_int64(const xs_object_t *dict,
					  const char *key);
XS_EXPORT uint64_t xs_dictionary_get_uint64(const xs_object_t *dict,
					    const char *key);
XS_EXPORT double xs_dictionary_get_double(const xs_object_t *dict,
					  const char *key);
XS_EXPORT int64_t xs_dictionary_get_date(const xs_object_t *dict,
					 const char *key);
XS_EXPORT const char *xs_dictionary_get_string(const xs_object_t *dict,
					       const char *key);
XS_EXPORT const void *xs_dictionary_get_data(const xs_object_t *dict,
					     const char *key, size_t *len);
XS_EXPORT const uint8_t *xs_dictionary_get_uuid(const xs_object_t *dict,
						const char *key);
/* A new duplicate of the fd (close it), or -1 (errno ENOENT if absent). */
XS_EXPORT int xs_dictionary_dup_fd(const xs_object_t *dict, const char *key);
XS_EXPORT xs_object_t *xs_dictionary_get_array(const xs_object_t *dict,
					       const char *key);
XS_EXPORT xs_object_t *xs_dictionary_get_dictionary(const xs_object_t *dict,
						    const char *key);

#ifdef __cplusplus
}
#endif

#endif /* XS_OBJECT_H */
