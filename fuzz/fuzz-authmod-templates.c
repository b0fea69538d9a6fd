/* Maildock - SPDX-License-Identifier: MIT
 *
 * libFuzzer harness for the template code of the ldap and mysql auth
 * modules: input is "template NUL user". The LDAP filter expansion must
 * keep exactly the template's own filter syntax (every '(' ')' '*' of the
 * output comes from the template, none from the user name), and the SQL
 * compilation must give one recorded parameter per '?' it writes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "authmods/ldap/authldap-filter.h"
#include "authmods/mysql/authsql-query.h"

#define PART_MAX 4096

/* '(' ')' '*' of a filter template outside its %-placeholders */
static size_t
template_specials(const char *t)
{
	size_t n = 0;
	for (const char *p = t; *p != '\0'; p++) {
		if (*p == '%') {
			if (p[1] == '\0')
				break;
			p++;
			continue;
		}
		n += *p == '(' || *p == ')' || *p == '*';
	}
	return n;
}

static size_t
specials(const char *s)
{
	size_t n = 0;
	for (; *s != '\0'; s++)
		n += *s == '(' || *s == ')' || *s == '*';
	return n;
}

/* '?' markers of compiled SQL outside quoted strings */
static unsigned
markers(const char *sql)
{
	unsigned n = 0;
	char quote = 0;
	for (const char *p = sql; *p != '\0'; p++) {
		if (quote != 0) {
			if (*p == '\\' && quote != '`' && p[1] != '\0')
				p++;
			else if (*p == quote && p[1] == quote)
				p++;
			else if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"' || *p == '`') {
			quote = *p;
		} else {
			n += *p == '?';
		}
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char tmpl[PART_MAX], user[PART_MAX], out[2048];
	const uint8_t *nul = memchr(data, 0, size);
	size_t tl = nul ? (size_t)(nul - data) : size;
	size_t ul = nul ? size - tl - 1 : 0;
	struct authsql_query *q;
	const char *err;

	if (tl >= PART_MAX || ul >= PART_MAX)
		return 0;
	memcpy(tmpl, data, tl);
	tmpl[tl] = '\0';
	memcpy(user, nul ? nul + 1 : data, ul);
	user[ul] = '\0';
	ul = strlen(user);	/* a NUL inside the user part ends it */

	if (authldap_filter_check(tmpl)) {
		int r = authldap_filter_expand(tmpl, user,
					       AUTHLDAP_ESCAPE_FILTER, out,
					       sizeof(out));
		if (r >= 0 && ((size_t)r != strlen(out) ||
			       specials(out) != template_specials(tmpl)))
			abort();
		(void)authldap_filter_expand(tmpl, user, AUTHLDAP_ESCAPE_DN,
					     out, sizeof(out));
	}
	q = malloc(sizeof(*q));
	if (q == NULL)
		return 0;
	if (authsql_query_compile(tmpl, q, &err) == 0 &&
	    (q->sql_len != strlen(q->sql) || markers(q->sql) != q->nparams))
		abort();
	free(q);
	return 0;
}
