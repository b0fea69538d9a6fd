/* Maildock - SPDX-License-Identifier: MIT
 *
 * BODY / BODYSTRUCTURE for FETCH (RFC 3501 7.4.2) from the storage/mime
 * part tree. Field order, defaults and quoting follow Dovecot 2.3.
 */
#include <string.h>
#include <strings.h>
#include "protocols/imap/imap-bodystructure.h"
#include "protocols/imap/imap-envelope.h"
#include "core/compat.h"

#define EMPTY_BODY "(\"text\" \"plain\" (\"charset\" \"us-ascii\") " \
	"NIL NIL \"7bit\" 0 0"

static void write_part(struct sbuf *b, const struct mime_part *part,
		       bool extended);

static void
append_string(struct sbuf *b, const char *s)
{
	imap_envelope_append_nstring(b, s, strlen(s));
}

static void
append_view(struct sbuf *b, struct sview v)
{
	imap_envelope_append_nstring_nolf(b, v.p, v.len);
}

static void
write_params(struct sbuf *b, const struct mime_param *params,
	     unsigned int n, bool default_charset)
{
	bool seen_charset = false;
	unsigned int i;

	if (!default_charset && n == 0) {
		sbuf_appends(b, "NIL");
		return;
	}
	sbuf_appendc(b, '(');
	for (i = 0; i < n; i++) {
		if (i > 0)
			sbuf_appendc(b, ' ');
		if (strcasecmp(params[i].name, "charset") == 0)
			seen_charset = true;
		append_string(b, params[i].name);
		sbuf_appendc(b, ' ');
		append_string(b, params[i].value);
	}
	if (default_charset && !seen_charset) {
		if (i > 0)
			sbuf_appendc(b, ' ');
		sbuf_appends(b, "\"charset\" \"us-ascii\"");
	}
	sbuf_appendc(b, ')');
}

/* disposition, language, location: common to all extended bodies */
static void
write_ext_common(struct sbuf *b, const struct mime_part *part)
{
	unsigned int i;

	sbuf_appendc(b, ' ');
	if (part->disposition.p == NULL) {
		sbuf_appends(b, "NIL");
	} else {
		sbuf_appendc(b, '(');
		append_string(b, part->disposition.p);
		sbuf_appendc(b, ' ');
		write_params(b, part->disp_params, part->ndisp_params, false);
		sbuf_appendc(b, ')');
	}
	sbuf_appendc(b, ' ');
	if (part->nlanguage == 0) {
		sbuf_appends(b, "NIL");
	} else {
		sbuf_appendc(b, '(');
		for (i = 0; i < part->nlanguage; i++) {
			if (i > 0)
				sbuf_appendc(b, ' ');
			append_string(b, part->language[i]);
		}
		sbuf_appendc(b, ')');
	}
	sbuf_appendc(b, ' ');
	append_view(b, part->location);
}

static void
write_multipart(struct sbuf *b, const struct mime_part *part, bool extended)
{
	const struct mime_part *child;

	if (part->children == NULL) {
		sbuf_appends(b, EMPTY_BODY);
		sbuf_appends(b, extended ? " NIL NIL NIL NIL)" : ")");
	}
	for (child = part->children; child != NULL; child = child->next)
		write_part(b, child, extended);
	sbuf_appendc(b, ' ');
	append_string(b, part->subtype.p != NULL ? part->subtype.p : "");
	if (!extended)
		return;
	sbuf_appendc(b, ' ');
	write_params(b, part->params, part->nparams, false);
	write_ext_common(b, part);
}

/* A message/rfc822 or multipart left unparsed at the nesting or part cap
 * (or a digest member without Content-Type there) is sent as
 * application/octet-stream, as Dovecot does: it has no line count to give. */
static bool
part_truncated(const struct mime_part *part)
{
	if (part->type.p != NULL) {
		return (strcasecmp(part->type.p, "message") == 0 &&
			strcasecmp(part->subtype.p, "rfc822") == 0) ||
		    strcasecmp(part->type.p, "multipart") == 0;
	}
	return part->parent != NULL &&
	    (part->parent->flags & MIME_PART_DIGEST) != 0;
}

