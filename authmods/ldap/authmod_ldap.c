/* Maildock - SPDX-License-Identifier: MIT
 *
 * ldap: users in an LDAP directory (OpenLDAP's libldap). A login searches
 * base for the filter template with the user name escaped (RFC 4515), then
 * checks the password by binding as the entry found (default) or by
 * comparing its userPassword with the host's password schemes. A dropped
 * connection is retried once on a fresh one; a dead server gives
 * AUTHMOD_TEMPFAIL after a bounded time, never a wrong-password answer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "authmods/authmod.h"
#include "authmods/ldap/authldap-filter.h"
#include "authmods/ldap/authldap.h"

#define LDAPMOD_POOL_DEFAULT 8

static const char *const ldapmod_keys[] = {
	"uris", "starttls", "ca_file", "bind_dn", "bind_password", "base",
	"scope", "filter", "auth_bind", "pool_size", "timeout",
	"attr_user", "attr_uid", "attr_gid", "attr_home", "attr_mail",
	"attr_quota", "attr_options", "attr_proxy_host", "attr_password", NULL
};

/* key, default */
static const char *const attr_keys[AUTHLDAP_ATTR_COUNT][2] = {
	{ "attr_user", NULL }, { "attr_uid", "uidNumber" },
	{ "attr_gid", "gidNumber" }, { "attr_home", "homeDirectory" },
	{ "attr_mail", "maildockMail" }, { "attr_quota", "maildockQuota" },
	{ "attr_options", "maildockOptions" },
	{ "attr_proxy_host", "maildockProxyHost" },
	{ "attr_password", "userPassword" },
};

static int
parse_bool(const char *v, bool dflt, bool *out)
{
	if (v == NULL)
		*out = dflt;
	else if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
		 !strcmp(v, "1") || !strcasecmp(v, "on"))
		*out = true;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
		 !strcmp(v, "0") || !strcasecmp(v, "off"))
		*out = false;
	else
		return -1;
	return 0;
}

