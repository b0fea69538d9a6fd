/* Maildock - SPDX-License-Identifier: MIT
 *
 * Decoding for SEARCH: quoted-printable and base64 bodies (RFC 2045 6.7,
 * 6.8), RFC 2047 encoded-words in header text, and charset conversion to
 * UTF-8 with iconv. Never fails on malformed input; only the arena cap
 * stops it.
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "storage/mime/mime-private.h"
#include "core/compat.h"

const char *
mime_param_get(const struct mime_param *params, unsigned int n,
	       const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (strcasecmp(params[i].name, name) == 0)
			return params[i].value;
	}
	return NULL;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
view_out(struct sbuf *b, struct sview *out_r)
{
	if (sbuf_failed(b))
		return -ERR_LIMIT;
	out_r->p = b->data;
	out_r->len = b->len;
	return 0;
}

/* QP; underscore_space: the RFC 2047 "Q" form. The output is never
 * longer than the input, so it is allocated once. */
static int
decode_qp(struct arena *a, struct sview in, bool underscore_space,
	  struct sview *out_r)
{
	const unsigned char *s = (const unsigned char *)in.p;
	size_t i, n = in.len, o = 0;
	char *out;

	if (n == SIZE_MAX || (out = arena_alloc(a, n + 1)) == NULL)
		return -ERR_LIMIT;
	for (i = 0; i < n; i++) {
		if (s[i] == '_' && underscore_space) {
			out[o++] = ' ';
		} else if ((s[i] == ' ' || s[i] == '\t') && !underscore_space) {
			/* white space at the end of a line was added in
			 * transport: deleted (RFC 2045 6.7 rule 3) */
			size_t j = i;

			while (j < n && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (!(j == n || s[j] == '\n' ||
			      (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n'))) {
				memcpy(out + o, s + i, j - i);
				o += j - i;
			}
			i = j - 1;
		} else if (s[i] != '=') {
			out[o++] = (char)s[i];
		} else if (i + 2 < n && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 +
					  hexval(s[i + 2]));
			i += 2;
		} else {
			/* soft line break: "=" [white space] [CR] LF */
			size_t j = i + 1;

			while (j < n && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (j < n && s[j] == '\r')
				j++;
			if (j < n && s[j] == '\n')
				i = j;
			else if (j >= n)
				i = n;
			else
				out[o++] = '=';
		}
	}
	out[o] = '\0';
	out_r->p = out;
	out_r->len = o;
	return 0;
}

int
mime_decode_qp(struct arena *a, struct sview in, struct sview *out_r)
{
	return decode_qp(a, in, false, out_r);
}

static const signed char b64tab[128] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
};

static int
b64val(unsigned char c)
{
	return c < 128 ? b64tab[c] : -1;
}

int
mime_decode_base64(struct arena *a, struct sview in, struct sview *out_r)
{
	const unsigned char *s = (const unsigned char *)in.p;
	unsigned int acc = 0, bits = 0;
	size_t i, o = 0;
	char *out;

	/* 4 characters make 3 bytes: the output is shorter than the input */
	if (in.len == SIZE_MAX || (out = arena_alloc(a, in.len + 1)) == NULL)
		return -ERR_LIMIT;
	for (i = 0; i < in.len; i++) {
		int v;

		/* whole quads while no bits are pending (hot in SEARCH) */
		while (bits == 0 && in.len - i >= 4) {
			int q0 = b64val(s[i]), q1 = b64val(s[i + 1]),
			    q2 = b64val(s[i + 2]), q3 = b64val(s[i + 3]);
			if ((q0 | q1 | q2 | q3) < 0)
				break;
			acc = (unsigned)q0 << 18 | (unsigned)q1 << 12 |
			      (unsigned)q2 << 6 | (unsigned)q3;
			out[o++] = (char)(acc >> 16);
			out[o++] = (char)(acc >> 8 & 0xff);
			out[o++] = (char)(acc & 0xff);
			i += 4;
		}
		if (i == in.len)
			break;
		if (s[i] == '=')
			break;
		if ((v = b64val(s[i])) < 0)
			continue;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	out_r->p = out;
	out_r->len = o;
	return 0;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t k, len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	}
	return len;
}

/* Copy UTF-8 text, each invalid byte becoming U+FFFD (as Dovecot does
 * for text that claims to be UTF-8 or US-ASCII, or names no charset). */
static void
append_utf8_fixed(struct sbuf *b, const unsigned char *s, size_t n)
{
	size_t i = 0, from = 0, len;

	while (i < n) {
		if ((len = utf8_seq(s + i, n - i)) > 0) {
			i += len;
			continue;
		}
		sbuf_append(b, s + from, i - from);
		sbuf_appends(b, "\xef\xbf\xbd");
		from = ++i;
	}
	sbuf_append(b, s + from, n - from);
}

static bool
is_utf8_name(const char *cs)
{
	return strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0 ||
	    strcasecmp(cs, "us-ascii") == 0 || strcasecmp(cs, "ascii") == 0;
}

/* Convert with iconv into b; false if the charset is unknown. */
static bool
append_iconv(struct sbuf *b, const char *charset, const char *in, size_t n)
{
	char out[4096], *inp = (char *)in, *outp;
	size_t inleft = n, outleft;
	iconv_t cd;

	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return false;
	while (inleft > 0 && !b->failed) {
		outp = out;
		outleft = sizeof(out);
		if (iconv(cd, &inp, &inleft, &outp, &outleft) == (size_t)-1) {
			sbuf_append(b, out, sizeof(out) - outleft);
			if (errno == E2BIG)
				continue;
			/* invalid or truncated sequence: U+FFFD, skip a byte */
			sbuf_appends(b, "\xef\xbf\xbd");
			inp++;
			inleft--;
			iconv(cd, NULL, NULL, NULL, NULL);
			continue;
		}
		sbuf_append(b, out, sizeof(out) - outleft);
	}
	outp = out;
	outleft = sizeof(out);
	iconv(cd, NULL, NULL, &outp, &outleft);
	sbuf_append(b, out, sizeof(out) - outleft);
	iconv_close(cd);
	return true;
}

static void
append_charset(struct sbuf *b, const char *charset, const char *p, size_t n)
{
	if (charset == NULL || is_utf8_name(charset) ||
	    !append_iconv(b, charset, p, n))
		append_utf8_fixed(b, (const unsigned char *)p, n);
}

static bool
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, len;

	while (i < n) {
		if ((len = utf8_seq(s + i, n - i)) == 0)
			return false;
		i += len;
	}
	return true;
}

int
mime_charset_to_utf8(struct arena *a, const char *charset, struct sview in,
		     struct sview *out_r)
{
	struct sbuf b;

