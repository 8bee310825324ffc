// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite xsession_registry: service name validation and the registry
 * of names per IPC namespace and domain.
 *
 * The registry is the module's real, global one, so every name used here
 * starts with "org.kunit." and every entry is unregistered when its test
 * ends, whether it passed or not.
 */
#include <kunit/test.h>
#include <linux/cred.h>
#include <linux/ipc_namespace.h>
#include <linux/mman.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "xs_registry.h"

/* ---- Name validation --------------------------------------------------- */

struct xs_name_case {
	const char *name;
	size_t len;
	int ret;
};

/* sizeof, not strlen: a NUL inside the literal is part of the case. */
#define XS_NAME_OK(s)	{ .name = (s), .len = sizeof(s) - 1, .ret = 0 }
#define XS_NAME_BAD(s)	{ .name = (s), .len = sizeof(s) - 1, .ret = -EINVAL }

static const struct xs_name_case xs_name_cases[] = {
	XS_NAME_OK("a"),
	XS_NAME_OK("Z"),
	XS_NAME_OK("com.example.kv"),
	XS_NAME_OK("org.example.kv-2"),
	XS_NAME_OK("a-b_c.D9"),
	XS_NAME_OK("a1.b2.c3"),
	/* Only the first label must start with a letter. */
	XS_NAME_OK("com.1example"),
	XS_NAME_OK("com.-x"),
	XS_NAME_OK("com._private"),
	XS_NAME_OK("x-"),
	XS_NAME_OK("a.b.c.d.e.f.g"),

	XS_NAME_BAD(""),
	XS_NAME_BAD("."),
	XS_NAME_BAD(".."),
	XS_NAME_BAD(".com.example"),
	XS_NAME_BAD("com.example."),
	XS_NAME_BAD("com..example"),
	XS_NAME_BAD("1com.example"),
	XS_NAME_BAD("-com.example"),
	XS_NAME_BAD("_com.example"),
	XS_NAME_BAD("com/example"),
	XS_NAME_BAD("com.example/kv"),
	XS_NAME_BAD("com example"),
	XS_NAME_BAD("com.example "),
	XS_NAME_BAD("com\0example"),
	XS_NAME_BAD("com.example\0"),
	XS_NAME_BAD("com.\xc3\xa9xample"),	/* UTF-8 e-acute */
	XS_NAME_BAD("\xc3\xa9.example"),	/* a Latin-1 letter to isalpha() */
	XS_NAME_BAD("com.example:kv"),
	XS_NAME_BAD("com.example@kv"),
	XS_NAME_BAD("com.example*"),
	XS_NAME_BAD("com\texample"),
	XS_NAME_BAD("com.example\n"),
	XS_NAME_BAD("\x7f"),
	XS_NAME_BAD("a.\xff"),
};

static void xs_name_case_desc(const struct xs_name_case *c, char *desc)
{
	char *p = desc;
	size_t i;

	p += snprintf(p, KUNIT_PARAM_DESC_SIZE / 2, "%s \"",
		      c->ret ? "bad" : "good");
	/* Escape every byte that would not print as itself. */
	for (i = 0; i < c->len && p - desc < KUNIT_PARAM_DESC_SIZE - 6; i++) {
		unsigned char ch = c->name[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			*p++ = ch;
		else
			p += sprintf(p, "\\x%02x", ch);
	}
	*p++ = '"';
	*p = '\0';
}

KUNIT_ARRAY_PARAM(xs_name, xs_name_cases, xs_name_case_desc);

static void xs_name_table(struct kunit *test)
{
	const struct xs_name_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, xs_name_validate(c->name, c->len), c->ret);
}

