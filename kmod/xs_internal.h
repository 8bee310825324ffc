/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xsession module internals shared between its files.
 *
 * Map of the module:
 *   xs_module.c   load/unload, module parameters
 *   xs_device.c   the /dev/xsession misc device and its file operations
 *   xs_uaccess.c  copying size-versioned structs from and to userspace
 *   xs_info.c     XS_IOC_INFO: version, features, struct sizes
 */
#ifndef _XS_INTERNAL_H
#define _XS_INTERNAL_H

#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xsession.h>

/* Feature bits this build of the module implements. */
#define XS_FEATURES_SUPPORTED	(XS_FEATURE_INFO)

/**
 * enum xs_endpoint_state - what an open /dev/xsession file has become
 * @XS_EP_UNBOUND: freshly opened; only XS_IOC_INFO is meaningful.
 */
enum xs_endpoint_state {
	XS_EP_UNBOUND = 0,
};

/**
 * struct xs_endpoint - per-open-file state of /dev/xsession
 * @state:	see enum xs_endpoint_state.
 * @wait:	poll() waiters; woken whenever readiness may have changed.
 */
struct xs_endpoint {
	enum xs_endpoint_state state;
	wait_queue_head_t wait;
};

int xs_device_register(void);
void xs_device_unregister(void);

int xs_copy_struct_in(void *dst, size_t ksize, size_t min_size,
		      const void __user *uarg, u32 *usize);
int xs_copy_struct_out(void __user *uarg, const void *src, size_t ksize,
		       u32 usize);

long xs_ioctl_info(void __user *uarg);

#endif /* _XS_INTERNAL_H */
