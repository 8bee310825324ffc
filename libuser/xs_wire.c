// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Messages on the wire: the item table, bodies out of line, and the pool
 * of memfds bodies are written into.  xs_wire.h says what each part is
 * for; this file is about the pool's bounds and its thread.
 *
 * The pool.  Seals are permanent, so a sealed buffer can never be
 * written again: a pool of *sealed* buffers cannot exist.  What a memfd
 * per message really costs is making it and allocating (and zeroing) its
 * pages as the body is written; the pool moves both off the sending
 * thread.  Its thread makes memfds of a size class and fallocate()s them,
 * so the sender finds the pages there and only copies, truncates the
 * memfd to the body's exact length (F_SEAL_SHRINK comes next, and the
 * receiver wants size == length) and seals.  The truncate gives back the
 * unused tail of the class; classes are a quarter of a power of two
 * apart, so that tail is under a fifth of the memfd.
 *
 * Locking: one mutex for the whole pool.  Nothing slow runs under it but
 * memfd_create() in the thread (so that a fork() sees every memfd the
 * pool owns; see xs_pool_atfork_child()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "xs_wire.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL	0x0008U
#endif

/* ---- the message ---- */

void xs_wire_init(struct xs_wire *w)
{
	xs_buf_init(&w->body);
	xs_buf_init(&w->ref);
	xs_ool_init(&w->ool);
	w->nr_items = 0;
	w->body_fd = -1;
	w->body_len = 0;
}

void xs_wire_release(struct xs_wire *w)
{
	xs_buf_release(&w->body);
	xs_buf_release(&w->ref);
	xs_ool_release(&w->ool);
	if (w->body_fd >= 0)
		close(w->body_fd);
	xs_wire_init(w);
}

int xs_wire_encode(struct xs_wire *w, const xs_object_t *msg)
{
	size_t i;
	int ret;

	ret = xs_encode(msg, &w->body, &w->ool);
	if (ret)
		return ret;
	w->body_len = w->body.len;
	if (w->ool.count > XS_ITEMS_MAX)
		return -E2BIG;
	for (i = 0; i < w->ool.count; i++) {
		w->items[i] = (struct xs_item) {
			.type = w->ool.kinds[i] == XS_OOL_KIND_SHMEM ?
				XS_ITEM_MEMFD : XS_ITEM_FD,
			.fd = w->ool.fds[i],
		};
	}
	w->nr_items = (uint32_t)w->ool.count;
	return 0;
}

int xs_wire_body_out(struct xs_wire *w)
{
	int fd, ret;

	if (xs_wire_is_out(w))
		return 0;
	if (w->nr_items >= XS_ITEMS_MAX)
		return -E2BIG;
	if (w->body.len > XS_CODEC_BODY_MAX)
		return -EMSGSIZE;
	fd = xs_body_memfd(w->body.data, w->body.len);
	if (fd < 0)
		return fd;
	ret = xs_encode_body_ref(&w->ref, w->nr_items, w->body.len);
	if (ret) {
		close(fd);
		return ret;
	}
	w->items[w->nr_items++] = (struct xs_item) {
		.type = XS_ITEM_MEMFD,
		.fd = fd,
	};
	w->body_fd = fd;
	/* The memfd has it now: do not keep a second copy while sending. */
	xs_buf_release(&w->body);
	return 0;
}

/* ---- the threshold ---- */

int xs_parse_size(const char *s, size_t *out)
{
	unsigned long long v = 0;
	unsigned int shift = 0;
	const char *p = s;

	if (!s || *p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (~0ULL - 9) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned int)(*p - '0');
	}
	switch (*p) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (shift && *++p)
		return -EINVAL;
	if (v > (SIZE_MAX >> shift))
		return -EINVAL;
	*out = (size_t)(v << shift);
	return 0;
}

static size_t xs_threshold = XS_LARGE_THRESHOLD_DEFAULT;
static pthread_once_t xs_threshold_once = PTHREAD_ONCE_INIT;

static void xs_threshold_init(void)
{
	const char *env = getenv("XS_LARGE_THRESHOLD");
	size_t v;

	/* A value we cannot read keeps the default rather than guess. */
	if (env && *env && !xs_parse_size(env, &v))
		xs_threshold = v;
}

size_t xs_large_threshold(void)
{
	pthread_once(&xs_threshold_once, xs_threshold_init);
	return xs_threshold;
}

/* ---- memfds ---- */

