// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The object model: XPC's value types, reference counted.
 *
 * Everything here may be handed objects a hostile peer sent (through the
 * decoder) or objects a careless caller built, so nothing recurses
 * without a bound: destruction is iterative, and equality and
 * descriptions stop at XS_MAX_DEPTH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xs_codec.h"
#include "xs_object.h"

struct xs_dict_entry {
	char *key;		/* NUL-terminated copy */
	size_t keylen;
	uint64_t hash;
	xs_object_t *value;
};

struct xs_object {
	atomic_uint refcnt;
	xs_type_t type;
	/* Links objects waiting to be freed, so freeing never recurses. */
	struct xs_object *free_next;
	union {
		bool b;
		int64_t i64;
		uint64_t u64;
		double d;
		struct {
			size_t len;
			const char *ptr;	/* into payload, NUL-terminated */
		} str;
		struct {
			size_t len;
			const uint8_t *ptr;	/* into payload */
		} data;
		uint8_t uuid[16];
		int fd;
		struct {
			int fd;
			size_t len;
		} shm;
		struct {
			xs_object_t **items;
			size_t count, cap;
		} arr;
		struct {
			struct xs_dict_entry *entries;
			size_t count, cap;
			/*
			 * Open-addressing index of entry numbers + 1 (0 is
			 * empty), built only past XS_DICT_LINEAR_MAX entries:
			 * most messages have a handful of keys, and a scan is
			 * faster than hashing for those.
			 */
			uint32_t *index;
			size_t index_size;	/* a power of two */
		} dict;
	} u;
	/* Strings and data live right behind the header: one allocation. */
	unsigned char payload[];
};

#define XS_DICT_LINEAR_MAX	8
/* Entry numbers are stored + 1 in 32 bits. */
#define XS_DICT_MAX_ENTRIES	(UINT32_MAX - 1u)

static const char *const xs_type_names[] = {
	[XS_TYPE_INVALID] = "invalid",
	[XS_TYPE_NULL] = "null",
	[XS_TYPE_BOOL] = "bool",
	[XS_TYPE_INT64] = "int64",
	[XS_TYPE_UINT64] = "uint64",
	[XS_TYPE_DOUBLE] = "double",
	[XS_TYPE_DATE] = "date",
	[XS_TYPE_DATA] = "data",
	[XS_TYPE_STRING] = "string",
	[XS_TYPE_UUID] = "uuid",
	[XS_TYPE_FD] = "fd",
	[XS_TYPE_SHMEM] = "shmem",
	[XS_TYPE_ARRAY] = "array",
	[XS_TYPE_DICTIONARY] = "dictionary",
};

const char *xs_type_name(xs_type_t type)
{
	if ((unsigned int)type >= sizeof(xs_type_names) / sizeof(xs_type_names[0]))
		return "invalid";
	return xs_type_names[type];
}

/* ---- Allocation and reference counting ---- */

static xs_object_t *xs_alloc(xs_type_t type, size_t extra)
{
	xs_object_t *obj;

	if (extra > SIZE_MAX - sizeof(*obj)) {
		errno = ENOMEM;
		return NULL;
	}
	obj = calloc(1, sizeof(*obj) + extra);
	if (!obj)
		return NULL;
	atomic_init(&obj->refcnt, 1);
	obj->type = type;
	return obj;
}

xs_object_t *xs_retain(xs_object_t *obj)
{
	unsigned int old;

	if (!obj)
		return NULL;
	old = atomic_fetch_add_explicit(&obj->refcnt, 1, memory_order_relaxed);
	/*
	 * Wrapping would free an object still in use; a count of 0 means
	 * someone retains what is being freed.  Both are memory corruption
	 * in the making: stop here, where the bug is.
	 */
	if (old == 0 || old == UINT_MAX)
		abort();
	return obj;
}

/* Drops a reference; true when it was the last. */
static bool xs_put(xs_object_t *obj)
{
	unsigned int old;

	old = atomic_fetch_sub_explicit(&obj->refcnt, 1, memory_order_release);
	if (old == 1) {
		/* See every other thread's writes before freeing. */
		atomic_thread_fence(memory_order_acquire);
		return true;
	}
	if (old == 0)
		abort();	/* released more often than retained */
	return false;
}

void xs_release(xs_object_t *obj)
{
	xs_object_t *todo, *child;
	size_t i;

	if (!obj || !xs_put(obj))
		return;
	/*
	 * Children whose last reference goes are queued, not freed
	 * recursively, so a deep tree cannot overflow the stack.
	 */
	obj->free_next = NULL;
	todo = obj;
	while (todo) {
		obj = todo;
		todo = obj->free_next;
		switch (obj->type) {
		case XS_TYPE_ARRAY:
			for (i = 0; i < obj->u.arr.count; i++) {
				child = obj->u.arr.items[i];
				if (xs_put(child)) {
					child->free_next = todo;
					todo = child;
				}
			}
			free(obj->u.arr.items);
			break;
		case XS_TYPE_DICTIONARY:
			for (i = 0; i < obj->u.dict.count; i++) {
				child = obj->u.dict.entries[i].value;
				free(obj->u.dict.entries[i].key);
				if (xs_put(child)) {
					child->free_next = todo;
					todo = child;
				}
			}
			free(obj->u.dict.entries);
			free(obj->u.dict.index);
			break;
		case XS_TYPE_FD:
			close(obj->u.fd);
			break;
		case XS_TYPE_SHMEM:
			close(obj->u.shm.fd);
			break;
		default:
			break;
		}
		free(obj);
	}
}