/* Lengths: XS_NAME_MAX counts the NUL, so XS_NAME_MAX - 1 bytes is the top. */
static void xs_name_length_limits(struct kunit *test)
{
	char buf[XS_NAME_MAX + 1];

	memset(buf, 'a', sizeof(buf));
	KUNIT_EXPECT_EQ(test, xs_name_validate(buf, XS_NAME_MAX - 1), 0);
	KUNIT_EXPECT_EQ(test, xs_name_validate(buf, XS_NAME_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, xs_name_validate(buf, XS_NAME_MAX + 1), -EINVAL);

	/* Dotted all the way to the limit: "a.a.a. ... a". */
	for (int i = 1; i < XS_NAME_MAX - 1; i += 2)
		buf[i] = '.';
	KUNIT_EXPECT_EQ(test, xs_name_validate(buf, XS_NAME_MAX - 1), 0);
	/* Same bytes, one shorter: now it ends in a dot. */
	KUNIT_EXPECT_EQ(test, xs_name_validate(buf, XS_NAME_MAX - 2), -EINVAL);
}

static void __user *xs_test_user_page(struct kunit *test)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "no user mapping for the test");
	return (void __user *)addr;
}

static u64 xs_put_user_name(struct kunit *test, void __user *dst,
			    const void *src, size_t len)
{
	KUNIT_ASSERT_EQ(test, copy_to_user(dst, src, len), 0);
	return (u64)(uintptr_t)dst;
}

static void xs_name_from_user_cases(struct kunit *test)
{
	void __user *u = xs_test_user_page(test);
	char long_name[XS_NAME_MAX + 1];
	char name[XS_NAME_MAX];
	u64 p;

	p = xs_put_user_name(test, u, "com.example.kv", 15);
	KUNIT_EXPECT_EQ(test, xs_name_from_user(name, p), 0);
	KUNIT_EXPECT_STREQ(test, name, "com.example.kv");

	p = xs_put_user_name(test, u, "", 1);
	KUNIT_EXPECT_EQ(test, xs_name_from_user(name, p), -EINVAL);
	KUNIT_EXPECT_STREQ(test, name, "");

	p = xs_put_user_name(test, u, "com/example", 12);
	KUNIT_EXPECT_EQ(test, xs_name_from_user(name, p), -EINVAL);
	/* A refused name is not left behind for the caller to misuse. */
	KUNIT_EXPECT_STREQ(test, name, "");

	/* XS_NAME_MAX - 1 bytes and the NUL: the longest name. */
	memset(long_name, 'a', sizeof(long_name));
	long_name[XS_NAME_MAX - 1] = '\0';
	p = xs_put_user_name(test, u, long_name, XS_NAME_MAX);
	KUNIT_EXPECT_EQ(test, xs_name_from_user(name, p), 0);
	KUNIT_EXPECT_EQ(test, strlen(name), (size_t)XS_NAME_MAX - 1);

	/* No NUL within XS_NAME_MAX bytes. */
	memset(long_name, 'a', sizeof(long_name));
	long_name[XS_NAME_MAX] = '\0';
	p = xs_put_user_name(test, u, long_name, XS_NAME_MAX + 1);
	KUNIT_EXPECT_EQ(test, xs_name_from_user(name, p), -ENAMETOOLONG);
	KUNIT_EXPECT_STREQ(test, name, "");

	KUNIT_EXPECT_EQ(test, xs_name_from_user(name, 0), -EFAULT);
	/* A kernel address is not a user pointer. */
	KUNIT_EXPECT_EQ(test, xs_name_from_user(name, (u64)(uintptr_t)"a.b"),
			-EFAULT);

	/* Unterminated up to the end of the mapping: a fault, no overread. */
	p = xs_put_user_name(test, u + PAGE_SIZE - 8, "com.exam", 8);
	KUNIT_EXPECT_EQ(test, xs_name_from_user(name, p), -EFAULT);
}

/* ---- The registry ------------------------------------------------------- */

/* A stand-in for the listener that embeds an entry. */
struct xs_test_obj {
	struct xs_reg_entry e;
	int refs;
	bool dying;
};

