/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xsession: XPC-style sessions for Linux.
 *
 * This header is the whole contract between the xsession kernel module and
 * userspace.  Every struct uses fixed-width types with explicit padding; a
 * reserved field or flag bit that is not zero is refused with -EINVAL so it
 * can gain a meaning later.  Structs that may grow start with a size field
 * (the openat2/clone3 pattern): the kernel accepts a smaller, older struct,
 * and a larger one only when the bytes it does not know are zero (-E2BIG
 * otherwise).
 */
#ifndef _UAPI_LINUX_XSESSION_H
#define _UAPI_LINUX_XSESSION_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Path of the misc device. */
#define XS_DEVICE_PATH		"/dev/xsession"

/*
 * Bumped on any incompatible change to this header.  Compatible growth is
 * announced through feature bits and struct sizes instead.
 */
#define XS_UAPI_VERSION		1

/* Feature bits reported in xs_info.features. */
#define XS_FEATURE_INFO		(1ULL << 0)	/* XS_IOC_INFO */

/*
 * Indices into xs_info.struct_size[]: the size the module uses for each
 * struct, so userspace can probe before it relies on a layout.
 */
enum xs_struct_index {
	XS_STRUCT_INFO = 0,
	XS_STRUCT_COUNT,
};

#define XS_INFO_MAX_STRUCTS	16
#define XS_VERSION_LEN		32

/**
 * struct xs_info - what the module reports about itself (XS_IOC_INFO)
 * @size:	in: sizeof(struct xs_info) as the caller knows it; at least
 *		XS_INFO_SIZE_VER0.  out: the number of bytes the kernel wrote.
 * @flags:	in: must be zero.
 * @uapi_version: out: XS_UAPI_VERSION of the module.
 * @nr_structs:	out: number of valid entries in @struct_size.
 * @features:	out: XS_FEATURE_* bits the module supports.
 * @struct_size: out: the module's sizeof() for each enum xs_struct_index.
 * @version:	out: the module's version string, NUL terminated.
 * @reserved:	in: must be zero; out: zero.
 */
struct xs_info {
	__u32 size;
	__u32 flags;
	__u32 uapi_version;
	__u32 nr_structs;
	__u64 features;
	__u32 struct_size[XS_INFO_MAX_STRUCTS];
	char version[XS_VERSION_LEN];
	__u64 reserved[4];
};

#define XS_INFO_SIZE_VER0	152	/* sizeof first published struct xs_info */

#define XS_IOC_MAGIC		0xB9

/* Report the module's version, features and struct sizes. */
#define XS_IOC_INFO		_IOWR(XS_IOC_MAGIC, 0x00, struct xs_info)

#endif /* _UAPI_LINUX_XSESSION_H */
