/* Maildock - SPDX-License-Identifier: MIT
 *
 * The command table and the dispatcher: every check that does not depend
 * on a command's own syntax happens here, once, before the handler runs
 * (Redis processCommand, Postfix smtpd_cmd_table).
 */
#include "core/auth.h"
#include "core/error.h"
#include "core/log.h"
#include "core/session.h"
#include "core/stats.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "protocols/imap/imap-search-update.h"
#include "protocols/imap/imap-sort.h"
#include "core/compat.h"

#define SEL IMAP_ST_SELECTED
#define LOGGEDIN IMAP_ST_LOGGEDIN
#define ANY IMAP_ST_ANY
#define MANY 1000

/* sorted by name (strcmp) */
static const struct imap_command commands[] = {
	{ "APPEND", imap_cmd_append, LOGGEDIN, 1, MANY, IMAP_CMDF_STREAM },
	{ "AUTHENTICATE", imap_cmd_authenticate, IMAP_ST_NOAUTH, 1, 2,
	  IMAP_CMDF_PLAINTEXT },
	{ "CANCELUPDATE", imap_cmd_cancelupdate, SEL, 1, MANY, 0 },
	{ "CAPABILITY", imap_cmd_capability, ANY, 0, 0, 0 },
	{ "CHECK", imap_cmd_check, SEL, 0, 0, 0 },
	{ "CLOSE", imap_cmd_close, SEL, 0, 0, 0 },
	{ "COMPRESS", imap_cmd_compress, LOGGEDIN, 1, 1, 0 },
	{ "COPY", imap_cmd_copy, SEL, 2, 2, IMAP_CMDF_UID },
	{ "CREATE", imap_cmd_create, LOGGEDIN, 1, 2, 0 },
	{ "DELETE", imap_cmd_delete, LOGGEDIN, 1, 1, 0 },
	{ "DELETEACL", imap_cmd_setacl, LOGGEDIN, 2, 2, 0 },
	{ "ENABLE", imap_cmd_enable, IMAP_ST_AUTH, 1, MANY, 0 },
	{ "EXAMINE", imap_cmd_select, LOGGEDIN, 1, 2, 0 },
	{ "EXPUNGE", imap_cmd_expunge, SEL, 0, 1, IMAP_CMDF_UID },
	{ "FETCH", imap_cmd_fetch, SEL, 2, 3,
	  IMAP_CMDF_UID | IMAP_CMDF_NO_SYNC },
	{ "GETACL", imap_cmd_getacl, LOGGEDIN, 1, 1, 0 },
	{ "GETMETADATA", imap_cmd_getmetadata, LOGGEDIN, 2, 3, 0 },
	{ "GETQUOTA", imap_cmd_getquota, LOGGEDIN, 1, 1, 0 },
	{ "GETQUOTAROOT", imap_cmd_getquotaroot, LOGGEDIN, 1, 1, 0 },
	{ "ID", imap_cmd_id, ANY, 1, 1, 0 },
	{ "IDLE", imap_cmd_idle, LOGGEDIN, 0, 0, 0 },
	{ "LIST", imap_cmd_list, LOGGEDIN, 2, 5, 0 },
	{ "LISTRIGHTS", imap_cmd_listrights, LOGGEDIN, 2, 2, 0 },
	{ "LOGIN", imap_cmd_login, IMAP_ST_NOAUTH, 2, 2, IMAP_CMDF_PLAINTEXT },
	{ "LOGOUT", imap_cmd_logout, ANY, 0, 0, 0 },
	{ "LSUB", imap_cmd_list, LOGGEDIN, 2, 2, 0 },
	{ "MOVE", imap_cmd_copy, SEL, 2, 2, IMAP_CMDF_UID },
	{ "MYRIGHTS", imap_cmd_myrights, LOGGEDIN, 1, 1, 0 },
	{ "NAMESPACE", imap_cmd_namespace, LOGGEDIN, 0, 0, 0 },
	{ "NOOP", imap_cmd_noop, ANY, 0, 0, 0 },
	{ "RENAME", imap_cmd_rename, LOGGEDIN, 2, 2, 0 },
	{ "REPLACE", imap_cmd_replace, SEL, 2, 5,
	  IMAP_CMDF_UID | IMAP_CMDF_STREAM },
	{ "SEARCH", imap_cmd_search, SEL, 1, MANY,
	  IMAP_CMDF_UID | IMAP_CMDF_NO_SYNC },
	{ "SELECT", imap_cmd_select, LOGGEDIN, 1, 2, 0 },
	{ "SETACL", imap_cmd_setacl, LOGGEDIN, 3, 3, 0 },
	{ "SETMETADATA", imap_cmd_setmetadata, LOGGEDIN, 2, 2, 0 },
	{ "SETQUOTA", imap_cmd_setquota, LOGGEDIN, 2, 2, 0 },
	{ "SORT", imap_cmd_sort, SEL, 3, MANY,
	  IMAP_CMDF_UID | IMAP_CMDF_NO_SYNC },
	{ "STARTTLS", imap_cmd_starttls, IMAP_ST_NOAUTH, 0, 0, 0 },
	{ "STATUS", imap_cmd_status, LOGGEDIN, 2, 2, 0 },
	{ "STORE", imap_cmd_store, SEL, 3, 4,
	  IMAP_CMDF_UID | IMAP_CMDF_NO_SYNC },
	{ "SUBSCRIBE", imap_cmd_subscribe, LOGGEDIN, 1, 1, 0 },
	{ "THREAD", imap_cmd_thread, SEL, 3, MANY,
	  IMAP_CMDF_UID | IMAP_CMDF_NO_SYNC },
	{ "UNAUTHENTICATE", imap_cmd_unauthenticate, LOGGEDIN, 0, 0, 0 },
	{ "UNSELECT", imap_cmd_unselect, SEL, 0, 0, 0 },
	{ "UNSUBSCRIBE", imap_cmd_subscribe, LOGGEDIN, 1, 1, 0 },
};

