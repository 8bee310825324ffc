/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Direct replies: one copy from a replier's memory into the buffer of the
 * synchronous sender waiting for that reply, instead of two (into the
 * kernel, out again).
 *
 * The replier pins its own payload pages first (that may fault and sleep:
 * nobody waits for it yet).  Then, under the session's lock, which keeps
 * the waiter from giving up, it pins the waiter's buffer pages without
 * faulting any in (FOLL_NOFAULT, and only when the waiter's mmap_lock is
 * free right now) and copies page to page.  Both sides are pinned, so
 * the copy can neither fault nor sleep for long, and neither process can
 * stall the other through its own memory.  Whatever goes wrong on the
 * waiter's side (pages not present, a copy-on-write page, a busy
 * mmap_lock, a buffer too small) just means the usual buffered path.
 */
#ifndef _XS_DIRECT_H
#define _XS_DIRECT_H

#include <linux/types.h>

struct page;
struct xs_sync_waiter;

/* Replies smaller than this are cheaper to copy twice than to pin. */
#define XS_DIRECT_MIN		(16 * 1024)

/**
 * struct xs_direct - a replier's pinned payload
 * @pages:	the pinned pages.
 * @nr:		how many.
 * @off:	offset of the payload in the first page.
 * @len:	payload bytes.
 */
struct xs_direct {
	struct page **pages;
	u32 nr;
	u32 off;
	u32 len;
};

int xs_direct_pin(struct xs_direct *d, const void __user *payload, u32 len);
void xs_direct_unpin(struct xs_direct *d);
bool xs_direct_to_waiter(struct xs_direct *d, struct xs_sync_waiter *w);
void xs_direct_to_kernel(struct xs_direct *d, void *dst);

#endif /* _XS_DIRECT_H */
