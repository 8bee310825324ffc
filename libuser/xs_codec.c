// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The wire codec: objects to deterministic CBOR and back.  xs_codec.h has
 * the type mapping and the rules; this file is about getting them right
 * against input written by someone who wants us to crash.
 *
 * The decoder never trusts a number it read: a length or count is
 * compared with the bytes that remain before it sizes anything, and
 * nothing is preallocated beyond a small cap from a declared count, so
 * memory grows only with items actually present.  Recursion goes through
 * containers only and stops at XS_MAX_DEPTH; tag contents are parsed
 * flat.  All arithmetic on wire values is done in uint64_t and checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "xs_codec.h"
#include "xs_object.h"

enum {
	XS_MAJOR_UINT = 0,
	XS_MAJOR_NINT = 1,
	XS_MAJOR_BSTR = 2,
	XS_MAJOR_TSTR = 3,
	XS_MAJOR_ARRAY = 4,
	XS_MAJOR_MAP = 5,
	XS_MAJOR_TAG = 6,
	XS_MAJOR_SIMPLE = 7,
};

#define XS_CBOR_FALSE	0xf4
#define XS_CBOR_TRUE	0xf5
#define XS_CBOR_NULL	0xf6
#define XS_CBOR_F16	0xf9
#define XS_CBOR_F32	0xfa
#define XS_CBOR_F64	0xfb

/* A declared count preallocates at most this many slots. */
#define XS_PREALLOC_MAX	256

/* ---- Buffers ---- */

void xs_buf_release(struct xs_buf *b)
{
	free(b->data);
	xs_buf_init(b);
}

void xs_ool_release(struct xs_ool *o)
{
	free(o->fds);
	free(o->kinds);
	xs_ool_init(o);
}

static int xs_buf_reserve(struct xs_buf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX - b->len)
		return -ENOMEM;
	cap = b->cap < 64 ? 64 : b->cap;
	while (cap < b->len + n)
		cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

