// SPDX-License-Identifier: GPL-2.0
/*
 * Service names and the registry of listeners.
 *
 * A name is registered under a key of three parts: the IPC namespace of the
 * registering process (so containers are isolated from each other and from
 * the host), a domain (the registrant's euid, or the system domain), and
 * the name itself.  One user can therefore never take a name away from
 * another user or from the system: each only ever writes into its own
 * domain, and registering in the system domain needs CAP_SYS_ADMIN over the
 * IPC namespace.  See shared/spec/design.md, "Names and domains".
 *
 * Locking: one spinlock, xs_registry_lock, guards the table and every
 * registered entry's fields.  Every connect takes it for a lookup, but
 * only to walk one or two short hash chains and take a reference, so it is
 * never held for long; a mutex would add sleeping and wakeups to the
 * connect path for nothing, since nothing under the lock may sleep.  If
 * connects ever contend on it, lookups can move to RCU without changing
 * this file's interface (the callers' tryget already copes with dying
 * objects).  The lock is innermost: nothing else is taken under it except
 * what the callers' tryget and for_each callbacks take, and it is only
 * ever taken from process context.
 */
#include <kunit/visibility.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/export.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "xs_registry.h"

/*
 * 1024 chains (8 KiB): every user and namespace shares the table, and the
 * cost of a connect is the length of the chain it walks.
 */
#define XS_REGISTRY_BITS	10

static DEFINE_HASHTABLE(xs_registry, XS_REGISTRY_BITS);
static DEFINE_SPINLOCK(xs_registry_lock);

/*
 * Names are chosen by unprivileged users and every user shares the
 * table, so the hash is keyed with a secret: nobody can pick names that
 * all land in one chain and slow down everybody else's connects.
 */
static siphash_key_t xs_registry_key __read_mostly;

/* ASCII only: the kernel's isalpha() also accepts Latin-1 letters. */
static bool xs_name_is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool xs_name_is_label_char(char c)
{
	return xs_name_is_letter(c) || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/**
 * xs_name_validate() - check a service name against the uapi's rules
 * @name:	the name; need not be NUL terminated
 * @len:	bytes of @name to check
 *
 * A valid name is 1 to XS_NAME_MAX - 1 bytes of [a-zA-Z0-9-_.], made of
 * dot-separated labels that are not empty, where the first label starts
 * with a letter.  The bytes checked must not contain a NUL: a name that
 * is really shorter than @len is refused, not silently truncated.
 *
 * Return: 0 if valid, -EINVAL otherwise.
 */
int xs_name_validate(const char *name, size_t len)
{
	bool label_start = true;	/* the next byte opens a label */
	size_t i;

	if (len == 0 || len >= XS_NAME_MAX)
		return -EINVAL;
	if (!xs_name_is_letter(name[0]))
		return -EINVAL;

	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			/* A leading dot or ".." would make an empty label. */
			if (label_start)
				return -EINVAL;
			label_start = true;
		} else if (xs_name_is_label_char(name[i])) {
			label_start = false;
		} else {
			return -EINVAL;
		}
	}

	/* A trailing dot leaves an empty last label. */
	return label_start ? -EINVAL : 0;
}
EXPORT_SYMBOL_IF_KUNIT(xs_name_validate);

/**
 * xs_name_from_user() - copy a service name from userspace and validate it
 * @name:	out: the NUL-terminated name; an empty string on error
 * @uptr:	user pointer to the NUL-terminated name, as in the uapi structs
 *
 * Return: 0; -EFAULT if the name cannot be read; -ENAMETOOLONG if there is
 * no NUL within XS_NAME_MAX bytes; -EINVAL if it is empty or invalid.
 */
