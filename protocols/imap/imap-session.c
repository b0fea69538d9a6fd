/* Maildock - SPDX-License-Identifier: MIT
 *
 * The IMAP session: greeting, the command loop (lines and literals fed to
 * the parser, limits checked before any "+ "), the state machine
 * NOAUTH/AUTH/SELECTED/LOGOUT, autologout, the untagged updates of a
 * selected mailbox, and "* BYE" when the server stops.
 */
#include <strings.h>
#include "core/arena.h"
#include "core/auth.h"
#include "core/conf.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/session.h"
#include "storage/store.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "protocols/imap/imap-search-update.h"
#include "core/compat.h"

#define RFC3501_MIN_AUTOLOGOUT 1800	/* RFC 3501 5.4: at least 30 min */
#define CMD_ARENA_MIN (4u * 1024 * 1024)

static void
parser_limits(const struct imap_session *sess, struct imap_parser_limits *l)
{
	bool in = sess->state != IMAP_ST_NOAUTH;

	l->line_max = sess->set->max_line_length;
	l->tag_max = 64;
	l->literal_max = in ? sess->set->max_literal :
			 sess->set->max_literal_preauth;
	l->command_max = in ? sess->set->max_command :
			 sess->set->max_line_length +
			 2 * sess->set->max_literal_preauth;
	l->depth_max = sess->set->max_list_depth;
}

void
imap_session_logged_in(struct imap_session *sess, struct auth_user *user,
		       struct store_user *store)
{
	struct imap_parser_limits l;

	sess->user = user;
	sess->store = store;
	sess->state = IMAP_ST_AUTH;
	session_logged_in(sess->s, user->user);
	if (sess->s->set->idle_timeout != 0 &&
	    sess->s->set->idle_timeout < RFC3501_MIN_AUTOLOGOUT)
		conn_set_timeout(sess->conn, RFC3501_MIN_AUTOLOGOUT);
	parser_limits(sess, &l);
	imap_parser_set_limits(sess->parser, &l);
}

void
imap_session_logged_out(struct imap_session *sess)
{
	struct imap_parser_limits l;

	imap_session_unselect(sess);
	store_user_close(&sess->store);
	sess->user = NULL;	/* in s->arena, bounded by its cap */
	sess->state = IMAP_ST_NOAUTH;
	/* RFC 8437 3: what ENABLE turned on ends with the authentication */
	sess->enabled = 0;
	imap_parser_set_utf8(sess->parser, false);
	session_logged_out(sess->s);
	parser_limits(sess, &l);
	imap_parser_set_limits(sess->parser, &l);
}

void
imap_session_unselect(struct imap_session *sess)
{
	store_mailbox_close(&sess->box);
	sess->acl = NULL;	/* lived in box_arena */
	arena_free(&sess->box_arena);
	imap_cmd_searchres_set(sess, NULL, 0);	/* RFC 5182 2.1 */
	imap_search_update_clear(sess);		/* RFC 5267 4.3.5 */
	sess->box_name = NULL;
	sess->readonly = false;
	if (sess->state == IMAP_ST_SELECTED)
		sess->state = IMAP_ST_AUTH;
}

int
imap_session_read_line(struct imap_session *sess, size_t max,
		       struct sview *line_r)
{
	return conn_read_line(sess->conn, max, line_r);
}

bool
imap_session_writable(const struct imap_session *sess)
{
	return sess->state == IMAP_ST_SELECTED && !sess->readonly &&
	       imap_acl_may(sess, STORE_ACL_SEEN);
}