static struct xs_test_obj *xs_obj(struct xs_reg_entry *e)
{
	return e ? container_of(e, struct xs_test_obj, e) : NULL;
}

/* Runs under the registry's spinlock, like the real kref_get_unless_zero. */
static bool xs_test_tryget(struct xs_reg_entry *e)
{
	struct xs_test_obj *o = xs_obj(e);

	if (o->dying)
		return false;
	o->refs++;
	return true;
}

static void xs_test_del_action(void *e)
{
	xs_registry_del(e);
}

/*
 * Zeroed like a kzalloc()ed listener.  The deferred del runs before the
 * memory is freed: KUnit unwinds in reverse order.
 */
static struct xs_test_obj *xs_test_obj_new(struct kunit *test)
{
	struct xs_test_obj *o;

	o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							xs_test_del_action,
							&o->e), 0);
	return o;
}

static struct ipc_namespace *xs_test_my_ns(void)
{
	return current->nsproxy->ipc_ns;
}

/*
 * A second IPC namespace: a kthread cannot unshare one, so this is a bare
 * struct holding one reference of its own.  The registry only compares
 * the pointer and gets and puts that count, which never reaches zero.
 */
static struct ipc_namespace *xs_test_fake_ns(struct kunit *test)
{
	struct ipc_namespace *ns;

	ns = kunit_kzalloc(test, sizeof(*ns), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ns);
	refcount_set(&ns->ns.count, 1);
	return ns;
}

/*
 * Become @euid for registry calls; the real uid stays 0, so a test that
 * passes also shows the registry goes by the effective uid.  Undo with
 * revert_creds() before the test ends.
 */
static const struct cred *xs_test_become(struct kunit *test, uid_t euid,
					 bool cap_sys_admin)
{
	const struct cred *old;
	struct cred *new;

	new = prepare_creds();
	KUNIT_ASSERT_NOT_NULL(test, new);
	new->euid = KUIDT_INIT(euid);
	new->fsuid = KUIDT_INIT(euid);
	if (!cap_sys_admin)
		cap_lower(new->cap_effective, CAP_SYS_ADMIN);
	old = override_creds(new);
	put_cred(new);		/* override_creds() took its own reference */
	return old;
}

static void xs_registry_add_find_del(struct kunit *test)
{
	const char *name = "org.kunit.basic";
	struct xs_test_obj *o = xs_test_obj_new(test);
	struct ipc_namespace *ns = xs_test_my_ns();

	KUNIT_ASSERT_EQ(test, xs_registry_add(&o->e, name, false), 0);
	KUNIT_EXPECT_STREQ(test, o->e.name, name);
	KUNIT_EXPECT_PTR_EQ(test, o->e.ipc_ns, ns);
	KUNIT_EXPECT_TRUE(test, uid_eq(o->e.domain, current_euid()));

	KUNIT_EXPECT_PTR_EQ(test, xs_registry_find(name, false, xs_test_tryget),
			    &o->e);
	KUNIT_EXPECT_EQ(test, o->refs, 1);

	/* Names match exactly: no prefixes, no case folding. */
	KUNIT_EXPECT_NULL(test, xs_registry_find("org.kunit.basi", false,
						 xs_test_tryget));
	KUNIT_EXPECT_NULL(test, xs_registry_find("org.kunit.basicx", false,
						 xs_test_tryget));
	KUNIT_EXPECT_NULL(test, xs_registry_find("org.kunit.Basic", false,
						 xs_test_tryget));
	KUNIT_EXPECT_NULL(test, xs_registry_find("org/kunit", false,
						 xs_test_tryget));
	KUNIT_EXPECT_EQ(test, o->refs, 1);

	xs_registry_del(&o->e);
	KUNIT_EXPECT_NULL(test, o->e.ipc_ns);
	KUNIT_EXPECT_NULL(test, xs_registry_find(name, false, xs_test_tryget));
	KUNIT_EXPECT_EQ(test, o->refs, 1);
}