xs_type_t xs_get_type(const xs_object_t *obj)
{
	return obj ? obj->type : XS_TYPE_INVALID;
}

static bool xs_is(const xs_object_t *obj, xs_type_t type)
{
	return obj && obj->type == type;
}

/* ---- Scalars ---- */

xs_object_t *xs_null_create(void)
{
	return xs_alloc(XS_TYPE_NULL, 0);
}

xs_object_t *xs_bool_create(bool value)
{
	xs_object_t *obj = xs_alloc(XS_TYPE_BOOL, 0);

	if (obj)
		obj->u.b = value;
	return obj;
}

xs_object_t *xs_int64_create(int64_t value)
{
	xs_object_t *obj = xs_alloc(XS_TYPE_INT64, 0);

	if (obj)
		obj->u.i64 = value;
	return obj;
}

xs_object_t *xs_uint64_create(uint64_t value)
{
	xs_object_t *obj = xs_alloc(XS_TYPE_UINT64, 0);

	if (obj)
		obj->u.u64 = value;
	return obj;
}

xs_object_t *xs_double_create(double value)
{
	xs_object_t *obj = xs_alloc(XS_TYPE_DOUBLE, 0);

	if (obj)
		obj->u.d = value;
	return obj;
}

xs_object_t *xs_date_create(int64_t ns)
{
	xs_object_t *obj = xs_alloc(XS_TYPE_DATE, 0);

	if (obj)
		obj->u.i64 = ns;
	return obj;
}

xs_object_t *xs_date_create_from_current(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* int64 nanoseconds last until 2262: no overflow before then. */
	return xs_date_create((int64_t)ts.tv_sec * XS_NSEC_PER_SEC + ts.tv_nsec);
}

bool xs_bool_get_value(const xs_object_t *obj)
{
	return xs_is(obj, XS_TYPE_BOOL) ? obj->u.b : false;
}

int64_t xs_int64_get_value(const xs_object_t *obj)
{
	return xs_is(obj, XS_TYPE_INT64) ? obj->u.i64 : 0;
}

uint64_t xs_uint64_get_value(const xs_object_t *obj)
{
	return xs_is(obj, XS_TYPE_UINT64) ? obj->u.u64 : 0;
}

double xs_double_get_value(const xs_object_t *obj)
{
	return xs_is(obj, XS_TYPE_DOUBLE) ? obj->u.d : 0.0;
}

int64_t xs_date_get_value(const xs_object_t *obj)
{
	return xs_is(obj, XS_TYPE_DATE) ? obj->u.i64 : 0;
}

/* ---- Bytes, strings, uuids ---- */

xs_object_t *xs_data_create(const void *bytes, size_t len)
{
	xs_object_t *obj;

	if (len && !bytes) {
		errno = EINVAL;
		return NULL;
	}
	obj = xs_alloc(XS_TYPE_DATA, len);
	if (!obj)
		return NULL;
	if (len)
		memcpy(obj->payload, bytes, len);
	obj->u.data.len = len;
	obj->u.data.ptr = obj->payload;
	return obj;
}

const void *xs_data_get_bytes_ptr(const xs_object_t *obj)
{
	return xs_is(obj, XS_TYPE_DATA) ? obj->u.data.ptr : NULL;
}

size_t xs_data_get_length(const xs_object_t *obj)
{
	return xs_is(obj, XS_TYPE_DATA) ? obj->u.data.len : 0;
}

size_t xs_data_get_bytes(const xs_object_t *obj, void *buf, size_t off,
			 size_t len)
{
	size_t have;

	if (!xs_is(obj, XS_TYPE_DATA) || off >= obj->u.data.len)
		return 0;
	have = obj->u.data.len - off;
	if (len > have)
		len = have;
	memcpy(buf, obj->u.data.ptr + off, len);
	return len;
}

