/* Maildock - SPDX-License-Identifier: MIT
 *
 * One login against the directory: search with the escaped filter, map
 * the entry's attributes onto struct authmod_user, then bind as the entry
 * or compare userPassword. The whole login runs on one pooled connection;
 * if that connection had been dropped by the server (restart, idle
 * timeout) it is reconnected and the login tried once more.
 */
#include <stdlib.h>
#include <string.h>
#include "authmods/ldap/authldap.h"
#include "authmods/ldap/authldap-filter.h"

#define HASH_MAX 1024

struct ubuf {
	struct authmod_user *u;
	size_t off;
};

/* copy len bytes of s into the user's buffer; NULL when it is full */
static const char *
ubuf_put(struct ubuf *b, const char *s, size_t len)
{
	if (len >= sizeof(b->u->buf) - b->off)
		return NULL;
	char *p = b->u->buf + b->off;
	memcpy(p, s, len);
	p[len] = '\0';
	b->off += len + 1;
	return p;
}

static bool
valid_user(const char *user)
{
	size_t n = strlen(user);

	if (n == 0 || n > AUTHLDAP_USER_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)user[i] < 0x20 || user[i] == 0x7f)
			return false;
	return true;
}

static int
parse_id(const struct berval *v, unsigned long *out)
{
	char tmp[24];
	char *end;

	if (v->bv_len == 0 || v->bv_len >= sizeof(tmp))
		return -1;
	memcpy(tmp, v->bv_val, v->bv_len);
	tmp[v->bv_len] = '\0';
	if (tmp[0] < '0' || tmp[0] > '9')
		return -1;
	*out = strtoul(tmp, &end, 10);
	return *end == '\0' && *out < 0xffffffffUL ? 0 : -1;
}

/* the string attributes; multi-valued options are joined by spaces */
static void
map_string(struct authldap_state *st, struct ubuf *b, int slot,
	   struct berval **vals, const char **field)
{
	char joined[1024];
	size_t n = 0;

	if (slot != AUTHLDAP_ATTR_OPTIONS) {
		*field = ubuf_put(b, vals[0]->bv_val, vals[0]->bv_len);
		return;
	}
	for (size_t i = 0; vals[i] != NULL; i++) {
		if (vals[i]->bv_len + 2 > sizeof(joined) - n)
			break;
		if (n > 0)
			joined[n++] = ' ';
		memcpy(joined + n, vals[i]->bv_val, vals[i]->bv_len);
		n += vals[i]->bv_len;
	}
	*field = ubuf_put(b, joined, n);
}

static void
map_entry(struct authldap_state *st, LDAP *ld, LDAPMessage *e,
	  const char *user, struct authmod_user *u)
{
	struct ubuf b = { u, 0 };
	const char **fields[AUTHLDAP_ATTR_COUNT] = {
		[AUTHLDAP_ATTR_USER] = &u->user,
		[AUTHLDAP_ATTR_HOME] = &u->home,
		[AUTHLDAP_ATTR_MAIL] = &u->mail,
		[AUTHLDAP_ATTR_QUOTA] = &u->quota,
		[AUTHLDAP_ATTR_OPTIONS] = &u->options,
		[AUTHLDAP_ATTR_PROXY] = &u->proxy_host,
	};

	for (int i = 0; i < AUTHLDAP_ATTR_PASSWORD; i++) {
		struct berval **vals;
		unsigned long id;

		if (st->attr[i] == NULL)
			continue;
		vals = ldap_get_values_len(ld, e, st->attr[i]);
		if (vals == NULL || vals[0] == NULL) {
			ldap_value_free_len(vals);
			continue;
		}
		if (i == AUTHLDAP_ATTR_UID || i == AUTHLDAP_ATTR_GID) {
			if (parse_id(vals[0], &id) < 0)
				st->host->log(AUTHMOD_LOG_WARNING, "attribute "
					      "%s is not a number: ignored",
					      st->attr[i]);
			else if (i == AUTHLDAP_ATTR_UID)
				u->uid = (uid_t)id;
			else
				u->gid = (gid_t)id;
		} else {
			map_string(st, &b, i, vals, fields[i]);
		}
		ldap_value_free_len(vals);
	}
	if (u->user == NULL)
		u->user = ubuf_put(&b, user, strlen(user));
}

static int
check_bind(struct authldap_state *st, struct authldap_conn *c,
	   const char *dn, const char *password, bool *broken_r)
{
	struct berval cred = { strlen(password), (char *)password };
	const char *what = "";
	int rc = authldap_pool_auth_ready(&st->pool, c, &what);

	if (rc != LDAP_SUCCESS) {
		st->host->log(AUTHMOD_LOG_ERROR, "%s: %s: %s", st->srv.uris,
			      what, ldap_err2string(rc));
		*broken_r = authldap_pool_down(rc);
		return AUTHMOD_TEMPFAIL;
	}
	rc = ldap_sasl_bind_s(c->ld_auth, dn, LDAP_SASL_SIMPLE, &cred, NULL,
			      NULL, NULL);
	if (rc == LDAP_SUCCESS)
		return AUTHMOD_OK;
	if (authldap_pool_down(rc)) {
		*broken_r = true;
		return AUTHMOD_TEMPFAIL;
	}
	if (rc != LDAP_INVALID_CREDENTIALS)
		st->host->log(AUTHMOD_LOG_INFO, "bind as user entry: %s",
			      ldap_err2string(rc));
	return AUTHMOD_FAIL;
}

