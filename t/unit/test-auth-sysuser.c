/* Maildock - SPDX-License-Identifier: MIT
 *
 * System-users mode: auth_sysuser_restrict leaves the process as
 * server.user with only CAP_SETUID/CAP_SETGID and no_new_privs; then
 * auth_sysuser_enter changes the calling thread alone, which afterwards
 * cannot change again, while other threads keep their credentials. Runs
 * in a forked child (the changes are irreversible); needs root.
 */
#include <pthread.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include "t/authmods/test-util.h"
#include "core/auth-sysuser.h"
#include "core/error.h"

struct result {
	long uid_after, gid_after, uid_again;
	int enter, again;
};

static long
thread_uid(void)
{
	return syscall(SYS_getuid);	/* this thread's, not a cached one */
}

static void *
become_user(void *arg)
{
	struct result *r = arg;
	r->enter = auth_sysuser_enter("maildock-test-nouser", 5001, 5002);
	r->uid_after = thread_uid();
	r->gid_after = syscall(SYS_getgid);
	/* a thread that is a user can never be another one */
	r->again = auth_sysuser_enter("maildock-test-nouser", 5003, 5003);
	r->uid_again = thread_uid();
	return NULL;
}

/* the child: returns a small number naming the first check that failed */
static int
child(uid_t server_uid)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	struct result r = { 0 };
	char *err = NULL;
	pthread_t t;

	if (auth_sysuser_enter("x", 0, 0) != -ERR_INVAL)
		return 1;	/* root is never a mail user */
	if (auth_sysuser_restrict("nobody", &err) != 0)
		return 2;
	if (thread_uid() != (long)server_uid)
		return 3;
	if (syscall(SYS_capget, &hdr, data) != 0)
		return 4;
	uint32_t want = (1u << CAP_SETUID) | (1u << CAP_SETGID);
	if (data[0].permitted != want || data[0].effective != want ||
	    data[1].permitted != 0)
		return 5;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 6;
	pthread_create(&t, NULL, become_user, &r);
	pthread_join(t, NULL);
	if (r.enter != 0 || r.uid_after != 5001 || r.gid_after != 5002)
		return 7;
	if (r.again != -ERR_PERM || r.uid_again != 5001)
		return 8;
	if (thread_uid() != (long)server_uid)
		return 9;	/* the other threads did not change */
	return 0;
}

static void
test_auth_sysuser_per_thread(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	int status;

	if (geteuid() != 0 || pw == NULL)
		skip();
	uid_t server_uid = pw->pw_uid;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child(server_uid));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_sysuser_per_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