/* "5", "5s", "1500ms" -> milliseconds (1 ms .. 10 min) */
static int
parse_ms(const char *v, unsigned dflt, unsigned *out)
{
	char *end;
	unsigned long n;

	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	n = strtoul(v, &end, 10);
	if (end == v || n > 600000)
		return -1;
	if (*end == '\0' || !strcmp(end, "s"))
		n *= 1000;
	else if (strcmp(end, "ms") != 0)
		return -1;
	if (n == 0 || n > 600000)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static int
parse_scope(const char *v, int *out)
{
	if (v == NULL || !strcmp(v, "sub") || !strcmp(v, "subtree"))
		*out = LDAP_SCOPE_SUBTREE;
	else if (!strcmp(v, "one") || !strcmp(v, "onelevel"))
		*out = LDAP_SCOPE_ONELEVEL;
	else if (!strcmp(v, "base"))
		*out = LDAP_SCOPE_BASE;
	else
		return -1;
	return 0;
}

static int
read_settings(struct authldap_state *st, const void *conf, unsigned *pool_r,
	      const char **error_r)
{
	const struct authmod_host *h = st->host;
	const char *v;
	unsigned long n;
	char *end;

	st->srv.uris = h->setting(conf, "uris");
	st->base = h->setting(conf, "base");
	if (st->srv.uris == NULL || st->base == NULL) {
		*error_r = "auth.ldap.uris and auth.ldap.base must be set";
		return -1;
	}
	st->srv.ca_file = h->setting(conf, "ca_file");
	st->srv.bind_dn = h->setting(conf, "bind_dn");
	st->srv.bind_password = h->setting(conf, "bind_password");
	st->filter = h->setting(conf, "filter");
	if (st->filter == NULL)
		st->filter = "(&(objectClass=posixAccount)(mail=%u))";
	if (!authldap_filter_check(st->filter) || st->filter[0] != '(') {
		*error_r = "auth.ldap.filter: a filter in parentheses using "
			   "only %u, %n, %d and %%";
		return -1;
	}
	if (parse_bool(h->setting(conf, "starttls"), false,
		       &st->srv.starttls) < 0 ||
	    parse_bool(h->setting(conf, "auth_bind"), true,
		       &st->auth_bind) < 0) {
		*error_r = "auth.ldap.starttls/auth_bind: yes or no";
		return -1;
	}
	if (parse_scope(h->setting(conf, "scope"), &st->scope) < 0) {
		*error_r = "auth.ldap.scope: sub, one or base";
		return -1;
	}
	if (parse_ms(h->setting(conf, "timeout"), 5000,
		     &st->srv.timeout_ms) < 0) {
		*error_r = "auth.ldap.timeout: seconds (1-600) or NNNms";
		return -1;
	}
	*pool_r = LDAPMOD_POOL_DEFAULT;
	if ((v = h->setting(conf, "pool_size")) != NULL) {
		n = strtoul(v, &end, 10);
		if (*end != '\0' || n < 1 || n > 1024) {
			*error_r = "auth.ldap.pool_size: 1 to 1024";
			return -1;
		}
		*pool_r = (unsigned)n;
	}
	return 0;
}

static void
setup_attrs(struct authldap_state *st, const void *conf)
{
	unsigned n = 0;

	for (int i = 0; i < AUTHLDAP_ATTR_COUNT; i++) {
		const char *v = st->host->setting(conf, attr_keys[i][0]);
		if (v == NULL)
			v = attr_keys[i][1];
		if (v != NULL && (!strcmp(v, "none") || v[0] == '\0'))
			v = NULL;
		if (i == AUTHLDAP_ATTR_PASSWORD && st->auth_bind)
			v = NULL;	/* never fetch hashes we do not use */
		st->attr[i] = v;
		if (v != NULL)
			st->attrs[n++] = (char *)v;
	}
	if (n == 0)
		st->attrs[n++] = LDAP_NO_ATTRS;
	st->attrs[n] = NULL;
}

static int
ldapmod_init(const struct authmod_host *host, const void *conf,
	     void **state_r, const char **error_r)
{
	struct authldap_state *st = calloc(1, sizeof(*st));
	unsigned pool_size;

	if (st == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	st->host = host;
	if (read_settings(st, conf, &pool_size, error_r) < 0) {
		free(st);
		return -1;
	}
	if (st->auth_bind == false && host->password_verify == NULL) {
		*error_r = "auth_bind = no needs a host with password schemes";
		free(st);
		return -1;
	}
	setup_attrs(st, conf);
	/* libldap reads ldap.conf and sets its globals on first use: do it
	 * here, single-threaded, not in the first concurrent logins */
	int dbg = 0;
	(void)ldap_get_option(NULL, LDAP_OPT_DEBUG_LEVEL, &dbg);
	if (authldap_pool_init(&st->pool, &st->srv, pool_size) < 0) {
		*error_r = "out of memory";
		free(st);
		return -1;
	}
	*state_r = st;
	return 0;
}

static void
ldapmod_deinit(void *state)
{
	struct authldap_state *st = state;

	if (st == NULL)
		return;
	authldap_pool_deinit(&st->pool);
	free(st);
}


static int
ldapmod_verify(void *state, const char *user, const char *password,
	       struct authmod_user *u_r)
{
	if (password == NULL)
		return AUTHMOD_FAIL;
	return authldap_verify(state, user, password, u_r);
}

static int
ldapmod_lookup(void *state, const char *user, struct authmod_user *u_r)
{
	return authldap_verify(state, user, NULL, u_r);
}

AUTHMOD_EXPORT const struct authmod AUTHMOD_ENTRY = {
	.abi = AUTHMOD_ABI,
	.struct_size = sizeof(struct authmod),
	.name = "ldap",
	.flags = AUTHMOD_THREADSAFE,
	.keys = ldapmod_keys,
	.init = ldapmod_init,
	.verify = ldapmod_verify,
	.lookup = ldapmod_lookup,
	.deinit = ldapmod_deinit,
};
