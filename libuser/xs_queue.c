// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Target queues: serial queues run by a shared, elastic pool of worker
 * threads, or by the caller's own event loop.
 *
 * A worker queue is "scheduled" while it has work: from the enqueue that
 * finds it idle until a worker finds it empty again.  While scheduled it
 * belongs to exactly one owner (a worker, or the backlog below), which is
 * what makes it serial: only the owner takes items off it.  The scheduled
 * state holds a reference, so a queue released with work still pending
 * lives until that work is done.
 *
 * The pool never makes a queue wait for a thread that is busy elsewhere:
 * a queue that becomes runnable is handed to an idle worker, or a new
 * worker is created for it.  A bounded pool would deadlock as soon as all
 * its threads block in handlers that wait for other queues (a server and
 * its client in one process, xs_queue_sync() chains); the cost is one
 * thread per queue that is running at the same moment.  Idle workers are
 * kept LIFO, so the most recently used ones are reused and the others
 * time out and exit.  Only when thread creation fails do queues wait in a
 * backlog that the existing workers then serve in turns.
 *
 * Locks: each queue's lock guards its list and flags; the pool's lock
 * guards the idle list and the backlog.  No code path holds both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "xs_queue.h"

/* How long a worker with nothing to do waits for work before it exits. */
#define XS_QUEUE_IDLE_MS	2000

#define xs_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

struct xs_work {
	struct xs_work *next;
	xs_work_fn fn;
	void *ctx;
	bool is_sync;		/* embedded in a struct xs_sync */
};

/*
 * What the running thread is doing, for xs_queue_is_current(): one frame
 * per work item being run, on the stack of the thread that runs it.
 * @outer is what the thread ran before (xs_queue_dispatch() may be called
 * from inside other work); @waiter, for work run by xs_queue_sync(), is
 * the frame of the thread waiting for it, which stays valid because that
 * thread sleeps until the work is done.
 */
struct xs_frame {
	const struct xs_queue *q;
	const struct xs_frame *outer;
	const struct xs_frame *waiter;
};

/* A synchronous work item: lives on the waiting caller's stack. */
struct xs_sync {
	struct xs_work work;
	const struct xs_frame *waiter;
	pthread_cond_t done_cv;		/* waits on the queue's lock */
	bool done;
};

struct xs_queue {
	atomic_uint refcnt;
	bool immortal;		/* the default queue: refcounting is a no-op */
	bool event_loop;
	int efd;		/* event-loop queues; -1 otherwise */
	char *label;

	pthread_mutex_t lock;
	struct xs_work *head, **tailp;
	bool scheduled;		/* worker queues: see the top of the file */
	bool dispatching;	/* event-loop queues: inside xs_queue_dispatch() */
	bool armed;		/* event-loop queues: efd counts non-zero */

	struct xs_queue *backlog_next;	/* under xs_pool.lock */
};

struct xs_list {
	struct xs_list *prev, *next;
};

struct xs_worker {
	struct xs_list idle;		/* on xs_pool.idle while waiting */
	pthread_cond_t cv;		/* waits on xs_pool.lock */
	struct xs_queue *assigned;	/* handed over by xs_pool_submit() */
};

static struct {
	pthread_mutex_t lock;
	struct xs_list idle;		/* most recently idle first */
	struct xs_queue *backlog, **backlog_tailp;
	/* Read without the lock by busy workers: a hint, so atomic. */
	atomic_uint nbacklog;
	unsigned int nworkers;
} xs_pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.idle = { &xs_pool.idle, &xs_pool.idle },
	.backlog_tailp = &xs_pool.backlog,
};

static __thread const struct xs_frame *xs_cur;

/* ---- Small helpers ---- */

static void xs_list_add(struct xs_list *head, struct xs_list *e)
{
	e->next = head->next;
	e->prev = head;
	head->next->prev = e;
	head->next = e;
}

static void xs_list_del(struct xs_list *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->prev = e;
	e->next = e;
}

