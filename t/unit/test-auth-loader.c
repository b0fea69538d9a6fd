/* Maildock - SPDX-License-Identifier: MIT
 *
 * The auth module loader: a module of another ABI version, one that names
 * another module, a missing one, a group/world-writable or foreign-owned
 * file are refused with a clear message; a misspelt auth.<module>.<key> is
 * an error naming file:line; calls into a module without
 * AUTHMOD_THREADSAFE never overlap.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <sys/stat.h>
#include "t/authmods/test-util.h"
#include "core/auth-chain.h"
#include "core/auth-loader.h"
#include "core/error.h"

static void
test_auth_loader_refuses_wrong_abi(void **state)
{
	struct auth_module m = { 0 };
	char dir[1024], *err = NULL;

	assert_int_equal(auth_loader_open(test_moddir(dir, sizeof(dir), false),
					  "badabi", &m, &err), -ERR_INVAL);
	assert_non_null(strstr(err, "libauth_badabi.so"));
	assert_non_null(strstr(err, "ABI version 2, this maildockd needs 1"));
	assert_null(m.mod);
	free(err);
}

static void
test_auth_loader_refuses_wrong_name(void **state)
{
	struct auth_module m = { 0 };
	char dir[1024], *err = NULL;

	assert_int_equal(auth_loader_open(test_moddir(dir, sizeof(dir), false),
					  "badname", &m, &err), -ERR_INVAL);
	assert_non_null(strstr(err, "calls itself \"pwfile\", not \"badname\""));
	free(err);
}

static void
test_auth_loader_missing_and_bad_names(void **state)
{
	struct auth_module m = { 0 };
	char dir[1024], *err = NULL;

	test_moddir(dir, sizeof(dir), false);
	assert_int_equal(auth_loader_open(dir, "nosuch", &m, &err),
			 -ERR_NOTFOUND);
	assert_non_null(strstr(err, "libauth_nosuch.so"));
	assert_non_null(strstr(err, "auth.module_dir"));
	free(err);
	assert_int_equal(auth_loader_open(dir, "../mock", &m, &err), -ERR_INVAL);
	free(err);
	assert_int_equal(auth_loader_open(dir, "", &m, &err), -ERR_INVAL);
	free(err);
}

static void
copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[65536];
	size_t n;
	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

static void
test_auth_loader_refuses_unsafe_files(void **state)
{
	char dir[1024], src[1200], tmp[] = "/tmp/maildock-authmod-XXXXXX";
	char dst[1200], *err = NULL;
	struct auth_module m = { 0 };

	snprintf(src, sizeof(src), "%s/libauth_mock.so",
		 test_moddir(dir, sizeof(dir), false));
	assert_non_null(mkdtemp(tmp));
	snprintf(dst, sizeof(dst), "%s/libauth_mock.so", tmp);
	copy_file(src, dst);

	chmod(dst, 0666);
	assert_int_equal(auth_loader_open(tmp, "mock", &m, &err), -ERR_PERM);
	assert_non_null(strstr(err, "group or world writable"));
	free(err);
	chmod(dst, 0644);
	chmod(tmp, 0777);	/* anyone could swap the file */
	assert_int_equal(auth_loader_open(tmp, "mock", &m, &err), -ERR_PERM);
	assert_non_null(strstr(err, "its directory is group or world "
			       "writable"));
	chmod(tmp, 0700);
	free(err);
	chmod(dst, 0664);
	assert_int_equal(auth_loader_open(tmp, "mock", &m, &err), -ERR_PERM);
	free(err);
	if (geteuid() == 0) {
		chmod(dst, 0644);
		assert_int_equal(chown(dst, 4242, 4242), 0);
		assert_int_equal(auth_loader_open(tmp, "mock", &m, &err),
				 -ERR_PERM);
		assert_non_null(strstr(err, "owned by another user (uid 4242"));
		free(err);
		assert_int_equal(chown(dst, 0, 0), 0);
	}
	chmod(dst, 0644);
	assert_int_equal(auth_loader_open(tmp, "mock", &m, &err), 0);
	assert_string_equal(m.mod->name, "mock");
	auth_loader_close(&m);
	unlink(dst);
	rmdir(tmp);
}

/* regression: modules were loaded as /proc/self/fd/N and the descriptor
 * closed at once, so the second module got the same name and glibc handed
 * back the first ("libauth_passwd.so: calls itself pwfile") */
static void
test_auth_loader_two_modules(void **state)
{
	struct auth_module a = { 0 }, b = { 0 }, c = { 0 };
	char dir[1024], *err = NULL;

	test_moddir(dir, sizeof(dir), false);
	assert_int_equal(auth_loader_open(dir, "mock", &a, &err), 0);
	assert_int_equal(auth_loader_open(dir, "badname", &b, &err),
			 -ERR_INVAL);
	assert_non_null(strstr(err, "calls itself \"pwfile\""));
	free(err);
	assert_int_equal(auth_loader_open(test_moddir(dir, sizeof(dir), true),
					  "pwfile", &c, &err), 0);
	assert_string_equal(c.mod->name, "pwfile");
	assert_string_equal(a.mod->name, "mock");
	auth_loader_close(&c);
	auth_loader_close(&a);
}