int
imap_session_seqs(struct imap_cmd *cmd, const struct imap_arg *arg,
		  uint32_t **seqs_r, uint32_t *n_r)
{
	struct imap_session *sess = cmd->sess;
	uint32_t count = store_mailbox_count(sess->box), n = 0, *seqs;
	struct imap_seqset set;
	const char *s;
	int r;

	*seqs_r = NULL;
	*n_r = 0;
	if (!imap_arg_atom(arg, &s))
		return -ERR_SYNTAX;
	if (strcmp(s, "$") == 0)	/* SEARCHRES (RFC 5182 2.1) */
		return imap_cmd_searchres_seqs(cmd, seqs_r, n_r);
	if ((r = imap_seqset_parse(cmd->arena, s, &set)) < 0)
		return r;
	if (cmd->uid) {
		const struct store_msg *last = store_msg_get(sess->box, count);
		r = imap_seqset_resolve(&set, last != NULL ? last->uid : 0,
					false);
	} else {
		r = imap_seqset_resolve(&set, count, true);
	}
	if (r == -ERR_INVAL)	/* a number past EXISTS: the client's error */
		return -ERR_SYNTAX;
	if (r < 0)
		return r;
	seqs = arena_alloc(cmd->arena, (count ? count : 1) * sizeof(*seqs));
	if (seqs == NULL)
		return -ERR_NOMEM;
	if (cmd->uid) {
		for (uint32_t seq = 1; seq <= count; seq++) {
			const struct store_msg *m = store_msg_get(sess->box, seq);
			if (m != NULL && imap_seqset_contains(&set, m->uid))
				seqs[n++] = seq;
		}
	} else {
		for (unsigned i = 0; i < set.count; i++)
			for (uint64_t q = set.ranges[i].lo;
			     q <= set.ranges[i].hi && q <= count; q++)
				seqs[n++] = (uint32_t)q;
	}
	*seqs_r = seqs;
	*n_r = n;
	return 0;
}

int
imap_session_mailbox_arg(struct imap_cmd *cmd, const struct imap_arg *arg,
			 const char **name_r)
{
	const char *s;
	char *out;
	size_t len, size;
	int n;

	if (!imap_arg_astring(arg, &s) || arg->has_nul || arg->literal8)
		return -ERR_SYNTAX;
	len = strlen(s);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -ERR_INVAL;	/* never CR/LF in a name */
	if (strcasecmp(s, "INBOX") == 0) {
		*name_r = "INBOX";
		return 0;
	}
	size = len * 4 + 1;
	out = arena_alloc(cmd->arena, size);
	if (out == NULL)
		return -ERR_NOMEM;
	if (IMAP_UTF8(cmd->sess)) {
		/* RFC 6855 3: names are UTF-8 once UTF8=ACCEPT is enabled */
		if (!imap_arg_utf8_valid(s, len))
			return -ERR_INVAL;
		memcpy(out, s, len + 1);
	} else if ((n = store_mutf7_decode(s, len, out, size)) < 0) {
		return -ERR_INVAL;
	}
	/* "inbox.sub" keeps INBOX's canonical spelling */
	if (strncasecmp(out, "INBOX.", 6) == 0)
		memcpy(out, "INBOX", 5);
	*name_r = imap_namespace_strip(cmd->sess, out);
	return 0;
}

/* feed_literal: read a literal of size octets through the parser */
static int
feed_literal(struct imap_session *sess, uint64_t size)
{
	char buf[16384];
	size_t got, used;
	int r;

	while (size > 0) {
		size_t want = size < sizeof(buf) ? (size_t)size : sizeof(buf);
		if ((r = conn_read(sess->conn, buf, want, &got)) < 0)
			return r;
		if ((r = imap_parser_feed(sess->parser, buf, got, &used)) < 0)
			return r;
		size -= got;
	}
	r = imap_parser_feed(sess->parser, "", 0, &used);
	return r < 0 ? r : 0;
}

static void
fill_cmd(struct imap_session *sess, struct imap_cmd *cmd)
{
	cmd->tag = imap_parser_tag(sess->parser);
	cmd->name = imap_parser_name(sess->parser);
	cmd->args = imap_parser_args(sess->parser, &cmd->argc);
}

void
imap_session_bye(struct imap_session *sess, const char *text)
{
	conn_printf(sess->conn, "* BYE %s\r\n", text);
	conn_flush(sess->conn);
	sess->bye_sent = true;
}

static int
bye(struct imap_session *sess, const char *text, int err)
{
	imap_session_bye(sess, text);
	return err;
}

/* head_tag: the tag of a line conn_read_line threw away for its length
 * (RFC 3501 9: tag = 1*<ASTRING-CHAR except "+">), in cmd's arena, or NULL
 * when its start is no tag followed by a space */
