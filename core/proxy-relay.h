/* Maildock - SPDX-License-Identifier: MIT
 *
 * Login proxy mode (proxy.enabled): after a user's login is checked here,
 * the session is carried to the backend that holds the user's Maildir —
 * the one the auth result names (its proxy_host: "host" or "host:port"),
 * else one of proxy.backends chosen by rendezvous hashing of the user
 * name, so adding or removing a backend moves only that backend's share
 * of users — and the bytes are relayed both ways until either side ends.
 * The protocol modules log in at the backend; this module knows no
 * protocol.
 */
#ifndef CORE_PROXY_RELAY_H
#define CORE_PROXY_RELAY_H
#include "core/compat.h"

struct auth_user;
struct conn;
struct session;

/* where a proxied session goes */
struct proxy_relay_backend {
	char host[256];		/* an address or a host name */
	char port[8];		/* decimal */
};

/* proxy_relay_enabled: whether s's configuration proxies logins. */
bool proxy_relay_enabled(const struct session *s);

/* proxy_relay_route: the backend for user u: u->proxy_host when set
 * (without a port: default_port), else the rendezvous choice among
 * proxy.backends (items "host:port" or "[v6]:port"). Returns 0, or
 * -ERR_NOTFOUND when neither names one, -ERR_INVAL when proxy_host is
 * malformed. With proxy.failover, a backend marked down (see
 * proxy_relay_open) is chosen only when every one is. Thread-safe. */
int proxy_relay_route(const struct session *s, const struct auth_user *u,
		      const char *default_port, struct proxy_relay_backend *b_r);

/* proxy_relay_open: route u (proxy_relay_route) and connect
 * (proxy_relay_connect). A backend that fails is marked down for
 * proxy.down_time in this process: its users' next logins are refused at
 * once (-ERR_TEMP) instead of waiting out the connect timeout, or, with
 * proxy.failover, go to the next backend in their rendezvous order (up to
 * three tries; never for a user whose proxy_host names the backend).
 * Returns 0 with *b_r and *c_r (owned by the caller), or the last error.
 * Thread-safe. */
int proxy_relay_open(struct session *s, const struct auth_user *u,
		     const char *default_port, struct proxy_relay_backend *b_r,
		     struct conn **c_r);

/* proxy_relay_connect: a TCP connection to b within proxy.connect_timeout,
 * as a conn with s's idle timeout, that names s's client first with a
 * PROXY protocol v1 header unless proxy.backend_header is off. Returns 0 with *c_r owned by the caller
 * (conn_free), or -ERR_TEMP (refused, unreachable, timed out, name not
 * resolved) after logging why. */
int proxy_relay_connect(struct session *s, const struct proxy_relay_backend *b,
			struct conn **c_r);

/* The last bytes each side sent, for telling a clean end (the client's
 * LOGOUT or QUIT, the backend's BYE) from a backend that died. */
struct proxy_relay_tail {
	char client[32];
	char backend[128];
};

/* proxy_relay_run: relay bytes between the client (s->conn) and backend
 * until one side closes or the session's idle timeout passes with no byte
 * either way; *tail_r keeps the last bytes of each side (NUL-terminated,
 * NULs replaced). Returns the side that ended it: 1 the client, 2 the
 * backend (closed or failed), or -ERR_TIMEOUT / -ERR_SHUTDOWN / -ERR_IO. */
int proxy_relay_run(struct session *s, struct conn *backend,
		    struct proxy_relay_tail *tail_r);

#endif
