// SPDX-License-Identifier: GPL-2.0
/*
 * Mapping a session end's receive ring into the receiver, and the one
 * call a receiver that reads in place needs: XS_IOC_RING_WAIT, which
 * wakes the senders waiting for the room it freed and sleeps until there
 * is something to receive.  The ring protocol itself is in xs_ring.h and
 * uapi/linux/xsession.h.
 *
 * mmap() runs under the caller's mmap_lock, which a sender of the same
 * process may need (to fault in its payload) while it holds the ring's
 * producer lock; so mapping takes none of the session's locks: a
 * mappable ring's pages and control page exist, unchanging, from its
 * creation to its destruction.
 */
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>

#include "xs_session.h"

/**
 * xs_session_mmap() - map @end's receive ring (see xs_ring_mmap())
 * @end:	the session end
 * @vma:	the new mapping
 *
 * Return: 0 or a negative errno.
 */
int xs_session_mmap(struct xs_end *end, struct vm_area_struct *vma)
{
	return xs_ring_mmap(&end->rx, vma);
}

/* Sleep until @end has something to receive; 0, -ETIMEDOUT or -EINTR. */
static int xs_ring_wait_items(struct xs_end *end, u64 timeout_ns)
{
	long left;

	if (!timeout_ns) {
		if (wait_event_interruptible(end->wait, xs_end_has_items(end)))
			return -ERESTARTSYS;
		return 0;
	}
	left = wait_event_interruptible_timeout(end->wait,
						xs_end_has_items(end),
						max(nsecs_to_jiffies(timeout_ns),
						    1UL));
	if (left < 0)
		return -EINTR;	/* a restart would wait the whole time again */
	return left ? 0 : -ETIMEDOUT;
}

/**
 * xs_ioctl_ring_wait() - XS_IOC_RING_WAIT
 * @end:	the receiving end
 * @uarg:	struct xs_ring_wait
 * @nowait:	O_NONBLOCK, or io_uring's first attempt
 * @may_retry:	io_uring's first attempt: a call with a message to send
 *		is left for the retry, which would send it again
 *
 * Return: 0 when there is something to receive; XS_IOC_SEND's error when
 * the send fails; -EAGAIN without waiting; -ETIMEDOUT; -ERESTARTSYS or
 * -EINTR on a signal; -EINVAL; -EFAULT.
 */
long xs_ioctl_ring_wait(struct xs_end *end, void __user *uarg, bool nowait,
			bool may_retry)
{
	bool nonblock = nowait;
	struct xs_ring_wait w;
	u32 usize;
	int ret;

	ret = xs_copy_struct_in(&w, sizeof(w), sizeof(w), uarg, &usize);
	if (ret)
		return ret;
	if ((w.flags & ~XS_NONBLOCK) || w.reserved)
		return -EINVAL;
	nonblock |= w.flags & XS_NONBLOCK;
	ret = xs_send_first(end, w.send, nowait, nonblock, may_retry);
	if (ret)
		return ret;

	/*
	 * The caller may have moved head since any of the peer's senders
	 * last looked: if one asked for a wake-up, clear the request and
	 * wake them all (each one looks again, and asks again if it must).
	 */
	if (xs_ring_disarm(&end->rx))
		wake_up_all(&xs_peer(end)->wait);
	xs_end_reap_items(end);

	if (xs_end_has_items(end))
		return 0;
	if (nonblock)
		return -EAGAIN;
	ret = xs_ring_wait_items(end, w.timeout_ns);
	/* Once a message went out, a restart would send it again. */
	return ret == -ERESTARTSYS && w.send ? -EINTR : ret;
}
