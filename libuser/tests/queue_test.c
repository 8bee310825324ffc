// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests for libxsession's target queues (xs_queue.c): serial order,
 * synchronous calls and their deadlock checks, event-loop queues, and
 * lifetimes (release with work pending, release from inside work, no
 * thread or memory leak over many queues).
 *
 * Work items run on other threads, and a failed XS_ASSERT there would end
 * the test from under the main thread: so work only records what it saw,
 * and the main thread checks it after waiting for the work to finish.
 * Every wait has a deadline, so a broken queue fails a check instead of
 * hanging until the harness timeout.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* GCC says which sanitizer is on with macros, clang with __has_feature. */
#if defined(__SANITIZE_ADDRESS__)
#define QT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define QT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define QT_TSAN 1
#endif
#endif

#ifdef QT_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#include "xs_queue.h"
#include "xs_test.h"

#ifdef QT_TSAN
/*
 * A race must fail the test that found it: the harness ends tests with
 * _exit(), so TSan's exit code for "reports were printed" never shows.
 */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "halt_on_error=1:second_deadlock_stack=1:atexit_sleep_ms=0";
}
#endif

/* ---- Helpers ---- */

/* A counter that the main thread can wait on. */
struct latch {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	long count;
};

#define LATCH_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 }

static void latch_add(struct latch *l, long n)
{
	pthread_mutex_lock(&l->lock);
	l->count += n;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->lock);
}

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Waits until the count reaches @want; false after @ms. */
static bool latch_wait(struct latch *l, long want, long ms)
{
	struct timespec ts;
	bool ok = true;

	deadline_in(&ts, ms);
	pthread_mutex_lock(&l->lock);
	while (l->count < want && ok)
		ok = pthread_cond_timedwait(&l->cv, &l->lock, &ts) == 0 ||
		     l->count >= want;
	ok = l->count >= want;
	pthread_mutex_unlock(&l->lock);
	return ok;
}

static long latch_get(struct latch *l)
{
	long n;

	pthread_mutex_lock(&l->lock);
	n = l->count;
	pthread_mutex_unlock(&l->lock);
	return n;
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int nr_threads(void)
{
	return count_dir("/proc/self/task");
}

static void *noop_thread(void *arg)
{
	return arg;
}

/*
 * Sanitizer runtimes start helper threads of their own on first use:
 * start and join one thread so the baseline already has them.
 */
static int thread_baseline(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, noop_thread, NULL) == 0)
		pthread_join(t, NULL);
	return nr_threads();
}

/* Waits (sleeping) for idle workers to exit; returns the last count. */
static int wait_threads(int want, long ms)
{
	int n;

	for (;;) {
		n = nr_threads();
		if (n <= want || ms <= 0)
			return n;
		usleep(50 * 1000);
		ms -= 50;
	}
}

static void noop(void *ctx)
{
	(void)ctx;
}

static bool pollin(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN);
}

/* ---- Serial order ---- */

#define PRODUCERS	8
#define PER_PRODUCER	10000

static struct {
	atomic_int running;
	atomic_int max_running;
	/* Plain on purpose: serial work needs no locking (TSan checks). */
	long last_seq[PRODUCERS];
	long out_of_order;
	long total;
} ser;

static void serial_work(void *ctx)
{
	uintptr_t v = (uintptr_t)ctx;
	int p = v >> 24, r;
	long seq = v & 0xffffff;

	r = atomic_fetch_add(&ser.running, 1) + 1;
	if (r > atomic_load(&ser.max_running))
		atomic_store(&ser.max_running, r);
	if (ser.last_seq[p] + 1 != seq)
		ser.out_of_order++;
	ser.last_seq[p] = seq;
	ser.total++;
	/* Now and then, give a second runner a chance to show itself. */
	if (!(seq % 512))
		sched_yield();
	atomic_fetch_sub(&ser.running, 1);
}

struct producer {
	xs_queue_t *q;
	int id;
	int errors;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	long i;

	for (i = 0; i < PER_PRODUCER; i++)
		if (xs_queue_async(p->q, serial_work,
				   (void *)(((uintptr_t)p->id << 24) | i)))
			p->errors++;
	return NULL;
}

