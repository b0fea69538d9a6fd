/* Maildock - SPDX-License-Identifier: MIT
 *
 * The pidfile: written once after going into the background, locked with flock for the
 * process's life (the lock, not the file's existence, says that a daemon
 * runs: a stale file left by a crash is simply overwritten).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/file.h>
#include "core/error.h"
#include "core/pidfile.h"
#include "core/sbuf.h"

static int pid_fd = -1;
static char *pid_path;

static char *
errorf(const char *path, const char *what, int e)
{
	char ebuf[128];
	struct sbuf b;
	sbuf_init(&b, NULL, 0);
	sbuf_appendf(&b, "%s: %s", path, what);
	if (e != 0)
		sbuf_appendf(&b, ": %s", errno_str(e, ebuf, sizeof(ebuf)));
	return b.data;
}

int
pidfile_create(const char *path, char **error_r)
{
	char buf[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
			    O_NOCTTY, 0644);
	if (fd < 0) {
		*error_r = errorf(path, "cannot open the pidfile", errno);
		return -ERR_IO;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		if (e != EWOULDBLOCK) {
			*error_r = errorf(path, "cannot lock", e);
			close(fd);
			return -ERR_IO;
		}
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		struct sbuf b;
		sbuf_init(&b, NULL, 0);
		sbuf_appendf(&b, "%s: another maildockd (pid %s) runs with this "
			     "pidfile", path, buf[0] != '\0' ? buf : "?");
		*error_r = b.data;
		close(fd);
		return -ERR_EXISTS;
	}
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
		*error_r = errorf(path, "cannot write the pidfile", errno);
		close(fd);
		return -ERR_IO;
	}
	pid_fd = fd;
	pid_path = xstrdup(path);
	return 0;
}

void
pidfile_remove(void)
{
	if (pid_fd < 0)
		return;
	(void)unlink(pid_path);
	close(pid_fd);
	pid_fd = -1;
	free(pid_path);
	pid_path = NULL;
}
