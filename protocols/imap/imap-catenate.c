/* Maildock - SPDX-License-Identifier: MIT
 *
 * CATENATE's parts (RFC 4469 5): TEXT literals are copied, URL parts are
 * resolved as RFC 5092 IMAP URLs against the user's own store and the
 * named message or section (as BODY.PEEK[section]<partial> would send it)
 * is streamed into the new message, never buffered whole.
 */
#include <stdlib.h>
#include <strings.h>
#include "core/arena.h"
#include "core/auth.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/store.h"
#include "storage/mime/mime.h"
#include "protocols/imap/imap.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-catenate.h"
#include "protocols/imap/imap-commands.h"
#include "protocols/imap/imap-fetch.h"
#include "core/compat.h"

/* Memory for one URL part's message parse, as SEARCH and FETCH allow. */
#define CATENATE_MSG_MEMORY (256u * 1024 * 1024)

/* What an IMAP URL names (RFC 5092 6: imessagepart). */
struct imap_url {
	const char *mailbox;	/* UTF-8, NULL: the selected mailbox */
	uint32_t uidvalidity;	/* 0: not given */
	uint32_t uid;
	const char *section;	/* NULL: the whole message */
	uint64_t start, len;	/* len UINT64_MAX: to the end */
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* pct_decode: s[0..n) with %XX undone, into a; no NUL or control octet
 * may result (names and sections carry none) */
static char *
pct_decode(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		char c = s[i];

		if (c == '%') {
			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				return NULL;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if ((unsigned char)c < 0x20 || c == 0x7f)
			return NULL;
		*o++ = c;
	}
	*o = '\0';
	return out;
}

/* number: the digits at *s (skipped), at most max; UINT64_MAX when there
 * are none or the value is too large */
static uint64_t
number(const char **s, uint64_t max)
{
	uint64_t v = 0;
	const char *p = *s;

	if (*p < '0' || *p > '9')
		return UINT64_MAX;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (max - (uint64_t)(*p - '0')) / 10)
			return UINT64_MAX;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	return v;
}

/* key: whether *s starts with ";name=" (any case); skips it */
static bool
key(const char **s, const char *name)
{
	size_t n = strlen(name);

	if ((*s)[0] != ';' || strncasecmp(*s + 1, name, n) != 0 ||
	    (*s)[n + 1] != '=')
		return false;
	*s += n + 2;
	return true;
}

/* server_part: skip "imap://[user[;AUTH=..]@]host[:port]" of an absolute
 * URL; the user, when given, must be this session's */
static int
server_part(struct imap_cmd *cmd, const char **s)
{
	const char *p = *s + 7, *slash = strchr(p, '/'), *at, *end;
	const char *me = cmd->sess->user->user, *user;
	size_t mine = strcspn(me, "@");

	if (slash == NULL)
		return -ERR_NOTFOUND;
	at = memchr(p, '@', (size_t)(slash - p));
	if (at != NULL) {
		end = memchr(p, ';', (size_t)(at - p));
		if (end == NULL)
			end = at;
		user = pct_decode(cmd->arena, p, (size_t)(end - p));
		if (user == NULL || (strcasecmp(user, me) != 0 &&
				     (strlen(user) != mine ||
				      strncasecmp(user, me, mine) != 0)))
			return -ERR_NOTFOUND;
	}
	*s = slash;
	return 0;
}

/* url_parse: the RFC 5092 forms named in imap-catenate.h into *u */
static int
url_parse(struct imap_cmd *cmd, const char *s, struct imap_url *u)
{
	const char *semi, *end;
	uint64_t v;

	memset(u, 0, sizeof(*u));
	u->len = UINT64_MAX;
	if (strncasecmp(s, "imap://", 7) == 0 && server_part(cmd, &s) < 0)
		return -ERR_NOTFOUND;
	if (s[0] == '/') {
		/* enc-mailbox ends at its first ";" (escaped inside) */
		if ((semi = strchr(s, ';')) == NULL)
			return -ERR_NOTFOUND;
		end = semi[-1] == '/' ? semi - 1 : semi;
		if (end <= s + 1 ||
		    (u->mailbox = pct_decode(cmd->arena, s + 1,
					     (size_t)(end - s - 1))) == NULL)
			return -ERR_NOTFOUND;
		s = semi;
		if (key(&s, "UIDVALIDITY")) {
			if ((v = number(&s, UINT32_MAX)) == 0 ||
			    v == UINT64_MAX || s[0] != '/')
				return -ERR_NOTFOUND;
			u->uidvalidity = (uint32_t)v;
		}
		if (s[0] == '/')
			s++;
	} else if (cmd->sess->box == NULL) {
		return -ERR_NOTFOUND;	/* relative to no mailbox */
	}
	if (!key(&s, "UID") || (v = number(&s, UINT32_MAX)) == 0 ||
	    v == UINT64_MAX)
		return -ERR_NOTFOUND;
	u->uid = (uint32_t)v;
	if (s[0] == '/') {
		s++;
		if (key(&s, "SECTION")) {
			end = s + strcspn(s, "/;");
			u->section = pct_decode(cmd->arena, s, (size_t)(end - s));
			if (u->section == NULL)
				return -ERR_NOTFOUND;
			s = end[0] == '/' ? end + 1 : end;
		}
		if (key(&s, "PARTIAL")) {
			if ((u->start = number(&s, UINT64_MAX - 1)) ==
			    UINT64_MAX)
				return -ERR_NOTFOUND;
			if (s[0] == '.') {
				s++;
				u->len = number(&s, UINT64_MAX - 1);
				if (u->len == 0 || u->len == UINT64_MAX)
					return -ERR_NOTFOUND;
			}
		}
	}
	/* URLAUTH (RFC 4467) and anything else: not offered */
	return s[0] == '\0' ? 0 : -ERR_NOTFOUND;
}

