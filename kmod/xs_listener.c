// SPDX-License-Identifier: GPL-2.0
/*
 * Listeners: XS_IOC_LISTEN registers a name, XS_IOC_CONNECT queues a
 * request at the listener that holds it, XS_IOC_ACCEPT turns the oldest
 * request into a server session fd.
 *
 * Connecting does not wait for the server (as in XPC): the session exists
 * from the moment the request is queued, and the client may send at once;
 * its messages wait in the server end's ring, bounded by its size.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "xs_listener.h"
#include "xs_session.h"

static void xs_listener_free(struct kref *ref)
{
	kfree(container_of(ref, struct xs_listener, ref));
}

void xs_listener_put(struct xs_listener *l)
{
	kref_put(&l->ref, xs_listener_free);
}

static bool xs_listener_tryget(struct xs_reg_entry *e)
{
	return kref_get_unless_zero(&container_of(e, struct xs_listener,
						  reg)->ref);
}

long xs_ioctl_listen(struct xs_endpoint *ep, void __user *uarg)
{
	char name[XS_NAME_MAX];
	struct xs_listener *l;
	struct xs_listen a;
	u32 usize;
	int ret;

	ret = xs_copy_struct_in(&a, sizeof(a), sizeof(a), uarg, &usize);
	if (ret)
		return ret;
	if ((a.flags & ~(XS_LISTEN_SYSTEM | XS_LISTEN_INACTIVE |
			 XS_LISTEN_RING_MMAP)) ||
	    !xs_reserved_clear(a.reserved) ||
	    !xs_ring_size_resolve(a.ring_size) ||
	    a.backlog > xs_limits.backlog_max)
		return -EINVAL;
	ret = xs_name_from_user(name, a.name);
	if (ret)
		return ret;

	l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);
	if (!l)
		return -ENOMEM;
	kref_init(&l->ref);
	mutex_init(&l->lock);
	INIT_LIST_HEAD(&l->backlog);
	init_waitqueue_head(&l->wait);
	l->active = !(a.flags & XS_LISTEN_INACTIVE);
	l->backlog_max = a.backlog ? a.backlog : xs_limits.backlog_default;
	l->ring.size = xs_ring_size_resolve(a.ring_size);
	l->ring.mappable = a.flags & XS_LISTEN_RING_MMAP;
	ret = xs_requirement_from_user(&l->req, a.req_kind, a.req_id);
	if (ret)
		goto fail;

	mutex_lock(&ep->lock);
	if (ep->kind != XS_EP_UNBOUND) {
		ret = -EISCONN;
	} else {
		ret = xs_registry_add(&l->reg, name,
				      a.flags & XS_LISTEN_SYSTEM);
		if (!ret) {
			ep->listener = l;
			xs_ep_bind(ep, XS_EP_LISTENER);
		}
	}
	mutex_unlock(&ep->lock);
	if (!ret)
		return 0;
fail:
	xs_listener_put(l);
	return ret;
}

/* Queue @conn's request at @l.  Consumes the listener reference. */
static int xs_listener_enqueue(struct xs_listener *l, struct xs_conn *conn)
{
	int ret = 0;

	mutex_lock(&l->lock);
	if (l->canceled) {
		ret = -ENOENT;		/* it went away as we looked it up */
	} else if (l->backlog_len >= l->backlog_max) {
		ret = -ECONNREFUSED;
	} else {
		xs_conn_get(conn);	/* the backlog's reference */
		mutex_lock(&conn->lock);
		conn->listener = l;	/* takes over our listener reference */
		mutex_unlock(&conn->lock);
		list_add_tail(&conn->backlog_node, &l->backlog);
		l->backlog_len++;
		if (l->active)
			wake_up_all(&l->wait);
	}
	mutex_unlock(&l->lock);
	if (ret)
		xs_listener_put(l);
	return ret;
}

/* XS_CONNECT_WAIT: sleep until the server activated or ended the session. */
static int xs_connect_wait(struct xs_end *client, u64 timeout_ns)
{
	long t = timeout_ns ? max(nsecs_to_jiffies(timeout_ns), 1UL)
			    : MAX_SCHEDULE_TIMEOUT;
	int state;

	t = wait_event_interruptible_timeout(client->wait,
					     xs_end_state(client) != XS_ST_PENDING,
					     t);
	if (t < 0)
		return -EINTR;	/* connected, just not decided yet */
	state = xs_end_state(client);
	/* Activated counts even when the session has ended since. */
	if (state == XS_ST_CONNECTED || READ_ONCE(client->conn->activated))
		return 0;
	if (state == XS_ST_PENDING)
		return -ETIMEDOUT;
	return READ_ONCE(client->why) == XS_END_REJECTED ? -ECONNREFUSED
							 : -ECONNRESET;
}