bool xs_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		uint8_t c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;	/* continuation byte or 0xf8..0xff */
		}
		if (len - i - 1 < n)
			return false;	/* truncated sequence */
		for (k = 1; k <= n; k++) {
			uint8_t cc = s[i + k];

			if ((cc & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (cc & 0x3f);
		}
		/* Overlong forms would let two spellings mean one string. */
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

xs_object_t *xs_string_create_len(const char *s, size_t len)
{
	xs_object_t *obj;

	/*
	 * Strings are C strings to their users: an embedded NUL would make
	 * two different strings look the same to strcmp().
	 */
	if (len && (!s || len == SIZE_MAX || memchr(s, '\0', len) ||
		    !xs_utf8_valid((const uint8_t *)s, len))) {
		errno = EINVAL;
		return NULL;
	}
	obj = xs_alloc(XS_TYPE_STRING, len + 1);
	if (!obj)
		return NULL;
	if (len)
		memcpy(obj->payload, s, len);
	obj->payload[len] = '\0';
	obj->u.str.len = len;
	obj->u.str.ptr = (const char *)obj->payload;
	return obj;
}

xs_object_t *xs_string_create(const char *s)
{
	if (!s) {
		errno = EINVAL;
		return NULL;
	}
	return xs_string_create_len(s, strlen(s));
}

xs_object_t *xs_string_create_with_format_and_arguments(const char *fmt,
							va_list ap)
{
	xs_object_t *obj;
	char *s;
	int n;

	n = vasprintf(&s, fmt, ap);
	if (n < 0) {
		errno = ENOMEM;
		return NULL;
	}
	obj = xs_string_create_len(s, (size_t)n);
	free(s);
	return obj;
}

xs_object_t *xs_string_create_with_format(const char *fmt, ...)
{
	xs_object_t *obj;
	va_list ap;

	va_start(ap, fmt);
	obj = xs_string_create_with_format_and_arguments(fmt, ap);
	va_end(ap);
	return obj;
}

const char *xs_string_get_string_ptr(const xs_object_t *obj)
{
	return xs_is(obj, XS_TYPE_STRING) ? obj->u.str.ptr : NULL;
}

size_t xs_string_get_length(const xs_object_t *obj)
{
	return xs_is(obj, XS_TYPE_STRING) ? obj->u.str.len : 0;
}

xs_object_t *xs_uuid_create(const uint8_t bytes[16])
{
	xs_object_t *obj;

	if (!bytes) {
		errno = EINVAL;
		return NULL;
	}
	obj = xs_alloc(XS_TYPE_UUID, 0);
	if (obj)
		memcpy(obj->u.uuid, bytes, 16);
	return obj;
}

const uint8_t *xs_uuid_get_bytes(const xs_object_t *obj)
{
	return xs_is(obj, XS_TYPE_UUID) ? obj->u.uuid : NULL;
}

/* ---- fds and shared memory ---- */

/*
 * Duplicates land at 3 or above: a process that closed stdin must not
 * find one of our fds answering as its standard input.
 */
static int xs_dup(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

xs_object_t *xs_fd_create(int fd)
{
	xs_object_t *obj;
	int copy, saved;

	copy = xs_dup(fd);
	if (copy < 0)
		return NULL;
	obj = xs_alloc(XS_TYPE_FD, 0);
	if (!obj) {
		saved = errno;
		close(copy);
		errno = saved;
		return NULL;
	}
	obj->u.fd = copy;
	return obj;
}

int xs_fd_dup(const xs_object_t *obj)
{
	if (!xs_is(obj, XS_TYPE_FD)) {
		errno = EINVAL;
		return -1;
	}
	return xs_dup(obj->u.fd);
}

int xs_fd_peek(const xs_object_t *obj)
{
	if (xs_is(obj, XS_TYPE_FD))
		return obj->u.fd;
	if (xs_is(obj, XS_TYPE_SHMEM))
		return obj->u.shm.fd;
	return -1;
}

#define XS_SHMEM_SEALS	(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

/* Checks @fd and wraps it, taking it over on success only. */
static xs_object_t *xs_shmem_wrap(int fd, size_t len)
{
	xs_object_t *obj;
	struct stat st;
	int seals;

	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & XS_SHMEM_SEALS) != XS_SHMEM_SEALS) {
		/* EBADF stays EBADF; anything else is "not a sealed memfd". */
		if (!(seals < 0 && errno == EBADF))
			errno = EINVAL;
		return NULL;
	}
	if (fstat(fd, &st) < 0)
		return NULL;
	if (!S_ISREG(st.st_mode) || !len || st.st_size < 0 ||
	    (uint64_t)st.st_size < len) {
		errno = EINVAL;
		return NULL;
	}
	obj = xs_alloc(XS_TYPE_SHMEM, 0);
	if (!obj)
		return NULL;
	obj->u.shm.fd = fd;
	obj->u.shm.len = len;
	return obj;
}

xs_object_t *xs_shmem_create(int memfd, size_t len)
{
	xs_object_t *obj;
	int copy, saved;

	/* Check before duplicating, so a bad fd costs no descriptor. */
	obj = xs_shmem_wrap(memfd, len);
	if (!obj)
		return NULL;
	copy = xs_dup(memfd);
	if (copy < 0) {
		saved = errno;
		free(obj);	/* it holds the caller's fd: do not close that */
		errno = saved;
		return NULL;
	}
	obj->u.shm.fd = copy;
	return obj;
}

xs_object_t *xs_shmem_create_with_bytes(const void *bytes, size_t len)
{
	const char *p = bytes;
	xs_object_t *obj;
	size_t done = 0;
	int fd, saved;

	if (!len || !bytes) {
		errno = EINVAL;
		return NULL;
	}
	fd = memfd_create("xsession-shmem", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return NULL;
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
		done += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, XS_SHMEM_SEALS) < 0)
		goto fail;
	obj = xs_shmem_wrap(fd, len);
	if (!obj)
		goto fail;
	return obj;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return NULL;
}

size_t xs_shmem_get_length(const xs_object_t *obj)
{
	return xs_is(obj, XS_TYPE_SHMEM) ? obj->u.shm.len : 0;
}