/* url_mailbox: a read-only view of the URL's mailbox (or NULL in *own_r
 * for the selected one, used as it is) */
static int
url_mailbox(struct imap_cmd *cmd, const struct imap_url *u,
	    struct store_mailbox **mb_r)
{
	struct imap_session *sess = cmd->sess;
	struct imap_acl_box ab;
	const char *name = u->mailbox;

	*mb_r = NULL;
	if (name == NULL)
		return 0;
	if (!imap_arg_utf8_valid(name, strlen(name)))
		return -ERR_NOTFOUND;
	if (strcasecmp(name, "INBOX") == 0)
		name = "INBOX";
	else if (strncasecmp(name, "INBOX.", 6) == 0)
		memcpy((char *)name, "INBOX", 5);	/* ours, in arena */
	name = imap_namespace_strip(sess, name);
	if (imap_acl_resolve(cmd, name, &ab) < 0 ||
	    (ab.rights & STORE_ACL_READ) == 0)
		return -ERR_NOTFOUND;
	return store_mailbox_open(ab.store, ab.name, true, mb_r) < 0 ?
	       -ERR_NOTFOUND : 0;
}

static int
append_cb(void *ctx, const void *p, size_t n)
{
	return store_append_write(ctx, p, n);
}

/* section: the URL's section as FETCH's BODY.PEEK[section] parses it */
static int
section(struct imap_cmd *cmd, const struct imap_url *u,
	struct mime_section *sec_r)
{
	struct imap_fetch_items items;
	struct imap_arg arg;
	const char *error;

	memset(&arg, 0, sizeof(arg));
	arg.type = IMAP_ARG_ATOM;
	arg.str = arena_printf(cmd->arena, "BODY.PEEK[%s]",
			       u->section != NULL ? u->section : "");
	if (arg.str == NULL)
		return -ERR_NOMEM;
	arg.len = strlen(arg.str);
	if (imap_fetch_parse(cmd->arena, &arg, false, &items, &error) < 0 ||
	    items.nsections != 1 ||
	    items.sections[0].binary != IMAP_FETCH_AS_BODY)
		return -ERR_NOTFOUND;
	*sec_r = items.sections[0].sec;
	return 0;
}

/* url_write: the part the URL names, into a */
static int
url_write(struct imap_cmd *cmd, const char *url, struct store_append *a,
	  uint64_t *total)
{
	struct store_mailbox *own = NULL, *mb;
	struct mime_message *mime;
	struct mime_section sec;
	struct mime_extract ex;
	struct arena *scratch;
	struct imap_url u;
	uint32_t seq;
	int64_t n;
	int r;

	if ((r = url_parse(cmd, url, &u)) < 0 ||
	    (r = section(cmd, &u, &sec)) < 0 ||
	    (r = url_mailbox(cmd, &u, &own)) < 0)
		return r;
	mb = own != NULL ? own : cmd->sess->box;
	seq = store_msg_seq_by_uid(mb, u.uid);
	if (seq == 0 || (u.uidvalidity != 0 &&
			 u.uidvalidity != store_mailbox_uidvalidity(mb))) {
		store_mailbox_close(&own);
		return -ERR_NOTFOUND;
	}
	scratch = arena_new(CATENATE_MSG_MEMORY);
	r = store_msg_parsed(mb, seq, scratch, true, &mime);
	if (r == 0)
		r = mime_section_locate(scratch, mime, &sec, &ex);
	if (r < 0) {
		r = r == -ERR_IO || r == -ERR_LIMIT ? r : -ERR_NOTFOUND;
	} else if (*total + mime_partial_len(ex.crlf_len, u.start, u.len) >
		   cmd->sess->set->max_append) {
		r = -ERR_LIMIT;
	} else {
		n = mime_extract_write(mime, &ex, u.start, u.len, append_cb, a);
		r = n < 0 ? (int)n : 0;
		*total += n < 0 ? 0 : (uint64_t)n;
	}
	arena_free(&scratch);
	store_mailbox_close(&own);
	return r;
}

int
imap_catenate_write(struct imap_cmd *cmd, const struct imap_arg *list,
		    struct store_append *a, const char **error_r,
		    const char **url_r)
{
	const struct imap_arg *parts;
	const char *url;
	unsigned n, i;
	uint64_t total = 0;
	int r;

	*error_r = "Invalid CATENATE parts";
	*url_r = NULL;
	if (!imap_arg_list(list, &parts, &n) || n == 0 || n % 2 != 0)
		return -ERR_SYNTAX;
	for (i = 0; i < n; i += 2) {
		const struct imap_arg *v = &parts[i + 1];

		if (imap_arg_atom_eq(&parts[i], "TEXT")) {
			/* text-literal = "TEXT" SP literal (RFC 4469 5);
			 * NULs only in a literal8 (RFC 3516 4.4) */
			if (v->type != IMAP_ARG_LITERAL ||
			    (v->has_nul && !v->literal8))
				return -ERR_SYNTAX;
			if ((total += v->len) > cmd->sess->set->max_append)
				return -ERR_LIMIT;
			if ((r = store_append_write(a, v->str, v->len)) < 0)
				return r;
		} else if (imap_arg_atom_eq(&parts[i], "URL") &&
			   imap_arg_astring(v, &url)) {
			if ((r = url_write(cmd, url, a, &total)) < 0) {
				*url_r = url;
				return r;
			}
		} else {
			return -ERR_SYNTAX;
		}
	}
	return 0;
}

void
imap_catenate_badurl(struct sbuf *b, const char *url)
{
	for (const char *p = url; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e ||
		    *p == ']')
			return;
	sbuf_appendf(b, "[BADURL %s] ", url);
}