static int
check_compare(struct authldap_state *st, LDAP *ld, LDAPMessage *e,
	      const char *password)
{
	const char *attr = st->attr[AUTHLDAP_ATTR_PASSWORD];
	struct berval **vals = ldap_get_values_len(ld, e, attr);
	char hash[HASH_MAX];
	int r = AUTHMOD_FAIL;

	if (vals == NULL || vals[0] == NULL)
		st->host->log(AUTHMOD_LOG_INFO, "entry has no %s attribute "
			      "(is bind_dn allowed to read it?)", attr);
	for (size_t i = 0; vals != NULL && vals[i] != NULL; i++) {
		if (vals[i]->bv_len >= sizeof(hash))
			continue;
		memcpy(hash, vals[i]->bv_val, vals[i]->bv_len);
		hash[vals[i]->bv_len] = '\0';
		if (st->host->password_verify(password, hash) == AUTHMOD_OK) {
			r = AUTHMOD_OK;
			break;
		}
	}
	explicit_bzero(hash, sizeof(hash));
	ldap_value_free_len(vals);
	return r;
}

static int
search(struct authldap_state *st, struct authldap_conn *c,
       const char *filter, LDAPMessage **res_r, bool *broken_r)
{
	struct timeval tv = { st->srv.timeout_ms / 1000,
			      (suseconds_t)(st->srv.timeout_ms % 1000) * 1000 };
	const char *what = "";
	int rc = authldap_pool_ready(&st->pool, c, &what);

	if (rc != LDAP_SUCCESS) {
		st->host->log(AUTHMOD_LOG_ERROR, "%s: %s: %s", st->srv.uris,
			      what, ldap_err2string(rc));
		*broken_r = authldap_pool_down(rc);
		return AUTHMOD_TEMPFAIL;
	}
	rc = ldap_search_ext_s(c->ld, st->base, st->scope, filter, st->attrs,
			       0, NULL, NULL, &tv, 2, res_r);
	if (rc == LDAP_SUCCESS)
		return AUTHMOD_OK;
	if (authldap_pool_down(rc)) {
		*broken_r = true;
		return AUTHMOD_TEMPFAIL;
	}
	if (rc == LDAP_NO_SUCH_OBJECT)
		return AUTHMOD_NOUSER;
	st->host->log(AUTHMOD_LOG_ERROR, "search under %s: %s", st->base,
		      rc == LDAP_SIZELIMIT_EXCEEDED ? "several entries match "
		      "the filter" : ldap_err2string(rc));
	return AUTHMOD_ERROR;
}

static int
attempt(struct authldap_state *st, struct authldap_conn *c, const char *user,
	const char *filter, const char *password, struct authmod_user *u,
	bool *broken_r)
{
	LDAPMessage *res = NULL, *e;
	char *dn = NULL;
	int r = search(st, c, filter, &res, broken_r);

	if (r != AUTHMOD_OK)
		goto out;
	int n = ldap_count_entries(c->ld, res);
	if (n != 1) {
		if (n > 1)
			st->host->log(AUTHMOD_LOG_ERROR, "several entries "
				      "match the filter");
		r = n > 1 ? AUTHMOD_ERROR : AUTHMOD_NOUSER;
		goto out;
	}
	e = ldap_first_entry(c->ld, res);
	dn = ldap_get_dn(c->ld, e);
	if (dn == NULL) {
		r = AUTHMOD_ERROR;
		goto out;
	}
	if (password != NULL) {
		r = st->auth_bind ? check_bind(st, c, dn, password, broken_r)
				  : check_compare(st, c->ld, e, password);
		if (r != AUTHMOD_OK)
			goto out;
	}
	map_entry(st, c->ld, e, user, u);
out:
	ldap_memfree(dn);
	ldap_msgfree(res);
	return r;
}

int
authldap_verify(struct authldap_state *st, const char *user,
		const char *password, struct authmod_user *u_r)
{
	char filter[AUTHLDAP_FILTER_MAX];
	struct authldap_conn *c;
	int r = AUTHMOD_TEMPFAIL;

	if (!valid_user(user))
		return AUTHMOD_NOUSER;
	/* an empty password would be an anonymous bind (RFC 4513 5.1.2) */
	if (password != NULL && password[0] == '\0')
		return AUTHMOD_FAIL;
	if (authldap_filter_expand(st->filter, user, AUTHLDAP_ESCAPE_FILTER,
				   filter, sizeof(filter)) < 0)
		return AUTHMOD_NOUSER;
	c = authldap_pool_get(&st->pool);
	if (c == NULL) {
		st->host->log(AUTHMOD_LOG_ERROR, "no free connection within "
			      "the timeout (raise auth.ldap.pool_size?)");
		return AUTHMOD_TEMPFAIL;
	}
	for (int i = 0; i < 2; i++) {
		bool was_connected = c->ld != NULL, broken = false;
		r = attempt(st, c, user, filter, password, u_r, &broken);
		if (!broken)
			break;
		authldap_pool_drop(c);
		if (!was_connected)
			break;
		st->host->log(AUTHMOD_LOG_INFO, "connection lost; retrying on "
			      "a new one");
	}
	authldap_pool_put(&st->pool, c, false);
	return r;
}
