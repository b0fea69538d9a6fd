/* Maildock - SPDX-License-Identifier: MIT
 *
 * One client connection's state that the core owns: its socket stream,
 * the configuration generation it started with, addresses, timeouts, and
 * session-tagged logging. Protocol modules keep their own state beside it.
 */
#ifndef CORE_SESSION_H
#define CORE_SESSION_H

#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "core/log.h"

struct arena;
struct conf;
struct conn;
struct proto_ops;
struct session_start;
struct tlsconn_ctx;

/* core.* / limits.* settings, as filled by core/conf (see core/settings.c) */
struct core_settings {
	const char *server_user, *server_group;
	const char *server_hostname;
	const char *pid_file;		/* "": none */
	unsigned shutdown_timeout;	/* seconds */
	unsigned workers;		/* 0: one per CPU (core/master) */
	unsigned max_connections;
	unsigned max_connections_per_ip;
	unsigned login_timeout;		/* seconds before login */
	unsigned idle_timeout;		/* seconds after login */
	size_t max_line_length;		/* octets of one command line */
	size_t thread_stack_size;	/* bytes */
	size_t session_memory;		/* bytes an arena may hold */
	const char *log_level;
	const char *log_file;		/* "": syslog, or stderr with -F */
	const char *proxy_trusted_networks; /* proxy.trusted_networks */
	bool proxy_enabled;		/* proxy.enabled: login proxy mode */
	const char *proxy_backends;	/* proxy.backends */
	bool proxy_send_header;		/* proxy.backend_header */
	unsigned proxy_connect_timeout;	/* seconds */
	bool proxy_failover;		/* proxy.failover */
	unsigned proxy_down_time;	/* seconds a failed backend rests */
};

struct session {
	char id[9];			/* 8 hex digits, for log lines */
	const struct proto_ops *proto;
	struct conn *conn;
	struct conf *conf;		/* generation at accept (referenced) */
	const struct core_settings *set; /* core section of conf */
	struct tlsconn_ctx *tls;	/* NULL: no certificate configured */
	struct arena *arena;		/* freed at disconnect */
	bool implicit_tls;		/* accepted on an imaps/pop3s listener */
	bool loopback;			/* the peer is 127.0.0.0/8 or ::1 */
	char remote_ip[INET6_ADDRSTRLEN];
	unsigned remote_port;
	char local_ip[INET6_ADDRSTRLEN];
	unsigned local_port;
	const char *user;		/* set at login (for logs), in arena */
	struct timespec started;	/* CLOCK_MONOTONIC */
	void *proto_state;		/* the protocol module's own */
	/* why the session ended, for the disconnect log line ("logout",
	 * "timeout", "eof", "shutdown", ...); set by the protocol */
	const char *end_reason;
	/* the mechanism of the login under way ("LOGIN", "PLAIN", "USER"),
	 * set by the protocol before auth_login, for metrics */
	const char *auth_mech;
	/* system-users mode: the identity a thread takes before it resumes
	 * a parked session (set by core/auth.c at login) */
	bool sysuser;
	uid_t sys_uid;
	gid_t sys_gid;
	/* core-private below: what the accept loop handed over, and the
	 * parking state (core/park.c; its lock guards what other threads
	 * touch) */
	struct session_start *start;
	struct {
		int state;
		bool pending;		/* woken while running */
		bool requested;		/* park_request (own thread) */
		bool in_epoll;		/* the socket is in the poller */
		int why;		/* enum park_wake of the resume */
		unsigned timeout_ms;
		long long deadline;	/* CLOCK_MONOTONIC ms */
		struct session *prev, *next;
	} park;
};

/* slog_write: a log line tagged with the session id and protocol name,
 * with user= and ip= fields. Thread-safe. */
void slog_write(const struct session *s, enum log_level level,
		const char *fmt, ...) ATTR_PRINTF(3, 4);
#define slog_error(s, ...) slog_write(s, LOG_LEVEL_ERROR, __VA_ARGS__)
#define slog_warn(s, ...) slog_write(s, LOG_LEVEL_WARNING, __VA_ARGS__)
#define slog_info(s, ...) slog_write(s, LOG_LEVEL_INFO, __VA_ARGS__)
#define slog_debug(s, ...) slog_write(s, LOG_LEVEL_DEBUG, __VA_ARGS__)

/* session_logged_in: record the user (copied into the arena) and switch the
 * connection from the login timeout to the idle timeout. */
void session_logged_in(struct session *s, const char *user);

/* session_logged_out: the reverse of session_logged_in, for a protocol
 * that goes back to its unauthenticated state on the same connection (IMAP
 * UNAUTHENTICATE, RFC 8437): forget the user for logs and apply the login
 * timeout and deadline again, counted from now. */
void session_logged_out(struct session *s);

/* session_thread_stack: the stack size, in bytes, to give a thread that
 * runs sessions' commands (connection threads, the threads that resume
 * parked sessions, LMTP deliveries): limits.thread_stack_size, plus what a
 * ThreadSanitizer build needs beside it. Pure; thread-safe. */
size_t session_thread_stack(const struct core_settings *set);

/* session_stopping: whether the server is shutting down (thread-safe). */
bool session_stopping(void);

/* session_core_settings: the core section of conf. */
const struct core_settings *session_core_settings(const struct conf *conf);

#endif