XS_TEST(serial_with_many_producers)
{
	struct producer prod[PRODUCERS];
	pthread_t tid[PRODUCERS];
	xs_queue_t *q = xs_queue_create("test.serial");
	int i;

	XS_ASSERT_NE(q, NULL);
	for (i = 0; i < PRODUCERS; i++)
		ser.last_seq[i] = -1;
	for (i = 0; i < PRODUCERS; i++) {
		prod[i] = (struct producer){ .q = q, .id = i };
		XS_ASSERT_EQ(pthread_create(&tid[i], NULL, producer_main,
					    &prod[i]), 0);
	}
	for (i = 0; i < PRODUCERS; i++) {
		pthread_join(tid[i], NULL);
		XS_EXPECT_EQ(prod[i].errors, 0);
	}
	/* FIFO: once this has run, everything enqueued before it has. */
	XS_ASSERT_EQ(xs_queue_sync(q, noop, NULL), 0);
	XS_EXPECT_EQ(atomic_load(&ser.max_running), 1);
	XS_EXPECT_EQ(ser.out_of_order, 0);
	XS_EXPECT_EQ(ser.total, PRODUCERS * PER_PRODUCER);
	for (i = 0; i < PRODUCERS; i++)
		XS_EXPECT_EQ(ser.last_seq[i], PER_PRODUCER - 1);
	xs_queue_release(q);
}

/*
 * Enqueues ordered by a lock (so one happens before the next, whatever
 * the thread) run in that order.
 */
static struct {
	pthread_mutex_t lock;
	long next_ticket;
	long expect;	/* touched by the work only */
	long wrong;
	xs_queue_t *q;
} tot = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void ticket_work(void *ctx)
{
	if ((long)(intptr_t)ctx != tot.expect)
		tot.wrong++;
	tot.expect++;
}

static void *ticket_producer(void *arg)
{
	int i;

	for (i = 0; i < 5000; i++) {
		pthread_mutex_lock(&tot.lock);
		if (xs_queue_async(tot.q, ticket_work,
				   (void *)(intptr_t)tot.next_ticket) == 0)
			tot.next_ticket++;
		pthread_mutex_unlock(&tot.lock);
	}
	return arg;
}

XS_TEST(total_order_of_enqueue)
{
	pthread_t tid[4];
	int i;

	tot.q = xs_queue_create("test.total");
	XS_ASSERT_NE(tot.q, NULL);
	for (i = 0; i < 4; i++)
		XS_ASSERT_EQ(pthread_create(&tid[i], NULL, ticket_producer,
					    NULL), 0);
	for (i = 0; i < 4; i++)
		pthread_join(tid[i], NULL);
	XS_ASSERT_EQ(xs_queue_sync(tot.q, noop, NULL), 0);
	XS_EXPECT_EQ(tot.next_ticket, 4 * 5000);
	XS_EXPECT_EQ(tot.expect, 4 * 5000);
	XS_EXPECT_EQ(tot.wrong, 0);
	xs_queue_release(tot.q);
}

static struct {
	xs_queue_t *q;
	bool first_returned;
	bool second_saw_first_returned;
	int async_ret;
	struct latch done;
} nest = { .done = LATCH_INIT };

static void nest_second(void *ctx)
{
	(void)ctx;
	nest.second_saw_first_returned = nest.first_returned;
	latch_add(&nest.done, 1);
}

static void nest_first(void *ctx)
{
	(void)ctx;
	nest.async_ret = xs_queue_async(nest.q, nest_second, NULL);
	/* Give a wrongly concurrent second item every chance to start. */
	usleep(20 * 1000);
	nest.first_returned = true;
}

XS_TEST(work_enqueued_by_work_runs_after_it)
{
	nest.q = xs_queue_create("test.nest");
	XS_ASSERT_NE(nest.q, NULL);
	XS_ASSERT_EQ(xs_queue_async(nest.q, nest_first, NULL), 0);
	XS_ASSERT_TRUE(latch_wait(&nest.done, 1, 10000));
	XS_EXPECT_EQ(nest.async_ret, 0);
	XS_EXPECT_TRUE(nest.second_saw_first_returned);
	xs_queue_release(nest.q);
}

/* ---- Parallelism ---- */

#define NPAR	16

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	int arrived;
	int all_met;
	struct latch done;
} par = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0,
	  LATCH_INIT };

/* Returns only once all NPAR queues are inside this at the same time. */
static void rendezvous(void *ctx)
{
	struct timespec ts;
	bool ok = true;

	(void)ctx;
	deadline_in(&ts, 10000);
	pthread_mutex_lock(&par.lock);
	par.arrived++;
	pthread_cond_broadcast(&par.cv);
	while (par.arrived < NPAR && ok)
		ok = pthread_cond_timedwait(&par.cv, &par.lock, &ts) == 0;
	if (par.arrived >= NPAR)
		par.all_met++;
	pthread_mutex_unlock(&par.lock);
	latch_add(&par.done, 1);
}

