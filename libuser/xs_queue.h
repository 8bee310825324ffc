/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxsession target queues: the library's DispatchQueue.
 *
 * Every handler of a session (incoming messages, reply callbacks, the
 * cancel handler) runs on the session's target queue.  A queue is serial:
 * it runs one work item at a time, in the order the items were enqueued,
 * and never two at once whatever the number of producer threads.  Work
 * enqueued from inside a work item runs after the current one returns.
 *
 * Two kinds of queue:
 *  - worker queues (xs_queue_create(), xs_queue_get_default()) are run by
 *    the library's worker threads.  Threads are pooled and shared by all
 *    worker queues; a queue with work gets a thread at once (an idle one,
 *    or a new one), so queues run in parallel and a work item that blocks
 *    never holds up another queue.  Idle threads exit after a while.
 *  - event-loop queues (xs_queue_create_event_loop()) never run by
 *    themselves: their work runs inside xs_queue_dispatch(), on the thread
 *    that calls it.  For programs that own their loop (epoll, poll,
 *    sd-event, libuv): watch xs_queue_get_fd() for POLLIN and call
 *    xs_queue_dispatch() when it fires.
 *
 * Nothing waits by spinning: idle workers and xs_queue_sync() callers
 * sleep on condition variables, event loops in their own poll.
 *
 * Queues are reference counted; every function may be called from any
 * thread, including from inside the queue's own work.  Work is never
 * dropped: a worker queue whose last reference goes away keeps running
 * until it is empty and is freed then.
 *
 * Not fork-safe: after fork() the child must not touch queues created
 * before the fork (their worker threads do not exist there).
 */
#ifndef XS_QUEUE_H
#define XS_QUEUE_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef XS_EXPORT
/* Token for token what xsession.h says, so either may come first. */
#define XS_EXPORT __attribute__((visibility("default")))
#endif

typedef struct xs_queue xs_queue_t;
typedef void (*xs_work_fn)(void *ctx);

/*
 * A serial queue run by the worker threads.  @label (may be NULL) is
 * copied, for debugging.  Returns a queue with one reference, or NULL
 * with errno set (ENOMEM).
 */
XS_EXPORT xs_queue_t *xs_queue_create(const char *label);

/*
 * A serial queue whose work runs only inside xs_queue_dispatch(), on the
 * calling thread.  Returns a queue with one reference, or NULL with errno
 * set (ENOMEM, or EMFILE/ENFILE for the eventfd).
 */
XS_EXPORT xs_queue_t *xs_queue_create_event_loop(const char *label);

/*
 * Event-loop queues: an eventfd (O_CLOEXEC | O_NONBLOCK) that polls
 * readable (POLLIN, EPOLLIN) exactly while work is pending.  It belongs
 * to the queue: do not read, write or close it; it stays valid until the
 * queue is freed.  -EINVAL for worker queues.
 */
XS_EXPORT int xs_queue_get_fd(xs_queue_t *q);

/*
 * Event-loop queues: runs the work that was pending when the call began,
 * in order, on the calling thread, and returns how many items ran.  Work
 * enqueued meanwhile (also by the work itself) waits for the next call,
 * so a queue that keeps feeding itself cannot starve the rest of the
 * loop; the fd stays readable for it.  The fd stops polling readable as
 * soon as the queue is empty.
 *
 * Return: the count (0 if nothing was pending); -EINVAL for worker
 * queues; -EDEADLK from inside the queue's own work; -EBUSY while another
 * thread is dispatching the same queue.
 */
XS_EXPORT int xs_queue_dispatch(xs_queue_t *q);

/*
 * The process-wide serial worker queue, created on first use and never
 * freed (retain and release do nothing to it).  NULL with errno ENOMEM
 * only if it could not be created.
 */
XS_EXPORT xs_queue_t *xs_queue_get_default(void);

/*
 * Enqueues fn(ctx) at the tail of @q and returns without waiting for any
 * of @q's work.  The caller must hold a reference to @q.
 *
 * Return: 0; -EINVAL if @q or @fn is NULL; -ENOMEM when no memory, or no
 * thread, could be had for it (the work was not enqueued).
 */
XS_EXPORT int xs_queue_async(xs_queue_t *q, xs_work_fn fn, void *ctx);

/*
 * Enqueues fn(ctx) at the tail of @q and waits until it has run.  It
 * runs where @q's work runs (a worker thread, or the thread inside
 * xs_queue_dispatch()), with xs_queue_is_current() true for @q and for
 * every queue the caller was running; so synchronous chains A -> B -> C
 * work, and only a cycle back into a queue of the chain is refused.
 *
 * For an event-loop queue, calling it on the thread that dispatches that
 * queue waits forever (nobody else dispatches it), except from inside the
 * queue's own work, which gets -EDEADLK.  There is no cycle detection
 * beyond the chain of synchronous calls: work that a queue runs
 * asynchronously and that waits for a queue which is itself waiting for
 * the first one deadlocks, as with any lock-order inversion.
 *
 * Return: 0 once fn has returned; -EINVAL if @q or @fn is NULL; -EDEADLK
 * when xs_queue_is_current(@q) (it could never run); -ENOMEM as for
 * xs_queue_async() (fn did not run).
 */
XS_EXPORT int xs_queue_sync(xs_queue_t *q, xs_work_fn fn, void *ctx);

/*
 * True when the calling thread is running work of @q right now, or work
 * that @q's work is waiting for through xs_queue_sync() (directly or down
 * a chain).  Thread-local; false for NULL.
 */
XS_EXPORT bool xs_queue_is_current(const xs_queue_t *q);

/* Adds a reference; returns @q (NULL-safe) so it can be chained. */
XS_EXPORT xs_queue_t *xs_queue_retain(xs_queue_t *q);

/*
 * Drops a reference (NULL-safe).  When the last one goes:
 *  - a worker queue still runs everything already enqueued (also from
 *    inside its own work, which returns first) and is freed afterwards;
 *  - an event-loop queue runs what is still pending right here, on the
 *    releasing thread (normally the loop's), then closes its fd.
 */
XS_EXPORT void xs_queue_release(xs_queue_t *q);

/* The label given at creation ("" if none, or for NULL). */
XS_EXPORT const char *xs_queue_get_label(const xs_queue_t *q);

#ifdef __cplusplus
}
#endif

#endif /* XS_QUEUE_H */
