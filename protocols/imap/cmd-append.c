/* Maildock - SPDX-License-Identifier: MIT
 *
 * APPEND (RFC 3501 6.3.11) with optional flags and date-time, each
 * independent of the other (B02), the message literal streamed to
 * store_append_* in chunks and never buffered whole, size limits checked
 * before the "+ " (B40), and APPENDUID (RFC 4315). REPLACE (cmd-replace.c)
 * appends through the same code.
 */
#include <strings.h>
#include <time.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/session.h"
#include "storage/store.h"
#include "protocols/imap/imap-acl.h"
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
 * 24-hour clock (B30) */
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

/* answered: a reply was sent (1), or the error that ended the session */
static int
answered(int r)
{
	return r < 0 ? r : 1;
}

/* refuse: give up on the literal, then answer (1) */
static int
refuse(struct imap_cmd *cmd, const char *status, const char *text)
{
	if (imap_session_literal_refuse(cmd) < 0) {
		imap_session_bye(cmd->sess, "[TOOBIG] Message too big");
		return -ERR_EOF;
	}
	return answered(imap_reply_tagged(cmd, status, "%s", text));
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

/* append_data: 0 with the new message's UIDs, or answered (1), or < 0 */
static int
append_data(struct imap_cmd *cmd, const char *name, unsigned flags,
	    const char **kw, size_t nkw, time_t date, uint32_t *uidv_r,
	    uint32_t *uid_r)
{
	struct store_append *a = NULL;
	struct imap_acl_box ab;
	int r, serr;

	if ((r = imap_acl_resolve(cmd, name, &ab)) < 0)	/* ACL hook: i */
		return refuse(cmd, "NO", r == -ERR_NOTFOUND ? "[TRYCREATE] No "
			      "such mailbox" : imap_store_error(r));
	if ((ab.rights & STORE_ACL_INSERT) == 0)
		return refuse(cmd, "NO", "[NOPERM] Permission denied (right i "
			      "needed)");
	imap_acl_flags_mask(ab.rights, &flags, &nkw);
	r = store_append_begin(ab.store, ab.name, flags, kw, nkw, date,
			       cmd->literal_size, &a);
	if (r == -ERR_NOTFOUND)
		return refuse(cmd, "NO", "[TRYCREATE] No such mailbox");
	if (r < 0)
		return refuse(cmd, "NO", imap_store_error(r));
	if ((r = imap_session_literal_begin(cmd)) < 0 ||
	    (r = stream(cmd, a, &serr)) < 0) {
		store_append_abort(&a);
		return r;
	}
	r = imap_session_literal_end(cmd);
	if (r < 0 || !literal_last(cmd)) {
		store_append_abort(&a);
		if (r == -ERR_LIMIT) {
			imap_session_bye(cmd->sess, "MULTIAPPEND is not "
					 "supported");
			return -ERR_EOF;
		}
		return r < 0 && r != -ERR_SYNTAX ? r :
		       answered(imap_cmd_bad_args(cmd));
	}
	if (serr < 0) {
		store_append_abort(&a);
		return answered(imap_reply_tagged(cmd, "NO", "%s",
						  imap_store_error(serr)));
	}
	r = store_append_finish(&a, uidv_r, uid_r);
	if (r < 0)
		return answered(imap_reply_tagged(cmd, "NO", "%s",
						  imap_store_error(r)));
	return 0;
}

int
imap_cmd_append_message(struct imap_cmd *cmd, unsigned first,
			uint32_t *uidv_r, uint32_t *uid_r)
{
	const struct imap_arg *list;
	const char *name, *date_str, **kw = NULL;
	unsigned n, flags = 0, i = first + 1;
	size_t nkw = 0;
	time_t date = 0;
	int r;

	if (!cmd->literal_pending)
		return answered(imap_reply_tagged(cmd, "BAD", "%s needs a "
						  "literal", cmd->name));
	r = imap_session_mailbox_arg(cmd, &cmd->args[first], &name);
	if (r < 0)
		return refuse(cmd, r == -ERR_INVAL ? "NO" : "BAD",
			      r == -ERR_INVAL ? "[CANNOT] Invalid mailbox name" :
			      "Invalid arguments");
	if (i < cmd->argc && imap_arg_list(&cmd->args[i], &list, &n)) {
		if (imap_cmd_store_flags(cmd, list, n, &flags, &kw, &nkw) < 0)
			return refuse(cmd, "BAD", "Invalid flags");
		i++;
	}
	if (i < cmd->argc && imap_arg_string(&cmd->args[i], &date_str)) {
		if (parse_datetime(date_str, &date) < 0)
			return refuse(cmd, "BAD", "Invalid date-time");
		i++;
	}
	/* RFC 6855 4: UTF8 (~{n}), the list still open here */
	if (i + 2 == cmd->argc && imap_arg_atom_eq(&cmd->args[i], "UTF8") &&
	    cmd->args[i + 1].type == IMAP_ARG_LIST)
		i += 2;
	if (i != cmd->argc)
		return refuse(cmd, "BAD", "Invalid arguments");
	if (cmd->literal_size > cmd->sess->set->max_append)
		return refuse(cmd, "NO", "[TOOBIG] Message too big");
	return append_data(cmd, name, flags, kw, nkw, date, uidv_r, uid_r);
}

int
imap_cmd_append_refuse(struct imap_cmd *cmd, const char *status,
		       const char *text)
{
	return refuse(cmd, status, text);
}

int
imap_cmd_append(struct imap_cmd *cmd)
{
	uint32_t uidv = 0, uid = 0;
	int r = imap_cmd_append_message(cmd, 0, &uidv, &uid);

	if (r != 0)
		return r > 0 ? IMAP_CMD_DONE : r;
	return imap_reply_tagged(cmd, "OK", "[APPENDUID %u %u] Append "
				 "completed.", uidv, uid);
}
