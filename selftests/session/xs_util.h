/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xs_util: helpers shared by the session selftests (selftests/session/).
 *
 * The binaries, in run order (session/tests.mk lists the same), each a
 * set of related XS_TEST()s; every one runs as root in the test VM with
 * the module loaded and exits 0 iff no test failed:
 *
 *   names_test         names: syntax, lengths, pointers, duplicates,
 *                      reuse, per-uid and system domains, IPC namespaces
 *   connect_test       listen/connect/accept/activate/reject, struct
 *                      checks, backlog, requirements, XS_CONNECT_WAIT,
 *                      inactive listeners, listener cancel and close
 *   message_test       one-way messages, ids, kinds, sizes, receive
 *                      flags, read()/write() framing, FIFO of 100 000
 *   reply_test         requests and replies, misuse, any order, any
 *                      thread, the outstanding-request limit
 *   sync_test          XS_IOC_SEND_SYNC: replies, sizes, deadlines,
 *                      signals, session end, 8 threads on one session
 *   cancel_test        cancel with traffic queued both ways, reasons,
 *                      what each side receives and may still do
 *   death_test         close versus exit, kill -9 at random points
 *   poll_test          poll() and epoll on every state, wake-ups
 *   creds_test         XS_IOC_PEER_CREDS, user and pid namespaces
 *   backpressure_test  full rings, blocking and non-blocking senders
 *   introspect_test    /proc/self/fdinfo and debugfs
 *   stress_test        64 sessions x 4 threads, connect churn
 *
 * The helpers below come in two flavours:
 *  - xsu_*() that return 0, a new fd or -errno and never assert, for
 *    checking an exact error: XS_ASSERT_EQ(xsu_send(...), -EINVAL);
 *  - helpers documented as "asserts", which end the test on failure and
 *    only return on success, so the tests stay short.
 * Every wait they do is bounded (XSU_WAIT_MS by default): a kernel bug
 * makes a test fail, never hang.
 */
#ifndef _XS_UTIL_H
#define _XS_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/xsession.h>

#include "xs_test.h"

/* Bound of every wait for something that must happen (ms). */
#define XSU_WAIT_MS		10000
/* How long to watch for something that must not happen (ms). */
#define XSU_QUIET_MS		200

#define XSU_HDR			((uint32_t)sizeof(struct xs_msg_hdr))
/* Bytes one message takes in a receive ring. */
#define XSU_RECORD(len)		(XSU_HDR + (((uint32_t)(len) + 7) & ~7u))

/* poll() bits a session or listener may report when asked for IN|OUT. */
#define XSU_EV			(POLLIN | POLLOUT)

/* ---- names ----------------------------------------------------------- */

/*
 * A name unique to this test and process: "org.test.<tag>.<pid>.<n>".
 * Make names before fork() when parent and child must agree on them.
 */
void xsu_name_make(char *buf, size_t len, const char *tag);
#define XSU_NAME(var)							\
	char var[XS_NAME_MAX];						\
	xsu_name_make(var, sizeof(var), __func__)

/* ---- endpoints --------------------------------------------------------- */

/* open(/dev/xsession, O_RDWR | O_CLOEXEC | @flags); asserts. */
int xsu_open_flags(int flags);
static inline int xsu_open(void)
{
	return xsu_open_flags(0);
}

/* XS_IOC_INFO; asserts. */
void xsu_info(struct xs_info *info);

/* Well-formed structs, size set, everything else zero. */
void xsu_listen_init(struct xs_listen *l, const char *name, uint32_t flags);
void xsu_connect_init(struct xs_connect *c, const char *name, uint32_t flags);

/* XS_IOC_LISTEN on @fd with @l: 0 or -errno. */
int xsu_listen_raw(int fd, struct xs_listen *l);
/* XS_IOC_LISTEN on @fd: 0 or -errno. */
int xsu_listen_fd(int fd, const char *name, uint32_t flags);
/* A new listener fd, or -errno (the fd is closed then). */
int xsu_try_listen(const char *name, uint32_t flags);
/* A new listener fd; asserts. */
int xsu_listen(const char *name, uint32_t flags);
/* With ring size and backlog; asserts. */
int xsu_listen_opts(const char *name, uint32_t flags, uint32_t ring_size,
		    uint32_t backlog);

int xsu_connect_raw(int fd, struct xs_connect *c);
/* XS_IOC_CONNECT on @fd: 0 or -errno. */
int xsu_connect_fd(int fd, const char *name, uint32_t flags,
		   uint64_t timeout_ns);
