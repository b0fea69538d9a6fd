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
view_out(struct arena *a, struct sbuf *b, struct sview *out_r)
{
	(void)a;
	if (sbuf_failed(b))
		return -ERR_LIMIT;
	out_r->p = b->data;
	out_r->len = b->len;
	return 0;
}

/* QP; underscore_space: the RFC 2047 "Q" form. */
static int
decode_qp(struct arena *a, struct sview in, bool underscore_space,
	  struct sview *out_r)
{
	const unsigned char *s = (const unsigned char *)in.p;
	size_t i, n = in.len;
	struct sbuf b;

	sbuf_init(&b, a, 0);
	for (i = 0; i < n; i++) {
		if (s[i] == '_' && underscore_space) {
			sbuf_appendc(&b, ' ');
		} else if (s[i] != '=') {
			sbuf_appendc(&b, (char)s[i]);
		} else if (i + 2 < n + 0 && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			sbuf_appendc(&b, (char)(hexval(s[i + 1]) * 16 +
						hexval(s[i + 2])));
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
				sbuf_appendc(&b, '=');
		}
	}
	return view_out(a, &b, out_r);
}

int
mime_decode_qp(struct arena *a, struct sview in, struct sview *out_r)
{
	return decode_qp(a, in, false, out_r);
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
mime_decode_base64(struct arena *a, struct sview in, struct sview *out_r)
{
	const unsigned char *s = (const unsigned char *)in.p;
	unsigned int acc = 0, bits = 0;
	struct sbuf b;
	size_t i;

	sbuf_init(&b, a, 0);
	for (i = 0; i < in.len; i++) {
		int v;

		if (s[i] == '=')
			break;
		if ((v = b64val(s[i])) < 0)
			continue;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			sbuf_appendc(&b, (char)((acc >> bits) & 0xff));
		}
	}
	return view_out(a, &b, out_r);
}

/* Append the valid UTF-8 prefix check: true when s is valid UTF-8. */
static bool
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k, len;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4;
		else
			return false;
		if (i + len > n)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		}
		i += len;
	}
	return true;
}

static void
append_latin1(struct sbuf *b, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x80) {
			sbuf_appendc(b, (char)s[i]);
		} else {
			sbuf_appendc(b, (char)(0xc0 | (s[i] >> 6)));
			sbuf_appendc(b, (char)(0x80 | (s[i] & 0x3f)));
		}
	}
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
	const unsigned char *s = (const unsigned char *)p;

	if (charset == NULL || is_utf8_name(charset)) {
		if (valid_utf8(s, n))
			sbuf_append(b, p, n);
		else if (charset != NULL && !append_iconv(b, "UTF-8", p, n))
			append_latin1(b, s, n);
		else if (charset == NULL)
			append_latin1(b, s, n);
		return;
	}
	if (!append_iconv(b, charset, p, n)) {
		if (valid_utf8(s, n))
			sbuf_append(b, p, n);
		else
			append_latin1(b, s, n);
	}
}

int
mime_charset_to_utf8(struct arena *a, const char *charset, struct sview in,
		     struct sview *out_r)
{
	struct sbuf b;

	sbuf_init(&b, a, 0);
	append_charset(&b, charset, in.p, in.len);
	return view_out(a, &b, out_r);
}

/* Try to decode "=?charset?E?text?=" at s[0..n); returns its length or 0. */
static size_t
encoded_word(struct arena *a, struct sbuf *b, const char *s, size_t n)
{
	const char *q1, *q2, *q3, *end;
	char charset[64], *star;
	struct sview raw, dec;
	size_t cslen;

	if (n < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	q1 = memchr(s + 2, '?', n - 2);
	if (q1 == NULL || (size_t)(q1 - s) + 3 >= n || q1[2] != '?')
		return 0;
	q2 = q1 + 2;
	end = s + n;
	for (q3 = q2 + 1; q3 + 1 < end; q3++) {
		if (q3[0] == '?' && q3[1] == '=')
			break;
	}
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
		wlen = encoded_word(a, &tmp, s + i, len - i);
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
	return view_out(a, &b, out_r);
}

int
mime_part_text(struct arena *a, const struct mime_message *m,
	       const struct mime_part *part, struct sview *out_r)
{
	struct sview body, dec;
	const char *charset;
	int ret;

	out_r->p = "";
	out_r->len = 0;
	if ((part->flags & (MIME_PART_MULTIPART | MIME_PART_RFC822)) != 0)
		return 0;
	if (part->type.p != NULL && strcasecmp(part->type.p, "text") != 0 &&
	    strcasecmp(part->type.p, "message") != 0)
		return 0;
	body.p = (const char *)m->data + part->offset + part->header.raw;
	body.len = part->body.raw;
	dec = body;
	if (part->encoding.p != NULL &&
	    strcasecmp(part->encoding.p, "quoted-printable") == 0)
		ret = mime_decode_qp(a, body, &dec);
	else if (part->encoding.p != NULL &&
		 strcasecmp(part->encoding.p, "base64") == 0)
		ret = mime_decode_base64(a, body, &dec);
	else
		ret = 0;
	if (ret < 0)
		return ret;
	charset = mime_param_get(part->params, part->nparams, "charset");
	return mime_charset_to_utf8(a, charset, dec, out_r);
}