XS_TEST(queues_run_in_parallel)
{
	xs_queue_t *q[NPAR];
	int i;

	for (i = 0; i < NPAR; i++) {
		q[i] = xs_queue_create("test.par");
		XS_ASSERT_NE(q[i], NULL);
		XS_ASSERT_EQ(xs_queue_async(q[i], rendezvous, NULL), 0);
	}
	XS_ASSERT_TRUE(latch_wait(&par.done, NPAR, 20000));
	pthread_mutex_lock(&par.lock);
	XS_EXPECT_EQ(par.all_met, NPAR);
	pthread_mutex_unlock(&par.lock);
	for (i = 0; i < NPAR; i++)
		xs_queue_release(q[i]);
}

static struct {
	sigset_t mask;
} sig;

static void get_sigmask(void *ctx)
{
	(void)ctx;
	pthread_sigmask(SIG_SETMASK, NULL, &sig.mask);
}

XS_TEST(workers_block_signals)
{
	xs_queue_t *q = xs_queue_create("test.sig");
	sigset_t none;

	XS_ASSERT_NE(q, NULL);
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	XS_ASSERT_EQ(xs_queue_sync(q, get_sigmask, NULL), 0);
	XS_EXPECT_TRUE(sigismember(&sig.mask, SIGINT));
	XS_EXPECT_TRUE(sigismember(&sig.mask, SIGTERM));
	XS_EXPECT_TRUE(sigismember(&sig.mask, SIGUSR1));
	xs_queue_release(q);
}

/* ---- Synchronous calls and xs_queue_is_current() ---- */

static struct {
	xs_queue_t *a, *b, *c;
	pthread_t main_thread;
	bool ran_off_main;
	bool cur_a_in_a, cur_b_in_a;
	int self_sync;
	/* inside b, reached from a through xs_queue_sync() */
	bool b_cur_a, b_cur_b, b_cur_c;
	int b_sync_a, b_sync_c;
	/* inside c, reached from a -> b */
	bool c_cur_a, c_cur_b, c_cur_c;
	int c_sync_a, c_sync_b, c_async_a;
	int a_sync_b;
	/* inside b, reached from a by xs_queue_async(): not a's context */
	bool async_b_cur_a;
	int async_b_sync_a;
	struct latch done;
} sy = { .done = LATCH_INIT };

static void sy_c(void *ctx)
{
	(void)ctx;
	sy.c_cur_a = xs_queue_is_current(sy.a);
	sy.c_cur_b = xs_queue_is_current(sy.b);
	sy.c_cur_c = xs_queue_is_current(sy.c);
	sy.c_sync_a = xs_queue_sync(sy.a, noop, NULL);
	sy.c_sync_b = xs_queue_sync(sy.b, noop, NULL);
	/* Async into a busy queue is fine: it runs once a is free. */
	sy.c_async_a = xs_queue_async(sy.a, noop, NULL);
}

static void sy_b(void *ctx)
{
	(void)ctx;
	sy.b_cur_a = xs_queue_is_current(sy.a);
	sy.b_cur_b = xs_queue_is_current(sy.b);
	sy.b_cur_c = xs_queue_is_current(sy.c);
	sy.b_sync_a = xs_queue_sync(sy.a, noop, NULL);
	sy.b_sync_c = xs_queue_sync(sy.c, sy_c, NULL);
}

static void sy_a(void *ctx)
{
	(void)ctx;
	sy.ran_off_main = !pthread_equal(pthread_self(), sy.main_thread);
	sy.cur_a_in_a = xs_queue_is_current(sy.a);
	sy.cur_b_in_a = xs_queue_is_current(sy.b);
	sy.self_sync = xs_queue_sync(sy.a, noop, NULL);
	sy.a_sync_b = xs_queue_sync(sy.b, sy_b, NULL);
}

static void sy_async_b(void *ctx)
{
	(void)ctx;
	sy.async_b_cur_a = xs_queue_is_current(sy.a);
	/* a is idle by now (we were enqueued from its last item). */
	sy.async_b_sync_a = xs_queue_sync(sy.a, noop, NULL);
	latch_add(&sy.done, 1);
}

static void sy_a_async(void *ctx)
{
	(void)ctx;
	xs_queue_async(sy.b, sy_async_b, NULL);
}

