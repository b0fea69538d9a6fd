/* Maildock - SPDX-License-Identifier: MIT
 *
 * Mailbox management: CREATE, DELETE, RENAME (RFC 3501 6.3.3-6.3.5) and
 * SUBSCRIBE/UNSUBSCRIBE (6.3.6-6.3.7). Names arrive in modified UTF-7 and
 * are handed to storage in UTF-8; INBOX's special rules are checked here.
 * CREATE takes RFC 4466 create-params: USE (RFC 6154 3, CREATE-SPECIAL-USE).
 */
#include <strings.h>
#include "core/error.h"
#include "storage/store.h"
#include "storage/store-specialuse.h"
#include "protocols/mailerr.h"
#include "storage/store-info.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "protocols/imap/imap-search-index.h"
#include "core/compat.h"

static int
reply_store(struct imap_cmd *cmd, int r, const char *what)
{
	if (r < 0)
		return imap_command_error(cmd, r);
	return imap_command_done(cmd, "OK", "%s completed.", what);
}

/* create_uses: "(USE (\Sent ...))" (RFC 6154 3 within RFC 4466's
 * create-params) into uses (canonical, space-separated, no repeats).
 * -ERR_SYNTAX for a malformed or unknown parameter (BAD), -ERR_INVAL for
 * an attribute that is not a special use Maildock has (NO [USEATTR]). */
static int
create_uses(const struct imap_arg *arg, char *uses, size_t size)
{
	const struct imap_arg *params, *attrs;
	unsigned np, na;
	size_t len = 0;

	uses[0] = '\0';
	if (!imap_arg_list(arg, &params, &np) || np == 0)
		return -ERR_SYNTAX;
	for (unsigned i = 0; i < np; i += 2) {
		if (!imap_arg_atom_eq(&params[i], "USE") || i + 1 >= np ||
		    !imap_arg_list(&params[i + 1], &attrs, &na))
			return -ERR_SYNTAX;
		for (unsigned j = 0; j < na; j++) {
			const char *a, *canon;
			if (!imap_arg_atom(&attrs[j], &a) || a[0] != '\\')
				return -ERR_SYNTAX;
			if ((canon = imap_cmd_special_use_name(a)) == NULL)
				return -ERR_INVAL;
			if (strstr(uses, canon) != NULL)
				continue;
			len += (size_t)snprintf(uses + len, size - len, "%s%s",
						len > 0 ? " " : "", canon);
		}
	}
	return len < size ? 0 : -ERR_LIMIT;
}

/* create_special: store uses for the new folder; a folder that cannot
 * get them is removed again (RFC 6154 3: MUST NOT create it then) */
static int
create_special(struct imap_cmd *cmd, struct imap_acl_box *ab,
	       const char *uses)
{
	char id[STORE_OBJECTID_SIZE], name[STORE_NAME_MAXLEN + 1];
	size_t len;
	int r;

	if (uses[0] != '\0' &&
	    (r = store_specialuse_set(ab->store, ab->name, uses)) < 0) {
		(void)store_folder_delete(ab->store, ab->name);
		return imap_command_done(cmd, "NO", "[USEATTR] Cannot set the "
					 "special use: %s",
					 mailerr_get(r)->imap_text);
	}
	/* RFC 8474 4.1: the new folder's MAILBOXID; "name." makes name */
	str_copy(name, ab->name, sizeof(name));
	if ((len = strlen(name)) > 0 && name[len - 1] == '.')
		name[len - 1] = '\0';
	if (store_folder_id(ab->store, name, id, sizeof(id)) == 0)
		return imap_command_done(cmd, "OK", "[MAILBOXID (%s)] Create "
					 "completed.", id);
	return imap_command_done(cmd, "OK", "Create completed.");
}

int
imap_cmd_create(struct imap_cmd *cmd)
{
	struct imap_acl_box ab;
	char uses[STORE_SPECIALUSE_MAX + 1] = "";
	const char *name;
	int r = imap_session_mailbox_arg(cmd, &cmd->args[0], &name);

	if (r < 0)
		return r;
	if (cmd->argc > 1 &&
	    (r = create_uses(&cmd->args[1], uses, sizeof(uses))) < 0) {
		if (r != -ERR_INVAL)
			return imap_cmd_bad_args(cmd);
		return imap_command_done(cmd, "NO", "[USEATTR] Unsupported "
					 "special-use attribute");
	}
	if (strcasecmp(name, "INBOX") == 0 || strcasecmp(name, "INBOX.") == 0)
		return imap_command_done(cmd, "NO", "[ALREADYEXISTS] INBOX "
					 "always exists");
	if ((r = imap_acl_require_create(cmd, name, &ab)) < 0)
		return r;	/* ACL hook: k */
	if ((r = store_folder_create(ab.store, ab.name)) < 0)
		return reply_store(cmd, r, "Create");
	return create_special(cmd, &ab, uses);
}

int
imap_cmd_delete(struct imap_cmd *cmd)
{
	struct imap_acl_box ab;
	char id[STORE_OBJECTID_SIZE];
	const char *name;
	bool own;
	int r = imap_session_mailbox_arg(cmd, &cmd->args[0], &name);

	if (r < 0)
		return r;
	if (strcmp(name, "INBOX") == 0)
		return imap_command_done(cmd, "NO", "[CANNOT] INBOX cannot be "
					 "deleted");
	if ((r = imap_acl_require(cmd, name, STORE_ACL_DELETE, &ab)) < 0)
		return r;	/* ACL hook: x */
	/* the full-text index's entries go with the folder */
	own = ab.store == cmd->sess->store &&
	      store_folder_id(ab.store, ab.name, id, sizeof(id)) == 0;
	if ((r = store_folder_delete(ab.store, ab.name)) == 0 && own)
		imap_search_index_folder_gone(cmd, id);
	return reply_store(cmd, r, "Delete");
}

int
imap_cmd_rename(struct imap_cmd *cmd)
{
	struct imap_acl_box ab, ab2;
	const char *from, *to;
	int r = imap_session_mailbox_arg(cmd, &cmd->args[0], &from);

	if (r == 0)
		r = imap_session_mailbox_arg(cmd, &cmd->args[1], &to);
	if (r < 0)
		return r;
	if (strcmp(to, "INBOX") == 0)
		return imap_command_done(cmd, "NO", "[ALREADYEXISTS] INBOX "
					 "always exists");
	if ((r = imap_acl_require(cmd, from, STORE_ACL_DELETE, &ab)) < 0 ||
	    (r = imap_acl_require_create(cmd, to, &ab2)) < 0)
		return r;	/* ACL hook: x, k */
	if (strcmp(ab.owner, ab2.owner) != 0)
		return imap_command_done(cmd, "NO", "[CANNOT] Cannot move "
					 "folders between users");
	return reply_store(cmd, store_folder_rename(ab.store, ab.name,
						    ab2.name), "Rename");
}

int
imap_cmd_subscribe(struct imap_cmd *cmd)
{
	bool on = strcmp(cmd->name, "SUBSCRIBE") == 0;
	const char *name;
	int r = imap_session_mailbox_arg(cmd, &cmd->args[0], &name);

	if (r < 0)
		return r;
	r = store_subscribe(cmd->sess->store, name, on);
	if (r == -ERR_NOTFOUND && !on)
		return imap_command_done(cmd, "NO", "[NONEXISTENT] Not "
					 "subscribed");
	return reply_store(cmd, r, on ? "Subscribe" : "Unsubscribe");
}
