/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for tests that talk to /dev/xsession.  They assert, so they
 * only return on success and the tests stay short.
 */
#ifndef _XS_DEV_H
#define _XS_DEV_H

#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/xsession.h>

#include "xs_test.h"

/* The misc device major, which every misc device lives under. */
#define XS_MISC_MAJOR	10

static inline int xs_dev_open(int flags)
{
	int fd;

	fd = open(XS_DEVICE_PATH, flags | O_CLOEXEC);
	XS_ASSERT_OK(fd);
	return fd;
}

/* A well-formed XS_IOC_INFO request, as every caller starts with. */
static inline void xs_info_init(struct xs_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
}

static inline void xs_info_get(int fd, struct xs_info *info)
{
	xs_info_init(info);
	XS_ASSERT_EQ(ioctl(fd, XS_IOC_INFO, info), 0);
}

static inline size_t xs_page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/*
 * @pages readable and writable pages followed by one that is not mapped,
 * so a user copy that runs past the end faults instead of reading a
 * neighbour's memory.
 */
static inline void *xs_map_guarded(size_t pages)
{
	size_t ps = xs_page_size();
	char *p;

	p = mmap(NULL, (pages + 1) * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	XS_ASSERT_NE(p, MAP_FAILED);
	XS_ASSERT_OK(munmap(p + pages * ps, ps));
	return p;
}

#endif /* _XS_DEV_H */
