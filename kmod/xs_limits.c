// SPDX-License-Identifier: GPL-2.0
/*
 * The module's limits, as module parameters.  They are read-only once
 * the module is loaded, so every path can read them without locking and
 * no object ever sees a limit change under it.
 */
#include <kunit/visibility.h>
#include <linux/export.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "xs_internal.h"

static unsigned int max_msg_size = 4 << 20;
module_param(max_msg_size, uint, 0444);
MODULE_PARM_DESC(max_msg_size,
		 "Largest message payload in bytes (default 4 MiB); a message must also fit in the receiver's ring, else -EMSGSIZE");

static unsigned int ring_size_default = 64 << 10;
module_param(ring_size_default, uint, 0444);
MODULE_PARM_DESC(ring_size_default,
		 "Receive ring bytes per session end when the caller asks for 0 (default 64 KiB; a power of two of pages)");

static unsigned int ring_size_max = 16 << 20;
module_param(ring_size_max, uint, 0444);
MODULE_PARM_DESC(ring_size_max,
		 "Largest receive ring a caller may ask for, bytes (default 16 MiB)");

static unsigned int backlog_default = 64;
module_param(backlog_default, uint, 0444);
MODULE_PARM_DESC(backlog_default,
		 "Connect requests a listener queues before refusing more, when it asks for 0 (default 64)");

static unsigned int backlog_max = 4096;
module_param(backlog_max, uint, 0444);
MODULE_PARM_DESC(backlog_max, "Largest backlog a listener may ask for (default 4096)");

static unsigned int max_outstanding = 1024;
module_param(max_outstanding, uint, 0444);
MODULE_PARM_DESC(max_outstanding,
		 "Requests one session end may have awaiting replies before sends of requests fail with -ENOBUFS (default 1024)");

/*
 * Not a limit, and the one parameter root may change at run time: where
 * the indices of rings created from now on start, so a test can put them
 * just below the 2^32 wrap without first pushing 4 GiB through a ring.
 */
static unsigned int ring_start_index;
module_param(ring_start_index, uint, 0644);
MODULE_PARM_DESC(ring_start_index,
		 "Index at which new receive rings start, rounded down to 8 (default 0; for tests of the 2^32 wrap)");

u32 xs_ring_start_index(void)
{
	return READ_ONCE(ring_start_index);
}

struct xs_limits xs_limits;
EXPORT_SYMBOL_IF_KUNIT(xs_limits);

static bool xs_ring_size_ok(unsigned int size)
{
	return size >= PAGE_SIZE && is_power_of_2(size);
}

/* Refuse to load with limits that contradict each other. */
int xs_limits_init(void)
{
	if (!xs_ring_size_ok(ring_size_default) ||
	    !xs_ring_size_ok(ring_size_max) ||
	    ring_size_default > ring_size_max || ring_size_max > (1U << 30) ||
	    !max_msg_size || !backlog_default || backlog_default > backlog_max ||
	    !max_outstanding) {
		pr_err("xsession: inconsistent module parameters\n");
		return -EINVAL;
	}

	xs_limits.max_msg_size = max_msg_size;
	xs_limits.ring_size_default = ring_size_default;
	xs_limits.ring_size_max = ring_size_max;
	xs_limits.backlog_default = backlog_default;
	xs_limits.backlog_max = backlog_max;
	xs_limits.max_outstanding = max_outstanding;
	return 0;
}

/**
 * xs_ring_size_resolve() - turn a caller's ring size request into bytes
 * @requested:	0 for the default, else a power of two of pages
 *
 * Return: the size, or 0 when @requested is not acceptable.
 */
u32 xs_ring_size_resolve(u32 requested)
{
	if (!requested)
		return xs_limits.ring_size_default;
	if (!xs_ring_size_ok(requested) || requested > xs_limits.ring_size_max)
		return 0;
	return requested;
}
EXPORT_SYMBOL_IF_KUNIT(xs_ring_size_resolve);