long xs_ioctl_connect(struct file *file, struct xs_endpoint *ep,
		      void __user *uarg)
{
	char name[XS_NAME_MAX];
	struct xs_reg_entry *e;
	struct xs_listener *l;
	struct xs_conn *conn;
	struct xs_connect c;
	struct xs_ring_req ring;
	u32 usize;
	int ret;

	ret = xs_copy_struct_in(&c, sizeof(c), sizeof(c), uarg, &usize);
	if (ret)
		return ret;
	if ((c.flags & ~(XS_CONNECT_PRIVILEGED | XS_CONNECT_WAIT |
			 XS_CONNECT_RING_MMAP)) ||
	    c.__pad || !xs_reserved_clear(c.reserved) ||
	    (c.timeout_ns && !(c.flags & XS_CONNECT_WAIT)))
		return -EINVAL;
	ring.size = xs_ring_size_resolve(c.ring_size);
	ring.mappable = c.flags & XS_CONNECT_RING_MMAP;
	if (!ring.size)
		return -EINVAL;
	ret = xs_name_from_user(name, c.name);
	if (ret)
		return ret;

	mutex_lock(&ep->lock);
	if (ep->kind != XS_EP_UNBOUND) {
		ret = -EISCONN;
		goto unlock;
	}
	e = xs_registry_find(name, c.flags & XS_CONNECT_PRIVILEGED,
			     xs_listener_tryget);
	if (!e) {
		ret = -ENOENT;
		goto unlock;
	}
	l = container_of(e, struct xs_listener, reg);
	if (!xs_requirement_met(&l->req, current_cred())) {
		xs_listener_put(l);
		ret = -EPERM;
		goto unlock;
	}

	conn = xs_conn_create(name, &ring, &l->ring);
	if (IS_ERR(conn)) {
		xs_listener_put(l);
		ret = PTR_ERR(conn);
		goto unlock;
	}
	xs_creds_capture(&conn->end[XS_SIDE_CLIENT].creds);
	conn->end[XS_SIDE_CLIENT].has_creds = true;

	ret = xs_listener_enqueue(l, conn);
	if (ret) {
		xs_conn_put(conn);
		goto unlock;
	}
	ep->end = &conn->end[XS_SIDE_CLIENT];
	xs_ep_bind(ep, XS_EP_SESSION);
unlock:
	mutex_unlock(&ep->lock);
	if (ret || !(c.flags & XS_CONNECT_WAIT))
		return ret;
	/* Like a non-blocking socket connect: poll tells the outcome. */
	if (file->f_flags & O_NONBLOCK)
		return -EINPROGRESS;
	return xs_connect_wait(ep->end, c.timeout_ns);
}

/* Take the oldest request, waiting for one unless @nonblock. */
static struct xs_conn *xs_backlog_pop(struct xs_listener *l, bool nonblock)
{
	struct xs_conn *conn;

	for (;;) {
		mutex_lock(&l->lock);
		if (l->canceled) {
			mutex_unlock(&l->lock);
			return ERR_PTR(-ESHUTDOWN);
		}
		conn = list_first_entry_or_null(&l->backlog, struct xs_conn,
						backlog_node);
		if (l->active && conn) {
			list_del_init(&conn->backlog_node);
			l->backlog_len--;
			mutex_lock(&conn->lock);
			conn->listener = NULL;
			mutex_unlock(&conn->lock);
			mutex_unlock(&l->lock);
			xs_listener_put(l);	/* the backlog's reference */
			return conn;
		}
		mutex_unlock(&l->lock);
		if (nonblock)
			return ERR_PTR(-EAGAIN);
		if (wait_event_interruptible(l->wait,
					     (READ_ONCE(l->active) &&
					      READ_ONCE(l->backlog_len)) ||
					     READ_ONCE(l->canceled)))
			return ERR_PTR(-ERESTARTSYS);
	}
}

/*
 * Make the server end of @conn undecided and owned by the accepting task.
 * Returns false when the client already gave up (the request is dropped).
 */
static bool xs_server_claim(struct xs_conn *conn)
{
	struct xs_end *server = &conn->end[XS_SIDE_SERVER];
	bool live;

	mutex_lock(&conn->lock);
	live = server->state == XS_ST_PENDING;
	if (live) {
		xs_creds_capture(&server->creds);
		server->has_creds = true;
		xs_end_set_state(server, XS_ST_DECIDING);
	}
	mutex_unlock(&conn->lock);
	return live;
}

static long xs_ioctl_accept(struct file *file, struct xs_listener *l,
			    void __user *uarg)
{
	struct xs_conn *conn;
	struct xs_accept a;
	struct file *sfile;
	u32 usize;
	int fd, ret;

	ret = xs_copy_struct_in(&a, sizeof(a), sizeof(a), uarg, &usize);
	if (ret)
		return ret;
	if (a.flags || a.__pad || !xs_reserved_clear(a.reserved))
		return -EINVAL;

	do {
		conn = xs_backlog_pop(l, file->f_flags & O_NONBLOCK);
		if (IS_ERR(conn))
			return PTR_ERR(conn);
		if (xs_server_claim(conn))
			break;
		xs_conn_put(conn);
	} while (true);

	/* From here on the server end's ring is the accepting task's. */
	xs_ring_set_owner(&conn->end[XS_SIDE_SERVER].rx);
	/* And the backlog's conn reference belongs to the file. */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto fail_end;
	}
	sfile = xs_endpoint_file_create(&conn->end[XS_SIDE_SERVER], O_RDWR);
	if (IS_ERR(sfile)) {
		put_unused_fd(fd);
		ret = PTR_ERR(sfile);
		goto fail_end;
	}
	a.fd = fd;
	if (xs_copy_struct_out(uarg, &a, sizeof(a), usize)) {
		put_unused_fd(fd);
		fput(sfile);	/* releases the end like a close */
		return -EFAULT;
	}
	fd_install(fd, sfile);
	return fd;

