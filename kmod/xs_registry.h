/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Service names and the registry that maps them to listeners.
 *
 * A name is registered in one IPC namespace and one domain: the effective
 * uid of the process that registered it, or the system domain.  See
 * shared/spec/design.md, "Names and domains".
 */
#ifndef _XS_REGISTRY_H
#define _XS_REGISTRY_H

#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xsession.h>

struct ipc_namespace;

/**
 * struct xs_reg_entry - one registered name, embedded in its listener
 * @node:	link in the registry's hash table; unhashed while the entry
 *		is not registered.
 * @ipc_ns:	the IPC namespace the name lives in, pinned by the registry
 *		while registered; NULL otherwise.
 * @domain:	the registering process's euid, or INVALID_UID for the
 *		system domain.
 * @name:	the name, NUL terminated and valid (xs_name_validate()).
 *
 * The entry must start out zeroed (kzalloc()), which reads as "not
 * registered".  All fields are written by xs_registry_add() and
 * xs_registry_del() under the registry lock; the owner may read @domain
 * and @name without it between a successful add and the matching del.
 */
struct xs_reg_entry {
	struct hlist_node node;
	struct ipc_namespace *ipc_ns;
	kuid_t domain;
	char name[XS_NAME_MAX];
};

int xs_name_validate(const char *name, size_t len);
int xs_name_from_user(char name[XS_NAME_MAX], u64 uptr);

int xs_registry_add(struct xs_reg_entry *e, const char *name, bool system);
void xs_registry_del(struct xs_reg_entry *e);
struct xs_reg_entry *xs_registry_find(const char *name, bool privileged,
				      bool (*tryget)(struct xs_reg_entry *e));
void xs_registry_for_each(void (*fn)(struct xs_reg_entry *e, void *arg),
			  void *arg);

int xs_registry_init(void);
void xs_registry_exit(void);

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * The namespace-explicit halves of add and find, so the tests can use an
 * IPC namespace other than their own (a kthread cannot unshare one), and
 * the hash chain of a key.
 */
int xs_registry_insert(struct xs_reg_entry *e, struct ipc_namespace *ns,
		       kuid_t domain, const char *name);
struct xs_reg_entry *xs_registry_lookup(struct ipc_namespace *ns, kuid_t euid,
					const char *name, bool privileged,
					bool (*tryget)(struct xs_reg_entry *e));
u32 xs_registry_bucket(const struct ipc_namespace *ns, kuid_t domain,
		       const char *name);
#endif

#endif /* _XS_REGISTRY_H */
