// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The object model: constructors, accessors, refcounting, containers,
 * equality, descriptions, fds and sealed memfds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "t_util.h"
#include "xs_codec.h"
#include "xs_object.h"

XT_TEST(null_is_harmless)
{
	XS_EXPECT_EQ(xs_get_type(NULL), XS_TYPE_INVALID);
	XS_EXPECT_TRUE(xs_retain(NULL) == NULL);
	xs_release(NULL);
	XS_EXPECT_EQ(xs_int64_get_value(NULL), 0);
	XS_EXPECT_TRUE(xs_string_get_string_ptr(NULL) == NULL);
	XS_EXPECT_EQ(xs_dictionary_get_count(NULL), 0);
	XS_EXPECT_TRUE(xs_dictionary_get_value(NULL, "a") == NULL);
	XS_EXPECT_EQ(xs_dictionary_set_int64(NULL, "a", 1), -EINVAL);
	XS_EXPECT_TRUE(xs_equal(NULL, NULL));
	XS_EXPECT_STREQ(xs_type_name(XS_TYPE_DICTIONARY), "dictionary");
	XS_EXPECT_STREQ(xs_type_name((xs_type_t)999), "invalid");
}

XT_TEST(scalars)
{
	xs_object_t *n = xs_null_create(), *b = xs_bool_create(true);
	xs_object_t *i = xs_int64_create(INT64_MIN);
	xs_object_t *u = xs_uint64_create(UINT64_MAX);
	xs_object_t *d = xs_double_create(-2.5);
	xs_object_t *t = xs_date_create(-1);

	XS_ASSERT_TRUE(n && b && i && u && d && t);
	XS_EXPECT_EQ(xs_get_type(n), XS_TYPE_NULL);
	XS_EXPECT_EQ(xs_get_type(b), XS_TYPE_BOOL);
	XS_EXPECT_TRUE(xs_bool_get_value(b));
	XS_EXPECT_EQ(xs_int64_get_value(i), INT64_MIN);
	XS_EXPECT_EQ(xs_uint64_get_value(u), UINT64_MAX);
	XS_EXPECT_TRUE(xs_double_get_value(d) == -2.5);
	XS_EXPECT_EQ(xs_date_get_value(t), -1);
	/* Accessors of another type read as zero, as in XPC. */
	XS_EXPECT_EQ(xs_int64_get_value(u), 0);
	XS_EXPECT_EQ(xs_uint64_get_value(i), 0);
	XS_EXPECT_FALSE(xs_bool_get_value(i));
	XS_EXPECT_EQ(xs_date_get_value(i), 0);
	XS_EXPECT_TRUE(xs_double_get_value(i) == 0.0);
	xs_release(n);
	xs_release(b);
	xs_release(i);
	xs_release(u);
	xs_release(d);
	xs_release(t);
}

XT_TEST(date_from_current)
{
	xs_object_t *t = xs_date_create_from_current();
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * XS_NSEC_PER_SEC + ts.tv_nsec;
	XS_ASSERT_TRUE(t);
	XS_EXPECT_LE(xs_date_get_value(t), now);
	XS_EXPECT_GT(xs_date_get_value(t), now - 10 * XS_NSEC_PER_SEC);
	xs_release(t);
}

