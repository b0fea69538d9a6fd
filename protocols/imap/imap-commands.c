/* Maildock - SPDX-License-Identifier: MIT
 *
 * The command table and the dispatcher: every check that does not depend
 * on a command's own syntax happens here, once, before the handler runs
 * (Redis processCommand, Postfix smtpd_cmd_table).
 */
#include <stdarg.h>
#include "core/auth.h"
#include "core/error.h"
#include "core/log.h"
#include "core/session.h"
#include "core/stats.h"
#include "protocols/mailerr.h"
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
	return imap_command_done(cmd, "BAD", "Invalid arguments");
}

int
imap_command_done(struct imap_cmd *cmd, const char *status,
		  const char *fmt, ...)
{
	struct sbuf b;
	va_list ap;

	sbuf_init(&b, cmd->arena, IMAP_REPLY_LINE_MAX);
	va_start(ap, fmt);
	sbuf_vappendf(&b, fmt, ap);
	va_end(ap);
	cmd->result.status = status;
	cmd->result.code = NULL;
	cmd->result.text = b.data;
	if (sbuf_failed(&b))
		cmd->result.text = "[SERVERBUG] Reply too long";
	return IMAP_CMD_DONE;
}

int
imap_command_finish(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;
	int r, sr = 0;

	if (cmd->answered)
		return IMAP_CMD_DONE;
	cmd->answered = true;
	/* untagged updates go before the tagged line of a command that ran;
	 * never EXPUNGE during FETCH, STORE or SEARCH (RFC 3501 7.4.1) */
	if (cmd->admitted && (cmd->flags & IMAP_CMDF_NO_SYNC) == 0 &&
	    (sr = imap_sync_mailbox(sess)) < 0 && sr != -ERR_TIMEOUT &&
	    sr != -ERR_IO && sr != -ERR_NOTFOUND)
		return sr;
	/* a STORE's or FETCH's own flag changes reach updating searches
	 * (RFC 5267 4.3: not EXPUNGE, so allowed here) */
	if (cmd->admitted && (cmd->flags & IMAP_CMDF_NO_SYNC) != 0 &&
	    sess->state == IMAP_ST_SELECTED)
		(void)imap_search_update_sync(sess);
	if (cmd->result.status == NULL) {
		/* a handler that decided nothing is a bug, never silence */
		slog_error(sess->s, "imap: %s ended without an answer",
			   cmd->name != NULL ? cmd->name : "command");
		cmd->result.status = "NO";
		cmd->result.code = NULL;
		cmd->result.text = "[SERVERBUG] Internal error";
	}
	r = imap_reply_tagged(sess, cmd->tag, &cmd->result);
	if (r >= 0 && sr == -ERR_NOTFOUND) {
		/* the selected mailbox is gone: the command's own answer
		 * first (a DELETE of it did succeed), then the end of the
		 * session (imap_sync_gone) */
		imap_sync_gone(sess);
		return sr;
	}
	return r;
}

/* find_uid: the row of the command that arg (an atom in any case) names
 * after "UID ", or NULL when arg is not one that may follow UID */
static const struct imap_command *
find_uid(const struct imap_arg *arg)
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

const struct imap_command *
imap_command_row(const char *name, const struct imap_arg *args, unsigned argc)
{
	if (name == NULL)
		return NULL;
	if (strcmp(name, "UID") == 0)
		return argc > 0 ? find_uid(&args[0]) : NULL;
	return imap_command_find(name);
}

/* refuse: answer status text for a command that will not run; garbage
 * (unknown, wrong state) counts towards imap.max_bad_commands */
static int
refuse(struct imap_cmd *cmd, bool garbage, const char *status,
       const char *text)
{
	if (garbage)
		cmd->sess->bad_count++;
	imap_command_done(cmd, status, "%s", text);
	return IMAP_ADMIT_REFUSED;
}

/* admit_literal: a literal that is not the handler's message is read
 * only within the limits; else it is refused before any "+" (RFC 3501
 * 7.5), also when it would take the command past imap.max_command */