static void xs_registry_invalid_names(struct kunit *test)
{
	struct xs_test_obj *o = xs_test_obj_new(test);

	KUNIT_EXPECT_EQ(test, xs_registry_add(&o->e, "org.kunit..bad", false),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, xs_registry_add(&o->e, "", true), -EINVAL);
	KUNIT_EXPECT_TRUE(test, hlist_unhashed(&o->e.node));
	KUNIT_EXPECT_NULL(test, o->e.ipc_ns);
	KUNIT_EXPECT_NULL(test, xs_registry_find("org.kunit..bad", false,
						 xs_test_tryget));
}

/* The listener may read the name straight into its own entry. */
static void xs_registry_name_in_entry(struct kunit *test)
{
	struct xs_test_obj *o = xs_test_obj_new(test);

	strscpy(o->e.name, "org.kunit.inplace", sizeof(o->e.name));
	KUNIT_ASSERT_EQ(test, xs_registry_add(&o->e, o->e.name, false), 0);
	KUNIT_EXPECT_STREQ(test, o->e.name, "org.kunit.inplace");
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_find("org.kunit.inplace", false,
						   xs_test_tryget), &o->e);
}

static void xs_registry_duplicates(struct kunit *test)
{
	const char *name = "org.kunit.dup";
	struct xs_test_obj *a = xs_test_obj_new(test);
	struct xs_test_obj *b = xs_test_obj_new(test);
	struct xs_test_obj *s1 = xs_test_obj_new(test);
	struct xs_test_obj *s2 = xs_test_obj_new(test);

	KUNIT_ASSERT_EQ(test, xs_registry_add(&a->e, name, false), 0);
	KUNIT_EXPECT_EQ(test, xs_registry_add(&b->e, name, false), -EADDRINUSE);
	/* The loser is left untouched and unregistered. */
	KUNIT_EXPECT_TRUE(test, hlist_unhashed(&b->e.node));
	KUNIT_EXPECT_NULL(test, b->e.ipc_ns);
	/* And unregistering it must not disturb the winner. */
	xs_registry_del(&b->e);
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_find(name, false, xs_test_tryget),
			    &a->e);

	KUNIT_ASSERT_EQ(test, xs_registry_add(&s1->e, name, true), 0);
	KUNIT_EXPECT_EQ(test, xs_registry_add(&s2->e, name, true), -EADDRINUSE);
}

static void xs_registry_domains(struct kunit *test)
{
	const char *name = "org.kunit.domains";
	struct xs_test_obj *u1 = xs_test_obj_new(test);
	struct xs_test_obj *u2 = xs_test_obj_new(test);
	struct xs_reg_entry *found;
	const struct cred *old;

	old = xs_test_become(test, 1000, false);
	KUNIT_EXPECT_EQ(test, xs_registry_add(&u1->e, name, false), 0);
	KUNIT_EXPECT_TRUE(test, uid_eq(u1->e.domain, KUIDT_INIT(1000)));
	revert_creds(old);

	/* The same name in another user's domain is not a duplicate. */
	old = xs_test_become(test, 2000, false);
	KUNIT_EXPECT_EQ(test, xs_registry_add(&u2->e, name, false), 0);
	revert_creds(old);

	old = xs_test_become(test, 1000, false);
	found = xs_registry_find(name, false, xs_test_tryget);
	revert_creds(old);
	KUNIT_EXPECT_PTR_EQ(test, found, &u1->e);

	old = xs_test_become(test, 2000, false);
	found = xs_registry_find(name, false, xs_test_tryget);
	revert_creds(old);
	KUNIT_EXPECT_PTR_EQ(test, found, &u2->e);

	/* A third user sees neither, and neither does root. */
	old = xs_test_become(test, 3000, false);
	found = xs_registry_find(name, false, xs_test_tryget);
	revert_creds(old);
	KUNIT_EXPECT_NULL(test, found);
	KUNIT_EXPECT_NULL(test, xs_registry_find(name, false, xs_test_tryget));

	KUNIT_EXPECT_EQ(test, u1->refs, 1);
	KUNIT_EXPECT_EQ(test, u2->refs, 1);
}

