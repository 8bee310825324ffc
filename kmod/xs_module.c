// SPDX-License-Identifier: GPL-2.0
/*
 * xsession: XPC-style sessions for Linux -- module load and unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "xs_internal.h"
#include "xs_registry.h"
#include "xs_requests.h"
#include "xs_session.h"

static int __init xs_init(void)
{
	int ret;

	ret = xs_limits_init();
	if (ret)
		return ret;
	ret = xs_reqs_cache_init();
	if (ret)
		return ret;
	ret = xs_session_cache_init();
	if (ret)
		goto err_reqs;
	ret = xs_registry_init();
	if (ret)
		goto err_sessions;
	xs_debugfs_init();
	/* Last: from here on userspace can reach us. */
	ret = xs_device_register();
	if (ret)
		goto err_debugfs;

	pr_info("loaded version %s (uapi %d)\n", XS_VERSION, XS_UAPI_VERSION);
	return 0;

err_debugfs:
	xs_debugfs_exit();
	xs_registry_exit();
err_sessions:
	xs_session_cache_exit();
err_reqs:
	xs_reqs_cache_exit();
	return ret;
}

static void __exit xs_exit(void)
{
	xs_device_unregister();
	xs_debugfs_exit();
	xs_registry_exit();
	xs_session_cache_exit();
	xs_reqs_cache_exit();
	pr_info("unloaded\n");
}

module_init(xs_init);
module_exit(xs_exit);

MODULE_DESCRIPTION("xsession: XPC-style IPC sessions");
MODULE_AUTHOR("The xsession developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(XS_VERSION);
