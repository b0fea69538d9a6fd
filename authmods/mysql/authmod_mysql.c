/* Maildock - SPDX-License-Identifier: MIT
 *
 * mysql: users in a MySQL or MariaDB database (libmariadb). The admin's
 * query templates are compiled into prepared statements with %u %n %d as
 * bound parameters; the row's "password" column is checked with the
 * host's password schemes and the other columns fill the user. A dropped
 * connection is reconnected and the query retried once; a database that
 * is down gives AUTHMOD_TEMPFAIL after a bounded time.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "authmods/mysql/authsql.h"

#define SQLMOD_USER_MAX 256
#define SQLMOD_POOL_DEFAULT 8

static const char *const sqlmod_keys[] = {
	"host", "port", "socket", "user", "password", "database", "tls",
	"tls_ca_file", "password_query", "user_query", "pool_size", "timeout",
	NULL
};

static int
parse_uint(const char *v, unsigned long lo, unsigned long hi, unsigned dflt,
	   unsigned *out)
{
	char *end;
	unsigned long n;

	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	n = strtoul(v, &end, 10);
	if (end == v || (*end != '\0' && strcmp(end, "s") != 0) || n < lo ||
	    n > hi)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static int
read_settings(struct authsql_state *st, const void *conf,
	      const char **error_r)
{
	const struct authmod_host *h = st->host;
	const char *v, *pq, *uq;

	st->srv.host = h->setting(conf, "host");
	st->srv.socket = h->setting(conf, "socket");
	st->srv.user = h->setting(conf, "user");
	st->srv.password = h->setting(conf, "password");
	st->srv.database = h->setting(conf, "database");
	st->srv.tls_ca_file = h->setting(conf, "tls_ca_file");
	if (st->srv.database == NULL) {
		*error_r = "auth.mysql.database must be set";
		return -1;
	}
	v = h->setting(conf, "tls");
	st->srv.tls = v != NULL && (!strcasecmp(v, "yes") || !strcmp(v, "1"));
	if (v != NULL && !st->srv.tls && strcasecmp(v, "no") != 0 &&
	    strcmp(v, "0") != 0) {
		*error_r = "auth.mysql.tls: yes or no";
		return -1;
	}
	if (parse_uint(h->setting(conf, "port"), 1, 65535, 0,
		       &st->srv.port) < 0 ||
	    parse_uint(h->setting(conf, "timeout"), 1, 600, 5,
		       &st->srv.timeout_s) < 0 ||
	    parse_uint(h->setting(conf, "pool_size"), 1, 1024,
		       SQLMOD_POOL_DEFAULT, &st->pool_size) < 0) {
		*error_r = "auth.mysql.port (1-65535), timeout (1-600 s) or "
			   "pool_size (1-1024) out of range";
		return -1;
	}
	pq = h->setting(conf, "password_query");
	uq = h->setting(conf, "user_query");
	if (pq == NULL) {
		*error_r = "auth.mysql.password_query must be set";
		return -1;
	}
	if (authsql_query_compile(pq, &st->query[AUTHSQL_PASSWORD_QUERY],
				  error_r) < 0 ||
	    authsql_query_compile(uq ? uq : pq, &st->query[AUTHSQL_USER_QUERY],
				  error_r) < 0)
		return -1;
	return 0;
}

static void
thread_end(void *v)
{
	mysql_thread_end();
}

static int
sqlmod_init(const struct authmod_host *host, const void *conf,
	    void **state_r, const char **error_r)
{
	struct authsql_state *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	st->host = host;
	if (read_settings(st, conf, error_r) < 0) {
		free(st);
		return -1;
	}
	/* start-up is single-threaded: the one safe place for this */
	if (mysql_library_init(0, NULL, NULL) != 0 ||
	    pthread_key_create(&st->thread_key, thread_end) != 0) {
		*error_r = "cannot initialise the MySQL client library";
		free(st);
		return -1;
	}
	if (authsql_pool_init(st) < 0) {
		pthread_key_delete(st->thread_key);
		*error_r = "out of memory";
		free(st);
		return -1;
	}
	*state_r = st;
	return 0;
}

static void
sqlmod_deinit(void *state)
{
	struct authsql_state *st = state;

	if (st == NULL)
		return;
	authsql_pool_deinit(st);
	pthread_key_delete(st->thread_key);
	free(st);
}

static const char *
column(struct authsql_conn *c, enum authsql_which w, int col)
{
	for (unsigned i = 0; i < c->ncols[w]; i++) {
		if (c->cols[w][i] != col || c->is_null[i])
			continue;
		unsigned long len = c->length[i];
		if (len >= AUTHSQL_VALUE_MAX)
			return NULL;
		c->value[i][len] = '\0';
		return c->value[i];
	}
	return NULL;
}

static const char *
put(struct authmod_user *u, size_t *off, const char *s)
{
	size_t len;

	if (s == NULL || (len = strlen(s)) >= sizeof(u->buf) - *off)
		return NULL;
	char *p = u->buf + *off;
	memcpy(p, s, len + 1);
	*off += len + 1;
	return p;
}