static void xs_registry_system_domain(struct kunit *test)
{
	const char *name = "org.kunit.system";
	struct xs_test_obj *sys = xs_test_obj_new(test);
	struct xs_test_obj *usr = xs_test_obj_new(test);
	struct xs_reg_entry *found;
	const struct cred *old;

	/* Registering in the system domain needs CAP_SYS_ADMIN... */
	old = xs_test_become(test, 0, false);
	KUNIT_EXPECT_EQ(test, xs_registry_add(&sys->e, name, true), -EPERM);
	revert_creds(old);
	KUNIT_EXPECT_TRUE(test, hlist_unhashed(&sys->e.node));

	/* ...and no particular uid. */
	old = xs_test_become(test, 4242, true);
	KUNIT_EXPECT_EQ(test, xs_registry_add(&sys->e, name, true), 0);
	revert_creds(old);
	KUNIT_EXPECT_FALSE(test, uid_valid(sys->e.domain));

	/* Any user falls back to the system domain. */
	old = xs_test_become(test, 1000, false);
	found = xs_registry_find(name, false, xs_test_tryget);
	revert_creds(old);
	KUNIT_EXPECT_PTR_EQ(test, found, &sys->e);

	/* A user's own instance comes first, for that user only. */
	old = xs_test_become(test, 1000, false);
	KUNIT_EXPECT_EQ(test, xs_registry_add(&usr->e, name, false), 0);
	found = xs_registry_find(name, false, xs_test_tryget);
	KUNIT_EXPECT_PTR_EQ(test, found, &usr->e);
	/* A privileged connect never sees it. */
	found = xs_registry_find(name, true, xs_test_tryget);
	KUNIT_EXPECT_PTR_EQ(test, found, &sys->e);
	revert_creds(old);

	old = xs_test_become(test, 2000, false);
	found = xs_registry_find(name, false, xs_test_tryget);
	revert_creds(old);
	KUNIT_EXPECT_PTR_EQ(test, found, &sys->e);

	KUNIT_EXPECT_EQ(test, sys->refs, 3);
	KUNIT_EXPECT_EQ(test, usr->refs, 1);

	/* Gone from the system domain: the user instance is all that's left. */
	xs_registry_del(&sys->e);
	old = xs_test_become(test, 1000, false);
	KUNIT_EXPECT_NULL(test, xs_registry_find(name, true, xs_test_tryget));
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_find(name, false, xs_test_tryget),
			    &usr->e);
	revert_creds(old);
}

/* Even the owner of a user-domain name cannot reach it privileged. */
static void xs_registry_privileged_ignores_users(struct kunit *test)
{
	const char *name = "org.kunit.privileged";
	struct xs_test_obj *o = xs_test_obj_new(test);

	KUNIT_ASSERT_EQ(test, xs_registry_add(&o->e, name, false), 0);
	KUNIT_EXPECT_NULL(test, xs_registry_find(name, true, xs_test_tryget));
	KUNIT_EXPECT_EQ(test, o->refs, 0);
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_find(name, false, xs_test_tryget),
			    &o->e);
}