XT_TEST(strings_are_utf8)
{
	static const char *const bad[] = {
		"\xc0\x80",		/* overlong NUL */
		"\xe0\x80\xaf",		/* overlong '/' */
		"\xed\xa0\x80",		/* surrogate U+D800 */
		"\xf4\x90\x80\x80",	/* U+110000 */
		"\x80",			/* lone continuation */
		"a\xe6\xb0",		/* truncated */
		"\xf8\x88\x80\x80\x80",	/* 5-byte form */
		"\xff",
	};
	xs_object_t *s;
	size_t i;

	s = xs_string_create("caf\xc3\xa9 \xe6\xb0\xb4 \xf0\x9f\x98\x80");
	XS_ASSERT_TRUE(s);
	XS_EXPECT_EQ(xs_get_type(s), XS_TYPE_STRING);
	XS_EXPECT_EQ(xs_string_get_length(s), 14);
	XS_EXPECT_STREQ(xs_string_get_string_ptr(s),
			"caf\xc3\xa9 \xe6\xb0\xb4 \xf0\x9f\x98\x80");
	xs_release(s);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		XT_EXPECT_NULL_ERRNO(xs_string_create(bad[i]), EINVAL);
	}
	XT_EXPECT_NULL_ERRNO(xs_string_create(NULL), EINVAL);

	s = xs_string_create("");
	XS_ASSERT_TRUE(s);
	XS_EXPECT_EQ(xs_string_get_length(s), 0);
	xs_release(s);

	s = xs_string_create_with_format("%s-%d", "pid", 42);
	XS_ASSERT_TRUE(s);
	XS_EXPECT_STREQ(xs_string_get_string_ptr(s), "pid-42");
	xs_release(s);
	/* The formatted result is validated too. */
	XS_EXPECT_TRUE(xs_string_create_with_format("%c", 0xff) == NULL);
}

XT_TEST(data_and_uuid)
{
	static const uint8_t bytes[] = { 1, 2, 3, 4, 5 };
	static const uint8_t id[16] = { 0x5e, 0xa5, 0xf2, 0xc0, 1, 2, 3, 4,
					5, 6, 7, 8, 9, 10, 11, 12 };
	xs_object_t *d = xs_data_create(bytes, sizeof(bytes)), *e, *u;
	uint8_t buf[8];

	XS_ASSERT_TRUE(d);
	XS_EXPECT_EQ(xs_data_get_length(d), 5);
	XS_EXPECT_MEMEQ(xs_data_get_bytes_ptr(d), bytes, 5);
	XS_EXPECT_EQ(xs_data_get_bytes(d, buf, 3, 8), 2);
	XS_EXPECT_MEMEQ(buf, bytes + 3, 2);
	XS_EXPECT_EQ(xs_data_get_bytes(d, buf, 5, 8), 0);
	XS_EXPECT_EQ(xs_data_get_bytes(d, buf, 99, 8), 0);

	e = xs_data_create(NULL, 0);
	XS_ASSERT_TRUE(e);
	XS_EXPECT_EQ(xs_data_get_length(e), 0);
	XT_EXPECT_NULL_ERRNO(xs_data_create(NULL, 1), EINVAL);

	u = xs_uuid_create(id);
	XS_ASSERT_TRUE(u);
	XS_EXPECT_MEMEQ(xs_uuid_get_bytes(u), id, 16);
	XS_EXPECT_TRUE(xs_uuid_get_bytes(d) == NULL);
	xs_release(d);
	xs_release(e);
	xs_release(u);
}

XT_TEST(refcounts_keep_objects_alive)
{
	xs_object_t *dict = xs_dictionary_create(), *arr = xs_array_create();
	xs_object_t *s = xs_string_create("shared");

	XS_ASSERT_TRUE(dict && arr && s);
	XS_ASSERT_EQ(xs_dictionary_set_value(dict, "s", s), 0);
	XS_ASSERT_EQ(xs_array_append_value(arr, s), 0);
	XS_ASSERT_EQ(xs_dictionary_set_value(dict, "arr", arr), 0);
	xs_release(s);		/* the containers still hold it */
	xs_release(arr);
	XS_EXPECT_STREQ(xs_dictionary_get_string(dict, "s"), "shared");
	XS_EXPECT_STREQ(xs_string_get_string_ptr(xs_array_get_value(
		xs_dictionary_get_array(dict, "arr"), 0)), "shared");

	s = xs_dictionary_copy_value(dict, "s");
	XS_ASSERT_TRUE(s);
	XS_EXPECT_EQ(xs_dictionary_remove(dict, "s"), 0);
	XS_EXPECT_STREQ(xs_string_get_string_ptr(s), "shared");
	xs_release(s);
	XS_EXPECT_TRUE(xs_retain(dict) == dict);
	xs_release(dict);
	xs_release(dict);
}