static int xs_put(struct xs_buf *b, const void *p, size_t n)
{
	int ret = xs_buf_reserve(b, n);

	if (ret)
		return ret;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

static int xs_put_byte(struct xs_buf *b, uint8_t c)
{
	return xs_put(b, &c, 1);
}

/* A head in its shortest form (RFC 8949 4.2.1). */
static int xs_put_head(struct xs_buf *b, unsigned int major, uint64_t arg)
{
	uint8_t h[9];
	size_t n, i;

	h[0] = (uint8_t)(major << 5);
	if (arg < 24) {
		h[0] |= (uint8_t)arg;
		return xs_put(b, h, 1);
	}
	if (arg <= 0xff) {
		h[0] |= 24;
		n = 1;
	} else if (arg <= 0xffff) {
		h[0] |= 25;
		n = 2;
	} else if (arg <= 0xffffffff) {
		h[0] |= 26;
		n = 4;
	} else {
		h[0] |= 27;
		n = 8;
	}
	for (i = 0; i < n; i++)
		h[1 + i] = (uint8_t)(arg >> (8 * (n - 1 - i)));
	return xs_put(b, h, 1 + n);
}

static int xs_put_int(struct xs_buf *b, int64_t v)
{
	/* -1 - v, computed without overflow: ~v as unsigned. */
	if (v < 0)
		return xs_put_head(b, XS_MAJOR_NINT, ~(uint64_t)v);
	return xs_put_head(b, XS_MAJOR_UINT, (uint64_t)v);
}

/* ---- Floats ---- */

/*
 * The float16 that is exactly @d, if any.  Worked out on the bits, not
 * by converting, so there is no rounding to second-guess and no
 * out-of-range conversion.  NaN is the caller's business.
 */
static bool xs_f16_exact(uint64_t bits, uint16_t *out)
{
	uint16_t sign = (uint16_t)((bits >> 48) & 0x8000);
	int exp = (int)((bits >> 52) & 0x7ff);
	uint64_t mant = bits & ((1ULL << 52) - 1), full;
	unsigned int shift;
	int e;

	if (exp == 0x7ff) {		/* infinity (NaN excluded) */
		*out = sign | 0x7c00;
		return true;
	}
	if (exp == 0) {			/* zero, or a tiny double subnormal */
		if (mant)
			return false;
		*out = sign;
		return true;
	}
	e = exp - 1023;
	if (e > 15 || e < -24)
		return false;
	if (e >= -14) {			/* float16 normal: 10 mantissa bits */
		if (mant & ((1ULL << 42) - 1))
			return false;
		*out = sign | (uint16_t)((e + 15) << 10) | (uint16_t)(mant >> 42);
		return true;
	}
	/* float16 subnormal: value = k * 2^-24 with 0 < k < 1024. */
	full = mant | (1ULL << 52);
	shift = (unsigned int)(28 - e);		/* 43..52 */
	if (full & ((1ULL << shift) - 1))
		return false;
	*out = sign | (uint16_t)(full >> shift);
	return true;
}

/* The same for float32. */
static bool xs_f32_exact(uint64_t bits, uint32_t *out)
{
	uint32_t sign = (uint32_t)((bits >> 32) & 0x80000000u);
	int exp = (int)((bits >> 52) & 0x7ff);
	uint64_t mant = bits & ((1ULL << 52) - 1), full;
	unsigned int shift;
	int e;

	if (exp == 0x7ff) {
		*out = sign | 0x7f800000u;
		return true;
	}
	if (exp == 0) {
		if (mant)
			return false;
		*out = sign;
		return true;
	}
	e = exp - 1023;
	if (e > 127 || e < -149)
		return false;
	if (e >= -126) {
		if (mant & ((1ULL << 29) - 1))
			return false;
		*out = sign | ((uint32_t)(e + 127) << 23) | (uint32_t)(mant >> 29);
		return true;
	}
	/* float32 subnormal: value = k * 2^-149 with 0 < k < 2^23. */
	full = mant | (1ULL << 52);
	shift = (unsigned int)(-97 - e);	/* 30..52 */
	if (full & ((1ULL << shift) - 1))
		return false;
	*out = sign | (uint32_t)(full >> shift);
	return true;
}

static int xs_put_double(struct xs_buf *b, double d)
{
	uint8_t h[9];
	uint64_t bits;
	uint32_t f32;
	uint16_t f16;
	int i;

	if (isnan(d)) {
		/* One NaN on the wire, so equal values encode equally. */
		h[0] = XS_CBOR_F16;
		h[1] = 0x7e;
		h[2] = 0x00;
		return xs_put(b, h, 3);
	}
	memcpy(&bits, &d, sizeof(bits));
	if (xs_f16_exact(bits, &f16)) {
		h[0] = XS_CBOR_F16;
		h[1] = (uint8_t)(f16 >> 8);
		h[2] = (uint8_t)f16;
		return xs_put(b, h, 3);
	}
	if (xs_f32_exact(bits, &f32)) {
		h[0] = XS_CBOR_F32;
		for (i = 0; i < 4; i++)
			h[1 + i] = (uint8_t)(f32 >> (8 * (3 - i)));
		return xs_put(b, h, 5);
	}
	h[0] = XS_CBOR_F64;
	for (i = 0; i < 8; i++)
		h[1 + i] = (uint8_t)(bits >> (8 * (7 - i)));
	return xs_put(b, h, 9);
}

/* 2^@e for a normal double exponent, exactly (no libm needed). */
static double xs_pow2(int e)
{
	uint64_t bits = (uint64_t)(e + 1023) << 52;
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

static double xs_f16_to_double(uint16_t h)
{
	unsigned int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
	double v;

	/* Products of small integers and powers of two: exact. */
	if (exp == 0)
		v = (double)mant * xs_pow2(-24);
	else if (exp == 31)
		v = mant ? NAN : INFINITY;
	else
		v = (double)(mant | 0x400) * xs_pow2((int)exp - 25);
	return (h & 0x8000) ? -v : v;
}

/* ---- Encoding ---- */

struct xs_enc {
	struct xs_buf *out;
	struct xs_ool *ool;
};

/*
 * Adds @fd, an item of @kind (XS_OOL_KIND_*), to the out-of-line table;
 * returns its index via @index.
 */
static int xs_ool_add(struct xs_ool *o, int fd, uint8_t kind, size_t *index)
{
	uint8_t *kinds;
	size_t cap;
	int *fds;

	if (o->count == o->cap) {
		cap = o->cap < 4 ? 4 : o->cap;
		if (cap > SIZE_MAX / 2 / sizeof(*fds))
			return -ENOMEM;
		cap *= 2;
		fds = realloc(o->fds, cap * sizeof(*fds));
		if (!fds)
			return -ENOMEM;
		o->fds = fds;
		kinds = realloc(o->kinds, cap);
		if (!kinds)
			return -ENOMEM;	/* @fds is merely larger than needed */
		o->kinds = kinds;
		o->cap = cap;
	}
	*index = o->count;
	o->kinds[o->count] = kind;
	o->fds[o->count++] = fd;
	return 0;
}

static int xs_enc_date(struct xs_buf *b, int64_t ns)
{
	int64_t secs = ns / XS_NSEC_PER_SEC, frac = ns % XS_NSEC_PER_SEC;
	int ret;

	if (frac < 0) {		/* round down, so the fraction is positive */
		secs--;
		frac += XS_NSEC_PER_SEC;
	}
	if (!frac) {
		ret = xs_put_head(b, XS_MAJOR_TAG, XS_CBOR_TAG_DATE);
		return ret ? ret : xs_put_int(b, secs);
	}
	/* {1: secs, -9: ns}: keys already in deterministic order. */
	ret = xs_put_head(b, XS_MAJOR_TAG, XS_CBOR_TAG_ETIME);
	if (!ret)
		ret = xs_put_head(b, XS_MAJOR_MAP, 2);
	if (!ret)
		ret = xs_put_int(b, 1);
	if (!ret)
		ret = xs_put_int(b, secs);
	if (!ret)
		ret = xs_put_int(b, -9);
	if (!ret)
		ret = xs_put_int(b, frac);
	return ret;
}

struct xs_enc_entry {
	const char *key;
	size_t keylen;
	const xs_object_t *value;
};

/*
 * Bytewise order of the encoded keys.  A text string's head grows with
 * its length (0x60+n, then 0x78 n, 0x79 nn, ...), so that order is:
 * shorter first, then memcmp() of the bytes.
 */
static int xs_key_cmp(const void *pa, const void *pb)
{
	const struct xs_enc_entry *a = pa, *b = pb;

	if (a->keylen != b->keylen)
		return a->keylen < b->keylen ? -1 : 1;
	return memcmp(a->key, b->key, a->keylen);
}

static int xs_enc_value(struct xs_enc *e, const xs_object_t *obj,
			unsigned int depth);

static int xs_enc_dict(struct xs_enc *e, const xs_object_t *obj,
		       unsigned int depth)
{
	size_t n = xs_dictionary_get_count(obj), i;
	struct xs_enc_entry *ents;
	int ret;

	ret = xs_put_head(e->out, XS_MAJOR_MAP, n);
	if (ret || !n)
		return ret;
	ents = calloc(n, sizeof(*ents));
	if (!ents)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		xs_dictionary_entry(obj, i, &ents[i].key, &ents[i].keylen,
				    &ents[i].value);
	qsort(ents, n, sizeof(*ents), xs_key_cmp);
	for (i = 0; i < n && !ret; i++) {
		ret = xs_put_head(e->out, XS_MAJOR_TSTR, ents[i].keylen);
		if (!ret)
			ret = xs_put(e->out, ents[i].key, ents[i].keylen);
		if (!ret)
			ret = xs_enc_value(e, ents[i].value, depth);
	}
	free(ents);
	return ret;
}

/* @depth: how many containers enclose @obj. */
static int xs_enc_value(struct xs_enc *e, const xs_object_t *obj,
			unsigned int depth)
{
	struct xs_buf *b = e->out;
	size_t n, i, index;
	int ret;

	switch (xs_get_type(obj)) {
	case XS_TYPE_NULL:
		return xs_put_byte(b, XS_CBOR_NULL);
	case XS_TYPE_BOOL:
		return xs_put_byte(b, xs_bool_get_value(obj) ? XS_CBOR_TRUE
							     : XS_CBOR_FALSE);
	case XS_TYPE_INT64:
		return xs_put_int(b, xs_int64_get_value(obj));
	case XS_TYPE_UINT64:
		return xs_put_head(b, XS_MAJOR_UINT, xs_uint64_get_value(obj));
	case XS_TYPE_DOUBLE:
		return xs_put_double(b, xs_double_get_value(obj));
	case XS_TYPE_DATE:
		return xs_enc_date(b, xs_date_get_value(obj));
	case XS_TYPE_DATA:
		n = xs_data_get_length(obj);
		ret = xs_put_head(b, XS_MAJOR_BSTR, n);
		return ret ? ret : xs_put(b, xs_data_get_bytes_ptr(obj), n);
	case XS_TYPE_STRING:
		n = xs_string_get_length(obj);
		ret = xs_put_head(b, XS_MAJOR_TSTR, n);
		return ret ? ret : xs_put(b, xs_string_get_string_ptr(obj), n);
	case XS_TYPE_UUID:
		ret = xs_put_head(b, XS_MAJOR_TAG, XS_CBOR_TAG_UUID);
		if (!ret)
			ret = xs_put_head(b, XS_MAJOR_BSTR, 16);
		return ret ? ret : xs_put(b, xs_uuid_get_bytes(obj), 16);
	case XS_TYPE_FD:
	case XS_TYPE_SHMEM: {
		bool shm = xs_get_type(obj) == XS_TYPE_SHMEM;

		ret = xs_ool_add(e->ool, xs_fd_peek(obj),
				 shm ? XS_OOL_KIND_SHMEM : XS_OOL_KIND_FD,
				 &index);
		if (!ret)
			ret = xs_put_head(b, XS_MAJOR_TAG, XS_CBOR_TAG_OOL);
		if (!ret)
			ret = xs_put_head(b, XS_MAJOR_ARRAY, shm ? 3 : 2);
		if (!ret)
			ret = xs_put_head(b, XS_MAJOR_UINT,
					  shm ? XS_OOL_KIND_SHMEM : XS_OOL_KIND_FD);
		if (!ret)
			ret = xs_put_head(b, XS_MAJOR_UINT, index);
		if (!ret && shm)
			ret = xs_put_head(b, XS_MAJOR_UINT,
					  xs_shmem_get_length(obj));
		return ret;
	}
	case XS_TYPE_ARRAY:
		if (depth >= XS_MAX_DEPTH)
			return -ELOOP;
		n = xs_array_get_count(obj);
		ret = xs_put_head(b, XS_MAJOR_ARRAY, n);
		for (i = 0; i < n && !ret; i++)
			ret = xs_enc_value(e, xs_array_get_value(obj, i), depth + 1);
		return ret;
	case XS_TYPE_DICTIONARY:
		if (depth >= XS_MAX_DEPTH)
			return -ELOOP;
		return xs_enc_dict(e, obj, depth + 1);
	default:
		return -EINVAL;
	}
}

int xs_encode_value(const xs_object_t *obj, struct xs_buf *out,
		    struct xs_ool *ool)
{
	struct xs_enc e = { .out = out, .ool = ool };
	size_t len, count;
	int ret;

	if (!obj || !out || !ool)
		return -EINVAL;
	len = out->len;
	count = ool->count;
	ret = xs_enc_value(&e, obj, 0);
	if (ret) {
		out->len = len;
		ool->count = count;
	}
	return ret;
}

int xs_encode(const xs_object_t *root, struct xs_buf *out, struct xs_ool *ool)
{
	if (xs_get_type(root) != XS_TYPE_DICTIONARY)
		return -EINVAL;
	return xs_encode_value(root, out, ool);
}

int xs_encode_body_ref(struct xs_buf *out, size_t index, uint64_t len)
{
	size_t start = out->len;
	int ret;

	ret = xs_put_head(out, XS_MAJOR_TAG, XS_CBOR_TAG_OOL);
	if (!ret)
		ret = xs_put_head(out, XS_MAJOR_ARRAY, 3);
	if (!ret)
		ret = xs_put_head(out, XS_MAJOR_UINT, XS_OOL_KIND_BODY);
	if (!ret)
		ret = xs_put_head(out, XS_MAJOR_UINT, index);
	if (!ret)
		ret = xs_put_head(out, XS_MAJOR_UINT, len);
	if (ret)
		out->len = start;
	return ret;
}

/* ---- Decoding ---- */

struct xs_dec {
	const uint8_t *p, *end;
	const int *ool;
	size_t nr_ool;
	uint8_t *ool_used;	/* one flag per out-of-line item */
	size_t budget;		/* objects and keys still allowed */
};

struct xs_head {
	unsigned int major;
	unsigned int ai;	/* additional information, 0..27 */
	uint64_t arg;
};

static size_t xs_left(const struct xs_dec *d)
{
	return (size_t)(d->end - d->p);
}

static int xs_get_head(struct xs_dec *d, struct xs_head *h)
{
	unsigned int n, i;
	uint8_t ib;

	if (!xs_left(d))
		return -EBADMSG;
	ib = *d->p++;
	h->major = ib >> 5;
	h->ai = ib & 0x1f;
	if (h->ai < 24) {
		h->arg = h->ai;
		return 0;
	}
	/* 28..30 are reserved; 31 is an indefinite length or "break". */
	if (h->ai > 27)
		return -EBADMSG;
	n = 1u << (h->ai - 24);
	if (xs_left(d) < n)
		return -EBADMSG;
	h->arg = 0;
	for (i = 0; i < n; i++)
		h->arg = (h->arg << 8) | d->p[i];
	d->p += n;
	return 0;
}

/* An integer head (major 0 or 1) that fits int64. */
static int xs_get_int(struct xs_dec *d, int64_t *v)
{
	struct xs_head h;
	int ret = xs_get_head(d, &h);

	if (ret)
		return ret;
	if ((h.major != XS_MAJOR_UINT && h.major != XS_MAJOR_NINT) ||
	    h.arg > INT64_MAX)
		return -EBADMSG;
	*v = h.major == XS_MAJOR_UINT ? (int64_t)h.arg : -1 - (int64_t)h.arg;
	return 0;
}

static int xs_get_uint(struct xs_dec *d, uint64_t *v)
{
	struct xs_head h;
	int ret = xs_get_head(d, &h);

	if (ret)
		return ret;
	if (h.major != XS_MAJOR_UINT)
		return -EBADMSG;
	*v = h.arg;
	return 0;
}

/* @frac_ns is 0..999999999, added to whole seconds @secs. */
static int xs_secs_to_ns(int64_t secs, int64_t frac_ns, int64_t *ns)
{
	/*
	 * Near INT64_MIN, secs * 1e9 alone overflows although the sum
	 * fits (the encoder rounds seconds down): borrow a second.
	 */
	if (secs < 0 && frac_ns > 0) {
		secs++;
		frac_ns -= XS_NSEC_PER_SEC;
	}
	if (__builtin_mul_overflow(secs, XS_NSEC_PER_SEC, ns) ||
	    __builtin_add_overflow(*ns, frac_ns, ns))
		return -EBADMSG;
	return 0;
}

/* A float head's value; -EBADMSG for anything else. */
static int xs_head_double(const struct xs_head *h, double *v)
{
	uint64_t bits = h->arg;
	uint32_t b32;
	float f;

	if (h->major != XS_MAJOR_SIMPLE)
		return -EBADMSG;
	switch (h->ai) {
	case 25:
		*v = xs_f16_to_double((uint16_t)bits);
		return 0;
	case 26:
		b32 = (uint32_t)bits;
		memcpy(&f, &b32, sizeof(f));
		*v = f;
		return 0;
	case 27:
		memcpy(v, &bits, sizeof(*v));
		return 0;
	default:
		return -EBADMSG;
	}
}

/* Tag 1: integer or floating-point seconds since the epoch. */
static int xs_dec_epoch(struct xs_dec *d, int64_t *ns)
{
	struct xs_head h;
	double f, r, rem;
	int64_t t;
	int ret;

	ret = xs_get_head(d, &h);
	if (ret)
		return ret;
	if (h.major == XS_MAJOR_UINT || h.major == XS_MAJOR_NINT) {
		if (h.arg > INT64_MAX)
			return -EBADMSG;
		return xs_secs_to_ns(h.major == XS_MAJOR_UINT ?
				     (int64_t)h.arg : -1 - (int64_t)h.arg, 0, ns);
	}
	ret = xs_head_double(&h, &f);
	if (ret)
		return ret;
	/* NaN fails both comparisons; +-inf and huge values one of them. */
	r = f * 1e9;
	if (!(r >= -0x1p63 && r < 0x1p63))
		return -EBADMSG;
	/*
	 * Round to nearest (halves away from zero) without libm: from 2^53
	 * on every double is an integer, and below it the remainder after
	 * truncating is exact, so adjusting by one cannot overflow.
	 */
	t = (int64_t)r;
	rem = r - (double)t;
	if (rem >= 0.5)
		t++;
	else if (rem <= -0.5)
		t--;
	*ns = t;
	return 0;
}

/*
 * Tag 1001 (RFC 9581): a map with key 1 (integer seconds) and at most
 * one fraction key: -3 milli-, -6 micro- or -9 nanoseconds.
 */
static int xs_dec_etime(struct xs_dec *d, int64_t *ns)
{
	int64_t key, secs = 0, frac = 0, scale = 0, v;
	bool have_secs = false;
	struct xs_head h;
	uint64_t n, i, u;
	int ret;

	ret = xs_get_head(d, &h);
	if (ret)
		return ret;
	if (h.major != XS_MAJOR_MAP || h.arg < 1 || h.arg > 2)
		return -EBADMSG;
	n = h.arg;
	for (i = 0; i < n; i++) {
		ret = xs_get_int(d, &key);
		if (ret)
			return ret;
		if (key == 1) {
			if (have_secs)
				return -EBADMSG;
			ret = xs_get_int(d, &v);
			if (ret)
				return ret;
			secs = v;
			have_secs = true;
			continue;
		}
		if (scale || (key != -3 && key != -6 && key != -9))
			return -EBADMSG;
		scale = key == -3 ? 1000000 : key == -6 ? 1000 : 1;
		ret = xs_get_uint(d, &u);
		if (ret)
			return ret;
		if (u >= (uint64_t)(XS_NSEC_PER_SEC / scale))
			return -EBADMSG;
		frac = (int64_t)u * scale;
	}
	if (!have_secs)
		return -EBADMSG;
	return xs_secs_to_ns(secs, frac, ns);
}

static int xs_dec_uuid(struct xs_dec *d, xs_object_t **out)
{
	struct xs_head h;
	int ret;

	ret = xs_get_head(d, &h);
	if (ret)
		return ret;
	if (h.major != XS_MAJOR_BSTR || h.arg != 16 || xs_left(d) < 16)
		return -EBADMSG;
	*out = xs_uuid_create(d->p);
	if (!*out)
		return -ENOMEM;
	d->p += 16;
	return 0;
}

/* errno after a failed constructor, as a decode error. */
static int xs_dec_errno(void)
{
	/* The peer's item is not what it claims to be: a bad message. */
	if (errno == EINVAL)
		return -EBADMSG;
	return errno ? -errno : -ENOMEM;
}

static int xs_dec_ool(struct xs_dec *d, xs_object_t **out)
{
	uint64_t kind, index, len = 0;
	struct xs_head h;
	int ret;

	ret = xs_get_head(d, &h);
	if (ret)
		return ret;
	if (h.major != XS_MAJOR_ARRAY || h.arg < 2 || h.arg > 3)
		return -EBADMSG;
	ret = xs_get_uint(d, &kind);
	if (!ret)
		ret = xs_get_uint(d, &index);
	if (!ret && h.arg == 3)
		ret = xs_get_uint(d, &len);
	if (ret)
		return ret;
	if (index >= d->nr_ool || d->ool_used[index])
		return -EBADMSG;
	/*
	 * Each item is referenced once at most: otherwise one fd sent
	 * with a message of many references would make us duplicate it
	 * until we run out of descriptors.
	 */
	d->ool_used[index] = 1;
	if (kind == XS_OOL_KIND_FD && h.arg == 2)
		*out = xs_fd_create(d->ool[index]);
	else if (kind == XS_OOL_KIND_SHMEM && h.arg == 3 && len <= SIZE_MAX)
		*out = xs_shmem_create(d->ool[index], (size_t)len);
	else
		return -EBADMSG;	/* a body (kind 2) is never a value */
	return *out ? 0 : xs_dec_errno();
}

static int xs_dec_item(struct xs_dec *d, unsigned int depth,
		       xs_object_t **out);

static int xs_dec_array(struct xs_dec *d, uint64_t count, unsigned int depth,
			xs_object_t **out)
{
	xs_object_t *array, *item;
	uint64_t i;
	int ret;

	/* Every item takes one byte at least. */
	if (count > xs_left(d))
		return -EBADMSG;
	if (count > d->budget)
		return -E2BIG;
	array = xs_array_create();
	if (!array)
		return -ENOMEM;
	ret = xs_array_reserve(array, count < XS_PREALLOC_MAX ? count
							    : XS_PREALLOC_MAX);
	for (i = 0; i < count && !ret; i++) {
		ret = xs_dec_item(d, depth, &item);
		if (!ret)
			ret = xs_array_append_owned(array, item);
	}
	if (ret) {
		xs_release(array);
		return ret;
	}
	*out = array;
	return 0;
}

static int xs_dec_map(struct xs_dec *d, uint64_t count, unsigned int depth,
		      xs_object_t **out)
{
	xs_object_t *dict, *value;
	const char *key;
	struct xs_head h;
	uint64_t i;
	int ret;

	/* Every entry takes two bytes at least, and costs two budget. */
	if (count > xs_left(d) / 2)
		return -EBADMSG;
	if (count > d->budget / 2)
		return -E2BIG;
	dict = xs_dictionary_create();
	if (!dict)
		return -ENOMEM;
	ret = xs_dictionary_reserve(dict, count < XS_PREALLOC_MAX ? count
								 : XS_PREALLOC_MAX);
	for (i = 0; i < count && !ret; i++) {
		ret = xs_get_head(d, &h);
		if (ret)
			break;
		if (h.major != XS_MAJOR_TSTR || h.arg > xs_left(d)) {
			ret = -EBADMSG;
			break;
		}
		if (!d->budget) {
			ret = -E2BIG;
			break;
		}
		d->budget--;
		key = (const char *)d->p;
		d->p += h.arg;
		ret = xs_dec_item(d, depth, &value);
		if (ret)
			break;
		ret = xs_dictionary_insert_new(dict, key, (size_t)h.arg, value);
		/* A duplicate or a key with a NUL / bad UTF-8. */
		if (ret == -EEXIST || ret == -EINVAL)
			ret = -EBADMSG;
	}
	if (ret) {
		xs_release(dict);
		return ret;
	}
	*out = dict;
	return 0;
}

static int xs_dec_tag(struct xs_dec *d, uint64_t tag, unsigned int depth,
		      xs_object_t **out)
{
	int64_t ns = 0;	/* set on success; some compilers cannot tell */
	int ret;

	switch (tag) {
	case XS_CBOR_TAG_DATE:
	case XS_CBOR_TAG_ETIME:
		ret = tag == XS_CBOR_TAG_DATE ? xs_dec_epoch(d, &ns)
					      : xs_dec_etime(d, &ns);
		if (ret)
			return ret;
		*out = xs_date_create(ns);
		return *out ? 0 : -ENOMEM;
	case XS_CBOR_TAG_UUID:
		return xs_dec_uuid(d, out);
	case XS_CBOR_TAG_OOL:
		return xs_dec_ool(d, out);
	case XS_CBOR_TAG_SELF:
		/* A marker only; but tag(tag(tag(...))) must not recurse. */
		if (depth >= XS_MAX_DEPTH)
			return -ELOOP;
		return xs_dec_item(d, depth + 1, out);
	default:
		return -EBADMSG;
	}
}

/* @depth: how many containers (and self-describe tags) enclose the item. */
static int xs_dec_item(struct xs_dec *d, unsigned int depth,
		       xs_object_t **out)
{
	struct xs_head h;
	double v;
	int ret;

	*out = NULL;
	if (!d->budget)
		return -E2BIG;
	d->budget--;
	ret = xs_get_head(d, &h);
	if (ret)
		return ret;

	switch (h.major) {
	case XS_MAJOR_UINT:
		*out = h.arg <= INT64_MAX ? xs_int64_create((int64_t)h.arg)
					  : xs_uint64_create(h.arg);
		break;
	case XS_MAJOR_NINT:
		if (h.arg > INT64_MAX)
			return -EBADMSG;	/* below INT64_MIN */
		*out = xs_int64_create(-1 - (int64_t)h.arg);
		break;
	case XS_MAJOR_BSTR:
	case XS_MAJOR_TSTR:
		if (h.arg > xs_left(d))
			return -EBADMSG;
		if (h.major == XS_MAJOR_BSTR)
			*out = xs_data_create(d->p, (size_t)h.arg);
		else
			*out = xs_string_create_len((const char *)d->p,
						    (size_t)h.arg);
		if (!*out)
			return xs_dec_errno();
		d->p += h.arg;
		return 0;
	case XS_MAJOR_ARRAY:
	case XS_MAJOR_MAP:
		if (depth >= XS_MAX_DEPTH)
			return -ELOOP;
		if (h.major == XS_MAJOR_ARRAY)
			return xs_dec_array(d, h.arg, depth + 1, out);
		return xs_dec_map(d, h.arg, depth + 1, out);
	case XS_MAJOR_TAG:
		return xs_dec_tag(d, h.arg, depth, out);
	case XS_MAJOR_SIMPLE:
		if (h.ai == 20 || h.ai == 21) {
			*out = xs_bool_create(h.ai == 21);
			break;
		}
		if (h.ai == 22) {
			*out = xs_null_create();
			break;
		}
		ret = xs_head_double(&h, &v);
		if (ret)
			return ret;	/* undefined, other simple values */
		*out = xs_double_create(v);
		break;
	}
	return *out ? 0 : -ENOMEM;
}

/*
 * xs_decode_value() with out-of-line item @taken (when below @nr_ool)
 * counted as used already: a body's own memfd cannot also be one of
 * its objects.
 */
static int xs_decode_taken(const void *buf, size_t len, const int *ool_fds,
			   size_t nr_ool, size_t taken, xs_object_t **out)
{
	struct xs_dec d = {
		.ool = ool_fds, .nr_ool = nr_ool,
		.budget = XS_CODEC_MAX_OBJECTS,
	};
	xs_object_t *obj = NULL;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if ((!buf && len) || (!ool_fds && nr_ool))
		return -EINVAL;
	if (!len)
		return -EBADMSG;
	d.p = buf;
	d.end = d.p + len;
	if (nr_ool) {
		d.ool_used = calloc(nr_ool, 1);
		if (!d.ool_used)
			return -ENOMEM;
		if (taken < nr_ool)
			d.ool_used[taken] = 1;
	}
	ret = xs_dec_item(&d, 0, &obj);
	/* A message is one item, all of the buffer. */
	if (!ret && d.p != d.end)
		ret = -EBADMSG;
	free(d.ool_used);
	if (ret) {
		xs_release(obj);
		return ret;
	}
	*out = obj;
	return 0;
}

int xs_decode_value(const void *buf, size_t len, const int *ool_fds,
		    size_t nr_ool, xs_object_t **out)
{
	return xs_decode_taken(buf, len, ool_fds, nr_ool, SIZE_MAX, out);
}

/* ---- Bodies ---- */

#define XS_BODY_SEALS	(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

int xs_body_ref_parse(const void *buf, size_t len, uint64_t *index,
		      uint64_t *blen)
{
	struct xs_dec d = { .p = buf, .end = (const uint8_t *)buf + len };
	struct xs_head h;
	uint64_t kind;

	if (!buf)
		return 0;
	/* Only the exact shape [2, index, length] under the tag is one. */
	if (xs_get_head(&d, &h) || h.major != XS_MAJOR_TAG ||
	    h.arg != XS_CBOR_TAG_OOL)
		return 0;
	if (xs_get_head(&d, &h) || h.major != XS_MAJOR_ARRAY || h.arg != 3)
		return 0;
	if (xs_get_uint(&d, &kind) || kind != XS_OOL_KIND_BODY)
		return 0;
	if (xs_get_uint(&d, index) || xs_get_uint(&d, blen) || d.p != d.end)
		return -EBADMSG;
	return 1;
}

/*
 * The item must be what the reference says, and stay so while we read
 * it: sealed against writes and size changes, exactly @len bytes, every
 * page present.  A sparse memfd would make us allocate its holes as we
 * read them (shmem allocates on a read fault): the memory a body costs
 * must be the sender's.
 */
static int xs_body_check(int fd, uint64_t len)
{
	struct stat st;
	int seals;

	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & XS_BODY_SEALS) != XS_BODY_SEALS)
		return -EBADMSG;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size != len || st.st_blocks < 0 ||
	    (uint64_t)st.st_blocks * 512 < len)
		return -EBADMSG;
	return 0;
}

