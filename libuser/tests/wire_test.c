// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Messages on the wire (xs_wire.c) and body references (xs_codec.c):
 * the item table and its limit, bodies moved into sealed memfds and
 * decoded from them, every kind of hostile body reference failing
 * cleanly, the threshold's parsing, and the memfd pool (classes, stock,
 * bounds, threads, fork).
 *
 * Linked into codec_test (so the host pass runs it under ASan/UBSan) and
 * built alone with TSan (wire_test-tsan, `make -C libuser/tests run`).
 * Every test checks that no fd and no memory leaked (t_util.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "t_util.h"
#include "xs_codec.h"
#include "xs_object.h"
#include "xs_wire.h"

#define WT_SEALS	(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

/* @hex, as a whole payload, fails to decode against table @t. */
#define XT_REFUSED_BODY(hex, t)						\
	do {								\
		size_t _l;						\
		uint8_t *_p = xt_unhex((hex), &_l);			\
		xs_object_t *_o = (xs_object_t *)1;			\
		XS_EXPECT_EQ(xs_decode(_p, _l, (t)->fds, WT_NR, &_o),	\
			     -EBADMSG);					\
		XS_EXPECT_TRUE(_o == NULL);					\
		free(_p);						\
	} while (0)

/* ---- helpers ---- */

/* A memfd holding @len bytes of @p, with @seals added. */
static int wt_memfd(const void *p, size_t len, int seals)
{
	int fd = memfd_create("wt", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if ((len && write(fd, p, len) != (ssize_t)len) ||
	    (seals && fcntl(fd, F_ADD_SEALS, seals))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The encoding of @d (a dictionary) in a malloc'd buffer. */
static uint8_t *wt_encode(const xs_object_t *d, size_t *len)
{
	struct xs_buf b;
	struct xs_ool o;

	xs_buf_init(&b);
	xs_ool_init(&o);
	if (xs_encode(d, &b, &o)) {
		xs_buf_release(&b);
		b.data = NULL;
	}
	xs_ool_release(&o);
	*len = b.len;
	return b.data;
}

/* A body reference as a malloc'd payload. */
static uint8_t *wt_ref(size_t index, uint64_t len, size_t *plen)
{
	struct xs_buf b;

	xs_buf_init(&b);
	if (xs_encode_body_ref(&b, index, len))
		abort();
	*plen = b.len;
	return b.data;
}

/* xs_decode() of a body reference to @fds[@index] claiming @len bytes. */
static int wt_decode_ref(size_t index, uint64_t len, const int *fds,
			 size_t nr, xs_object_t **out)
{
	size_t plen;
	uint8_t *p = wt_ref(index, len, &plen);
	int ret = xs_decode(p, plen, fds, nr, out);

	free(p);
	return ret;
}

static bool wt_same_file(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* A dictionary with @n bytes of data under "blob" and a small key. */
static xs_object_t *wt_big_dict(size_t n)
{
	xs_object_t *d = xs_dictionary_create();
	uint8_t *data = malloc(n ? n : 1);
	size_t i;

	if (!d || !data)
		abort();
	for (i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 12));
	xs_dictionary_set_data(d, "blob", data, n);
	xs_dictionary_set_string(d, "name", "large");
	free(data);
	return d;
}

/*
 * Lets the pool's thread finish what it was asked for, then empties the
 * pool: its memfds would count as leaked fds (t_util.h).
 */
static void wt_pool_settle(void)
{
	struct xs_pool_stats st;
	int i;

	for (i = 0; i < 1000; i++) {
		xs_pool_get_stats(&st);
		if (!st.busy)
			break;
		usleep(5000);
	}
	xs_pool_flush();
}

/* ---- the body reference itself ---- */

XT_TEST(body_reference_bytes)
{
	uint64_t index, len;
	size_t plen;
	uint8_t *p;
	char *hex;

	/* tag 0x78734f4c, [2, 3, 300000]: what any CBOR library reads. */
	p = wt_ref(3, 300000, &plen);
	hex = xt_hex(p, plen);
	XS_EXPECT_STREQ(hex, "da78734f4c8302031a000493e0");
	XS_EXPECT_EQ(xs_body_ref_parse(p, plen, &index, &len), 1);
	XS_EXPECT_EQ(index, 3);
	XS_EXPECT_EQ(len, 300000);
	/* One byte more or less is not a body reference any more. */
	XS_EXPECT_EQ(xs_body_ref_parse(p, plen - 1, &index, &len), -EBADMSG);
	free(hex);
	free(p);

	/* Shapes that are something else are left to the decoder. */
	p = xt_unhex("da78734f4c 82 00 00", &plen);		/* an fd */
	XS_EXPECT_EQ(xs_body_ref_parse(p, plen, &index, &len), 0);
	free(p);
	p = xt_unhex("a0", &plen);				/* a map */
	XS_EXPECT_EQ(xs_body_ref_parse(p, plen, &index, &len), 0);
	free(p);
	XS_EXPECT_EQ(xs_body_ref_parse(NULL, 0, &index, &len), 0);
	/* Non-shortest heads are still a body reference. */
	p = xt_unhex("db0000000078734f4c 83 02 1800 1b0000000000000001",
		     &plen);
	XS_EXPECT_EQ(xs_body_ref_parse(p, plen, &index, &len), 1);
	XS_EXPECT_EQ(index, 0);
	XS_EXPECT_EQ(len, 1);
	free(p);
}

/* A message with an fd, a shmem and 300 000 bytes, out of line. */
XT_TEST(wire_moves_a_large_message_out_of_line)
{
	xs_object_t *d = wt_big_dict(300000), *back = NULL, *o;
	int devnull, fds[XS_ITEMS_MAX], seals;
	const uint8_t *payload;
	uint64_t index, blen;
	struct xs_wire w;
	struct stat st;
	size_t plen, n;
	uint32_t i;
	char *map;

	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	XS_ASSERT_GE(devnull, 0);
	xs_dictionary_set_fd(d, "fd", devnull);
	close(devnull);
	o = xs_shmem_create_with_bytes("shared", 6);
	XS_ASSERT_TRUE(o != NULL);
	xs_dictionary_set_value(d, "shm", o);
	xs_release(o);

	xs_wire_init(&w);
	XS_ASSERT_EQ(xs_wire_encode(&w, d), 0);
	XS_EXPECT_FALSE(xs_wire_is_out(&w));
	/* Keys in wire order: "fd" then "shm" (shorter first). */
	XS_ASSERT_EQ(w.nr_items, 2);
	XS_EXPECT_EQ(w.items[0].type, XS_ITEM_FD);
	XS_EXPECT_EQ(w.items[1].type, XS_ITEM_MEMFD);
	XS_EXPECT_EQ(w.items[0].size, 0);
	XS_EXPECT_EQ(w.items[0].reserved, 0);
	XS_EXPECT_GT(w.body_len, 300000);

	XS_ASSERT_EQ(xs_wire_body_out(&w), 0);
	XS_ASSERT_TRUE(xs_wire_is_out(&w));
	XS_ASSERT_EQ(w.nr_items, 3);
	XS_EXPECT_EQ(w.items[2].type, XS_ITEM_MEMFD);
	XS_EXPECT_EQ(w.items[2].fd, w.body_fd);
	/* A second call changes nothing. */
	XS_EXPECT_EQ(xs_wire_body_out(&w), 0);
	XS_EXPECT_EQ(w.nr_items, 3);

	/* The payload is the reference, a dozen bytes. */
	payload = xs_wire_payload(&w, &plen);
	XS_EXPECT_LT(plen, 16);
	XS_ASSERT_EQ(xs_body_ref_parse(payload, plen, &index, &blen), 1);
	XS_EXPECT_EQ(index, 2);
	XS_EXPECT_EQ(blen, w.body_len);

	/* The body: sealed, exactly its length, every page there. */
	seals = fcntl(w.body_fd, F_GET_SEALS);
	XS_EXPECT_EQ(seals & WT_SEALS, WT_SEALS);
	XS_ASSERT_EQ(fstat(w.body_fd, &st), 0);
	XS_EXPECT_EQ((uint64_t)st.st_size, w.body_len);
	XS_EXPECT_GE((uint64_t)st.st_blocks * 512, w.body_len);
	/* Nobody can write it any more, even through a new mapping. */
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, w.body_fd,
		   0);
	XS_EXPECT_TRUE(map == MAP_FAILED);
	XS_EXPECT_EQ(pwrite(w.body_fd, "x", 1, 0), -1);

	for (i = 0; i < w.nr_items; i++)
		fds[i] = w.items[i].fd;
	XS_ASSERT_EQ(xs_decode(payload, plen, fds, w.nr_items, &back), 0);
	XS_ASSERT_EQ(xs_get_type(back), XS_TYPE_DICTIONARY);
	XS_EXPECT_EQ(xs_dictionary_get_count(back), 4);
	XS_EXPECT_TRUE(xs_equal(xs_dictionary_get_value(back, "blob"),
				xs_dictionary_get_value(d, "blob")));
	XS_EXPECT_STREQ(xs_dictionary_get_string(back, "name"), "large");
	o = xs_dictionary_get_value(back, "fd");
	XS_EXPECT_TRUE(wt_same_file(xs_fd_peek(o), fds[0]));
	o = xs_dictionary_get_value(back, "shm");
	XS_EXPECT_TRUE(wt_same_file(xs_fd_peek(o), fds[1]));
	map = xs_shmem_map(o, &n);
	XS_ASSERT_TRUE(map != NULL);
	XS_EXPECT_MEMEQ(map, "shared", 6);
	munmap(map, n);

	xs_release(back);
	xs_release(d);
	xs_wire_release(&w);
	XS_EXPECT_EQ(w.body_fd, -1);
	wt_pool_settle();
}

XT_TEST(small_messages_stay_inline)
{
	xs_object_t *d = wt_big_dict(10), *back = NULL;
	const void *payload;
	struct xs_wire w;
	size_t plen;

	xs_wire_init(&w);
	XS_ASSERT_EQ(xs_wire_encode(&w, d), 0);
	payload = xs_wire_payload(&w, &plen);
	XS_EXPECT_EQ(plen, w.body_len);
	XS_EXPECT_EQ(w.nr_items, 0);
	XS_ASSERT_EQ(xs_decode(payload, plen, NULL, 0, &back), 0);
	XS_EXPECT_TRUE(xs_equal(back, d));
	xs_release(back);
	/* Any size may go out of line (XS_LARGE_THRESHOLD=0 does that). */
	XS_ASSERT_EQ(xs_wire_body_out(&w), 0);
	payload = xs_wire_payload(&w, &plen);
	XS_ASSERT_EQ(xs_decode(payload, plen, &w.items[0].fd, 1, &back), 0);
	XS_EXPECT_TRUE(xs_equal(back, d));
	xs_release(back);
	xs_release(d);
	xs_wire_release(&w);
	wt_pool_settle();
}

/* ---- hostile body references ---- */

/*
 * Each case decodes a body reference against a table of: [0] a good
 * body, [1] /dev/null, [2] the same bytes unsealed, [3] sealed against
 * writing only, [4] sealed but sparse (no pages), [5] a good body that
 * is an array, [6] a good body holding a body reference, [7] a good body
 * with a byte of garbage after the map, [8] a good body that refers to
 * item 0 as an fd, [9] a good body that refers to itself as an fd, [10]
 * a good body that is not CBOR.
 */
#define WT_NR	11

struct wt_table {
	int fds[WT_NR];
	uint64_t size[WT_NR];		/* each memfd's size */
	size_t good_len;
};

static void wt_table_open(struct wt_table *t)
{
	xs_object_t *d = xs_dictionary_create();
	uint8_t *good, *with_ref, buf[64];
	size_t len, rlen;
	int i;

	xs_dictionary_set_int64(d, "k", 1);
	good = wt_encode(d, &len);
	xs_release(d);
	if (!good)
		abort();
	t->good_len = len;
	t->fds[0] = wt_memfd(good, len, WT_SEALS);
	t->fds[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	t->fds[2] = wt_memfd(good, len, 0);
	t->fds[3] = wt_memfd(good, len, F_SEAL_WRITE);
	t->fds[4] = wt_memfd(NULL, 0, 0);
	if (t->fds[4] >= 0 && (ftruncate(t->fds[4], (off_t)len) ||
			       fcntl(t->fds[4], F_ADD_SEALS, WT_SEALS)))
		abort();
	t->fds[5] = wt_memfd("\x81\x01", 2, WT_SEALS);		/* [1] */
	/* {"b": body ref to item 0} */
	with_ref = wt_ref(0, len, &rlen);
	buf[0] = 0xa1;
	buf[1] = 0x61;
	buf[2] = 'b';
	memcpy(buf + 3, with_ref, rlen);
	t->fds[6] = wt_memfd(buf, 3 + rlen, WT_SEALS);
	free(with_ref);
	memcpy(buf, good, len);
	buf[len] = 0x00;
	t->fds[7] = wt_memfd(buf, len + 1, WT_SEALS);
	/* {"f": fd 0}, {"f": fd 9} */
	t->fds[8] = wt_memfd("\xa1\x61" "f" "\xda\x78\x73\x4f\x4c\x82\x00\x00",
			     11, WT_SEALS);
	t->fds[9] = wt_memfd("\xa1\x61" "f" "\xda\x78\x73\x4f\x4c\x82\x00\x09",
			     11, WT_SEALS);
	t->fds[10] = wt_memfd("\xff\xff", 2, WT_SEALS);
	free(good);
	for (i = 0; i < WT_NR; i++) {
		struct stat st;

		if (t->fds[i] < 0 || fstat(t->fds[i], &st))
			abort();
		t->size[i] = (uint64_t)st.st_size;
	}
}

static void wt_table_close(struct wt_table *t)
{
	int i;

	for (i = 0; i < WT_NR; i++)
		close(t->fds[i]);
}

#define WT_REFUSED(t, index, len, err)					\
	do {								\
		xs_object_t *_o = (xs_object_t *)1;			\
		XS_EXPECT_EQ(wt_decode_ref((index), (len), (t)->fds,	\
					   WT_NR, &_o), (err));		\
		XS_EXPECT_TRUE(_o == NULL);					\
	} while (0)

XT_TEST(hostile_body_references_fail_cleanly)
{
	struct wt_table t;
	size_t len, plen;
	xs_object_t *o = NULL;
	uint8_t *p;

	wt_table_open(&t);
	len = t.good_len;

	/* The good one decodes, and only through xs_decode(). */
	XS_ASSERT_EQ(wt_decode_ref(0, len, t.fds, WT_NR, &o), 0);
	XS_EXPECT_EQ(xs_dictionary_get_int64(o, "k"), 1);
	xs_release(o);
	p = wt_ref(0, len, &plen);
	XS_EXPECT_EQ(xs_decode_value(p, plen, t.fds, WT_NR, &o), -EBADMSG);
	XS_EXPECT_TRUE(o == NULL);
	free(p);
	/* A body may use the rest of the table. */
	XS_ASSERT_EQ(wt_decode_ref(8, t.size[8], t.fds, WT_NR, &o), 0);
	XS_EXPECT_TRUE(wt_same_file(xs_fd_peek(xs_dictionary_get_value(o,
				"f")), t.fds[0]));
	xs_release(o);

	WT_REFUSED(&t, WT_NR, len, -EBADMSG);		/* out of range */
	WT_REFUSED(&t, 0, len + 1, -EBADMSG);		/* wrong length */
	WT_REFUSED(&t, 0, len - 1, -EBADMSG);
	WT_REFUSED(&t, 0, 0, -EBADMSG);
	WT_REFUSED(&t, 1, len, -EBADMSG);		/* not a memfd */
	WT_REFUSED(&t, 2, len, -EBADMSG);		/* unsealed */
	WT_REFUSED(&t, 3, len, -EBADMSG);		/* half sealed */
	WT_REFUSED(&t, 4, len, -EBADMSG);		/* sparse */
	WT_REFUSED(&t, 5, t.size[5], -EBADMSG);		/* not a map */
	WT_REFUSED(&t, 6, t.size[6], -EBADMSG);		/* nested ref */
	WT_REFUSED(&t, 7, t.size[7], -EBADMSG);		/* trailing byte */
	WT_REFUSED(&t, 9, t.size[9], -EBADMSG);		/* itself as fd */
	WT_REFUSED(&t, 10, t.size[10], -EBADMSG);	/* not CBOR */
	/* Too large to map, whatever the item: checked first. */
	WT_REFUSED(&t, 0, XS_CODEC_BODY_MAX + 1, -E2BIG);
	/* Without a table at all (the fuzzer's case, a peer's lie). */
	XS_EXPECT_EQ(wt_decode_ref(0, len, NULL, 0, &o), -EBADMSG);

	/* Anywhere but the whole payload. */
	XT_REFUSED_BODY("a1 6162 da78734f4c 83 02 00 03", &t);	/* in a map */
	XT_REFUSED_BODY("81 da78734f4c 83 02 00 03", &t);	/* in an array */
	XT_REFUSED_BODY("d9d9f7 da78734f4c 83 02 00 03", &t);	/* tagged */
	XT_REFUSED_BODY("da78734f4c 83 02 00 03 a0", &t);	/* then more */
	XT_REFUSED_BODY("da78734f4c 82 02 00", &t);		/* no length */
	XT_REFUSED_BODY("da78734f4c 84 02 00 03 00", &t);	/* too long */
	XT_REFUSED_BODY("da78734f4c 83 02 20 03", &t);		/* index -1 */
	XT_REFUSED_BODY("da78734f4c 83 02 00 6133", &t);	/* text len */
	XT_REFUSED_BODY("da78734f4c 83 02 1bffffffffffffffff 03", &t);
	wt_table_close(&t);
}

/* ---- the item table ---- */

/* A dictionary with @n fd objects (all /dev/null). */
static xs_object_t *wt_fds_dict(int n)
{
	xs_object_t *d = xs_dictionary_create();
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), i;
	char key[16];

	if (!d || fd < 0)
		abort();
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "fd%d", i);
		if (xs_dictionary_set_fd(d, key, fd))
			abort();
	}
	close(fd);
	return d;
}

XT_TEST(items_table_holds_at_most_XS_ITEMS_MAX)
{
	xs_object_t *d;
	struct xs_wire w;

	/* 63 objects and the body: 64 items, the most a message has. */
	d = wt_fds_dict(XS_ITEMS_MAX - 1);
	xs_wire_init(&w);
	XS_ASSERT_EQ(xs_wire_encode(&w, d), 0);
	XS_EXPECT_EQ(w.nr_items, XS_ITEMS_MAX - 1);
	XS_EXPECT_EQ(xs_wire_body_out(&w), 0);
	XS_EXPECT_EQ(w.nr_items, XS_ITEMS_MAX);
	xs_wire_release(&w);
	xs_release(d);

	/* 64 objects fit, but leave no slot for a body. */
	d = wt_fds_dict(XS_ITEMS_MAX);
	xs_wire_init(&w);
	XS_ASSERT_EQ(xs_wire_encode(&w, d), 0);
	XS_EXPECT_EQ(w.nr_items, XS_ITEMS_MAX);
	XS_EXPECT_EQ(w.items[XS_ITEMS_MAX - 1].type, XS_ITEM_FD);
	XS_EXPECT_EQ(xs_wire_body_out(&w), -E2BIG);
	XS_EXPECT_FALSE(xs_wire_is_out(&w));
	XS_EXPECT_EQ(w.nr_items, XS_ITEMS_MAX);
	xs_wire_release(&w);
	xs_release(d);

	/* 65 cannot travel at all; the count says why. */
	d = wt_fds_dict(XS_ITEMS_MAX + 1);
	xs_wire_init(&w);
	XS_EXPECT_EQ(xs_wire_encode(&w, d), -E2BIG);
	XS_EXPECT_EQ(w.ool.count, XS_ITEMS_MAX + 1);
	xs_wire_release(&w);
	xs_release(d);

	/* 1 000: still an error, not a crash. */
	d = wt_fds_dict(1000);
	xs_wire_init(&w);
	XS_EXPECT_EQ(xs_wire_encode(&w, d), -E2BIG);
	xs_wire_release(&w);
	xs_release(d);
	wt_pool_settle();
}

XT_TEST(body_larger_than_the_maximum_is_refused)
{
	xs_object_t *d = wt_big_dict(16);
	struct xs_wire w;
	size_t real;

	xs_wire_init(&w);
	XS_ASSERT_EQ(xs_wire_encode(&w, d), 0);
	/* Checked before anything is written: pretend it is that large. */
	real = w.body.len;
	w.body.len = (size_t)XS_CODEC_BODY_MAX + 1;
	XS_EXPECT_EQ(xs_wire_body_out(&w), -EMSGSIZE);
	XS_EXPECT_FALSE(xs_wire_is_out(&w));
	w.body.len = real;
	xs_wire_release(&w);
	xs_release(d);
}

/* ---- the threshold ---- */

XT_TEST(sizes_parse_strictly)
{
	size_t v = 7;

	XS_EXPECT_EQ(xs_parse_size("0", &v), 0);
	XS_EXPECT_EQ(v, 0);
	XS_EXPECT_EQ(xs_parse_size("262144", &v), 0);
	XS_EXPECT_EQ(v, 262144);
	XS_EXPECT_EQ(xs_parse_size("64k", &v), 0);
	XS_EXPECT_EQ(v, 65536);
	XS_EXPECT_EQ(xs_parse_size("4M", &v), 0);
	XS_EXPECT_EQ(v, 4u << 20);
	XS_EXPECT_EQ(xs_parse_size("1g", &v), 0);
	XS_EXPECT_EQ(v, 1u << 30);
	v = 7;
	XS_EXPECT_EQ(xs_parse_size("", &v), -EINVAL);
	XS_EXPECT_EQ(xs_parse_size("k", &v), -EINVAL);
	XS_EXPECT_EQ(xs_parse_size("-1", &v), -EINVAL);
	XS_EXPECT_EQ(xs_parse_size(" 1", &v), -EINVAL);
	XS_EXPECT_EQ(xs_parse_size("1 ", &v), -EINVAL);
	XS_EXPECT_EQ(xs_parse_size("1kb", &v), -EINVAL);
	XS_EXPECT_EQ(xs_parse_size("1.5M", &v), -EINVAL);
	XS_EXPECT_EQ(xs_parse_size("0x10", &v), -EINVAL);
	XS_EXPECT_EQ(xs_parse_size("99999999999999999999", &v), -EINVAL);
	XS_EXPECT_EQ(xs_parse_size("17179869184G", &v), -EINVAL);
	XS_EXPECT_EQ(xs_parse_size(NULL, &v), -EINVAL);
	XS_EXPECT_EQ(v, 7);
}

/* The environment is read once per process: each case in a child. */
static size_t wt_threshold_with(const char *env)
{
	int pipefd[2];
	size_t v = 0;
	pid_t pid;

	if (pipe(pipefd))
		abort();
	pid = fork();
	if (!pid) {
		if (env)
			setenv("XS_LARGE_THRESHOLD", env, 1);
		else
			unsetenv("XS_LARGE_THRESHOLD");
		v = xs_large_threshold();
		_exit(write(pipefd[1], &v, sizeof(v)) == sizeof(v) ? 0 : 1);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &v, sizeof(v)) != sizeof(v))
		v = (size_t)-1;
	close(pipefd[0]);
	waitpid(pid, NULL, 0);
	return v;
}