struct xt_hammer {
	xs_object_t *obj;
	atomic_int go;
};

static void *xt_hammer_thread(void *arg)
{
	struct xt_hammer *h = arg;
	int i;

	while (!atomic_load(&h->go))
		;
	for (i = 0; i < 200000; i++) {
		xs_retain(h->obj);
		xs_release(h->obj);
	}
	return NULL;
}

XT_TEST(refcount_is_atomic)
{
	struct xt_hammer h = { .obj = xs_dictionary_create() };
	pthread_t th[4];
	int i;

	XS_ASSERT_TRUE(h.obj);
	XS_ASSERT_EQ(xs_dictionary_set_string(h.obj, "k", "v"), 0);
	for (i = 0; i < 4; i++)
		XS_ASSERT_EQ(pthread_create(&th[i], NULL, xt_hammer_thread, &h), 0);
	atomic_store(&h.go, 1);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	/* Still exactly one reference: this frees it, LSan checks. */
	XS_EXPECT_STREQ(xs_dictionary_get_string(h.obj, "k"), "v");
	xs_release(h.obj);
}

static bool xt_collect(size_t index, xs_object_t *value, void *ctx)
{
	int64_t *sum = ctx;

	(void)index;
	*sum += xs_int64_get_value(value);
	return *sum < 100;
}

XT_TEST(arrays)
{
	xs_object_t *a = xs_array_create(), *v;
	int64_t sum = 0;
	int i;

	XS_ASSERT_TRUE(a);
	for (i = 0; i < 100; i++) {
		v = xs_int64_create(i);
		XS_ASSERT_EQ(xs_array_append_value(a, v), 0);
		xs_release(v);
	}
	XS_EXPECT_EQ(xs_array_get_count(a), 100);
	XS_EXPECT_EQ(xs_int64_get_value(xs_array_get_value(a, 42)), 42);
	XS_EXPECT_TRUE(xs_array_get_value(a, 100) == NULL);

	v = xs_string_create("x");
	XS_EXPECT_EQ(xs_array_set_value(a, 0, v), 0);
	XS_EXPECT_EQ(xs_array_set_value(a, 100, v), 0);	/* appends */
	XS_EXPECT_EQ(xs_array_set_value(a, 102, v), -ERANGE);
	XS_EXPECT_EQ(xs_array_get_count(a), 101);
	XS_EXPECT_STREQ(xs_string_get_string_ptr(xs_array_get_value(a, 100)), "x");
	xs_release(v);

	/* Cannot hold itself, nor NULL. */
	XS_EXPECT_EQ(xs_array_append_value(a, a), -EINVAL);
	XS_EXPECT_EQ(xs_array_append_value(a, NULL), -EINVAL);
	XS_EXPECT_EQ(xs_array_set_value(a, 1, a), -EINVAL);

	/* apply stops when told: 0 (string) + 1 + ... + 14 = 105. */
	XS_EXPECT_FALSE(xs_array_apply(a, xt_collect, &sum));
	XS_EXPECT_EQ(sum, 105);
	XS_EXPECT_FALSE(xs_array_apply(NULL, xt_collect, &sum));
	xs_release(a);
}

struct xt_keys {
	char buf[256];
	int stop_after;
};

static bool xt_keys(const char *key, xs_object_t *value, void *ctx)
{
	struct xt_keys *k = ctx;

	(void)value;
	strcat(k->buf, key);
	strcat(k->buf, ",");
	return --k->stop_after != 0;
}