static void xs_registry_tryget_fails(struct kunit *test)
{
	const char *name = "org.kunit.dying";
	struct xs_test_obj *usr = xs_test_obj_new(test);
	struct xs_test_obj *sys = xs_test_obj_new(test);

	KUNIT_ASSERT_EQ(test, xs_registry_add(&usr->e, name, false), 0);
	usr->dying = true;
	KUNIT_EXPECT_NULL(test, xs_registry_find(name, false, xs_test_tryget));

	/* A dying user instance does not hide the system one. */
	KUNIT_ASSERT_EQ(test, xs_registry_add(&sys->e, name, true), 0);
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_find(name, false, xs_test_tryget),
			    &sys->e);

	sys->dying = true;
	KUNIT_EXPECT_NULL(test, xs_registry_find(name, false, xs_test_tryget));
	KUNIT_EXPECT_NULL(test, xs_registry_find(name, true, xs_test_tryget));

	KUNIT_EXPECT_EQ(test, usr->refs, 0);
	KUNIT_EXPECT_EQ(test, sys->refs, 1);
}

static void xs_registry_del_idempotent(struct kunit *test)
{
	const char *name = "org.kunit.readd";
	struct xs_test_obj *o = xs_test_obj_new(test);
	struct xs_test_obj *p = xs_test_obj_new(test);
	struct ipc_namespace *ns = xs_test_fake_ns(test);

	/* Never registered. */
	xs_registry_del(&o->e);
	KUNIT_EXPECT_TRUE(test, hlist_unhashed(&o->e.node));

	KUNIT_ASSERT_EQ(test, xs_registry_add(&o->e, name, false), 0);
	xs_registry_del(&o->e);
	xs_registry_del(&o->e);
	KUNIT_EXPECT_NULL(test, xs_registry_find(name, false, xs_test_tryget));

	/* The same entry again, then another entry once it is gone. */
	KUNIT_ASSERT_EQ(test, xs_registry_add(&o->e, name, false), 0);
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_find(name, false, xs_test_tryget),
			    &o->e);
	KUNIT_EXPECT_EQ(test, xs_registry_add(&p->e, name, false), -EADDRINUSE);
	xs_registry_del(&o->e);
	KUNIT_ASSERT_EQ(test, xs_registry_add(&p->e, name, false), 0);
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_find(name, false, xs_test_tryget),
			    &p->e);
	xs_registry_del(&p->e);

	/* The namespace is pinned while registered, and only then. */
	KUNIT_ASSERT_EQ(test, xs_registry_insert(&o->e, ns, KUIDT_INIT(7),
						 name), 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&ns->ns.count), 2);
	xs_registry_del(&o->e);
	KUNIT_EXPECT_EQ(test, refcount_read(&ns->ns.count), 1);
	xs_registry_del(&o->e);
	KUNIT_EXPECT_EQ(test, refcount_read(&ns->ns.count), 1);
}

static void xs_registry_ipc_ns_scope(struct kunit *test)
{
	const char *name = "org.kunit.ipcns";
	struct ipc_namespace *mine = xs_test_my_ns();
	struct ipc_namespace *other = xs_test_fake_ns(test);
	struct xs_test_obj *o_usr = xs_test_obj_new(test);
	struct xs_test_obj *o_sys = xs_test_obj_new(test);
	struct xs_test_obj *m_usr = xs_test_obj_new(test);
	kuid_t uid = KUIDT_INIT(1000);

	KUNIT_ASSERT_EQ(test, xs_registry_insert(&o_usr->e, other, uid, name),
			0);
	KUNIT_ASSERT_EQ(test, xs_registry_insert(&o_sys->e, other, INVALID_UID,
						 name), 0);
	KUNIT_EXPECT_PTR_EQ(test, o_usr->e.ipc_ns, other);

	/* Same name, same uid, other namespace: neither domain is visible. */
	KUNIT_EXPECT_NULL(test, xs_registry_lookup(mine, uid, name, false,
						   xs_test_tryget));
	KUNIT_EXPECT_NULL(test, xs_registry_lookup(mine, uid, name, true,
						   xs_test_tryget));

	/* Nor taken: the same key is free in this namespace. */
	KUNIT_EXPECT_EQ(test, xs_registry_insert(&m_usr->e, mine, uid, name),
			0);
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_lookup(mine, uid, name, false,
						     xs_test_tryget),
			    &m_usr->e);
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_lookup(other, uid, name, false,
						     xs_test_tryget),
			    &o_usr->e);
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_lookup(other, uid, name, true,
						     xs_test_tryget),
			    &o_sys->e);
	KUNIT_EXPECT_EQ(test, refcount_read(&other->ns.count), 3);

	xs_registry_del(&o_usr->e);
	xs_registry_del(&o_sys->e);
	KUNIT_EXPECT_EQ(test, refcount_read(&other->ns.count), 1);
	KUNIT_EXPECT_NULL(test, xs_registry_lookup(other, uid, name, false,
						   xs_test_tryget));
}

