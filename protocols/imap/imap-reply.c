/* Maildock - SPDX-License-Identifier: MIT
 *
 * Response output: tagged and untagged lines, continuation requests, and
 * the string encoders that choose atom, quoted string or literal from the
 * bytes, so client-chosen text can never break the response framing.
 */
#include <stdarg.h>
#include <strings.h>
#include <time.h>
#include "core/arena.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/store.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

/* longest string sent quoted; longer ones go as literals */
#define QUOTED_MAX 1024

int
imap_reply_tagged(struct imap_session *sess, const char *tag,
		  const struct imap_result *res)
{
	int r;

	r = conn_printf(sess->conn, "%s %s ", tag != NULL ? tag : "*",
			res->status);
	if (r == 0 && res->code != NULL)
		r = conn_printf(sess->conn, "[%s] ", res->code);
	if (r == 0)
		r = conn_writes(sess->conn, res->text);
	if (r == 0)
		r = conn_write(sess->conn, "\r\n", 2);
	if (r == 0)
		r = conn_flush(sess->conn);
	return r < 0 ? r : IMAP_CMD_DONE;
}

int
imap_reply_untagged(struct imap_session *sess, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ERR_LIMIT;
	int r = conn_write(sess->conn, "* ", 2);
	if (r == 0)
		r = conn_write(sess->conn, buf, (size_t)n);
	if (r == 0)
		r = conn_write(sess->conn, "\r\n", 2);
	return r;
}

int
imap_reply_line(struct imap_session *sess, const struct sbuf *b)
{
	int r;

	if (sbuf_failed(b))
		return -ERR_LIMIT;
	r = conn_write(sess->conn, b->data, b->len);
	if (r == 0)
		r = conn_write(sess->conn, "\r\n", 2);
	return r;
}

int
imap_reply_write(struct imap_session *sess, const void *p, size_t n)
{
	return conn_write(sess->conn, p, n);
}

int
imap_reply_flush(struct imap_session *sess)
{
	return conn_flush(sess->conn);
}

int
imap_reply_continue(struct imap_session *sess, const char *text)
{
	int r = conn_printf(sess->conn, "+ %s\r\n", text);
	return r == 0 ? conn_flush(sess->conn) : r;
}

static bool
is_quotable(const char *s, size_t n)
{
	if (n > QUOTED_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0 || c == '\r' || c == '\n' || c >= 0x80)
			return false;
	}
	return true;
}

void
imap_reply_append_string(struct sbuf *b, const char *s, size_t n)
{
	if (!is_quotable(s, n)) {
		sbuf_appendf(b, "{%zu}\r\n", n);
		sbuf_append(b, s, n);
		return;
	}
	sbuf_appendc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			sbuf_appendc(b, '\\');
		sbuf_appendc(b, s[i]);
	}
	sbuf_appendc(b, '"');
}

static bool
is_atom(const char *s, size_t n)
{
	if (n == 0 || n > QUOTED_MAX || (n == 3 && strncasecmp(s, "NIL", 3) == 0))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

void
imap_reply_append_astring(struct sbuf *b, const char *s, size_t n)
{
	if (is_atom(s, n))
		sbuf_append(b, s, n);
	else
		imap_reply_append_string(b, s, n);
}

void
imap_reply_append_nstring(struct sbuf *b, const char *s, size_t n)
{
	if (s == NULL)
		sbuf_appends(b, "NIL");
	else
		imap_reply_append_string(b, s, n);
}

int
imap_reply_append_mailbox(struct sbuf *b, const char *utf8_name,
			  bool utf8_out)
{
	char out[STORE_NAME_MAXLEN * 3 + 16];
	size_t len = strlen(utf8_name);
	int n;

	if (utf8_out) {
		if (!imap_arg_utf8_valid(utf8_name, len) ||
		    memchr(utf8_name, '\r', len) || memchr(utf8_name, '\n', len))
			return -ERR_INVAL;
		sbuf_appendc(b, '"');
		for (const char *c = utf8_name; *c != '\0'; c++) {
			if (*c == '"' || *c == '\\')
				sbuf_appendc(b, '\\');
			sbuf_appendc(b, *c);
		}
		sbuf_appendc(b, '"');
		return 0;
	}
	n = store_mutf7_encode(utf8_name, len, out, sizeof(out));
	if (n < 0)
		return -ERR_INVAL;
	/* always quoted: some clients mis-parse an atom delimiter */
	imap_reply_append_string(b, out, (size_t)n);
	return 0;
}

static const struct {
	unsigned bit;
	const char *name;
} flag_names[] = {
	{ STORE_FLAG_ANSWERED, "\\Answered" },
	{ STORE_FLAG_FLAGGED, "\\Flagged" },
	{ STORE_FLAG_DELETED, "\\Deleted" },
	{ STORE_FLAG_SEEN, "\\Seen" },
	{ STORE_FLAG_DRAFT, "\\Draft" },
	{ STORE_FLAG_RECENT, "\\Recent" },
};

void
imap_reply_append_flag_mask(struct sbuf *b, unsigned mask)
{
	bool first = true;

	for (size_t i = 0; i < N_ELEMENTS(flag_names); i++) {
		if ((mask & flag_names[i].bit) == 0)
			continue;
		if (!first)
			sbuf_appendc(b, ' ');
		sbuf_appends(b, flag_names[i].name);
		first = false;
	}
}

void
imap_reply_append_flags(struct sbuf *b, const struct store_mailbox *mb,
			const struct store_msg *msg)
{
	unsigned nkw;
	const char *const *kw = store_mailbox_keywords(mb, &nkw);
	bool any = (msg->flags & (STORE_FLAGS_PERMANENT | STORE_FLAG_RECENT)) != 0;

	sbuf_appendc(b, '(');
	imap_reply_append_flag_mask(b, msg->flags);
	for (unsigned i = 0; i < msg->keyword_count; i++) {
		if (msg->keywords[i] >= nkw)
			continue;
		if (any)
			sbuf_appendc(b, ' ');
		sbuf_appends(b, kw[msg->keywords[i]]);
		any = true;
	}
	sbuf_appendc(b, ')');
}

void
imap_reply_append_date(struct sbuf *b, int64_t t)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;
	long off;

	if (localtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	off = tm.tm_gmtoff / 60;
	sbuf_appendf(b, "\"%02d-%s-%04d %02d:%02d:%02d %c%02ld%02ld\"",
		     tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
		     tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
		     (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
}
