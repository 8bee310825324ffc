/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Listeners: a registered name, a backlog of connect requests.
 */
#ifndef _XS_LISTENER_H
#define _XS_LISTENER_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/wait.h>

#include "xs_creds.h"
#include "xs_internal.h"
#include "xs_registry.h"
#include "xs_ring.h"

/**
 * struct xs_listener - a service name and its queue of requests
 * @ref:	held by the listener's endpoint and by connects in flight.
 * @lock:	guards the fields below @reg.
 * @reg:	the registry entry (name, namespace, domain).
 * @active:	requests are offered to accept (else they only queue).
 * @canceled:	cancelled or its fd closed: no new requests.
 * @backlog:	struct xs_conn.backlog_node, oldest first.
 * @backlog_len: entries in @backlog.
 * @backlog_max: the most @backlog may hold.
 * @ring:	the receive ring of the server end of each session.
 * @req:	who may connect.
 * @wait:	accept() and poll() waiters.
 */
struct xs_listener {
	struct kref ref;
	struct mutex lock;	/* see above */
	struct xs_reg_entry reg;
	bool active;
	bool canceled;
	struct list_head backlog;
	u32 backlog_len;
	u32 backlog_max;
	struct xs_ring_req ring;
	struct xs_requirement_k req;
	wait_queue_head_t wait;
};

long xs_ioctl_listen(struct xs_endpoint *ep, void __user *uarg);
long xs_ioctl_connect(struct file *file, struct xs_endpoint *ep,
		      void __user *uarg);
long xs_listener_ioctl(struct file *file, struct xs_listener *l,
		       unsigned int cmd, void __user *uarg);
__poll_t xs_listener_poll(struct file *file, struct xs_listener *l,
			  poll_table *pt);
void xs_listener_release(struct xs_listener *l);
void xs_listener_put(struct xs_listener *l);
void xs_listener_show_fdinfo(struct seq_file *m, struct xs_listener *l);

#endif /* _XS_LISTENER_H */