static int
admit_literal(struct imap_cmd *cmd, const struct imap_literal_ask *lit)
{
	const struct imap_settings *set = cmd->sess->set;
	uint64_t limit = cmd->sess->state == IMAP_ST_NOAUTH ?
			 set->max_literal_preauth : set->max_literal;

	if (lit->sync && lit->literal8)	/* ~{n} only as APPEND's UTF8 data */
		return refuse(cmd, true, "BAD", "Unexpected literal8");
	if (lit->size <= limit && lit->fits)
		return IMAP_ADMIT_OK;
	return lit->sync ? refuse(cmd, false, "BAD", "[TOOBIG] Literal too big")
			 : -ERR_LIMIT;
}

int
imap_command_admit(struct imap_cmd *cmd, const struct imap_command *c,
		   const struct imap_literal_ask *lit)
{
	struct imap_session *sess = cmd->sess;

	/* a non-synchronizing literal comes whatever the answer: its
	 * command is judged whole, at dispatch */
	if (lit != NULL && !lit->sync)
		return lit->message && c != NULL &&
		       (c->states & sess->state) != 0 ? IMAP_ADMIT_STREAM :
		       admit_literal(cmd, lit);
	if (c == NULL)
		return refuse(cmd, true, "BAD", cmd->name != NULL &&
			      strcmp(cmd->name, "UID") == 0 ?
			      "Unknown UID command" : "Unknown command");
	if ((c->states & sess->state) == 0)
		return refuse(cmd, true, "BAD",
			      sess->state == IMAP_ST_NOAUTH ?
			      "Not logged in yet" :
			      c->states == IMAP_ST_NOAUTH ?
			      "Already logged in" : "No mailbox selected");
	if (lit != NULL && lit->message)
		return IMAP_ADMIT_STREAM;
	if (lit == NULL &&
	    (cmd->argc < c->min_args || cmd->argc > c->max_args))
		return refuse(cmd, false, "BAD", "Invalid arguments");
	/* never invite or take a password on a connection without TLS */
	if ((c->flags & IMAP_CMDF_PLAINTEXT) &&
	    !auth_plaintext_allowed(sess->s))
		return refuse(cmd, false, "NO", "[PRIVACYREQUIRED] Plaintext "
			      "authentication disallowed on non-secure "
			      "connections");
	return lit != NULL ? admit_literal(cmd, lit) : IMAP_ADMIT_OK;
}

int
imap_command_error(struct imap_cmd *cmd, int err)
{
	const struct mailerr *e = mailerr_get(err);

	cmd->result.status = "NO";
	cmd->result.code = e->imap_code;
	cmd->result.text = e->imap_text;
	return IMAP_CMD_DONE;
}

/* handler_error: the answer for a handler's negative result r, or r when
 * it ends the session */
static int
handler_error(struct imap_cmd *cmd, int r)
{
	/* the server stops, or the administrator ended the session */
	if (r == -ERR_SHUTDOWN || r == -ERR_KICKED)
		return r;
	/* a handler that knew more than the error's kind (the ACL right
	 * missing, TRYCREATE) set its answer before failing, as Dovecot's
	 * mail_storage_set_error does; if the connection broke meanwhile,
	 * writing it fails (conn errors are sticky) and the session ends */
	if (cmd->result.status != NULL)
		return IMAP_CMD_DONE;
	switch (r) {
	case -ERR_EOF:
	case -ERR_IO:
	case -ERR_TIMEOUT:
	case -ERR_TLS:
		return r;	/* a failed read or write */
	case -ERR_SYNTAX:
		return imap_cmd_bad_args(cmd);	/* the client's mistake */
	default:
		return imap_command_error(cmd, r);
	}
}

int
imap_command_dispatch(struct imap_cmd *cmd)
{
	const struct imap_command *c = imap_command_row(cmd->name, cmd->args,
							cmd->argc);
	int r;

	if (c != NULL && strcmp(cmd->name, "UID") == 0) {
		/* "UID FETCH ..." runs FETCH with cmd->uid */
		cmd->uid = true;
		cmd->name = c->name;
		cmd->args++;
		cmd->argc--;
	}
	if (c != NULL)
		cmd->flags = c->flags;
	if (imap_command_admit(cmd, c, NULL) != IMAP_ADMIT_OK)
		return imap_command_finish(cmd);
	cmd->admitted = true;
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
	if (r == IMAP_CMD_PARKED)
		return r;
	if (r < 0 && (r = handler_error(cmd, r)) < 0)
		return r;
	return imap_command_finish(cmd);
}
