// SPDX-License-Identifier: GPL-2.0
/*
 * Credentials of a session's peers, and listener requirements.
 *
 * Credentials are captured once, when the client connects and when the
 * server accepts, like SO_PEERCRED: what a peer proved at that moment is
 * what the other side is told, even if the process later changes its ids.
 * They are stored in kernel form and translated for each reader into the
 * reader's own namespaces, because the two ends of a session need not
 * share a pid or user namespace.
 */
#include <kunit/visibility.h>
#include <linux/cred.h>
#include <linux/export.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/security.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>

#include "xs_creds.h"

/**
 * xs_creds_capture() - record who current is
 * @c:		out: current's credentials; release with xs_creds_release()
 *
 * The thread group's pid is recorded rather than the thread's: the peer is
 * a process, and a pidfd can only be opened for a thread group leader.
 */
void xs_creds_capture(struct xs_creds *c)
{
	c->cred = get_current_cred();
	c->tgid = get_task_pid(current, PIDTYPE_TGID);
	security_current_getsecid_subj(&c->secid);
}
EXPORT_SYMBOL_IF_KUNIT(xs_creds_capture);

/**
 * xs_creds_release() - drop what xs_creds_capture() took
 * @c:		captured credentials, or a zeroed struct
 *
 * Leaves @c zeroed, so releasing twice is harmless.
 */
void xs_creds_release(struct xs_creds *c)
{
	if (c->cred)
		put_cred(c->cred);
	put_pid(c->tgid);
	c->cred = NULL;
	c->tgid = NULL;
	c->secid = 0;
}
EXPORT_SYMBOL_IF_KUNIT(xs_creds_release);

/*
 * Copy the LSM's name for @secid to @out->label when it fits, and set
 * @out->label_len.  The bytes and length are the LSM's own, as SO_PEERSEC
 * reports them: whether a trailing NUL is counted depends on the LSM.
 */
static int xs_creds_label_to_user(u32 secid, struct xs_peer_creds *out)
{
	char *ctx = NULL;
	u32 len = 0;
	int ret = 0;

	out->label_len = 0;
	/* 0 is no LSM's valid secid: nothing provided one at capture. */
	if (!secid)
		return 0;
	/* An LSM that cannot name the secid leaves the peer unlabelled. */
	if (security_secid_to_secctx(secid, &ctx, &len))
		return 0;

	out->label_len = len;
	if (out->label && len <= out->label_cap &&
	    copy_to_user(u64_to_user_ptr(out->label), ctx, len))
		ret = -EFAULT;
	security_release_secctx(ctx, len);
	return ret;
}

/**
 * xs_creds_to_user() - describe captured credentials to current
 * @c:		captured credentials
 * @out:	the caller's XS_IOC_PEER_CREDS struct: @out->label and
 *		@out->label_cap are read; pid, uid, gid, alive and label_len
 *		are filled in, other fields are left alone
 *
 * Ids are translated into current's namespaces: the pid into its pid
 * namespace (0 when the peer is not visible there), the euid and egid
 * into its user namespace (the overflow ids when unmapped).
 *
 * @out->alive tells whether the peer's thread group pid still has a task:
 * the peer is running, or a zombie not yet reaped.  It is what makes a
 * pidfd for the peer race-free.  This module cannot hand out a pidfd
 * itself (pidfd_prepare() is not exported in 6.12), so userspace calls
 * pidfd_open(pid) and then asks again.  A pid number is only released
 * once no task uses its struct pid any more, and a struct pid never gains
 * a task again after losing its last one.  So if the captured struct pid
 * still has a task after pidfd_open(), the number has belonged to it the
 * whole time, and the pidfd, opened in between, refers to the peer and
 * not to a process that reused the number.  If alive is 0, the pidfd (if
 * any) may be someone else's and must be closed.
 *
 * Process context; may sleep.
 *
 * Return: 0, or -EFAULT when the label cannot be written.
 */
int xs_creds_to_user(const struct xs_creds *c, struct xs_peer_creds *out)
{
	struct user_namespace *ns = current_user_ns();

	out->pid = pid_vnr(c->tgid);
	out->uid = from_kuid_munged(ns, c->cred->euid);
	out->gid = from_kgid_munged(ns, c->cred->egid);
	out->alive = pid_has_task(c->tgid, PIDTYPE_TGID);

	return xs_creds_label_to_user(c->secid, out);
}
EXPORT_SYMBOL_IF_KUNIT(xs_creds_to_user);

/**
 * xs_requirement_from_user() - resolve a listener's requirement
 * @req:	out: the requirement; written only on success
 * @kind:	enum xs_requirement from struct xs_listen
 * @id:		uid or gid in current's user namespace, or 0
 *
 * Called in the context of the process that listens: ids are mapped
 * through its user namespace, and XS_REQ_SAME_UID takes its euid now, not
 * at connect time.
 *
 * Return: 0, or -EINVAL for an unknown @kind, a non-zero @id with a kind
 * that takes none, or an @id that does not map in current's user
 * namespace.
 */
int xs_requirement_from_user(struct xs_requirement_k *req, u32 kind, u32 id)
{
	struct user_namespace *ns = current_user_ns();
	struct xs_requirement_k r = {
		.kind = kind,
		.uid = INVALID_UID,
		.gid = INVALID_GID,
	};

	switch (kind) {
	case XS_REQ_NONE:
		if (id)
			return -EINVAL;
		break;
	case XS_REQ_SAME_UID:
		if (id)
			return -EINVAL;
		r.uid = current_euid();
		break;
	case XS_REQ_UID:
		r.uid = make_kuid(ns, id);
		if (!uid_valid(r.uid))
			return -EINVAL;
		break;
	case XS_REQ_GID:
		r.gid = make_kgid(ns, id);
		if (!gid_valid(r.gid))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}

	*req = r;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xs_requirement_from_user);

/*
 * Whether @gid is among the supplementary groups of @gi.  The kernel's
 * groups_search() is not exported, and in_egroup_p() only looks at
 * current, so this is the same binary search: every group_info installed
 * in a cred has been sorted with groups_sort(), in gid_lt() order.
 */
static bool xs_groups_contain(const struct group_info *gi, kgid_t gid)
{
	unsigned int left = 0, right;

	if (!gi)
		return false;

	right = gi->ngroups;
	while (left < right) {
		unsigned int mid = left + (right - left) / 2;

		if (gid_lt(gi->gid[mid], gid))
			left = mid + 1;
		else if (gid_gt(gi->gid[mid], gid))
			right = mid;
		else
			return true;
	}
	return false;
}

/**
 * xs_requirement_met() - may a client connect under this requirement?
 * @req:	the listener's requirement
 * @client:	the client's credentials
 *
 * The effective ids decide, as they do for file access; the filesystem
 * ids are not consulted, since no file is being opened.
 *
 * Return: true if @client satisfies @req.
 */
bool xs_requirement_met(const struct xs_requirement_k *req,
			const struct cred *client)
{
	switch (req->kind) {
	case XS_REQ_NONE:
		return true;
	case XS_REQ_SAME_UID:
	case XS_REQ_UID:
		return uid_eq(client->euid, req->uid);
	case XS_REQ_GID:
		return gid_eq(client->egid, req->gid) ||
		       xs_groups_contain(client->group_info, req->gid);
	}
	/* Only xs_requirement_from_user() makes these; fail closed anyway. */
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(xs_requirement_met);