XT_TEST(dictionary_order_replace_remove)
{
	xs_object_t *d = xs_dictionary_create();
	struct xt_keys k = { .stop_after = -1 };

	XS_ASSERT_TRUE(d);
	XS_ASSERT_EQ(xs_dictionary_set_int64(d, "zebra", 1), 0);
	XS_ASSERT_EQ(xs_dictionary_set_int64(d, "apple", 2), 0);
	XS_ASSERT_EQ(xs_dictionary_set_int64(d, "mango", 3), 0);
	XS_ASSERT_EQ(xs_dictionary_set_int64(d, "", 4), 0);
	/* Replacing keeps the key's place. */
	XS_ASSERT_EQ(xs_dictionary_set_string(d, "apple", "two"), 0);
	XS_EXPECT_EQ(xs_dictionary_get_count(d), 4);
	XS_EXPECT_TRUE(xs_dictionary_apply(d, xt_keys, &k));
	XS_EXPECT_STREQ(k.buf, "zebra,apple,mango,,");
	XS_EXPECT_STREQ(xs_dictionary_get_string(d, "apple"), "two");
	XS_EXPECT_EQ(xs_dictionary_get_int64(d, ""), 4);

	XS_EXPECT_EQ(xs_dictionary_remove(d, "apple"), 0);
	XS_EXPECT_EQ(xs_dictionary_remove(d, "apple"), -ENOENT);
	/* A NULL value removes, and removing nothing is fine. */
	XS_EXPECT_EQ(xs_dictionary_set_value(d, "mango", NULL), 0);
	XS_EXPECT_EQ(xs_dictionary_set_value(d, "nothing", NULL), 0);
	memset(&k, 0, sizeof(k));
	k.stop_after = 1;
	XS_EXPECT_FALSE(xs_dictionary_apply(d, xt_keys, &k));
	XS_EXPECT_STREQ(k.buf, "zebra,");
	XS_EXPECT_EQ(xs_dictionary_get_count(d), 2);

	/* Keys must be UTF-8; a dictionary cannot hold itself. */
	XS_EXPECT_EQ(xs_dictionary_set_int64(d, "\xff", 1), -EINVAL);
	XS_EXPECT_EQ(xs_dictionary_set_value(d, "self", d), -EINVAL);
	XS_EXPECT_EQ(xs_dictionary_set_string(d, "bad", "\xc0\x80"), -EINVAL);
	XS_EXPECT_EQ(xs_dictionary_set_fd(d, "badfd", -1), -EBADF);
	XS_EXPECT_EQ(xs_dictionary_get_count(d), 2);
	xs_release(d);
}

XT_TEST(dictionary_many_keys)
{
	xs_object_t *d = xs_dictionary_create();
	char key[32];
	int i;

	XS_ASSERT_TRUE(d);
	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		XS_ASSERT_EQ(xs_dictionary_set_int64(d, key, i), 0);
	}
	XS_EXPECT_EQ(xs_dictionary_get_count(d), 20000);
	for (i = 0; i < 20000; i += 7) {
		snprintf(key, sizeof(key), "key-%d", i);
		XS_ASSERT_EQ(xs_dictionary_get_int64(d, key), i);
	}
	/* Remove every other key; the index must follow. */
	for (i = 0; i < 20000; i += 2) {
		snprintf(key, sizeof(key), "key-%d", i);
		XS_ASSERT_EQ(xs_dictionary_remove(d, key), 0);
		if (i % 4000 == 0)
			XS_ASSERT_TRUE(xs_dictionary_get_value(d, key) == NULL);
	}
	XS_EXPECT_EQ(xs_dictionary_get_count(d), 10000);
	for (i = 1; i < 20000; i += 2) {
		snprintf(key, sizeof(key), "key-%d", i);
		XS_ASSERT_EQ(xs_dictionary_get_int64(d, key), i);
	}
	XS_EXPECT_TRUE(xs_dictionary_get_value(d, "key-0") == NULL);
	xs_release(d);
}

