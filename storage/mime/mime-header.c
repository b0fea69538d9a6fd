/* Maildock - SPDX-License-Identifier: MIT
 *
 * Header blocks: splitting into fields (with folded lines), field values,
 * the Content-* fields of a part (RFC 2045, 2183, 3282, 2557, 1864) and the
 * ENVELOPE fields (RFC 3501 7.4.2), plus the public header accessors.
 */
#include <string.h>
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "storage/mime/mime-private.h"
#include "core/compat.h"

static bool
is_lwsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Account one physical line [p, lf] (lf == NULL: to end, no newline). */
static void
count_line(struct mime_hdr *h, const unsigned char *d, size_t p, size_t e,
	   bool has_lf)
{
	h->crlf += e - p;
	if (has_lf) {
		h->lines++;
		if (e - p < 2 || d[e - 2] != '\r') {
			h->crlf++;
			h->last_nl = 1;
		} else {
			h->last_nl = 2;
		}
	} else {
		h->last_nl = 0;
	}
	if (memchr(d + p, '\0', e - p) != NULL)
		h->nul = true;
}

int
mime_hdr_next(const unsigned char *d, size_t pos, size_t end,
	      struct mime_hdr *h)
{
	const unsigned char *lf;
	size_t p, e, i, line_end;

	memset(h, 0, sizeof(*h));
	h->start = pos;
	if (pos >= end)
		return -1;
	if (d[pos] == '\n' || (d[pos] == '\r' && pos + 1 < end &&
			       d[pos + 1] == '\n')) {
		h->end = pos + (d[pos] == '\n' ? 1 : 2);
		h->lines = 1;
		h->crlf = 2;
		h->last_nl = (unsigned)(h->end - pos);
		return 0;
	}
	/* first line: name and colon */
	lf = memchr(d + pos, '\n', end - pos);
	line_end = lf != NULL ? (size_t)(lf - d) : end;
	for (i = pos; i < line_end && d[i] != ':'; i++)
		;
	h->colon = i < line_end;
	if (h->colon) {
		size_t n = i, v = i + 1, vend = line_end;

		while (n > pos && is_lwsp(d[n - 1]))
			n--;
		h->name_end = n;
		if (vend > v && lf != NULL && d[vend - 1] == '\r')
			vend--;
		while (v < vend && is_lwsp(d[v]))
			v++;
		if (v == vend && vend > i + 1 && is_lwsp(d[i + 1]))
			v = i + 2;	/* all LWSP: skip only one */
		h->value_start = v;
	} else {
		size_t n = line_end;

		if (lf != NULL && n > pos && d[n - 1] == '\r')
			n--;
		h->name_end = n;
		h->value_start = n;
	}
	/* the lines of the field */
	for (p = pos;;) {
		lf = memchr(d + p, '\n', end - p);
		e = lf != NULL ? (size_t)(lf - d) + 1 : end;
		count_line(h, d, p, e, lf != NULL);
		p = e;
		if (lf == NULL || p >= end || !is_lwsp(d[p]))
			break;
	}
	h->end = p;
	return 1;
}

int
mime_hdr_value(struct arena *a, const unsigned char *d,
	       const struct mime_hdr *h, struct sview *value_r)
{
	const unsigned char *lf;
	size_t p, e;
	struct sbuf b;
	bool first = true;

	lf = memchr(d + h->value_start, '\n', h->end - h->value_start);
	if (lf == NULL || (size_t)(lf - d) + 1 == h->end) {
		e = lf != NULL ? (size_t)(lf - d) : h->end;
		if (lf != NULL && e > h->value_start && d[e - 1] == '\r')
			e--;
		if (e < h->value_start)
			e = h->value_start;
		value_r->p = (const char *)d + h->value_start;
		value_r->len = e - h->value_start;
		return 0;
	}
	sbuf_init(&b, a, 0);
	for (p = h->value_start; p < h->end; p = e) {
		lf = memchr(d + p, '\n', h->end - p);
		e = lf != NULL ? (size_t)(lf - d) + 1 : h->end;
		if (!first)
			sbuf_appendc(&b, '\n');
		first = false;
		{
			size_t le = lf != NULL ? e - 1 : e;

			if (lf != NULL && le > p && d[le - 1] == '\r')
				le--;
			sbuf_append(&b, d + p, le - p);
		}
	}
	if (sbuf_failed(&b))
		return -ERR_LIMIT;
	value_r->p = b.data;
	value_r->len = b.len;
	return 0;
}