/* A new client fd, or -errno (the fd is closed then). */
int xsu_try_connect(const char *name, uint32_t flags);
/* A new client fd; asserts. */
int xsu_connect(const char *name, uint32_t flags);
/* With this end's ring size; asserts. */
int xsu_connect_ring(const char *name, uint32_t flags, uint32_t ring_size);

/* XS_IOC_ACCEPT now: the new fd or -errno; checks xs_accept.fd. */
int xsu_accept_raw(int lfd);
/* Waits (bounded) for a request, then accepts; asserts. */
int xsu_accept(int lfd);

int xsu_activate(int fd);
int xsu_reject(int fd, const void *reason, uint32_t len);
int xsu_cancel(int fd, const void *reason, uint32_t len);
/* Cancel/reject with explicit struct (flags, pad, reserved tests). */
int xsu_cancel_raw(int fd, unsigned long cmd, struct xs_cancel *c);

/*
 * A connected session: listener @name (flags 0), client, accepted and
 * activated server.  @lfd may be NULL: the listener is then closed.
 */
void xsu_pair(const char *name, int *lfd, int *cfd, int *sfd);
/* Same, with the client's and the server's ring sizes. */
void xsu_pair_rings(const char *name, uint32_t client_ring,
		    uint32_t server_ring, int *lfd, int *cfd, int *sfd);

/*
 * A connected session whose ends both have mappable rings of @ring bytes
 * (0: the default): XS_LISTEN_RING_MMAP and XS_CONNECT_RING_MMAP.
 */
void xsu_pair_mapped(const char *name, uint32_t ring, int *lfd, int *cfd,
		     int *sfd);

/* ---- mapped rings -------------------------------------------------------- */

/* One end's receive ring, mapped: the control page and the data pages. */
struct xsu_ring {
	int fd;
	struct xs_ring_ctl *ctl;
	const uint8_t *data;	/* 2 * size bytes, read-only */
	uint32_t size;
	uint32_t head;		/* our consumer index, mirrored to ctl->head */
};

/* mmap() both parts of @fd's ring (asserts) and read its head. */
void xsu_ring_map(int fd, struct xsu_ring *r);
void xsu_ring_unmap(struct xsu_ring *r);
/* The record at our head, or NULL when tail says the ring is empty. */
const struct xs_msg_hdr *xsu_ring_peek(struct xsu_ring *r);
/*
 * Release the record at our head (store head with release), and wake
 * senders through XS_IOC_RING_WAIT when ctl->need_wakeup asks for it.
 */
void xsu_ring_release(struct xsu_ring *r);
/* XS_IOC_RING_WAIT: 0 or -errno. */
int xsu_ring_wait(int fd, uint32_t flags, uint64_t timeout_ns);

/* ---- messages ---------------------------------------------------------- */

/* XS_IOC_SEND: 0 (with *@id if @id) or -errno. */
int xsu_send(int fd, uint32_t kind, uint32_t flags, uint32_t status,
	     uint64_t reply_to, const void *buf, uint32_t len, uint64_t *id);
static inline int xsu_oneway(int fd, const void *buf, uint32_t len)
{
	return xsu_send(fd, XS_MSG_ONEWAY, 0, 0, 0, buf, len, NULL);
}
static inline int xsu_request(int fd, const void *buf, uint32_t len,
			      uint64_t *id)
{
	return xsu_send(fd, XS_MSG_REQUEST, 0, 0, 0, buf, len, id);
}
static inline int xsu_reply(int fd, uint64_t reply_to, const void *buf,
			    uint32_t len)
{
	return xsu_send(fd, XS_MSG_REPLY, 0, 0, reply_to, buf, len, NULL);
}
static inline int xsu_error_reply(int fd, uint64_t reply_to, uint32_t status,
				  const void *buf, uint32_t len)
{
	return xsu_send(fd, XS_MSG_ERROR_REPLY, 0, status, reply_to, buf, len,
			NULL);
}

/* XS_IOC_RECV with @flags: 0 or -errno; *@hdr is the kernel's out hdr. */
int xsu_recv(int fd, uint32_t flags, void *buf, uint32_t cap,
	     struct xs_msg_hdr *hdr);
/* The same with room for @items_cap out-of-line items at @items. */
int xsu_recv_items(int fd, uint32_t flags, void *buf, uint32_t cap,
		   struct xs_item *items, uint32_t items_cap,
		   struct xs_msg_hdr *hdr);
/* XS_IOC_SEND of a message carrying @nr out-of-line items. */
int xsu_send_items(int fd, uint32_t kind, uint64_t reply_to, const void *buf,
		   uint32_t len, const struct xs_item *items, uint32_t nr,
		   uint64_t *id);
