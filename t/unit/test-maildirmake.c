/* Maildock - SPDX-License-Identifier: MIT
 *
 * Tests of tools/maildirmake as a user runs it: creating a Maildir, a
 * folder (-f) and a quota (-q), and the errors for an existing target, a
 * bad name, a missing Maildir and no permission.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "t/unit/storetest.h"

static char top[2048], err[4096];

static void
str_copy_err(const char *path)
{
	const char *t = get_file(path);

	size_t n = t != NULL ? strlen(t) : 0;

	if (n >= sizeof(err))
		n = sizeof(err) - 1;
	memcpy(err, t != NULL ? t : "", n);
	err[n] = '\0';
}

/* run: maildirmake with args; returns its exit status, stderr in err. */
static int
run(const char *args)
{
	char cmd[8192], errfile[] = "/tmp/maildirmake-err-XXXXXX";
	int fd = mkstemp(errfile), st;

	close(fd);
	snprintf(cmd, sizeof(cmd), "%s/maildirmake %s 2>%s", top, args,
		 errfile);
	st = system(cmd);
	str_copy_err(errfile);
	unlink(errfile);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
setup(void **state)
{
	*state = tmp_maildir();
	return 0;
}

static int
teardown(void **state)
{
	char *p = *state, *slash = strrchr(p, '/');
	*slash = '\0';
	rm_rf(p);
	free(p);
	return 0;
}

static void
test_maildirmake_creates_maildir_and_folder(void **state)
{
	char args[4200], path[4200];
	struct stat st;

	snprintf(args, sizeof(args), "'%s'", (char *)*state);
	assert_int_equal(run(args), 0);
	assert_int_equal(count_files(*state, "cur"), 0);
	snprintf(path, sizeof(path), "%s/new", (char *)*state);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* again: the target exists */
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(err, "File exists"));
	snprintf(args, sizeof(args), "-f 'Entw\xc3\xbcrfe' '%s'",
		 (char *)*state);
	assert_int_equal(run(args), 0);
	snprintf(path, sizeof(path), "%s/.Entw&APw-rfe/maildirfolder",
		 (char *)*state);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(err, "File exists"));
	snprintf(args, sizeof(args), "-f '../evil' '%s'", (char *)*state);
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(err, "invalid folder name"));
	snprintf(args, sizeof(args), "-f x '%s/nope'", (char *)*state);
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(err, "is not a Maildir"));
	assert_int_equal(run(""), 2);
	assert_non_null(strstr(err, "usage"));
}

static void
test_maildirmake_quota(void **state)
{
	char args[4200], path[4200];

	snprintf(args, sizeof(args), "'%s'", (char *)*state);
	assert_int_equal(run(args), 0);
	put_file(*state, "cur", "1.M1.h,S=1000:2,S", "x");
	snprintf(args, sizeof(args), "-q 10000000S,1000C '%s'",
		 (char *)*state);
	assert_int_equal(run(args), 0);
	snprintf(path, sizeof(path), "%s/maildirsize", (char *)*state);
	assert_string_equal(get_file(path), "10000000S,1000C\n1000 1\n");
	snprintf(args, sizeof(args), "-q 10X '%s'", (char *)*state);
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(err, "invalid quota"));
}

static void
test_maildirmake_no_permission(void **state)
{
	char args[4200], dir[4200], cmd[9000];

	/* as an unprivileged user in a directory it may not write */
	snprintf(dir, sizeof(dir), "%s", (char *)*state);
	*strrchr(dir, '/') = '\0';
	chmod(dir, 0755);
	if (geteuid() == 0) {
		snprintf(cmd, sizeof(cmd), "setpriv --reuid=65534 --regid=65534"
			 " --clear-groups %s/maildirmake '%s'", top,
			 (char *)*state);
		snprintf(args, sizeof(args), "%s", "");
		int st = system(cmd) >> 8;
		if (st == 127)		/* no setpriv: nothing to check */
			return;
		assert_int_equal(st, 1);
		/* the message itself, from the same run with stderr kept */
		char errfile[] = "/tmp/maildirmake-perm-XXXXXX";
		int fd = mkstemp(errfile);
		close(fd);
		chmod(errfile, 0666);
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
			 " 2>%s", errfile);
		assert_int_equal(system(cmd) >> 8, 1);
		str_copy_err(errfile);
		unlink(errfile);
	} else {
		chmod(dir, 0500);
		snprintf(args, sizeof(args), "'%s'", (char *)*state);
		assert_int_equal(run(args), 1);
		chmod(dir, 0700);
	}
	assert_non_null(strstr(err, "Permission denied"));
}

int
main(void)
{
	const char *b = getenv("top_builddir");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_maildirmake_creates_maildir_and_folder, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_maildirmake_quota, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_maildirmake_no_permission,
						setup, teardown),
	};

	snprintf(top, sizeof(top), "%s", b != NULL ? b : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