XS_TEST(sync_and_is_current)
{
	sy.main_thread = pthread_self();
	sy.a = xs_queue_create("test.a");
	sy.b = xs_queue_create("test.b");
	sy.c = xs_queue_create("test.c");
	XS_ASSERT_TRUE(sy.a && sy.b && sy.c);

	XS_EXPECT_FALSE(xs_queue_is_current(sy.a));
	XS_ASSERT_EQ(xs_queue_sync(sy.a, sy_a, NULL), 0);
	XS_EXPECT_FALSE(xs_queue_is_current(sy.a));

	XS_EXPECT_TRUE(sy.ran_off_main);
	XS_EXPECT_TRUE(sy.cur_a_in_a);
	XS_EXPECT_FALSE(sy.cur_b_in_a);
	XS_EXPECT_EQ(sy.self_sync, -EDEADLK);
	XS_EXPECT_EQ(sy.a_sync_b, 0);

	XS_EXPECT_TRUE(sy.b_cur_a);
	XS_EXPECT_TRUE(sy.b_cur_b);
	XS_EXPECT_FALSE(sy.b_cur_c);
	XS_EXPECT_EQ(sy.b_sync_a, -EDEADLK);
	XS_EXPECT_EQ(sy.b_sync_c, 0);

	XS_EXPECT_TRUE(sy.c_cur_a);
	XS_EXPECT_TRUE(sy.c_cur_b);
	XS_EXPECT_TRUE(sy.c_cur_c);
	XS_EXPECT_EQ(sy.c_sync_a, -EDEADLK);
	XS_EXPECT_EQ(sy.c_sync_b, -EDEADLK);
	XS_EXPECT_EQ(sy.c_async_a, 0);

	/* Async hops carry no context: a is not current in b then. */
	XS_ASSERT_EQ(xs_queue_async(sy.a, sy_a_async, NULL), 0);
	XS_ASSERT_TRUE(latch_wait(&sy.done, 1, 10000));
	XS_EXPECT_FALSE(sy.async_b_cur_a);
	XS_EXPECT_EQ(sy.async_b_sync_a, 0);

	xs_queue_release(sy.a);
	xs_queue_release(sy.b);
	xs_queue_release(sy.c);
}

XS_TEST(bad_arguments)
{
	xs_queue_t *q = xs_queue_create(NULL);
	char label[16] = "test.label";
	xs_queue_t *l = xs_queue_create(label);

	XS_ASSERT_TRUE(q && l);
	XS_EXPECT_STREQ(xs_queue_get_label(q), "");
	XS_EXPECT_STREQ(xs_queue_get_label(NULL), "");
	strcpy(label, "changed");
	XS_EXPECT_STREQ(xs_queue_get_label(l), "test.label");
	XS_EXPECT_EQ(xs_queue_async(NULL, noop, NULL), -EINVAL);
	XS_EXPECT_EQ(xs_queue_async(q, NULL, NULL), -EINVAL);
	XS_EXPECT_EQ(xs_queue_sync(NULL, noop, NULL), -EINVAL);
	XS_EXPECT_EQ(xs_queue_sync(q, NULL, NULL), -EINVAL);
	XS_EXPECT_EQ(xs_queue_get_fd(q), -EINVAL);
	XS_EXPECT_EQ(xs_queue_get_fd(NULL), -EINVAL);
	XS_EXPECT_EQ(xs_queue_dispatch(q), -EINVAL);
	XS_EXPECT_EQ(xs_queue_dispatch(NULL), -EINVAL);
	XS_EXPECT_FALSE(xs_queue_is_current(NULL));
	XS_EXPECT_EQ(xs_queue_retain(NULL), NULL);
	xs_queue_release(NULL);
	XS_EXPECT_EQ(xs_queue_retain(q), q);
	xs_queue_release(q);
	xs_queue_release(q);
	xs_queue_release(l);
}

static struct {
	struct latch done;
	bool cur;
} dq = { .done = LATCH_INIT };

static void default_work(void *ctx)
{
	dq.cur = xs_queue_is_current(ctx);
	latch_add(&dq.done, 1);
}

XS_TEST(default_queue)
{
	xs_queue_t *d = xs_queue_get_default();

	XS_ASSERT_NE(d, NULL);
	XS_EXPECT_EQ(xs_queue_get_default(), d);
	XS_EXPECT_STREQ(xs_queue_get_label(d), "xsession.default");
	/* Over-releasing the default queue must not free it. */
	xs_queue_release(d);
	xs_queue_release(d);
	XS_ASSERT_EQ(xs_queue_async(d, default_work, d), 0);
	XS_ASSERT_TRUE(latch_wait(&dq.done, 1, 10000));
	XS_EXPECT_TRUE(dq.cur);
	XS_EXPECT_EQ(xs_queue_sync(d, noop, NULL), 0);
	XS_EXPECT_EQ(xs_queue_get_fd(d), -EINVAL);
}