fail_end:
	xs_end_release(&conn->end[XS_SIDE_SERVER]);
	return ret;
}

/*
 * Cancel @l: free its name at once and end every request it had not
 * accepted; each client learns XS_END_LISTENER_GONE with @reason.
 */
static int xs_listener_shutdown(struct xs_listener *l, const char *reason,
				u32 len)
{
	struct xs_conn *conn, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&l->lock);
	if (l->canceled) {
		mutex_unlock(&l->lock);
		return -EALREADY;
	}
	WRITE_ONCE(l->canceled, true);
	xs_registry_del(&l->reg);
	list_splice_init(&l->backlog, &dead);
	l->backlog_len = 0;
	list_for_each_entry(conn, &dead, backlog_node) {
		char *copy = len ? kmemdup(reason, len, GFP_KERNEL) : NULL;

		mutex_lock(&conn->lock);
		conn->listener = NULL;
		xs_end_terminate_locked(&conn->end[XS_SIDE_SERVER],
					XS_END_CANCELED, XS_END_LISTENER_GONE,
					copy, copy ? len : 0);
		mutex_unlock(&conn->lock);
	}
	mutex_unlock(&l->lock);
	wake_up_all(&l->wait);

	list_for_each_entry_safe(conn, tmp, &dead, backlog_node) {
		list_del_init(&conn->backlog_node);
		xs_conn_put(conn);
		xs_listener_put(l);
	}
	return 0;
}

static long xs_ioctl_listener_cancel(struct xs_listener *l, void __user *uarg)
{
	char *reason;
	u32 len;
	int ret;

	ret = xs_cancel_in(uarg, &reason, &len);
	if (ret)
		return ret;
	ret = xs_listener_shutdown(l, reason, len);
	kfree(reason);
	return ret;
}

static long xs_ioctl_listener_activate(struct xs_listener *l)
{
	int ret = 0;

	mutex_lock(&l->lock);
	if (l->canceled)
		ret = -ESHUTDOWN;
	else if (l->active)
		ret = -EALREADY;
	else
		WRITE_ONCE(l->active, true);
	mutex_unlock(&l->lock);
	wake_up_all(&l->wait);
	return ret;
}

long xs_listener_ioctl(struct file *file, struct xs_listener *l,
		       unsigned int cmd, void __user *uarg)
{
	switch (cmd) {
	case XS_IOC_ACCEPT:
		return xs_ioctl_accept(file, l, uarg);
	case XS_IOC_ACTIVATE:
		return xs_ioctl_listener_activate(l);
	case XS_IOC_CANCEL:
		return xs_ioctl_listener_cancel(l, uarg);
	case XS_IOC_LISTEN:
	case XS_IOC_CONNECT:
		return -EISCONN;
	case XS_IOC_SEND:
	case XS_IOC_SEND_SYNC:
	case XS_IOC_RECV:
	case XS_IOC_REJECT:
	case XS_IOC_PEER_CREDS:
	case XS_IOC_SEND_BATCH:
	case XS_IOC_RING_WAIT:
		return -EINVAL;	/* session calls on a listener */
	default:
		return -ENOTTY;
	}
}

__poll_t xs_listener_poll(struct file *file, struct xs_listener *l,
			  poll_table *pt)
{
	poll_wait(file, &l->wait, pt);
	if (READ_ONCE(l->canceled))
		return EPOLLHUP;
	if (READ_ONCE(l->active) && READ_ONCE(l->backlog_len))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

void xs_listener_release(struct xs_listener *l)
{
	xs_listener_shutdown(l, NULL, 0);
	xs_listener_put(l);
}

void xs_listener_show_fdinfo(struct seq_file *m, struct xs_listener *l)
{
	mutex_lock(&l->lock);
	seq_printf(m, "xs-kind:\tlistener\nxs-service:\t%s\n", l->reg.name);
	if (uid_valid(l->reg.domain))
		seq_printf(m, "xs-domain:\tuser %u\n",
			   from_kuid_munged(current_user_ns(), l->reg.domain));
	else
		seq_puts(m, "xs-domain:\tsystem\n");
	seq_printf(m, "xs-state:\t%s\nxs-backlog:\t%u/%u\n",
		   l->canceled ? "canceled" : l->active ? "active" : "inactive",
		   l->backlog_len, l->backlog_max);
	mutex_unlock(&l->lock);
}
