// SPDX-License-Identifier: GPL-2.0
/*
 * What administrators see: /proc/self/fdinfo/N of every endpoint
 * ("xs-kind", "xs-state", "xs-service") and the debugfs view
 * /sys/kernel/debug/xsession/state ("listener <name> ...",
 * "session <name> ..." lines).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "xs_util.h"

#define DEBUGFS_STATE	"/sys/kernel/debug/xsession/state"

static void expect_line(int fd, const char *key, const char *want)
{
	char val[256];

	if (!xsu_fdinfo(fd, key, val, sizeof(val)))
		XS_FAIL("fdinfo of fd %d has no \"%s:\" line", fd, key);
	XS_EXPECT_STREQ(val, want);
}

static void state_of(int fd, char *buf, size_t len)
{
	if (!xsu_fdinfo(fd, "xs-state", buf, len))
		XS_FAIL("fdinfo of fd %d has no \"xs-state:\" line", fd);
	XS_EXPECT_NE(buf[0], '\0');
}

XS_TEST(fdinfo_every_kind)
{
	XSU_NAME(name);
	char st_pending[64], st_conn[64], st_ended[64], st_l[64], st_lc[64];
	char st_deciding[64];
	int u = xsu_open(), l, c, s;

	expect_line(u, "xs-kind", "unbound");

	l = xsu_listen(name, 0);
	expect_line(l, "xs-kind", "listener");
	expect_line(l, "xs-service", name);
	state_of(l, st_l, sizeof(st_l));

	c = xsu_connect(name, 0);
	expect_line(c, "xs-kind", "session");
	expect_line(c, "xs-service", name);
	state_of(c, st_pending, sizeof(st_pending));

	s = xsu_accept(l);
	expect_line(s, "xs-kind", "session");
	expect_line(s, "xs-service", name);
	state_of(s, st_deciding, sizeof(st_deciding));

	XS_ASSERT_EQ(xsu_activate(s), 0);
	state_of(c, st_conn, sizeof(st_conn));
	/* The state tells pending from connected from ended. */
	XS_EXPECT_NE(strcmp(st_pending, st_conn), 0);
	XS_EXPECT_NE(strcmp(st_deciding, st_conn), 0);
	{
		char st_s[64];

		state_of(s, st_s, sizeof(st_s));
		XS_EXPECT_STREQ(st_s, st_conn);
	}
	XS_ASSERT_EQ(xsu_cancel(c, NULL, 0), 0);
	state_of(c, st_ended, sizeof(st_ended));
	XS_EXPECT_NE(strcmp(st_ended, st_conn), 0);
	XS_EXPECT_NE(strcmp(st_ended, st_pending), 0);
	/* The service name stays after the end. */
	expect_line(c, "xs-service", name);

	XS_ASSERT_EQ(xsu_cancel(l, NULL, 0), 0);
	state_of(l, st_lc, sizeof(st_lc));
	XS_EXPECT_NE(strcmp(st_l, st_lc), 0);
	expect_line(l, "xs-kind", "listener");
	xs_diag("states: listener %s -> %s; session pending %s, deciding %s, connected %s, ended %s",
		st_l, st_lc, st_pending, st_deciding, st_conn, st_ended);
	close(s);
	close(c);
	close(l);
	close(u);
}

XS_TEST(fdinfo_inactive_listener_state_differs)
{
	XSU_NAME(a);
	XSU_NAME(b);
	char sa[64], sb[64];
	int la = xsu_listen(a, 0), lb = xsu_listen(b, XS_LISTEN_INACTIVE);

	state_of(la, sa, sizeof(sa));
	state_of(lb, sb, sizeof(sb));
	XS_EXPECT_NE(strcmp(sa, sb), 0);
	XS_ASSERT_EQ(xsu_activate(lb), 0);
	state_of(lb, sb, sizeof(sb));
	XS_EXPECT_STREQ(sa, sb);
	close(la);
	close(lb);
}

/* Lines of the debugfs state file that start with @prefix @name. */
static int count_lines(const char *prefix, const char *name)
{
	char line[1024], want[256];
	int n = 0;
	FILE *f = fopen(DEBUGFS_STATE, "re");

	XS_ASSERT_NE(f, NULL);
	snprintf(want, sizeof(want), "%s %s", prefix, name);
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(want);

		if (!strncmp(line, want, len) &&
		    (line[len] == ' ' || line[len] == '\n' || !line[len]))
			n++;
	}
	fclose(f);
	return n;
}

static void need_debugfs(void)
{
	struct stat st;

	if (stat(DEBUGFS_STATE, &st) == 0)
		return;
	/* /init mounts it; try ourselves before giving up. */
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (stat(DEBUGFS_STATE, &st))
		XS_SKIP("no %s (debugfs not mounted or not built in)",
			DEBUGFS_STATE);
}

XS_TEST(debugfs_lists_listeners_and_sessions)
{
	XSU_NAME(name);
	int l, c1, c2, s1;

	need_debugfs();
	XS_EXPECT_EQ(count_lines("listener", name), 0);
	XS_EXPECT_EQ(count_lines("session", name), 0);
	l = xsu_listen(name, 0);
	XS_EXPECT_EQ(count_lines("listener", name), 1);
	c1 = xsu_connect(name, 0);
	c2 = xsu_connect(name, 0);
	XS_EXPECT_EQ(count_lines("session", name), 2);
	s1 = xsu_accept(l);
	XS_ASSERT_EQ(xsu_activate(s1), 0);
	XS_EXPECT_EQ(count_lines("session", name), 2);
	/* A cancelled listener's name is gone at once. */
	XS_ASSERT_EQ(xsu_cancel(l, NULL, 0), 0);
	XS_EXPECT_EQ(count_lines("listener", name), 0);
	/* Sessions go when both ends are closed. */
	close(c2);
	XS_EXPECT_EQ(count_lines("session", name), 1);
	close(c1);
	close(s1);
	XS_EXPECT_EQ(count_lines("session", name), 0);
	close(l);
}

XS_TEST(debugfs_system_domain_listener)
{
	XSU_NAME(name);
	int l;

	need_debugfs();
	l = xsu_listen(name, XS_LISTEN_SYSTEM);
	XS_EXPECT_EQ(count_lines("listener", name), 1);
	close(l);
	XS_EXPECT_EQ(count_lines("listener", name), 0);
}