static const char *
head_tag(struct imap_session *sess, struct imap_cmd *cmd)
{
	const char *p;
	size_t n = conn_line_head(sess->conn, &p), len = 0;

	while (len < n && len <= 64 && p[len] > 0x20 && p[len] < 0x7f &&
	       strchr("(){%*\"\\+", p[len]) == NULL)
		len++;
	if (len == 0 || len > 64 || len == n || p[len] != ' ')
		return NULL;
	return arena_strndup(cmd->arena, p, len);
}

/* stream_position: whether the announced literal is the message of c: a
 * top-level plain literal after c's min_args arguments (APPEND's mailbox,
 * REPLACE's message number and mailbox), or the first element of the
 * list after "UTF8" (RFC 6855 4: UTF8 (~{n}...)) */
static bool
stream_position(struct imap_session *sess, const struct imap_command *c,
		unsigned skip, bool top, unsigned argc)
{
	const struct imap_arg *a;
	unsigned depth, count, n, min = c->min_args + skip;

	if (top)	/* {n}, or ~{n} (BINARY, RFC 3516 4.4) */
		return argc >= min;
	depth = imap_parser_depth(sess->parser, &count);
	a = imap_parser_args(sess->parser, &n);
	return depth == 1 && count == 0 && n >= min + 2 &&
	       imap_parser_literal8(sess->parser) &&
	       a[n - 1].type == IMAP_ARG_LIST &&
	       imap_arg_atom_eq(&a[n - 2], "UTF8");
}

/* is_message: whether the announced literal is the message of row c
 * (APPEND, REPLACE: the rows that stream it) */
static bool
is_message(struct imap_session *sess, const struct imap_command *c,
	   const char *name, bool top, unsigned argc)
{
	if (c == NULL || (c->flags & IMAP_CMDF_STREAM) == 0)
		return false;
	return stream_position(sess, c, strcmp(name, "UID") == 0 ? 1 : 0,
			       top, argc);
}

/* on_literal: 1 = the handler streams it (cmd filled), 0 = read, keep
 * parsing, 2 = refused (the answer in cmd->result), < 0 = end the
 * session */
static int
on_literal(struct imap_session *sess, struct imap_cmd *cmd)
{
	const struct imap_command *c;
	struct imap_literal_ask lit;
	unsigned argc;
	bool top;
	int r;

	imap_parser_literal(sess->parser, &lit.size, &lit.sync, &top, &argc);
	lit.literal8 = imap_parser_literal8(sess->parser);
	lit.fits = imap_parser_literal_fits(sess->parser);
	fill_cmd(sess, cmd);
	c = imap_command_row(cmd->name, cmd->args, cmd->argc);
	lit.message = is_message(sess, c, cmd->name, top, argc);
	r = imap_command_admit(cmd, c, &lit);
	if (r == -ERR_LIMIT)	/* its bytes must never run as commands */
		return bye(sess, "[TOOBIG] Literal too big", -ERR_LIMIT);
	if (r == IMAP_ADMIT_REFUSED)
		return 2;
	if (r == IMAP_ADMIT_STREAM) {
		cmd->literal_pending = true;
		cmd->literal_sync = lit.sync;
		cmd->literal_size = cmd->literal_left = lit.size;
		return 1;
	}
	if (lit.sync &&
	    (r = imap_reply_continue(sess, "Ready for literal data")) < 0)
		return r;
	r = feed_literal(sess, lit.size);
	return r < 0 ? r : 0;
}

static bool
ends_with_nonsync(struct sview line)
{
	return line.len >= 2 && line.p[line.len - 1] == '}' &&
	       line.p[line.len - 2] == '+';
}

static int
parse_error(struct imap_session *sess, struct imap_cmd *cmd, int err,
	    struct sview line)
{
	const char *why = imap_parser_error(sess->parser);
	int r;