XT_TEST(typed_getters_forgive_nothing_else)
{
	static const uint8_t id[16] = { 1 };
	xs_object_t *d = xs_dictionary_create();
	size_t len = 99;

	XS_ASSERT_TRUE(d);
	XS_ASSERT_EQ(xs_dictionary_set_int64(d, "neg", -5), 0);
	XS_ASSERT_EQ(xs_dictionary_set_int64(d, "pos", 5), 0);
	XS_ASSERT_EQ(xs_dictionary_set_uint64(d, "big", UINT64_MAX), 0);
	XS_ASSERT_EQ(xs_dictionary_set_uint64(d, "small", 7), 0);
	XS_ASSERT_EQ(xs_dictionary_set_string(d, "str", "s"), 0);
	XS_ASSERT_EQ(xs_dictionary_set_bool(d, "yes", true), 0);
	XS_ASSERT_EQ(xs_dictionary_set_double(d, "pi", 3.25), 0);
	XS_ASSERT_EQ(xs_dictionary_set_date(d, "when", 123), 0);
	XS_ASSERT_EQ(xs_dictionary_set_data(d, "blob", "ab", 2), 0);
	XS_ASSERT_EQ(xs_dictionary_set_uuid(d, "id", id), 0);
	XS_ASSERT_EQ(xs_dictionary_set_null(d, "nil"), 0);

	/* int64 and uint64 read each other when the value fits. */
	XS_EXPECT_EQ(xs_dictionary_get_int64(d, "pos"), 5);
	XS_EXPECT_EQ(xs_dictionary_get_uint64(d, "pos"), 5);
	XS_EXPECT_EQ(xs_dictionary_get_uint64(d, "neg"), 0);
	XS_EXPECT_EQ(xs_dictionary_get_int64(d, "small"), 7);
	XS_EXPECT_EQ(xs_dictionary_get_int64(d, "big"), 0);
	XS_EXPECT_EQ(xs_dictionary_get_uint64(d, "big"), UINT64_MAX);

	XS_EXPECT_TRUE(xs_dictionary_get_bool(d, "yes"));
	XS_EXPECT_TRUE(xs_dictionary_get_double(d, "pi") == 3.25);
	XS_EXPECT_EQ(xs_dictionary_get_date(d, "when"), 123);
	XS_EXPECT_MEMEQ(xs_dictionary_get_data(d, "blob", &len), "ab", 2);
	XS_EXPECT_EQ(len, 2);
	XS_EXPECT_MEMEQ(xs_dictionary_get_uuid(d, "id"), id, 16);
	XS_EXPECT_EQ(xs_get_type(xs_dictionary_get_value(d, "nil")), XS_TYPE_NULL);

	/* Wrong type or missing key: zero / NULL. */
	XS_EXPECT_EQ(xs_dictionary_get_int64(d, "str"), 0);
	XS_EXPECT_EQ(xs_dictionary_get_int64(d, "missing"), 0);
	XS_EXPECT_FALSE(xs_dictionary_get_bool(d, "pos"));
	XS_EXPECT_TRUE(xs_dictionary_get_double(d, "pos") == 0.0);
	XS_EXPECT_EQ(xs_dictionary_get_date(d, "pos"), 0);
	XS_EXPECT_TRUE(xs_dictionary_get_string(d, "pos") == NULL);
	XS_EXPECT_TRUE(xs_dictionary_get_data(d, "str", &len) == NULL);
	XS_EXPECT_EQ(len, 0);
	XS_EXPECT_TRUE(xs_dictionary_get_uuid(d, "blob") == NULL);
	XS_EXPECT_TRUE(xs_dictionary_get_array(d, "str") == NULL);
	XS_EXPECT_TRUE(xs_dictionary_get_dictionary(d, "str") == NULL);
	XS_EXPECT_ERRNO(xs_dictionary_dup_fd(d, "str"), EINVAL);
	XS_EXPECT_ERRNO(xs_dictionary_dup_fd(d, "missing"), ENOENT);
	xs_release(d);
}

static ino_t xt_ino(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return 0;
	return st.st_ino;
}

