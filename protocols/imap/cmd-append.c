/* Maildock - SPDX-License-Identifier: MIT
 *
 * APPEND (RFC 3501 6.3.11) with optional flags and date-time, each
 * independent of the other, the message literal streamed to store_append_*
 * in chunks and never buffered whole, size limits checked before the "+ "
 * (RFC 3501 7.5), and APPENDUID (RFC 4315). REPLACE (cmd-replace.c)
 * appends through the same code.
 */
#include <strings.h>
#include <time.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "core/session.h"
#include "storage/store.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-catenate.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

static int
parse_2digits(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* parse_datetime: "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be " d" or "d"),
 * 24-hour clock (RFC 3501 9, date-time) */
static int
parse_datetime(const char *s, time_t *t_r)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	struct tm tm;
	int day, year, zone, zh, zm;
	const char *m;

	memset(&tm, 0, sizeof(tm));
	if (s[0] == ' ')
		s++;
	if (s[0] >= '0' && s[0] <= '9' && s[1] == '-') {
		day = s[0] - '0';
		s += 1;
	} else if ((day = parse_2digits(s)) >= 0) {
		s += 2;
	} else {
		return -ERR_SYNTAX;
	}
	if (s[0] != '-' || strlen(s) != 24 || s[4] != '-' || s[9] != ' ' ||
	    s[12] != ':' || s[15] != ':' || s[18] != ' ' ||
	    (s[19] != '+' && s[19] != '-'))
		return -ERR_SYNTAX;
	char mon[4] = { (char)(s[1] | 0x20), (char)(s[2] | 0x20),
			(char)(s[3] | 0x20), 0 };
	m = strstr(months, mon);
	if (m == NULL || (m - months) % 3 != 0)
		return -ERR_SYNTAX;
	year = parse_2digits(s + 5) * 100 + parse_2digits(s + 7);
	tm.tm_hour = parse_2digits(s + 10);
	tm.tm_min = parse_2digits(s + 13);
	tm.tm_sec = parse_2digits(s + 16);
	zh = parse_2digits(s + 20);
	zm = parse_2digits(s + 22);
	if (year < 1900 || day < 1 || day > 31 || tm.tm_hour < 0 ||
	    tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 ||
	    tm.tm_sec < 0 || tm.tm_sec > 60 || zh < 0 || zm < 0 || zm > 59)
		return -ERR_SYNTAX;
	tm.tm_mday = day;
	tm.tm_mon = (int)((m - months) / 3);
	tm.tm_year = year - 1900;
	zone = (zh * 60 + zm) * 60;
	if (s[19] == '-')
		zone = -zone;
	*t_r = timegm(&tm) - zone;
	return 0;
}

/* refuse: give up on the literal (and any further message of the
 * command), then answer for err: BAD text for -ERR_SYNTAX, else NO text,
 * or with text NULL the table's words (imap_command_error). Returns err,
 * or -ERR_EOF when the session must end (BYE sent). */
static int
refuse(struct imap_cmd *cmd, int err, const char *text)
{
	if (imap_session_literal_refuse(cmd) < 0) {
		imap_session_bye(cmd->sess, "[TOOBIG] Message too big");
		return -ERR_EOF;
	}
	if (text == NULL)
		imap_command_error(cmd, err);
	else
		imap_command_done(cmd, err == -ERR_SYNTAX ? "BAD" : "NO", "%s",
				  text);
	return err;
}

/* missing: the answer for a target folder that is not there (RFC 3501
 * 6.3.11: TRYCREATE), else the table's for err */
static const char *
missing(int err)
{
	return err == -ERR_NOTFOUND ? "[TRYCREATE] No such mailbox" : NULL;
}

/* stream: copy the literal into a; returns the first store error (the
 * literal is read to its end regardless) or a conn error */
static int
stream(struct imap_cmd *cmd, struct store_append *a, int *store_err_r)
{
	char buf[32768];
	size_t got;
	int r;

	*store_err_r = 0;
	for (;;) {
		r = imap_session_literal_read(cmd, buf, sizeof(buf), &got);
		if (r < 0)
			return r;
		if (got == 0)
			return 0;
		if (*store_err_r == 0)
			*store_err_r = store_append_write(a, buf, got);
	}
}