XT_TEST(threshold_comes_from_the_environment)
{
	XS_EXPECT_EQ(wt_threshold_with(NULL), XS_LARGE_THRESHOLD_DEFAULT);
	XS_EXPECT_EQ(wt_threshold_with("0"), 0);
	XS_EXPECT_EQ(wt_threshold_with("1M"), 1u << 20);
	XS_EXPECT_EQ(wt_threshold_with("100000"), 100000);
	/* Unreadable values keep the default rather than guess. */
	XS_EXPECT_EQ(wt_threshold_with("lots"), XS_LARGE_THRESHOLD_DEFAULT);
	XS_EXPECT_EQ(wt_threshold_with(""), XS_LARGE_THRESHOLD_DEFAULT);
}

/* ---- the pool ---- */

XT_TEST(pool_classes_are_close_together)
{
	size_t len, c, prev = 0;

	XS_EXPECT_EQ(xs_pool_class_size(1), 0);
	XS_EXPECT_EQ(xs_pool_class_size(XS_POOL_CLASS_MIN - 1), 0);
	XS_EXPECT_EQ(xs_pool_class_size(XS_POOL_CLASS_MIN), XS_POOL_CLASS_MIN);
	XS_EXPECT_EQ(xs_pool_class_size(XS_POOL_CLASS_MIN + 1),
		     XS_POOL_CLASS_MIN * 5 / 4);
	XS_EXPECT_EQ(xs_pool_class_size(XS_POOL_CLASS_MAX), XS_POOL_CLASS_MAX);
	XS_EXPECT_EQ(xs_pool_class_size(XS_POOL_CLASS_MAX + 1), 0);
	/* Every length fits its class, which wastes less than a fifth. */
	for (len = XS_POOL_CLASS_MIN; len <= XS_POOL_CLASS_MAX;
	     len += len / 7 + 1) {
		c = xs_pool_class_size(len);
		XS_EXPECT_GE(c, len);
		XS_EXPECT_LT((c - len) * 5, c);
		XS_EXPECT_GE(c, prev);
		prev = c;
	}
}