static int xs_memfd_new(void)
{
	int fd;

	/*
	 * Not executable, ever (and no kernel warning about it); kernels
	 * before 6.3 do not know the flag.
	 */
	fd = memfd_create("xsession-body",
			  MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("xsession-body",
				  MFD_CLOEXEC | MFD_ALLOW_SEALING);
	return fd < 0 ? -errno : fd;
}

static int xs_pwrite_all(int fd, const void *bytes, size_t len)
{
	const char *p = bytes;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pwrite(fd, p + done, len - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

/* Writes the body, cuts the memfd to its length, seals it. */
static int xs_memfd_fill(int fd, const void *bytes, size_t len)
{
	int ret = xs_pwrite_all(fd, bytes, len);

	if (ret)
		return ret;
	if (ftruncate(fd, (off_t)len) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW))
		return -errno;
	return 0;
}

/* ---- the pool ---- */

/*
 * Class i holds memfds of XS_POOL_CLASS_MIN * 2^(i/4) * (4 + i%4) / 4
 * bytes: 1, 1.25, 1.5, 1.75, 2, 2.5, ... MiB up to XS_POOL_CLASS_MAX.
 */
_Static_assert((XS_POOL_CLASS_MIN << ((XS_POOL_CLASSES - 1) / 4)) ==
	       XS_POOL_CLASS_MAX && (XS_POOL_CLASSES - 1) % 4 == 0,
	       "XS_POOL_CLASSES must end exactly at XS_POOL_CLASS_MAX");

static size_t xs_class_bytes(unsigned int i)
{
	return ((size_t)XS_POOL_CLASS_MIN << (i / 4)) * (4 + i % 4) / 4;
}

/* The class of a body of @len bytes, -1 when the pool has none for it. */
static int xs_class_of(size_t len)
{
	unsigned int i;

	if (len < XS_POOL_CLASS_MIN)
		return -1;
	for (i = 0; i < XS_POOL_CLASSES; i++)
		if (len <= xs_class_bytes(i))
			return (int)i;
	return -1;
}

size_t xs_pool_class_size(size_t len)
{
	int c = xs_class_of(len);

	return c < 0 ? 0 : xs_class_bytes((unsigned int)c);
}

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* the thread: a class wants stock */
	int fds[XS_POOL_CLASSES][XS_POOL_DEPTH];
	uint8_t count[XS_POOL_CLASSES];
	bool want[XS_POOL_CLASSES];	/* restock up to XS_POOL_DEPTH */
	size_t bytes;			/* ready and being grown */
	int growing;			/* the memfd the thread grows, or -1 */
	pthread_t thread;
	bool running;			/* @thread exists (joinable) */
	bool used;			/* a body was taken since it last slept */
	bool closed;			/* the process is exiting */
	uint64_t hits, misses;
} xs_pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.growing = -1,
};

static pthread_once_t xs_pool_once = PTHREAD_ONCE_INIT;
static bool xs_pool_off;	/* XS_BODY_POOL=0 */

/* Under the lock: close every ready memfd. */
static void xs_pool_flush_locked(void)
{
	unsigned int i;

	for (i = 0; i < XS_POOL_CLASSES; i++) {
		while (xs_pool.count[i]) {
			close(xs_pool.fds[i][--xs_pool.count[i]]);
			xs_pool.bytes -= xs_class_bytes(i);
		}
		xs_pool.want[i] = false;
	}
}

void xs_pool_flush(void)
{
	pthread_mutex_lock(&xs_pool.lock);
	xs_pool_flush_locked();
	pthread_mutex_unlock(&xs_pool.lock);
}

/* The next class the thread should grow a memfd for, or -1. */
static int xs_pool_next_locked(void)
{
	unsigned int i;

	for (i = 0; i < XS_POOL_CLASSES; i++) {
		if (!xs_pool.want[i])
			continue;
		if (xs_pool.count[i] < XS_POOL_DEPTH &&
		    xs_pool.bytes + xs_class_bytes(i) <= XS_POOL_MAX_BYTES)
			return (int)i;
		/* Full, or no room under the bound: stop asking. */
		xs_pool.want[i] = false;
	}
	return -1;
}

/* Grow one memfd for class @c; called and returns with the lock held. */
static void xs_pool_grow_locked(int c)
{
	size_t size = xs_class_bytes((unsigned int)c);
	int fd;

	fd = xs_memfd_new();
	if (fd < 0) {
		xs_pool.want[c] = false;	/* try again on the next take */
		return;
	}
	xs_pool.growing = fd;
	xs_pool.bytes += size;
	pthread_mutex_unlock(&xs_pool.lock);

	/* The slow part: allocating and zeroing the pages. */
	if (ftruncate(fd, (off_t)size) || fallocate(fd, 0, 0, (off_t)size)) {
		close(fd);
		fd = -1;
	}

	pthread_mutex_lock(&xs_pool.lock);
	xs_pool.growing = -1;
	if (fd >= 0 && !xs_pool.closed &&
	    xs_pool.count[c] < XS_POOL_DEPTH) {
		xs_pool.fds[c][xs_pool.count[c]++] = fd;
		return;
	}
	xs_pool.bytes -= size;
	if (fd >= 0)
		close(fd);
	else
		xs_pool.want[c] = false;	/* no memory now: do not spin */
}

