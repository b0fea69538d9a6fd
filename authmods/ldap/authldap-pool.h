/* Maildock - SPDX-License-Identifier: MIT
 *
 * The ldap module's connection pool: a fixed number of slots shared by all
 * connection threads. A thread takes a slot for one whole login (search,
 * then bind as the user), so an LDAP handle is never used by two threads
 * at once. Slots connect lazily and are dropped when the server closes
 * them; every network step has a bounded timeout.
 */
#ifndef AUTHMODS_LDAP_AUTHLDAP_POOL_H
#define AUTHMODS_LDAP_AUTHLDAP_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <ldap.h>

/* How to reach and bind to the directory (owned by the module state). */
struct authldap_server {
	const char *uris;	/* space-separated, tried in order */
	bool starttls;
	const char *ca_file;	/* NULL: system default */
	const char *bind_dn;	/* NULL: anonymous search */
	const char *bind_password;
	unsigned timeout_ms;	/* connect, bind and search each */
};

/* A slot holds two connections: ld stays bound as the search identity;
 * ld_auth is only for binds as users, so that a login costs one search and
 * one bind, with no rebind as bind_dn after each user bind. */
struct authldap_conn {
	LDAP *ld;		/* NULL until connected */
	LDAP *ld_auth;		/* NULL until the first user bind */
	bool service_bound;	/* ld is bound as bind_dn (or anonymous) */
	bool busy;
};

struct authldap_pool {
	const struct authldap_server *srv;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned size;
	struct authldap_conn *conns;
};

/* authldap_pool_init: size slots (1..1024), none connected. Returns 0 or
 * -1 (out of memory). Start-up only. */
int authldap_pool_init(struct authldap_pool *p,
		       const struct authldap_server *srv, unsigned size);

/* authldap_pool_deinit: unbind every slot; no slot may be in use. */
void authldap_pool_deinit(struct authldap_pool *p);

/* authldap_pool_get: take a free slot, waiting up to srv->timeout_ms for
 * one. Returns NULL when none became free in time (the caller answers
 * "temporary failure"). Thread-safe. */
struct authldap_conn *authldap_pool_get(struct authldap_pool *p);

/* authldap_pool_put: give the slot back; broken: the handle is unbound
 * and the next user reconnects. Thread-safe. */
void authldap_pool_put(struct authldap_pool *p, struct authldap_conn *c,
		       bool broken);

/* authldap_pool_drop: unbind c's handle (the caller owns c) so that the
 * next authldap_pool_ready reconnects. */
void authldap_pool_drop(struct authldap_conn *c);

/* authldap_pool_ready: make c connected and bound as the search identity
 * (bind_dn or anonymous), reconnecting when it is not. Returns an LDAP
 * result code: LDAP_SUCCESS, or the failure (*what_r names the step for
 * the log). The caller owns c (from authldap_pool_get). */
int authldap_pool_ready(const struct authldap_pool *p, struct authldap_conn *c,
			const char **what_r);

/* authldap_pool_auth_ready: make c->ld_auth connected (not bound), for a
 * bind as a user. Returns an LDAP result code as authldap_pool_ready. */
int authldap_pool_auth_ready(const struct authldap_pool *p,
			     struct authldap_conn *c, const char **what_r);

/* authldap_pool_down: true for result codes meaning the connection is
 * unusable (server down, timeout, connect error): drop it and retry once. */
bool authldap_pool_down(int rc);

#endif