/* Waits (at most 5 s) until the pool has @n memfds ready. */
static bool wt_pool_wait_idle(size_t n)
{
	struct xs_pool_stats st;
	int i;

	for (i = 0; i < 500; i++) {
		xs_pool_get_stats(&st);
		if (st.idle >= n)
			return true;
		usleep(10000);
	}
	return false;
}

/* @fd holds exactly @len bytes of @want, sealed. */
static bool wt_body_is(int fd, const void *want, size_t len)
{
	struct stat st;
	bool ok;
	void *p;

	if ((fcntl(fd, F_GET_SEALS) & WT_SEALS) != WT_SEALS ||
	    fstat(fd, &st) || (size_t)st.st_size != len ||
	    (size_t)st.st_blocks * 512 < len)
		return false;
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return false;
	ok = !memcmp(p, want, len);
	munmap(p, len);
	return ok;
}

XT_TEST(pool_restocks_what_was_used)
{
	size_t len = XS_POOL_CLASS_MIN + 300000, i;
	struct xs_pool_stats st0, st;
	uint8_t *bytes = malloc(len);
	int fd;

	XS_ASSERT_TRUE(bytes != NULL);
	for (i = 0; i < len; i++)
		bytes[i] = (uint8_t)(i ^ (i >> 8));
	xs_pool_flush();
	xs_pool_get_stats(&st0);
	XS_EXPECT_EQ(st0.idle, 0);

	/* The first body of a class finds nothing ready... */
	fd = xs_body_memfd(bytes, len);
	XS_ASSERT_GE(fd, 0);
	XS_EXPECT_TRUE(wt_body_is(fd, bytes, len));
	close(fd);
	xs_pool_get_stats(&st);
	XS_EXPECT_EQ(st.misses, st0.misses + 1);
	XS_EXPECT_TRUE(st.thread);

	/* ...and asks the thread for XS_POOL_DEPTH of its class. */
	XS_ASSERT_TRUE(wt_pool_wait_idle(XS_POOL_DEPTH));
	xs_pool_get_stats(&st);
	XS_EXPECT_EQ(st.idle, XS_POOL_DEPTH);
	XS_EXPECT_EQ(st.idle_bytes, XS_POOL_DEPTH * xs_pool_class_size(len));

	/* The next one is written into a ready memfd, cut to its length. */
	fd = xs_body_memfd(bytes, len - 1000);
	XS_ASSERT_GE(fd, 0);
	XS_EXPECT_TRUE(wt_body_is(fd, bytes, len - 1000));
	close(fd);
	xs_pool_get_stats(&st);
	XS_EXPECT_EQ(st.hits, st0.hits + 1);

	/* Bodies below the smallest class never touch the pool. */
	fd = xs_body_memfd(bytes, 1);
	XS_ASSERT_GE(fd, 0);
	XS_EXPECT_TRUE(wt_body_is(fd, bytes, 1));
	close(fd);
	fd = xs_body_memfd(bytes, XS_POOL_CLASS_MIN - 1);
	XS_ASSERT_GE(fd, 0);
	XS_EXPECT_TRUE(wt_body_is(fd, bytes, XS_POOL_CLASS_MIN - 1));
	close(fd);
	xs_pool_get_stats(&st);
	XS_EXPECT_EQ(st.hits + st.misses, st0.hits + st0.misses + 2);
	XS_EXPECT_EQ(xs_body_memfd(bytes, 0), -EINVAL);

	wt_pool_settle();
	xs_pool_get_stats(&st);
	XS_EXPECT_EQ(st.idle, 0);
	XS_EXPECT_EQ(st.idle_bytes, 0);
	free(bytes);
}