static struct sview
dup_view(struct arena *a, const char *p, size_t len, bool *failed)
{
	char *s = mime_strndup(a, p, len);

	if (s == NULL)
		*failed = true;
	return (struct sview){ s, len };
}

static int
parse_type(struct arena *a, struct mime_part *part, struct sview v)
{
	struct mime_tok t;
	struct sbuf str;
	const char *slash;
	bool failed = false;
	int ret;

	sbuf_init(&str, a, 0);
	mime_tok_init(&t, v.p, v.len, NULL);
	mime_tok_skip_lwsp(&t);
	ret = mime_tok_content_type(&t, &str);
	slash = memchr(str.data, '/', str.len);
	if (slash != NULL) {
		part->type = dup_view(a, str.data,
				      (size_t)(slash - str.data), &failed);
		part->subtype = dup_view(a, slash + 1,
		    str.len - (size_t)(slash - str.data) - 1, &failed);
	} else {
		part->type = dup_view(a, str.data, str.len, &failed);
		part->subtype = dup_view(a, "", 0, &failed);
	}
	if (failed || sbuf_failed(&str))
		return -ERR_LIMIT;
	if (ret < 0)
		return 0;
	return mime_tok_params(a, &t, &part->params, &part->nparams);
}

static int
parse_encoding(struct arena *a, struct mime_part *part, struct sview v)
{
	struct mime_tok t;
	struct sbuf str;
	bool failed = false;

	sbuf_init(&str, a, 0);
	mime_tok_init(&t, v.p, v.len, NULL);
	mime_tok_skip_lwsp(&t);
	if (mime_tok_mime_token(&t, &str) >= 0 && mime_tok_skip_lwsp(&t) == 0 &&
	    str.len > 0)
		part->encoding = dup_view(a, str.data, str.len, &failed);
	return failed || sbuf_failed(&str) ? -ERR_LIMIT : 0;
}

static int
parse_disposition(struct arena *a, struct mime_part *part, struct sview v)
{
	struct mime_tok t;
	struct sbuf str;
	bool failed = false;

	sbuf_init(&str, a, 0);
	mime_tok_init(&t, v.p, v.len, NULL);
	mime_tok_skip_lwsp(&t);
	if (mime_tok_mime_token(&t, &str) < 0)
		return sbuf_failed(&str) ? -ERR_LIMIT : 0;
	part->disposition = dup_view(a, str.data, str.len, &failed);
	if (failed || sbuf_failed(&str))
		return -ERR_LIMIT;
	return mime_tok_params(a, &t, &part->disp_params, &part->ndisp_params);
}

#define MAX_LANGS 64

static int
parse_language(struct arena *a, struct mime_part *part, struct sview v)
{
	const char *langs[MAX_LANGS];
	unsigned int n = 0;
	struct mime_tok t;
	struct sbuf str;

	sbuf_init(&str, a, 0);
	mime_tok_init(&t, v.p, v.len, NULL);
	mime_tok_skip_lwsp(&t);
	while (n < MAX_LANGS && mime_tok_atom(&t, &str) >= 0) {
		if ((langs[n++] = mime_strndup(a, str.data, str.len)) == NULL)
			return -ERR_LIMIT;
		sbuf_reset(&str);
		if (t.p >= t.end || *t.p != ',')
			break;
		t.p++;
		mime_tok_skip_lwsp(&t);
	}
	if (n == 0)
		return 0;
	part->language = arena_alloc(a, sizeof(*part->language) * n);
	if (part->language == NULL)
		return -ERR_LIMIT;
	memcpy(part->language, langs, sizeof(*langs) * n);
	part->nlanguage = n;
	return 0;
}

int
mime_content_field(struct arena *a, struct mime_part *part,
		   struct sview name, struct sview v)
{
	bool failed = false;

