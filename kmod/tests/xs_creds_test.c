// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite xsession_creds: capturing a peer's credentials, describing
 * them to a reader, and listener requirements judged against crafted
 * credentials.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mman.h>
#include <linux/pid.h>
#include <linux/sched.h>

#include "xs_creds.h"

static void xs_test_release_creds(void *c)
{
	xs_creds_release(c);
}

static struct xs_creds *xs_test_creds_new(struct kunit *test)
{
	struct xs_creds *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							xs_test_release_creds,
							c), 0);
	return c;
}

/* The out struct as the ioctl would pass it: label fields set, rest junk. */
static void xs_test_peer_init(struct xs_peer_creds *out, u64 label, u32 cap)
{
	memset(out, 0x5a, sizeof(*out));
	out->label = label;
	out->label_cap = cap;
}

/* The KUnit kthread itself: root, running, visible to itself. */
static void xs_creds_capture_self(struct kunit *test)
{
	struct xs_creds *c = xs_test_creds_new(test);
	struct xs_peer_creds out;

	xs_creds_capture(c);
	KUNIT_ASSERT_NOT_NULL(test, c->cred);
	KUNIT_ASSERT_NOT_NULL(test, c->tgid);
	KUNIT_EXPECT_PTR_EQ(test, c->tgid, task_tgid(current));

	xs_test_peer_init(&out, 0, 0);
	KUNIT_EXPECT_EQ(test, xs_creds_to_user(c, &out), 0);
	KUNIT_EXPECT_EQ(test, out.pid, task_tgid_vnr(current));
	KUNIT_EXPECT_GT(test, out.pid, 0);
	KUNIT_EXPECT_EQ(test, out.uid, 0U);
	KUNIT_EXPECT_EQ(test, out.gid, 0U);
	KUNIT_EXPECT_EQ(test, out.alive, 1U);
	if (!c->secid)
		KUNIT_EXPECT_EQ(test, out.label_len, 0U);
	/* Fields it does not own are left as they were. */
	KUNIT_EXPECT_EQ(test, out.size, 0x5a5a5a5aU);
	KUNIT_EXPECT_EQ(test, out.reserved[0], 0x5a5a5a5a5a5a5a5aULL);

	xs_creds_release(c);
	KUNIT_EXPECT_NULL(test, c->cred);
	KUNIT_EXPECT_NULL(test, c->tgid);
	/* Twice, and on a struct that never captured anything. */
	xs_creds_release(c);
}

/* Capture takes the effective ids in force at the time, not later ones. */
static void xs_creds_capture_euid(struct kunit *test)
{
	struct xs_creds *c = xs_test_creds_new(test);
	struct xs_peer_creds out;
	const struct cred *old;
	struct cred *new;

	new = prepare_creds();
	KUNIT_ASSERT_NOT_NULL(test, new);
	new->euid = KUIDT_INIT(1000);
	new->egid = KGIDT_INIT(2000);
	new->uid = KUIDT_INIT(3000);
	new->gid = KGIDT_INIT(4000);
	old = override_creds(new);
	put_cred(new);
	xs_creds_capture(c);
	revert_creds(old);

	xs_test_peer_init(&out, 0, 0);
	KUNIT_EXPECT_EQ(test, xs_creds_to_user(c, &out), 0);
	KUNIT_EXPECT_EQ(test, out.uid, 1000U);
	KUNIT_EXPECT_EQ(test, out.gid, 2000U);
	KUNIT_EXPECT_EQ(test, out.alive, 1U);
}

/*
 * Without an LSM that provides secids, nothing is copied, whatever the
 * label buffer: the debug kernel has none, so only that is checked here.
 */
