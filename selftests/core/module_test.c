// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading the module, through the raw finit_module(2) and
 * delete_module(2) syscalls.  The module is loaded when this program
 * starts and must be loaded when it ends; the VM runs it last because it
 * replaces the module under everyone's feet.
 *
 * The tests share the one module, so each starts from a loaded module and
 * leaves it loaded; the last test repairs (and reports) a module an
 * earlier failure left unloaded.
 *
 * After an unload the device node is gone (devtmpfs removes it before
 * delete_module returns): open() fails with ENOENT.  A node made by hand
 * for the same device number outlives the module: open() on it fails with
 * ENODEV, the misc core's answer for a minor nobody has registered.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "xs_dev.h"

#define XS_MOD_NAME	"xsession"
#define XS_SYSFS	"/sys/module/" XS_MOD_NAME

static const char *xs_module_path(void)
{
	const char *path = getenv("XS_MODULE");

	return path && *path ? path : "/lib/xsession/xsession.ko";
}

static int xs_finit_module(void)
{
	int fd, ret, err;

	fd = open(xs_module_path(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		xs_fail("cannot open the module %s (set XS_MODULE): %s",
			xs_module_path(), strerror(errno));
	ret = syscall(SYS_finit_module, fd, "", 0);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

static int xs_delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK);
}

static bool xs_module_loaded(void)
{
	return access(XS_SYSFS, F_OK) == 0;
}

/* The first line of a small file, without its newline. */
static void xs_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	if (!f)
		xs_fail("cannot open %s: %s", path, strerror(errno));
	if (!fgets(buf, len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* Open files of /dev/xsession each pin the module once. */
static int xs_refcnt(void)
{
	char buf[32];

	xs_read_line(XS_SYSFS "/refcnt", buf, sizeof(buf));
	return atoi(buf);
}

static void xs_expect_device_present(void)
{
	struct xs_info info;
	struct stat st;
	int fd;

	XS_ASSERT_OK(stat(XS_DEVICE_PATH, &st));
	XS_ASSERT_TRUE(S_ISCHR(st.st_mode));
	fd = xs_dev_open(O_RDWR);
	xs_info_get(fd, &info);
	XS_ASSERT_EQ(info.uapi_version, XS_UAPI_VERSION);
	XS_ASSERT_OK(close(fd));
}

static void xs_expect_device_gone(void)
{
	struct stat st;

	XS_ASSERT_ERRNO(stat(XS_DEVICE_PATH, &st), ENOENT);
	XS_ASSERT_ERRNO(open(XS_DEVICE_PATH, O_RDWR), ENOENT);
	XS_ASSERT_ERRNO(access(XS_SYSFS, F_OK), ENOENT);
}

static void xs_load(void)
{
	XS_ASSERT_EQ(xs_finit_module(), 0);
	xs_expect_device_present();
}

static void xs_unload(void)
{
	XS_ASSERT_EQ(xs_delete_module(XS_MOD_NAME), 0);
	xs_expect_device_gone();
}

static void xs_start(void)
{
	if (xs_module_loaded())
		return;
	xs_diag("the module is not loaded (an earlier test failed?): loading it");
	xs_load();
}

/*
 * Files closed by earlier programs can pin the module a little longer:
 * io_uring, for one, drops its requests' files from a workqueue after the
 * ring's owner has exited.  Wait for that, briefly, before unloading.
 */
XS_TEST(module_is_loaded_and_idle)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	char state[32];
	int i;

	XS_ASSERT_TRUE(xs_module_loaded());
	xs_read_line(XS_SYSFS "/initstate", state, sizeof(state));
	XS_ASSERT_STREQ(state, "live");
	for (i = 0; i < 1000 && xs_refcnt() != 0; i++)
		nanosleep(&tick, NULL);
	if (i)
		xs_diag("waited %d ms for the module's references to drop", i * 10);
	XS_ASSERT_EQ(xs_refcnt(), 0);
}

XS_TEST(sysfs_version_matches_info)
{
	char version[64];
	struct xs_info info;
	int fd;

	xs_start();
	/* MODULE_VERSION() is what makes this file exist. */
	xs_read_line(XS_SYSFS "/version", version, sizeof(version));
	fd = xs_dev_open(O_RDWR);
	xs_info_get(fd, &info);
	close(fd);
	XS_ASSERT_STREQ(version, info.version);
}

/*
 * Every parameter the module declares (its modinfo "parmtype=NAME:TYPE"
 * entries) shows up in sysfs: parameters are meant to be inspectable,
 * so none is declared with permission 0.
 */
XS_TEST(sysfs_parameters_match_modinfo)
{
	static const char tag[] = "parmtype=";
	int fd, nparams = 0;
	char *ko, *p, *end;
	struct stat st;

	xs_start();
	fd = open(xs_module_path(), O_RDONLY | O_CLOEXEC);
	XS_ASSERT_OK(fd);
	XS_ASSERT_OK(fstat(fd, &st));
	ko = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	XS_ASSERT_NE(ko, MAP_FAILED);
	end = ko + st.st_size;

	/* modinfo entries are NUL-separated strings in .modinfo. */
	for (p = ko; (p = memmem(p, end - p, tag, sizeof(tag) - 1)); p++) {
		char name[NAME_MAX], path[PATH_MAX];
		const char *colon;

		if (p == ko || p[-1] != '\0')
			continue;
		p += sizeof(tag) - 1;
		colon = memchr(p, ':', end - p);
		XS_ASSERT_NE(colon, NULL);
		XS_ASSERT_LT(colon - p, (long)sizeof(name));
		memcpy(name, p, colon - p);
		name[colon - p] = '\0';
		snprintf(path, sizeof(path), XS_SYSFS "/parameters/%s", name);
		XS_EXPECT_OK(access(path, F_OK));
		nparams++;
	}
	munmap(ko, st.st_size);
	close(fd);
	if (!nparams)
		XS_SKIP("the module declares no parameters");
	xs_diag("%d parameter(s) in sysfs", nparams);
}

XS_TEST(load_while_loaded_is_eexist)
{
	xs_start();
	XS_ASSERT_ERRNO(xs_finit_module(), EEXIST);
	xs_expect_device_present();
}

XS_TEST(unload_unknown_module_is_enoent)
{
	xs_start();
	XS_ASSERT_ERRNO(xs_delete_module(XS_MOD_NAME "_no_such"), ENOENT);
	XS_ASSERT_TRUE(xs_module_loaded());
}

/* An open endpoint pins the module: code of ours may still run for it. */
XS_TEST(unload_refused_while_open)
{
	struct xs_info info;
	int fd, fd2;

	xs_start();
	XS_ASSERT_EQ(xs_refcnt(), 0);
	fd = xs_dev_open(O_RDWR);
	XS_ASSERT_EQ(xs_refcnt(), 1);
	XS_ASSERT_ERRNO(xs_delete_module(XS_MOD_NAME), EWOULDBLOCK);
	xs_info_get(fd, &info);
	XS_ASSERT_EQ(xs_refcnt(), 1);

	/* A dup shares the file: the module stays pinned through it. */
	fd2 = dup(fd);
	XS_ASSERT_OK(fd2);
	XS_ASSERT_OK(close(fd));
	XS_ASSERT_ERRNO(xs_delete_module(XS_MOD_NAME), EWOULDBLOCK);
	xs_info_get(fd2, &info);

	XS_ASSERT_OK(close(fd2));
	XS_ASSERT_EQ(xs_refcnt(), 0);
	xs_unload();
	xs_load();
}

XS_TEST_TIMEOUT(reload_20_times, 300)
{
	int i;

	xs_start();
	for (i = 0; i < 20; i++) {
		xs_unload();
		xs_load();
	}
}

XS_TEST(stale_node_after_unload_is_enodev)
{
	char dir[] = "/tmp/xs_module_test.XXXXXX", node[64];
	struct stat st;
	int fd;

	xs_start();
	XS_ASSERT_OK(stat(XS_DEVICE_PATH, &st));
	XS_ASSERT_NE(mkdtemp(dir), NULL);
	snprintf(node, sizeof(node), "%s/xsession", dir);
	XS_ASSERT_OK(mknod(node, S_IFCHR | 0600, st.st_rdev));
	fd = open(node, O_RDWR);
	XS_ASSERT_OK(fd);
	XS_ASSERT_OK(close(fd));

	xs_unload();
	XS_EXPECT_ERRNO(open(node, O_RDWR), ENODEV);
	unlink(node);
	rmdir(dir);
	xs_load();
}

/* Last: the VM's /init unloads the module after us and expects it here. */
XS_TEST(module_is_left_loaded)
{
	if (!xs_module_loaded()) {
		xs_load();
		XS_FAIL("an earlier test left the module unloaded; reloaded it");
	}
	xs_expect_device_present();
}
