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

static size_t
skip_cfws(const char *s, size_t len, size_t i)
{
	unsigned depth = 0;

	for (; i < len; i++) {
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0 && s[i] != ' ' && s[i] != '\t' &&
			 s[i] != '\r' && s[i] != '\n')
			break;
	}
	return i;
}

static size_t
num(const char *s, size_t len, size_t i, size_t max, unsigned *v_r,
    size_t *digits_r)
{
	size_t k = 0;
	unsigned v = 0;

	while (i + k < len && k < max && s[i + k] >= '0' && s[i + k] <= '9') {
		v = v * 10 + (unsigned)(s[i + k] - '0');
		k++;
	}
	*v_r = v;
	*digits_r = k;
	return i + k;
}

/* RFC 5322 4.3 obsolete zone names; military letters count as +0000 */
static int
zone_minutes(const char *s, size_t n)
{
	static const struct {
		const char *name;
		int min;
	} zones[] = {
		{ "UT", 0 }, { "GMT", 0 }, { "UTC", 0 }, { "Z", 0 },
		{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 },
		{ "CDT", -300 }, { "MST", -420 }, { "MDT", -360 },
		{ "PST", -480 }, { "PDT", -420 },
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(zones); i++)
		if (strlen(zones[i].name) == n &&
		    strncasecmp(zones[i].name, s, n) == 0)
			return zones[i].min;
	return 0;
}

int
imap_sort_date_parse(const char *s, size_t len, int64_t *t_r)
{
	unsigned h = 0, m = 0, sec = 0;
	size_t i = 0, k, start;
	int32_t day;
	int zone = 0;

	if (imap_search_date_rfc5322(s, len, &day) < 0)
		return -ERR_SYNTAX;
	/* the day parse accepted it: find the time after the year */
	i = skip_cfws(s, len, 0);
	while (i < len && !(s[i] >= '0' && s[i] <= '9'))
		i++;
	i = num(s, len, i, 2, &h, &k);			/* day */
	while (i < len && !(s[i] >= '0' && s[i] <= '9'))
		i++;					/* month */
	i = num(s, len, i, 4, &h, &k);			/* year */
	i = skip_cfws(s, len, i);
	h = 0;
	i = num(s, len, i, 2, &h, &k);
	if (k > 0 && i < len && s[i] == ':') {
		i = num(s, len, i + 1, 2, &m, &k);
		if (i < len && s[i] == ':')
			i = num(s, len, i + 1, 2, &sec, &k);
		i = skip_cfws(s, len, i);
		if (i < len && (s[i] == '+' || s[i] == '-')) {
			unsigned z;

			num(s, len, i + 1, 4, &z, &k);
			if (k == 4)
				zone = (int)(z / 100 * 60 + z % 100) *
				       (s[i] == '-' ? -1 : 1);
		} else {
			for (start = i; i < len && ((s[i] | 0x20) >= 'a' &&
						    (s[i] | 0x20) <= 'z'); i++)
				;
			zone = zone_minutes(s + start, i - start);
		}
	} else {
		h = 0;
	}
	if (h > 23 || m > 59 || sec > 60)
		h = m = sec = 0;
	*t_r = (int64_t)day * 86400 + h * 3600 + m * 60 + sec -
	       (int64_t)zone * 60;
	return 0;
}