/* One message of an APPEND: its arguments before the literal. */
struct message {
	unsigned flags;
	const char **kw;
	size_t nkw;
	time_t date;
	bool utf8;		/* UTF8 (~{n}): the literal is in a list */
	unsigned argc_before;	/* arguments before the literal */
};

/* message_opts: [flag-list] [date-time] from cmd->args[*i] (advanced);
 * 0, or < 0 (answered, see refuse) */
static int
message_opts(struct imap_cmd *cmd, unsigned *i, struct message *m)
{
	const struct imap_arg *list;
	const char *date_str;
	unsigned n;

	memset(m, 0, sizeof(*m));
	m->argc_before = cmd->argc;
	if (*i < cmd->argc && imap_arg_list(&cmd->args[*i], &list, &n)) {
		if (imap_cmd_store_flags(cmd, list, n, &m->flags, &m->kw,
					 &m->nkw) < 0)
			return refuse(cmd, -ERR_SYNTAX, "Invalid flags");
		(*i)++;
	}
	if (*i < cmd->argc && imap_arg_string(&cmd->args[*i], &date_str)) {
		if (parse_datetime(date_str, &m->date) < 0)
			return refuse(cmd, -ERR_SYNTAX, "Invalid date-time");
		(*i)++;
	}
	return 0;
}

/* message_args: message_opts, then [UTF8 (] up to the pending literal */
static int
message_args(struct imap_cmd *cmd, unsigned i, struct message *m)
{
	int r;

	if ((r = message_opts(cmd, &i, m)) < 0)
		return r;
	/* RFC 6855 4: UTF8 (~{n}), the list still open here */
	if (i + 2 == cmd->argc && imap_arg_atom_eq(&cmd->args[i], "UTF8") &&
	    cmd->args[i + 1].type == IMAP_ARG_LIST) {
		m->utf8 = true;
		i += 2;
	}
	if (i != cmd->argc || !cmd->literal_pending)
		return refuse(cmd, -ERR_SYNTAX, "Invalid arguments");
	if (cmd->literal_size > cmd->sess->set->max_append)
		return refuse(cmd, -ERR_LIMIT, "[TOOBIG] Message too big");
	return 0;
}

/* literal_last: the command ended with the message: "{n}" or, with the
 * UTF8 data extension (RFC 6855 4), "UTF8 (~{n})" */
static bool
literal_last(const struct imap_cmd *cmd)
{
	const struct imap_arg *last;

	if (cmd->argc == 0)
		return false;
	last = &cmd->args[cmd->argc - 1];
	if (last->type == IMAP_ARG_LITERAL_SIZE)
		return true;
	return last->type == IMAP_ARG_LIST && last->count == 1 &&
	       last->list[0].type == IMAP_ARG_LITERAL_SIZE &&
	       cmd->argc >= 2 && imap_arg_atom_eq(&cmd->args[cmd->argc - 2],
						  "UTF8");
}

/* literal_at: the message literal of m is where it was announced: "{n}"
 * or, with the UTF8 data extension (RFC 6855 4), "UTF8 (~{n})"; what
 * follows it is checked by the caller (more messages, or the end) */
static bool
literal_at(const struct imap_cmd *cmd, const struct message *m)
{
	const struct imap_arg *a;

	if (!m->utf8)
		return m->argc_before < cmd->argc &&
		       cmd->args[m->argc_before].type == IMAP_ARG_LITERAL_SIZE;
	a = &cmd->args[m->argc_before - 1];
	return m->argc_before <= cmd->argc && a->type == IMAP_ARG_LIST &&
	       a->count == 1 && a->list[0].type == IMAP_ARG_LITERAL_SIZE;
}

/* after_literal: the index of the argument after m's literal */
static unsigned
after_literal(const struct message *m)
{
	return m->utf8 ? m->argc_before : m->argc_before + 1;
}

/* what receive() found after a message */
#define RECV_END	0	/* the command ended */
#define RECV_NEXT	1	/* another message follows (MULTIAPPEND) */

/* receive: check the target, stream the message into a new *a_r (left
 * unfinished) and read the command on to the next literal or its end:
 * RECV_END or RECV_NEXT with *a_r set and the store's error in *serr_r;
 * or < 0 (answered, see refuse) with *a_r NULL */
static int
receive(struct imap_cmd *cmd, struct imap_acl_box *ab, const struct message *m,
	struct store_append **a_r, int *serr_r)
{
	unsigned flags = m->flags;
	size_t nkw = m->nkw;
	int r;

