/* Maildock - SPDX-License-Identifier: MIT
 *
 * The Maildir++ backend's user object and its store_ops table.
 */
#include <errno.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-cache.h"
#include "storage/maildir/maildir-tree.h"
#include "storage/maildir/maildir-quota.h"
#include "core/error.h"
#include "core/compat.h"

static int
mkdir_parents(const char *path)
{
	char buf[MAILDIR_PATH_MAX];

	if (str_copy(buf, path, sizeof(buf)) >= sizeof(buf))
		return -ERR_LIMIT;
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return maildir_errno(errno);
		*p = '/';
	}
	return 0;
}

static void
user_close(struct store_user *su)
{
	struct maildir_user *u = (struct maildir_user *)su;

	while (u->views != NULL)
		maildir_mailbox_close(&u->views->base);
	free(u->root);
	free(u);
}

int
maildir_user_open(const char *path, const char *quota_rule,
		  struct store_user **u_r, const char **error_r)
{
	struct maildir_user *u;
	size_t len = strlen(path);
	int r;

	if (len == 0 || len > MAILDIR_PATH_MAX - 300) {
		*error_r = "Maildir path too long";
		return -ERR_INVAL;
	}
	if (quota_rule != NULL && quota_rule[0] != '\0') {
		uint64_t b, m;
		if (maildir_quota_parse_rule(quota_rule, &b, &m) < 0) {
			*error_r = "bad Maildir++ quota rule";
			return -ERR_INVAL;
		}
	}
	if ((r = mkdir_parents(path)) < 0 ||
	    (r = maildir_mkdir_maildir(path, false)) < 0) {
		*error_r = r == -ERR_PERM ? "cannot create the Maildir: "
			   "permission denied" : "cannot create the Maildir";
		return r;
	}
	u = xcalloc(1, sizeof(*u));
	u->base.ops = &maildir_ops;
	u->root = xstrndup(path, len);
	while (len > 1 && u->root[len - 1] == '/')
		u->root[--len] = '\0';
	if ((r = maildir_quota_set_rule(u->root, quota_rule)) < 0) {
		*error_r = "cannot write maildirsize";
		user_close(&u->base);
		return r;
	}
	*u_r = &u->base;
	return 0;
}

const struct store_ops maildir_ops = {
	.name = "maildir",
	.user_close = user_close,
	.folder_list = maildir_folder_list,
	.folder_create = maildir_folder_create,
	.folder_delete = maildir_folder_delete,
	.folder_rename = maildir_folder_rename,
	.subscribe = maildir_subscribe,
	.folder_status = maildir_folder_status,
	.folder_exists = maildir_folder_exists,
	.mailbox_open = maildir_mailbox_open,
	.mailbox_close = maildir_mailbox_close,
	.mailbox_count = maildir_mailbox_count,
	.mailbox_uidvalidity = maildir_mailbox_uidvalidity,
	.mailbox_uidnext = maildir_mailbox_uidnext,
	.mailbox_recent_count = maildir_mailbox_recent_count,
	.mailbox_first_unseen = maildir_mailbox_first_unseen,
	.mailbox_readonly = maildir_mailbox_readonly,
	.msg_get = maildir_msg_get,
	.msg_seq_by_uid = maildir_msg_seq_by_uid,
	.msg_size = maildir_msg_size,
	.msg_internal_date = maildir_msg_internal_date,
	.msg_open = maildir_msg_open,
	.msg_parsed = maildir_msg_parsed,
	.msg_read = maildir_msg_read,
	.acl_get = maildir_acl_get,
	.acl_put = maildir_acl_put,
	.acl_modify = maildir_acl_modify,
	.acl_shared_owners = maildir_acl_shared_owners,
	.specialuse_get = maildir_specialuse_get,
	.specialuse_set = maildir_specialuse_set,
	.msg_path = maildir_msg_path,
	.mailbox_keywords = maildir_mailbox_keywords,
	.mailbox_sync = maildir_mailbox_sync,
	.mailbox_watch = maildir_mailbox_watch,
	.mailbox_unwatch = maildir_mailbox_unwatch,
	.msg_expunged = maildir_msg_expunged,
	.msg_set_flags = maildir_msg_set_flags,
	.mailbox_highestmodseq = maildir_mailbox_highestmodseq,
	.mailbox_vanished = maildir_mailbox_vanished,
	.mailbox_expunge = maildir_mailbox_expunge,
	.append_begin = maildir_append_begin,
	.append_write = maildir_append_write,
	.append_finish = maildir_append_finish,
	.append_abort = maildir_append_abort,
	.copy = maildir_copy,
	.quota_get = maildir_quota_get,
	.quota_recalc = maildir_quota_recalc,
	.pop3_uidl = maildir_pop3_uidl,
	.pop3_lock = maildir_pop3_lock,
	.pop3_unlock = maildir_pop3_unlock,
};
