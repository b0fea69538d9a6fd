/* Maildock - SPDX-License-Identifier: MIT
 *
 * The storage API of storage/store.h: argument checks and dispatch to the
 * backend's vtable (only Maildir++ today).
 */
#include "storage/store-private.h"
#include "storage/store-specialuse.h"
#include "core/error.h"
#include "core/stats.h"
#include "core/compat.h"

int
store_user_open(const char *maildir_path, const char *quota_rule,
		struct store_user **u_r, const char **error_r)
{
	*u_r = NULL;
	if (maildir_path == NULL || maildir_path[0] != '/') {
		*error_r = "Maildir path must be absolute";
		return -ERR_INVAL;
	}
	store_settings_apply();
	return maildir_user_open(maildir_path, quota_rule, u_r, error_r);
}

void
store_user_close(struct store_user **u)
{
	if (u == NULL || *u == NULL)
		return;
	(*u)->ops->user_close(*u);
	*u = NULL;
}

const char *
store_user_error(const struct store_user *u)
{
	return u->error[0] != '\0' ? u->error : "no error";
}

int
store_folder_list(struct store_user *u, bool subscribed_only,
		  store_folder_fn *fn, void *ctx)
{
	return u->ops->folder_list(u, subscribed_only, fn, ctx);
}

int
store_folder_create(struct store_user *u, const char *name)
{
	return u->ops->folder_create(u, name);
}

int
store_folder_delete(struct store_user *u, const char *name)
{
	return u->ops->folder_delete(u, name);
}

int
store_folder_rename(struct store_user *u, const char *oldname,
		    const char *newname)
{
	return u->ops->folder_rename(u, oldname, newname);
}

int
store_subscribe(struct store_user *u, const char *name, bool on)
{
	return u->ops->subscribe(u, name, on);
}

int
store_folder_status(struct store_user *u, const char *name,
		    struct store_status *st)
{
	memset(st, 0, sizeof(*st));
	return u->ops->folder_status(u, name, st);
}

int
store_folder_exists(struct store_user *u, const char *name)
{
	return u->ops->folder_exists(u, name);
}

int
store_mailbox_open(struct store_user *u, const char *name, bool readonly,
		   struct store_mailbox **mb_r)
{
	*mb_r = NULL;
	return u->ops->mailbox_open(u, name, readonly, mb_r);
}

void
store_mailbox_close(struct store_mailbox **mb)
{
	if (mb == NULL || *mb == NULL)
		return;
	(*mb)->ops->mailbox_close(*mb);
	*mb = NULL;
}

uint32_t
store_mailbox_count(const struct store_mailbox *mb)
{
	return mb->ops->mailbox_count(mb);
}

uint32_t
store_mailbox_uidvalidity(const struct store_mailbox *mb)
{
	return mb->ops->mailbox_uidvalidity(mb);
}

uint32_t
store_mailbox_uidnext(const struct store_mailbox *mb)
{
	return mb->ops->mailbox_uidnext(mb);
}

uint32_t
store_mailbox_recent_count(const struct store_mailbox *mb)
{
	return mb->ops->mailbox_recent_count(mb);
}

uint32_t
store_mailbox_first_unseen(const struct store_mailbox *mb)
{
	return mb->ops->mailbox_first_unseen(mb);
}

bool
store_mailbox_readonly(const struct store_mailbox *mb)
{
	return mb->ops->mailbox_readonly(mb);
}

const struct store_msg *
store_msg_get(const struct store_mailbox *mb, uint32_t seq)
{
	return mb->ops->msg_get(mb, seq);
}

uint32_t
store_msg_seq_by_uid(const struct store_mailbox *mb, uint32_t uid)
{
	return mb->ops->msg_seq_by_uid(mb, uid);
}

int
store_msg_size(struct store_mailbox *mb, uint32_t seq, uint64_t *size_r)
{
	return mb->ops->msg_size(mb, seq, size_r);
}

int
store_msg_internal_date(struct store_mailbox *mb, uint32_t seq,
			time_t *date_r)
{
	return mb->ops->msg_internal_date(mb, seq, date_r);
}

int
store_msg_open(struct store_mailbox *mb, uint32_t seq, int *fd_r)
{
	*fd_r = -1;
	return mb->ops->msg_open(mb, seq, fd_r);
}

int
store_msg_parsed(struct store_mailbox *mb, uint32_t seq, struct arena *a,
		 bool with_bytes, struct mime_message **msg_r)
{
	*msg_r = NULL;
	return mb->ops->msg_parsed(mb, seq, a, with_bytes, msg_r);
}

int
store_msg_path(struct store_mailbox *mb, uint32_t seq, char *buf,
	       size_t size)
{
	return mb->ops->msg_path(mb, seq, buf, size);
}

const char *const *
store_mailbox_keywords(const struct store_mailbox *mb, unsigned *count_r)
{
	return mb->ops->mailbox_keywords(mb, count_r);
}

int
store_mailbox_sync(struct store_mailbox *mb, const struct store_sync_cb *cb,
		   void *ctx)
{
	static const struct store_sync_cb none;
	int r = mb->ops->mailbox_sync(mb, cb != NULL ? cb : &none, ctx);

	stats_mailbox_sync(r == 0);
	return r;
}

int
store_mailbox_watch(struct store_mailbox *mb, store_watch_fn *fn, void *ctx)
{
	return mb->ops->mailbox_watch(mb, fn, ctx);
}

