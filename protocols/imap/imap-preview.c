/* Maildock - SPDX-License-Identifier: MIT
 *
 * PREVIEW text (RFC 8970 3.1): the first readable body part of a message
 * reduced to at most 256 characters of plain text on one line.
 */
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/mime/mime.h"
#include "protocols/imap/imap-arg.h"
#include "protocols/imap/imap-preview.h"
#include "core/compat.h"

struct preview {
	struct sbuf b;
	unsigned chars;
	bool space;		/* a space is owed before the next character */
	bool done;		/* IMAP_PREVIEW_MAX_CHARS reached */
};

static bool
sv_eq(struct sview v, const char *s)
{
	return v.p != NULL && v.len == strlen(s) &&
	       strncasecmp(v.p, s, v.len) == 0;
}

/* first_text: depth-first, the first text/plain or text/html leaf that is
 * not an attachment; an attached message (message/rfc822) is not the
 * message's own text */
static const struct mime_part *
first_text(const struct mime_part *p, bool *html_r)
{
	const struct mime_part *c, *r;

	if (p->flags & MIME_PART_MULTIPART) {
		for (c = p->children; c != NULL; c = c->next)
			if ((r = first_text(c, html_r)) != NULL)
				return r;
		return NULL;
	}
	if ((p->flags & (MIME_PART_TEXT | MIME_PART_RFC822)) !=
	    MIME_PART_TEXT || sv_eq(p->disposition, "attachment"))
		return NULL;
	*html_r = sv_eq(p->subtype, "html");
	if (p->type.p == NULL || sv_eq(p->subtype, "plain") || *html_r)
		return p;
	return NULL;
}

/* char_len: the length of the well-formed UTF-8 character at p[0..n), or
 * 0 for a byte that starts none (mime_part_text passes a text declared
 * UTF-8 through unchecked) */
static size_t
char_len(const char *p, size_t n)
{
	unsigned char c = (unsigned char)p[0];
	size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

	return len <= n && imap_arg_utf8_valid(p, len) ? len : 0;
}

/* put: one character (a byte that starts none becomes U+FFFD); white
 * space and control characters (C0, DEL, C1) collapse into one space */
static void
put(struct preview *pv, const char *p, size_t len)
{
	unsigned char c = (unsigned char)p[0];
	unsigned need;

	if (pv->done)
		return;
	if (len == 0) {
		p = "\xef\xbf\xbd";
		len = 3;
	}
	if (c <= ' ' || c == 0x7f || (c == 0xc2 && len == 2 &&
				      (unsigned char)p[1] < 0xa0)) {
		pv->space = pv->b.len > 0;
		return;
	}
	need = pv->space ? 2 : 1;
	if (pv->chars + need > IMAP_PREVIEW_MAX_CHARS) {
		pv->done = true;
		return;
	}
	if (pv->space)
		sbuf_appendc(&pv->b, ' ');
	sbuf_append(&pv->b, p, len);
	pv->chars += need;
	pv->space = false;
}

/* put_one: the character at p[0..n); returns the bytes it took */
static size_t
put_one(struct preview *pv, const char *p, size_t n)
{
	size_t len = char_len(p, n);

	put(pv, p, len);
	return len > 0 ? len : 1;
}

/* find_ci: the offset of needle in p[from..n), any case, or n */
static size_t
find_ci(const char *p, size_t n, size_t from, const char *needle)
{
	size_t l = strlen(needle);

	for (size_t i = from; i + l <= n; i++)
		if (strncasecmp(p + i, needle, l) == 0)
			return i;
	return n;
}

/* skip_tag: past the tag at p[i] == '<'; past the end tag too for a
 * style or script block, whose content is no text */
static size_t
skip_tag(const char *p, size_t n, size_t i)
{
	static const char *const blocks[] = { "style", "script" };
	const char *gt;

	for (size_t k = 0; k < N_ELEMENTS(blocks); k++) {
		size_t l = strlen(blocks[k]);
		if (n - i > l + 1 && strncasecmp(p + i + 1, blocks[k], l) == 0 &&
		    (p[i + 1 + l] == '>' || p[i + 1 + l] == ' ' ||
		     p[i + 1 + l] == '\t' || p[i + 1 + l] == '\n')) {
			char end[16] = "</";
			str_copy(end + 2, blocks[k], sizeof(end) - 2);
			i = find_ci(p, n, i + 1, end);
			break;
		}
	}
	gt = i < n ? memchr(p + i, '>', n - i) : NULL;
	return gt == NULL ? n : (size_t)(gt - p) + 1;
}

static const struct {
	const char *name;
	char c;
} entities[] = {
	{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' },
	{ "apos;", '\'' }, { "#39;", '\'' }, { "nbsp;", ' ' },
};

/* html: tags dropped, the common entities decoded, anything else kept */
static void
html(struct preview *pv, const char *p, size_t n)
{
	size_t i = 0, k;

	while (i < n && !pv->done) {
		if (p[i] == '<') {
			i = skip_tag(p, n, i);
			put(pv, " ", 1);
			continue;
		}
		if (p[i] == '&') {
			for (k = 0; k < N_ELEMENTS(entities); k++)
				if (n - i - 1 >= strlen(entities[k].name) &&
				    strncasecmp(p + i + 1, entities[k].name,
						strlen(entities[k].name)) == 0)
					break;
			if (k < N_ELEMENTS(entities)) {
				put(pv, &entities[k].c, 1);
				i += 1 + strlen(entities[k].name);
				continue;
			}
		}
		i += put_one(pv, p + i, n - i);
	}
}

/* Octets of a part's body read for its preview: 256 characters are found
 * in far less, even behind a <style> block, and a part of many megabytes
 * is then neither decoded whole nor held in memory. */
#define PREVIEW_SCAN_MAX (64 * 1024)

int
imap_preview_make(struct arena *a, const struct mime_message *m,
		  const char **text_r, size_t *len_r)
{
	const struct mime_part *part;
	struct mime_part head;
	struct preview pv = { .chars = 0, .done = false };
	struct sview text;
	bool is_html = false;
	int r;

	*text_r = "";
	*len_r = 0;
	if ((part = first_text(m->root, &is_html)) == NULL)
		return 0;
	head = *part;
	if (head.body.raw > PREVIEW_SCAN_MAX)
		head.body.raw = PREVIEW_SCAN_MAX;
	if ((r = mime_part_text(a, m, &head, &text)) < 0)
		return r;
	/* 4 octets per character at most, plus the NUL */
	sbuf_init(&pv.b, a, IMAP_PREVIEW_MAX_CHARS * 4 + 1);
	if (is_html)
		html(&pv, text.p, text.len);
	else
		for (size_t i = 0; i < text.len && !pv.done;)
			i += put_one(&pv, text.p + i, text.len - i);
	if (sbuf_failed(&pv.b))
		return -ERR_LIMIT;
	*text_r = pv.b.data != NULL ? pv.b.data : "";
	*len_r = pv.b.len;
	return 0;
}
