/* Maildock - SPDX-License-Identifier: MIT
 *
 * One accept loop for the control socket and the metrics endpoint: a
 * detached thread, one connection at a time, so a stuck peer holds only
 * its own socket until the timeout.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/socket.h>
#include "core/acceptor.h"
#include "core/error.h"
#include "core/log.h"

struct acceptor {
	int fd;
	const char *component;
	acceptor_fn *fn;
};

static void *
run(void *arg)
{
	struct acceptor a = *(struct acceptor *)arg;
	struct timeval tv = { ACCEPTOR_TIMEOUT_SEC, 0 };
	char ebuf[128];

	free(arg);
	for (;;) {
		int fd = accept4(a.fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				/* wait for descriptors rather than spin */
				poll(NULL, 0, 100);
				continue;
			}
			log_error(a.component, "accept: %s",
				  errno_str(errno, ebuf, sizeof(ebuf)));
			return NULL;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		a.fn(fd);
		close(fd);
	}
}

int
acceptor_start(int listen_fd, const char *component, acceptor_fn *fn,
	       char **error_r)
{
	pthread_t tid;
	pthread_attr_t attr;
	struct acceptor *a = xmalloc(sizeof(*a));

	a->fd = listen_fd;
	a->component = component;
	a->fn = fn;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int r = pthread_create(&tid, &attr, run, a);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		free(a);
		*error_r = xstrdup("cannot start the serving thread");
		return -ERR_NOMEM;
	}
	return 0;
}
