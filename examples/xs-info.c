// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xs-info: print what the loaded xsession module reports about itself.
 * The first thing a user runs after insmod, and the demo's first step.
 */
#include <stdio.h>
#include <string.h>

#include <linux/xsession.h>
#include <xsession.h>

int main(void)
{
	struct xs_module_info info;
	char err[256] = "";
	int ret;

	ret = xs_module_get_info(&info, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "xs-info: %s\n", err[0] ? err : strerror(-ret));
		return 1;
	}

	printf("xsession module version %s\n", info.version);
	printf("uapi version %u (library %s built for uapi %d)\n",
	       info.uapi_version, xs_library_version(), XS_UAPI_VERSION);
	printf("features 0x%llx:%s%s%s%s%s%s\n",
	       (unsigned long long)info.features,
	       info.features & XS_FEATURE_INFO ? " info" : "",
	       info.features & XS_FEATURE_SESSIONS ? " sessions" : "",
	       info.features & XS_FEATURE_BATCH ? " batch" : "",
	       info.features & XS_FEATURE_URING_CMD ? " uring_cmd" : "",
	       info.features & XS_FEATURE_RING_MMAP ? " ring_mmap" : "",
	       info.features & XS_FEATURE_ITEMS ? " items" : "");
	return 0;
}