	if (err != -ERR_SYNTAX && err != -ERR_LIMIT)
		return err;	/* conn errors end the session */
	/* after a bad line announcing a non-synchronizing literal the
	 * client sends data we cannot frame: close */
	if (ends_with_nonsync(line))
		return bye(sess, "Invalid command with literal", -ERR_SYNTAX);
	cmd->tag = imap_parser_tag(sess->parser);
	sess->bad_count++;
	if (err == -ERR_LIMIT)
		r = imap_command_done(cmd, "BAD", "[TOOBIG] %s", why);
	else
		r = imap_command_done(cmd, "BAD", "Syntax error: %s", why);
	return r;
}

/* read_command: 1 = cmd ready, 0 = refused before it could run (the
 * answer in cmd->result), < 0 = end */
static int
read_command(struct imap_session *sess, struct imap_cmd *cmd)
{
	struct sview line;
	size_t used;
	int r;

	for (;;) {
		r = conn_read_line(sess->conn, sess->set->max_line_length, &line);
		if (r == -ERR_LIMIT) {
			/* the line was discarded whole, never cut and run;
			 * its tag is still answered (RFC 3501 2.2.2) */
			sess->bad_count++;
			cmd->tag = imap_parser_tag(sess->parser);
			if (cmd->tag == NULL)
				cmd->tag = head_tag(sess, cmd);
			r = imap_command_done(cmd, "BAD", "[TOOBIG] Line too long");
			return r < 0 ? r : 0;
		}
		if (r < 0)
			return r;
		r = imap_parser_feed(sess->parser, line.p, line.len, &used);
		if (r == IMAP_PARSE_MORE)
			r = imap_parser_feed(sess->parser, "\r\n", 2, &used);
		if (r == IMAP_PARSE_DONE) {
			fill_cmd(sess, cmd);
			return 1;
		}
		if (r == IMAP_PARSE_LITERAL) {
			r = on_literal(sess, cmd);
			if (r != 0)
				return r == 2 ? 0 : r;
			continue;
		}
		if (r < 0)
			return parse_error(sess, cmd, r, line);
	}
}

int
imap_session_literal_begin(struct imap_cmd *cmd)
{
	if (!cmd->literal_sync)
		return 0;
	return imap_reply_continue(cmd->sess, "Ready for literal data");
}

int
imap_session_literal_read(struct imap_cmd *cmd, void *buf, size_t n,
			  size_t *got_r)
{
	*got_r = 0;
	if (cmd->literal_left == 0)
		return 0;
	if (n > cmd->literal_left)
		n = (size_t)cmd->literal_left;
	int r = conn_read(cmd->sess->conn, buf, n, got_r);
	if (r == 0)
		cmd->literal_left -= *got_r;
	return r;
}

/* catenate_list: the literal is an element of an open "CATENATE (" list
 * (RFC 4469 5), directly in it */
static bool
catenate_list(struct imap_session *sess)
{
	const struct imap_arg *a;
	unsigned count, n;

	a = imap_parser_args(sess->parser, &n);
	return imap_parser_depth(sess->parser, &count) == 1 && n >= 2 &&
	       a[n - 1].type == IMAP_ARG_LIST &&
	       imap_arg_atom_eq(&a[n - 2], "CATENATE");
}

/* list_literal: a literal in a list after a streamed message (APPEND's
 * CATENATE TEXT), under the limits of any literal of a command: 0, or
 * -ERR_SYNTAX (too big, synchronizing: no "+" was sent), -ERR_LIMIT (too
 * big, non-synchronizing: cannot be framed) or a conn error */
static int
list_literal(struct imap_session *sess, uint64_t size, bool sync)
{
	int r;

	if (size > sess->set->max_literal ||
	    !imap_parser_literal_fits(sess->parser) ||
	    (sync && imap_parser_literal8(sess->parser)))
		return sync ? -ERR_SYNTAX : -ERR_LIMIT;
	if (sync && (r = imap_reply_continue(sess, "Ready for literal "
					     "data")) < 0)
		return r;
	return feed_literal(sess, size);
}

