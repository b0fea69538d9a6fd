/* Maildock - SPDX-License-Identifier: MIT
 *
 * QUOTA (RFC 2087, resource names of RFC 9208): one quota root "" for the
 * whole Maildir, from Maildir++ maildirsize. GETQUOTAROOT names it for
 * every mailbox, GETQUOTA of any other root is NO (RFC 2087 4.2), and
 * SETQUOTA is refused: limits come from the auth backend.
 */
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/store.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

/* quota_line: "* QUOTA "" (...)" into b; false when no limit is set */
static bool
quota_line(struct imap_cmd *cmd, struct sbuf *b, int *err_r)
{
	uint64_t bytes, bytes_max, msgs, msgs_max;

	*err_r = store_quota_get(cmd->sess->store, &bytes, &bytes_max, &msgs,
				 &msgs_max);
	if (*err_r < 0 || (bytes_max == 0 && msgs_max == 0))
		return false;
	sbuf_appends(b, "* QUOTA \"\" (");
	if (bytes_max != 0)
		sbuf_appendf(b, "STORAGE %llu %llu",
			     (unsigned long long)((bytes + 1023) / 1024),
			     (unsigned long long)(bytes_max / 1024));
	if (msgs_max != 0)
		sbuf_appendf(b, "%sMESSAGE %llu %llu", bytes_max ? " " : "",
			     (unsigned long long)msgs,
			     (unsigned long long)msgs_max);
	sbuf_appendc(b, ')');
	return true;
}

int
imap_cmd_getquotaroot(struct imap_cmd *cmd)
{
	struct sbuf q, b;
	const char *name;
	bool has;
	int r, err;

	r = imap_session_mailbox_arg(cmd, &cmd->args[0], &name);
	if (r == -ERR_INVAL || (r == 0 &&
				store_folder_exists(cmd->sess->store, name) != 1))
		return imap_command_done(cmd, "NO", "[NONEXISTENT] No such "
					 "mailbox");
	if (r < 0)
		return r;
	sbuf_init(&q, cmd->arena, 4096);
	has = quota_line(cmd, &q, &err);
	if (err < 0)
		return imap_command_error(cmd, err);
	sbuf_init(&b, cmd->arena, 8192);
	sbuf_appends(&b, "* QUOTAROOT ");
	if (imap_namespace_append(cmd->sess, &b, name) < 0)
		return -ERR_INVAL;
	if (has)
		sbuf_appends(&b, " \"\"");
	if ((r = imap_reply_line(cmd->sess, &b)) < 0 ||
	    (has && (r = imap_reply_line(cmd->sess, &q)) < 0))
		return r;
	return imap_command_done(cmd, "OK", "Getquotaroot completed.");
}

int
imap_cmd_getquota(struct imap_cmd *cmd)
{
	const char *root;
	struct sbuf q;
	int r, err = 0;

	if (!imap_arg_astring(&cmd->args[0], &root))
		return imap_cmd_bad_args(cmd);
	sbuf_init(&q, cmd->arena, 4096);
	if (*root != '\0' || !quota_line(cmd, &q, &err)) {
		if (*root == '\0' && err < 0)
			return imap_command_error(cmd, err);
		return imap_command_done(cmd, "NO", "[NONEXISTENT] No such "
					 "quota root");
	}
	if ((r = imap_reply_line(cmd->sess, &q)) < 0)
		return r;
	return imap_command_done(cmd, "OK", "Getquota completed.");
}

int
imap_cmd_setquota(struct imap_cmd *cmd)
{
	return imap_command_done(cmd, "NO", "[NOPERM] Quotas are set by the "
				 "administrator");
}
