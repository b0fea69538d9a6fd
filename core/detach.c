/* Maildock - SPDX-License-Identifier: MIT
 *
 * maildockd without -F: fork, and let the parent wait on a pipe for the
 * child's word: 'R' when it serves, or 'E' and the reason it failed up to
 * the end of file (end of file without a word: it died). The parent's exit status is then
 * what an init script or an admin's shell tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/wait.h>
#include "core/compat.h"
#include "core/detach.h"
#include "core/error.h"

#define DETACH_REASON_MAX 1024

static int report_fd = -1;

/* the parent: wait for the child's word, exit with it */
static _Noreturn void
wait_child(int fd, pid_t pid)
{
	char buf[DETACH_REASON_MAX + 1];
	size_t n = 0;
	ssize_t r;

	/* after 'R' read no further: the workers may still hold a copy */
	while (n < sizeof(buf) - 1 && !(n > 0 && buf[0] == 'R') &&
	       ((r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0 ||
		(r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	buf[n] = '\0';
	if (n > 0 && buf[0] == 'R')
		_exit(0);
	if (n <= 1) {
		int status;
		/* the child that serves forks no more: it is gone, or
		 * it closed the pipe without a word (not this code) */
		if (waitpid(pid, &status, WNOHANG) == pid &&
		    WIFSIGNALED(status))
			fprintf(stderr, "maildockd: start-up failed: killed "
				"by signal %d (see the log)\n",
				WTERMSIG(status));
		else
			fprintf(stderr, "maildockd: start-up failed (see the "
				"log)\n");
	} else {
		fprintf(stderr, "maildockd: %s\n", buf + 1);
	}
	_exit(1);
}

int
detach_start(char **error_r)
{
	int p[2];

	fflush(NULL);
	if (pipe2(p, O_CLOEXEC) < 0) {
		*error_r = xstrdup("cannot go into the background: pipe failed");
		return -ERR_IO;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		*error_r = xstrdup("cannot go into the background: fork failed");
		return -ERR_IO;
	}
	if (pid > 0) {
		close(p[1]);
		wait_child(p[0], pid);
	}
	close(p[0]);
	report_fd = p[1];
	setsid();
	if (chdir("/") < 0)
		return 0;	/* a relative path would fail later, with a reason */
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	return 0;
}

static void
report(char word, const char *reason)
{
	if (report_fd < 0)
		return;
	size_t len = strlen(reason);
	ssize_t w = write(report_fd, &word, 1);
	if (w == 1 && len > 0)
		w = write(report_fd, reason, len < DETACH_REASON_MAX - 1 ?
				     len : DETACH_REASON_MAX - 1);
	(void)w;
	detach_forget();
}

void
detach_ready(void)
{
	report('R', "");
}

void
detach_fail(const char *reason)
{
	report('E', reason);
}

void
detach_forget(void)
{
	if (report_fd >= 0)
		close(report_fd);
	report_fd = -1;
}
