// SPDX-License-Identifier: GPL-2.0
/*
 * xsession_kunit: the module that carries xsession's KUnit suites.  Each
 * suite lives in its own file and registers itself with
 * kunit_test_suite(); loading this module runs them all.
 */
#include <linux/module.h>

MODULE_DESCRIPTION("KUnit suites for xsession");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
