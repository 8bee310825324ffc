// SPDX-License-Identifier: GPL-2.0
/*
 * XS_IOC_INFO: lets userspace probe the module before relying on it.
 */
#include <linux/minmax.h>
#include <linux/build_bug.h>
#include <linux/string.h>

#include "xs_internal.h"

static bool xs_info_reserved_clear(const struct xs_info *info)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(info->reserved); i++)
		if (info->reserved[i])
			return false;
	return true;
}

static_assert(sizeof(struct xs_info) == XS_INFO_SIZE_VER0);

long xs_ioctl_info(void __user *uarg)
{
	struct xs_info info;
	u32 usize;
	int ret;

	ret = xs_copy_struct_in(&info, sizeof(info), XS_INFO_SIZE_VER0,
				uarg, &usize);
	if (ret)
		return ret;
	if (info.flags || !xs_info_reserved_clear(&info))
		return -EINVAL;

	memset(&info, 0, sizeof(info));
	info.size = min_t(u32, usize, sizeof(info));
	info.uapi_version = XS_UAPI_VERSION;
	info.nr_structs = XS_STRUCT_COUNT;
	info.features = XS_FEATURES_SUPPORTED;
	info.struct_size[XS_STRUCT_INFO] = sizeof(struct xs_info);
	strscpy(info.version, XS_VERSION, sizeof(info.version));

	return xs_copy_struct_out(uarg, &info, sizeof(info), usize);
}
