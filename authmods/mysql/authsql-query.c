/* Maildock - SPDX-License-Identifier: MIT
 *
 * Template compilation for the mysql module. A small scanner follows
 * quoted strings ('...', "...", `...`, with backslash and doubled-quote
 * escapes) so that it can refuse a placeholder written inside quotes:
 * there it would not be a parameter, and pasting it would be injection.
 */
#include <string.h>
#include "authmods/mysql/authsql-query.h"

static int
put(struct authsql_query *q, char c)
{
	if (q->sql_len + 1 >= sizeof(q->sql))
		return -1;
	q->sql[q->sql_len++] = c;
	q->sql[q->sql_len] = '\0';
	return 0;
}

int
authsql_query_compile(const char *tmpl, struct authsql_query *q,
		      const char **error_r)
{
	char quote = 0;

	memset(q, 0, sizeof(*q));
	for (const char *p = tmpl; *p != '\0'; p++) {
		if (quote != 0) {
			if (*p == '%' && p[1] != '\0' && strchr("und", p[1])) {
				*error_r = "placeholder inside quotes: write "
					   "%u, not '%u' (values are bound as "
					   "parameters)";
				return -1;
			}
			if (*p == '\\' && p[1] != '\0' && quote != '`') {
				if (put(q, *p++) < 0)
					goto toolong;
			} else if (*p == quote) {
				if (p[1] == quote) {
					if (put(q, *p++) < 0)
						goto toolong;
				} else {
					quote = 0;
				}
			}
			if (put(q, *p) < 0)
				goto toolong;
			continue;
		}
		if (*p == '\'' || *p == '"' || *p == '`')
			quote = *p;
		if (*p == '?') {
			*error_r = "a literal '?' marker; use %u, %n or %d";
			return -1;
		}
		if (*p != '%') {
			if (put(q, *p) < 0)
				goto toolong;
			continue;
		}
		p++;
		if (*p == '%') {
			if (put(q, '%') < 0)
				goto toolong;
			continue;
		}
		if (*p == '\0' || strchr("und", *p) == NULL) {
			*error_r = "unknown placeholder (use %u, %n, %d or %%)";
			return -1;
		}
		if (q->nparams == AUTHSQL_PARAMS_MAX) {
			*error_r = "too many placeholders";
			return -1;
		}
		q->params[q->nparams++] = *p;
		if (put(q, '?') < 0)
			goto toolong;
	}
	if (quote != 0) {
		*error_r = "unterminated quoted string";
		return -1;
	}
	return 0;
toolong:
	*error_r = "query too long";
	return -1;
}

void
authsql_query_value(char p, const char *user, const char **v_r,
		    size_t *len_r)
{
	const char *at = strrchr(user, '@');

	if (p == 'n') {
		*v_r = user;
		*len_r = at ? (size_t)(at - user) : strlen(user);
	} else if (p == 'd') {
		*v_r = at ? at + 1 : "";
		*len_r = strlen(*v_r);
	} else {
		*v_r = user;
		*len_r = strlen(user);
	}
}