int xs_name_from_user(char name[XS_NAME_MAX], u64 uptr)
{
	long len;
	int ret;

	len = strncpy_from_user(name, u64_to_user_ptr(uptr), XS_NAME_MAX);
	if (len < 0)
		ret = -EFAULT;
	else if (len == XS_NAME_MAX)
		ret = -ENAMETOOLONG;
	else
		ret = xs_name_validate(name, len);

	/* Never leave a caller holding an unterminated or bogus name. */
	if (ret)
		name[0] = '\0';
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(xs_name_from_user);

/*
 * The namespace and the domain go into the key rather than the hashed
 * data: the name is then hashed in place, without copying it next to
 * them.  Only the name is under an attacker's control, and within one
 * (namespace, domain) the key is fixed and secret.
 */
static u32 xs_registry_hash(const struct ipc_namespace *ns, kuid_t domain,
			    const char *name, size_t len)
{
	siphash_key_t key = xs_registry_key;

	key.key[0] ^= (unsigned long)ns;
	key.key[1] ^= __kuid_val(domain);
	return (u32)siphash(name, len, &key);
}

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * The chain a key lands in, so the tests can find keys that share one and
 * show that entries are told apart by comparison, not only by hashing.
 */
u32 xs_registry_bucket(const struct ipc_namespace *ns, kuid_t domain,
		       const char *name)
{
	return hash_min(xs_registry_hash(ns, domain, name, strlen(name)),
			HASH_BITS(xs_registry));
}
EXPORT_SYMBOL_IF_KUNIT(xs_registry_bucket);
#endif

/*
 * The entry registered under exactly this key, with a reference taken by
 * @tryget, or NULL.  Add refuses duplicates, so there is at most one match:
 * if its object is dying, nothing else can stand behind it in this domain.
 */
static struct xs_reg_entry *
xs_registry_get_locked(const struct ipc_namespace *ns, kuid_t domain,
		       const char *name, u32 hash,
		       bool (*tryget)(struct xs_reg_entry *e))
{
	struct xs_reg_entry *e;

	lockdep_assert_held(&xs_registry_lock);

	hash_for_each_possible(xs_registry, e, node, hash) {
		if (e->ipc_ns != ns || !uid_eq(e->domain, domain) ||
		    strcmp(e->name, name))
			continue;
		if (!tryget)
			return e;
		return tryget(e) ? e : NULL;
	}
	return NULL;
}

/**
 * xs_registry_insert() - register a name in an explicit namespace and domain
 * @e:		the entry, not registered (zeroed, or after xs_registry_del())
 * @ns:		IPC namespace; pinned while @e stays registered
 * @domain:	a euid, or INVALID_UID for the system domain
 * @name:	NUL-terminated name; may be @e->name itself
 *
 * The caller has already decided that the domain is its to use.
 *
 * Return: 0; -EINVAL for an invalid name; -EADDRINUSE if the name is
 * taken in that namespace and domain; -EBUSY if @e is already registered.
 */
VISIBLE_IF_KUNIT int xs_registry_insert(struct xs_reg_entry *e,
					struct ipc_namespace *ns,
					kuid_t domain, const char *name)
{
	size_t len = strnlen(name, XS_NAME_MAX);
	u32 hash;
	int ret = 0;

	if (xs_name_validate(name, len))
		return -EINVAL;
	hash = xs_registry_hash(ns, domain, name, len);

	spin_lock(&xs_registry_lock);
	if (WARN_ON_ONCE(!hlist_unhashed(&e->node))) {
		ret = -EBUSY;
	} else if (xs_registry_get_locked(ns, domain, name, hash, NULL)) {
		ret = -EADDRINUSE;
	} else {
		e->ipc_ns = get_ipc_ns(ns);
		e->domain = domain;
		/* memmove: the caller may have read the name into @e->name. */
		memmove(e->name, name, len);
		e->name[len] = '\0';
		hash_add(xs_registry, &e->node, hash);
	}
	spin_unlock(&xs_registry_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(xs_registry_insert);

/**
 * xs_registry_add() - register a name for current
 * @e:		the entry, embedded in the listener; not registered
 * @name:	NUL-terminated name; may be @e->name itself
 * @system:	register in the system domain instead of current's euid's
 *
 * The name goes into current's IPC namespace.  Process context; may sleep
 * (the capability check may audit).
 *
 * Return: 0; -EINVAL for an invalid name; -EPERM for the system domain
 * without CAP_SYS_ADMIN in the user namespace owning the IPC namespace;
 * -EADDRINUSE if the name is taken in that namespace and domain.
 */
int xs_registry_add(struct xs_reg_entry *e, const char *name, bool system)
{
	/* current's own nsproxy: only current could change it under us. */
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;

	/* A malformed name is refused before it can cause an audited denial. */
	if (xs_name_validate(name, strnlen(name, XS_NAME_MAX)))
		return -EINVAL;
	if (system && !ns_capable(ns->user_ns, CAP_SYS_ADMIN))
		return -EPERM;

	return xs_registry_insert(e, ns, system ? INVALID_UID : current_euid(),
				  name);
}
EXPORT_SYMBOL_IF_KUNIT(xs_registry_add);

/**
 * xs_registry_del() - unregister an entry
 * @e:		the entry; registered, never registered (zeroed) or already
 *		removed
 *
 * Once this returns, no lookup can find @e any more, and a new listener may
 * take the name.  Process context.
 */
void xs_registry_del(struct xs_reg_entry *e)
{
	struct ipc_namespace *ns;

	spin_lock(&xs_registry_lock);
	if (hlist_unhashed(&e->node)) {
		spin_unlock(&xs_registry_lock);
		return;
	}
	hash_del(&e->node);
	ns = e->ipc_ns;
	e->ipc_ns = NULL;
	spin_unlock(&xs_registry_lock);

	/* Outside our lock: the last put takes mq_lock and queues work. */
	put_ipc_ns(ns);
}
EXPORT_SYMBOL_IF_KUNIT(xs_registry_del);

/**
 * xs_registry_lookup() - find a name for a connect, namespace explicit
 * @ns:		IPC namespace of the connecting process
 * @euid:	its effective uid
 * @name:	NUL-terminated name
 * @privileged:	look in the system domain only
 * @tryget:	see xs_registry_find()
 *
 * Return: the entry, with a reference taken by @tryget, or NULL.
 */
VISIBLE_IF_KUNIT struct xs_reg_entry *
xs_registry_lookup(struct ipc_namespace *ns, kuid_t euid, const char *name,
		   bool privileged, bool (*tryget)(struct xs_reg_entry *e))
{
	size_t len = strnlen(name, XS_NAME_MAX);
	struct xs_reg_entry *e = NULL;
	u32 user_hash = 0, sys_hash;

	/* Invalid names are never registered; no need to take the lock. */
	if (xs_name_validate(name, len))
		return NULL;

	sys_hash = xs_registry_hash(ns, INVALID_UID, name, len);
	if (!privileged)
		user_hash = xs_registry_hash(ns, euid, name, len);

	spin_lock(&xs_registry_lock);
	/*
	 * The caller's own domain first: a user may run a private instance
	 * of a system service.  A privileged connect skips it, so that no
	 * unprivileged process can stand in for a system service.
	 */
	if (!privileged)
		e = xs_registry_get_locked(ns, euid, name, user_hash, tryget);
	if (!e)
		e = xs_registry_get_locked(ns, INVALID_UID, name, sys_hash,
					   tryget);
	spin_unlock(&xs_registry_lock);
	return e;
}
EXPORT_SYMBOL_IF_KUNIT(xs_registry_lookup);

/**
 * xs_registry_find() - find the listener current connects to
 * @name:	NUL-terminated name
 * @privileged:	look in the system domain only (XS_CONNECT_PRIVILEGED)
 * @tryget:	called under the registry lock for a matching entry; takes a
 *		reference on the object that contains it, or returns false
 *		if that object is dying.  Must not sleep or call back into
 *		the registry.
 *
 * Without @privileged, current's euid domain is searched first, then the
 * system domain, both in current's IPC namespace.  An entry whose @tryget
 * fails counts as absent, and the search goes on.
 *
 * Return: the entry, with the reference @tryget took, or NULL.
 */
struct xs_reg_entry *xs_registry_find(const char *name, bool privileged,
				      bool (*tryget)(struct xs_reg_entry *e))
{
	return xs_registry_lookup(current->nsproxy->ipc_ns, current_euid(),
				  name, privileged, tryget);
}
EXPORT_SYMBOL_IF_KUNIT(xs_registry_find);

/**
 * xs_registry_for_each() - visit every registered entry
 * @fn:		called under the registry lock; must not sleep or call
 *		back into the registry
 * @arg:	passed to @fn
 *
 * Meant for debugfs: the entries' fields are stable while @fn runs, but an
 * entry may be gone as soon as it returns.
 */
void xs_registry_for_each(void (*fn)(struct xs_reg_entry *e, void *arg),
			  void *arg)
{
	struct xs_reg_entry *e;
	int bkt;

	spin_lock(&xs_registry_lock);
	hash_for_each(xs_registry, bkt, e, node)
		fn(e, arg);
	spin_unlock(&xs_registry_lock);
}
EXPORT_SYMBOL_IF_KUNIT(xs_registry_for_each);

/**
 * xs_registry_init() - prepare the registry at module load
 *
 * Return: 0.
 */
int xs_registry_init(void)
{
	get_random_bytes(&xs_registry_key, sizeof(xs_registry_key));
	return 0;
}

/**
 * xs_registry_exit() - check the registry at module unload
 *
 * Every listener holds a reference on the module through its file, so
 * the table must be empty by now; an entry left over would be a listener
 * that was freed without xs_registry_del() and a leaked namespace.
 */
void xs_registry_exit(void)
{
	WARN_ON(!hash_empty(xs_registry));
}
