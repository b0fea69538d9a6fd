/* Maildock - SPDX-License-Identifier: MIT
 *
 * Between the accept loop and the session thread: not for protocols.
 */
#ifndef CORE_SESSION_PRIVATE_H
#define CORE_SESSION_PRIVATE_H

#include <sys/socket.h>
#include "core/session.h"

/* What the accept loop hands a new connection thread (heap, owned by the
 * thread). */
struct session_start {
	int fd;
	const struct proto_ops *proto;
	bool implicit_tls;
	bool refuse;			/* a limit was hit: refuse and close */
	const char *refuse_reason;
	int slot;			/* in core/connlimit; < 0: refused by a limit */
	struct sockaddr_storage remote, local;
	struct conf *conf;		/* referenced */
	struct tlsconn_ctx *tls;	/* referenced or NULL */
};

/* session_register_settings: the core's own keys (server.*, limits.*,
 * log.*). Start-up only. */
void session_register_settings(void);

/* session_thread: thread entry; arg is a struct session_start that the
 * thread frees. Calls listener_session_ended at the end. */
void *session_thread(void *arg);

/* session_resume: in a resume thread (core/park.c): take the session's
 * user identity when in system-users mode, call its protocol's resume hook
 * with why (enum park_wake), then park it again or end it. Returns false
 * when the thread took a user's identity and must end, true when it may
 * serve other sessions. */
bool session_resume(struct session *s, int why);

/* park_start: start this process's poller of parked sessions unless
 * running (again in a forked child); resume threads get stack_size
 * bytes. Call from a thread that holds the process's own identity (a new
 * connection's thread before login): resume threads inherit it. */
void park_start(size_t stack_size);

/* park_enter: park s (park_request was called): 0 when parked (the
 * caller lets go of s), else the enum park_wake to resume it with at
 * once (input pending, woken meanwhile, shutdown; without a poller, after
 * waiting for the socket in the calling thread). */
int park_enter(struct session *s);

/* park_forget: take s's socket out of the poller (before it is closed).
 * park_free: free s (itself only), once the poller cannot name it. */
void park_forget(struct session *s);
void park_free(struct session *s);

/* session_set_stopping: mark the server as stopping (signal-safe). */
void session_set_stopping(void);

/* listener_session_readdress: a trusted proxy's PROXY header named client:
 * make it st's remote address and count the connection under it. Returns
 * 0, or -ERR_LIMIT with *reason_r the refusal to send when the client has
 * limits.max_connections_per_ip already. Thread-safe. */
int listener_session_readdress(struct session_start *st,
			       const struct sockaddr_storage *client,
			       const char **reason_r);

/* listener_session_ended: take the session out of the connection counts
 * (total and its client IP). Thread-safe. */
void listener_session_ended(const struct session_start *st);

/* sockaddr_ip: the numeric address of sa into buf; *port_r its port. */
void sockaddr_ip(const struct sockaddr_storage *sa, char *buf, size_t size,
		 unsigned *port_r);

#endif
