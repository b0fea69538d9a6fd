/* Maildock - SPDX-License-Identifier: MIT
 *
 * The start-up checks that maildockd -t runs on top of loading the
 * configuration, the certificates and the auth modules: what start-up (or
 * the first login) would otherwise be the first to find wrong. Each names
 * the file:line of the setting at fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "core/conf.h"
#include "core/control.h"
#include "core/error.h"
#include "core/listener.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/preflight.h"
#include "core/sbuf.h"
#include "core/session.h"

#define PREFLIGHT_MSG_MAX 1024

static int
check_identity(const struct conf *conf, const struct core_settings *set,
	       char **error_r)
{
	char buf[4096];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;

	if (set->server_user[0] != '\0' &&
	    (getpwnam_r(set->server_user, &pw, buf, sizeof(buf), &pwp) != 0 ||
	     pwp == NULL)) {
		*error_r = conf_errorf(conf, "server.user", "no such user \"%s\"",
				       set->server_user);
		return -ERR_NOTFOUND;
	}
	if (set->server_group[0] != '\0' &&
	    (getgrnam_r(set->server_group, &gr, buf, sizeof(buf), &grp) != 0 ||
	     grp == NULL)) {
		*error_r = conf_errorf(conf, "server.group",
				       "no such group \"%s\"", set->server_group);
		return -ERR_NOTFOUND;
	}
	return 0;
}

/* A file the server reads as server.user after start-up: the settings of
 * listed auth modules named *path or *_file (the project's convention for
 * file settings: read at login by pwfile, at connect time by libldap and
 * libmariadb). Values with %-templates name files per user: skipped. */
struct file_scan {
	const struct conf *conf;
	const char *modules;
	int fd;			/* the child's report pipe */
	bool failed;
};

static bool
listed_module(const char *modules, const char *key)
{
	const char *mod = key + strlen("auth."), *dot = strchr(mod, '.');
	size_t len = dot != NULL ? (size_t)(dot - mod) : 0;
	for (const char *p = modules; len > 0 && *p != '\0';) {
		size_t n = strcspn(p, " \t,");
		if (n == len && strncmp(p, mod, len) == 0)
			return true;
		p += n;
		p += strspn(p, " \t,");
	}
	return false;
}

static bool
file_key(const char *key)
{
	size_t n = strlen(key);
	return (n > 4 && strcmp(key + n - 4, "path") == 0) ||
	       (n > 5 && strcmp(key + n - 5, "_file") == 0);
}

static void
report(struct file_scan *sc, const char *key, const char *path,
       const char *what, int e)
{
	char ebuf[128];
	char *msg = conf_errorf(sc->conf, key, "%s: %s by server.user: %s",
				path, what, errno_str(e, ebuf, sizeof(ebuf)));
	size_t len = strlen(msg);
	ssize_t w = write(sc->fd, msg, len < PREFLIGHT_MSG_MAX ? len
							       : PREFLIGHT_MSG_MAX);
	(void)w;
	free(msg);
	sc->failed = true;
}

static void
check_file_key(const char *key, const char *value, const char *file,
	       unsigned line, void *ctx)
{
	struct file_scan *sc = ctx;
	(void)file;
	(void)line;
	if (sc->failed || !file_key(key) || !listed_module(sc->modules, key))
		return;
	char *copy = xstrdup(value), *save = NULL;
	for (char *p = strtok_r(copy, " \t", &save); p != NULL && !sc->failed;
	     p = strtok_r(NULL, " \t", &save)) {
		if (strchr(p, '%') != NULL)
			continue;
		int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			report(sc, key, p, "not readable", errno);
		else
			close(fd);
	}
	free(copy);
}

/* a spool directory (CONF_F_WRITABLE_DIR): a directory server.user may
 * create files in */
static void
check_dir_key(const char *key, const char *value, void *ctx)
{
	struct file_scan *sc = ctx;
	struct stat st;

	if (sc->failed || value == NULL || value[0] == '\0')
		return;
	if (stat(value, &st) < 0)
		report(sc, key, value, "not a usable directory", errno);
	else if (!S_ISDIR(st.st_mode))
		report(sc, key, value, "not a usable directory", ENOTDIR);
	else if (access(value, W_OK | X_OK) < 0)
		report(sc, key, value, "not writable", errno);
}

