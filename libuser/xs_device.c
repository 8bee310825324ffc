// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Opening /dev/xsession and making sure the module is the one this library
 * was built for: a mismatch is reported once, clearly, instead of as odd
 * errors from later calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/xsession.h>

#include "xs_private.h"
#include "xsession.h"

static void xs_explain(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int xs_query_info(int fd, struct xs_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	if (ioctl(fd, XS_IOC_INFO, info) < 0)
		return -errno;
	return 0;
}

static int xs_check_info(const struct xs_info *info, char *err,
			 size_t errlen)
{
	if (info->uapi_version != XS_UAPI_VERSION) {
		xs_explain(err, errlen,
			   "xsession module %.32s speaks uapi %u, this library needs %u: load a matching module",
			   info->version, info->uapi_version, XS_UAPI_VERSION);
		return -EPROTO;
	}
	if (info->nr_structs < XS_STRUCT_COUNT ||
	    info->struct_size[XS_STRUCT_INFO] != sizeof(struct xs_info)) {
		xs_explain(err, errlen,
			   "xsession module %.32s uses other struct sizes than this library: load a matching module",
			   info->version);
		return -EPROTO;
	}
	return 0;
}

int xs_device_open_checked(char *err, size_t errlen, struct xs_info *out)
{
	struct xs_info info;
	int fd, ret;

	fd = open(XS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			xs_explain(err, errlen,
				   "%s does not exist: is the xsession module loaded? (insmod xsession.ko)",
				   XS_DEVICE_PATH);
		else
			xs_explain(err, errlen, "cannot open %s: %s",
				   XS_DEVICE_PATH, strerror(-ret));
		return ret;
	}

	ret = xs_query_info(fd, &info);
	if (ret) {
		xs_explain(err, errlen, "%s does not answer XS_IOC_INFO (%s): is it the xsession module?",
			   XS_DEVICE_PATH, strerror(-ret));
		goto fail;
	}
	ret = xs_check_info(&info, err, errlen);
	if (ret)
		goto fail;

	if (out)
		*out = info;
	return fd;
fail:
	close(fd);
	return ret;
}

int xs_module_get_info(struct xs_module_info *mi, char *err, size_t errlen)
{
	struct xs_info info;
	int fd;

	fd = xs_device_open_checked(err, errlen, &info);
	if (fd < 0)
		return fd;
	close(fd);

	memset(mi, 0, sizeof(*mi));
	mi->uapi_version = info.uapi_version;
	mi->features = info.features;
	memcpy(mi->version, info.version, sizeof(mi->version));
	mi->version[sizeof(mi->version) - 1] = '\0';
	return 0;
}

/*
 * Probed once: the module's limits do not change while it is loaded.
 * Without a module, guesses that make every send fail anyway.
 */
static _Atomic uint32_t xs_max_msg, xs_ring_default;

static void xs_device_probe(void)
{
	struct xs_info info;
	int fd;

	if (xs_max_msg)
		return;
	fd = xs_device_open_checked(NULL, 0, &info);
	if (fd < 0) {
		xs_ring_default = 64u << 10;
		xs_max_msg = 1u << 20;
		return;
	}
	close(fd);
	xs_ring_default = info.ring_size_default;
	xs_max_msg = info.max_msg_size;
}

uint32_t xs_device_max_msg_size(void)
{
	xs_device_probe();
	return xs_max_msg;
}

uint32_t xs_device_ring_size_default(void)
{
	xs_device_probe();
	return xs_ring_default;
}

const char *xs_library_version(void)
{
	return XS_LIB_VERSION;
}