void
store_mailbox_unwatch(struct store_mailbox *mb)
{
	mb->ops->mailbox_unwatch(mb);
}

bool
store_msg_expunged(struct store_mailbox *mb, uint32_t seq)
{
	return mb->ops->msg_expunged(mb, seq);
}

int
store_msg_set_flags(struct store_mailbox *mb, uint32_t seq,
		    enum store_flags_mode mode, unsigned flags,
		    const char *const *keywords, size_t n)
{
	return mb->ops->msg_set_flags(mb, seq, STORE_MODSEQ_ANY, mode, flags,
				      keywords, n);
}

int
store_msg_set_flags_if(struct store_mailbox *mb, uint32_t seq,
		       uint64_t unchangedsince, enum store_flags_mode mode,
		       unsigned flags, const char *const *keywords, size_t n)
{
	return mb->ops->msg_set_flags(mb, seq, unchangedsince, mode, flags,
				      keywords, n);
}

uint64_t
store_mailbox_highestmodseq(const struct store_mailbox *mb)
{
	return mb->ops->mailbox_highestmodseq(mb);
}

int
store_mailbox_vanished(struct store_mailbox *mb, uint64_t since,
		       struct arena *a, struct store_uid_range **ranges_r,
		       size_t *n_r)
{
	return mb->ops->mailbox_vanished(mb, since, a, ranges_r, n_r);
}

int
store_mailbox_expunge(struct store_mailbox *mb,
		      const struct store_uid_range *ranges, size_t n,
		      store_expunged_fn *expunged, void *ctx)
{
	return mb->ops->mailbox_expunge(mb, ranges, n, expunged, ctx);
}

int
store_append_begin(struct store_user *u, const char *name, unsigned flags,
		   const char *const *keywords, size_t n,
		   time_t internal_date, uint64_t expected_size,
		   struct store_append **a_r)
{
	*a_r = NULL;
	return u->ops->append_begin(u, name, flags, keywords, n,
				    internal_date, expected_size, a_r);
}

int
store_append_write(struct store_append *a, const void *data, size_t n)
{
	return a->ops->append_write(a, data, n);
}

int
store_append_finish(struct store_append **a, uint32_t *uidvalidity_r,
		    uint32_t *uid_r)
{
	return store_append_finish_all(a, 1, uidvalidity_r, uid_r);
}

int
store_append_finish_all(struct store_append **as, size_t n,
			uint32_t *uidvalidity_r, uint32_t *uids_r)
{
	int r = as[0]->ops->append_finish(as, n, uidvalidity_r, uids_r);

	for (size_t i = 0; i < n; i++)
		as[i] = NULL;
	return r;
}

void
store_append_abort(struct store_append **a)
{
	if (a == NULL || *a == NULL)
		return;
	(*a)->ops->append_abort(*a);
	*a = NULL;
}

int
store_copy(struct store_mailbox *mb, const uint32_t *seqs, size_t n,
	   const char *dest, uint32_t *uidvalidity_r, uint32_t *dest_uids_r)
{
	struct store_copy_dest d = { mb->user, dest, ~0u, true };

	return mb->ops->copy(mb, seqs, n, &d, false, uidvalidity_r,
			     dest_uids_r, NULL, NULL);
}

int
store_move(struct store_mailbox *mb, const uint32_t *seqs, size_t n,
	   const char *dest, uint32_t *uidvalidity_r, uint32_t *dest_uids_r,
	   store_expunged_fn *expunged, void *ctx)
{
	struct store_copy_dest d = { mb->user, dest, ~0u, true };

	return mb->ops->copy(mb, seqs, n, &d, true, uidvalidity_r,
			     dest_uids_r, expunged, ctx);
}

int
store_copy_to(struct store_mailbox *mb, const uint32_t *seqs, size_t n,
	      const struct store_copy_dest *dest, bool move,
	      uint32_t *uidvalidity_r, uint32_t *dest_uids_r,
	      store_expunged_fn *expunged, void *ctx)
{
	if (dest->user->ops != mb->ops)
		return -ERR_INVAL;	/* one backend copies within itself */
	return mb->ops->copy(mb, seqs, n, dest, move, uidvalidity_r,
			     dest_uids_r, expunged, ctx);
}

int
store_quota_get(struct store_user *u, uint64_t *bytes_used,
		uint64_t *bytes_limit, uint64_t *msgs_used,
		uint64_t *msgs_limit)
{
	return u->ops->quota_get(u, bytes_used, bytes_limit, msgs_used,
				 msgs_limit);
}

int
store_quota_recalc(struct store_user *u)
{
	return u->ops->quota_recalc(u);
}

int
store_pop3_uidl(struct store_mailbox *mb, uint32_t seq, char *buf,
		size_t size)
{
	return mb->ops->pop3_uidl(mb, seq, buf, size);
}

int
store_pop3_lock(struct store_mailbox *mb)
{
	return mb->ops->pop3_lock(mb);
}

void
store_pop3_unlock(struct store_mailbox *mb)
{
	mb->ops->pop3_unlock(mb);
}

int
store_specialuse_get(struct store_user *u, const char *name, char *buf,
		     size_t size)
{
	return u->ops->specialuse_get(u, name, buf, size);
}

int
store_specialuse_set(struct store_user *u, const char *name,
		     const char *uses)
{
	return u->ops->specialuse_set(u, name, uses);
}
