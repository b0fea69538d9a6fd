/* Maildock - SPDX-License-Identifier: MIT
 *
 * Connection pool for the ldap module. ldap_initialize takes the whole URI
 * list, so libldap itself fails over from one server to the next; we set
 * the connect (LDAP_OPT_NETWORK_TIMEOUT) and operation (LDAP_OPT_TIMEOUT)
 * timeouts so that a dead server costs a bounded time per login.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "authmods/ldap/authldap-pool.h"

int
authldap_pool_init(struct authldap_pool *p, const struct authldap_server *srv,
		   unsigned size)
{
	memset(p, 0, sizeof(*p));
	if (size == 0 || size > 1024)
		return -1;
	p->conns = calloc(size, sizeof(*p->conns));
	if (p->conns == NULL)
		return -1;
	p->srv = srv;
	p->size = size;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	return 0;
}

void
authldap_pool_drop(struct authldap_conn *c)
{
	if (c->ld != NULL)
		ldap_unbind_ext_s(c->ld, NULL, NULL);
	if (c->ld_auth != NULL)
		ldap_unbind_ext_s(c->ld_auth, NULL, NULL);
	c->ld = NULL;
	c->ld_auth = NULL;
	c->service_bound = false;
}

void
authldap_pool_deinit(struct authldap_pool *p)
{
	if (p->conns == NULL)
		return;
	for (unsigned i = 0; i < p->size; i++)
		authldap_pool_drop(&p->conns[i]);
	free(p->conns);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	memset(p, 0, sizeof(*p));
}

static struct authldap_conn *
take_free(struct authldap_pool *p)
{
	struct authldap_conn *idle = NULL;

	/* prefer a connected slot, so the pool stays small under low load */
	for (unsigned i = 0; i < p->size; i++) {
		struct authldap_conn *c = &p->conns[i];
		if (c->busy)
			continue;
		if (c->ld != NULL)
			return c;
		if (idle == NULL)
			idle = c;
	}
	return idle;
}

struct authldap_conn *
authldap_pool_get(struct authldap_pool *p)
{
	struct timespec until;
	struct authldap_conn *c;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += p->srv->timeout_ms / 1000;
	until.tv_nsec += (long)(p->srv->timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->lock);
	while ((c = take_free(p)) == NULL) {
		if (pthread_cond_timedwait(&p->cond, &p->lock, &until) ==
		    ETIMEDOUT) {
			c = take_free(p);
			break;
		}
	}
	if (c != NULL)
		c->busy = true;
	pthread_mutex_unlock(&p->lock);
	return c;
}

void
authldap_pool_put(struct authldap_pool *p, struct authldap_conn *c,
		  bool broken)
{
	if (broken)
		authldap_pool_drop(c);
	pthread_mutex_lock(&p->lock);
	c->busy = false;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

bool
authldap_pool_down(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
	       rc == LDAP_TIMEOUT || rc == LDAP_UNAVAILABLE ||
	       rc == LDAP_BUSY || rc == LDAP_OTHER || rc == LDAP_LOCAL_ERROR;
}

static int
set_options(LDAP *ld, const struct authldap_server *s)
{
	struct timeval tv = { s->timeout_ms / 1000,
			      (suseconds_t)(s->timeout_ms % 1000) * 1000 };
	int v3 = LDAP_VERSION3, zero = 0, demand = LDAP_OPT_X_TLS_DEMAND;
	int rc;

	if ((rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv)))
		return rc;
	if (s->ca_file == NULL)
		return LDAP_SUCCESS;
	if ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, s->ca_file)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero)))
		return rc;
	return LDAP_SUCCESS;
}

static int
service_bind(LDAP *ld, const struct authldap_server *s)
{
	struct berval cred = { 0, NULL };

	if (s->bind_dn != NULL && s->bind_password != NULL) {
		cred.bv_val = (char *)s->bind_password;
		cred.bv_len = strlen(s->bind_password);
	}
	return ldap_sasl_bind_s(ld, s->bind_dn ? s->bind_dn : "",
				LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
}

/* a new handle with our options, through StartTLS when configured */
static int
open_ld(const struct authldap_server *s, LDAP **ld_r, const char **what_r)
{
	int rc;

	*what_r = "initialize";
	rc = ldap_initialize(ld_r, s->uris);
	if (rc != LDAP_SUCCESS) {
		*ld_r = NULL;
		return rc;
	}
	*what_r = "set options";
	if ((rc = set_options(*ld_r, s)) == LDAP_SUCCESS && s->starttls) {
		*what_r = "StartTLS";
		rc = ldap_start_tls_s(*ld_r, NULL, NULL);
	}
	if (rc != LDAP_SUCCESS) {
		ldap_unbind_ext_s(*ld_r, NULL, NULL);
		*ld_r = NULL;
	}
	return rc;
}

int
authldap_pool_auth_ready(const struct authldap_pool *p,
			 struct authldap_conn *c, const char **what_r)
{
	if (c->ld_auth != NULL)
		return LDAP_SUCCESS;
	return open_ld(p->srv, &c->ld_auth, what_r);
}

int
authldap_pool_ready(const struct authldap_pool *p, struct authldap_conn *c,
		    const char **what_r)
{
	const struct authldap_server *s = p->srv;
	int rc;

	if (c->ld != NULL && c->service_bound)
		return LDAP_SUCCESS;
	if (c->ld == NULL && (rc = open_ld(s, &c->ld, what_r)) != LDAP_SUCCESS)
		return rc;
	*what_r = s->bind_dn ? "bind as bind_dn" : "anonymous bind";
	rc = service_bind(c->ld, s);
	if (rc != LDAP_SUCCESS)
		goto fail;
	c->service_bound = true;
	return LDAP_SUCCESS;
fail:
	authldap_pool_drop(c);
	return rc;
}