static void *xs_pool_thread(void *unused)
{
	struct timespec dl;
	int c;

	(void)unused;
	pthread_mutex_lock(&xs_pool.lock);
	while (!xs_pool.closed) {
		c = xs_pool_next_locked();
		if (c >= 0) {
			xs_pool_grow_locked(c);
			continue;
		}
		xs_pool.used = false;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += XS_POOL_IDLE_SEC;
		while (!xs_pool.closed && !xs_pool.used &&
		       pthread_cond_timedwait(&xs_pool.wake, &xs_pool.lock,
					      &dl) != ETIMEDOUT)
			;
		/*
		 * A whole idle period without a body: give the memory back
		 * and retire (nobody will join us, the next take starts
		 * another thread).
		 */
		if (!xs_pool.used && !xs_pool.closed) {
			xs_pool_flush_locked();
			xs_pool.running = false;
			pthread_detach(pthread_self());
			break;
		}
	}
	/* Closed: the exit handler flushed, and joins us. */
	pthread_mutex_unlock(&xs_pool.lock);
	return NULL;
}

/* Under the lock: make sure the thread runs (it may have retired). */
static void xs_pool_start_locked(void)
{
	sigset_t all, old;

	if (xs_pool.running || xs_pool.closed)
		return;
	/* Signals are the program's business, not this thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (!pthread_create(&xs_pool.thread, NULL, xs_pool_thread, NULL))
		xs_pool.running = true;	/* else: no stock, bodies still go */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * fork(): the child must not share the parent's ready memfds (both
 * would write into the same file), and it has no pool thread.  The
 * prepare handler holds the lock across the fork, so the child sees a
 * consistent pool, every memfd of it included.
 */
static void xs_pool_atfork_prepare(void)
{
	pthread_mutex_lock(&xs_pool.lock);
}

static void xs_pool_atfork_parent(void)
{
	pthread_mutex_unlock(&xs_pool.lock);
}

static void xs_pool_atfork_child(void)
{
	xs_pool_flush_locked();
	if (xs_pool.growing >= 0) {
		close(xs_pool.growing);
		xs_pool.growing = -1;
	}
	xs_pool.bytes = 0;
	xs_pool.running = false;
	pthread_mutex_unlock(&xs_pool.lock);
}

static void xs_pool_init(void)
{
	const char *env = getenv("XS_BODY_POOL");

	/*
	 * Measured, the pool speeds up the sending thread but not always
	 * the exchange as a whole: a program may turn it off.
	 */
	xs_pool_off = env && !strcmp(env, "0");
	pthread_atfork(xs_pool_atfork_prepare, xs_pool_atfork_parent,
		       xs_pool_atfork_child);
}

/*
 * At exit: close what is ready and wait for the thread (it closes what
 * it was growing), so that the process ends with nothing of the pool's
 * left over: no descriptor, no thread.
 */
__attribute__((destructor)) static void xs_pool_exit(void)
{
	bool join;

	pthread_mutex_lock(&xs_pool.lock);
	xs_pool.closed = true;
	xs_pool_flush_locked();
	join = xs_pool.running;
	xs_pool.running = false;
	pthread_cond_signal(&xs_pool.wake);
	pthread_mutex_unlock(&xs_pool.lock);
	if (join)
		pthread_join(xs_pool.thread, NULL);
}

/* A ready memfd of at least @len bytes, or -1; restocks the class. */
static int xs_pool_take(size_t len)
{
	int c = xs_class_of(len), fd = -1;

	if (c < 0)
		return -1;	/* no class: made on the spot */
	pthread_once(&xs_pool_once, xs_pool_init);
	if (xs_pool_off)
		return -1;
	pthread_mutex_lock(&xs_pool.lock);
	if (!xs_pool.closed) {
		if (xs_pool.count[c]) {
			fd = xs_pool.fds[c][--xs_pool.count[c]];
			xs_pool.bytes -= xs_class_bytes((unsigned int)c);
			xs_pool.hits++;
		} else {
			xs_pool.misses++;
		}
		xs_pool.want[c] = true;
		xs_pool.used = true;
		xs_pool_start_locked();
		pthread_cond_signal(&xs_pool.wake);
	}
	pthread_mutex_unlock(&xs_pool.lock);
	return fd;
}

int xs_body_memfd(const void *bytes, size_t len)
{
	int fd, ret;

	if (!len)
		return -EINVAL;
	fd = xs_pool_take(len);
	if (fd < 0)
		fd = xs_memfd_new();	/* write() allocates what it needs */
	if (fd < 0)
		return fd;
	ret = xs_memfd_fill(fd, bytes, len);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

void xs_pool_get_stats(struct xs_pool_stats *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&xs_pool.lock);
	for (i = 0; i < XS_POOL_CLASSES; i++) {
		st->idle += xs_pool.count[i];
		st->idle_bytes += xs_pool.count[i] * xs_class_bytes(i);
		st->busy |= xs_pool.want[i];
	}
	st->busy |= xs_pool.growing >= 0;
	st->hits = xs_pool.hits;
	st->misses = xs_pool.misses;
	st->thread = xs_pool.running;
	pthread_mutex_unlock(&xs_pool.lock);
}