/*
 * A name whose keys (@ns1, @uid1) and (@ns2, @uid2) share a hash chain: on
 * average one in 1024 does, so a few thousand tries find one.
 */
static void xs_test_colliding_name(struct kunit *test, char *name,
				   const struct ipc_namespace *ns1, kuid_t uid1,
				   const struct ipc_namespace *ns2, kuid_t uid2)
{
	int i;

	for (i = 0; i < 1000000; i++) {
		snprintf(name, XS_NAME_MAX, "org.kunit.collide.n%d", i);
		if (xs_registry_bucket(ns1, uid1, name) ==
		    xs_registry_bucket(ns2, uid2, name))
			return;
	}
	KUNIT_FAIL_AND_ABORT(test, "no colliding name found");
}

/*
 * Keys that share a chain are still told apart: hashing alone must not be
 * what separates namespaces and domains.
 */
static void xs_registry_same_chain(struct kunit *test)
{
	struct ipc_namespace *mine = xs_test_my_ns();
	struct ipc_namespace *other = xs_test_fake_ns(test);
	struct xs_test_obj *a = xs_test_obj_new(test);
	struct xs_test_obj *b = xs_test_obj_new(test);
	kuid_t u1 = KUIDT_INIT(1000), u2 = KUIDT_INIT(2000);
	char name[XS_NAME_MAX];

	/* Two namespaces, same uid. */
	xs_test_colliding_name(test, name, mine, u1, other, u1);
	KUNIT_ASSERT_EQ(test, xs_registry_insert(&a->e, other, u1, name), 0);
	KUNIT_EXPECT_NULL(test, xs_registry_lookup(mine, u1, name, false,
						   xs_test_tryget));
	KUNIT_EXPECT_EQ(test, xs_registry_insert(&b->e, mine, u1, name), 0);
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_lookup(mine, u1, name, false,
						     xs_test_tryget), &b->e);
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_lookup(other, u1, name, false,
						     xs_test_tryget), &a->e);
	xs_registry_del(&a->e);
	xs_registry_del(&b->e);

	/* Two user domains. */
	xs_test_colliding_name(test, name, mine, u1, mine, u2);
	KUNIT_ASSERT_EQ(test, xs_registry_insert(&a->e, mine, u1, name), 0);
	KUNIT_EXPECT_NULL(test, xs_registry_lookup(mine, u2, name, false,
						   xs_test_tryget));
	KUNIT_EXPECT_EQ(test, xs_registry_insert(&b->e, mine, u2, name), 0);
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_lookup(mine, u2, name, false,
						     xs_test_tryget), &b->e);
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_lookup(mine, u1, name, false,
						     xs_test_tryget), &a->e);
	xs_registry_del(&a->e);
	xs_registry_del(&b->e);

	/* A user domain and the system domain. */
	xs_test_colliding_name(test, name, mine, u1, mine, INVALID_UID);
	KUNIT_ASSERT_EQ(test, xs_registry_insert(&a->e, mine, u1, name), 0);
	KUNIT_EXPECT_NULL(test, xs_registry_lookup(mine, u1, name, true,
						   xs_test_tryget));
	KUNIT_EXPECT_EQ(test, xs_registry_insert(&b->e, mine, INVALID_UID,
						 name), 0);
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_lookup(mine, u1, name, true,
						     xs_test_tryget), &b->e);
	KUNIT_EXPECT_PTR_EQ(test, xs_registry_lookup(mine, u1, name, false,
						     xs_test_tryget), &a->e);
}

