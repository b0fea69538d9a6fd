/* Maildock - SPDX-License-Identifier: MIT
 *
 * Typed values of the configuration: booleans, sizes, durations, bounded
 * numbers and enumerations, and the text that says what was expected.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <strings.h>
#include "core/conf-private.h"
#include "core/error.h"
#include "core/sbuf.h"

int
conf_parse_bool(const char *s, bool *r)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < N_ELEMENTS(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*r = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*r = false;
			return 0;
		}
	}
	return -ERR_INVAL;
}

static int
parse_number(const char *s, const char *suffixes,
	     const unsigned long long *mult, unsigned long long *r)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return -ERR_INVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0)
		return -ERR_INVAL;
	if (*end != '\0') {
		const char *m = strchr(suffixes, *end);
		if (m == NULL || end[1] != '\0')
			return -ERR_INVAL;
		if (__builtin_mul_overflow(v, mult[m - suffixes], &v))
			return -ERR_INVAL;
	}
	*r = v;
	return 0;
}

int
conf_parse_size(const char *s, unsigned long long *r)
{
	static const unsigned long long m[] = { 1024ULL, 1024ULL, 1048576ULL,
						1048576ULL, 1073741824ULL,
						1073741824ULL };
	return parse_number(s, "kKMmGg", m, r);
}

int
conf_parse_duration(const char *s, unsigned long long *r)
{
	static const unsigned long long m[] = { 1, 60, 3600, 86400 };
	return parse_number(s, "smhd", m, r);
}

int
conf_fill_one(const struct conf_setting *st, void *section, const char *value)
{
	char *field = (char *)section + st->offset;
	unsigned long long n = 0;
	bool b;
	int r = 0;

	switch (st->type) {
	case CONF_STRING:
		*(const char **)field = value;
		return 0;
	case CONF_ENUM:
		for (size_t i = 0; st->values[i] != NULL; i++) {
			if (strcmp(st->values[i], value) == 0) {
				*(const char **)field = st->values[i];
				return 0;
			}
		}
		return -ERR_INVAL;
	case CONF_BOOL:
		if (conf_parse_bool(value, &b) < 0)
			return -ERR_INVAL;
		*(bool *)field = b;
		return 0;
	case CONF_UINT:
		r = parse_number(value, "", NULL, &n);
		break;
	case CONF_SIZE:
		r = conf_parse_size(value, &n);
		break;
	case CONF_DURATION:
		r = conf_parse_duration(value, &n);
		break;
	}
	if (r < 0 || n < st->min || (st->max != 0 && n > st->max))
		return -ERR_INVAL;
	if (st->type == CONF_SIZE) {
		*(size_t *)field = (size_t)n;
	} else {
		if (n > UINT32_MAX)
			return -ERR_INVAL;
		*(unsigned *)field = (unsigned)n;
	}
	return 0;
}

const char *
conf_expected(const struct conf_setting *st, char *buf, size_t size)
{
	struct sbuf b;
	sbuf_init(&b, NULL, 512);
	switch (st->type) {
	case CONF_ENUM:
		sbuf_appends(&b, "one of");
		for (size_t i = 0; st->values[i] != NULL; i++)
			sbuf_appendf(&b, " %s", st->values[i]);
		break;
	case CONF_BOOL:
		sbuf_appends(&b, "yes or no");
		break;
	case CONF_SIZE:
		sbuf_appends(&b, "a size in bytes (suffix k, M or G)");
		break;
	case CONF_DURATION:
		sbuf_appends(&b, "a duration (suffix s, m, h or d)");
		break;
	default:
		sbuf_appends(&b, "a number");
		break;
	}
	if (st->type != CONF_ENUM && st->type != CONF_BOOL &&
	    (st->min != 0 || st->max != 0))
		sbuf_appendf(&b, " from %llu to %llu", st->min,
			     st->max ? st->max : ULLONG_MAX);
	str_copy(buf, b.data, size);
	sbuf_free(&b);
	return buf;
}

