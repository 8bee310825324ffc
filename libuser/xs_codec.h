/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxsession wire codec: objects <-> CBOR (RFC 8949).  Not installed.
 *
 * Why CBOR: any language can read and write xsession messages with an
 * off-the-shelf library (Python's cbor2 is tested against this codec).
 *
 * The mapping (all tags below are standard except XS_CBOR_TAG_OOL):
 *
 *   null        simple value 22 (0xf6)
 *   bool        simple values 20/21 (0xf4/0xf5)
 *   int64       major 0 when >= 0, major 1 when < 0
 *   uint64      major 0
 *   double      the shortest of float16/32/64 that holds the value exactly
 *               (RFC 8949 4.2.1 preferred serialization); every NaN is
 *               sent as the canonical quiet NaN 0xf97e00 (payload and sign
 *               are not kept), -0.0 stays -0.0
 *   date        whole seconds: tag 1 (epoch time) + integer seconds;
 *               otherwise tag 1001 (RFC 9581 extended time) + the map
 *               {1: seconds, -9: nanoseconds} with seconds rounded down
 *               and 0 <= nanoseconds < 1e9.  Exact for every int64 ns.
 *   data        byte string (major 2)
 *   string      text string (major 3)
 *   uuid        tag 37 + 16-byte byte string
 *   array       array (major 4)
 *   dictionary  map (major 5) with text-string keys
 *   fd          tag XS_CBOR_TAG_OOL + [0, index]
 *   shmem       tag XS_CBOR_TAG_OOL + [1, index, length]
 *   (message)   tag XS_CBOR_TAG_OOL + [2, index, length]: see "Bodies"
 *
 * XS_CBOR_TAG_OOL = 2020822860 = 0x78734f4c ("xsOL"), in IANA's first
 * come first served range (32768 and up; 30835 = 0x7873 would be in the
 * specification-required range).  Not registered with IANA as far as we
 * know; register it before the wire format is declared stable.  @index
 * points into the message's out-of-line table: the descriptors the
 * kernel carries beside the bytes, as struct xs_item, in their order
 * (an fd object travels as XS_ITEM_FD, a shmem object as
 * XS_ITEM_MEMFD).  A message has at most XS_ITEMS_MAX (64) of them.
 *
 * Bodies (out-of-line kind 2).  A large message does not travel in the
 * payload: its dictionary, encoded exactly as above, is written into a
 * memfd sealed with F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW, and the
 * payload is only
 *
 *     tag XS_CBOR_TAG_OOL + [2, index, length]
 *
 * meaning "this message's dictionary is the whole content of
 * out-of-line item @index, a sealed memfd of exactly @length bytes".
 * The receiver maps the memfd read-only and decodes the dictionary from
 * it.  Fd and shmem references inside the body index the same table
 * (the body's own item excepted).  A body reference is valid only as the
 * whole payload (the root, not wrapped in another tag, nothing after
 * it), so exactly once per message; anywhere else, and whenever the item
 * is not a sealed memfd whose size is @length with every page present
 * (no holes: the sender paid for the memory, not the receiver), or
 * @length is 0, decoding fails with -EBADMSG.  A body above
 * XS_CODEC_BODY_MAX bytes is refused with -E2BIG.
 *
 * The encoder writes RFC 8949 4.2.1 core deterministic encoding: shortest
 * heads, definite lengths, and map keys sorted by the bytewise order of
 * their encodings, which for text keys means shorter keys first, then
 * memcmp().  So the wire order of a dictionary's keys is sorted even
 * though the dictionary API keeps insertion order.
 *
 * The decoder accepts any well-formed definite-length CBOR that maps onto
 * the types above, deterministic or not (a peer's library may not sort
 * keys or may use longer heads), plus tag 1 with a float, tag 1001 with
 * -3/-6/-9 fractions, float16/32 for doubles (widened), and tag 55799
 * (self-described CBOR, skipped).  It refuses what it cannot represent:
 * indefinite lengths, non-text or duplicate map keys, text with invalid
 * UTF-8 or a NUL, negative integers below INT64_MIN, unknown tags, tag 37
 * without exactly 16 bytes, simple values other than 20/21/22, an
 * out-of-line index out of range or used twice, a shmem fd that is not a
 * sealed memfd, a body reference anywhere but as the whole payload of
 * xs_decode() or that breaks the rules above, and trailing bytes.
 *
 * Errors: -EBADMSG malformed or unrepresentable input; -ELOOP nesting
 * deeper than XS_MAX_DEPTH (a tag counts as a level); -E2BIG more than
 * XS_CODEC_MAX_OBJECTS objects and keys; -ENOMEM; -EMFILE and friends
 * when duplicating an out-of-line fd fails.  Every length and count is
 * checked against the bytes that remain before anything is allocated.
 */
#ifndef XS_CODEC_H
#define XS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs_object.h"

#define XS_CBOR_TAG_DATE	1ULL
#define XS_CBOR_TAG_UUID	37ULL
#define XS_CBOR_TAG_ETIME	1001ULL
#define XS_CBOR_TAG_SELF	55799ULL
#define XS_CBOR_TAG_OOL		0x78734f4cULL

/* The first element of an out-of-line tag's array. */
#define XS_OOL_KIND_FD		0
#define XS_OOL_KIND_SHMEM	1
#define XS_OOL_KIND_BODY	2

/*
 * The largest body a receiver maps (XS_OOL_KIND_BODY).  Far above the
 * kernel's inline max_msg_size (4 MiB by default), but a bound: the
 * decoded objects cost the receiver at least as much again.
 */
#define XS_CODEC_BODY_MAX	(1ULL << 30)

/*
 * A decoded message may hold at most this many objects plus dictionary
 * keys.  A null costs one byte on the wire and some 50 in memory, so the
 * input size alone does not bound what a hostile message makes us
 * allocate; this does (to a few tens of MiB).
 */
#define XS_CODEC_MAX_OBJECTS	(1u << 20)

/* A growable byte buffer. */
struct xs_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/*
 * The out-of-line table: the fds a message's fd and shmem objects refer
 * to, by index, and for each its XS_OOL_KIND_*.  The encoder stores the
 * objects' own fds, borrowed: they stay valid while the encoded root is
 * alive, and xs_ool_release() frees the table, not the fds.
 */
struct xs_ool {
	int *fds;
	uint8_t *kinds;
	size_t count;
	size_t cap;
};

static inline void xs_buf_init(struct xs_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void xs_buf_release(struct xs_buf *b);

static inline void xs_ool_init(struct xs_ool *o)
{
	o->fds = NULL;
	o->kinds = NULL;
	o->count = o->cap = 0;
}

void xs_ool_release(struct xs_ool *o);

/*
 * Appends the encoding of @root (which must be a dictionary: a message's
 * root always is) to @out, and its out-of-line fds to @ool; indices
 * continue after what @ool already holds.  On error both are left as
 * they were.  Return: 0, -EINVAL (root not a dictionary, or an object the
 * wire cannot carry), -ELOOP (nesting deeper than XS_MAX_DEPTH: also
 * what a cyclic object gives), -ENOMEM.
 */
int xs_encode(const xs_object_t *root, struct xs_buf *out, struct xs_ool *ool);

/*
 * Decodes one message: exactly one CBOR map filling @buf, or a body
 * reference to a sealed memfd in @ool_fds that holds one (mapped for the
 * call only).  The fds of @ool_fds stay the caller's; fd and shmem
 * objects hold duplicates.  Return: 0 with *@out set to a new
 * dictionary, or a negative errno (see the top of this file, and -ENOMEM
 * or the like when the body cannot be mapped) with *@out NULL.
 */
int xs_decode(const void *buf, size_t len, const int *ool_fds, size_t nr_ool,
	      xs_object_t **out);

/*
 * Appends a body reference (tag XS_CBOR_TAG_OOL + [2, @index, @len]) to
 * @out: the whole payload of a message whose dictionary, @len bytes, is
 * out-of-line item @index.  0 or -ENOMEM.
 */
int xs_encode_body_ref(struct xs_buf *out, size_t index, uint64_t len);

/*
 * Is @buf (a whole payload) a body reference?  1 with *@index and *@len
 * set; 0 when it is something else (xs_decode() decodes it as a
 * dictionary); -EBADMSG when it starts as one but is malformed.  Checks
 * the shape only, not the item.
 */
int xs_body_ref_parse(const void *buf, size_t len, uint64_t *index,
		      uint64_t *blen);

/*
 * Maps body memfd @fd read-only after checking it is one of @len bytes
 * (see "Bodies" above).  The address (munmap() it, @len bytes), or NULL
 * with *@err set: -EBADMSG, -E2BIG, -ENOMEM.
 */
void *xs_body_map(int fd, uint64_t len, int *err);

/* The same for any object as root: for tests and for nested payloads. */
int xs_encode_value(const xs_object_t *obj, struct xs_buf *out,
		    struct xs_ool *ool);
int xs_decode_value(const void *buf, size_t len, const int *ool_fds,
		    size_t nr_ool, xs_object_t **out);

/*
 * Object internals the codec uses (xs_object.c).  Not exported.
 */

/* Strict RFC 3629 UTF-8: no overlongs, surrogates or values > U+10FFFF. */
bool xs_utf8_valid(const uint8_t *s, size_t len);

/* A string of @len bytes; NULL + EINVAL when not UTF-8 or has a NUL. */
xs_object_t *xs_string_create_len(const char *s, size_t len);

/* Preallocate room for @n items (a hint; only -ENOMEM fails). */
int xs_array_reserve(xs_object_t *array, size_t n);
int xs_dictionary_reserve(xs_object_t *dict, size_t n);

/*
 * Consumes the caller's reference to @value, also on error.  -EEXIST
 * when @key is already there (the decoder's duplicate check), -EINVAL
 * when the key has a NUL or is not UTF-8.
 */
int xs_array_append_owned(xs_object_t *array, xs_object_t *value);
int xs_dictionary_insert_new(xs_object_t *dict, const char *key,
			     size_t keylen, xs_object_t *value);

/* Entry @i in insertion order; false past the end. */
bool xs_dictionary_entry(const xs_object_t *dict, size_t i, const char **key,
			 size_t *keylen, const xs_object_t **value);

/* The object's own fd (not a duplicate), or -1. */
int xs_fd_peek(const xs_object_t *obj);

#endif /* XS_CODEC_H */
