/* Maildock - SPDX-License-Identifier: MIT
 *
 * The control socket for maildock-admin: a UNIX socket per server process,
 * control.<pid> in control.socket_dir, made before the privilege drop
 * (mode 0660, group control.admin_group) and served by one thread
 * (core/acceptor). Each
 * peer's credentials are checked again with SO_PEERCRED: root, or a member
 * of the admin group. One command line in, "OK" or "ERR reason" and
 * tab-separated rows out, then the connection closes.
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "core/acceptor.h"
#include "core/conf.h"
#include "core/control.h"
#include "core/error.h"
#include "core/log.h"
#include "core/registry.h"
#include "core/sbuf.h"
#include "core/stats.h"

#define LINE_MAX_LEN 1024
#define GROUPS_MAX 256

struct control_settings {
	const char *socket_dir, *admin_group;
};

#define S(k, f, d, doc_) { k, CONF_STRING, \
	offsetof(struct control_settings, f), d, .doc = doc_ }
static const struct conf_setting control_conf_settings[] = {
	S("control.socket_dir", socket_dir, "/run/maildock",
	  "where each server process makes its control socket"),
	S("control.admin_group", admin_group, "",
	  "group whose members may use maildock-admin; empty: root only"),
};
#undef S

static const struct conf_table control_conf_table = {
	"control", control_conf_settings, N_ELEMENTS(control_conf_settings),
	sizeof(struct control_settings), NULL,
};

static int control_fd = -1;
static gid_t admin_gid = (gid_t)-1;

void
control_register_settings(void)
{
	conf_register(&control_conf_table);
}

const char *
control_socket_dir(const struct conf *conf)
{
	return ((const struct control_settings *)
		conf_section(conf, &control_conf_table))->socket_dir;
}

/* Remove control.<pid> sockets of processes that have gone. */
static void
remove_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *end;
		if (strncmp(de->d_name, "control.", 8) != 0)
			continue;
		long pid = strtol(de->d_name + 8, &end, 10);
		if (*end == '\0' && pid > 0 && kill((pid_t)pid, 0) < 0 &&
		    errno == ESRCH)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/* The sockets are for the admin: a daemon started without the rights to
 * make them (not root, say) serves mail all the same, and says why
 * maildock-admin will find nothing. */
static int
unavailable(const char *what)
{
	char ebuf[128];
	log_warn("control", "no control socket (maildock-admin will not "
		 "answer): %s: %s", what, errno_str(errno, ebuf, sizeof(ebuf)));
	return 0;
}

/* control.admin_group's gid into *gid_r ((gid_t)-1 when empty). */
static int
admin_group(const struct conf *conf, const struct control_settings *set,
	    gid_t *gid_r, char **error_r)
{
	char buf[4096];
	struct group gr, *grp = NULL;

	*gid_r = (gid_t)-1;
	if (set->admin_group[0] == '\0')
		return 0;
	if (getgrnam_r(set->admin_group, &gr, buf, sizeof(buf), &grp) != 0 ||
	    grp == NULL) {
		*error_r = conf_errorf(conf, "control.admin_group",
				       "no such group \"%s\"", set->admin_group);
		return -ERR_NOTFOUND;
	}
	*gid_r = gr.gr_gid;
	return 0;
}

int
control_check(const struct conf *conf, char **error_r)
{
	gid_t gid;
	return admin_group(conf, conf_section(conf, &control_conf_table), &gid,
			   error_r);
}