XT_TEST(fd_objects_hold_duplicates)
{
	int p[2], dup1, dup2, inner;
	xs_object_t *f, *d;
	char c = 0;

	XS_ASSERT_OK(pipe(p));
	f = xs_fd_create(p[1]);
	XS_ASSERT_TRUE(f);
	XS_EXPECT_EQ(xs_get_type(f), XS_TYPE_FD);
	/* The object owns its own fd: the caller's may go. */
	close(p[1]);
	dup1 = xs_fd_dup(f);
	dup2 = xs_fd_dup(f);
	XS_ASSERT_GE(dup1, 3);
	XS_ASSERT_GE(dup2, 3);
	XS_EXPECT_NE(dup1, dup2);
	XS_EXPECT_EQ(xt_ino(dup1), xt_ino(p[0]));
	XS_EXPECT_TRUE(fcntl(dup1, F_GETFD) & FD_CLOEXEC);
	inner = xs_fd_peek(f);
	XS_EXPECT_TRUE(fcntl(inner, F_GETFD) & FD_CLOEXEC);
	XS_EXPECT_EQ(write(dup1, "x", 1), 1);
	XS_EXPECT_EQ(read(p[0], &c, 1), 1);
	XS_EXPECT_EQ(c, 'x');
	close(dup1);
	close(dup2);

	/* Through a dictionary: set dups, get dups again. */
	d = xs_dictionary_create();
	XS_ASSERT_TRUE(d);
	XS_ASSERT_EQ(xs_dictionary_set_value(d, "w", f), 0);
	xs_release(f);
	dup1 = xs_dictionary_dup_fd(d, "w");
	XS_ASSERT_GE(dup1, 0);
	XS_EXPECT_EQ(xt_ino(dup1), xt_ino(p[0]));
	close(dup1);
	/* Releasing the last reference closes the object's fd. */
	xs_release(d);
	XS_EXPECT_EQ(fcntl(inner, F_GETFD), -1);
	close(p[0]);

	XT_EXPECT_NULL_ERRNO(xs_fd_create(-1), EBADF);
	XS_EXPECT_ERRNO(xs_fd_dup(NULL), EINVAL);
}