	/* the common case, text that is UTF-8 already: one exact copy */
	if ((charset == NULL || is_utf8_name(charset)) &&
	    valid_utf8((const unsigned char *)in.p, in.len)) {
		out_r->p = mime_strndup(a, in.p, in.len);
		out_r->len = in.len;
		return out_r->p == NULL ? -ERR_LIMIT : 0;
	}

	sbuf_init(&b, a, 0);
	append_charset(&b, charset, in.p, in.len);
	return view_out(&b, out_r);
}

/* The next "?=" at or after start, or end. *cache remembers the last
 * answer: starts only grow, so a cached "?=" at or after start is still the
 * first one, and the whole header is scanned once (a header full of "=?"
 * without "?=" stayed linear only thanks to this). */
static const char *
find_close(const char *start, const char *end, const char **cache)
{
	const char *p;

	if (*cache != NULL && *cache >= start)
		return *cache;
	for (p = start; p + 1 < end; p++) {
		p = memchr(p, '?', (size_t)(end - p) - 1);
		if (p == NULL)
			break;
		if (p[1] == '=')
			return *cache = p;
	}
	return *cache = end;
}

/* Try to decode "=?charset?E?text?=" at s[0..n); returns its length or 0. */
static size_t
encoded_word(struct arena *a, struct sbuf *b, const char *s, size_t n,
	     const char **close_cache)
{
	const char *q1, *q2, *q3, *end = s + n;
	char charset[64], *star;
	struct sview raw, dec;
	size_t cslen;

	if (n < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	q1 = memchr(s + 2, '?', n - 2 < sizeof(charset) ? n - 2 :
		    sizeof(charset));
	if (q1 == NULL || (size_t)(q1 - s) + 3 >= n || q1[2] != '?')
		return 0;
	q2 = q1 + 2;
	q3 = find_close(q2 + 1, end, close_cache);
	if (q3 + 1 >= end)
		return 0;
	cslen = (size_t)(q1 - (s + 2));
	if (cslen == 0 || cslen >= sizeof(charset))
		return 0;
	memcpy(charset, s + 2, cslen);
	charset[cslen] = '\0';
	if ((star = strchr(charset, '*')) != NULL)
		*star = '\0';	/* RFC 2231 language suffix */
	raw.p = q2 + 1;
	raw.len = (size_t)(q3 - raw.p);
	if (q1[1] == 'B' || q1[1] == 'b') {
		if (mime_decode_base64(a, raw, &dec) < 0)
			return 0;
	} else if (q1[1] == 'Q' || q1[1] == 'q') {
		if (decode_qp(a, raw, true, &dec) < 0)
			return 0;
	} else {
		return 0;
	}
	append_charset(b, charset, dec.p, dec.len);
	return (size_t)(q3 + 2 - s);
}

static bool
all_lwsp(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	}
	return true;
}

int
mime_decode_words(struct arena *a, struct sview raw, struct sview *out_r)
{
	size_t len, i = 0, plain = 0, wlen;
	char *s = mime_unfold(a, raw, &len);
	const char *close = NULL;
	bool after_word = false;
	struct sbuf b, tmp;

	if (s == NULL)
		return -ERR_LIMIT;
	sbuf_init(&b, a, 0);
	while (i < len) {
		if (s[i] != '=' || i + 1 >= len || s[i + 1] != '?') {
			i++;
			continue;
		}
		sbuf_init(&tmp, a, 0);
		wlen = encoded_word(a, &tmp, s + i, len - i, &close);
		if (wlen == 0) {
			i++;
			continue;
		}
		/* white space between two encoded-words is dropped
		 * (RFC 2047 6.2) */
		if (!after_word || !all_lwsp(s + plain, i - plain))
			append_charset(&b, NULL, s + plain, i - plain);
		sbuf_append(&b, tmp.data, tmp.len);
		i += wlen;
		plain = i;
		after_word = true;
	}
	append_charset(&b, NULL, s + plain, len - plain);
	return view_out(&b, out_r);
}

/* The transfer encoding and charset the decoder uses, read from the
 * header whatever MIME-Version says (as Dovecot's decoder): the first token
 * of Content-Transfer-Encoding (NULL: none), the charset parameter. */
static int
part_coding(struct arena *a, const struct mime_message *m,
	    const struct mime_part *part, const char **cte_r,
	    const char **charset_r)
{
	struct mime_part tmp;
	struct mime_tok t;
	struct sbuf str;
	struct sview v;
	int ret;

	*cte_r = NULL;
	*charset_r = mime_param_get(part->params, part->nparams, "charset");
	if ((ret = mime_header_get(a, m, part, "Content-Transfer-Encoding",
				   &v)) < 0)
		return ret;
	if (ret > 0) {
		sbuf_init(&str, a, 0);
		mime_tok_init(&t, v.p, v.len, NULL);
		mime_tok_skip_lwsp(&t);
		(void)mime_tok_mime_token(&t, &str);
		if (sbuf_failed(&str))
			return -ERR_LIMIT;
		*cte_r = str.data;
	}
	if ((part->flags & MIME_PART_IS_MIME) != 0)
		return 0;
	memset(&tmp, 0, sizeof(tmp));
	if ((ret = mime_header_get(a, m, part, "Content-Type", &v)) < 0)
		return ret;
	if (ret > 0 && (ret = mime_content_field(a, &tmp, SVIEW_LIT("Type"),
						 v)) < 0)
		return ret;
	*charset_r = mime_param_get(tmp.params, tmp.nparams, "charset");
	return 0;
}

int
mime_part_text(struct arena *a, const struct mime_message *m,
	       const struct mime_part *part, struct sview *out_r)
{
	const char *cte, *charset;
	struct sview body, dec;
	int ret;

	out_r->p = "";
	out_r->len = 0;
	if (m->data == NULL)
		return -ERR_INVAL;	/* deserialized and not attached */
	if ((part->flags & (MIME_PART_MULTIPART | MIME_PART_RFC822)) != 0)
		return 0;
	if (part->type.p != NULL && strcasecmp(part->type.p, "text") != 0 &&
	    strcasecmp(part->type.p, "message") != 0)
		return 0;
	if ((ret = part_coding(a, m, part, &cte, &charset)) < 0)
		return ret;
	body.p = (const char *)m->data + part->offset + part->header.raw;
	body.len = part->body.raw;
	dec = body;
	if (cte == NULL || *cte == '\0' || strcasecmp(cte, "7bit") == 0 ||
	    strcasecmp(cte, "8bit") == 0 || strcasecmp(cte, "binary") == 0)
		ret = 0;
	else if (strcasecmp(cte, "quoted-printable") == 0)
		ret = mime_decode_qp(a, body, &dec);
	else if (strcasecmp(cte, "base64") == 0)
		ret = mime_decode_base64(a, body, &dec);
	else
		return 0;	/* unknown encoding: nothing to search */
	if (ret < 0)
		return ret;
	return mime_charset_to_utf8(a, charset, dec, out_r);
}