XT_TEST(pool_stays_within_its_bounds)
{
	struct xs_pool_stats st;
	size_t len, total = 0;
	uint8_t byte = 0x42;
	int fd, round;

	xs_pool_flush();
	/* Ask for every class, twice: far more than the byte bound. */
	for (round = 0; round < 2; round++) {
		for (len = XS_POOL_CLASS_MIN; len <= XS_POOL_CLASS_MAX;
		     len = xs_pool_class_size(len) + 1) {
			uint8_t *b = calloc(1, len);

			XS_ASSERT_TRUE(b != NULL);
			b[len - 1] = byte;
			fd = xs_body_memfd(b, len);
			XS_ASSERT_GE(fd, 0);
			close(fd);
			free(b);
			xs_pool_get_stats(&st);
			XS_EXPECT_LE(st.idle_bytes, XS_POOL_MAX_BYTES);
		}
		usleep(200000);
	}
	xs_pool_get_stats(&st);
	XS_EXPECT_LE(st.idle_bytes, XS_POOL_MAX_BYTES);
	XS_EXPECT_LE(st.idle, XS_POOL_CLASSES * XS_POOL_DEPTH);
	total = st.idle;
	xs_diag("pool after every class: %zu memfds, %zu KiB", total,
		st.idle_bytes >> 10);
	wt_pool_settle();
}

