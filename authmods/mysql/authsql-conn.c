/* Maildock - SPDX-License-Identifier: MIT
 *
 * Connections of the mysql module: a fixed pool of slots taken for one
 * login each, connected lazily with bounded connect/read/write timeouts,
 * each keeping its prepared statements. Parameters are bound with
 * mysql_stmt_bind_param, never pasted into the SQL text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include "authmods/mysql/authsql.h"

static const char *const col_names[][2] = {
	[AUTHSQL_COL_USER] = { "user", "username" },
	[AUTHSQL_COL_PASSWORD] = { "password", NULL },
	[AUTHSQL_COL_UID] = { "uid", NULL },
	[AUTHSQL_COL_GID] = { "gid", NULL },
	[AUTHSQL_COL_HOME] = { "home", NULL },
	[AUTHSQL_COL_MAIL] = { "mail", "maildir" },
	[AUTHSQL_COL_QUOTA] = { "quota", NULL },
	[AUTHSQL_COL_OPTIONS] = { "options", NULL },
	[AUTHSQL_COL_PROXY] = { "proxy_host", NULL },
	[AUTHSQL_COL_ACTIVE] = { "active", NULL },
};

int
authsql_pool_init(struct authsql_state *st)
{
	st->conns = calloc(st->pool_size, sizeof(*st->conns));
	if (st->conns == NULL)
		return -1;
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	return 0;
}

void
authsql_conn_drop(struct authsql_conn *c)
{
	for (int i = 0; i < 2; i++) {
		if (c->stmt[i] != NULL)
			mysql_stmt_close(c->stmt[i]);
		c->stmt[i] = NULL;
		c->ncols[i] = 0;
	}
	if (c->my != NULL)
		mysql_close(c->my);
	c->my = NULL;
}

void
authsql_pool_deinit(struct authsql_state *st)
{
	if (st->conns == NULL)
		return;
	for (unsigned i = 0; i < st->pool_size; i++)
		authsql_conn_drop(&st->conns[i]);
	free(st->conns);
	st->conns = NULL;
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->lock);
}

static struct authsql_conn *
take_free(struct authsql_state *st)
{
	struct authsql_conn *idle = NULL;

	for (unsigned i = 0; i < st->pool_size; i++) {
		struct authsql_conn *c = &st->conns[i];
		if (c->busy)
			continue;
		if (c->my != NULL)
			return c;
		if (idle == NULL)
			idle = c;
	}
	return idle;
}

struct authsql_conn *
authsql_pool_get(struct authsql_state *st)
{
	struct timespec until;
	struct authsql_conn *c;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += st->srv.timeout_s;
	pthread_mutex_lock(&st->lock);
	while ((c = take_free(st)) == NULL)
		if (pthread_cond_timedwait(&st->cond, &st->lock, &until) ==
		    ETIMEDOUT) {
			c = take_free(st);
			break;
		}
	if (c != NULL)
		c->busy = true;
	pthread_mutex_unlock(&st->lock);
	return c;
}

void
authsql_pool_put(struct authsql_state *st, struct authsql_conn *c)
{
	pthread_mutex_lock(&st->lock);
	c->busy = false;
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
}

/* errors after which the connection cannot be used again */
static bool
conn_error(unsigned e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	       e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR ||
	       e == CR_COMMANDS_OUT_OF_SYNC || e == CR_SERVER_LOST_EXTENDED ||
	       e == ER_SERVER_SHUTDOWN || e == ER_CONNECTION_KILLED ||
	       e == ER_UNKNOWN_STMT_HANDLER || e == 4031 /* idle timeout */;
}

