/* Maildock - SPDX-License-Identifier: MIT
 *
 * The backend vtable behind storage/store.h (STYLE C9). A backend's user,
 * mailbox and append objects start with the struct store_* defined here, so
 * store.c can dispatch through ops. Private to storage/.
 */
#ifndef STORAGE_STORE_PRIVATE_H
#define STORAGE_STORE_PRIVATE_H

#include "storage/store.h"
#include "storage/store-acl.h"

struct store_ops;

struct store_user {
	const struct store_ops *ops;
	char error[256];	/* store_user_error text */
};

struct store_mailbox {
	const struct store_ops *ops;
	struct store_user *user;
};

struct store_append {
	const struct store_ops *ops;
};

/* Each member has the contract of the store_* function of the same name. */
struct store_ops {
	const char *name;
	void (*user_close)(struct store_user *u);
	int (*folder_list)(struct store_user *u, bool subscribed_only,
			   store_folder_fn *fn, void *ctx);
	int (*folder_create)(struct store_user *u, const char *name);
	int (*folder_delete)(struct store_user *u, const char *name);
	int (*folder_rename)(struct store_user *u, const char *oldname,
			     const char *newname);
	int (*subscribe)(struct store_user *u, const char *name, bool on);
	int (*folder_status)(struct store_user *u, const char *name,
			     struct store_status *st);
	int (*folder_exists)(struct store_user *u, const char *name);
	int (*mailbox_open)(struct store_user *u, const char *name,
			    bool readonly, struct store_mailbox **mb_r);
	void (*mailbox_close)(struct store_mailbox *mb);
	uint32_t (*mailbox_count)(const struct store_mailbox *mb);
	uint32_t (*mailbox_uidvalidity)(const struct store_mailbox *mb);
	uint32_t (*mailbox_uidnext)(const struct store_mailbox *mb);
	uint32_t (*mailbox_recent_count)(const struct store_mailbox *mb);
	uint32_t (*mailbox_first_unseen)(const struct store_mailbox *mb);
	bool (*mailbox_readonly)(const struct store_mailbox *mb);
	const struct store_msg *(*msg_get)(const struct store_mailbox *mb,
					   uint32_t seq);
	uint32_t (*msg_seq_by_uid)(const struct store_mailbox *mb,
				   uint32_t uid);
	int (*msg_size)(struct store_mailbox *mb, uint32_t seq,
			uint64_t *size_r);
	int (*msg_internal_date)(struct store_mailbox *mb, uint32_t seq,
				 time_t *date_r);
	int (*msg_open)(struct store_mailbox *mb, uint32_t seq, int *fd_r);
	int (*msg_parsed)(struct store_mailbox *mb, uint32_t seq,
			  struct arena *a, bool with_bytes,
			  struct mime_message **msg_r);
	/* the bytes of message seq in a: read whole when small, else the
	 * first prefix_max octets (*whole_r false) or, with prefix_max 0,
	 * all of them mapped (released when a is reset). Errors as for
	 * store_msg_open, -ERR_LIMIT (a's cap). */
	int (*msg_read)(struct store_mailbox *mb, uint32_t seq,
			struct arena *a, size_t prefix_max,
			const void **data_r, size_t *len_r, bool *whole_r);
	int (*msg_path)(struct store_mailbox *mb, uint32_t seq, char *buf,
			size_t size);
	const char *const *(*mailbox_keywords)(const struct store_mailbox *mb,
					      unsigned *count_r);
	int (*mailbox_sync)(struct store_mailbox *mb,
			    const struct store_sync_cb *cb, void *ctx);
	int (*mailbox_watch)(struct store_mailbox *mb, store_watch_fn *fn,
			     void *ctx);
	void (*mailbox_unwatch)(struct store_mailbox *mb);
	bool (*msg_expunged)(struct store_mailbox *mb, uint32_t seq);
	int (*msg_set_flags)(struct store_mailbox *mb, uint32_t seq,
			     uint64_t unchangedsince,
			     enum store_flags_mode mode, unsigned flags,
			     const char *const *keywords, size_t n);
	uint64_t (*mailbox_highestmodseq)(const struct store_mailbox *mb);
	int (*mailbox_vanished)(struct store_mailbox *mb, uint64_t since,
				struct arena *a,
				struct store_uid_range **ranges_r,
				size_t *n_r);
	int (*mailbox_expunge)(struct store_mailbox *mb,
			       const struct store_uid_range *ranges, size_t n,
			       store_expunged_fn *expunged,
			       void *ctx);
	int (*append_begin)(struct store_user *u, const char *name,
			    unsigned flags, const char *const *keywords,
			    size_t n, time_t internal_date,
			    uint64_t expected_size, struct store_append **a_r);
	int (*append_write)(struct store_append *a, const void *data,
			    size_t n);
	int (*append_finish)(struct store_append **as, size_t n,
			     uint32_t *uidvalidity_r, uint32_t *uids_r);
	void (*append_abort)(struct store_append *a);
	/* store_copy_to (d->user has the same ops as mb) */
	int (*copy)(struct store_mailbox *mb, const uint32_t *seqs, size_t n,
		    const struct store_copy_dest *d, bool move,
		    uint32_t *uidvalidity_r, uint32_t *dest_uids_r,
		    store_expunged_fn *expunged, void *ctx);
	int (*quota_get)(struct store_user *u, uint64_t *bytes_used,
			 uint64_t *bytes_limit, uint64_t *msgs_used,
			 uint64_t *msgs_limit);
	int (*quota_recalc)(struct store_user *u);
	int (*acl_get)(struct store_user *u, const char *name,
		       struct store_acl *acl);
	int (*acl_put)(struct store_user *u, const char *name,
		       const struct store_acl *acl);
	int (*acl_modify)(struct store_user *u, const char *name,
			  const char *ident, enum store_acl_mode mode,
			  unsigned rights, struct store_acl *acl);
	int (*acl_shared_owners)(struct store_user *u,
				 store_acl_owner_fn *fn, void *ctx);
	int (*specialuse_get)(struct store_user *u, const char *name,
			      char *buf, size_t size);
	int (*specialuse_set)(struct store_user *u, const char *name,
			      const char *uses);
	int (*pop3_uidl)(struct store_mailbox *mb, uint32_t seq, char *buf,
			 size_t size);
	int (*pop3_lock)(struct store_mailbox *mb);
	void (*pop3_unlock)(struct store_mailbox *mb);
};

/* maildir_user_open: the Maildir++ backend's store_user_open. */
int maildir_user_open(const char *path, const char *quota_rule,
		      struct store_user **u_r, const char **error_r);

/* maildir_acl_user_open: the Maildir++ backend's store_acl_user_open
 * (maildir is absolute). */
int maildir_acl_user_open(const char *maildir, struct store_user **u_r);

/* maildir_acl_shared_note: the Maildir++ backend's store_acl_shared_note
 * (arguments already checked). */
int maildir_acl_shared_note(const char *grantee_maildir, const char *owner);

#endif