struct xs_test_walk {
	int seen;
	int seen_sys;
};

static void xs_test_count(struct xs_reg_entry *e, void *arg)
{
	struct xs_test_walk *w = arg;

	if (strncmp(e->name, "org.kunit.walk.", 15))
		return;
	w->seen++;
	if (!uid_valid(e->domain))
		w->seen_sys++;
}

static void xs_registry_walk(struct kunit *test)
{
	static const char * const names[] = {
		"org.kunit.walk.a", "org.kunit.walk.b", "org.kunit.walk.c",
	};
	struct xs_test_walk w = {};
	struct xs_test_obj *o;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		o = xs_test_obj_new(test);
		KUNIT_ASSERT_EQ(test, xs_registry_add(&o->e, names[i], i == 0),
				0);
	}
	xs_registry_for_each(xs_test_count, &w);
	KUNIT_EXPECT_EQ(test, w.seen, 3);
	KUNIT_EXPECT_EQ(test, w.seen_sys, 1);

	xs_registry_del(&o->e);
	w = (struct xs_test_walk){};
	xs_registry_for_each(xs_test_count, &w);
	KUNIT_EXPECT_EQ(test, w.seen, 2);
}

/* Enough names that chains are shared: each is still found exactly. */
static void xs_registry_many(struct kunit *test)
{
	const int n = 1000;
	struct xs_test_obj *objs;
	char name[XS_NAME_MAX];
	int i, ret;

	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n; i++) {
		ret = kunit_add_action_or_reset(test, xs_test_del_action,
						&objs[i].e);
		KUNIT_ASSERT_EQ(test, ret, 0);
		snprintf(name, sizeof(name), "org.kunit.many.n%d", i);
		KUNIT_ASSERT_EQ(test, xs_registry_add(&objs[i].e, name,
						      i % 2), 0);
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "org.kunit.many.n%d", i);
		KUNIT_EXPECT_PTR_EQ(test, xs_registry_find(name, i % 2,
							   xs_test_tryget),
				    &objs[i].e);
	}
	for (i = 0; i < n; i += 2)
		xs_registry_del(&objs[i].e);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "org.kunit.many.n%d", i);
		KUNIT_EXPECT_PTR_EQ(test, xs_registry_find(name, false,
							   xs_test_tryget),
				    i % 2 ? &objs[i].e : NULL);
	}
}

static struct kunit_case xs_registry_cases[] = {
	KUNIT_CASE_PARAM(xs_name_table, xs_name_gen_params),
	KUNIT_CASE(xs_name_length_limits),
	KUNIT_CASE(xs_name_from_user_cases),
	KUNIT_CASE(xs_registry_add_find_del),
	KUNIT_CASE(xs_registry_invalid_names),
	KUNIT_CASE(xs_registry_name_in_entry),
	KUNIT_CASE(xs_registry_duplicates),
	KUNIT_CASE(xs_registry_domains),
	KUNIT_CASE(xs_registry_system_domain),
	KUNIT_CASE(xs_registry_privileged_ignores_users),
	KUNIT_CASE(xs_registry_tryget_fails),
	KUNIT_CASE(xs_registry_del_idempotent),
	KUNIT_CASE(xs_registry_ipc_ns_scope),
	KUNIT_CASE(xs_registry_same_chain),
	KUNIT_CASE(xs_registry_walk),
	KUNIT_CASE(xs_registry_many),
	{}
};

static struct kunit_suite xs_registry_suite = {
	.name = "xsession_registry",
	.test_cases = xs_registry_cases,
};

kunit_test_suite(xs_registry_suite);
