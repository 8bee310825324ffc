// SPDX-License-Identifier: GPL-2.0
/*
 * The compat ioctl path: this program is built -m32 and runs the
 * XS_IOC_INFO checks of info_tests.c (linked in) through a 64-bit
 * kernel's compat_ioctl.  The kernel needs CONFIG_IA32_EMULATION.
 */
#include <stdint.h>

#include "xs_dev.h"

/* Guards against a build change that quietly makes this a native test. */
XS_TEST(is_a_32bit_process)
{
	XS_ASSERT_EQ(sizeof(void *), 4);
	XS_ASSERT_EQ(sizeof(long), 4);
}

/*
 * A request above 2 GiB: compat_ptr() must zero-extend the 32-bit
 * pointer, where a stray (long)(int) cast would sign-extend it.
 */
XS_TEST(info_from_high_address)
{
	size_t ps = xs_page_size();
	struct xs_info *info;
	int fd = xs_dev_open(O_RDWR);
	char *p;

	p = mmap((void *)(0xe0000000ul - ps), ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	XS_ASSERT_NE(p, MAP_FAILED);
	XS_ASSERT_GE((uintptr_t)p, 0x80000000u);
	info = (struct xs_info *)(p + ps - sizeof(*info));
	xs_info_get(fd, info);
	XS_EXPECT_EQ(info->size, sizeof(*info));
	XS_EXPECT_EQ(info->uapi_version, XS_UAPI_VERSION);
	close(fd);
}