static int
connect_db(struct authsql_state *st, struct authsql_conn *c)
{
	const struct authsql_server *s = &st->srv;
	unsigned t = s->timeout_s;
	char off = 0, on = 1;

	c->my = mysql_init(NULL);
	if (c->my == NULL)
		return AUTHMOD_ERROR;
	mysql_options(c->my, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	mysql_options(c->my, MYSQL_OPT_READ_TIMEOUT, &t);
	mysql_options(c->my, MYSQL_OPT_WRITE_TIMEOUT, &t);
	mysql_options(c->my, MYSQL_OPT_RECONNECT, &off);
	mysql_options(c->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (s->tls) {
		if (s->tls_ca_file != NULL)
			mysql_options(c->my, MYSQL_OPT_SSL_CA, s->tls_ca_file);
		mysql_options(c->my, MYSQL_OPT_SSL_ENFORCE, &on);
		mysql_options(c->my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
	}
	if (mysql_real_connect(c->my, s->host, s->user, s->password,
			       s->database, s->port, s->socket, 0) == NULL) {
		st->host->log(AUTHMOD_LOG_ERROR, "connect to %s: %s",
			      s->socket ? s->socket : s->host ? s->host :
			      "localhost", mysql_error(c->my));
		authsql_conn_drop(c);
		return AUTHMOD_TEMPFAIL;
	}
	return AUTHMOD_OK;
}

static int
stmt_fail(struct authsql_state *st, MYSQL_STMT *stmt, const char *what,
	  bool *broken_r)
{
	unsigned e = mysql_stmt_errno(stmt);

	if (conn_error(e)) {
		*broken_r = true;
		return AUTHMOD_TEMPFAIL;
	}
	st->host->log(AUTHMOD_LOG_ERROR, "%s: %s (%u)", what,
		      mysql_stmt_error(stmt), e);
	return AUTHMOD_ERROR;
}

static void
map_columns(struct authsql_conn *c, enum authsql_which w, MYSQL_RES *meta)
{
	unsigned n = mysql_num_fields(meta);
	MYSQL_FIELD *f = mysql_fetch_fields(meta);

	c->ncols[w] = n;
	for (unsigned i = 0; i < n; i++) {
		c->cols[w][i] = AUTHSQL_COL_NONE;
		for (int k = 0; k < AUTHSQL_COL_COUNT; k++)
			if (!strcasecmp(f[i].name, col_names[k][0]) ||
			    (col_names[k][1] != NULL &&
			     !strcasecmp(f[i].name, col_names[k][1])))
				c->cols[w][i] = k;
	}
}

static int
prepare(struct authsql_state *st, struct authsql_conn *c,
	enum authsql_which w, bool *broken_r)
{
	const struct authsql_query *q = &st->query[w];
	MYSQL_STMT *stmt = mysql_stmt_init(c->my);
	MYSQL_RES *meta;

	if (stmt == NULL)
		return AUTHMOD_ERROR;
	if (mysql_stmt_prepare(stmt, q->sql, q->sql_len) != 0) {
		int r = stmt_fail(st, stmt, w == AUTHSQL_PASSWORD_QUERY ?
				  "password_query" : "user_query", broken_r);
		mysql_stmt_close(stmt);
		return r;
	}
	meta = mysql_stmt_result_metadata(stmt);
	if (meta == NULL || mysql_num_fields(meta) > AUTHSQL_COLS_MAX) {
		st->host->log(AUTHMOD_LOG_ERROR, "%s: not a SELECT of 1 to %d "
			      "columns", w == AUTHSQL_PASSWORD_QUERY ?
			      "password_query" : "user_query",
			      AUTHSQL_COLS_MAX);
		if (meta != NULL)
			mysql_free_result(meta);
		mysql_stmt_close(stmt);
		return AUTHMOD_ERROR;
	}
	map_columns(c, w, meta);
	mysql_free_result(meta);
	c->stmt[w] = stmt;
	return AUTHMOD_OK;
}

static int
execute(struct authsql_state *st, struct authsql_conn *c,
	enum authsql_which w, const char *user, bool *broken_r)
{
	const struct authsql_query *q = &st->query[w];
	MYSQL_STMT *stmt = c->stmt[w];
	MYSQL_BIND in[AUTHSQL_PARAMS_MAX], out[AUTHSQL_COLS_MAX];
	unsigned long inlen[AUTHSQL_PARAMS_MAX];

	memset(in, 0, sizeof(in));
	memset(out, 0, sizeof(out));
	for (unsigned i = 0; i < q->nparams; i++) {
		const char *v;
		size_t len;
		authsql_query_value(q->params[i], user, &v, &len);
		inlen[i] = len;
		in[i].buffer_type = MYSQL_TYPE_STRING;
		in[i].buffer = (void *)v;
		in[i].buffer_length = len;
		in[i].length = &inlen[i];
	}
	for (unsigned i = 0; i < c->ncols[w]; i++) {
		out[i].buffer_type = MYSQL_TYPE_STRING;
		out[i].buffer = c->value[i];
		out[i].buffer_length = AUTHSQL_VALUE_MAX - 1;
		out[i].length = &c->length[i];
		out[i].is_null = (void *)&c->is_null[i];
		out[i].error = (void *)&c->error[i];
	}
	if ((q->nparams > 0 && mysql_stmt_bind_param(stmt, in) != 0) ||
	    mysql_stmt_execute(stmt) != 0 ||
	    mysql_stmt_bind_result(stmt, out) != 0 ||
	    mysql_stmt_store_result(stmt) != 0)
		return stmt_fail(st, stmt, "query", broken_r);
	return AUTHMOD_OK;
}

int
authsql_conn_run(struct authsql_state *st, struct authsql_conn *c,
		 enum authsql_which w, const char *user, bool *broken_r)
{
	int r;

	if (c->my == NULL && (r = connect_db(st, c)) != AUTHMOD_OK) {
		*broken_r = r == AUTHMOD_TEMPFAIL;
		return r;
	}
	if (c->stmt[w] == NULL && (r = prepare(st, c, w, broken_r)) !=
	    AUTHMOD_OK)
		return r;
	if ((r = execute(st, c, w, user, broken_r)) != AUTHMOD_OK)
		return r;
	MYSQL_STMT *stmt = c->stmt[w];
	unsigned long long rows = mysql_stmt_num_rows(stmt);
	if (rows == 0) {
		r = AUTHMOD_NOUSER;
	} else if (rows > 1) {
		st->host->log(AUTHMOD_LOG_ERROR, "query returned %llu rows for "
			      "one user", rows);
		r = AUTHMOD_ERROR;
	} else {
		int f = mysql_stmt_fetch(stmt);
		if (f == MYSQL_DATA_TRUNCATED) {
			st->host->log(AUTHMOD_LOG_ERROR, "a value longer than "
				      "%d bytes", AUTHSQL_VALUE_MAX - 1);
			r = AUTHMOD_ERROR;
		} else if (f != 0) {
			r = stmt_fail(st, stmt, "fetch", broken_r);
		}
	}
	mysql_stmt_free_result(stmt);
	return r;
}