static bool xs_frame_has(const struct xs_frame *f, const struct xs_queue *q)
{
	/* Recursion depth is the xs_queue_sync() nesting depth: bounded. */
	for (; f; f = f->outer) {
		if (f->q == q)
			return true;
		if (f->waiter && xs_frame_has(f->waiter, q))
			return true;
	}
	return false;
}

static void xs_efd_set(struct xs_queue *q)
{
	uint64_t one = 1;

	/* Cannot fail: the counter is only ever 0 or 1. */
	if (write(q->efd, &one, sizeof(one)) != sizeof(one))
		return;
}

static void xs_efd_clear(struct xs_queue *q)
{
	uint64_t v;

	/* EAGAIN when already zero, which is as good. */
	if (read(q->efd, &v, sizeof(v)) != sizeof(v))
		return;
}

/* Under q->lock: detaches the whole list. */
static struct xs_work *xs_take_all(struct xs_queue *q)
{
	struct xs_work *w = q->head;

	q->head = NULL;
	q->tailp = &q->head;
	if (q->armed) {
		xs_efd_clear(q);
		q->armed = false;
	}
	return w;
}

static void xs_queue_ref(struct xs_queue *q)
{
	if (!q->immortal)
		atomic_fetch_add_explicit(&q->refcnt, 1, memory_order_relaxed);
}

/*
 * Runs a detached list of @q's work on this thread.  Async items are
 * freed; a sync item is handed back to its waiter, which owns it.  The
 * caller holds a reference to @q, so work may release the queue.
 */
static unsigned int xs_run_list(struct xs_queue *q, struct xs_work *w)
{
	const struct xs_frame *outer = xs_cur;
	unsigned int n = 0;

	while (w) {
		struct xs_work *next = w->next;
		struct xs_frame frame = { .q = q, .outer = outer };
		struct xs_sync *s = NULL;

		if (w->is_sync) {
			s = xs_container_of(w, struct xs_sync, work);
			frame.waiter = s->waiter;
		}
		xs_cur = &frame;
		w->fn(w->ctx);
		xs_cur = outer;
		if (s) {
			/*
			 * Signal under the lock the waiter sleeps on: once
			 * it can see done it may return and pop @s.
			 */
			pthread_mutex_lock(&q->lock);
			s->done = true;
			pthread_cond_signal(&s->done_cv);
			pthread_mutex_unlock(&q->lock);
		} else {
			free(w);
		}
		n++;
		w = next;
	}
	return n;
}

/* ---- The worker pool ---- */

static void xs_queue_drain(struct xs_queue *q);
static void xs_queue_unref(struct xs_queue *q);

/* Under xs_pool.lock. */
static void xs_backlog_add_locked(struct xs_queue *q)
{
	q->backlog_next = NULL;
	*xs_pool.backlog_tailp = q;
	xs_pool.backlog_tailp = &q->backlog_next;
	atomic_fetch_add_explicit(&xs_pool.nbacklog, 1, memory_order_relaxed);
}

/* Under xs_pool.lock. */
static struct xs_queue *xs_backlog_take_locked(void)
{
	struct xs_queue *q = xs_pool.backlog;

	if (q) {
		xs_pool.backlog = q->backlog_next;
		if (!xs_pool.backlog)
			xs_pool.backlog_tailp = &xs_pool.backlog;
		atomic_fetch_sub_explicit(&xs_pool.nbacklog, 1,
					  memory_order_relaxed);
	}
	return q;
}

/*
 * Under xs_pool.lock: the next queue for worker @w, sleeping for one if
 * there is none yet.  NULL when the idle time ran out: @w must exit.
 */
static struct xs_queue *xs_pool_next_locked(struct xs_worker *w)
{
	struct timespec deadline;
	struct xs_queue *q;