static void xs_creds_no_label(struct kunit *test)
{
	struct xs_creds *c = xs_test_creds_new(test);
	struct xs_peer_creds out;

	xs_creds_capture(c);
	if (c->secid)
		kunit_skip(test, "an LSM provides secids here");

	/* A bogus label pointer is never touched. */
	xs_test_peer_init(&out, 16, 4096);
	KUNIT_EXPECT_EQ(test, xs_creds_to_user(c, &out), 0);
	KUNIT_EXPECT_EQ(test, out.label_len, 0U);

	/* A secid no LSM can name reads as no label, not as an error. */
	c->secid = 1;
	xs_test_peer_init(&out, 16, 4096);
	KUNIT_EXPECT_EQ(test, xs_creds_to_user(c, &out), 0);
	KUNIT_EXPECT_EQ(test, out.label_len, 0U);
	c->secid = 0;
}

struct xs_test_peer {
	struct xs_creds creds;
	struct completion captured;
};

static int xs_test_peer_fn(void *arg)
{
	struct xs_test_peer *p = arg;

	xs_creds_capture(&p->creds);
	complete(&p->captured);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ);
	return 0;
}

/* alive follows the peer process: 1 while it runs, 0 once it is reaped. */
static void xs_creds_alive_until_reaped(struct kunit *test)
{
	struct xs_test_peer *p;
	struct xs_peer_creds out;
	struct task_struct *t;
	unsigned long deadline;

	p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							xs_test_release_creds,
							&p->creds), 0);
	init_completion(&p->captured);

	t = kthread_run(xs_test_peer_fn, p, "xs_creds_peer");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&p->captured);

	xs_test_peer_init(&out, 0, 0);
	KUNIT_EXPECT_EQ(test, xs_creds_to_user(&p->creds, &out), 0);
	KUNIT_EXPECT_EQ(test, out.alive, 1U);
	KUNIT_EXPECT_EQ(test, out.pid, task_tgid_vnr(t));
	KUNIT_EXPECT_NE(test, out.pid, task_tgid_vnr(current));

	kthread_stop(t);

	/*
	 * kthread_stop() returns before the thread is reaped: kthreads are
	 * reaped by themselves, right after, so wait a little for it.
	 */
	deadline = jiffies + 10 * HZ;
	do {
		xs_test_peer_init(&out, 0, 0);
		KUNIT_ASSERT_EQ(test, xs_creds_to_user(&p->creds, &out), 0);
		if (!out.alive)
			break;
		msleep(20);
	} while (time_before(jiffies, deadline));
	KUNIT_EXPECT_EQ(test, out.alive, 0U);
}

/* ---- Requirements ------------------------------------------------------- */

struct xs_req_case {
	const char *desc;
	u32 kind;
	u32 id;
	int ret;
};

static const struct xs_req_case xs_req_cases[] = {
	{ "none",		XS_REQ_NONE,		0,		0 },
	{ "none with id",	XS_REQ_NONE,		5,		-EINVAL },
	{ "same uid",		XS_REQ_SAME_UID,	0,		0 },
	{ "same uid with id",	XS_REQ_SAME_UID,	1000,		-EINVAL },
	{ "uid",		XS_REQ_UID,		1000,		0 },
	{ "uid 0",		XS_REQ_UID,		0,		0 },
	{ "uid unmapped",	XS_REQ_UID,		(u32)-1,	-EINVAL },
	{ "gid",		XS_REQ_GID,		100,		0 },
	{ "gid unmapped",	XS_REQ_GID,		(u32)-1,	-EINVAL },
	{ "kind after gid",	XS_REQ_GID + 1,		0,		-EINVAL },
	{ "kind huge",		0xffffffffU,		0,		-EINVAL },
};