int
imap_session_literal_end(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;
	struct sview line;
	size_t used;
	int r;

	if (cmd->literal_left > 0 &&
	    (r = conn_skip(sess->conn, cmd->literal_left)) < 0)
		return r;
	cmd->literal_left = 0;
	cmd->literal_pending = false;
	imap_parser_literal_skip(sess->parser);
	for (;;) {
		r = conn_read_line(sess->conn, sess->set->max_line_length, &line);
		if (r == -ERR_LIMIT)
			return -ERR_SYNTAX;
		if (r < 0)
			return r;
		r = imap_parser_feed(sess->parser, line.p, line.len, &used);
		if (r == IMAP_PARSE_MORE)
			r = imap_parser_feed(sess->parser, "\r\n", 2, &used);
		if (r == IMAP_PARSE_DONE) {
			cmd->args = imap_parser_args(sess->parser, &cmd->argc);
			return 0;
		}
		if (r == IMAP_PARSE_LITERAL) {
			/* the next message of a MULTIAPPEND (RFC 3502);
			 * a literal anywhere else: a synchronizing one was
			 * not sent yet, a non-synchronizing one cannot be
			 * framed */
			const struct imap_command *sc;
			const struct imap_arg *a;
			uint64_t size;
			bool sync, top;
			unsigned argc, n;
			imap_parser_literal(sess->parser, &size, &sync, &top,
					    &argc);
			a = imap_parser_args(sess->parser, &n);
			sc = imap_command_row(imap_parser_name(sess->parser), a,
					      n);
			if (sc != NULL && (sc->flags & IMAP_CMDF_STREAM) &&
			    !top && catenate_list(sess)) {
				/* a literal inside a list (CATENATE's TEXT,
				 * RFC 4469 5): read with the command */
				if ((r = list_literal(sess, size, sync)) < 0)
					return r;
				continue;
			}
			if (!is_message(sess, sc, imap_parser_name(sess->parser),
					top, argc))
				return sync ? -ERR_SYNTAX : -ERR_LIMIT;
			cmd->args = imap_parser_args(sess->parser, &cmd->argc);
			cmd->literal_pending = true;
			cmd->literal_sync = sync;
			cmd->literal_size = cmd->literal_left = size;
			return 1;
		}
		if (ends_with_nonsync(line))
			return -ERR_LIMIT;
		if (r < 0)
			return r == -ERR_LIMIT ? -ERR_SYNTAX : r;
	}
}

int
imap_session_literal_refuse(struct imap_cmd *cmd)
{
	int r;

	while (cmd->literal_pending) {
		if (cmd->literal_sync) {
			/* the client sends nothing more for this command */
			cmd->literal_pending = false;
			return 0;
		}
		if (cmd->literal_size > cmd->sess->set->max_append)
			return -ERR_LIMIT;
		/* read and drop it, then the rest of the command, which
		 * may announce the next message of a MULTIAPPEND */
		if ((r = imap_session_literal_end(cmd)) < 0)
			return r == -ERR_SYNTAX ? 0 : r;
	}
	return 0;
}

static void
greet(struct imap_session *sess)
{
	struct sbuf b;

	sbuf_init(&b, sess->cmd_arena, 4096);
	sbuf_appends(&b, "* OK [CAPABILITY ");
	imap_session_capability(sess, &b);
	sbuf_appendf(&b, "] %s", sess->set->greeting);
	imap_reply_line(sess, &b);
	conn_flush(sess->conn);
}

/* end_reason: the log's reason; a session that ends for any other cause
 * than the client's LOGOUT or its closing says why in "* BYE" (RFC 3501
 * 7.1.5), so that a command whose tag was read is never left without an
 * answer */
static const char *
end_reason(struct imap_session *sess, int r)
{
	static const struct {
		int err;
		const char *reason, *bye;
	} ends[] = {
		{ 0, "logout", NULL },
		{ -ERR_EOF, "eof", NULL },
		{ -ERR_SHUTDOWN, "shutdown", "Server shutting down" },
		{ -ERR_KICKED, "kicked", "Disconnected by the administrator" },
		{ -ERR_TIMEOUT, "timeout", "Autologout; idle for too long" },
		{ -ERR_LIMIT, "limit", "[LIMIT] Command exceeds a limit" },
		{ -ERR_SYNTAX, "syntax", "Protocol error" },
		{ -ERR_NOMEM, NULL, "[LIMIT] Out of session memory" },
	};
	const char *reason = err_str(r), *text = "[UNAVAILABLE] Internal "
						 "error";

	for (size_t i = 0; i < N_ELEMENTS(ends); i++) {
		if (ends[i].err == r) {
			reason = ends[i].reason != NULL ? ends[i].reason :
				 reason;
			text = ends[i].bye;
			break;
		}
	}
	if (text != NULL && !sess->bye_sent)
		imap_session_bye(sess, text);
	return reason;
}