	*a_r = NULL;
	if ((ab->rights & STORE_ACL_INSERT) == 0)
		return refuse(cmd, -ERR_PERM, "[NOPERM] Permission denied "
			      "(right i needed)");
	imap_acl_flags_mask(ab->rights, &flags, &nkw);
	r = store_append_begin(ab->store, ab->name, flags, m->kw, nkw,
			       m->date, cmd->literal_size, a_r);
	if (r < 0)
		return refuse(cmd, r, missing(r));
	if ((r = imap_session_literal_begin(cmd)) < 0 ||
	    (r = stream(cmd, *a_r, serr_r)) < 0 ||
	    (r = imap_session_literal_end(cmd)) < 0) {
		store_append_abort(a_r);
		if (r == -ERR_LIMIT) {
			imap_session_bye(cmd->sess, "Literal out of place");
			return -ERR_EOF;
		}
		return r;	/* -ERR_SYNTAX: the dispatcher's BAD */
	}
	return r;
}

/* resolve: the target folder of APPEND or REPLACE (ACL hook: i) */
static int
resolve(struct imap_cmd *cmd, unsigned first, struct imap_acl_box *ab,
	bool catenate)
{
	const char *name;
	int r;

	if (!cmd->literal_pending && !catenate) {
		imap_command_done(cmd, "BAD", "%s needs a literal", cmd->name);
		return -ERR_SYNTAX;
	}
	r = imap_session_mailbox_arg(cmd, &cmd->args[first], &name);
	if (r < 0)	/* -ERR_INVAL: NO [CANNOT] from the table */
		return refuse(cmd, r, r == -ERR_SYNTAX ? "Invalid arguments" :
			      NULL);
	if ((r = imap_acl_resolve(cmd, name, ab)) < 0)
		return refuse(cmd, r, missing(r));
	return 0;
}

int
imap_cmd_append_message(struct imap_cmd *cmd, unsigned first,
			uint32_t *uidv_r, uint32_t *uid_r)
{
	struct store_append *a;
	struct imap_acl_box ab;
	struct message m;
	int r, serr;

	if ((r = resolve(cmd, first, &ab, false)) != 0 ||
	    (r = message_args(cmd, first + 1, &m)) != 0)
		return r;
	r = receive(cmd, &ab, &m, &a, &serr);
	if (r == RECV_NEXT) {
		/* only APPEND takes more than one message */
		store_append_abort(&a);
		return refuse(cmd, -ERR_SYNTAX, "One message only");
	}
	if (r < 0)
		return r;
	if (!literal_last(cmd)) {	/* one message only, ending it */
		store_append_abort(&a);
		return -ERR_SYNTAX;
	}
	if (serr < 0) {
		store_append_abort(&a);
		imap_command_error(cmd, serr);
		return serr;
	}
	r = store_append_finish(&a, uidv_r, uid_r);
	if (r < 0)
		imap_command_error(cmd, r);
	return r;
}

int
imap_cmd_append_refuse(struct imap_cmd *cmd, int err, const char *text)
{
	return refuse(cmd, err, text);
}

/* MULTIAPPEND (RFC 3502): the messages of one APPEND are delivered all or
 * none. Each waits, streamed into tmp/, until the command has ended; every
 * one holds a file open, hence the cap. */
#define APPEND_MESSAGES_MAX 100

static void
abort_all(struct store_append **as, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_append_abort(&as[i]);
}

/* finish: deliver the n messages and answer with APPENDUID (RFC 4315 3:
 * a uid-set for several) */
static int
finish(struct imap_cmd *cmd, struct store_append **as, size_t n, int serr)
{
	uint32_t uidv = 0, *uids = arena_alloc(cmd->arena, n * sizeof(*uids));
	struct sbuf b;
	int r;

	if (serr == 0 && uids == NULL)
		serr = -ERR_NOMEM;
	if (serr < 0) {
		abort_all(as, n);
		return imap_command_error(cmd, serr);
	}
	if ((r = store_append_finish_all(as, n, &uidv, uids)) < 0)
		return imap_command_error(cmd, r);
	sbuf_init(&b, cmd->arena, 0);
	imap_seqset_append_uids(&b, uids, n);
	if (sbuf_failed(&b))
		return -ERR_NOMEM;
	return imap_command_done(cmd, "OK", "[APPENDUID %u %s] Append "
				 "completed.", uidv, b.data);
}

