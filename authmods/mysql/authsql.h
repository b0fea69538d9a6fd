/* Maildock - SPDX-License-Identifier: MIT
 *
 * Private to the mysql module: its state, the connection pool and running
 * one compiled query as a prepared statement on a pooled connection.
 */
#ifndef AUTHMODS_MYSQL_AUTHSQL_H
#define AUTHMODS_MYSQL_AUTHSQL_H

#include <pthread.h>
#include <stdbool.h>
#include <mysql.h>
#include "authmods/authmod.h"
#include "authmods/mysql/authsql-query.h"

#define AUTHSQL_COLS_MAX 16
#define AUTHSQL_VALUE_MAX 1024

/* result columns the module understands, by name (case-insensitive) */
enum authsql_col {
	AUTHSQL_COL_NONE = -1,
	AUTHSQL_COL_USER, AUTHSQL_COL_PASSWORD, AUTHSQL_COL_UID,
	AUTHSQL_COL_GID, AUTHSQL_COL_HOME, AUTHSQL_COL_MAIL,
	AUTHSQL_COL_QUOTA, AUTHSQL_COL_OPTIONS, AUTHSQL_COL_PROXY,
	AUTHSQL_COL_ACTIVE, AUTHSQL_COL_COUNT
};

enum authsql_which { AUTHSQL_PASSWORD_QUERY, AUTHSQL_USER_QUERY };

struct authsql_server {
	const char *host;	/* NULL: unix socket */
	unsigned port;
	const char *socket;
	const char *user;
	const char *password;
	const char *database;
	bool tls;
	const char *tls_ca_file;
	unsigned timeout_s;	/* connect, read and write */
};

struct authsql_conn {
	MYSQL *my;		/* NULL until connected */
	MYSQL_STMT *stmt[2];	/* prepared lazily, per query */
	int cols[2][AUTHSQL_COLS_MAX];	/* column -> enum authsql_col */
	unsigned ncols[2];
	bool busy;
	/* the fetched row (one login at a time uses a connection) */
	char value[AUTHSQL_COLS_MAX][AUTHSQL_VALUE_MAX];
	unsigned long length[AUTHSQL_COLS_MAX];
	char is_null[AUTHSQL_COLS_MAX];	/* my_bool */
	char error[AUTHSQL_COLS_MAX];
};

struct authsql_state {
	const struct authmod_host *host;
	struct authsql_server srv;
	struct authsql_query query[2];
	pthread_key_t thread_key;	/* mysql_thread_end at thread exit */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned pool_size;
	struct authsql_conn *conns;
};

/* authsql_pool_init / authsql_pool_deinit: pool_size slots, connected
 * lazily. init returns 0 or -1 (out of memory). Start-up only. */
int authsql_pool_init(struct authsql_state *st);
void authsql_pool_deinit(struct authsql_state *st);

/* authsql_pool_get: take a free slot, waiting up to the timeout; NULL
 * when none is free in time. authsql_pool_put gives it back. Thread-safe. */
struct authsql_conn *authsql_pool_get(struct authsql_state *st);
void authsql_pool_put(struct authsql_state *st, struct authsql_conn *c);

/* authsql_conn_drop: close c's connection (and statements). */
void authsql_conn_drop(struct authsql_conn *c);

/* authsql_conn_run: run query `which` for user on c (connecting and
 * preparing as needed). On AUTHMOD_OK, c->value/length/is_null hold the
 * only row and c->cols[which] maps its columns. AUTHMOD_NOUSER for no
 * row, AUTHMOD_TEMPFAIL with *broken_r set when the connection is
 * unusable, AUTHMOD_ERROR (logged) otherwise. */
int authsql_conn_run(struct authsql_state *st, struct authsql_conn *c,
		     enum authsql_which which, const char *user,
		     bool *broken_r);

#endif
