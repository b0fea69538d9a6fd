/* Maildock - SPDX-License-Identifier: MIT
 *
 * RFC 5256 section 2.1 base subject extraction, and RFC 5322 date-time
 * parsing into UTC seconds for the DATE sort key and threading (RFC 5256
 * 2.2: the sent date, compared in UTC).
 */
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "protocols/imap/imap-search.h"
#include "protocols/imap/imap-sort.h"
#include "core/compat.h"

struct subj {
	char *s;
	size_t start, end;	/* the remaining text is s[start, end) */
	bool reply;
};

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* "[" *BLOBCHAR "]" *WSP at i; returns the length or 0 */
static size_t
blob_at(const struct subj *x, size_t i)
{
	size_t j = i;

	if (j >= x->end || x->s[j] != '[')
		return 0;
	for (j++; j < x->end && x->s[j] != ']'; j++)
		if (x->s[j] == '[')
			return 0;
	if (j >= x->end)
		return 0;
	for (j++; j < x->end && is_wsp(x->s[j]); j++)
		;
	return j - i;
}

/* step 2: subj-trailer = (*WSP "(fwd)") / WSP, repeatedly */
static void
strip_trailers(struct subj *x)
{
	for (;;) {
		if (x->end > x->start && is_wsp(x->s[x->end - 1])) {
			x->end--;
		} else if (x->end - x->start >= 5 &&
			   strncasecmp(x->s + x->end - 5, "(fwd)", 5) == 0) {
			x->end -= 5;
			x->reply = true;
		} else {
			return;
		}
	}
}

/* step 3: subj-leader = (*subj-blob subj-refwd) / WSP; one removal */
static bool
strip_leader(struct subj *x)
{
	size_t i = x->start, k;

	if (i < x->end && is_wsp(x->s[i])) {
		x->start++;
		return true;
	}
	while ((k = blob_at(x, i)) > 0)
		i += k;
	if (x->end - i >= 2 && strncasecmp(x->s + i, "re", 2) == 0)
		i += 2;
	else if (x->end - i >= 3 && strncasecmp(x->s + i, "fwd", 3) == 0)
		i += 3;
	else if (x->end - i >= 2 && strncasecmp(x->s + i, "fw", 2) == 0)
		i += 2;
	else
		return false;
	while (i < x->end && is_wsp(x->s[i]))
		i++;
	i += blob_at(x, i);
	if (i >= x->end || x->s[i] != ':')
		return false;
	x->start = i + 1;
	x->reply = true;
	return true;
}

/* step 4: a leading blob goes if something is left after it */
static bool
strip_blob(struct subj *x)
{
	size_t k = blob_at(x, x->start);

	if (k == 0 || x->start + k >= x->end)
		return false;
	x->start += k;
	return true;
}

/* step 1: white space runs (and CR/LF/TAB) become one space */
static size_t
normalise(char *out, const char *s, size_t len)
{
	size_t i, o = 0;
	bool space = false;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\t' || c == '\r' || c == '\n' || c == ' ') {
			space = true;
			continue;
		}
		if (space && o > 0)
			out[o++] = ' ';
		space = false;
		out[o++] = c;
	}
	out[o] = '\0';
	return o;
}

char *
imap_sort_base_subject(struct arena *a, const char *s, size_t len,
		       bool *is_reply_r)
{
	struct subj x = { 0 };
	bool changed;

	if ((x.s = arena_alloc(a, len + 1)) == NULL)
		return NULL;
	x.end = normalise(x.s, s, len);
	for (;;) {
		strip_trailers(&x);
		do {
			changed = false;
			while (strip_leader(&x))
				changed = true;
			if (strip_blob(&x))
				changed = true;
		} while (changed);
		/* step 6: "[fwd:" ... "]" */
		if (x.end - x.start >= 6 &&
		    strncasecmp(x.s + x.start, "[fwd:", 5) == 0 &&
		    x.s[x.end - 1] == ']') {
			x.start += 5;
			x.end--;
			x.reply = true;
			continue;
		}
		break;
	}
	if (is_reply_r != NULL)
		*is_reply_r = x.reply;
	x.s[x.end] = '\0';
	return x.s + x.start;
}

/* Latin-1 letters U+00C0..U+00FF: base letter and combining mark (the low
 * byte of U+03xx), or 0 when the letter does not decompose */
static const char latin1_base[64] =
	"AAAAAA\0CEEEEIIII\0NOOOOO\0\0UUUUY\0\0"
	"aaaaaa\0ceeeeiiii\0nooooo\0\0uuuuy\0y";
static const unsigned char latin1_mark[64] = {
	0x00, 0x01, 0x02, 0x03, 0x08, 0x0A, 0, 0x27, 0x00, 0x01, 0x02, 0x08,
	0x00, 0x01, 0x02, 0x08, 0, 0x03, 0x00, 0x01, 0x02, 0x03, 0x08, 0, 0,
	0x00, 0x01, 0x02, 0x08, 0x01, 0, 0,
	0x00, 0x01, 0x02, 0x03, 0x08, 0x0A, 0, 0x27, 0x00, 0x01, 0x02, 0x08,
	0x00, 0x01, 0x02, 0x08, 0, 0x03, 0x00, 0x01, 0x02, 0x03, 0x08, 0, 0,
	0x00, 0x01, 0x02, 0x08, 0x01, 0, 0x08,
};

char *
imap_sort_key(struct arena *a, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out;
	size_t i, o = 0, size;

	/* a 2-byte letter becomes 1 + 2 bytes: at most 3/2 growth */
	if (!size_mul_r(len, 2, &size) || !size_add_r(size, 1, &size) ||
	    (out = arena_alloc(a, size)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned c = p[i];

		if (c >= 'a' && c <= 'z') {
			out[o++] = (char)(c - 32);
		} else if ((c == 0xD0 || c == 0xD1 || c == 0xCE || c == 0xCF) &&
			   i + 1 < len && (p[i + 1] & 0xC0) == 0x80) {
			/* Cyrillic and Greek small letters to capitals */
			unsigned cp = ((c & 0x1F) << 6) | (p[i + 1] & 0x3F);

			if (cp >= 0x430 && cp <= 0x44F)
				cp -= 32;
			else if (cp >= 0x450 && cp <= 0x45F)
				cp -= 80;
			else if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2)
				cp -= 32;
			out[o++] = (char)(0xC0 | (cp >> 6));
			out[o++] = (char)(0x80 | (cp & 0x3F));
			i++;
		} else if (c == 0xC3 && i + 1 < len && p[i + 1] >= 0x80 &&
			   p[i + 1] <= 0xBF &&
			   latin1_base[p[i + 1] - 0x80] != '\0') {
			char base = latin1_base[p[i + 1] - 0x80];

			out[o++] = (char)(base >= 'a' ? base - 32 : base);
			out[o++] = (char)0xCC;
			out[o++] = (char)(0x80 | latin1_mark[p[i + 1] - 0x80]);
			i++;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}

int
imap_sort_date_parse(const char *s, size_t len, int64_t *t_r)
{
	int32_t day;
	int secs, zone;

	if (imap_search_date_rfc5322_full(s, len, &day, &secs, &zone) < 0)
		return -ERR_SYNTAX;
	*t_r = (int64_t)day * 86400 + secs - (int64_t)zone * 60;
	return 0;
}