void *xs_body_map(int fd, uint64_t len, int *err)
{
	void *map;
	int ret;

	ret = !len ? -EBADMSG : len > XS_CODEC_BODY_MAX ? -E2BIG :
	      xs_body_check(fd, len);
	if (ret) {
		*err = ret;
		return NULL;
	}
	/* Read once, all of it: populate rather than fault page by page. */
	map = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED | MAP_POPULATE,
		   fd, 0);
	if (map == MAP_FAILED) {
		*err = errno == ENOMEM ? -ENOMEM : -EBADMSG;
		return NULL;
	}
	return map;
}

static int xs_decode_body(uint64_t index, uint64_t len, const int *ool_fds,
			  size_t nr_ool, xs_object_t **out)
{
	void *map;
	int ret;

	if (index >= nr_ool)
		return -EBADMSG;
	map = xs_body_map(ool_fds[index], len, &ret);
	if (!map)
		return ret;
	/* The objects copy what they keep: the mapping goes right after. */
	ret = xs_decode_taken(map, (size_t)len, ool_fds, nr_ool, (size_t)index,
			      out);
	munmap(map, (size_t)len);
	return ret;
}

int xs_decode(const void *buf, size_t len, const int *ool_fds, size_t nr_ool,
	      xs_object_t **out)
{
	uint64_t index, blen;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if ((!buf && len) || (!ool_fds && nr_ool))
		return -EINVAL;
	ret = xs_body_ref_parse(buf, len, &index, &blen);
	if (ret < 0)
		return ret;
	if (ret)
		ret = xs_decode_body(index, blen, ool_fds, nr_ool, out);
	else
		ret = xs_decode_value(buf, len, ool_fds, nr_ool, out);
	if (!ret && xs_get_type(*out) != XS_TYPE_DICTIONARY) {
		xs_release(*out);
		*out = NULL;
		return -EBADMSG;
	}
	return ret;
}
