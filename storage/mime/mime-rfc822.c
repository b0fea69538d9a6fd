/* Maildock - SPDX-License-Identifier: MIT
 *
 * RFC 5322 / RFC 2045 tokenizer for header values: white space and
 * comments, atoms, MIME tokens, quoted strings, phrases, domains, the
 * Content-Type value and its parameters (with RFC 2231 continuations). It
 * reads broken input the way Dovecot 2.3 does, so that our answers match.
 */
#include <string.h>
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "storage/mime/mime-private.h"
#include "core/compat.h"

/* atext (RFC 5322 3.2.3) plus 8-bit bytes. */
static bool
is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true;
	if (c <= ' ' || c == 0x7f)
		return false;
	return strchr("\"(),.:;<>@[\\]", c) == NULL;
}

/* atext without the MIME tspecials "/", "=", "?" (RFC 2045 5.1). */
static bool
is_token_char(unsigned char c)
{
	return is_atext(c) && c != '/' && c != '=' && c != '?';
}

char *
mime_strndup(struct arena *a, const void *p, size_t len)
{
	char *s;

	/* not arena_strndup: header values may hold NUL bytes */
	if (len == SIZE_MAX || (s = arena_alloc(a, len + 1)) == NULL)
		return NULL;
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

static int
skip_comment(struct mime_tok *t)
{
	const unsigned char *start;
	int level = 1;

	if (t->comment != NULL)
		sbuf_reset(t->comment);
	start = ++t->p;
	for (; t->p < t->end; t->p++) {
		switch (*t->p) {
		case '(':
			level++;
			break;
		case ')':
			if (--level == 0) {
				if (t->comment != NULL)
					sbuf_append(t->comment, start,
						    (size_t)(t->p - start));
				t->p++;
				return t->p < t->end;
			}
			break;
		case '\\':
			if (t->comment != NULL)
				sbuf_append(t->comment, start,
					    (size_t)(t->p - start));
			start = t->p + 1;
			t->p++;
			if (t->p >= t->end)
				return -1;
			break;
		}
	}
	return -1;
}

int
mime_tok_skip_lwsp(struct mime_tok *t)
{
	while (t->p < t->end) {
		unsigned char c = *t->p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			t->p++;
			continue;
		}
		if (c != '(')
			break;
		if (skip_comment(t) < 0)
			return -1;
	}
	return t->p < t->end;
}

int
mime_tok_atom(struct mime_tok *t, struct sbuf *str)
{
	const unsigned char *start;

	if (t->p >= t->end || !is_atext(*t->p))
		return -1;
	start = t->p++;
	while (t->p < t->end && is_atext(*t->p))
		t->p++;
	sbuf_append(str, start, (size_t)(t->p - start));
	return mime_tok_skip_lwsp(t);
}

int
mime_tok_dot_atom(struct mime_tok *t, struct sbuf *str)
{
	const unsigned char *start;
	int ret;

	if (t->p >= t->end || !is_atext(*t->p))
		return -1;
	for (start = t->p++; t->p < t->end;) {
		if (is_atext(*t->p)) {
			t->p++;
			continue;
		}
		sbuf_append(str, start, (size_t)(t->p - start));
		if ((ret = mime_tok_skip_lwsp(t)) <= 0)
			return ret;
		if (*t->p != '.')
			return 1;
		t->p++;
		sbuf_appendc(str, '.');
		if ((ret = mime_tok_skip_lwsp(t)) <= 0)
			return ret;
		start = t->p;
	}
	sbuf_append(str, start, (size_t)(t->p - start));
	return 0;
}

int
mime_tok_mime_token(struct mime_tok *t, struct sbuf *str)
{
	const unsigned char *start = t->p;

	while (t->p < t->end && (is_token_char(*t->p) || *t->p == '.'))
		t->p++;
	sbuf_append(str, start, (size_t)(t->p - start));
	return t->p < t->end ? mime_tok_skip_lwsp(t) : 0;
}

int
mime_tok_quoted(struct mime_tok *t, struct sbuf *str)
{
	const unsigned char *start;
	size_t len;

	t->p++;
	for (start = t->p; t->p < t->end; t->p++) {
		switch (*t->p) {
		case '"':
			sbuf_append(str, start, (size_t)(t->p - start));
			t->p++;
			return mime_tok_skip_lwsp(t);
		case '\n':
			/* folding white space: drop the (CR)LF */
			len = (size_t)(t->p - start);
			if (len > 0 && start[len - 1] == '\r')
				len--;
			sbuf_append(str, start, len);
			start = t->p + 1;
			break;
		case '\\':
			t->p++;
			if (t->p >= t->end)
				return -1;
			sbuf_append(str, start, (size_t)(t->p - start - 1));
			start = t->p;
			break;
		}
	}
	return -1;
}