static int
parse_id(const char *v, unsigned long *id)
{
	char *end;

	if (v == NULL || *v < '0' || *v > '9')
		return -1;
	*id = strtoul(v, &end, 10);
	return *end == '\0' && *id < 0xffffffffUL ? 0 : -1;
}

static void
fill_user(struct authsql_conn *c, enum authsql_which w, const char *user,
	  struct authmod_user *u)
{
	size_t off = 0;
	unsigned long id;

	u->user = put(u, &off, column(c, w, AUTHSQL_COL_USER));
	if (u->user == NULL)
		u->user = put(u, &off, user);
	if (parse_id(column(c, w, AUTHSQL_COL_UID), &id) == 0)
		u->uid = (uid_t)id;
	if (parse_id(column(c, w, AUTHSQL_COL_GID), &id) == 0)
		u->gid = (gid_t)id;
	u->home = put(u, &off, column(c, w, AUTHSQL_COL_HOME));
	u->mail = put(u, &off, column(c, w, AUTHSQL_COL_MAIL));
	u->quota = put(u, &off, column(c, w, AUTHSQL_COL_QUOTA));
	u->options = put(u, &off, column(c, w, AUTHSQL_COL_OPTIONS));
	u->proxy_host = put(u, &off, column(c, w, AUTHSQL_COL_PROXY));
}

/* the row is fetched; check it */
static int
check_row(struct authsql_state *st, struct authsql_conn *c,
	  enum authsql_which w, const char *password)
{
	const char *active = column(c, w, AUTHSQL_COL_ACTIVE);

	if (password != NULL) {
		const char *hash = column(c, w, AUTHSQL_COL_PASSWORD);
		if (hash == NULL) {
			st->host->log(AUTHMOD_LOG_ERROR, "password_query has "
				      "no \"password\" column (or it is NULL)");
			return AUTHMOD_FAIL;
		}
		int r = st->host->password_verify(password, hash);
		if (r != AUTHMOD_OK)
			return r == AUTHMOD_ERROR ? AUTHMOD_FAIL : r;
	}
	if (active != NULL && (!strcmp(active, "0") || !strcasecmp(active, "no")
			       || !strcasecmp(active, "false")))
		return AUTHMOD_DISABLED;
	return AUTHMOD_OK;
}

static int
run(struct authsql_state *st, const char *user, const char *password,
    struct authmod_user *u_r)
{
	enum authsql_which w = password ? AUTHSQL_PASSWORD_QUERY
					: AUTHSQL_USER_QUERY;
	struct authsql_conn *c;
	int r = AUTHMOD_TEMPFAIL;

	if (strlen(user) == 0 || strlen(user) > SQLMOD_USER_MAX)
		return AUTHMOD_NOUSER;
	if (pthread_getspecific(st->thread_key) == NULL) {
		mysql_thread_init();
		pthread_setspecific(st->thread_key, st);
	}
	if ((c = authsql_pool_get(st)) == NULL) {
		st->host->log(AUTHMOD_LOG_ERROR, "no free connection within "
			      "the timeout (raise auth.mysql.pool_size?)");
		return AUTHMOD_TEMPFAIL;
	}
	for (int i = 0; i < 2; i++) {
		bool was_connected = c->my != NULL, broken = false;
		r = authsql_conn_run(st, c, w, user, &broken);
		if (!broken)
			break;
		authsql_conn_drop(c);
		if (!was_connected)
			break;
		st->host->log(AUTHMOD_LOG_INFO, "connection lost; retrying on "
			      "a new one");
	}
	if (r == AUTHMOD_OK) {
		r = check_row(st, c, w, password);
		if (r == AUTHMOD_OK)
			fill_user(c, w, user, u_r);
	}
	for (unsigned i = 0; i < c->ncols[w]; i++)
		if (c->cols[w][i] == AUTHSQL_COL_PASSWORD)
			explicit_bzero(c->value[i], sizeof(c->value[i]));
	authsql_pool_put(st, c);
	return r;
}

static int
sqlmod_verify(void *state, const char *user, const char *password,
	      struct authmod_user *u_r)
{
	if (password == NULL || password[0] == '\0')
		return AUTHMOD_FAIL;
	return run(state, user, password, u_r);
}

static int
sqlmod_lookup(void *state, const char *user, struct authmod_user *u_r)
{
	return run(state, user, NULL, u_r);
}

AUTHMOD_EXPORT const struct authmod AUTHMOD_ENTRY = {
	.abi = AUTHMOD_ABI,
	.struct_size = sizeof(struct authmod),
	.name = "mysql",
	.flags = AUTHMOD_THREADSAFE,
	.keys = sqlmod_keys,
	.init = sqlmod_init,
	.verify = sqlmod_verify,
	.lookup = sqlmod_lookup,
	.deinit = sqlmod_deinit,
};