/* ---- Event-loop queues ---- */

#define EL_ITEMS	2000

static struct {
	xs_queue_t *q;
	pthread_t loop_thread;
	long ran;	/* only touched on the loop thread */
	long off_thread;
	long order_errors;
	long next;
} el;

static void el_work(void *ctx)
{
	if (!pthread_equal(pthread_self(), el.loop_thread))
		el.off_thread++;
	if ((long)(intptr_t)ctx != el.next)
		el.order_errors++;
	el.next++;
	el.ran++;
}

static void *el_producer(void *arg)
{
	long i;

	for (i = 0; i < EL_ITEMS; i++) {
		xs_queue_async(el.q, el_work, (void *)(intptr_t)i);
		if (!(i % 100))
			usleep(1000);	/* let the loop catch up now and then */
	}
	return arg;
}

XS_TEST(event_loop_poll)
{
	int fd, n, wakeups = 0;
	pthread_t tid;

	el.q = xs_queue_create_event_loop("test.el");
	el.loop_thread = pthread_self();
	XS_ASSERT_NE(el.q, NULL);
	fd = xs_queue_get_fd(el.q);
	XS_ASSERT_GE(fd, 0);
	XS_EXPECT_FALSE(pollin(fd, 0));
	XS_EXPECT_EQ(xs_queue_dispatch(el.q), 0);

	XS_ASSERT_EQ(pthread_create(&tid, NULL, el_producer, NULL), 0);
	while (el.ran < EL_ITEMS) {
		if (!pollin(fd, 10000))
			break;
		wakeups++;
		n = xs_queue_dispatch(el.q);
		if (n < 0)
			break;
	}
	pthread_join(tid, NULL);
	XS_EXPECT_EQ(el.ran, EL_ITEMS);
	XS_EXPECT_EQ(el.off_thread, 0);
	XS_EXPECT_EQ(el.order_errors, 0);
	/* Drained: the fd is quiet, and another dispatch finds nothing. */
	XS_EXPECT_FALSE(pollin(fd, 0));
	XS_EXPECT_EQ(xs_queue_dispatch(el.q), 0);
	xs_diag("%d wakeups for %d items", wakeups, EL_ITEMS);
	xs_queue_release(el.q);
}

static struct {
	xs_queue_t *q;
	int runs;
	int nested_dispatch;
	bool cur;
	int busy;
} els;

static void *dispatch_thread(void *arg)
{
	els.busy = xs_queue_dispatch(els.q);
	return arg;
}

static void el_again(void *ctx)
{
	pthread_t t;

	(void)ctx;
	els.runs++;
	els.cur = xs_queue_is_current(els.q);
	els.nested_dispatch = xs_queue_dispatch(els.q);
	/* Another thread may not dispatch while this one is. */
	if (pthread_create(&t, NULL, dispatch_thread, NULL) == 0)
		pthread_join(t, NULL);
	if (els.runs < 3)
		xs_queue_async(els.q, el_again, NULL);
}

XS_TEST(event_loop_dispatch_runs_a_snapshot)
{
	int fd;

	els.q = xs_queue_create_event_loop("test.snap");
	XS_ASSERT_NE(els.q, NULL);
	fd = xs_queue_get_fd(els.q);
	XS_ASSERT_EQ(xs_queue_async(els.q, el_again, NULL), 0);
	XS_EXPECT_TRUE(pollin(fd, 0));
	/* Self-feeding work runs one round per call, fd stays readable. */
	XS_EXPECT_EQ(xs_queue_dispatch(els.q), 1);
	XS_EXPECT_EQ(els.runs, 1);
	XS_EXPECT_TRUE(els.cur);
	XS_EXPECT_EQ(els.nested_dispatch, -EDEADLK);
	XS_EXPECT_EQ(els.busy, -EBUSY);
	XS_EXPECT_TRUE(pollin(fd, 0));
	XS_EXPECT_EQ(xs_queue_dispatch(els.q), 1);
	XS_EXPECT_EQ(els.runs, 2);
	XS_EXPECT_TRUE(pollin(fd, 0));
	XS_EXPECT_EQ(xs_queue_dispatch(els.q), 1);
	XS_EXPECT_EQ(els.runs, 3);
	XS_EXPECT_FALSE(pollin(fd, 0));
	XS_EXPECT_EQ(xs_queue_dispatch(els.q), 0);
	XS_EXPECT_FALSE(xs_queue_is_current(els.q));
	xs_queue_release(els.q);
}