static void xs_req_case_desc(const struct xs_req_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(xs_req, xs_req_cases, xs_req_case_desc);

static void xs_requirement_from_user_table(struct kunit *test)
{
	const struct xs_req_case *c = test->param_value;
	struct xs_requirement_k req, before;
	const struct cred *old;
	struct cred *new;
	int ret;

	memset(&req, 0x77, sizeof(req));
	before = req;

	/* A listener whose euid differs from its real uid. */
	new = prepare_creds();
	KUNIT_ASSERT_NOT_NULL(test, new);
	new->euid = KUIDT_INIT(1234);
	old = override_creds(new);
	put_cred(new);
	ret = xs_requirement_from_user(&req, c->kind, c->id);
	revert_creds(old);

	KUNIT_EXPECT_EQ(test, ret, c->ret);
	if (ret) {
		KUNIT_EXPECT_EQ(test, memcmp(&req, &before, sizeof(req)), 0);
		return;
	}
	KUNIT_EXPECT_EQ(test, req.kind, c->kind);
	switch (c->kind) {
	case XS_REQ_SAME_UID:
		KUNIT_EXPECT_EQ(test, __kuid_val(req.uid), 1234U);
		break;
	case XS_REQ_UID:
		KUNIT_EXPECT_EQ(test, __kuid_val(req.uid), c->id);
		break;
	case XS_REQ_GID:
		KUNIT_EXPECT_EQ(test, __kgid_val(req.gid), c->id);
		break;
	}
}

static void xs_test_put_cred(void *c)
{
	put_cred(c);
}

/*
 * A client's credentials: real and filesystem ids are set apart from the
 * effective ones, to show they are never what a requirement looks at.
 */
static const struct cred *xs_test_client(struct kunit *test, uid_t euid,
					 gid_t egid, const gid_t *groups,
					 int ngroups)
{
	struct group_info *gi;
	struct cred *c;
	int i;

	c = prepare_creds();
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, xs_test_put_cred,
							c), 0);
	c->euid = KUIDT_INIT(euid);
	c->egid = KGIDT_INIT(egid);
	c->uid = KUIDT_INIT(euid + 1);
	c->suid = c->uid;
	c->fsuid = c->uid;
	c->gid = KGIDT_INIT(egid + 1);
	c->sgid = c->gid;
	c->fsgid = c->gid;

	gi = groups_alloc(ngroups);
	KUNIT_ASSERT_NOT_NULL(test, gi);
	for (i = 0; i < ngroups; i++)
		gi->gid[i] = KGIDT_INIT(groups[i]);
	/* As setgroups() does: the kernel keeps every list sorted. */
	groups_sort(gi);
	set_groups(c, gi);
	put_group_info(gi);
	return c;
}

/* Does a client with these ids meet @req? */
static bool xs_test_met(struct kunit *test, const struct xs_requirement_k *req,
			uid_t euid, gid_t egid, const gid_t *groups,
			int ngroups)
{
	return xs_requirement_met(req, xs_test_client(test, euid, egid, groups,
						      ngroups));
}

static struct xs_requirement_k xs_test_req(struct kunit *test, u32 kind,
					   u32 id)
{
	struct xs_requirement_k req;

	KUNIT_EXPECT_EQ(test, xs_requirement_from_user(&req, kind, id), 0);
	return req;
}

static void xs_requirement_none(struct kunit *test)
{
	struct xs_requirement_k req = xs_test_req(test, XS_REQ_NONE, 0);

	KUNIT_EXPECT_TRUE(test, xs_test_met(test, &req, 0, 0, NULL, 0));
	KUNIT_EXPECT_TRUE(test, xs_test_met(test, &req, 65534, 65534, NULL, 0));
}

static void xs_requirement_uid(struct kunit *test)
{
	struct xs_requirement_k same, uid;
	const struct cred *old;
	struct cred *new;

	/* SAME_UID resolved by a listener running as euid 1000. */
	new = prepare_creds();
	KUNIT_ASSERT_NOT_NULL(test, new);
	new->euid = KUIDT_INIT(1000);
	old = override_creds(new);
	put_cred(new);
	same = xs_test_req(test, XS_REQ_SAME_UID, 0);
	revert_creds(old);
	uid = xs_test_req(test, XS_REQ_UID, 1000);

	KUNIT_EXPECT_TRUE(test, xs_test_met(test, &same, 1000, 1, NULL, 0));
	KUNIT_EXPECT_TRUE(test, xs_test_met(test, &uid, 1000, 1, NULL, 0));

	/* Real uid 1000 (see xs_test_client), effective 999: refused. */
	KUNIT_EXPECT_FALSE(test, xs_test_met(test, &same, 999, 1, NULL, 0));
	KUNIT_EXPECT_FALSE(test, xs_test_met(test, &uid, 999, 1, NULL, 0));

	/* Root is not special: a requirement is not a permission check. */
	KUNIT_EXPECT_FALSE(test, xs_test_met(test, &same, 0, 0, NULL, 0));
	KUNIT_EXPECT_FALSE(test, xs_test_met(test, &uid, 0, 0, NULL, 0));

	/* A gid equal to the uid number is not a match either. */
	KUNIT_EXPECT_FALSE(test, xs_test_met(test, &uid, 5, 1000, NULL, 0));
}

