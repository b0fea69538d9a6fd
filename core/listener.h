/* Maildock - SPDX-License-Identifier: MIT
 *
 * Listening sockets and the accept loop: one poll over every listener,
 * connection limits (total and per client IP), and one detached thread
 * with a bounded stack per accepted connection.
 */
#ifndef CORE_LISTENER_H
#define CORE_LISTENER_H

#include "core/compat.h"

struct addrinfo;
struct conf;
struct proto_ops;

/* listener_parse_addr: parse "host:port", "[v6]:port" or "*:port" into a
 * getaddrinfo result for a listening socket (free it with freeaddrinfo).
 * The host must be an IP address (a name could resolve differently at each
 * start); the port 1-65535. Returns 0, or -ERR_INVAL with *why_r saying
 * what is wrong (a static string). Thread-safe. */
int listener_parse_addr(const char *item, struct addrinfo **res_r,
			const char **why_r);

/* listener_register_settings: register the keys <proto>.listen and
 * <proto>s.listen for every protocol in protos (NULL-terminated), with the
 * protocols' default addresses. Start-up only. */
void listener_register_settings(const struct proto_ops *const *protos);

/* listener_check_all: parse every address of every enabled service in conf
 * without binding (maildockd -t): IP addresses only, ports 1-65535.
 * Returns 0, or -ERR_INVAL with *error_r malloc'd naming file:line, key
 * and address. */
int listener_check_all(const struct conf *conf, char **error_r);

/* listener_bind_all: bind and listen on every address of every enabled
 * service in conf. Returns 0, or -ERR_IO/-ERR_INVAL with *error_r malloc'd
 * naming the key and address. Call before dropping privileges. */
int listener_bind_all(const struct conf *conf, char **error_r);

/* listener_fit_descriptors: raise the soft RLIMIT_NOFILE to the hard limit
 * and warn, naming the figures, when max_connections sessions (a few
 * descriptors each) cannot fit under it. Start-up, before the workers. */
void listener_fit_descriptors(unsigned max_connections);

/* listener_count: number of bound sockets. */
size_t listener_count(void);

/* listener_run: the accept loop, in the main thread, until wake_fd (a
 * pipe the signal handlers write to) says so: on_wake() is called each
 * time wake_fd is readable, and returns false to end the loop. Out of
 * descriptors (EMFILE, ENFILE), queued clients get the protocol's refusal
 * through a reserve descriptor and accepting pauses for 100 ms; that is
 * logged at most every 10 s with the errno. Returns 0, or -ERR_IO when
 * poll fails. */
int listener_run(int wake_fd, bool (*on_wake)(void));

/* listener_close_all: stop accepting (close the sockets). */
void listener_close_all(void);

/* listener_active: connection threads still running. Thread-safe. */
unsigned listener_active(void);

/* listener_wait_idle: wait until no connection thread runs, at most
 * seconds. Returns true when all ended. */
bool listener_wait_idle(unsigned seconds);

#endif
