// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/xsession/state: a read-only view of every listener and
 * session, for root (mode 0400).  Pids are global: this is an
 * administrator's view across namespaces.
 */
#include <linux/debugfs.h>
#include <linux/pid.h>
#include <linux/seq_file.h>

#include "xs_listener.h"
#include "xs_session.h"

static struct dentry *xs_debugfs_dir;

static void xs_debugfs_listener(struct xs_reg_entry *e, void *arg)
{
	struct seq_file *m = arg;

	if (uid_valid(e->domain))
		seq_printf(m, "listener %s domain=user:%u\n", e->name,
			   from_kuid(&init_user_ns, e->domain));
	else
		seq_printf(m, "listener %s domain=system\n", e->name);
}

static void xs_debugfs_end(struct seq_file *m, struct xs_end *end)
{
	seq_printf(m, " %s=%s", end->side == XS_SIDE_CLIENT ? "client" :
		   "server", xs_state_name(end->state));
	if (end->state == XS_ST_ENDED)
		seq_printf(m, "(%s)", xs_why_name(end->why));
	if (end->has_creds)
		seq_printf(m, " pid=%d", pid_nr(end->creds.tgid));
	seq_printf(m, " rx=%u/%u awaiting=%u", xs_ring_used(&end->rx),
		   end->rx.size, end->reqs.nr_awaited);
}

static int xs_debugfs_state_show(struct seq_file *m, void *unused)
{
	struct xs_conn *conn;

	xs_registry_for_each(xs_debugfs_listener, m);

	mutex_lock(&xs_conns_lock);
	list_for_each_entry(conn, &xs_conns, node) {
		mutex_lock(&conn->lock);
		seq_printf(m, "session %s", conn->name);
		xs_debugfs_end(m, &conn->end[XS_SIDE_CLIENT]);
		xs_debugfs_end(m, &conn->end[XS_SIDE_SERVER]);
		seq_putc(m, '\n');
		mutex_unlock(&conn->lock);
	}
	mutex_unlock(&xs_conns_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xs_debugfs_state);

void xs_debugfs_init(void)
{
	/* debugfs is optional: failures only cost the view. */
	xs_debugfs_dir = debugfs_create_dir("xsession", NULL);
	debugfs_create_file("state", 0400, xs_debugfs_dir, NULL,
			    &xs_debugfs_state_fops);
}

void xs_debugfs_exit(void)
{
	debugfs_remove(xs_debugfs_dir);
}