static void
test_auth_init_refuses_wrong_abi_module(void **state)
{
	struct conf *conf;
	char dir[1024], *err = NULL;

	assert_int_equal(test_conf(&conf, &err, NULL,
				   "auth.modules = badabi\n"
				   "auth.module_dir = %s\n",
				   test_moddir(dir, sizeof(dir), false)), 0);
	assert_int_equal(auth_init(conf, &err), -ERR_INVAL);
	assert_non_null(strstr(err, "ABI version"));
	free(err);
	conf_unref(&conf);
}

static void
test_auth_init_misspelt_key(void **state)
{
	struct conf *conf;
	char dir[1024], *err = NULL, *path, expect[1200];

	assert_int_equal(test_conf(&conf, &err, &path,
				   "auth.modules = mock\n"
				   "auth.module_dir = %s\n"
				   "auth.mock.users = a:{PLAIN}b\n"
				   "auth.mock.usres = x\n",
				   test_moddir(dir, sizeof(dir), false)), 0);
	assert_int_equal(auth_init(conf, &err), -ERR_INVAL);
	snprintf(expect, sizeof(expect), "%s:4: auth.mock.usres: unknown key",
		 path);
	assert_non_null(strstr(err, expect));
	free(err);
	conf_unref(&conf);
	unlink(path);
	free(path);

	assert_int_equal(test_conf(&conf, &err, &path,
				   "auth.modules = mock\n"
				   "auth.module_dir = %s\n"
				   "auth.mock.users = a:{PLAIN}b\n"
				   "auth.mokc.users = x\n",
				   test_moddir(dir, sizeof(dir), false)), 0);
	assert_int_equal(auth_init(conf, &err), -ERR_INVAL);
	assert_non_null(strstr(err, ":4: auth.mokc.users: unknown key: there "
			       "is no auth module \"mokc\""));
	free(err);
	conf_unref(&conf);
	unlink(path);
	free(path);
}

static void
test_auth_init_module_init_fails(void **state)
{
	struct conf *conf;
	char dir[1024], *err = NULL;

	assert_int_equal(test_conf(&conf, &err, NULL,
				   "auth.modules = mock\n"
				   "auth.module_dir = %s\n",
				   test_moddir(dir, sizeof(dir), false)), 0);
	assert_int_equal(auth_init(conf, &err), -ERR_INVAL);
	assert_non_null(strstr(err, "auth.mock.users must be set"));
	free(err);
	conf_unref(&conf);
}

static void *
hammer(void *arg)
{
	struct auth_chain *c = arg;
	struct authmod_user *u = malloc(sizeof(*u));
	const char *mod;
	for (int i = 0; i < 200; i++) {
		assert_int_equal(auth_chain_verify(c, "a", "b", u, &mod),
				 AUTHMOD_OK);
		assert_string_equal(mod, "mock");
	}
	free(u);
	return NULL;
}

static void
test_auth_loader_serialises_unsafe_module(void **state)
{
	struct conf *conf;
	struct auth_chain *c;
	pthread_t t[8];
	char dir[1024], *err = NULL;

	assert_int_equal(test_conf(&conf, &err, NULL,
				   "auth.modules = mock\n"
				   "auth.module_dir = %s\n"
				   "auth.mock.users = a:{PLAIN}b\n",
				   test_moddir(dir, sizeof(dir), false)), 0);
	assert_int_equal(auth_init(conf, &err), 0);
	c = auth_chain_current();
	assert_non_null(c);
	unsigned *overlaps = dlsym(c->mods[0].handle, "mock_overlaps");
	unsigned *calls = dlsym(c->mods[0].handle, "mock_calls");
	assert_non_null(overlaps);
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, hammer, c);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(*calls, 1600);
	assert_int_equal(*overlaps, 0);
	auth_chain_unref(&c);
	auth_deinit();
	conf_unref(&conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_loader_refuses_wrong_abi),
		cmocka_unit_test(test_auth_loader_refuses_wrong_name),
		cmocka_unit_test(test_auth_loader_missing_and_bad_names),
		cmocka_unit_test(test_auth_loader_refuses_unsafe_files),
		cmocka_unit_test(test_auth_loader_two_modules),
		cmocka_unit_test(test_auth_init_refuses_wrong_abi_module),
		cmocka_unit_test(test_auth_init_misspelt_key),
		cmocka_unit_test(test_auth_init_module_init_fails),
		cmocka_unit_test(test_auth_loader_serialises_unsafe_module),
	};
	conf_register(auth_settings_table());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
