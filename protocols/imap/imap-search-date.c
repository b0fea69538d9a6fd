/* Maildock - SPDX-License-Identifier: MIT
 *
 * Calendar days for SEARCH's date keys (RFC 3501 6.4.4): BEFORE/ON/SINCE
 * compare the day of the internal date in the server's time zone, SENT*
 * the day written in the Date: header, in that header's own zone, so the
 * time of day and the zone never move a message to another day
 * (RFC 3501 6.4.4).
 */
#include <strings.h>
#include "core/error.h"
#include "protocols/imap/imap-search.h"
#include "core/compat.h"

static const char months[12][4] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec"
};

int32_t
imap_search_days_from_civil(int y, unsigned m, unsigned d)
{
	/* Howard Hinnant's days_from_civil */
	int era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + (int)doe - 719468);
}

int32_t
imap_search_day_local(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return imap_search_days_from_civil(tm.tm_year + 1900,
					   (unsigned)tm.tm_mon + 1,
					   (unsigned)tm.tm_mday);
}

static int
month_parse(const char *s, size_t len)
{
	int i;

	if (len != 3)
		return -1;
	for (i = 0; i < 12; i++) {
		if (strncasecmp(s, months[i], 3) == 0)
			return i + 1;
	}
	return -1;
}

static bool
valid_day(int y, int m, unsigned d)
{
	static const unsigned char mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29)
		return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return true;
}

static size_t
digits(const char *s, size_t len, size_t max, unsigned *v_r)
{
	size_t i;
	unsigned v = 0;

	for (i = 0; i < len && i < max && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	*v_r = v;
	return i;
}

int
imap_search_date_parse(const char *s, size_t len, int32_t *day_r)
{
	unsigned d, y;
	size_t i, k;
	int m;

	i = digits(s, len, 2, &d);
	if (i == 0 || i >= len || s[i] != '-')
		return -ERR_SYNTAX;
	i++;
	if (len - i < 4 || s[i + 3] != '-')
		return -ERR_SYNTAX;
	m = month_parse(s + i, 3);
	if (m < 0)
		return -ERR_SYNTAX;
	i += 4;
	k = digits(s + i, len - i, 4, &y);
	if (k != 4 || i + k != len || !valid_day((int)y, m, d))
		return -ERR_SYNTAX;
	*day_r = imap_search_days_from_civil((int)y, (unsigned)m, d);
	return 0;
}

static size_t
skip_cfws(const char *s, size_t len, size_t i)
{
	unsigned depth = 0;

	while (i < len) {
		if (s[i] == '(') {
			depth++;
		} else if (s[i] == ')' && depth > 0) {
			depth--;
		} else if (depth == 0 && s[i] != ' ' && s[i] != '\t' &&
			   s[i] != '\r' && s[i] != '\n') {
			break;
		}
		i++;
	}
	return i;
}

/* RFC 5322 4.3 obsolete zone names; other letters (military) are +0000 */
static int
zone_minutes(const char *s, size_t n)
{
	static const struct {
		const char *name;
		int min;
	} zones[] = {
		{ "UT", 0 }, { "GMT", 0 }, { "UTC", 0 },
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

/* "hh:mm[:ss]" then a zone after white space, or the end */
static int
time_zone(const char *s, size_t len, size_t i, int *secs_r, int *zone_r)
{
	unsigned h, m, sec = 0, z;
	size_t k;

	if ((k = digits(s + i, len - i, 2, &h)) == 0 || h > 23)
		return -ERR_SYNTAX;
	i += k;
	if (i >= len || s[i] != ':' ||
	    (k = digits(s + i + 1, len - i - 1, 2, &m)) != 2 || m > 59)
		return -ERR_SYNTAX;
	i += 1 + k;
	if (i < len && s[i] == ':') {
		if ((k = digits(s + i + 1, len - i - 1, 2, &sec)) != 2 ||
		    sec > 60)
			return -ERR_SYNTAX;
		i += 1 + k;
	}
	*secs_r = (int)(h * 3600 + m * 60 + sec);
	*zone_r = 0;
	if (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
	    s[i] != '\n' && s[i] != '(')
		return -ERR_SYNTAX;	/* "00:01+0000", "10:00:t", ".882" */
	i = skip_cfws(s, len, i);
	if (i < len && (s[i] == '+' || s[i] == '-')) {
		/* "-600" is seen in old mail: read as -0600 (as Dovecot) */
		if ((k = digits(s + i + 1, len - i - 1, 4, &z)) < 3)
			return -ERR_SYNTAX;
		*zone_r = (int)(z / 100 * 60 + z % 100);
		if (s[i] == '-')
			*zone_r = -*zone_r;
	} else if (i < len) {
		size_t start = i;

		while (i < len && (s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')
			i++;
		if (i == start)
			return -ERR_SYNTAX;
		*zone_r = zone_minutes(s + start, i - start);
	}
	return 0;
}

int
imap_search_date_rfc5322_full(const char *s, size_t len, int32_t *day_r,
			      int *secs_r, int *zone_r)
{
	unsigned d, y;
	size_t i, k, start;
	int m;

	i = skip_cfws(s, len, 0);
	/* optional day-of-week, which must end in "," (RFC 5322 3.3) */
	if (i < len && !(s[i] >= '0' && s[i] <= '9')) {
		for (start = i; i < len && (s[i] | 0x20) >= 'a' &&
		     (s[i] | 0x20) <= 'z'; i++)
			;
		if (i - start != 3)
			return -ERR_SYNTAX;
		i = skip_cfws(s, len, i);
		if (i >= len || s[i] != ',')
			return -ERR_SYNTAX;
		i = skip_cfws(s, len, i + 1);
	}
	if ((k = digits(s + i, len - i, 2, &d)) == 0)
		return -ERR_SYNTAX;
	i = skip_cfws(s, len, i + k);
	for (start = i; i < len && ((s[i] | 0x20) >= 'a' &&
				    (s[i] | 0x20) <= 'z'); i++)
		;
	if ((m = month_parse(s + start, i - start)) < 0)
		return -ERR_SYNTAX;
	i = skip_cfws(s, len, i);
	k = digits(s + i, len - i, 4, &y);
	if (k < 2 || (i + k < len && s[i + k] >= '0' && s[i + k] <= '9'))
		return -ERR_SYNTAX;
	/* RFC 5322 4.3: two digits below 50 are 20xx, else 19xx;
	 * three digits add 1900 */
	if (k == 2)
		y += y < 50 ? 2000 : 1900;
	else if (k == 3)
		y += 1900;
	if (!valid_day((int)y, m, d))
		return -ERR_SYNTAX;
	i = skip_cfws(s, len, i + k);
	if (time_zone(s, len, i, secs_r, zone_r) < 0)
		return -ERR_SYNTAX;
	*day_r = imap_search_days_from_civil((int)y, (unsigned)m, d);
	return 0;
}

int
imap_search_date_rfc5322(const char *s, size_t len, int32_t *day_r)
{
	int secs, zone;

	return imap_search_date_rfc5322_full(s, len, day_r, &secs, &zone);
}
