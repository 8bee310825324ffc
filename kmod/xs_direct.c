// SPDX-License-Identifier: GPL-2.0
/*
 * Direct replies to synchronous senders; xs_direct.h says why and how.
 */
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/slab.h>

#include "xs_direct.h"
#include "xs_session.h"

static u32 xs_pages_spanned(unsigned long addr, u32 len)
{
	return DIV_ROUND_UP(offset_in_page(addr) + (unsigned long)len,
			    PAGE_SIZE);
}

/**
 * xs_direct_pin() - pin the replier's own payload
 * @d:		filled in
 * @payload:	the payload, in the current task's memory
 * @len:	its bytes, more than zero
 *
 * Return: 0; -EFAULT when the payload is not readable memory; -EAGAIN
 * when it cannot be pinned (the caller copies it the usual way); -ENOMEM.
 */
int xs_direct_pin(struct xs_direct *d, const void __user *payload, u32 len)
{
	unsigned long addr = (unsigned long)payload;
	int got;

	d->nr = xs_pages_spanned(addr, len);
	d->off = offset_in_page(addr);
	d->len = len;
	d->pages = kvmalloc_array(d->nr, sizeof(*d->pages), GFP_KERNEL);
	if (!d->pages)
		return -ENOMEM;
	got = pin_user_pages_fast(addr, d->nr, 0, d->pages);
	if (got == d->nr)
		return 0;
	if (got > 0)
		unpin_user_pages(d->pages, got);
	kvfree(d->pages);
	d->pages = NULL;
	return got == -EFAULT ? -EFAULT : -EAGAIN;
}

void xs_direct_unpin(struct xs_direct *d)
{
	if (!d->pages)
		return;
	unpin_user_pages(d->pages, d->nr);
	kvfree(d->pages);
	d->pages = NULL;
}

/* Copy @len bytes from page array @src at @soff to @dst at @doff. */
static void xs_copy_pages(struct page **dst, u32 doff, struct page **src,
			  u32 soff, u32 len)
{
	while (len) {
		u32 n = min3((u32)PAGE_SIZE - doff, (u32)PAGE_SIZE - soff, len);
		void *to = kmap_local_page(*dst);
		void *from = kmap_local_page(*src);

		memcpy(to + doff, from + soff, n);
		kunmap_local(from);
		flush_dcache_page(*dst);
		kunmap_local(to);
		len -= n;
		doff += n;
		soff += n;
		if (doff == PAGE_SIZE) {
			dst++;
			doff = 0;
		}
		if (soff == PAGE_SIZE) {
			src++;
			soff = 0;
		}
	}
}

/**
 * xs_direct_to_waiter() - copy the pinned payload into @w's buffer
 * @d:	the pinned payload
 * @w:	a synchronous sender still waiting; the caller holds the session's
 *	lock, so it keeps waiting until this returns
 *
 * Return: true when the payload is in the waiter's buffer; false when its
 * pages could not be pinned right now without a fault (the caller hands
 * the reply over buffered).
 */
bool xs_direct_to_waiter(struct xs_direct *d, struct xs_sync_waiter *w)
{
	u32 nr = xs_pages_spanned(w->ubuf, d->len);
	struct page **pages;
	long got;

	if (d->len > w->ucap || !w->mm)
		return false;
	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return false;
	got = -EBUSY;
	if (mmap_read_trylock(w->mm)) {
		got = pin_user_pages_remote(w->mm, w->ubuf, nr,
					    FOLL_WRITE | FOLL_NOFAULT, pages,
					    NULL);
		mmap_read_unlock(w->mm);
	}
	if (got == nr)
		xs_copy_pages(pages, offset_in_page(w->ubuf), d->pages, d->off,
			      d->len);
	if (got > 0)
		unpin_user_pages_dirty_lock(pages, got, got == nr);
	kvfree(pages);
	return got == nr;
}

/**
 * xs_direct_to_kernel() - copy the pinned payload into a kernel buffer
 * @d:		the pinned payload
 * @dst:	@d->len bytes
 *
 * The buffered path after a failed direct one: it needs no fault either.
 */
void xs_direct_to_kernel(struct xs_direct *d, void *dst)
{
	u32 len = d->len, off = d->off, n;
	struct page **p = d->pages;

	while (len) {
		void *from = kmap_local_page(*p++);

		n = min_t(u32, PAGE_SIZE - off, len);
		memcpy(dst, from + off, n);
		kunmap_local(from);
		dst += n;
		len -= n;
		off = 0;
	}
}
