/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests of the ldap auth module: RFC 4515 filter escaping (a user name
 * cannot inject filter syntax), DN escaping, and the built module loaded
 * with dlopen behind a fake host: exported symbols, settings errors, and a
 * dead server answering "temporary failure" within the timeout.
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
#include "authmods/ldap/authldap-filter.h"

#define FILTER "(&(objectClass=posixAccount)(mail=%u))"

static void
test_authldap_filter_injection(void **state)
{
	char out[512];
	int n = authldap_filter_expand(FILTER, "*)(uid=*", AUTHLDAP_ESCAPE_FILTER,
				       out, sizeof(out));
	assert_true(n > 0);
	assert_string_equal(out, "(&(objectClass=posixAccount)"
			    "(mail=\\2a\\29\\28uid=\\2a))");
	/* the result has exactly the template's parentheses */
	int open = 0, close = 0;
	for (const char *p = out; *p; p++) {
		open += *p == '(';
		close += *p == ')';
	}
	assert_int_equal(open, 3);
	assert_int_equal(close, 3);
}

static void
test_authldap_filter_escapes_backslash_and_controls(void **state)
{
	char out[256];
	assert_true(authldap_filter_expand("(uid=%u)", "a\\b\x01z",
					   AUTHLDAP_ESCAPE_FILTER, out,
					   sizeof(out)) > 0);
	assert_string_equal(out, "(uid=a\\5cb\\01z)");
}

static void
test_authldap_filter_parts(void **state)
{
	char out[256];
	assert_true(authldap_filter_expand("(&(uid=%n)(dc=%d)(x=%%))",
					   "bob@example.org",
					   AUTHLDAP_ESCAPE_FILTER, out,
					   sizeof(out)) > 0);
	assert_string_equal(out, "(&(uid=bob)(dc=example.org)(x=%))");
	/* %d of a bare name cannot be filled */
	assert_int_equal(authldap_filter_expand("(dc=%d)", "bob",
						AUTHLDAP_ESCAPE_FILTER, out,
						sizeof(out)), -1);
	/* last '@' splits */
	assert_true(authldap_filter_expand("(uid=%n)", "a@b@c.org",
					   AUTHLDAP_ESCAPE_FILTER, out,
					   sizeof(out)) > 0);
	assert_string_equal(out, "(uid=a@b)");
}

static void
test_authldap_filter_bounds(void **state)
{
	char out[16];
	assert_int_equal(authldap_filter_expand("(uid=%u)", "0123456789",
						AUTHLDAP_ESCAPE_FILTER, out,
						sizeof(out)), -1);
	/* an escape is never cut in half */
	assert_int_equal(authldap_filter_expand("(uid=%u)", "01234567*",
						AUTHLDAP_ESCAPE_FILTER, out,
						sizeof(out)), -1);
	assert_int_equal(authldap_filter_expand("(uid=%x)", "a",
						AUTHLDAP_ESCAPE_FILTER, out,
						sizeof(out)), -1);
	assert_false(authldap_filter_check("(uid=%s)"));
	assert_true(authldap_filter_check("(&(uid=%n)(dc=%d)(m=%u)%%)"));
}

static void
test_authldap_filter_dn(void **state)
{
	char out[256];
	assert_true(authldap_filter_expand("uid=%n,ou=people", " a,b+c#",
					   AUTHLDAP_ESCAPE_DN, out,
					   sizeof(out)) > 0);
	assert_string_equal(out, "uid=\\20a\\2cb\\2bc\\23,ou=people");
}

/* the module itself, through dlopen and a fake host */

static int
load(void **state)
{
	(void)state;
	return fake_module_load("ldap");
}

static void
test_authmod_ldap_entry(void **state)
{
	assert_int_equal(mod->abi, AUTHMOD_ABI);
	assert_int_equal(mod->struct_size, sizeof(struct authmod));
	assert_string_equal(mod->name, "ldap");
	assert_true(mod->flags & AUTHMOD_THREADSAFE);
	assert_false(mod->flags & AUTHMOD_NEEDS_ROOT);
	/* only authmod_entry is exported */
	assert_null(dlsym(handle, "authldap_verify"));
	assert_null(dlsym(handle, "authldap_filter_expand"));
	bool uris = false;
	for (const char *const *k = mod->keys; *k; k++)
		uris |= strcmp(*k, "uris") == 0;
	assert_true(uris);
}

static void
test_authmod_ldap_settings_errors(void **state)
{
	static const char *const no_base[] = { "uris", "ldap://127.0.0.1",
					       NULL };
	static const char *const bad_filter[] = {
		"uris", "ldap://127.0.0.1", "base", "dc=x",
		"filter", "(uid=%s)", NULL };
	static const char *const bad_timeout[] = {
		"uris", "ldap://127.0.0.1", "base", "dc=x",
		"timeout", "forever", NULL };
	const char *const *cases[] = { no_base, bad_filter, bad_timeout };
	void *st = NULL;
	const char *err = NULL;

	for (size_t i = 0; i < 3; i++) {
		fake_settings = cases[i];
		err = NULL;
		assert_int_equal(mod->init(&host, NULL, &st, &err), -1);
		assert_non_null(err);
	}
}

static void
test_authmod_ldap_dead_server_tempfail(void **state)
{
	/* port 1 on loopback: connection refused at once */
	static const char *const s[] = {
		"uris", "ldap://127.0.0.1:1 ldap://127.0.0.1:2",
		"base", "dc=example,dc=org", "timeout", "2", NULL };
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
	/* an empty password never reaches the server (anonymous bind) */
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
		cmocka_unit_test(test_authldap_filter_injection),
		cmocka_unit_test(test_authldap_filter_escapes_backslash_and_controls),
		cmocka_unit_test(test_authldap_filter_parts),
		cmocka_unit_test(test_authldap_filter_bounds),
		cmocka_unit_test(test_authldap_filter_dn),
		cmocka_unit_test(test_authmod_ldap_entry),
		cmocka_unit_test(test_authmod_ldap_settings_errors),
		cmocka_unit_test(test_authmod_ldap_dead_server_tempfail),
	};
	return cmocka_run_group_tests_name("authmod-ldap", tests, load, unload);
}