static int
atom_or_dot(struct mime_tok *t, struct sbuf *str)
{
	const unsigned char *start = t->p;

	while (t->p < t->end && (is_atext(*t->p) || *t->p == '.'))
		t->p++;
	sbuf_append(str, start, (size_t)(t->p - start));
	return t->p < t->end ? mime_tok_skip_lwsp(t) : 0;
}

int
mime_tok_phrase(struct mime_tok *t, struct sbuf *str)
{
	int ret;

	if (t->p >= t->end)
		return 0;
	if (*t->p == '.')
		return -1;
	for (;;) {
		if (*t->p == '"')
			ret = mime_tok_quoted(t, str);
		else
			ret = atom_or_dot(t, str);
		if (ret <= 0)
			return ret;
		if (!is_atext(*t->p) && *t->p != '"' && *t->p != '.')
			break;
		sbuf_appendc(str, ' ');
	}
	return mime_tok_skip_lwsp(t);
}

static int
domain_literal(struct mime_tok *t, struct sbuf *str)
{
	const unsigned char *start = t->p;

	for (; t->p < t->end; t->p++) {
		if (*t->p == '\\') {
			t->p++;
			if (t->p >= t->end)
				break;
		} else if (*t->p == ']') {
			t->p++;
			sbuf_append(str, start, (size_t)(t->p - start));
			return mime_tok_skip_lwsp(t);
		}
	}
	return -1;
}

int
mime_tok_domain(struct mime_tok *t, struct sbuf *str)
{
	t->p++;		/* the '@' */
	if (mime_tok_skip_lwsp(t) <= 0)
		return -1;
	if (*t->p == '[')
		return domain_literal(t, str);
	return mime_tok_dot_atom(t, str);
}

int
mime_tok_content_type(struct mime_tok *t, struct sbuf *str)
{
	size_t orig = str->len, sub;
	int ret;

	if (mime_tok_skip_lwsp(t) <= 0)
		return -1;
	/* a type alone up to the end ("text") is kept as Dovecot keeps it;
	 * anything else malformed gives an empty type */
	if (mime_tok_mime_token(t, str) <= 0)
		return -1;
	if (str->len == orig || *t->p != '/')
		goto broken;
	t->p++;
	if (mime_tok_skip_lwsp(t) <= 0)
		goto broken;
	sbuf_appendc(str, '/');
	sub = str->len;
	ret = mime_tok_mime_token(t, str);
	if (ret < 0 || str->len == sub || (ret > 0 && *t->p != ';'))
		goto broken;
	return ret;
broken:
	sbuf_truncate(str, orig);
	return -1;
}

/* One "; key=value". Returns 1 with key/value in str (key, NUL, value),
 * 0 at the end, -1 when broken. */
static int
content_param(struct mime_tok *t, struct sbuf *str, size_t *value_pos_r)
{
	int ret;

	sbuf_reset(str);
	if (t->p >= t->end)
		return 0;
	if (*t->p != ';')
		return -1;
	t->p++;
	if (mime_tok_skip_lwsp(t) <= 0)
		return -1;
	if (mime_tok_mime_token(t, str) <= 0)
		return -1;
	sbuf_appendc(str, '\0');
	*value_pos_r = str->len;
	if (*t->p != '=')
		return -1;
	t->p++;
	if ((ret = mime_tok_skip_lwsp(t)) <= 0) {
		/* no value */
	} else if (*t->p == '"') {
		ret = mime_tok_quoted(t, str);
	} else if (*t->p == '=') {
		/* broken "name==?utf-8?b?...?=" */
		while (t->p < t->end && *t->p != ';' && *t->p != ' ' &&
		       *t->p != '\t' && *t->p != '\r' && *t->p != '\n')
			sbuf_appendc(str, (char)*t->p++);
	} else {
		ret = mime_tok_mime_token(t, str);
	}
	return ret < 0 ? -1 : 1;
}

struct raw_param {
	char *key;		/* RFC 2231: the name before '*' */
	char *value;
	unsigned int idx;
	bool rfc2231, extended;
};

