/* Maildock - SPDX-License-Identifier: MIT
 *
 * ENVELOPE for FETCH (RFC 3501 7.4.2) from the parsed header fields of
 * storage/mime, and the quoting helpers that BODYSTRUCTURE uses as well.
 * The output matches Dovecot 2.3's, so clients see the same answers.
 */
#include <string.h>
#include "protocols/imap/imap-envelope.h"
#include "core/compat.h"

/* More quoted-specials than this make a literal (as Dovecot). */
#define QUOTED_MAX_ESCAPES 4
/* A longer string goes as a literal too: clients read lines with a limit
 * (Python's imaplib stops at 1,000,000 octets) but literals by count, and a
 * header field of any length can arrive from anyone (RFC 3501 4.3 allows
 * either form). Dovecot quotes any length; the corpus has none above this. */
#define QUOTED_MAX_LEN 16384

static void
append_literal(struct sbuf *b, const char *p, size_t len)
{
	sbuf_appendf(b, "{%zu}\r\n", len);
	sbuf_append(b, p, len);
}

static void
append_quoted(struct sbuf *b, const char *p, size_t len)
{
	size_t i, start = 0;

	/* runs between specials go in one append (hot in FETCH ENVELOPE) */
	sbuf_appendc(b, '"');
	for (i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\') {
			sbuf_append(b, p + start, i - start);
			sbuf_appendc(b, '\\');
			start = i;
		}
	}
	sbuf_append(b, p + start, len - start);
	sbuf_appendc(b, '"');
}

void
imap_envelope_append_nstring(struct sbuf *b, const char *p, size_t len)
{
	unsigned int escapes = 0;
	size_t i;

	if (p == NULL) {
		sbuf_appends(b, "NIL");
		return;
	}
	len = strnlen(p, len);
	if (len > QUOTED_MAX_LEN) {
		append_literal(b, p, len);
		return;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '"' || c == '\\') {
			if (escapes++ < QUOTED_MAX_ESCAPES)
				continue;
			append_literal(b, p, len);
			return;
		}
		if (c == '\r' || c == '\n' || c >= 0x80) {
			append_literal(b, p, len);
			return;
		}
	}
	append_quoted(b, p, len);
}

void
imap_envelope_append_nstring_nolf(struct sbuf *b, const char *p, size_t len)
{
	struct sbuf tmp;
	size_t i;

	if (p == NULL) {
		sbuf_appends(b, "NIL");
		return;
	}
	len = strnlen(p, len);
	if (memchr(p, '\r', len) == NULL && memchr(p, '\n', len) == NULL) {
		imap_envelope_append_nstring(b, p, len);
		return;
	}
	sbuf_init(&tmp, NULL, 0);
	for (i = 0; i < len; i++) {
		if (p[i] != '\r' && p[i] != '\n')
			sbuf_appendc(&tmp, p[i]);
		else if (i + 1 < len && p[i + 1] != ' ' && p[i + 1] != '\t' &&
			 p[i + 1] != '\r' && p[i + 1] != '\n')
			sbuf_appendc(&tmp, ' ');
	}
	imap_envelope_append_nstring(b, tmp.data, tmp.len);
	sbuf_free(&tmp);
}

void
imap_envelope_append_for_humans(struct sbuf *b, const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i, remove = 0, start;
	bool ws_prefix = true, last_lwsp = true, modify = false;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case 0:
			last_lwsp = false;
			modify = true;
			break;
		case '\t':
			modify = true;
			/* fall through */
		case ' ':
			if (last_lwsp) {
				modify = true;
				remove++;
			}
			last_lwsp = true;
			break;
		case '\r':
		case '\n':
			remove++;
			modify = true;
			break;
		case '"':
		case '\\':
			modify = true;
			last_lwsp = false;
			break;
		default:
			if (s[i] >= 0x80)
				modify = true;
			last_lwsp = false;
			break;
		}
		if (!last_lwsp)
			ws_prefix = false;
	}
	if (last_lwsp && i > 0 && !ws_prefix) {
		modify = true;
		remove++;
	}
	if (!modify && len <= QUOTED_MAX_LEN) {
		sbuf_appendc(b, '"');
		sbuf_append(b, p, len);
		sbuf_appendc(b, '"');
		return;
	}
	if (len == remove) {
		sbuf_appends(b, "\"\"");
		return;
	}
	sbuf_appendf(b, "{%zu}\r\n", len - remove);
	start = b->len;
	last_lwsp = true;
	ws_prefix = true;
	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case 0:
			sbuf_appendc(b, (char)0x80);
			last_lwsp = false;
			break;
		case '\t':
		case ' ':
			if (!last_lwsp)
				sbuf_appendc(b, ' ');
			last_lwsp = true;
			break;
		case '\r':
		case '\n':
			break;
		default:
			last_lwsp = false;
			sbuf_appendc(b, (char)s[i]);
			break;
		}
		if (!last_lwsp)
			ws_prefix = false;
	}
	if (last_lwsp && i > 0 && !ws_prefix && b->len > start)
		sbuf_truncate(b, b->len - 1);
}

static size_t
cstrlen(const char *s)
{
	return s == NULL ? 0 : strlen(s);
}

static void
write_addresses(struct sbuf *b, const struct mime_addr *addr)
{
	if (addr == NULL) {
		sbuf_appends(b, "NIL");
		return;
	}
	sbuf_appendc(b, '(');
	for (; addr != NULL; addr = addr->next) {
		sbuf_appendc(b, '(');
		if (addr->name == NULL)
			sbuf_appends(b, "NIL");
		else
			imap_envelope_append_for_humans(b, addr->name,
							strlen(addr->name));
		sbuf_appendc(b, ' ');
		imap_envelope_append_nstring(b, addr->route,
					     cstrlen(addr->route));
		sbuf_appendc(b, ' ');
		imap_envelope_append_nstring(b, addr->mailbox,
					     cstrlen(addr->mailbox));
		sbuf_appendc(b, ' ');
		imap_envelope_append_nstring(b, addr->domain,
					     cstrlen(addr->domain));
		sbuf_appendc(b, ')');
	}
	sbuf_appendc(b, ')');
}

void
imap_envelope_write(struct sbuf *b, const struct mime_envelope *env)
{
	if (env == NULL) {
		sbuf_appends(b, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
		return;
	}
	sbuf_appendc(b, '(');
	imap_envelope_append_nstring_nolf(b, env->date.p, env->date.len);
	sbuf_appendc(b, ' ');
	if (env->subject.p == NULL)
		sbuf_appends(b, "NIL");
	else
		imap_envelope_append_for_humans(b, env->subject.p,
						env->subject.len);
	sbuf_appendc(b, ' ');
	write_addresses(b, env->from);
	sbuf_appendc(b, ' ');
	write_addresses(b, env->sender != NULL ? env->sender : env->from);
	sbuf_appendc(b, ' ');
	write_addresses(b, env->reply_to != NULL ? env->reply_to : env->from);
	sbuf_appendc(b, ' ');
	write_addresses(b, env->to);
	sbuf_appendc(b, ' ');
	write_addresses(b, env->cc);
	sbuf_appendc(b, ' ');
	write_addresses(b, env->bcc);
	sbuf_appendc(b, ' ');
	imap_envelope_append_nstring_nolf(b, env->in_reply_to.p,
					  env->in_reply_to.len);
	sbuf_appendc(b, ' ');
	imap_envelope_append_nstring_nolf(b, env->message_id.p,
					  env->message_id.len);
	sbuf_appendc(b, ')');
}
