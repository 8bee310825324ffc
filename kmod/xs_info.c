// SPDX-License-Identifier: GPL-2.0
/*
 * XS_IOC_INFO: lets userspace probe the module before relying on it.
 */
#include <linux/minmax.h>
#include <linux/build_bug.h>
#include <linux/string.h>

#include "xs_internal.h"

static_assert(sizeof(struct xs_info) == XS_INFO_SIZE_VER0);
static_assert(XS_STRUCT_COUNT <= XS_INFO_MAX_STRUCTS);

long xs_ioctl_info(void __user *uarg)
{
	struct xs_info info;
	u32 usize;
	int ret;

	ret = xs_copy_struct_in(&info, sizeof(info), XS_INFO_SIZE_VER0,
				uarg, &usize);
	if (ret)
		return ret;
	if (info.flags || !xs_reserved_clear(info.reserved))
		return -EINVAL;

	memset(&info, 0, sizeof(info));
	info.size = min_t(u32, usize, sizeof(info));
	info.uapi_version = XS_UAPI_VERSION;
	info.nr_structs = XS_STRUCT_COUNT;
	info.features = XS_FEATURES_SUPPORTED;
	info.struct_size[XS_STRUCT_INFO] = sizeof(struct xs_info);
	info.struct_size[XS_STRUCT_LISTEN] = sizeof(struct xs_listen);
	info.struct_size[XS_STRUCT_CONNECT] = sizeof(struct xs_connect);
	info.struct_size[XS_STRUCT_ACCEPT] = sizeof(struct xs_accept);
	info.struct_size[XS_STRUCT_SEND] = sizeof(struct xs_send);
	info.struct_size[XS_STRUCT_SEND_SYNC] = sizeof(struct xs_send_sync);
	info.struct_size[XS_STRUCT_RECV] = sizeof(struct xs_recv);
	info.struct_size[XS_STRUCT_CANCEL] = sizeof(struct xs_cancel);
	info.struct_size[XS_STRUCT_PEER_CREDS] = sizeof(struct xs_peer_creds);
	info.struct_size[XS_STRUCT_MSG_HDR] = sizeof(struct xs_msg_hdr);
	info.struct_size[XS_STRUCT_SEND_BATCH] = sizeof(struct xs_send_batch);
	info.struct_size[XS_STRUCT_SEND_DESC] = sizeof(struct xs_send_desc);
	info.struct_size[XS_STRUCT_RING_CTL] = sizeof(struct xs_ring_ctl);
	info.struct_size[XS_STRUCT_RING_WAIT] = sizeof(struct xs_ring_wait);
	info.struct_size[XS_STRUCT_ITEM] = sizeof(struct xs_item);
	strscpy(info.version, XS_VERSION, sizeof(info.version));
	info.max_msg_size = xs_limits.max_msg_size;
	info.ring_size_default = xs_limits.ring_size_default;
	info.ring_size_max = xs_limits.ring_size_max;
	info.backlog_default = xs_limits.backlog_default;
	info.backlog_max = xs_limits.backlog_max;
	info.max_outstanding = xs_limits.max_outstanding;

	return xs_copy_struct_out(uarg, &info, sizeof(info), usize);
}
