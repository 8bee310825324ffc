/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxsession: XPC-style sessions for Linux.
 *
 * The library is a thin layer over the /dev/xsession device; this header
 * is its whole public API.  Functions return 0 or a negative errno unless
 * they say otherwise.
 */
#ifndef XSESSION_H
#define XSESSION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XS_EXPORT __attribute__((visibility("default")))

/** What the loaded module says about itself. */
struct xs_module_info {
	unsigned int uapi_version;	/* the module's XS_UAPI_VERSION */
	uint64_t features;		/* XS_FEATURE_* bits */
	char version[32];		/* module version, e.g. "0.1.0" */
};

/**
 * xs_module_get_info() - probe the loaded xsession module
 * @info:	filled on success
 * @err:	optional buffer for a sentence that explains a failure
 * @errlen:	size of @err
 *
 * Opens the device, asks the module for its version, features and struct
 * sizes, and checks that they match what this library was built for.
 *
 * Return: 0; -ENOENT when the module is not loaded; -EPROTO when the
 * module speaks another uapi version or uses other struct sizes; another
 * negative errno from open() or ioctl().
 */
XS_EXPORT int xs_module_get_info(struct xs_module_info *info,
				 char *err, size_t errlen);

/** The library's own version string. */
XS_EXPORT const char *xs_library_version(void);

#ifdef __cplusplus
}
#endif

#endif /* XSESSION_H */
