/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests of the mysql auth module: query templates become prepared
 * statements with '?' markers (placeholders in quotes, stray markers and
 * unknown placeholders are refused), and the built module loaded with
 * dlopen behind a fake host: exported symbols, settings errors, and a
 * database that is down answering "temporary failure".
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "authmods/authmod.h"
#include "t/authmods/fake-host.h"
#include "authmods/mysql/authsql-query.h"

static void
test_authsql_query_markers(void **state)
{
	struct authsql_query q;
	const char *err = NULL;

	assert_int_equal(authsql_query_compile(
		"SELECT password FROM mailbox WHERE username = %u AND "
		"local_part = %n AND domain = %d AND x LIKE 'a%%' AND "
		"y = 'it''s' AND z = \"q\\\"%\"", &q, &err), 0);
	assert_string_equal(q.sql, "SELECT password FROM mailbox WHERE "
			    "username = ? AND local_part = ? AND domain = ? "
			    "AND x LIKE 'a%%' AND y = 'it''s' AND "
			    "z = \"q\\\"%\"");
	assert_int_equal(q.nparams, 3);
	assert_memory_equal(q.params, "und", 3);
}

static void
test_authsql_query_refuses_quoted_placeholder(void **state)
{
	struct authsql_query q;
	const char *bad[] = {
		"SELECT password FROM m WHERE username = '%u'",
		"SELECT password FROM m WHERE username = \"%n\"",
		"SELECT password FROM m WHERE username = ?",
		"SELECT password FROM m WHERE username = %s",
		"SELECT password FROM m WHERE username = 'open",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *err = NULL;
		assert_int_equal(authsql_query_compile(bad[i], &q, &err), -1);
		assert_non_null(err);
	}
}

static void
test_authsql_query_values(void **state)
{
	const char *v;
	size_t n;

	authsql_query_value('n', "bob@example.org", &v, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(v, "bob", 3);
	authsql_query_value('d', "bob@example.org", &v, &n);
	assert_string_equal(v, "example.org");
	authsql_query_value('d', "bob", &v, &n);
	assert_int_equal(n, 0);
	authsql_query_value('u', "' OR '1'='1", &v, &n);
	assert_string_equal(v, "' OR '1'='1");
}

static int
load(void **state)
{
	(void)state;
	return fake_module_load("mysql");
}

static void
test_authmod_mysql_entry(void **state)
{
	assert_int_equal(mod->abi, AUTHMOD_ABI);
	assert_int_equal(mod->struct_size, sizeof(struct authmod));
	assert_string_equal(mod->name, "mysql");
	assert_true(mod->flags & AUTHMOD_THREADSAFE);
	assert_null(dlsym(handle, "authsql_query_compile"));
	assert_null(dlsym(handle, "authsql_conn_run"));
}

static void
test_authmod_mysql_settings_errors(void **state)
{
	static const char *const no_db[] = {
		"password_query", "SELECT password FROM m WHERE u = %u", NULL };
	static const char *const quoted[] = { "database", "mail",
		"password_query", "SELECT password FROM m WHERE u = '%u'", NULL };
	static const char *const bad_port[] = { "database", "mail",
		"password_query", "SELECT password FROM m WHERE u = %u",
		"port", "70000", NULL };
	const char *const *cases[] = { no_db, quoted, bad_port };
	void *st = NULL;

	for (size_t i = 0; i < 3; i++) {
		const char *err = NULL;
		fake_settings = cases[i];
		assert_int_equal(mod->init(&host, NULL, &st, &err), -1);
		assert_non_null(err);
	}
}

static void
test_authmod_mysql_down_tempfail(void **state)
{
	static const char *const s[] = {
		"socket", "/nonexistent/maildock-test.sock", "database", "mail",
		"user", "mail", "password", "x", "timeout", "2",
		"password_query", "SELECT password FROM m WHERE u = %u", NULL };
	struct authmod_user u;
	void *st = NULL;
	const char *err = NULL;
	time_t t0 = time(NULL);

	fake_settings = s;
	assert_int_equal(mod->init(&host, NULL, &st, &err), 0);
	memset(&u, 0, sizeof(u));
	assert_int_equal(mod->verify(st, "bob@example.org", "pw", &u),
			 AUTHMOD_TEMPFAIL);
	assert_int_equal(mod->lookup(st, "bob@example.org", &u),
			 AUTHMOD_TEMPFAIL);
	assert_int_equal(mod->verify(st, "bob@example.org", "", &u),
			 AUTHMOD_FAIL);
	assert_true(time(NULL) - t0 < 10);
	mod->deinit(st);
}

int
main(void)
{
	/* one group: TAP allows one plan per program */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authsql_query_markers),
		cmocka_unit_test(test_authsql_query_refuses_quoted_placeholder),
		cmocka_unit_test(test_authsql_query_values),
		cmocka_unit_test(test_authmod_mysql_entry),
		cmocka_unit_test(test_authmod_mysql_settings_errors),
		cmocka_unit_test(test_authmod_mysql_down_tempfail),
	};
	return cmocka_run_group_tests_name("authmod-mysql", tests, load, unload);
}