	if (sview_eq_ci(name, "ID") && part->id.p == NULL)
		part->id = dup_view(a, v.p, v.len, &failed);
	else if (sview_eq_ci(name, "MD5") && part->md5.p == NULL)
		part->md5 = dup_view(a, v.p, v.len, &failed);
	else if (sview_eq_ci(name, "Type") && part->type.p == NULL)
		return parse_type(a, part, v);
	else if (sview_eq_ci(name, "Transfer-Encoding") &&
		 part->encoding.p == NULL)
		return parse_encoding(a, part, v);
	else if (sview_eq_ci(name, "Language") && part->language == NULL)
		return parse_language(a, part, v);
	else if (sview_eq_ci(name, "Location") && part->location.p == NULL)
		part->location = dup_view(a, v.p, v.len, &failed);
	else if (sview_eq_ci(name, "Description") &&
		 part->description.p == NULL)
		part->description = dup_view(a, v.p, v.len, &failed);
	else if (sview_eq_ci(name, "Disposition") && part->ndisp_params == 0)
		return parse_disposition(a, part, v);
	return failed ? -ERR_LIMIT : 0;
}

int
mime_envelope_field(struct arena *a, struct mime_envelope *env,
		    struct mime_env_tails *tails, struct sview name,
		    struct sview v)
{
	static const char *const addr_names[] = {
		"From", "Sender", "Reply-To", "To", "Cc", "Bcc"
	};
	struct mime_addr **lists[6] = {
		&env->from, &env->sender, &env->reply_to, &env->to, &env->cc,
		&env->bcc
	};
	struct sview *str = NULL;
	bool failed = false;
	size_t i;

	if (sview_eq_ci(name, "Date"))
		str = &env->date;
	else if (sview_eq_ci(name, "Subject"))
		str = &env->subject;
	else if (sview_eq_ci(name, "Message-ID"))
		str = &env->message_id;
	else if (sview_eq_ci(name, "In-Reply-To"))
		str = &env->in_reply_to;
	if (str != NULL) {
		*str = dup_view(a, v.p, v.len, &failed);
		return failed ? -ERR_LIMIT : 0;
	}
	for (i = 0; i < N_ELEMENTS(addr_names); i++) {
		struct mime_addr *list, **tail;
		int ret;

		if (!sview_eq_ci(name, addr_names[i]))
			continue;
		/* addresses of repeated fields are joined (as Dovecot);
		 * the tail is remembered so many fields stay linear */
		ret = mime_addr_parse(a, v.p, v.len, &list);
		tail = tails->tail[i] != NULL ? tails->tail[i] : lists[i];
		while (*tail != NULL)
			tail = &(*tail)->next;
		*tail = list;
		tails->tail[i] = tail;
		return ret;
	}
	return 0;
}

void
mime_header_iter_init(struct mime_header_iter *it,
		      const struct mime_message *m,
		      const struct mime_part *part)
{
	if (m->data == NULL) {
		/* deserialized and not attached: no header bytes */
		it->p = it->end = NULL;
		return;
	}
	it->p = m->data + part->offset;
	it->end = it->p + part->header.raw;
}

bool
mime_header_iter_next(struct mime_header_iter *it, struct sview *name_r,
		      struct sview *value_r)
{
	const unsigned char *base = it->p;
	struct mime_hdr h;
	size_t vend;

	if (base == NULL || mime_hdr_next(base, 0, (size_t)(it->end - base), &h) <= 0)
		return false;
	name_r->p = (const char *)base;
	name_r->len = h.name_end;
	vend = h.end;
	if (h.last_nl > 0)
		vend -= h.last_nl;
	if (vend < h.value_start)
		vend = h.value_start;
	value_r->p = (const char *)base + h.value_start;
	value_r->len = vend - h.value_start;
	it->p = base + h.end;
	return true;
}

char *
mime_unfold(struct arena *a, struct sview raw, size_t *len_r)
{
	char *out = arena_alloc(a, raw.len + 1);
	size_t i, n = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < raw.len; i++) {
		if (raw.p[i] == '\r' || raw.p[i] == '\n')
			continue;
		/* the TAB that starts a folded line reads as a space */
		if (raw.p[i] == '\t' && i > 0 && raw.p[i - 1] == '\n')
			out[n++] = ' ';
		else
			out[n++] = raw.p[i];
	}
	out[n] = '\0';
	if (len_r != NULL)
		*len_r = n;
	return out;
}

int
mime_header_get(struct arena *a, const struct mime_message *m,
		const struct mime_part *part, const char *name,
		struct sview *value_r)
{
	struct mime_header_iter it;
	struct sview n, v;

	mime_header_iter_init(&it, m, part);
	while (mime_header_iter_next(&it, &n, &v)) {
		if (!sview_eq_ci(n, name))
			continue;
		value_r->p = mime_unfold(a, v, &value_r->len);
		return value_r->p == NULL ? -ERR_LIMIT : 1;
	}
	return 0;
}