static void
write_leaf(struct sbuf *b, const struct mime_part *part, bool extended)
{
	bool text;

	if ((part->flags & MIME_PART_RFC822) != 0) {
		sbuf_appends(b, "\"message\" \"rfc822\"");
		text = false;
	} else if (part_truncated(part)) {
		sbuf_appends(b, "\"application\" \"octet-stream\"");
		text = false;
	} else if (part->type.p == NULL) {
		sbuf_appends(b, "\"text\" \"plain\"");
		text = true;
	} else {
		text = strcasecmp(part->type.p, "text") == 0;
		append_string(b, part->type.p);
		sbuf_appendc(b, ' ');
		append_string(b, part->subtype.p != NULL ? part->subtype.p : "");
	}
	sbuf_appendc(b, ' ');
	write_params(b, part->params, part->nparams, text);
	sbuf_appendc(b, ' ');
	append_view(b, part->id);
	sbuf_appendc(b, ' ');
	append_view(b, part->description);
	sbuf_appendc(b, ' ');
	if (part->encoding.p != NULL)
		append_string(b, part->encoding.p);
	else
		sbuf_appends(b, "\"7bit\"");
	sbuf_appendf(b, " %llu", (unsigned long long)part->body.crlf);
	if (text) {
		sbuf_appendf(b, " %llu", (unsigned long long)part->body.lines);
	} else if ((part->flags & MIME_PART_RFC822) != 0 &&
		   part->children != NULL) {
		sbuf_appendc(b, ' ');
		imap_envelope_write(b, part->children->envelope);
		sbuf_appendc(b, ' ');
		write_part(b, part->children, extended);
		sbuf_appendf(b, " %llu", (unsigned long long)part->body.lines);
	}
	if (!extended)
		return;
	sbuf_appendc(b, ' ');
	append_view(b, part->md5);
	write_ext_common(b, part);
}

static void
write_part(struct sbuf *b, const struct mime_part *part, bool extended)
{
	sbuf_appendc(b, '(');
	if ((part->flags & MIME_PART_MULTIPART) != 0)
		write_multipart(b, part, extended);
	else
		write_leaf(b, part, extended);
	sbuf_appendc(b, ')');
}

/* Dovecot caches a single 7-bit us-ascii text/plain message as a flag and
 * answers with the defaults (lower case), whatever case the header used;
 * we do the same so both servers give one answer. */
static bool
plain_7bit(const struct mime_part *part)
{
	if (part->parent != NULL || part->next != NULL ||
	    part->children != NULL || (part->flags & MIME_PART_TEXT) == 0)
		return false;
	if (part->subtype.p != NULL && strcasecmp(part->subtype.p, "plain"))
		return false;
	if (part->nparams > 1 || (part->nparams == 1 &&
	    (strcasecmp(part->params[0].name, "charset") != 0 ||
	     strcasecmp(part->params[0].value, "us-ascii") != 0)))
		return false;
	if (part->id.p != NULL || part->description.p != NULL)
		return false;
	if (part->encoding.p != NULL && strcasecmp(part->encoding.p, "7bit"))
		return false;
	return part->md5.p == NULL && part->disposition.p == NULL &&
	    part->nlanguage == 0 && part->location.p == NULL;
}

void
imap_bodystructure_write(struct sbuf *b, const struct mime_part *part,
			 bool extended)
{
	if (plain_7bit(part)) {
		sbuf_appendf(b, "(\"text\" \"plain\" (\"charset\" \"us-ascii\") "
		    "NIL NIL \"7bit\" %llu %llu%s)",
		    (unsigned long long)part->body.crlf,
		    (unsigned long long)part->body.lines,
		    extended ? " NIL NIL NIL NIL" : "");
		return;
	}
	write_part(b, part, extended);
}
