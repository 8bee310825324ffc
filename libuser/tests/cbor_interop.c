// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The C half of the cbor2 interop test (cbor_interop.py runs it).
 *
 *   cbor_interop encode OUT
 *	Writes a captured message with every type, an fd and a shmem, to
 *	OUT; prints "ool_count=N" (the out-of-line table's size).
 *
 *   cbor_interop decode IN OUT
 *	Decodes the message Python wrote to IN, with an out-of-line table
 *	of [/dev/null, a sealed memfd holding XT_PY_SHMEM], checks the type
 *	of every key and what the fd and shmem lead to, and writes the
 *	message re-encoded by us (deterministic) to OUT for Python to
 *	check the values.  Exits 1 on any mismatch.
 *
 *   cbor_interop body-encode PAYLOAD BODY
 *	Sends a message with an fd out of line, as the library sends a
 *	large one: writes the payload (the body reference) to PAYLOAD and
 *	the sealed memfd's content to BODY; prints "ool_count=N".
 *
 *   cbor_interop body-decode PAYLOAD BODY
 *	Decodes a Python payload that refers to item 1, with the table
 *	[/dev/null, a sealed memfd holding BODY], and checks the values
 *	(XT_BODY_TEXT, "n": 7, the fd).  Exits 1 on any mismatch.
 *
 * The values are mirrored in cbor_interop.py: change both together.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xs_codec.h"
#include "xs_object.h"
#include "xs_wire.h"

#define XT_C_SHMEM	"shared memory from C"
#define XT_PY_SHMEM	"shared memory from Python"
#define XT_BODY_TEXT	"a body out of line"

static const uint8_t xt_uuid[16] = {
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
	0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21,
};

static int xt_failed;

static void xt_check(bool ok, const char *what)
{
	if (!ok) {
		printf("# C side: %s\n", what);
		xt_failed = 1;
	}
}

static int xt_write_file(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

static void *xt_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) || !(buf = malloc(n ? n : 1)) ||
	    fread(buf, 1, n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void xt_set(xs_object_t *d, const char *key, xs_object_t *v)
{
	if (!v || xs_dictionary_set_value(d, key, v)) {
		fprintf(stderr, "cannot build key %s\n", key);
		exit(2);
	}
	xs_release(v);
}

static xs_object_t *xt_array(xs_object_t **items, size_t n)
{
	xs_object_t *a = xs_array_create();
	size_t i;

	for (i = 0; i < n; i++) {
		xs_array_append_value(a, items[i]);
		xs_release(items[i]);
	}
	return a;
}

static int xt_encode(const char *out)
{
	xs_object_t *d = xs_dictionary_create(), *inner, *deep;
	struct xs_buf b;
	struct xs_ool ool;
	int fd;

	xt_set(d, "null", xs_null_create());
	xt_set(d, "true", xs_bool_create(true));
	xt_set(d, "false", xs_bool_create(false));
	xt_set(d, "int", xs_int64_create(-42));
	xt_set(d, "int_min", xs_int64_create(INT64_MIN));
	xt_set(d, "uint_max", xs_uint64_create(UINT64_MAX));
	xt_set(d, "double", xs_double_create(3.14159));
	xt_set(d, "half", xs_double_create(0.5));
	xt_set(d, "neg_zero", xs_double_create(-0.0));
	xt_set(d, "inf", xs_double_create(INFINITY));
	xt_set(d, "nan", xs_double_create(NAN));
	xt_set(d, "date", xs_date_create(1700000000123456789LL));
	xt_set(d, "date_s", xs_date_create(1700000000LL * XS_NSEC_PER_SEC));
	xt_set(d, "date_neg", xs_date_create(-1));
	xt_set(d, "data", xs_data_create("\x00\x01\xfe\xff", 4));
	xt_set(d, "string", xs_string_create("h\xc3\xa9llo, w\xc3\xb6rld \xe2\x9c\x93"));
	xt_set(d, "empty", xs_string_create(""));
	xt_set(d, "uuid", xs_uuid_create(xt_uuid));
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	xt_set(d, "fd", xs_fd_create(fd));
	close(fd);
	xt_set(d, "shmem", xs_shmem_create_with_bytes(XT_C_SHMEM,
						      strlen(XT_C_SHMEM)));
	xt_set(d, "array", xt_array((xs_object_t *[]){
		xs_int64_create(1), xs_string_create("two"),
		xt_array((xs_object_t *[]){ xs_double_create(3.5) }, 1),
		xs_dictionary_create() }, 4));
	deep = xs_dictionary_create();
	xt_set(deep, "deep", xs_bool_create(true));
	inner = xs_dictionary_create();
	xt_set(inner, "nested", deep);
	xt_set(d, "dict", inner);

	xs_buf_init(&b);
	xs_ool_init(&ool);
	if (xs_encode(d, &b, &ool) || xt_write_file(out, b.data, b.len))
		return 2;
	printf("ool_count=%zu\n", ool.count);
	xs_release(d);
	xs_buf_release(&b);
	xs_ool_release(&ool);
	return 0;
}

static int xt_sealed_memfd(const char *text)
{
	int fd = memfd_create("py-shmem", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)) {
		perror("memfd");
		exit(2);
	}
	return fd;
}

static const struct {
	const char *key;
	xs_type_t type;
} xt_py_types[] = {
	{ "null", XS_TYPE_NULL }, { "true", XS_TYPE_BOOL },
	{ "false", XS_TYPE_BOOL }, { "int", XS_TYPE_INT64 },
	{ "int_min", XS_TYPE_INT64 }, { "uint_max", XS_TYPE_UINT64 },
	{ "small", XS_TYPE_INT64 }, { "double", XS_TYPE_DOUBLE },
	{ "half", XS_TYPE_DOUBLE }, { "date", XS_TYPE_DATE },
	{ "date_us", XS_TYPE_DATE }, { "date_ns", XS_TYPE_DATE },
	{ "data", XS_TYPE_DATA }, { "string", XS_TYPE_STRING },
	{ "uuid", XS_TYPE_UUID }, { "fd", XS_TYPE_FD },
	{ "shmem", XS_TYPE_SHMEM }, { "array", XS_TYPE_ARRAY },
	{ "dict", XS_TYPE_DICTIONARY },
};

static int xt_decode(const char *in, const char *out)
{
	struct stat a, b;
	struct xs_buf buf;
	struct xs_ool ool;
	xs_object_t *msg;
	int fds[2], ret;
	size_t len, i;
	void *data, *map;
	char what[128];

	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[1] = xt_sealed_memfd(XT_PY_SHMEM);
	data = xt_read_file(in, &len);
	ret = xs_decode(data, len, fds, 2, &msg);
	free(data);
	if (ret) {
		printf("# C side: decoding the Python message: %s\n",
		       strerror(-ret));
		return 1;
	}
	xt_check(xs_dictionary_get_count(msg) ==
		 sizeof(xt_py_types) / sizeof(xt_py_types[0]), "key count");
	for (i = 0; i < sizeof(xt_py_types) / sizeof(xt_py_types[0]); i++) {
		xs_object_t *v = xs_dictionary_get_value(msg, xt_py_types[i].key);

		snprintf(what, sizeof(what), "key %s: expected %s, got %s",
			 xt_py_types[i].key, xs_type_name(xt_py_types[i].type),
			 xs_type_name(xs_get_type(v)));
		xt_check(xs_get_type(v) == xt_py_types[i].type, what);
	}
	/* Spot checks here; Python checks every value of our re-encoding. */
	xt_check(xs_dictionary_get_int64(msg, "int_min") == INT64_MIN, "int_min");
	xt_check(xs_dictionary_get_uint64(msg, "uint_max") == UINT64_MAX,
		 "uint_max");
	xt_check(xs_dictionary_get_date(msg, "date_ns") ==
		 1700000000123456789LL, "date_ns");
	ret = xs_dictionary_dup_fd(msg, "fd");
	xt_check(ret >= 0 && !fstat(ret, &a) && !fstat(fds[0], &b) &&
		 a.st_ino == b.st_ino && a.st_dev == b.st_dev,
		 "fd is not /dev/null");
	if (ret >= 0)
		close(ret);
	map = xs_shmem_map(xs_dictionary_get_value(msg, "shmem"), &len);
	xt_check(map && len == strlen(XT_PY_SHMEM) &&
		 !memcmp(map, XT_PY_SHMEM, len), "shmem content");
	if (map)
		munmap(map, len);

	xs_buf_init(&buf);
	xs_ool_init(&ool);
	ret = xs_encode(msg, &buf, &ool);
	xt_check(!ret, "re-encoding");
	if (!ret && xt_write_file(out, buf.data, buf.len))
		xt_failed = 1;
	printf("ool_count=%zu\n", ool.count);
	xs_buf_release(&buf);
	xs_ool_release(&ool);
	xs_release(msg);
	close(fds[0]);
	close(fds[1]);
	return xt_failed;
}

static int xt_body_encode(const char *payload_path, const char *body_path)
{
	xs_object_t *d = xs_dictionary_create();
	uint8_t blob[1000];
	const void *payload;
	struct xs_wire w;
	struct stat st;
	size_t len, i;
	char *body;
	int fd;

	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)i;
	xt_set(d, "text", xs_string_create(XT_BODY_TEXT));
	xt_set(d, "blob", xs_data_create(blob, sizeof(blob)));
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	xt_set(d, "fd", xs_fd_create(fd));
	close(fd);
	xs_wire_init(&w);
	if (xs_wire_encode(&w, d) || xs_wire_body_out(&w) ||
	    fstat(w.body_fd, &st))
		return 2;
	body = malloc((size_t)st.st_size);
	if (!body || pread(w.body_fd, body, (size_t)st.st_size, 0) !=
		     st.st_size)
		return 2;
	payload = xs_wire_payload(&w, &len);
	if (xt_write_file(payload_path, payload, len) ||
	    xt_write_file(body_path, body, (size_t)st.st_size))
		return 2;
	printf("ool_count=%u\n", w.nr_items);
	free(body);
	xs_wire_release(&w);
	xs_release(d);
	return 0;
}