/* In a child, as server.user (when we are root), open each file. */
static void
child_check_files(const struct conf *conf, const struct core_settings *set,
		  int fd)
{
	char buf[4096];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;

	if (geteuid() == 0 && set->server_user[0] != '\0' &&
	    getpwnam_r(set->server_user, &pw, buf, sizeof(buf), &pwp) == 0 &&
	    pwp != NULL) {
		char gbuf[4096];
		gid_t gid = pw.pw_gid;
		if (set->server_group[0] != '\0' &&
		    getgrnam_r(set->server_group, &gr, gbuf, sizeof(gbuf),
			       &grp) == 0 && grp != NULL)
			gid = gr.gr_gid;
		if (initgroups(pw.pw_name, gid) < 0 || setgid(gid) < 0 ||
		    setuid(pw.pw_uid) < 0)
			_exit(2);
	}
	struct file_scan sc = { conf, conf_value(conf, "auth.modules"), fd,
				false };
	if (sc.modules == NULL)
		sc.modules = "";
	conf_foreach(conf, "auth.", check_file_key, &sc);
	conf_foreach_flagged(conf, CONF_F_WRITABLE_DIR, check_dir_key, &sc);
	_exit(sc.failed ? 1 : 0);
}

static int
check_files(const struct conf *conf, const struct core_settings *set,
	    char **error_r)
{
	char msg[PREFLIGHT_MSG_MAX + 1];
	int p[2], status = 0;

	if (set->server_user[0] != '\0' && geteuid() != 0) {
		char buf[4096];
		struct passwd pw, *pwp = NULL;
		if (getpwnam_r(set->server_user, &pw, buf, sizeof(buf),
			       &pwp) != 0 || pwp == NULL ||
		    pwp->pw_uid != geteuid())
			log_warn("core", "not root: files are checked as uid %u, "
				 "not as server.user", (unsigned)geteuid());
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		*error_r = xstrdup("pipe failed");
		return -ERR_IO;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		child_check_files(conf, set, p[1]);
	}
	close(p[1]);
	ssize_t n = pid < 0 ? -1 : read(p[0], msg, sizeof(msg) - 1);
	close(p[0]);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) == 2) {
		*error_r = xstrdup("cannot check files as server.user");
		return -ERR_IO;
	}
	if (WEXITSTATUS(status) != 0) {
		msg[n > 0 ? n : 0] = '\0';
		*error_r = xstrdup(n > 0 ? msg : "a file is not readable");
		return -ERR_PERM;
	}
	return 0;
}

/* log.file is opened at start-up, before the privilege drop: its
 * directory must exist, and the file, when there, take appends */
static int
check_log_file(const struct conf *conf, const char *path, char **error_r)
{
	char ebuf[128];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (path[0] == '\0')
		return 0;
	int fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC |
			    O_NOCTTY | O_NONBLOCK);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == ENOENT) {
		char *dir = slash == NULL ? xstrdup(".") :
			    slash == path ? xstrdup("/") :
			    xstrndup(path, (size_t)(slash - path));
		int e = stat(dir, &st) < 0 ? errno :
			!S_ISDIR(st.st_mode) ? ENOTDIR :
			access(dir, W_OK | X_OK) < 0 ? errno : 0;
		bool ok = e == 0;
		if (!ok)
			*error_r = conf_errorf(conf, "log.file", "directory %s: "
					       "%s", dir,
					       errno_str(e, ebuf, sizeof(ebuf)));
		free(dir);
		return ok ? 0 : -ERR_NOTFOUND;
	}
	*error_r = conf_errorf(conf, "log.file", "%s: %s", path,
			       errno_str(errno, ebuf, sizeof(ebuf)));
	return -ERR_PERM;
}

int
preflight_run(const struct conf *conf, char **error_r)
{
	const struct core_settings *set = session_core_settings(conf);
	int r = check_identity(conf, set, error_r);
	if (r == 0)
		r = check_log_file(conf, set->log_file, error_r);
	if (r == 0)
		r = listener_check_all(conf, error_r);
	if (r == 0)
		r = metrics_check(conf, error_r);
	if (r == 0)
		r = control_check(conf, error_r);
	if (r == 0)
		r = check_files(conf, set, error_r);
	return r;
}
