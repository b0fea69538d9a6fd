/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests of the pam auth module, loaded with dlopen behind a fake host.
 * When pam_wrapper is installed the test re-executes itself under it
 * (LD_PRELOAD=libpam_wrapper.so, a private service directory and a
 * pam_matrix password file) and logs in for real: a good password, a
 * wrong one, an unknown user and a locked account.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "authmods/authmod.h"
#include "t/authmods/fake-host.h"

static const char *const wrapper_dirs[] = {
	"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
	"/usr/lib64", "/usr/lib", NULL
};

static int
load(void **state)
{
	(void)state;
	return fake_module_load("pam");
}

static void
test_authmod_pam_entry(void **state)
{
	assert_int_equal(mod->abi, AUTHMOD_ABI);
	assert_string_equal(mod->name, "pam");
	assert_true(mod->flags & AUTHMOD_NEEDS_ROOT);
	assert_true(mod->flags & AUTHMOD_THREADSAFE);
	assert_null(dlsym(handle, "conversation"));
}

static void
test_authmod_pam_settings(void **state)
{
	static const char *const bad_service[] = { "service", "../x", NULL };
	static const char *const bad_bool[] = { "check_account", "maybe", NULL };
	void *st = NULL;
	const char *err = NULL;

	fake_settings = bad_service;
	assert_int_equal(mod->init(&host, NULL, &st, &err), -1);
	fake_settings = bad_bool;
	assert_int_equal(mod->init(&host, NULL, &st, &err), -1);
}

static void
test_authmod_pam_lookup_passwd(void **state)
{
	static const char *const none[] = { NULL };
	struct authmod_user u;
	void *st = NULL;
	const char *err = NULL;

	fake_settings = none;
	assert_int_equal(mod->init(&host, NULL, &st, &err), 0);
	memset(&u, 0, sizeof(u));
	assert_int_equal(mod->lookup(st, "root", &u), AUTHMOD_OK);
	assert_int_equal(u.uid, 0);
	assert_string_equal(u.user, "root");
	assert_non_null(u.home);
	assert_int_equal(mod->lookup(st, "no-such-user-maildock", &u),
			 AUTHMOD_NOUSER);
	assert_int_equal(mod->verify(st, "root", "", &u), AUTHMOD_FAIL);
	mod->deinit(st);
}

/* under pam_wrapper: users of passdb written by setup_wrapper() */
static void
test_authmod_pam_wrapper_logins(void **state)
{
	static const char *const virt[] = { "service", "maildock-test",
					    "lookup_passwd", "no", NULL };
	struct authmod_user u;
	void *st = NULL;
	const char *err = NULL;

	if (getenv("PAM_WRAPPER") == NULL)
		skip();
	fake_settings = virt;
	assert_int_equal(mod->init(&host, NULL, &st, &err), 0);
	memset(&u, 0, sizeof(u));
	assert_int_equal(mod->verify(st, "alice", "secret-1", &u), AUTHMOD_OK);
	assert_string_equal(u.user, "alice");
	assert_int_equal(mod->verify(st, "alice", "secret-2", &u),
			 AUTHMOD_FAIL);
	assert_int_not_equal(mod->verify(st, "nobody-here", "x", &u),
			     AUTHMOD_OK);
	/* right password, but not allowed to use this service */
	assert_int_equal(mod->verify(st, "locked", "locked-pw", &u),
			 AUTHMOD_DISABLED);
	mod->deinit(st);
}

static int
setup_wrapper(char **argv)
{
	char lib[512], dir[] = "/tmp/maildock-pamtest-XXXXXX", path[600];
	const char *found = NULL;
	FILE *f;

	for (const char *const *d = wrapper_dirs; *d && !found; d++) {
		snprintf(lib, sizeof(lib), "%s/libpam_wrapper.so", *d);
		if (access(lib, R_OK) == 0)
			found = *d;
	}
	if (found == NULL || mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/passdb", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "alice:secret-1:maildock-test\n"
		   "locked:locked-pw:some-other-service\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/maildock-test", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "auth required %s/pam_wrapper/pam_matrix.so passdb=%s/passdb\n"
		   "account required %s/pam_wrapper/pam_matrix.so passdb=%s/passdb\n",
		found, dir, found, dir);
	fclose(f);
	/* pam_wrapper wants a default service too */
	snprintf(path, sizeof(path), "%s/other", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "auth required %s/pam_wrapper/pam_matrix.so passdb=%s/passdb\n",
		found, dir);
	fclose(f);
	setenv("LD_PRELOAD", lib, 1);
	/* sanitizer builds: the wrapper comes first in the preload list and
	 * must not dlopen libpam with RTLD_DEEPBIND (which ASan refuses) */
	setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1);
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[512];
	snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0",
		 asan ? asan : "", asan && *asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	setenv("PAM_WRAPPER", "1", 1);
	setenv("PAM_WRAPPER_SERVICE_DIR", dir, 1);
	setenv("MAILDOCK_PAMTEST_DIR", dir, 1);
	execv("/proc/self/exe", argv);
	return -1;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authmod_pam_entry),
		cmocka_unit_test(test_authmod_pam_settings),
		cmocka_unit_test(test_authmod_pam_lookup_passwd),
		cmocka_unit_test(test_authmod_pam_wrapper_logins),
	};
	if (getenv("PAM_WRAPPER") == NULL && getenv("MAILDOCK_PAMTEST_DIR") ==
	    NULL)
		setup_wrapper(argv);	/* returns only when unavailable */
	int r = cmocka_run_group_tests_name("authmod-pam", tests, load, unload);
	const char *dir = getenv("MAILDOCK_PAMTEST_DIR");
	if (dir != NULL && strncmp(dir, "/tmp/maildock-pamtest-", 22) == 0) {
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			r++;
	}
	return r;
}