static int xt_body_decode(const char *payload_path, const char *body_path)
{
	size_t len, blen;
	struct stat a, b;
	void *payload, *body;
	xs_object_t *msg;
	int fds[2], ret;

	payload = xt_read_file(payload_path, &len);
	body = xt_read_file(body_path, &blen);
	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[1] = memfd_create("py-body", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fds[1] < 0 || write(fds[1], body, blen) != (ssize_t)blen ||
	    fcntl(fds[1], F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK |
					F_SEAL_GROW))
		return 2;
	ret = xs_decode(payload, len, fds, 2, &msg);
	if (ret) {
		printf("# C side: decoding the Python body: %s\n",
		       strerror(-ret));
		return 1;
	}
	xt_check(xs_dictionary_get_count(msg) == 3, "body key count");
	xt_check(xs_dictionary_get_string(msg, "text") &&
		 !strcmp(xs_dictionary_get_string(msg, "text"), XT_BODY_TEXT),
		 "body text");
	xt_check(xs_dictionary_get_int64(msg, "n") == 7, "body n");
	ret = xs_dictionary_dup_fd(msg, "fd");
	xt_check(ret >= 0 && !fstat(ret, &a) && !fstat(fds[0], &b) &&
		 a.st_ino == b.st_ino, "body fd is not /dev/null");
	if (ret >= 0)
		close(ret);
	xs_release(msg);
	free(payload);
	free(body);
	close(fds[0]);
	close(fds[1]);
	return xt_failed;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "encode"))
		return xt_encode(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "decode"))
		return xt_decode(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "body-encode"))
		return xt_body_encode(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "body-decode"))
		return xt_body_decode(argv[2], argv[3]);
	fprintf(stderr, "usage: %s encode OUT | decode IN OUT | body-encode PAYLOAD BODY | body-decode PAYLOAD BODY\n",
		argv[0]);
	return 2;
}