static struct {
	xs_queue_t *q;
	pthread_t loop_thread;
	bool on_loop;
	bool cur;
	int ret;
	struct latch done;
} elsync = { .done = LATCH_INIT };

static void elsync_work(void *ctx)
{
	(void)ctx;
	elsync.on_loop = pthread_equal(pthread_self(), elsync.loop_thread);
	elsync.cur = xs_queue_is_current(elsync.q);
}

static void *elsync_caller(void *arg)
{
	elsync.ret = xs_queue_sync(elsync.q, elsync_work, NULL);
	latch_add(&elsync.done, 1);
	return arg;
}

XS_TEST(event_loop_sync_from_another_thread)
{
	pthread_t tid;
	int fd;

	elsync.q = xs_queue_create_event_loop("test.elsync");
	elsync.loop_thread = pthread_self();
	XS_ASSERT_NE(elsync.q, NULL);
	fd = xs_queue_get_fd(elsync.q);
	XS_ASSERT_EQ(pthread_create(&tid, NULL, elsync_caller, NULL), 0);
	XS_ASSERT_TRUE(pollin(fd, 10000));
	XS_EXPECT_EQ(xs_queue_dispatch(elsync.q), 1);
	XS_ASSERT_TRUE(latch_wait(&elsync.done, 1, 10000));
	pthread_join(tid, NULL);
	XS_EXPECT_EQ(elsync.ret, 0);
	XS_EXPECT_TRUE(elsync.on_loop);
	XS_EXPECT_TRUE(elsync.cur);
	XS_EXPECT_FALSE(pollin(fd, 0));
	xs_queue_release(elsync.q);
}

static struct {
	int ran;
	bool on_main;
	pthread_t main_thread;
} ellast;

static void ellast_work(void *ctx)
{
	(void)ctx;
	ellast.ran++;
	ellast.on_main = pthread_equal(pthread_self(), ellast.main_thread);
}

XS_TEST(event_loop_last_release_runs_leftovers)
{
	xs_queue_t *q = xs_queue_create_event_loop("test.last");
	int fds, i;

	XS_ASSERT_NE(q, NULL);
	ellast.main_thread = pthread_self();
	for (i = 0; i < 3; i++)
		XS_ASSERT_EQ(xs_queue_async(q, ellast_work, NULL), 0);
	fds = count_dir("/proc/self/fd");
	xs_queue_release(q);
	XS_EXPECT_EQ(ellast.ran, 3);
	XS_EXPECT_TRUE(ellast.on_main);
	XS_EXPECT_EQ(count_dir("/proc/self/fd"), fds - 1);
}

/* ---- Lifetimes ---- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	bool open;
	struct latch ran;
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false,
	   LATCH_INIT };

static void gate_wait(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	deadline_in(&ts, 10000);
	pthread_mutex_lock(&gate.lock);
	while (!gate.open)
		if (pthread_cond_timedwait(&gate.cv, &gate.lock, &ts))
			break;
	pthread_mutex_unlock(&gate.lock);
}

static void gate_count(void *ctx)
{
	(void)ctx;
	latch_add(&gate.ran, 1);
}

XS_TEST(release_with_pending_work_runs_it_all)
{
	xs_queue_t *q = xs_queue_create("test.pending");
	int i;

	XS_ASSERT_NE(q, NULL);
	XS_ASSERT_EQ(xs_queue_async(q, gate_wait, NULL), 0);
	for (i = 0; i < 1000; i++)
		XS_ASSERT_EQ(xs_queue_async(q, gate_count, NULL), 0);
	xs_queue_release(q);	/* the last reference: work still pending */
	pthread_mutex_lock(&gate.lock);
	gate.open = true;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.lock);
	XS_ASSERT_TRUE(latch_wait(&gate.ran, 1000, 10000));
	XS_EXPECT_EQ(latch_get(&gate.ran), 1000);
}

static struct {
	xs_queue_t *q;
	bool cur_after;
	char label[32];
	struct latch done;
	int el_ran;
} rel = { .done = LATCH_INIT };

static void rel_work(void *ctx)
{
	(void)ctx;
	/* The last reference: the queue must outlive this work item. */
	xs_queue_release(rel.q);
	rel.cur_after = xs_queue_is_current(rel.q);
	strncpy(rel.label, xs_queue_get_label(rel.q), sizeof(rel.label) - 1);
	latch_add(&rel.done, 1);
}

static void rel_el_more(void *ctx)
{
	(void)ctx;
	rel.el_ran++;
}

