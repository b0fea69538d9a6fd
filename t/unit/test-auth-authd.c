/* Maildock - SPDX-License-Identifier: MIT
 *
 * The privileged helper (authd): a module flagged AUTHMOD_NEEDS_ROOT is
 * called in the forked helper, with results, user fields and errors
 * carried over the socket; a malformed request makes that helper process
 * quit instead of answering, the others go on, and with none left logins
 * fail as temporary failures.
 * Needs root (the helper is only forked by root); skipped otherwise.
 */
#include <dlfcn.h>
#include <sys/socket.h>
#include "t/authmods/test-util.h"
#include "core/auth-loader.h"
#include "core/authd.h"
#include "core/error.h"

static void
test_auth_authd_roundtrip_and_refusal(void **state)
{
	struct auth_module m = { 0 };
	struct authmod rootmock;
	struct authmod_user *u = calloc(1, sizeof(*u));
	struct conf *conf;
	char dir[1024], *err = NULL;

	if (geteuid() != 0)
		skip();
	assert_int_equal(test_conf(&conf, &err, NULL,
				   "auth.mock.users = a:{PLAIN}b c:{PLAIN}d:temp\n"),
			 0);
	assert_int_equal(auth_loader_open(test_moddir(dir, sizeof(dir), false),
					  "mock", &m, &err), 0);
	assert_int_equal(auth_loader_init(&m, conf, &err), 0);
	rootmock = *m.mod;
	rootmock.flags |= AUTHMOD_NEEDS_ROOT;
	m.mod = &rootmock;
	assert_int_equal(authd_start(&m, 1, &err), 0);
	assert_int_equal(m.helper_index, 0);
	assert_true(authd_socket(0) >= 0);
	assert_true(authd_socket(1) >= 0);	/* several helper processes */

	unsigned *calls = dlsym(m.handle, "mock_calls");
	unsigned before = *calls;
	assert_int_equal(auth_module_verify(&m, "a", "b", u), AUTHMOD_OK);
	assert_string_equal(u->user, "a");
	assert_string_equal(u->home, "/home/mock");
	assert_null(u->mail);
	assert_int_equal(u->uid, 1234);
	assert_int_equal(u->gid, 5678);
	assert_int_equal(auth_module_verify(&m, "a", "x", u), AUTHMOD_FAIL);
	assert_int_equal(auth_module_verify(&m, "zz", "x", u), AUTHMOD_NOUSER);
	assert_int_equal(auth_module_verify(&m, "c", "d", u), AUTHMOD_TEMPFAIL);
	assert_int_equal(auth_module_lookup(&m, "a", u), AUTHMOD_OK);
	assert_string_equal(u->user, "a");
	/* the calls ran in the helper, not here */
	assert_int_equal(*calls, before);

	/* a request with a bad magic: that helper process quits without
	 * answering (its socket sees the end), the others go on serving */
	unsigned char junk[40] = { 1, 2, 3 };
	int fd = authd_socket(0);
	assert_int_equal(send(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	assert_int_equal(recv(fd, junk, sizeof(junk), 0), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(auth_module_verify(&m, "a", "b", u), AUTHMOD_OK);
	/* all of them gone: a temporary failure, never a false answer */
	for (unsigned i = 1; authd_socket(i) >= 0; i++) {
		fd = authd_socket(i);
		assert_int_equal(send(fd, junk, sizeof(junk), 0),
				 (ssize_t)sizeof(junk));
		assert_int_equal(recv(fd, junk, sizeof(junk), 0), 0);
	}
	for (int i = 0; i < 8; i++)
		assert_int_equal(auth_module_verify(&m, "a", "b", u),
				 AUTHMOD_TEMPFAIL);

	authd_stop();
	m.mod = dlsym(m.handle, "authmod_entry");
	auth_loader_close(&m);
	conf_unref(&conf);
	free(u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_authd_roundtrip_and_refusal),
	};
	auth_register_settings();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
