/* Maildock - SPDX-License-Identifier: MIT
 *
 * REPLACE and UID REPLACE (RFC 8508): APPEND a new version of a message
 * and expunge the old one. A Maildir cannot do both in one step, so the
 * order is the safe one: the new message is complete and durable in its
 * folder (store_append_finish: fsync, link) before the old one is
 * expunged; a crash in between leaves both, never neither.
 */
#include <stdlib.h>
#include "core/error.h"
#include "storage/store.h"
#include "protocols/mailerr.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

/* the one message args[0] names (RFC 8508 6: seq-number or, for UID
 * REPLACE, a UID): 0 with *seq_r, or < 0 (answered, with the message
 * literal given up) */
static int
source_message(struct imap_cmd *cmd, uint32_t *seq_r)
{
	struct store_mailbox *box = cmd->sess->box;
	const char *s;
	char *end;
	unsigned long v;

	if (!imap_arg_atom(&cmd->args[0], &s) || s[0] < '1' || s[0] > '9')
		return imap_cmd_append_refuse(cmd, -ERR_SYNTAX, "Invalid "
					      "message number");
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > UINT32_MAX)
		return imap_cmd_append_refuse(cmd, -ERR_SYNTAX, "Invalid "
					      "message number");
	if (cmd->uid) {
		*seq_r = store_msg_seq_by_uid(box, (uint32_t)v);
		if (*seq_r == 0)
			return imap_cmd_append_refuse(cmd, -ERR_NOTFOUND,
						      "No message with that "
						      "UID");
	} else if (v > store_mailbox_count(box)) {
		return imap_cmd_append_refuse(cmd, -ERR_SYNTAX, "No such "
					      "message");
	} else {
		*seq_r = (uint32_t)v;
	}
	if (store_msg_expunged(box, *seq_r))
		return imap_cmd_append_refuse(cmd, -ERR_NOTFOUND,
					      "[EXPUNGEISSUED] The message "
					      "was expunged");
	return 0;
}

int
imap_cmd_replace(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;
	struct store_uid_range range;
	uint32_t seq = 0, uidv = 0, uid = 0;
	int r;

	/* RFC 8508 3.3: the old message must exist and be removable,
	 * checked before anything is appended */
	if (sess->readonly)
		r = imap_cmd_append_refuse(cmd, -ERR_PERM, "[CANNOT] Mailbox "
					   "is read-only");
	else if (!imap_acl_may(sess, STORE_ACL_DELMSG | STORE_ACL_EXPUNGE))
		r = imap_cmd_append_refuse(cmd, -ERR_PERM, "[NOPERM] "
					   "Permission denied (rights t and e "
					   "needed)");
	else
		r = source_message(cmd, &seq);
	if (r < 0)
		return r;
	range.first = range.last = store_msg_get(sess->box, seq)->uid;
	if ((r = imap_cmd_append_message(cmd, 1, &uidv, &uid)) < 0)
		return r;
	/* RFC 8508 3.3: APPENDUID goes in an untagged OK */
	if ((r = imap_reply_untagged(sess, "OK [APPENDUID %u %u] "
				     "Replacement Message ID", uidv, uid)) < 0)
		return r;
	r = store_msg_set_flags(sess->box, seq, STORE_FLAGS_ADD,
				STORE_FLAG_DELETED, NULL, 0);
	if (r == 0)
		r = store_mailbox_expunge(sess->box, &range, 1,
					  imap_cmd_expunged, sess);
	if (r < 0)	/* RFC 8508 3.3: the old message stays */
		return imap_command_done(cmd, "NO", "[%s] %s: the new message "
					 "was saved, the old one is still "
					 "there", mailerr_get(r)->imap_code,
					 mailerr_get(r)->imap_text);
	return imap_command_done(cmd, "OK", "Replace completed.");
}