static int xt_memfd(const char *content, size_t len, unsigned int seals)
{
	int fd = memfd_create("xt", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (write(fd, content, len) != (ssize_t)len ||
	    (seals && fcntl(fd, F_ADD_SEALS, seals) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

XT_TEST(shmem_needs_a_sealed_memfd)
{
	const unsigned int all = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;
	const char text[] = "hello, sealed world";
	int fd, unsealed, partial, file;
	xs_object_t *s;
	size_t len = 0;
	void *map;

	fd = xt_memfd(text, sizeof(text), all);
	unsealed = xt_memfd(text, sizeof(text), 0);
	partial = xt_memfd(text, sizeof(text), F_SEAL_SHRINK | F_SEAL_GROW);
	XS_ASSERT_GE(fd, 0);
	XS_ASSERT_GE(unsealed, 0);
	XS_ASSERT_GE(partial, 0);

	s = xs_shmem_create(fd, sizeof(text));
	XS_ASSERT_TRUE(s);
	XS_EXPECT_EQ(xs_get_type(s), XS_TYPE_SHMEM);
	XS_EXPECT_EQ(xs_shmem_get_length(s), sizeof(text));
	close(fd);	/* the object holds its own duplicate */
	map = xs_shmem_map(s, &len);
	XS_ASSERT_TRUE(map);
	XS_EXPECT_EQ(len, sizeof(text));
	XS_EXPECT_MEMEQ(map, text, sizeof(text));
	XS_EXPECT_OK(munmap(map, len));
	/* Sealed: nobody can write through it any more. */
	XS_EXPECT_ERRNO(pwrite(xs_fd_peek(s), "X", 1, 0), EPERM);
	xs_release(s);

	/* A prefix is fine; nothing, or more than the file, is not. */
	fd = xt_memfd(text, sizeof(text), all);
	s = xs_shmem_create(fd, 5);
	XS_EXPECT_TRUE(s);
	xs_release(s);
	XT_EXPECT_NULL_ERRNO(xs_shmem_create(fd, 0), EINVAL);
	XT_EXPECT_NULL_ERRNO(xs_shmem_create(fd, sizeof(text) + 1), EINVAL);
	close(fd);

	XT_EXPECT_NULL_ERRNO(xs_shmem_create(unsealed, sizeof(text)), EINVAL);
	XT_EXPECT_NULL_ERRNO(xs_shmem_create(partial, sizeof(text)), EINVAL);
	file = open("/dev/null", O_RDONLY | O_CLOEXEC);
	XT_EXPECT_NULL_ERRNO(xs_shmem_create(file, 1), EINVAL);
	XT_EXPECT_NULL_ERRNO(xs_shmem_create(-1, 1), EBADF);
	close(unsealed);
	close(partial);
	close(file);

	s = xs_shmem_create_with_bytes(text, sizeof(text));
	XS_ASSERT_TRUE(s);
	map = xs_shmem_map(s, &len);
	XS_ASSERT_TRUE(map);
	XS_EXPECT_MEMEQ(map, text, sizeof(text));
	munmap(map, len);
	xs_release(s);
	XS_EXPECT_TRUE(xs_shmem_map(NULL, &len) == NULL);
}

XT_TEST(equality)
{
	xs_object_t *a = xs_dictionary_create(), *b = xs_dictionary_create();
	xs_object_t *i = xs_int64_create(5), *u = xs_uint64_create(5);
	xs_object_t *n1 = xs_double_create(NAN), *n2 = xs_double_create(-NAN);
	xs_object_t *z = xs_double_create(0.0), *nz = xs_double_create(-0.0);
	xs_object_t *f1 = xs_fd_create(0), *f2 = xs_fd_create(0);
	xs_object_t *m = xs_int64_create(-1), *big = xs_uint64_create(UINT64_MAX);

	XS_ASSERT_TRUE(a && b && i && u && n1 && n2 && z && nz && f1 && f2);
	XS_EXPECT_TRUE(xs_equal(i, u));		/* same wire value */
	XS_EXPECT_TRUE(xs_equal(u, i));
	XS_EXPECT_FALSE(xs_equal(m, big));	/* -1 is not 2^64-1 */
	XS_EXPECT_TRUE(xs_equal(n1, n2));	/* one NaN on the wire */
	XS_EXPECT_FALSE(xs_equal(z, nz));	/* -0.0 is kept */
	XS_EXPECT_TRUE(xs_equal(f1, f1));
	XS_EXPECT_FALSE(xs_equal(f1, f2));	/* fds: identity, as in XPC */
	XS_EXPECT_FALSE(xs_equal(i, z));

	/* Dictionaries: as sets, whatever the insertion order. */
	xs_dictionary_set_int64(a, "x", 1);
	xs_dictionary_set_string(a, "y", "why");
	xs_dictionary_set_string(b, "y", "why");
	xs_dictionary_set_uint64(b, "x", 1);
	XS_EXPECT_TRUE(xs_equal(a, b));
	xs_dictionary_set_null(b, "z");
	XS_EXPECT_FALSE(xs_equal(a, b));
	xs_dictionary_set_null(a, "w");
	XS_EXPECT_FALSE(xs_equal(a, b));	/* same count, other keys */

	xs_release(a);
	xs_release(b);
	xs_release(i);
	xs_release(u);
	xs_release(n1);
	xs_release(n2);
	xs_release(z);
	xs_release(nz);
	xs_release(f1);
	xs_release(f2);
	xs_release(m);
	xs_release(big);
}

XT_TEST(description_looks_like_xpc)
{
	static const uint8_t id[16] = { 0x5e, 0xa5, 0xf2, 0xc0, 0, 0, 0, 0,
					0, 0, 0, 0, 0, 0, 0, 0xff };
	xs_object_t *d = xs_dictionary_create(), *a = xs_array_create();
	char *s;

	XS_ASSERT_TRUE(d && a);
	xs_dictionary_set_int64(d, "answer", 42);
	xs_dictionary_set_string(d, "quote", "say \"hi\"\n");
	xs_dictionary_set_date(d, "when", 1500000000LL * XS_NSEC_PER_SEC + 5);
	xs_dictionary_set_uuid(d, "id", id);
	xs_dictionary_set_data(d, "blob", "\x01\xff", 2);
	xs_dictionary_set_fd(d, "null", 0);
	xs_array_append_value(a, d);
	s = xs_copy_description(a);
	XS_ASSERT_TRUE(s);
	XS_EXPECT_TRUE(strstr(s, "<array: 0x") == s);
	XS_EXPECT_TRUE(strstr(s, "count = 1, contents ="));
	XS_EXPECT_TRUE(strstr(s, "\t\t\"answer\" => <int64: 0x"));
	XS_EXPECT_TRUE(strstr(s, ">: 42\n"));
	XS_EXPECT_TRUE(strstr(s, "contents = \"say \\\"hi\\\"\\n\""));
	XS_EXPECT_TRUE(strstr(s, "2017-07-14 02:40:00.000000005 UTC"));
	XS_EXPECT_TRUE(strstr(s, "5EA5F2C0-0000-0000-0000-0000000000FF"));
	XS_EXPECT_TRUE(strstr(s, "length = 2 bytes, contents = 0x01ff"));
	XS_EXPECT_TRUE(strstr(s, "{ fd = "));
	free(s);
	xs_release(a);
	xs_release(d);
}

XT_TEST(deep_objects_are_bounded)
{
	xs_object_t *root = xs_array_create(), *cur = root, *next, *other;
	struct xs_buf buf;
	struct xs_ool ool;
	char *s;
	int i;

	/* 200000 levels: freeing, comparing, describing must not recurse. */
	XS_ASSERT_TRUE(root);
	for (i = 0; i < 200000; i++) {
		next = xs_array_create();
		XS_ASSERT_TRUE(next);
		XS_ASSERT_EQ(xs_array_append_value(cur, next), 0);
		xs_release(next);
		cur = next;
	}
	xs_buf_init(&buf);
	xs_ool_init(&ool);
	XS_EXPECT_EQ(xs_encode_value(root, &buf, &ool), -ELOOP);
	XS_EXPECT_EQ(buf.len, 0);
	other = xs_retain(root);
	XS_EXPECT_TRUE(xs_equal(root, other));	/* same object */
	s = xs_copy_description(root);
	XS_ASSERT_TRUE(s);
	XS_EXPECT_TRUE(strstr(s, "..."));
	free(s);
	xs_release(other);
	xs_buf_release(&buf);
	xs_ool_release(&ool);
	xs_release(root);
}

XT_TEST(cycles_do_not_hang)
{
	xs_object_t *a = xs_array_create(), *d = xs_dictionary_create();
	struct xs_buf buf;
	struct xs_ool ool;
	char *s;

	/*
	 * A cycle through two containers is caller misuse that we cannot
	 * cheaply refuse; it must not hang or crash: encode says -ELOOP.
	 */
	XS_ASSERT_TRUE(a && d);
	XS_ASSERT_EQ(xs_array_append_value(a, d), 0);
	XS_ASSERT_EQ(xs_dictionary_set_value(d, "loop", a), 0);
	xs_buf_init(&buf);
	xs_ool_init(&ool);
	XS_EXPECT_EQ(xs_encode(d, &buf, &ool), -ELOOP);
	XS_EXPECT_FALSE(xs_equal(a, xs_array_get_value(a, 0)));
	s = xs_copy_description(d);
	XS_EXPECT_TRUE(s != NULL);
	free(s);
	/* Break the cycle so that the test does not leak. */
	XS_ASSERT_EQ(xs_dictionary_remove(d, "loop"), 0);
	xs_release(a);
	xs_release(d);
	xs_buf_release(&buf);
	xs_ool_release(&ool);
}