/* command_loop: read and run commands until LOGOUT (0), an error ending
 * the session (< 0), or IDLE parking it (IMAP_CMD_PARKED) */
static int
command_loop(struct imap_session *sess)
{
	int r = 0;

	while (sess->state != IMAP_ST_LOGOUT) {
		struct imap_cmd cmd;

		arena_reset(sess->cmd_arena);
		imap_parser_reset(sess->parser, sess->cmd_arena);
		memset(&cmd, 0, sizeof(cmd));
		cmd.sess = sess;
		cmd.arena = sess->cmd_arena;
		r = read_command(sess, &cmd);
		if (r > 0)
			r = imap_command_dispatch(&cmd);
		else if (r == 0)
			r = imap_command_finish(&cmd);
		/* a message literal its command did not take (refused at
		 * dispatch) is given up here, never run as commands */
		if (r == 0 && cmd.literal_pending &&
		    imap_session_literal_refuse(&cmd) < 0)
			r = -ERR_LIMIT;
		if (r < 0 || r == IMAP_CMD_PARKED)
			return r;
		if (sess->bad_count >= sess->set->max_bad_commands)
			return bye(sess, "Too many invalid commands", -ERR_LIMIT);
	}
	return 0;
}

/* session_over: unless parked, end the session after r */
static void
session_over(struct imap_session *sess, int r)
{
	struct session *s = sess->s;

	if (r == IMAP_CMD_PARKED)
		return;		/* everything stays for imap_session_resume */
	s->end_reason = end_reason(sess, sess->state == IMAP_ST_LOGOUT ? 0 : r);
	imap_session_unselect(sess);
	store_user_close(&sess->store);
	imap_parser_free(&sess->parser);
	arena_free(&sess->cmd_arena);
	s->proto_state = NULL;
}

static void
imap_session_run(struct session *s)
{
	struct imap_session *sess = arena_zalloc(s->arena, sizeof(*sess));
	struct imap_parser_limits l;

	if (sess == NULL)
		return;
	s->proto_state = sess;
	sess->s = s;
	sess->conn = s->conn;
	sess->set = conf_section(s->conf, &imap_conf_table);
	sess->state = IMAP_ST_NOAUTH;
	sess->cmd_arena = arena_new(s->set->session_memory > CMD_ARENA_MIN ?
				    s->set->session_memory : CMD_ARENA_MIN);
	parser_limits(sess, &l);
	sess->parser = imap_parser_new(sess->cmd_arena, &l);
	greet(sess);
	session_over(sess, command_loop(sess));
}

/* imap_session_resume: a parked IDLE woke up; after DONE the command
 * loop goes on in this thread */
static void
imap_session_resume(struct session *s, int why)
{
	struct imap_session *sess = s->proto_state;
	int r = imap_idle_resume(sess, why);

	if (r == IMAP_CMD_DONE)
		r = imap_command_finish(&sess->idle.cmd);
	if (r == IMAP_CMD_DONE &&
	    sess->bad_count < sess->set->max_bad_commands)
		r = command_loop(sess);
	else if (r == IMAP_CMD_DONE)
		r = bye(sess, "Too many invalid commands", -ERR_LIMIT);
	session_over(sess, r);
}

static void
run_refuse(struct session *s, const char *reason)
{
	conn_printf(s->conn, "* BYE %s\r\n", reason);
}

const struct proto_ops imap_proto = {
	.name = "imap",
	.default_listen = "0.0.0.0:143 [::]:143",
	.default_listen_tls = "0.0.0.0:993 [::]:993",
	.settings = &imap_conf_table,
	.refuse = run_refuse,
	.run = imap_session_run,
	.resume = imap_session_resume,
};
