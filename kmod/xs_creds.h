/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Credentials of a session's peers, and the requirements a listener sets
 * on who may connect.
 */
#ifndef _XS_CREDS_H
#define _XS_CREDS_H

#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xsession.h>

struct cred;
struct pid;

/**
 * struct xs_creds - who a process was when it connected or accepted
 * @cred:	its subjective credentials (reference held).
 * @tgid:	its thread group's pid (reference held); identifies the
 *		process, not the thread that made the call.
 * @secid:	its LSM secid, 0 without an LSM that provides one.
 *
 * Immutable between xs_creds_capture() and xs_creds_release(), so readers
 * need no lock.
 */
struct xs_creds {
	const struct cred *cred;
	struct pid *tgid;
	u32 secid;
};

void xs_creds_capture(struct xs_creds *c);
void xs_creds_release(struct xs_creds *c);
int xs_creds_to_user(const struct xs_creds *c, struct xs_peer_creds *out);

/**
 * struct xs_requirement_k - a listener's requirement, in kernel ids
 * @kind:	enum xs_requirement.
 * @uid:	XS_REQ_SAME_UID, XS_REQ_UID: the euid a client must have.
 * @gid:	XS_REQ_GID: the group a client must be in.
 *
 * Resolved once, in the user namespace of the process that listens, so a
 * client in another user namespace is judged by who it really is.
 */
struct xs_requirement_k {
	u32 kind;
	kuid_t uid;
	kgid_t gid;
};

int xs_requirement_from_user(struct xs_requirement_k *req, u32 kind, u32 id);
bool xs_requirement_met(const struct xs_requirement_k *req,
			const struct cred *client);

#endif /* _XS_CREDS_H */
