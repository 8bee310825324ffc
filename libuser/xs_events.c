// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The event thread: one per process, started on first use, blocked in
 * epoll_wait().  It never runs a handler itself: it hands each readable
 * source to that source's queue and goes back to sleep.
 *
 * Every source is registered EPOLLONESHOT, so after one wake-up the
 * source is disarmed until its drain, running on its queue, re-arms it.
 * At most one drain per source is ever queued, which keeps a session's
 * handlers serial even when its queue is shared.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "xs_private.h"

static int xs_epfd = -1;
static pthread_once_t xs_events_once = PTHREAD_ONCE_INIT;

static void xs_source_run(void *arg)
{
	struct xs_source *src = arg;

	src->drain(src);
}

static void *xs_events_thread(void *unused)
{
	struct epoll_event ev[32];
	int i, n;

	(void)unused;
	for (;;) {
		n = epoll_wait(xs_epfd, ev, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "libxsession: epoll_wait: %s\n",
				strerror(errno));
			return NULL;
		}
		for (i = 0; i < n; i++) {
			struct xs_source *src = ev[i].data.ptr;

			/*
			 * Cannot fail for lack of memory in a way we could
			 * recover from here; the queue reports it.
			 */
			xs_queue_async(src->queue, xs_source_run, src);
		}
	}
}

static void xs_events_start(void)
{
	pthread_attr_t attr;
	pthread_t t;

	xs_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (xs_epfd < 0)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, xs_events_thread, NULL)) {
		close(xs_epfd);
		xs_epfd = -1;
	}
	pthread_attr_destroy(&attr);
}

static int xs_source_ctl(struct xs_source *src, int op)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLONESHOT,
		.data.ptr = src,
	};

	pthread_once(&xs_events_once, xs_events_start);
	if (xs_epfd < 0)
		return -EMFILE;
	if (epoll_ctl(xs_epfd, op, src->fd, &ev) < 0)
		return -errno;
	return 0;
}

int xs_source_add(struct xs_source *src)
{
	return xs_source_ctl(src, EPOLL_CTL_ADD);
}

int xs_source_rearm(struct xs_source *src)
{
	return xs_source_ctl(src, EPOLL_CTL_MOD);
}

void xs_source_remove(struct xs_source *src)
{
	if (xs_epfd >= 0)
		epoll_ctl(xs_epfd, EPOLL_CTL_DEL, src->fd, NULL);
}