/*
 * Wait up to @ms for POLLIN, then receive without blocking: 0 or -errno,
 * -ETIME when nothing came.
 */
int xsu_recv_wait(int fd, void *buf, uint32_t cap, struct xs_msg_hdr *hdr,
		  int ms);

/*
 * The next item (bounded wait) must be exactly this; asserts.  @id_out,
 * if not NULL, gets the item's id.  For the kind of every item received
 * from a peer (not kernel-made) the id is checked non-zero, odd for a
 * request and even otherwise.
 */
void xsu_expect_item(int fd, uint16_t kind, uint16_t flags, uint32_t status,
		     uint64_t reply_to, const void *payload, uint32_t len,
		     uint64_t *id_out);
/* A kernel-made error reply for @reply_to with @status; asserts. */
void xsu_expect_kernel_error(int fd, uint64_t reply_to, uint32_t status);
/* The END item with @status and @reason; then nothing more; asserts. */
void xsu_expect_end(int fd, uint32_t status, const void *reason,
		    uint32_t len);
/* Nothing to receive right now (-EAGAIN); asserts. */
void xsu_expect_empty(int fd);

/* XS_IOC_SEND_SYNC; fills *@out (may be NULL): 0 or -errno. */
int xsu_send_sync(int fd, uint32_t flags, const void *buf, uint32_t len,
		  void *reply, uint32_t cap, uint64_t timeout_ns,
		  struct xs_send_sync *out);

/* XS_IOC_PEER_CREDS with a label buffer (may be NULL): 0 or -errno. */
int xsu_peer_creds(int fd, struct xs_peer_creds *pc, void *label,
		   uint32_t cap);

/* ---- poll, time, processes -------------------------------------------- */

/* poll() one fd for @events for up to @ms: its revents (0 on timeout). */
short xsu_revents(int fd, short events, int ms);
/* Wait up to @ms for revents to equal @want exactly: true if they did. */
bool xsu_wait_revents(int fd, short events, short want, int ms);

uint64_t xsu_now_ns(void);
void xsu_sleep_ms(int ms);
void xsu_sleep_us(long us);

/* A deterministic PRNG, seeded and reported per test. */
uint64_t xsu_rand(uint64_t *state);
uint64_t xsu_seed(void);

/* fork(); asserts.  The child should end with _exit(). */
pid_t xsu_fork(void);
/*
 * Reap @pid within @ms (SIGKILL and fail after that); returns its wait
 * status.  Asserts only the reaping, not the status.
 */
int xsu_reap(pid_t pid, int ms);
/* Reap @pid within @ms and require that it exited 0; asserts. */
void xsu_wait_child(pid_t pid, int ms);

/*
 * One-shot events between processes or threads over a pipe: post()
 * writes a byte, wait() reads one within @ms (asserts).
 */
struct xsu_event {
	int fd[2];
};
void xsu_event_init(struct xsu_event *ev);
void xsu_event_post(struct xsu_event *ev);
void xsu_event_wait(struct xsu_event *ev, int ms);
/* Passing one integer across processes (pid, result). */
void xsu_event_post_val(struct xsu_event *ev, long val);
long xsu_event_wait_val(struct xsu_event *ev, int ms);

/* pthread_create with a small stack; asserts. */
pthread_t xsu_thread(void *(*fn)(void *), void *arg);
/* Join within @ms, or fail the test; returns the thread's result. */
void *xsu_join(pthread_t t, int ms);

/* A SIGUSR1 handler without SA_RESTART that counts deliveries. */
extern volatile sig_atomic_t xsu_sigusr1_count;
void xsu_install_sigusr1(void);

/* setresgid + setgroups(0) + setresuid: drops every capability; asserts. */
void xsu_become(uid_t uid, gid_t gid);

/* Write @text to @path: 0 or -errno. */
int xsu_write_file(const char *path, const char *text);

/*
 * Fork a child that becomes @as_uid (uid and gid, all capabilities
 * dropped; -1: stays root), calls unshare(@flags) and then @fn(@arg),
 * and _exit(0)s when @fn returns.  With CLONE_NEWUSER the parent writes
 * @uid_map and @gid_map (e.g. "0 1000 1") for it first.  When the kernel
 * refuses the unshare (no such namespace type configured, or not
 * permitted), the child exits and the test is skipped with the reason.
 * Returns the child's pid.
 */
pid_t xsu_fork_unshared(int flags, int as_uid, const char *uid_map,
			const char *gid_map, void (*fn)(void *arg), void *arg);

/* The fdinfo line value for @key of @fd ("" if missing) into @out. */
bool xsu_fdinfo(int fd, const char *key, char *out, size_t len);

#endif /* _XS_UTIL_H */