static void xs_requirement_gid(struct kunit *test)
{
	static const gid_t with[] = { 4000000000U, 1, 100, 50 };
	static const gid_t without[] = { 1, 50, 101, 4000000000U };
	const int nwith = ARRAY_SIZE(with), nwithout = ARRAY_SIZE(without);
	struct xs_requirement_k req = xs_test_req(test, XS_REQ_GID, 100);
	struct xs_requirement_k high = xs_test_req(test, XS_REQ_GID,
						   4000000000U);

	/* The egid... */
	KUNIT_EXPECT_TRUE(test, xs_test_met(test, &req, 7, 100, NULL, 0));
	/* ...or any supplementary group, wherever it sorts. */
	KUNIT_EXPECT_TRUE(test, xs_test_met(test, &req, 7, 8, with, nwith));
	KUNIT_EXPECT_TRUE(test, xs_test_met(test, &high, 7, 8, with, nwith));
	KUNIT_EXPECT_FALSE(test, xs_test_met(test, &req, 7, 8, without,
					     nwithout));
	KUNIT_EXPECT_FALSE(test, xs_test_met(test, &req, 7, 8, NULL, 0));
	/* Real and filesystem gid 100 (egid 99): refused. */
	KUNIT_EXPECT_FALSE(test, xs_test_met(test, &req, 7, 99, NULL, 0));
	/* A uid equal to the gid number is not a match. */
	KUNIT_EXPECT_FALSE(test, xs_test_met(test, &req, 100, 8, NULL, 0));
}

/* Every member of a long list is found, and nothing between them. */
static void xs_requirement_gid_search(struct kunit *test)
{
	const int n = 65;
	const struct cred *client;
	struct xs_requirement_k req;
	gid_t *groups;
	u32 g;
	int i;

	groups = kunit_kmalloc_array(test, n, sizeof(*groups), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, groups);
	/* Odd gids 11..139, listed backwards so the sort has work to do. */
	for (i = 0; i < n; i++)
		groups[i] = 139 - 2 * i;
	client = xs_test_client(test, 1, 2, groups, n);

	for (g = 8; g <= 142; g++) {
		req = xs_test_req(test, XS_REQ_GID, g);
		KUNIT_EXPECT_EQ_MSG(test, xs_requirement_met(&req, client),
				    g >= 11 && g <= 139 && (g & 1),
				    "gid %u", g);
	}
}

/* Only xs_requirement_from_user() makes requirements; junk fails closed. */
static void xs_requirement_unknown_kind(struct kunit *test)
{
	struct xs_requirement_k req = {
		.kind = 77,
		.uid = KUIDT_INIT(0),
		.gid = KGIDT_INIT(0),
	};

	KUNIT_EXPECT_FALSE(test, xs_test_met(test, &req, 0, 0, NULL, 0));
}

static struct kunit_case xs_creds_cases[] = {
	KUNIT_CASE(xs_creds_capture_self),
	KUNIT_CASE(xs_creds_capture_euid),
	KUNIT_CASE(xs_creds_no_label),
	KUNIT_CASE(xs_creds_alive_until_reaped),
	KUNIT_CASE_PARAM(xs_requirement_from_user_table, xs_req_gen_params),
	KUNIT_CASE(xs_requirement_none),
	KUNIT_CASE(xs_requirement_uid),
	KUNIT_CASE(xs_requirement_gid),
	KUNIT_CASE(xs_requirement_gid_search),
	KUNIT_CASE(xs_requirement_unknown_kind),
	{}
};

static struct kunit_suite xs_creds_suite = {
	.name = "xsession_creds",
	.test_cases = xs_creds_cases,
};

kunit_test_suite(xs_creds_suite);
