/* Maildock - SPDX-License-Identifier: MIT
 *
 * The small commands: CAPABILITY, NOOP, LOGOUT, CHECK, CLOSE, UNSELECT
 * (RFC 3691), EXPUNGE and UID EXPUNGE (RFC 4315), NAMESPACE (RFC 2342),
 * ENABLE (RFC 5161), ID (RFC 2971) and COMPRESS (RFC 4978).
 */
#include <strings.h>
#include "core/arena.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "core/session.h"
#include "storage/store.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "protocols/imap/imap-search-update.h"
#include "protocols/imap/imap-condstore.h"
#include "core/compat.h"

int
imap_cmd_capability(struct imap_cmd *cmd)
{
	struct sbuf b;
	int r;

	sbuf_init(&b, cmd->arena, 4096);
	sbuf_appends(&b, "* CAPABILITY ");
	imap_session_capability(cmd->sess, &b);
	if ((r = imap_reply_line(cmd->sess, &b)) < 0)
		return r;
	return imap_command_done(cmd, "OK", "Capability completed.");
}

int
imap_cmd_noop(struct imap_cmd *cmd)
{
	return imap_command_done(cmd, "OK", "NOOP completed.");
}

int
imap_cmd_check(struct imap_cmd *cmd)
{
	return imap_command_done(cmd, "OK", "Check completed.");
}

int
imap_cmd_logout(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;
	int r;

	/* LOGOUT closes the mailbox without expunging (RFC 3501 6.4.2) */
	imap_session_unselect(sess);
	sess->state = IMAP_ST_LOGOUT;
	if ((r = imap_reply_untagged(sess, "BYE Logging out")) < 0)
		return r;
	return imap_command_done(cmd, "OK", "Logout completed.");
}

int
imap_cmd_close(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;

	/* silent expunge, only when read-write (RFC 3501 6.4.2) */
	if (!sess->readonly && imap_acl_may(sess, STORE_ACL_EXPUNGE))
		(void)store_mailbox_expunge(sess->box, NULL, 0, NULL, NULL);
	imap_session_unselect(sess);
	return imap_command_done(cmd, "OK", "Close completed.");
}

int
imap_cmd_unselect(struct imap_cmd *cmd)
{
	imap_session_unselect(cmd->sess);
	return imap_command_done(cmd, "OK", "Unselect completed.");
}

void
imap_cmd_expunged(void *ctx, uint32_t seq, uint32_t uid)
{
	imap_search_update_expunged(ctx, seq, uid);	/* before EXPUNGE */
	imap_condstore_expunged(ctx, seq, uid);
}

int
imap_cmd_expunge(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;
	struct store_uid_range *ranges = NULL;
	size_t n = 0;
	int r;

	if (cmd->uid != (cmd->argc == 1))
		return imap_cmd_bad_args(cmd);
	if (cmd->uid) {
		struct imap_seqset set;
		const char *s;
		if (!imap_arg_atom(&cmd->args[0], &s) ||
		    imap_seqset_parse(cmd->arena, s, &set) < 0)
			return imap_cmd_bad_args(cmd);
		imap_seqset_resolve(&set, store_mailbox_uidnext(sess->box) - 1,
				    false);
		ranges = arena_alloc(cmd->arena,
				     (set.count + 1) * sizeof(*ranges));
		if (ranges == NULL)
			return -ERR_NOMEM;
		for (unsigned i = 0; i < set.count; i++) {
			ranges[i].first = set.ranges[i].lo;
			ranges[i].last = set.ranges[i].hi;
		}
		n = set.count;
		if (n == 0)
			return imap_command_done(cmd, "OK", "Expunge completed.");
	}
	if (sess->readonly)
		return imap_command_done(cmd, "NO", "[CANNOT] Mailbox is "
					 "read-only");
	if ((r = imap_acl_require_selected(cmd, STORE_ACL_EXPUNGE)) < 0)
		return r;	/* ACL hook */
	r = store_mailbox_expunge(sess->box, ranges, n, imap_cmd_expunged,
				  sess);
	if (r < 0)
		return imap_command_error(cmd, r);
	return imap_command_done(cmd, "OK", "Expunge completed.");
}