const struct imap_command *
imap_command_find(const char *name)
{
	size_t lo = 0, hi = N_ELEMENTS(commands);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(name, commands[mid].name);
		if (r == 0)
			return &commands[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int
imap_cmd_bad_args(struct imap_cmd *cmd)
{
	return imap_reply_tagged(cmd, "BAD", "Invalid arguments");
}

const struct imap_command *
imap_command_find_uid(const struct imap_arg *arg)
{
	const struct imap_command *c;
	const char *sub;
	char up[16];
	size_t i;

	if (!imap_arg_atom(arg, &sub))
		return NULL;
	for (i = 0; sub[i] != '\0' && i + 1 < sizeof(up); i++)
		up[i] = (char)(sub[i] >= 'a' && sub[i] <= 'z' ?
			       sub[i] - 'a' + 'A' : sub[i]);
	up[i] = '\0';
	c = imap_command_find(up);
	return c != NULL && (c->flags & IMAP_CMDF_UID) != 0 ? c : NULL;
}

/* resolve_uid: "UID FETCH ..." -> FETCH with cmd->uid */
static const struct imap_command *
resolve_uid(struct imap_cmd *cmd)
{
	const struct imap_command *c;

	if (cmd->argc == 0 ||
	    (c = imap_command_find_uid(&cmd->args[0])) == NULL)
		return NULL;
	cmd->uid = true;
	cmd->name = c->name;
	cmd->args++;
	cmd->argc--;
	return c;
}

static int
check(struct imap_cmd *cmd, const struct imap_command *c)
{
	struct imap_session *sess = cmd->sess;

	if ((c->states & sess->state) == 0) {
		sess->bad_count++;
		if (sess->state == IMAP_ST_NOAUTH)
			return imap_reply_tagged(cmd, "BAD",
						 "Not logged in yet");
		if (c->states == IMAP_ST_NOAUTH)
			return imap_reply_tagged(cmd, "BAD",
						 "Already logged in");
		return imap_reply_tagged(cmd, "BAD", "No mailbox selected");
	}
	if (cmd->argc < c->min_args || cmd->argc > c->max_args)
		return imap_cmd_bad_args(cmd);
	if ((c->flags & IMAP_CMDF_PLAINTEXT) && !auth_plaintext_allowed(sess->s))
		return imap_reply_tagged(cmd, "NO", "[PRIVACYREQUIRED] "
				"Plaintext authentication disallowed on "
				"non-secure connections");
	return 1;
}

static int
handler_error(struct imap_cmd *cmd, int r)
{
	switch (r) {
	case -ERR_SYNTAX:
	case -ERR_INVAL:
		return imap_cmd_bad_args(cmd);
	case -ERR_LIMIT:
	case -ERR_NOMEM:
		return imap_reply_tagged(cmd, "NO", "[LIMIT] Too much data");
	case -ERR_EOF:
	case -ERR_IO:
	case -ERR_TIMEOUT:
	case -ERR_TLS:
	case -ERR_SHUTDOWN:
	case -ERR_KICKED:
		return r;
	default:
		return imap_reply_tagged(cmd, "NO", "%s", imap_store_error(r));
	}
}

int
imap_command_dispatch(struct imap_cmd *cmd)
{
	const struct imap_command *c = imap_command_find(cmd->name);
	int r;

	if (c != NULL && strcmp(c->name, "UID") == 0)
		c = NULL;
	if (c == NULL && strcmp(cmd->name, "UID") == 0) {
		c = resolve_uid(cmd);
		if (c == NULL) {
			cmd->sess->bad_count++;
			return imap_reply_tagged(cmd, "BAD",
						 "Unknown UID command");
		}
	}
	if (c == NULL) {
		cmd->sess->bad_count++;
		return imap_reply_tagged(cmd, "BAD", "Unknown command");
	}
	cmd->flags = c->flags;
	if (cmd->literal_pending && (c->flags & IMAP_CMDF_STREAM) == 0)
		return imap_reply_tagged(cmd, "BAD", "Unexpected literal");
	r = check(cmd, c);
	if (r <= 0) {
		if (r == 0 && cmd->literal_pending &&
		    imap_session_literal_refuse(cmd) < 0)
			return -ERR_LIMIT;
		return r;
	}
	/* only garbage counts towards the limit: unknown commands, syntax
	 * errors, commands in the wrong state, not a handler's BAD */
	cmd->sess->bad_count = 0;
	if (log_get_level() >= LOG_LEVEL_DEBUG) {
		/* the name only: arguments (passwords) are never logged */
		char tag[80];
		slog_debug(cmd->sess->s, "command tag=%s name=%s%s",
			   log_quote_cstr(tag, sizeof(tag), cmd->tag),
			   cmd->uid ? "UID " : "", c->name);
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = c->fn(cmd);
	stats_command("imap", c->name, stats_usec_since(&t0), r);
	if (r < 0)
		r = handler_error(cmd, r);
	return r;
}

const char *
imap_store_error(int err)
{
	switch (err) {
	case -ERR_NOTFOUND:
		return "[NONEXISTENT] No such mailbox";
	case -ERR_EXISTS:
		return "[ALREADYEXISTS] Mailbox already exists";
	case -ERR_QUOTA:
	case -ERR_NOSPACE:
		return "[OVERQUOTA] Quota exceeded";
	case -ERR_LIMIT:
		return "[LIMIT] Limit reached";
	case -ERR_PERM:
		return "[CANNOT] Operation not permitted";
	case -ERR_INVAL:
		return "[CANNOT] Invalid mailbox name";
	case -ERR_TIMEOUT:
	case -ERR_BUSY:
	case -ERR_TEMP:
		return "[UNAVAILABLE] Temporary failure, try again";
	default:
		return "[SERVERBUG] Internal error";
	}
}