static void rel_el_work(void *ctx)
{
	xs_queue_t *q = ctx;

	rel.el_ran++;
	xs_queue_async(q, rel_el_more, NULL);
	xs_queue_release(q);
	/* Still alive until the dispatch that runs us is over. */
	rel.cur_after = xs_queue_is_current(q);
}

XS_TEST(release_from_inside_own_work)
{
	xs_queue_t *q;

	rel.q = xs_queue_create("test.self-release");
	XS_ASSERT_NE(rel.q, NULL);
	XS_ASSERT_EQ(xs_queue_async(rel.q, rel_work, NULL), 0);
	XS_ASSERT_TRUE(latch_wait(&rel.done, 1, 10000));
	XS_EXPECT_TRUE(rel.cur_after);
	XS_EXPECT_STREQ(rel.label, "test.self-release");

	/* The event-loop flavour: the dispatch ends by freeing the queue. */
	rel.cur_after = false;
	q = xs_queue_create_event_loop("test.el-self-release");
	XS_ASSERT_NE(q, NULL);
	XS_ASSERT_EQ(xs_queue_async(q, rel_el_work, q), 0);
	XS_EXPECT_EQ(xs_queue_dispatch(q), 1);
	/* The item it enqueued ran as the queue went away. */
	XS_EXPECT_EQ(rel.el_ran, 2);
	XS_EXPECT_TRUE(rel.cur_after);
}

static struct {
	xs_queue_t *q;
	struct latch done;
} rr = { .done = LATCH_INIT };

static void rr_work(void *ctx)
{
	(void)ctx;
	xs_queue_release(xs_queue_retain(rr.q));
	latch_add(&rr.done, 1);
}

static void *rr_thread(void *arg)
{
	int i;

	for (i = 0; i < 20000; i++) {
		xs_queue_retain(rr.q);
		if (!(i % 100))
			xs_queue_async(rr.q, rr_work, NULL);
		xs_queue_release(rr.q);
	}
	return arg;
}

XS_TEST(retain_release_from_many_threads)
{
	pthread_t tid[8];
	int i;

	rr.q = xs_queue_create("test.refs");
	XS_ASSERT_NE(rr.q, NULL);
	for (i = 0; i < 8; i++)
		XS_ASSERT_EQ(pthread_create(&tid[i], NULL, rr_thread, NULL), 0);
	for (i = 0; i < 8; i++)
		pthread_join(tid[i], NULL);
	xs_queue_release(rr.q);
	XS_ASSERT_TRUE(latch_wait(&rr.done, 8 * 200, 10000));
}

#define NQUEUES	200
#define ROUNDS	5
#define ITEMS	5

static struct latch many = LATCH_INIT;

static void many_work(void *ctx)
{
	(void)ctx;
	latch_add(&many, 1);
}

XS_TEST_TIMEOUT(many_queues_leak_nothing, 60)
{
	int base, peak = 0, n, fds, r, i, j;
	xs_queue_t *q[NQUEUES];

	base = thread_baseline();
	fds = count_dir("/proc/self/fd");
	XS_ASSERT_GT(base, 0);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NQUEUES; i++) {
			q[i] = (i & 1) ? xs_queue_create("test.many") :
					 xs_queue_create_event_loop("test.many-el");
			XS_ASSERT_NE(q[i], NULL);
			for (j = 0; j < ITEMS; j++)
				XS_ASSERT_EQ(xs_queue_async(q[i], many_work,
							    NULL), 0);
		}
		for (i = 0; i < NQUEUES; i += 2)
			XS_ASSERT_EQ(xs_queue_dispatch(q[i]), ITEMS);
		n = nr_threads();
		peak = n > peak ? n : peak;
		/* Worker queues still busy are freed when they are done. */
		for (i = 0; i < NQUEUES; i++)
			xs_queue_release(q[i]);
		XS_ASSERT_TRUE(latch_wait(&many, (long)(r + 1) * NQUEUES *
						 ITEMS, 20000));
	}
	n = wait_threads(base, 15000);
	xs_diag("threads: %d before, %d at the peak, %d after idling",
		base, peak, n);
	XS_EXPECT_EQ(n, base);
	XS_EXPECT_EQ(count_dir("/proc/self/fd"), fds);
#ifdef QT_ASAN
	/*
	 * The harness ends tests with _exit(), which skips LeakSanitizer's
	 * exit-time check: ask for one now that every worker is gone.
	 */
	XS_EXPECT_EQ(__lsan_do_recoverable_leak_check(), 0);
#endif
}

/* ---- Running out of threads and fds ---- */

/*
 * queue_test.mk links with -Wl,--wrap=pthread_create, so thread creation
 * can be made to fail here (as at RLIMIT_NPROC, which root ignores).
 */
