# SPDX-License-Identifier: GPL-2.0
#
# selftests/core: the device and the module themselves.  Run order:
# module_test goes last because it unloads and reloads the module.
core_TESTS := device_test compat_test uring_test module_test

# XS_IOC_INFO is checked natively and through compat_ioctl alike.
device_test_SRCS := core/device_test.c core/info_tests.c
compat_test_SRCS := core/compat_test.c core/info_tests.c
compat_test_M32 := 1
uring_test_LDLIBS := -luring