int
imap_cmd_namespace(struct imap_cmd *cmd)
{
	/* RFC 2342 5: the personal namespace's prefix (imap-namespace.c) */
	int r = imap_reply_untagged(cmd->sess, "NAMESPACE ((\"%s\" \".\")) "
				    "((\"" IMAP_ACL_NS ".\" \".\")) NIL",
				    cmd->sess->set->namespace_prefix);
	if (r < 0)
		return r;
	return imap_command_done(cmd, "OK", "Namespace completed.");
}

int
imap_cmd_enable(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;
	static const struct {
		const char *name;
		unsigned bit, also;
	} exts[] = {	/* QRESYNC implies CONDSTORE (RFC 7162 3.2.3) */
		{ "UTF8=ACCEPT", IMAP_ENABLED_UTF8, 0 },
		{ "CONDSTORE", IMAP_ENABLED_CONDSTORE, 0 },
		{ "QRESYNC", IMAP_ENABLED_QRESYNC, IMAP_ENABLED_CONDSTORE },
	};
	unsigned now = 0;
	struct sbuf b;
	int r;

	/* RFC 5161 3.1: unknown extensions are ignored; ENABLED lists the
	 * ones this command turned on */
	for (unsigned i = 0; i < cmd->argc; i++) {
		if (cmd->args[i].type != IMAP_ARG_ATOM)
			return imap_cmd_bad_args(cmd);
		for (size_t k = 0; k < N_ELEMENTS(exts); k++)
			if (imap_arg_atom_eq(&cmd->args[i], exts[k].name))
				now |= (exts[k].bit | exts[k].also) &
				       ~sess->enabled;
	}
	sbuf_init(&b, cmd->arena, 256);
	sbuf_appends(&b, "* ENABLED");
	for (size_t k = 0; k < N_ELEMENTS(exts); k++)
		if (now & exts[k].bit)
			sbuf_appendf(&b, " %s", exts[k].name);
	if (now & IMAP_ENABLED_UTF8)
		imap_parser_set_utf8(sess->parser, true);
	if ((r = imap_condstore_enable(sess, now)) < 0)
		return r;
	r = imap_reply_line(sess, &b);
	if (r < 0)
		return r;
	return imap_command_done(cmd, "OK", "Enable completed.");
}

int
imap_cmd_id(struct imap_cmd *cmd)
{
	const struct imap_arg *l;
	unsigned n;
	int r;

	if (cmd->args[0].type != IMAP_ARG_NIL) {
		if (!imap_arg_list(&cmd->args[0], &l, &n) || n % 2 != 0 ||
		    n > 60)
			return imap_cmd_bad_args(cmd);
		for (unsigned i = 0; i < n; i++) {
			const char *s;
			if (!imap_arg_string(&l[i], &s) &&
			    !(i % 2 == 1 && l[i].type == IMAP_ARG_NIL))
				return imap_cmd_bad_args(cmd);
		}
	}
	if (cmd->sess->set->id_send_version)
		r = imap_reply_untagged(cmd->sess, "ID (\"name\" \"Maildock\" "
					"\"version\" \"%s\")", PACKAGE_VERSION);
	else
		r = imap_reply_untagged(cmd->sess, "ID (\"name\" \"Maildock\")");
	if (r < 0)
		return r;
	return imap_command_done(cmd, "OK", "ID completed.");
}

int
imap_cmd_compress(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;
	int r;

	if (!imap_arg_atom_eq(&cmd->args[0], "DEFLATE"))
		return imap_command_done(cmd, "BAD", "Unknown compression "
					 "mechanism");
	if (conn_is_compressed(sess->conn))
		return imap_command_done(cmd, "NO", "[COMPRESSIONACTIVE] "
					 "DEFLATE is already active");
	/* RFC 4978 3: the OK goes out uncompressed, all after it compressed */
	imap_command_done(cmd, "OK", "DEFLATE active");
	if ((r = imap_command_finish(cmd)) < 0)
		return r;
	r = conn_compress_start(sess->conn);
	if (r < 0) {
		slog_info(sess->s, "compress failed error=%s", err_str(r));
		return r == -ERR_LIMIT || r == -ERR_NOMEM ? -ERR_IO : r;
	}
	return IMAP_CMD_DONE;
}