static int
raw_param_cmp(const void *a, const void *b)
{
	const struct raw_param *x = a, *y = b;
	int ret = strcmp(x->key, y->key);

	if (ret != 0)
		return ret;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Split "key*<n>[*]" into its parts; false when not RFC 2231 form. */
static bool
split_2231(struct raw_param *rp)
{
	char *star = strchr(rp->key, '*'), *p = star;

	if (star == NULL)
		return false;
	rp->idx = 0;
	if (p[1] != '\0') {
		p++;
		for (; *p >= '0' && *p <= '9'; p++)
			rp->idx = rp->idx * 10 + (unsigned)(*p - '0');
	}
	rp->extended = *p == '*';
	if (rp->extended)
		p++;
	if (*p != '\0')
		return false;
	*star = '\0';
	rp->rfc2231 = true;
	return true;
}

static void
escape_percent(struct sbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '%')
			sbuf_appends(b, "%25");
		else
			sbuf_appendc(b, *s);
	}
}

/* Merge the RFC 2231 pieces rp[0..n) of one name into out. */
static int
merge_2231(struct arena *a, struct raw_param *rp, unsigned int n,
	   struct mime_param *out, unsigned int *nout)
{
	bool ok = true, have_ext = false;
	struct sbuf b;
	unsigned int j;

	for (j = 0; j < n; j++) {
		if (rp[j].idx != j)
			ok = false;
		if (rp[j].extended)
			have_ext = true;
	}
	if (!ok) {
		for (j = 0; j < n; j++) {
			out[*nout].name = arena_printf(a,
			    rp[j].extended ? "%s*%u*" : "%s*%u",
			    rp[j].key, rp[j].idx);
			out[(*nout)++].value = rp[j].value;
		}
		return arena_failed(a) ? -ERR_LIMIT : 0;
	}
	sbuf_init(&b, a, 0);
	if (!rp[0].extended && have_ext)
		sbuf_appends(&b, "''");
	for (j = 0; j < n; j++) {
		if (!rp[j].extended && have_ext)
			escape_percent(&b, rp[j].value);
		else
			sbuf_appends(&b, rp[j].value);
	}
	out[*nout].name = have_ext ? arena_printf(a, "%s*", rp[0].key) :
	    rp[0].key;
	out[(*nout)++].value = b.data;
	return sbuf_failed(&b) || arena_failed(a) ? -ERR_LIMIT : 0;
}

#define MAX_PARAMS 256

int
mime_tok_params(struct arena *a, struct mime_tok *t,
		struct mime_param **params_r, unsigned int *count_r)
{
	struct raw_param raw[MAX_PARAMS], ext[MAX_PARAMS];
	unsigned int nraw = 0, next = 0, i, j, nout = 0;
	struct mime_param *out;
	size_t vpos = 0;
	struct sbuf str;
	int ret;

	*params_r = NULL;
	*count_r = 0;
	sbuf_init(&str, a, 0);
	while ((ret = content_param(t, &str, &vpos)) != 0) {
		struct raw_param rp;

		if (ret < 0) {
			if (t->p >= t->end)
				break;
			t->p++;
			continue;
		}
		if (nraw + next >= MAX_PARAMS)
			continue;
		memset(&rp, 0, sizeof(rp));
		rp.key = mime_strndup(a, str.data, strlen(str.data));
		rp.value = mime_strndup(a, str.data + vpos,
					strlen(str.data + vpos));
		if (rp.key == NULL || rp.value == NULL)
			return -ERR_LIMIT;
		if (split_2231(&rp))
			ext[next++] = rp;
		else
			raw[nraw++] = rp;
	}
	if (sbuf_failed(&str))
		return -ERR_LIMIT;
	if (nraw + next == 0)
		return 0;
	out = arena_alloc(a, sizeof(*out) * (nraw + next));
	if (out == NULL)
		return -ERR_LIMIT;
	for (i = 0; i < nraw; i++) {
		out[nout].name = raw[i].key;
		out[nout++].value = raw[i].value;
	}
	qsort(ext, next, sizeof(ext[0]), raw_param_cmp);
	for (i = 0; i < next; i = j) {
		for (j = i; j < next && strcasecmp(ext[i].key, ext[j].key) == 0;
		     j++)
			;
		if (merge_2231(a, ext + i, j - i, out, &nout) < 0)
			return -ERR_LIMIT;
	}
	*params_r = out;
	*count_r = nout;
	return 0;
}