struct wt_worker {
	int id;
	int bad;
};

static void *wt_sender(void *arg)
{
	struct wt_worker *wk = arg;
	size_t len, i;
	uint8_t *b;
	int n, fd;

	for (n = 0; n < 25; n++) {
		len = 1000 + (size_t)((wk->id * 7919 + n * 104729) %
				      (3u << 20));
		b = malloc(len);
		if (!b) {
			wk->bad++;
			continue;
		}
		for (i = 0; i < len; i++)
			b[i] = (uint8_t)(wk->id + n + i);
		fd = xs_body_memfd(b, len);
		if (fd < 0 || !wt_body_is(fd, b, len))
			wk->bad++;
		if (fd >= 0)
			close(fd);
		free(b);
	}
	return NULL;
}

XT_TEST_TIMEOUT(pool_serves_many_threads, 60)
{
	struct wt_worker wk[8];
	pthread_t t[8];
	int i;

	for (i = 0; i < 8; i++) {
		wk[i] = (struct wt_worker){ .id = i };
		XS_ASSERT_EQ(pthread_create(&t[i], NULL, wt_sender, &wk[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		XS_EXPECT_EQ(wk[i].bad, 0);
	}
	wt_pool_settle();
}

/* A forked child must not write into the parent's ready memfds. */
XT_TEST(pool_is_not_shared_with_a_forked_child)
{
	static uint8_t bytes[XS_POOL_CLASS_MIN];
	struct xs_pool_stats st;
	int fd, status;
	pid_t pid;

#if defined(__SANITIZE_THREAD__)
	XS_SKIP("TSan cannot start threads in a forked child");
#endif
	memset(bytes, 0x11, sizeof(bytes));
	xs_pool_flush();
	fd = xs_body_memfd(bytes, sizeof(bytes));
	XS_ASSERT_GE(fd, 0);
	close(fd);
	XS_ASSERT_TRUE(wt_pool_wait_idle(XS_POOL_DEPTH));
	pid = fork();
	XS_ASSERT_GE(pid, 0);
	if (!pid) {
		/* The child starts with an empty pool, and it works. */
		xs_pool_get_stats(&st);
		if (st.idle || st.thread)
			_exit(1);
		fd = xs_body_memfd(bytes, sizeof(bytes));
		if (fd < 0 || !wt_body_is(fd, bytes, sizeof(bytes)))
			_exit(2);
		_exit(0);
	}
	XS_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	XS_EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The parent's stock is untouched. */
	xs_pool_get_stats(&st);
	XS_EXPECT_EQ(st.idle, XS_POOL_DEPTH);
	wt_pool_settle();
}

/* XS_BODY_POOL=0: every body gets a memfd of its own, no thread. */
XT_TEST(pool_can_be_turned_off)
{
	static uint8_t bytes[XS_POOL_CLASS_MIN];
	struct xs_pool_stats st;
	int fd, status, i;
	pid_t pid;

	pid = fork();
	XS_ASSERT_GE(pid, 0);
	if (!pid) {
		setenv("XS_BODY_POOL", "0", 1);
		for (i = 0; i < 3; i++) {
			fd = xs_body_memfd(bytes, sizeof(bytes));
			if (fd < 0 || !wt_body_is(fd, bytes, sizeof(bytes)))
				_exit(1);
			close(fd);
		}
		xs_pool_get_stats(&st);
		_exit(st.thread || st.idle || st.hits || st.misses ? 2 : 0);
	}
	XS_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	XS_EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* After XS_POOL_IDLE_SEC without a body, the memory goes back. */
XT_TEST_TIMEOUT(pool_gives_memory_back_when_idle, XS_POOL_IDLE_SEC + 20)
{
	static uint8_t bytes[XS_POOL_CLASS_MIN];
	struct xs_pool_stats st;
	int fd, i;

	fd = xs_body_memfd(bytes, sizeof(bytes));
	XS_ASSERT_GE(fd, 0);
	close(fd);
	XS_ASSERT_TRUE(wt_pool_wait_idle(XS_POOL_DEPTH));
	for (i = 0; i < (XS_POOL_IDLE_SEC + 10) * 10; i++) {
		xs_pool_get_stats(&st);
		if (!st.thread)
			break;
		usleep(100000);
	}
	XS_EXPECT_FALSE(st.thread);
	XS_EXPECT_EQ(st.idle, 0);
	XS_EXPECT_EQ(st.idle_bytes, 0);
	xs_diag("pool idle after %.1f s", i / 10.0);
	/* And it comes back on the next body. */
	fd = xs_body_memfd(bytes, sizeof(bytes));
	XS_ASSERT_GE(fd, 0);
	XS_EXPECT_TRUE(wt_body_is(fd, bytes, sizeof(bytes)));
	close(fd);
	xs_pool_get_stats(&st);
	XS_EXPECT_TRUE(st.thread);
	wt_pool_settle();
}
