/* Maildock - SPDX-License-Identifier: MIT
 *
 * SQL query templates of the mysql auth module. The admin writes %u (user),
 * %n (local part) and %d (domain) where a value goes; compiling the
 * template turns each into a '?' parameter marker of a prepared statement
 * and records which value it takes, so a user name is always bound as
 * data and never becomes SQL text.
 */
#ifndef AUTHMODS_MYSQL_AUTHSQL_QUERY_H
#define AUTHMODS_MYSQL_AUTHSQL_QUERY_H

#include <stddef.h>

#define AUTHSQL_PARAMS_MAX 16
#define AUTHSQL_QUERY_MAX 4096

struct authsql_query {
	char sql[AUTHSQL_QUERY_MAX];	/* with '?' markers */
	size_t sql_len;
	unsigned nparams;
	char params[AUTHSQL_PARAMS_MAX];	/* 'u', 'n' or 'd' per marker */
};

/* authsql_query_compile: compile tmpl into q. Fails (-1, *error_r a static
 * message) when a placeholder is inside a quoted string ('%u' would stay
 * literal text), when the template holds its own '?' marker, an unknown
 * %x, more than AUTHSQL_PARAMS_MAX placeholders, or does not fit. Pure,
 * thread-safe. */
int authsql_query_compile(const char *tmpl, struct authsql_query *q,
			  const char **error_r);

/* authsql_query_value: the value of placeholder p ('u', 'n', 'd') for
 * user, as a pointer into user and a length. %d of a name without '@' is
 * the empty string. Pure. */
void authsql_query_value(char p, const char *user, const char **v_r,
			 size_t *len_r);

#endif
