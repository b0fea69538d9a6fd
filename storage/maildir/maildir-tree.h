/* Maildock - SPDX-License-Identifier: MIT
 *
 * The folder tree's per-user files: subscriptions, ACLs and
 * special-use attributes (maildir-subscribe.c, maildir-acl.c,
 * maildir-specialuse.c).
 * Private to storage/maildir/.
 */
#ifndef STORAGE_MAILDIR_MAILDIR_TREE_H
#define STORAGE_MAILDIR_MAILDIR_TREE_H

#include "storage/maildir/maildir.h"

/* ---- maildir-subscribe.c */
/* maildir_subscriptions_load: the subscribed UTF-8 names (malloc'd array
 * of malloc'd strings, *n_r of them). */
char **maildir_subscriptions_load(struct maildir_user *u, size_t *n_r);
/* maildir_subscriptions_rename: from and its children become to. */
int maildir_subscriptions_rename(struct maildir_user *u, const char *from,
				 const char *to);

/* ---- maildir-acl.c, maildir-specialuse.c: the store_ops members of the
 * same names; each has the contract of the store_* function it serves
 * (storage/store-acl.h, storage/store-specialuse.h). */
int maildir_acl_get(struct store_user *u, const char *name,
		    struct store_acl *acl);
int maildir_acl_put(struct store_user *u, const char *name,
		    const struct store_acl *acl);
int maildir_acl_modify(struct store_user *u, const char *name,
		       const char *ident, enum store_acl_mode mode,
		       unsigned rights, struct store_acl *acl);
int maildir_acl_shared_owners(struct store_user *u, store_acl_owner_fn *fn,
			      void *ctx);
int maildir_specialuse_get(struct store_user *u, const char *name, char *buf,
			   size_t size);
int maildir_specialuse_set(struct store_user *u, const char *name,
			   const char *uses);

#endif