int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg);

static atomic_bool no_threads;

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg)
{
	if (atomic_load(&no_threads))
		return EAGAIN;
	return __real_pthread_create(t, attr, fn, arg);
}

static struct latch nothr = LATCH_INIT;

static void nothr_count(void *ctx)
{
	(void)ctx;
	latch_add(&nothr, 1);
}

XS_TEST(no_thread_at_all_means_enomem)
{
	xs_queue_t *q = xs_queue_create("test.nothread");

	XS_ASSERT_NE(q, NULL);
	atomic_store(&no_threads, true);
	XS_EXPECT_EQ(xs_queue_async(q, nothr_count, NULL), -ENOMEM);
	XS_EXPECT_EQ(xs_queue_sync(q, nothr_count, NULL), -ENOMEM);
	atomic_store(&no_threads, false);
	/* The queue is not stuck, and what failed never runs. */
	XS_EXPECT_EQ(xs_queue_async(q, nothr_count, NULL), 0);
	XS_EXPECT_EQ(xs_queue_sync(q, noop, NULL), 0);
	XS_EXPECT_EQ(latch_get(&nothr), 1);
	xs_queue_release(q);
}

#define BL_QUEUES	4
#define BL_ITEMS	50

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	bool open;
	pthread_t first;	/* the only worker there is */
	long last[BL_QUEUES];	/* per queue: the work is serial */
	long out_of_order, other_thread;
	struct latch ran;
} bl = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false,
	 .ran = LATCH_INIT };

static void bl_gate(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	bl.first = pthread_self();
	deadline_in(&ts, 10000);
	pthread_mutex_lock(&bl.lock);
	while (!bl.open)
		if (pthread_cond_timedwait(&bl.cv, &bl.lock, &ts))
			break;
	pthread_mutex_unlock(&bl.lock);
}

static void bl_work(void *ctx)
{
	uintptr_t v = (uintptr_t)ctx;
	int qi = v >> 16;
	long seq = v & 0xffff;

	if (bl.last[qi] + 1 != seq)
		bl.out_of_order++;
	bl.last[qi] = seq;
	if (!pthread_equal(pthread_self(), bl.first))
		bl.other_thread++;
	latch_add(&bl.ran, 1);
}

XS_TEST(backlog_when_threads_run_out)
{
	xs_queue_t *q[BL_QUEUES];
	int i, j;

	for (i = 0; i < BL_QUEUES; i++) {
		q[i] = xs_queue_create("test.backlog");
		XS_ASSERT_NE(q[i], NULL);
		bl.last[i] = -1;
	}
	/* One worker, kept busy; then no more threads to be had. */
	XS_ASSERT_EQ(xs_queue_async(q[0], bl_gate, NULL), 0);
	atomic_store(&no_threads, true);
	for (j = 0; j < BL_ITEMS; j++)
		for (i = 0; i < BL_QUEUES; i++)
			XS_ASSERT_EQ(xs_queue_async(q[i], bl_work,
				(void *)(((uintptr_t)i << 16) | j)), 0);
	for (i = 0; i < BL_QUEUES; i++)
		xs_queue_release(q[i]);
	pthread_mutex_lock(&bl.lock);
	bl.open = true;
	pthread_cond_broadcast(&bl.cv);
	pthread_mutex_unlock(&bl.lock);
	/* The one worker serves every queue, in turns, in order. */
	XS_EXPECT_TRUE(latch_wait(&bl.ran, BL_QUEUES * BL_ITEMS, 10000));
	atomic_store(&no_threads, false);
	XS_EXPECT_EQ(bl.out_of_order, 0);
	XS_EXPECT_EQ(bl.other_thread, 0);
	for (i = 0; i < BL_QUEUES; i++)
		XS_EXPECT_EQ(bl.last[i], BL_ITEMS - 1);
}

XS_TEST(event_loop_queue_without_fds)
{
	struct rlimit old, none = { 0, 0 };
	int err, fds = count_dir("/proc/self/fd");
	xs_queue_t *q;

	XS_ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	none.rlim_max = old.rlim_max;
	XS_ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &none), 0);
	errno = 0;
	q = xs_queue_create_event_loop("test.nofd");
	err = errno;	/* the checks reset errno */
	XS_ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
	XS_EXPECT_EQ(err, EMFILE);
	XS_EXPECT_EQ(q, NULL);
	/* Nothing was closed on the way out (fd 0 least of all). */
	XS_EXPECT_EQ(count_dir("/proc/self/fd"), fds);
	XS_EXPECT_OK(fcntl(0, F_GETFD));
}
