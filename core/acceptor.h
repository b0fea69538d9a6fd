/* Maildock - SPDX-License-Identifier: MIT
 *
 * The small services next to the mail ports (the control socket, the
 * metrics endpoint): one thread accepts on a listening socket and serves
 * one short connection at a time, each bounded by a send/receive timeout.
 */
#ifndef CORE_ACCEPTOR_H
#define CORE_ACCEPTOR_H

/* Serve one accepted connection fd (blocking, with ACCEPTOR_TIMEOUT_SEC
 * receive and send timeouts); the acceptor closes fd afterwards. */
typedef void acceptor_fn(int fd);

#define ACCEPTOR_TIMEOUT_SEC 5

/* acceptor_start: start a detached thread that accepts on the listening
 * socket listen_fd for ever and calls fn for each connection; component
 * names its log lines ("control", "metrics"). A lack of descriptors waits
 * and retries; another accept error is logged and ends the thread. Returns
 * 0, or -ERR_NOMEM with *error_r malloc'd (without the component). Call after any fork (a thread
 * does not survive one) and after the privilege drop. */
int acceptor_start(int listen_fd, const char *component, acceptor_fn *fn,
		   char **error_r);

#endif
