/* Maildock - SPDX-License-Identifier: MIT
 *
 * The text rules of the full-text index (fts-text.h): which needles it can
 * narrow for, stored text made valid UTF-8 without moving a needle, and
 * the trigram MATCH expression of a needle.
 */
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/fts/fts-text.h"
#include "core/compat.h"

/* Characters of a needle turned into trigrams: a longer needle's start
 * narrows as well (any substring of it must occur too). */
#define QUERY_CHARS_MAX 1024

/* the length of the well-formed UTF-8 sequence at p (n bytes left), or 0
 * for a NUL or a byte that starts none */
static size_t
seq_len(const unsigned char *p, size_t n)
{
	size_t len, i;

	if (p[0] == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

void
fts_text_sanitize(char *text, size_t len)
{
	unsigned char *p = (unsigned char *)text;
	size_t i = 0, l;

	while (i < len) {
		if ((l = seq_len(p + i, len - i)) == 0) {
			p[i++] = ' ';
			continue;
		}
		i += l;
	}
}

bool
fts_text_needle_ok(const char *needle, size_t len)
{
	const unsigned char *p = (const unsigned char *)needle;
	size_t i = 0, l, chars = 0;

	while (i < len) {
		if ((l = seq_len(p + i, len - i)) == 0)
			return false;
		i += l;
		chars++;
	}
	return chars >= FTS_TEXT_MIN_CHARS;
}

int
fts_text_match_expr(struct sbuf *b, const char *needle, size_t len)
{
	size_t starts[QUERY_CHARS_MAX];
	size_t nchars = 0, i, t, nterms, k;

	for (i = 0; i < len && nchars < N_ELEMENTS(starts);
	     i += seq_len((const unsigned char *)needle + i, len - i))
		starts[nchars++] = i;
	if (i < len)
		len = i;	/* a very long needle: its start is enough */
	nterms = nchars - 2;
	k = nterms < FTS_TEXT_MAX_TERMS ? nterms : FTS_TEXT_MAX_TERMS;
	for (t = 0; t < k; t++) {
		/* spread k of the nterms trigrams evenly */
		size_t c = k > 1 ? t * (nterms - 1) / (k - 1) : 0;
		size_t from = starts[c];
		size_t to = c + 3 < nchars ? starts[c + 3] : len;

		if (t > 0)
			sbuf_appends(b, " AND ");
		sbuf_appendc(b, '"');
		for (i = from; i < to; i++) {
			if (needle[i] == '"')
				sbuf_appendc(b, '"');
			sbuf_appendc(b, needle[i]);
		}
		sbuf_appendc(b, '"');
	}
	return sbuf_failed(b) ? -ERR_LIMIT : 0;
}