int
control_bind(const struct conf *conf, char **error_r)
{
	const struct control_settings *set =
		conf_section(conf, &control_conf_table);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (set->socket_dir[0] == '\0')
		return 0;
	int r = admin_group(conf, set, &admin_gid, error_r);
	if (r < 0)
		return r;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control.%ld",
			     set->socket_dir, (long)getpid()) >=
	    sizeof(sa.sun_path)) {
		*error_r = conf_errorf(conf, "control.socket_dir", "too long");
		return -ERR_INVAL;
	}
	if (mkdir(set->socket_dir, 0755) < 0 && errno != EEXIST)
		return unavailable(set->socket_dir);
	remove_stale(set->socket_dir);
	unlink(sa.sun_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	mode_t old = umask(0177);	/* no moment with a wider mode */
	r = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0 ||
	    (admin_gid != (gid_t)-1 &&
	     (chown(sa.sun_path, (uid_t)-1, admin_gid) < 0 ||
	      chmod(sa.sun_path, 0660) < 0))) {
		r = unavailable(sa.sun_path);
		if (fd >= 0)
			close(fd);
		return r;
	}
	control_fd = fd;
	return 0;
}

/* Root, or a member of control.admin_group (primary or supplementary). */
static bool
peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char buf[4096];
	struct passwd pw, *pwp = NULL;
	gid_t groups[GROUPS_MAX];
	int n = GROUPS_MAX;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	if (cr.uid == 0)
		return true;
	if (admin_gid == (gid_t)-1)
		return false;
	if (cr.gid == admin_gid)
		return true;
	if (getpwuid_r(cr.uid, &pw, buf, sizeof(buf), &pwp) != 0 || pwp == NULL ||
	    getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == admin_gid)
			return true;
	return false;
}

static void
run_command(char *line, struct sbuf *out)
{
	char *save = NULL;
	const char *cmd = strtok_r(line, " \t", &save);
	const char *arg = strtok_r(NULL, " \t", &save);
	const char *arg2 = strtok_r(NULL, " \t", &save);
	enum log_level lvl;

	if (cmd == NULL) {
		sbuf_appends(out, "ERR empty command\n");
	} else if (strcmp(cmd, "who") == 0 && arg == NULL) {
		sbuf_appends(out, "OK\nid\tuser\tip\tprotocol\ttls\tsince\n");
		registry_who(out);
	} else if (strcmp(cmd, "kick") == 0 && arg != NULL && arg2 == NULL) {
		char q[300];
		unsigned n = registry_kick(arg);
		log_info("control", "kick who=%s sessions=%u",
			 log_quote_cstr(q, sizeof(q), arg), n);
		sbuf_appendf(out, "OK\nkicked\n%u\n", n);
	} else if (strcmp(cmd, "reload") == 0 && arg == NULL) {
		/* the master reloads, as for an admin's SIGHUP, and passes
		 * it on to every worker (this socket is a worker's) */
		kill(getppid(), SIGHUP);
		sbuf_appends(out, "OK\n");
	} else if (strcmp(cmd, "stats") == 0 && arg == NULL) {
		sbuf_appends(out, "OK\n");
		stats_render(out);
	} else if (strcmp(cmd, "log") == 0 && arg != NULL &&
		   strcmp(arg, "level") == 0 && arg2 != NULL &&
		   log_level_parse(arg2, &lvl) == 0) {
		log_set_level(lvl);
		log_info("control", "log level=%s", arg2);
		sbuf_appends(out, "OK\n");
	} else {
		sbuf_appends(out, "ERR unknown command or arguments (who, kick "
			     "USER|IP, reload, stats, log level LEVEL)\n");
	}
}

static void
serve_one(int fd)
{
	char line[LINE_MAX_LEN];
	size_t n = 0;
	struct sbuf out;

	sbuf_init(&out, NULL, 16u << 20);
	if (!peer_allowed(fd)) {
		sbuf_appends(&out, "ERR permission denied\n");
	} else {
		while (n < sizeof(line) - 1 && memchr(line, '\n', n) == NULL) {
			ssize_t r = recv(fd, line + n, sizeof(line) - 1 - n, 0);
			if (r <= 0)
				break;
			n += (size_t)r;
		}
		line[n] = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		run_command(line, &out);
	}
	for (size_t off = 0; off < out.len;) {
		ssize_t w = send(fd, out.data + off, out.len - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	sbuf_free(&out);
}

int
control_start(char **error_r)
{
	if (control_fd < 0)
		return 0;
	return acceptor_start(control_fd, "control", serve_one, error_r);
}
