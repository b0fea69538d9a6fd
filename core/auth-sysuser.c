/* Maildock - SPDX-License-Identifier: MIT
 *
 * Per-thread credentials for system-users mode. Raw setgroups, setresgid,
 * setresuid and capset system calls act on the calling thread only; after
 * them the thread holds no capability, so a session that is taken over
 * cannot become another user.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#ifdef HAVE_LIBCAP
#include <sys/capability.h>
#endif
#include "core/auth-sysuser.h"
#include "core/error.h"

#define GROUPS_MAX 256

static int
drop_thread_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	return (int)syscall(SYS_capset, &hdr, data);
}

int
auth_sysuser_enter(const char *user, uid_t uid, gid_t gid)
{
	gid_t groups[GROUPS_MAX];
	int n = GROUPS_MAX;

	if (uid == (uid_t)-1 || gid == (gid_t)-1 || uid == 0 || gid == 0)
		return -ERR_INVAL;
	if (user == NULL || getgrouplist(user, gid, groups, &n) < 0) {
		groups[0] = gid;
		n = 1;
	}
	if (syscall(SYS_setgroups, (size_t)n, groups) < 0 ||
	    syscall(SYS_setresgid, gid, gid, gid) < 0 ||
	    syscall(SYS_setresuid, uid, uid, uid) < 0)
		return -ERR_PERM;
	if (drop_thread_caps() < 0)
		return -ERR_PERM;
	return 0;
}

#ifdef HAVE_LIBCAP
static int
keep_setid_caps(void)
{
	cap_value_t keep[] = { CAP_SETUID, CAP_SETGID };
	cap_t caps = cap_init();
	int r = caps == NULL ||
		cap_set_flag(caps, CAP_PERMITTED, 2, keep, CAP_SET) < 0 ||
		cap_set_flag(caps, CAP_EFFECTIVE, 2, keep, CAP_SET) < 0 ||
		cap_set_proc(caps) < 0 ? -1 : 0;
	if (caps != NULL)
		cap_free(caps);
	return r;
}

int
auth_sysuser_restrict(const char *server_user, char **error_r)
{
	char buf[4096];
	struct passwd pw, *pwp = NULL;

	if (server_user != NULL && *server_user != '\0') {
		if (getpwnam_r(server_user, &pw, buf, sizeof(buf), &pwp) != 0 ||
		    pwp == NULL) {
			*error_r = xstrdup("server.user: no such user");
			return -ERR_PERM;
		}
		/* keep the permitted set across the uid change; the effective
		 * set is re-raised below */
		if (prctl(PR_SET_KEEPCAPS, 1) < 0 ||
		    setgroups(1, &pw.pw_gid) < 0 ||
		    setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid) < 0 ||
		    setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid) < 0) {
			*error_r = xstrdup("system users: cannot switch to "
					   "server.user");
			return -ERR_PERM;
		}
	}
	if (keep_setid_caps() < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*error_r = xstrdup("system users: cannot limit capabilities to "
				   "CAP_SETUID and CAP_SETGID");
		return -ERR_PERM;
	}
	return 0;
}
#else
int
auth_sysuser_restrict(const char *server_user, char **error_r)
{
	*error_r = xstrdup("system users: maildockd was built without libcap");
	return -ERR_NOTFOUND;
}
#endif