void *xs_shmem_map(const xs_object_t *obj, size_t *len)
{
	void *p;

	if (!xs_is(obj, XS_TYPE_SHMEM)) {
		errno = EINVAL;
		return NULL;
	}
	p = mmap(NULL, obj->u.shm.len, PROT_READ, MAP_SHARED, obj->u.shm.fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (len)
		*len = obj->u.shm.len;
	return p;
}

/* ---- Arrays ---- */

xs_object_t *xs_array_create(void)
{
	return xs_alloc(XS_TYPE_ARRAY, 0);
}

size_t xs_array_get_count(const xs_object_t *array)
{
	return xs_is(array, XS_TYPE_ARRAY) ? array->u.arr.count : 0;
}

/* Makes room for @n items in total. */
static int xs_array_grow_to(xs_object_t *array, size_t n)
{
	xs_object_t **items;

	if (n <= array->u.arr.cap)
		return 0;
	if (n > SIZE_MAX / sizeof(*items))
		return -ENOMEM;
	items = realloc(array->u.arr.items, n * sizeof(*items));
	if (!items)
		return -ENOMEM;
	array->u.arr.items = items;
	array->u.arr.cap = n;
	return 0;
}

int xs_array_reserve(xs_object_t *array, size_t n)
{
	if (!xs_is(array, XS_TYPE_ARRAY))
		return -EINVAL;
	if (n > SIZE_MAX - array->u.arr.count)
		return -ENOMEM;
	return xs_array_grow_to(array, array->u.arr.count + n);
}

int xs_array_append_owned(xs_object_t *array, xs_object_t *value)
{
	size_t count;
	int ret;

	if (!xs_is(array, XS_TYPE_ARRAY) || !value || value == array) {
		ret = -EINVAL;
		goto fail;
	}
	count = array->u.arr.count;
	if (count == array->u.arr.cap) {
		ret = xs_array_grow_to(array, count < 4 ? 4 :
				       count > SIZE_MAX / 2 ? SIZE_MAX : count * 2);
		if (ret)
			goto fail;
	}
	array->u.arr.items[count] = value;
	array->u.arr.count = count + 1;
	return 0;
fail:
	xs_release(value);
	return ret;
}

int xs_array_append_value(xs_object_t *array, xs_object_t *value)
{
	if (!value)
		return -EINVAL;
	return xs_array_append_owned(array, xs_retain(value));
}

int xs_array_set_value(xs_object_t *array, size_t index, xs_object_t *value)
{
	if (!xs_is(array, XS_TYPE_ARRAY) || !value || value == array)
		return -EINVAL;
	if (index == array->u.arr.count)
		return xs_array_append_value(array, value);
	if (index > array->u.arr.count)
		return -ERANGE;
	xs_retain(value);
	xs_release(array->u.arr.items[index]);
	array->u.arr.items[index] = value;
	return 0;
}

xs_object_t *xs_array_get_value(const xs_object_t *array, size_t index)
{
	if (!xs_is(array, XS_TYPE_ARRAY) || index >= array->u.arr.count)
		return NULL;
	return array->u.arr.items[index];
}

bool xs_array_apply(const xs_object_t *array, xs_array_applier_t fn,
		    void *ctx)
{
	size_t i;

	if (!xs_is(array, XS_TYPE_ARRAY) || !fn)
		return false;
	for (i = 0; i < array->u.arr.count; i++)
		if (!fn(i, array->u.arr.items[i], ctx))
			return false;
	return true;
}

/* ---- Dictionaries ---- */

/*
 * Keys come from peers, so the index hashes them with SipHash-1-3 under
 * a per-process random key: nobody can precompute keys that all collide
 * and turn lookups (and the decoder's duplicate check) quadratic.
 */
static uint64_t xs_hash_key[2];
static pthread_once_t xs_hash_once = PTHREAD_ONCE_INIT;

static void xs_hash_init(void)
{
	if (getrandom(xs_hash_key, sizeof(xs_hash_key), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(xs_hash_key)) {
		/* Early boot without entropy: weaker, never fatal. */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		xs_hash_key[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
		xs_hash_key[1] = (uint64_t)(uintptr_t)&ts ^ (uint64_t)ts.tv_sec;
	}
}

static inline uint64_t xs_rotl(uint64_t x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

#define XS_SIPROUND							\
	do {								\
		v0 += v1; v1 = xs_rotl(v1, 13); v1 ^= v0;		\
		v0 = xs_rotl(v0, 32);					\
		v2 += v3; v3 = xs_rotl(v3, 16); v3 ^= v2;		\
		v0 += v3; v3 = xs_rotl(v3, 21); v3 ^= v0;		\
		v2 += v1; v1 = xs_rotl(v1, 17); v1 ^= v2;		\
		v2 = xs_rotl(v2, 32);					\
	} while (0)

static uint64_t xs_hash(const char *key, size_t len)
{
	const uint8_t *in = (const uint8_t *)key;
	uint64_t v0, v1, v2, v3, m, b;
	size_t i, j;

	pthread_once(&xs_hash_once, xs_hash_init);
	v0 = 0x736f6d6570736575ULL ^ xs_hash_key[0];
	v1 = 0x646f72616e646f6dULL ^ xs_hash_key[1];
	v2 = 0x6c7967656e657261ULL ^ xs_hash_key[0];
	v3 = 0x7465646279746573ULL ^ xs_hash_key[1];
	for (i = 0; len - i >= 8; i += 8) {
		m = 0;
		for (j = 0; j < 8; j++)
			m |= (uint64_t)in[i + j] << (8 * j);
		v3 ^= m;
		XS_SIPROUND;
		v0 ^= m;
	}
	b = (uint64_t)len << 56;
	for (j = 0; i + j < len; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	XS_SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	XS_SIPROUND;
	XS_SIPROUND;
	XS_SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* (Re)builds the index for the current entries; -ENOMEM keeps the old. */
static int xs_dict_reindex(xs_object_t *dict, size_t want)
{
	size_t size = 16, i, pos;
	uint32_t *index;

	while (size / 2 < want) {
		if (size > SIZE_MAX / 2 / sizeof(*index))
			return -ENOMEM;
		size *= 2;
	}
	index = calloc(size, sizeof(*index));
	if (!index)
		return -ENOMEM;
	for (i = 0; i < dict->u.dict.count; i++) {
		pos = dict->u.dict.entries[i].hash & (size - 1);
		while (index[pos])
			pos = (pos + 1) & (size - 1);
		index[pos] = (uint32_t)(i + 1);
	}
	free(dict->u.dict.index);
	dict->u.dict.index = index;
	dict->u.dict.index_size = size;
	return 0;
}

/* The entry's number, or -1. */
static ptrdiff_t xs_dict_find(const xs_object_t *dict, const char *key,
			      size_t keylen, uint64_t hash)
{
	const struct xs_dict_entry *e;
	size_t i, pos, mask;

	if (!dict->u.dict.index) {
		for (i = 0; i < dict->u.dict.count; i++) {
			e = &dict->u.dict.entries[i];
			if (e->keylen == keylen && !memcmp(e->key, key, keylen))
				return (ptrdiff_t)i;
		}
		return -1;
	}
	mask = dict->u.dict.index_size - 1;
	for (pos = hash & mask; dict->u.dict.index[pos]; pos = (pos + 1) & mask) {
		i = dict->u.dict.index[pos] - 1;
		e = &dict->u.dict.entries[i];
		if (e->hash == hash && e->keylen == keylen &&
		    !memcmp(e->key, key, keylen))
			return (ptrdiff_t)i;
	}
	return -1;
}

static ptrdiff_t xs_dict_lookup(const xs_object_t *dict, const char *key)
{
	size_t len;

	if (!xs_is(dict, XS_TYPE_DICTIONARY) || !key)
		return -1;
	len = strlen(key);
	return xs_dict_find(dict, key, len,
			    dict->u.dict.index ? xs_hash(key, len) : 0);
}

xs_object_t *xs_dictionary_create(void)
{
	return xs_alloc(XS_TYPE_DICTIONARY, 0);
}

size_t xs_dictionary_get_count(const xs_object_t *dict)
{
	return xs_is(dict, XS_TYPE_DICTIONARY) ? dict->u.dict.count : 0;
}

static int xs_dict_grow_to(xs_object_t *dict, size_t n)
{
	struct xs_dict_entry *entries;

	if (n <= dict->u.dict.cap)
		return 0;
	if (n > XS_DICT_MAX_ENTRIES || n > SIZE_MAX / sizeof(*entries))
		return -ENOMEM;
	entries = realloc(dict->u.dict.entries, n * sizeof(*entries));
	if (!entries)
		return -ENOMEM;
	dict->u.dict.entries = entries;
	dict->u.dict.cap = n;
	return 0;
}

int xs_dictionary_reserve(xs_object_t *dict, size_t n)
{
	if (!xs_is(dict, XS_TYPE_DICTIONARY))
		return -EINVAL;
	if (n > SIZE_MAX - dict->u.dict.count)
		return -ENOMEM;
	return xs_dict_grow_to(dict, dict->u.dict.count + n);
}

/* Appends a new entry; the key must be absent.  Takes @value over. */
static int xs_dict_append(xs_object_t *dict, const char *key, size_t keylen,
			  uint64_t hash, xs_object_t *value)
{
	size_t count = dict->u.dict.count;
	struct xs_dict_entry *e;
	char *copy;
	int ret;

	if (count >= XS_DICT_MAX_ENTRIES)
		return -ENOMEM;
	if (count == dict->u.dict.cap) {
		size_t want = count < 4 ? 4 : count;

		want = want > XS_DICT_MAX_ENTRIES / 2 ? XS_DICT_MAX_ENTRIES
						       : want * 2;
		ret = xs_dict_grow_to(dict, want);
		if (ret)
			return ret;
	}
	/* Index first: if that fails, the dictionary is unchanged. */
	if (count + 1 > XS_DICT_LINEAR_MAX &&
	    (!dict->u.dict.index || count + 1 > dict->u.dict.index_size / 2)) {
		ret = xs_dict_reindex(dict, 2 * (count + 1));
		if (ret)
			return ret;
	}
	copy = malloc(keylen + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, key, keylen);
	copy[keylen] = '\0';

	e = &dict->u.dict.entries[count];
	e->key = copy;
	e->keylen = keylen;
	e->hash = hash;
	e->value = value;
	dict->u.dict.count = count + 1;
	if (dict->u.dict.index) {
		size_t mask = dict->u.dict.index_size - 1, pos = hash & mask;

		while (dict->u.dict.index[pos])
			pos = (pos + 1) & mask;
		dict->u.dict.index[pos] = (uint32_t)(count + 1);
	}
	return 0;
}

static bool xs_key_valid(const char *key, size_t keylen)
{
	return !memchr(key, '\0', keylen) &&
	       xs_utf8_valid((const uint8_t *)key, keylen);
}

int xs_dictionary_insert_new(xs_object_t *dict, const char *key,
			     size_t keylen, xs_object_t *value)
{
	uint64_t hash;
	int ret;

	if (!xs_is(dict, XS_TYPE_DICTIONARY) || !value || value == dict ||
	    !key || !xs_key_valid(key, keylen)) {
		ret = -EINVAL;
		goto fail;
	}
	hash = xs_hash(key, keylen);
	if (xs_dict_find(dict, key, keylen, hash) >= 0) {
		ret = -EEXIST;
		goto fail;
	}
	ret = xs_dict_append(dict, key, keylen, hash, value);
	if (ret)
		goto fail;
	return 0;
fail:
	xs_release(value);
	return ret;
}

int xs_dictionary_remove(xs_object_t *dict, const char *key)
{
	struct xs_dict_entry *e;
	ptrdiff_t i;
	size_t n;

	i = xs_dict_lookup(dict, key);
	if (i < 0)
		return xs_is(dict, XS_TYPE_DICTIONARY) && key ? -ENOENT : -EINVAL;
	e = &dict->u.dict.entries[i];
	free(e->key);
	xs_release(e->value);
	n = dict->u.dict.count - (size_t)i - 1;
	memmove(e, e + 1, n * sizeof(*e));
	dict->u.dict.count--;
	/*
	 * Entry numbers moved: rebuild the index.  Removal is rare in
	 * messages; a smaller index is tried first and, should memory run
	 * out, a linear scan is always correct.
	 */
	free(dict->u.dict.index);
	dict->u.dict.index = NULL;
	dict->u.dict.index_size = 0;
	if (dict->u.dict.count > XS_DICT_LINEAR_MAX)
		xs_dict_reindex(dict, 2 * dict->u.dict.count);
	return 0;
}

int xs_dictionary_set_value(xs_object_t *dict, const char *key,
			    xs_object_t *value)
{
	uint64_t hash;
	size_t keylen;
	ptrdiff_t i;
	int ret;

	if (!xs_is(dict, XS_TYPE_DICTIONARY) || !key || value == dict)
		return -EINVAL;
	keylen = strlen(key);
	if (!xs_utf8_valid((const uint8_t *)key, keylen))
		return -EINVAL;
	if (!value) {
		ret = xs_dictionary_remove(dict, key);
		return ret == -ENOENT ? 0 : ret;
	}
	hash = xs_hash(key, keylen);
	i = xs_dict_find(dict, key, keylen, hash);
	xs_retain(value);
	if (i >= 0) {
		/* Replacing keeps the key's place in the order. */
		xs_release(dict->u.dict.entries[i].value);
		dict->u.dict.entries[i].value = value;
		return 0;
	}
	ret = xs_dict_append(dict, key, keylen, hash, value);
	if (ret)
		xs_release(value);
	return ret;
}

xs_object_t *xs_dictionary_get_value(const xs_object_t *dict,
				     const char *key)
{
	ptrdiff_t i = xs_dict_lookup(dict, key);

	return i < 0 ? NULL : dict->u.dict.entries[i].value;
}

xs_object_t *xs_dictionary_copy_value(const xs_object_t *dict,
				      const char *key)
{
	return xs_retain(xs_dictionary_get_value(dict, key));
}

bool xs_dictionary_apply(const xs_object_t *dict, xs_dictionary_applier_t fn,
			 void *ctx)
{
	size_t i;

	if (!xs_is(dict, XS_TYPE_DICTIONARY) || !fn)
		return false;
	for (i = 0; i < dict->u.dict.count; i++)
		if (!fn(dict->u.dict.entries[i].key,
			dict->u.dict.entries[i].value, ctx))
			return false;
	return true;
}

bool xs_dictionary_entry(const xs_object_t *dict, size_t i, const char **key,
			 size_t *keylen, const xs_object_t **value)
{
	if (!xs_is(dict, XS_TYPE_DICTIONARY) || i >= dict->u.dict.count)
		return false;
	*key = dict->u.dict.entries[i].key;
	*keylen = dict->u.dict.entries[i].keylen;
	*value = dict->u.dict.entries[i].value;
	return true;
}

/* Stores a new object under @key, dropping our reference either way. */
static int xs_dict_set_new(xs_object_t *dict, const char *key,
			   xs_object_t *value)
{
	int ret;

	if (!value)
		return errno ? -errno : -ENOMEM;
	ret = xs_dictionary_set_value(dict, key, value);
	xs_release(value);
	return ret;
}

int xs_dictionary_set_null(xs_object_t *dict, const char *key)
{
	return xs_dict_set_new(dict, key, xs_null_create());
}

int xs_dictionary_set_bool(xs_object_t *dict, const char *key, bool value)
{
	return xs_dict_set_new(dict, key, xs_bool_create(value));
}

int xs_dictionary_set_int64(xs_object_t *dict, const char *key, int64_t value)
{
	return xs_dict_set_new(dict, key, xs_int64_create(value));
}

int xs_dictionary_set_uint64(xs_object_t *dict, const char *key,
			     uint64_t value)
{
	return xs_dict_set_new(dict, key, xs_uint64_create(value));
}

int xs_dictionary_set_double(xs_object_t *dict, const char *key, double value)
{
	return xs_dict_set_new(dict, key, xs_double_create(value));
}

int xs_dictionary_set_date(xs_object_t *dict, const char *key, int64_t ns)
{
	return xs_dict_set_new(dict, key, xs_date_create(ns));
}

int xs_dictionary_set_string(xs_object_t *dict, const char *key,
			     const char *value)
{
	return xs_dict_set_new(dict, key, xs_string_create(value));
}

int xs_dictionary_set_data(xs_object_t *dict, const char *key,
			   const void *bytes, size_t len)
{
	return xs_dict_set_new(dict, key, xs_data_create(bytes, len));
}

int xs_dictionary_set_uuid(xs_object_t *dict, const char *key,
			   const uint8_t bytes[16])
{
	return xs_dict_set_new(dict, key, xs_uuid_create(bytes));
}

int xs_dictionary_set_fd(xs_object_t *dict, const char *key, int fd)
{
	return xs_dict_set_new(dict, key, xs_fd_create(fd));
}

bool xs_dictionary_get_bool(const xs_object_t *dict, const char *key)
{
	return xs_bool_get_value(xs_dictionary_get_value(dict, key));
}

int64_t xs_dictionary_get_int64(const xs_object_t *dict, const char *key)
{
	xs_object_t *v = xs_dictionary_get_value(dict, key);

	if (xs_is(v, XS_TYPE_UINT64))
		return v->u.u64 <= INT64_MAX ? (int64_t)v->u.u64 : 0;
	return xs_int64_get_value(v);
}

uint64_t xs_dictionary_get_uint64(const xs_object_t *dict, const char *key)
{
	xs_object_t *v = xs_dictionary_get_value(dict, key);

	if (xs_is(v, XS_TYPE_INT64))
		return v->u.i64 >= 0 ? (uint64_t)v->u.i64 : 0;
	return xs_uint64_get_value(v);
}

double xs_dictionary_get_double(const xs_object_t *dict, const char *key)
{
	return xs_double_get_value(xs_dictionary_get_value(dict, key));
}

int64_t xs_dictionary_get_date(const xs_object_t *dict, const char *key)
{
	return xs_date_get_value(xs_dictionary_get_value(dict, key));
}

const char *xs_dictionary_get_string(const xs_object_t *dict, const char *key)
{
	return xs_string_get_string_ptr(xs_dictionary_get_value(dict, key));
}

const void *xs_dictionary_get_data(const xs_object_t *dict, const char *key,
				   size_t *len)
{
	xs_object_t *v = xs_dictionary_get_value(dict, key);

	if (len)
		*len = xs_data_get_length(v);
	return xs_data_get_bytes_ptr(v);
}

const uint8_t *xs_dictionary_get_uuid(const xs_object_t *dict,
				      const char *key)
{
	return xs_uuid_get_bytes(xs_dictionary_get_value(dict, key));
}

int xs_dictionary_dup_fd(const xs_object_t *dict, const char *key)
{
	xs_object_t *v = xs_dictionary_get_value(dict, key);

	if (!v) {
		errno = ENOENT;
		return -1;
	}
	return xs_fd_dup(v);
}

xs_object_t *xs_dictionary_get_array(const xs_object_t *dict, const char *key)
{
	xs_object_t *v = xs_dictionary_get_value(dict, key);

	return xs_is(v, XS_TYPE_ARRAY) ? v : NULL;
}

xs_object_t *xs_dictionary_get_dictionary(const xs_object_t *dict,
					  const char *key)
{
	xs_object_t *v = xs_dictionary_get_value(dict, key);

	return xs_is(v, XS_TYPE_DICTIONARY) ? v : NULL;
}

/* ---- Equality ---- */

static bool xs_equal_depth(const xs_object_t *a, const xs_object_t *b,
			   unsigned int depth);

static bool xs_int_equal(const xs_object_t *a, const xs_object_t *b)
{
	/* a is int64, b is uint64: equal when a is that non-negative value. */
	return a->u.i64 >= 0 && (uint64_t)a->u.i64 == b->u.u64;
}

static bool xs_dict_equal(const xs_object_t *a, const xs_object_t *b,
			  unsigned int depth)
{
	const struct xs_dict_entry *e;
	ptrdiff_t j;
	size_t i;

	if (a->u.dict.count != b->u.dict.count)
		return false;
	for (i = 0; i < a->u.dict.count; i++) {
		e = &a->u.dict.entries[i];
		/* Keys are unique, so same count + all found = same keys. */
		j = xs_dict_find(b, e->key, e->keylen,
				 b->u.dict.index ? xs_hash(e->key, e->keylen) : 0);
		if (j < 0 || !xs_equal_depth(e->value,
					     b->u.dict.entries[j].value, depth + 1))
			return false;
	}
	return true;
}

static bool xs_equal_depth(const xs_object_t *a, const xs_object_t *b,
			   unsigned int depth)
{
	size_t i;

	if (!a || !b)
		return a == b;
	if (a == b)
		return true;
	if (a->type == XS_TYPE_INT64 && b->type == XS_TYPE_UINT64)
		return xs_int_equal(a, b);
	if (a->type == XS_TYPE_UINT64 && b->type == XS_TYPE_INT64)
		return xs_int_equal(b, a);
	if (a->type != b->type)
		return false;

	switch (a->type) {
	case XS_TYPE_NULL:
		return true;
	case XS_TYPE_BOOL:
		return a->u.b == b->u.b;
	case XS_TYPE_INT64:
	case XS_TYPE_DATE:
		return a->u.i64 == b->u.i64;
	case XS_TYPE_UINT64:
		return a->u.u64 == b->u.u64;
	case XS_TYPE_DOUBLE:
		if (isnan(a->u.d) || isnan(b->u.d))
			return isnan(a->u.d) && isnan(b->u.d);
		/* Bitwise, so that 0.0 and -0.0 differ as on the wire. */
		return !memcmp(&a->u.d, &b->u.d, sizeof(double));
	case XS_TYPE_DATA:
		return a->u.data.len == b->u.data.len &&
		       (!a->u.data.len ||
			!memcmp(a->u.data.ptr, b->u.data.ptr, a->u.data.len));
	case XS_TYPE_STRING:
		return a->u.str.len == b->u.str.len &&
		       !memcmp(a->u.str.ptr, b->u.str.ptr, a->u.str.len);
	case XS_TYPE_UUID:
		return !memcmp(a->u.uuid, b->u.uuid, 16);
	case XS_TYPE_ARRAY:
		if (depth >= XS_MAX_DEPTH || a->u.arr.count != b->u.arr.count)
			return false;
		for (i = 0; i < a->u.arr.count; i++)
			if (!xs_equal_depth(a->u.arr.items[i],
					    b->u.arr.items[i], depth + 1))
				return false;
		return true;
	case XS_TYPE_DICTIONARY:
		if (depth >= XS_MAX_DEPTH)
			return false;
		return xs_dict_equal(a, b, depth);
	default:
		/* fd and shmem: only the same object (handled above). */
		return false;
	}
}

bool xs_equal(const xs_object_t *a, const xs_object_t *b)
{
	return xs_equal_depth(a, b, 0);
}

/* ---- Descriptions ---- */

static void xs_desc_quoted(FILE *f, const char *s, size_t len)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void xs_desc_indent(FILE *f, unsigned int n)
{
	while (n--)
		fputc('\t', f);
}

static void xs_desc(FILE *f, const xs_object_t *obj, unsigned int depth)
{
	char path[64], target[256];
	struct tm tm;
	int64_t secs, nsec;
	ssize_t n;
	size_t i;

	if (!obj) {
		fputs("<NULL>", f);
		return;
	}
	fprintf(f, "<%s: %p>", xs_type_name(obj->type), (const void *)obj);
	switch (obj->type) {
	case XS_TYPE_NULL:
		break;
	case XS_TYPE_BOOL:
		fputs(obj->u.b ? ": true" : ": false", f);
		break;
	case XS_TYPE_INT64:
		fprintf(f, ": %" PRId64, obj->u.i64);
		break;
	case XS_TYPE_UINT64:
		fprintf(f, ": %" PRIu64, obj->u.u64);
		break;
	case XS_TYPE_DOUBLE:
		fprintf(f, ": %.17g", obj->u.d);
		break;
	case XS_TYPE_DATE: {
		time_t t;

		/* Floor division: -1 ns is 1969-12-31 23:59:59.999999999. */
		secs = obj->u.i64 / XS_NSEC_PER_SEC;
		nsec = obj->u.i64 % XS_NSEC_PER_SEC;
		if (nsec < 0) {
			secs--;
			nsec += XS_NSEC_PER_SEC;
		}
		t = (time_t)secs;
		if (gmtime_r(&t, &tm))
			fprintf(f, " %04d-%02d-%02d %02d:%02d:%02d.%09" PRId64 " UTC",
				tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
				tm.tm_hour, tm.tm_min, tm.tm_sec, nsec);
		fprintf(f, " (%" PRId64 " ns)", obj->u.i64);
		break;
	}
	case XS_TYPE_DATA:
		fprintf(f, " { length = %zu bytes, contents = 0x", obj->u.data.len);
		for (i = 0; i < obj->u.data.len && i < 32; i++)
			fprintf(f, "%02x", obj->u.data.ptr[i]);
		fputs(obj->u.data.len > 32 ? "... }" : " }", f);
		break;
	case XS_TYPE_STRING:
		fprintf(f, " { length = %zu, contents = ", obj->u.str.len);
		xs_desc_quoted(f, obj->u.str.ptr, obj->u.str.len);
		fputs(" }", f);
		break;
	case XS_TYPE_UUID: {
		const uint8_t *u = obj->u.uuid;

		fprintf(f, " %02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
			"%02X%02X%02X%02X%02X%02X",
			u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8],
			u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
		break;
	}
	case XS_TYPE_FD:
		snprintf(path, sizeof(path), "/proc/self/fd/%d", obj->u.fd);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		fprintf(f, " { fd = %d, path = %s }", obj->u.fd,
			n > 0 ? target : "?");
		break;
	case XS_TYPE_SHMEM:
		fprintf(f, " { fd = %d, length = %zu }", obj->u.shm.fd,
			obj->u.shm.len);
		break;
	case XS_TYPE_ARRAY:
		fprintf(f, " { count = %zu, contents =", obj->u.arr.count);
		if (depth >= XS_MAX_DEPTH) {
			fputs(" ... }", f);
			break;
		}
		fputc('\n', f);
		for (i = 0; i < obj->u.arr.count; i++) {
			xs_desc_indent(f, depth + 1);
			fprintf(f, "%zu: ", i);
			xs_desc(f, obj->u.arr.items[i], depth + 1);
			fputc('\n', f);
		}
		xs_desc_indent(f, depth);
		fputc('}', f);
		break;
	case XS_TYPE_DICTIONARY:
		fprintf(f, " { count = %zu, contents =", obj->u.dict.count);
		if (depth >= XS_MAX_DEPTH) {
			fputs(" ... }", f);
			break;
		}
		fputc('\n', f);
		for (i = 0; i < obj->u.dict.count; i++) {
			const struct xs_dict_entry *e = &obj->u.dict.entries[i];

			xs_desc_indent(f, depth + 1);
			xs_desc_quoted(f, e->key, e->keylen);
			fputs(" => ", f);
			xs_desc(f, e->value, depth + 1);
			fputc('\n', f);
		}
		xs_desc_indent(f, depth);
		fputc('}', f);
		break;
	default:
		break;
	}
}

char *xs_copy_description(const xs_object_t *obj)
{
	char *s = NULL;
	size_t len;
	FILE *f;

	f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	xs_desc(f, obj, 0);
	if (ferror(f)) {
		fclose(f);
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	if (fclose(f)) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}