	q = xs_backlog_take_locked();
	if (q)
		return q;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += XS_QUEUE_IDLE_MS / 1000;
	deadline.tv_nsec += (XS_QUEUE_IDLE_MS % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	w->assigned = NULL;
	xs_list_add(&xs_pool.idle, &w->idle);
	while (!w->assigned) {
		if (pthread_cond_timedwait(&w->cv, &xs_pool.lock,
					   &deadline) != ETIMEDOUT)
			continue;
		if (w->assigned)
			break;
		xs_list_del(&w->idle);
		/* The backlog only grows with no idle worker about. */
		q = xs_backlog_take_locked();
		if (q)
			return q;
		return NULL;
	}
	/* xs_pool_submit() took us off the idle list. */
	return w->assigned;
}

static void *xs_worker_main(void *arg)
{
	struct xs_worker *w = arg;
	struct xs_queue *q = w->assigned;

	pthread_setname_np(pthread_self(), "xs-queue");
	for (;;) {
		xs_queue_drain(q);
		pthread_mutex_lock(&xs_pool.lock);
		q = xs_pool_next_locked(w);
		if (!q)
			xs_pool.nworkers--;
		pthread_mutex_unlock(&xs_pool.lock);
		if (!q)
			break;
	}
	pthread_cond_destroy(&w->cv);
	free(w);
	return NULL;
}

/* Under xs_pool.lock: a new worker whose first queue is @q. */
static int xs_worker_spawn_locked(struct xs_queue *q)
{
	pthread_condattr_t cattr;
	pthread_attr_t attr;
	sigset_t all, old;
	struct xs_worker *w;
	pthread_t tid;
	int err;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->idle.prev = &w->idle;
	w->idle.next = &w->idle;
	w->assigned = q;
	pthread_condattr_init(&cattr);
	/* Idle timeouts must not jump with the wall clock. */
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	err = pthread_cond_init(&w->cv, &cattr);
	pthread_condattr_destroy(&cattr);
	if (err) {
		free(w);
		return -err;
	}

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/*
	 * Workers block every signal: an application's handlers must run on
	 * its own threads, not in the middle of a library worker.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&tid, &attr, xs_worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (err) {
		pthread_cond_destroy(&w->cv);
		free(w);
		return -err;
	}
	xs_pool.nworkers++;
	return 0;
}

/*
 * Finds a thread for @q, which was just scheduled.  Fails only when no
 * thread exists and none could be created: then nobody would ever run it.
 */
static int xs_pool_submit(struct xs_queue *q)
{
	int ret = 0;

	pthread_mutex_lock(&xs_pool.lock);
	if (xs_pool.idle.next != &xs_pool.idle) {
		struct xs_worker *w = xs_container_of(xs_pool.idle.next,
						      struct xs_worker, idle);

		xs_list_del(&w->idle);
		w->assigned = q;
		pthread_cond_signal(&w->cv);
	} else if (xs_worker_spawn_locked(q)) {
		/*
		 * Out of threads: the busy workers take turns with the
		 * backlog.  With no worker at all, give up.
		 */
		if (xs_pool.nworkers)
			xs_backlog_add_locked(q);
		else
			ret = -ENOMEM;
	}
	pthread_mutex_unlock(&xs_pool.lock);
	return ret;
}

/*
 * Runs a scheduled worker queue until it is empty, then drops the
 * scheduled reference (which may free it).
 */
static void xs_queue_drain(struct xs_queue *q)
{
	struct xs_work *batch;

	for (;;) {
		pthread_mutex_lock(&q->lock);
		batch = xs_take_all(q);
		if (!batch) {
			q->scheduled = false;
			pthread_mutex_unlock(&q->lock);
			xs_queue_unref(q);
			return;
		}
		pthread_mutex_unlock(&q->lock);
		xs_run_list(q, batch);
		if (atomic_load_explicit(&xs_pool.nbacklog,
					 memory_order_relaxed)) {
			/* Queues wait for a thread: let them have a turn. */
			pthread_mutex_lock(&xs_pool.lock);
			xs_backlog_add_locked(q);
			pthread_mutex_unlock(&xs_pool.lock);
			return;
		}
	}
}

/* ---- Queues ---- */

static struct xs_queue *xs_queue_new(const char *label, bool event_loop)
{
	struct xs_queue *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->efd = -1;
	q->label = strdup(label ? label : "");
	if (!q->label)
		goto fail_free;
	if (event_loop) {
		q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->efd < 0)
			goto fail_free;
	}
	/* Default attributes: glibc's init cannot fail. */
	pthread_mutex_init(&q->lock, NULL);
	atomic_init(&q->refcnt, 1);
	q->event_loop = event_loop;
	q->tailp = &q->head;
	return q;

fail_free:
	/* errno from strdup() or eventfd(); free() leaves it alone. */
	free(q->label);
	free(q);
	return NULL;
}

xs_queue_t *xs_queue_create(const char *label)
{
	return xs_queue_new(label, false);
}

xs_queue_t *xs_queue_create_event_loop(const char *label)
{
	return xs_queue_new(label, true);
}

static void xs_queue_free(struct xs_queue *q)
{
	pthread_mutex_destroy(&q->lock);
	if (q->efd >= 0)
		close(q->efd);
	free(q->label);
	free(q);
}

/*
 * The last reference to an event-loop queue is gone: nobody can dispatch
 * it any more, so run what is left here rather than lose it.  The drain
 * holds a reference of its own while work runs, so work that retains and
 * releases the queue cannot end up here again underneath us.  Returns
 * true when the work kept a reference: then the queue lives on.
 */
static bool xs_queue_last_drain(struct xs_queue *q)
{
	struct xs_work *batch;

	for (;;) {
		pthread_mutex_lock(&q->lock);
		batch = xs_take_all(q);
		/* Work may retain the queue and hand it to a dispatcher. */
		q->dispatching = !!batch;
		pthread_mutex_unlock(&q->lock);
		if (!batch)
			return false;
		atomic_store_explicit(&q->refcnt, 1, memory_order_relaxed);
		xs_run_list(q, batch);
		pthread_mutex_lock(&q->lock);
		q->dispatching = false;
		pthread_mutex_unlock(&q->lock);
		if (atomic_fetch_sub_explicit(&q->refcnt, 1,
					      memory_order_acq_rel) != 1)
			return true;
	}
}

static void xs_queue_unref(struct xs_queue *q)
{
	if (q->immortal)
		return;
	/* acq_rel: whoever frees sees every other holder's last writes. */
	if (atomic_fetch_sub_explicit(&q->refcnt, 1, memory_order_acq_rel) != 1)
		return;
	if (q->event_loop && xs_queue_last_drain(q))
		return;
	xs_queue_free(q);
}

xs_queue_t *xs_queue_retain(xs_queue_t *q)
{
	if (q)
		xs_queue_ref(q);
	return q;
}

void xs_queue_release(xs_queue_t *q)
{
	if (q)
		xs_queue_unref(q);
}

const char *xs_queue_get_label(const xs_queue_t *q)
{
	return q ? q->label : "";
}

bool xs_queue_is_current(const xs_queue_t *q)
{
	return q && xs_frame_has(xs_cur, q);
}

xs_queue_t *xs_queue_get_default(void)
{
	static _Atomic(struct xs_queue *) def;
	static pthread_mutex_t def_lock = PTHREAD_MUTEX_INITIALIZER;
	struct xs_queue *q;

	q = atomic_load_explicit(&def, memory_order_acquire);
	if (q)
		return q;
	/* Not pthread_once(): a failed creation may be retried. */
	pthread_mutex_lock(&def_lock);
	q = atomic_load_explicit(&def, memory_order_relaxed);
	if (!q) {
		q = xs_queue_new("xsession.default", false);
		if (q) {
			q->immortal = true;
			atomic_store_explicit(&def, q, memory_order_release);
		}
	}
	pthread_mutex_unlock(&def_lock);
	return q;
}

/* xs_pool_submit() failed: take @w back off @q, which nobody runs. */
static void xs_enqueue_undo(struct xs_queue *q, struct xs_work *w)
{
	struct xs_work **pp;
	bool empty;

	pthread_mutex_lock(&q->lock);
	for (pp = &q->head; *pp != w; pp = &(*pp)->next)
		;
	*pp = w->next;
	if (q->tailp == &w->next)
		q->tailp = pp;
	empty = !q->head;
	if (empty)
		q->scheduled = false;
	pthread_mutex_unlock(&q->lock);
	if (empty) {
		xs_queue_unref(q);	/* the scheduled one; the caller has one */
		return;
	}
	/*
	 * Others enqueued behind us meanwhile, trusting the queue to be
	 * scheduled: keep their work for the next thread there is.
	 */
	pthread_mutex_lock(&xs_pool.lock);
	xs_backlog_add_locked(q);
	pthread_mutex_unlock(&xs_pool.lock);
}

static int xs_enqueue(struct xs_queue *q, struct xs_work *w)
{
	bool kick = false;
	int ret;

	w->next = NULL;
	pthread_mutex_lock(&q->lock);
	*q->tailp = w;
	q->tailp = &w->next;
	if (q->event_loop) {
		/* Readable exactly while the list is not empty. */
		if (!q->armed) {
			xs_efd_set(q);
			q->armed = true;
		}
	} else if (!q->scheduled) {
		q->scheduled = true;
		xs_queue_ref(q);
		kick = true;
	}
	pthread_mutex_unlock(&q->lock);
	if (!kick)
		return 0;
	ret = xs_pool_submit(q);
	if (ret)
		xs_enqueue_undo(q, w);
	return ret;
}

int xs_queue_async(xs_queue_t *q, xs_work_fn fn, void *ctx)
{
	struct xs_work *w;
	int ret;

	if (!q || !fn)
		return -EINVAL;
	w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->ctx = ctx;
	w->is_sync = false;
	ret = xs_enqueue(q, w);
	if (ret)
		free(w);
	return ret;
}

int xs_queue_sync(xs_queue_t *q, xs_work_fn fn, void *ctx)
{
	struct xs_sync s = {
		.work = { .fn = fn, .ctx = ctx, .is_sync = true },
		.waiter = xs_cur,
	};
	int ret;

	if (!q || !fn)
		return -EINVAL;
	/* It would wait behind the work that is waiting for it. */
	if (xs_frame_has(xs_cur, q))
		return -EDEADLK;
	ret = pthread_cond_init(&s.done_cv, NULL);
	if (ret)
		return -ret;
	ret = xs_enqueue(q, &s.work);
	if (!ret) {
		pthread_mutex_lock(&q->lock);
		while (!s.done)
			pthread_cond_wait(&s.done_cv, &q->lock);
		pthread_mutex_unlock(&q->lock);
	}
	pthread_cond_destroy(&s.done_cv);
	return ret;
}

int xs_queue_get_fd(xs_queue_t *q)
{
	if (!q || !q->event_loop)
		return -EINVAL;
	return q->efd;
}

int xs_queue_dispatch(xs_queue_t *q)
{
	struct xs_work *batch;
	unsigned int n;

	if (!q || !q->event_loop)
		return -EINVAL;
	if (xs_frame_has(xs_cur, q))
		return -EDEADLK;
	pthread_mutex_lock(&q->lock);
	if (q->dispatching) {
		pthread_mutex_unlock(&q->lock);
		return -EBUSY;
	}
	/* A snapshot: what is enqueued from now on waits for the next call. */
	batch = xs_take_all(q);
	if (!batch) {
		pthread_mutex_unlock(&q->lock);
		return 0;
	}
	q->dispatching = true;
	pthread_mutex_unlock(&q->lock);

	/* The work may drop the caller's reference. */
	xs_queue_ref(q);
	n = xs_run_list(q, batch);
	pthread_mutex_lock(&q->lock);
	q->dispatching = false;
	pthread_mutex_unlock(&q->lock);
	xs_queue_unref(q);
	return n > INT_MAX ? INT_MAX : (int)n;
}
