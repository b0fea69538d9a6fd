/* Maildock - SPDX-License-Identifier: MIT
 *
 * Filter and DN template expansion with RFC 4515 / RFC 4514 escaping. The
 * value of every placeholder is escaped octet by octet: in a filter each
 * of * ( ) \ NUL and every control octet becomes \XX, so a name such as
 * "*)(uid=*" is a literal string and never a wildcard or a new clause.
 */
#include <string.h>
#include "authmods/ldap/authldap-filter.h"

static const char hexd[] = "0123456789abcdef";

static bool
needs_escape(unsigned char c, enum authldap_escape how, bool edge)
{
	if (c < 0x20 || c == 0x7f)
		return true;
	if (how == AUTHLDAP_ESCAPE_FILTER)
		return c == '*' || c == '(' || c == ')' || c == '\\';
	if (edge && (c == ' ' || c == '#'))
		return true;
	return strchr(",+\"\\<>;=", c) != NULL && c != '\0';
}

/* append value (vlen bytes) escaped; returns the new offset or -1 */
static int
put_escaped(char *out, size_t size, size_t o, const char *v, size_t vlen,
	    enum authldap_escape how)
{
	for (size_t i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)v[i];
		bool edge = i == 0 || i + 1 == vlen;
		if (needs_escape(c, how, edge)) {
			if (size - o < 4)
				return -1;
			out[o++] = '\\';
			out[o++] = hexd[c >> 4];
			out[o++] = hexd[c & 15];
		} else {
			if (size - o < 2)
				return -1;
			out[o++] = (char)c;
		}
	}
	return (int)o;
}

static int
placeholder(char p, const char *user, const char **v_r, size_t *len_r)
{
	const char *at = strrchr(user, '@');

	switch (p) {
	case 'u':
		*v_r = user;
		*len_r = strlen(user);
		return 0;
	case 'n':
		*v_r = user;
		*len_r = at ? (size_t)(at - user) : strlen(user);
		return 0;
	case 'd':
		if (at == NULL || at[1] == '\0')
			return -1;
		*v_r = at + 1;
		*len_r = strlen(at + 1);
		return 0;
	default:
		return -1;
	}
}

int
authldap_filter_expand(const char *tmpl, const char *user,
		       enum authldap_escape how, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0 || size > (1u << 20))
		return -1;
	for (const char *p = tmpl; *p != '\0'; p++) {
		if (*p != '%') {
			if (size - o < 2)
				return -1;
			out[o++] = *p;
			continue;
		}
		p++;
		if (*p == '%') {
			if (size - o < 2)
				return -1;
			out[o++] = '%';
			continue;
		}
		const char *v;
		size_t vlen;
		if (placeholder(*p, user, &v, &vlen) < 0)
			return -1;
		int r = put_escaped(out, size, o, v, vlen, how);
		if (r < 0)
			return -1;
		o = (size_t)r;
	}
	out[o] = '\0';
	return (int)o;
}

bool
authldap_filter_check(const char *tmpl)
{
	for (const char *p = tmpl; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p != '%' && *p != 'u' && *p != 'n' && *p != 'd')
			return false;
	}
	return true;
}
