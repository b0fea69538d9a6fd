/* Maildock - SPDX-License-Identifier: MIT
 *
 * Mailbox management: CREATE, DELETE, RENAME (RFC 3501 6.3.3-6.3.5) and
 * SUBSCRIBE/UNSUBSCRIBE (6.3.6-6.3.7). Names arrive in modified UTF-7 and
 * are handed to storage in UTF-8; INBOX's special rules are checked here.
 */
#include <strings.h>
#include "core/error.h"
#include "storage/store.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

/* name_arg: decode argument i; answers the client itself on failure
 * (returns > 0 then) */
static int
name_arg(struct imap_cmd *cmd, unsigned i, const char **name_r)
{
	int r = imap_session_mailbox_arg(cmd, &cmd->args[i], name_r);

	if (r == -ERR_INVAL) {
		r = imap_reply_tagged(cmd, "NO", "[CANNOT] Invalid mailbox "
				      "name");
		return r < 0 ? r : 1;
	}
	return r;
}

static int
reply_store(struct imap_cmd *cmd, int r, const char *what)
{
	if (r < 0)
		return imap_reply_tagged(cmd, "NO", "%s", imap_store_error(r));
	return imap_reply_tagged(cmd, "OK", "%s completed.", what);
}

int
imap_cmd_create(struct imap_cmd *cmd)
{
	struct imap_acl_box ab;
	const char *name;
	int r = name_arg(cmd, 0, &name);

	if (r != 0)
		return r < 0 ? r : IMAP_CMD_DONE;
	if (strcasecmp(name, "INBOX") == 0 || strcasecmp(name, "INBOX.") == 0)
		return imap_reply_tagged(cmd, "NO", "[ALREADYEXISTS] INBOX "
					 "always exists");
	if ((r = imap_acl_require_create(cmd, name, &ab)) != 0)
		return r > 0 ? IMAP_CMD_DONE : r;	/* ACL hook: k */
	return reply_store(cmd, store_folder_create(ab.store, ab.name),
			   "Create");
}

int
imap_cmd_delete(struct imap_cmd *cmd)
{
	struct imap_acl_box ab;
	const char *name;
	int r = name_arg(cmd, 0, &name);

	if (r != 0)
		return r < 0 ? r : IMAP_CMD_DONE;
	if (strcmp(name, "INBOX") == 0)
		return imap_reply_tagged(cmd, "NO", "[CANNOT] INBOX cannot be "
					 "deleted");
	if ((r = imap_acl_require(cmd, name, STORE_ACL_DELETE, &ab)) != 0)
		return r > 0 ? IMAP_CMD_DONE : r;	/* ACL hook: x */
	return reply_store(cmd, store_folder_delete(ab.store, ab.name),
			   "Delete");
}

int
imap_cmd_rename(struct imap_cmd *cmd)
{
	struct imap_acl_box ab, ab2;
	const char *from, *to;
	int r = name_arg(cmd, 0, &from);

	if (r == 0)
		r = name_arg(cmd, 1, &to);
	if (r != 0)
		return r < 0 ? r : IMAP_CMD_DONE;
	if (strcmp(to, "INBOX") == 0)
		return imap_reply_tagged(cmd, "NO", "[ALREADYEXISTS] INBOX "
					 "always exists");
	if ((r = imap_acl_require(cmd, from, STORE_ACL_DELETE, &ab)) != 0 ||
	    (r = imap_acl_require_create(cmd, to, &ab2)) != 0)
		return r > 0 ? IMAP_CMD_DONE : r;	/* ACL hook: x, k */
	if (strcmp(ab.owner, ab2.owner) != 0)
		return imap_reply_tagged(cmd, "NO", "[CANNOT] Cannot move "
					 "folders between users");
	return reply_store(cmd, store_folder_rename(ab.store, ab.name,
						    ab2.name), "Rename");
}

int
imap_cmd_subscribe(struct imap_cmd *cmd)
{
	bool on = strcmp(cmd->name, "SUBSCRIBE") == 0;
	const char *name;
	int r = name_arg(cmd, 0, &name);

	if (r != 0)
		return r < 0 ? r : IMAP_CMD_DONE;
	r = store_subscribe(cmd->sess->store, name, on);
	if (r == -ERR_NOTFOUND && !on)
		return imap_reply_tagged(cmd, "NO", "[NONEXISTENT] Not "
					 "subscribed");
	return reply_store(cmd, r, on ? "Subscribe" : "Unsubscribe");
}
