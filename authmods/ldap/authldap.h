/* Maildock - SPDX-License-Identifier: MIT
 *
 * Private to the ldap module: its state (settings, attribute mapping and
 * connection pool) and the search / password check that verify and lookup
 * run on a pooled connection.
 */
#ifndef AUTHMODS_LDAP_AUTHLDAP_H
#define AUTHMODS_LDAP_AUTHLDAP_H

#include <stdbool.h>
#include "authmods/authmod.h"
#include "authmods/ldap/authldap-pool.h"

#define AUTHLDAP_USER_MAX 256
#define AUTHLDAP_FILTER_MAX 2048

/* the attributes mapped onto struct authmod_user */
enum authldap_attr {
	AUTHLDAP_ATTR_USER, AUTHLDAP_ATTR_UID, AUTHLDAP_ATTR_GID,
	AUTHLDAP_ATTR_HOME, AUTHLDAP_ATTR_MAIL, AUTHLDAP_ATTR_QUOTA,
	AUTHLDAP_ATTR_OPTIONS, AUTHLDAP_ATTR_PROXY, AUTHLDAP_ATTR_PASSWORD,
	AUTHLDAP_ATTR_COUNT
};

struct authldap_state {
	const struct authmod_host *host;
	struct authldap_server srv;
	struct authldap_pool pool;
	const char *base;
	int scope;
	const char *filter;
	bool auth_bind;
	const char *attr[AUTHLDAP_ATTR_COUNT];
	/* requested attributes, NULL-terminated */
	char *attrs[AUTHLDAP_ATTR_COUNT + 1];
};

/* authldap_verify: find user and check password (NULL: lookup only, no
 * check). Fills u_r on AUTHMOD_OK. Returns an AUTHMOD_* code; a broken
 * connection is replaced and the login retried once. Thread-safe. */
int authldap_verify(struct authldap_state *st, const char *user,
		    const char *password, struct authmod_user *u_r);

#endif