/* catenate: a CATENATE message (RFC 4469 5) of the options in m from the
 * list at cmd->args[i] into a new *a_r; 0, or < 0 (answered, see refuse) */
static int
catenate(struct imap_cmd *cmd, struct imap_acl_box *ab,
	 const struct message *m, unsigned i, struct store_append **a_r)
{
	unsigned flags = m->flags;
	size_t nkw = m->nkw;
	const char *error, *url;
	struct sbuf b;
	int r;

	*a_r = NULL;
	if ((ab->rights & STORE_ACL_INSERT) == 0)
		return refuse(cmd, -ERR_PERM, "[NOPERM] Permission denied "
			      "(right i needed)");
	imap_acl_flags_mask(ab->rights, &flags, &nkw);
	r = store_append_begin(ab->store, ab->name, flags, m->kw, nkw,
			       m->date, 0, a_r);
	if (r < 0)
		return refuse(cmd, r, missing(r));
	if ((r = imap_catenate_write(cmd, &cmd->args[i], *a_r, &error,
				     &url)) == 0)
		return 0;
	store_append_abort(a_r);
	if (r == -ERR_SYNTAX)
		return refuse(cmd, r, error);
	if (r == -ERR_LIMIT)
		return refuse(cmd, r, "[TOOBIG] Message too big");
	if (r != -ERR_NOTFOUND)
		return refuse(cmd, r, NULL);
	sbuf_init(&b, cmd->arena, 0);
	imap_catenate_badurl(&b, url);
	sbuf_appends(&b, "Bad URL");
	return refuse(cmd, r, sbuf_failed(&b) ? "Bad URL" : b.data);
}

/* has_catenate: whether a message of the command is a CATENATE one (the
 * command then needs no message literal) */
static bool
has_catenate(const struct imap_cmd *cmd)
{
	for (unsigned i = 1; i + 1 < cmd->argc; i++)
		if (imap_arg_atom_eq(&cmd->args[i], "CATENATE") &&
		    cmd->args[i + 1].type == IMAP_ARG_LIST)
			return true;
	return false;
}

/* one_message: the message whose options start at cmd->args[next]: a
 * CATENATE one, or the pending literal. RECV_* as receive(), or < 0
 * (answered); *next_r is where the next message starts. */
static int
one_message(struct imap_cmd *cmd, struct imap_acl_box *ab, unsigned next,
	    struct store_append **a_r, int *serr_r, unsigned *next_r)
{
	struct message m;
	unsigned i = next;
	int r;

	*a_r = NULL;
	*serr_r = 0;
	if ((r = message_opts(cmd, &i, &m)) < 0)
		return r;
	if (i + 1 < cmd->argc && imap_arg_atom_eq(&cmd->args[i], "CATENATE")) {
		if ((r = catenate(cmd, ab, &m, i + 1, a_r)) < 0)
			return r;
		*next_r = i + 2;
		return *next_r < cmd->argc || cmd->literal_pending ?
		       RECV_NEXT : RECV_END;
	}
	if ((r = message_args(cmd, next, &m)) < 0 ||
	    (r = receive(cmd, ab, &m, a_r, serr_r)) < 0)
		return r;
	if (!literal_at(cmd, &m)) {
		store_append_abort(a_r);
		return -ERR_SYNTAX;
	}
	*next_r = after_literal(&m);
	if (r == RECV_END && *next_r < cmd->argc)
		r = RECV_NEXT;	/* CATENATE messages follow */
	return r;
}

int
imap_cmd_append(struct imap_cmd *cmd)
{
	struct store_append *as[APPEND_MESSAGES_MAX];
	struct imap_acl_box ab;
	size_t n = 0;
	unsigned next = 1;
	int r, serr = 0, e;

	if ((r = resolve(cmd, 0, &ab, has_catenate(cmd))) < 0)
		return r;
	for (;;) {
		if (n == APPEND_MESSAGES_MAX) {
			abort_all(as, n);
			return refuse(cmd, -ERR_LIMIT, "[LIMIT] Too many "
				      "messages in one APPEND");
		}
		r = one_message(cmd, &ab, next, &as[n], &e, &next);
		if (r < 0) {
			abort_all(as, n);
			return r;
		}
		n++;
		if (serr == 0)
			serr = e;
		if (r == RECV_END)
			return finish(cmd, as, n, serr);
	}
}
