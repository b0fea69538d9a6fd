/* Maildock - SPDX-License-Identifier: MIT
 *
 * Parser of Dovecot's passwd-file layout, private to the pwfile module:
 *   user:password:uid:gid:gecos:home:shell:extra fields
 * where extra fields are blank-separated key=value words (userdb_mail=,
 * userdb_quota_rule=*:storage=1G, quota=, proxy_host=, nologin, ...).
 */
#ifndef AUTHMODS_PWFILE_PARSE_H
#define AUTHMODS_PWFILE_PARSE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct authmod_user;

#define PWFILE_LINE_MAX 8192	/* longer lines are malformed */
#define PWFILE_USERS_MAX 1000000

struct pwfile_entry {
	char *line;		/* owned copy; the fields below point into it */
	size_t linelen;		/* bytes of line, for wiping */
	unsigned lineno;
	/* quota is only an explicit "quota=" field: see pwfile_quota */
	const char *user, *password, *home, *mail, *quota, *proxy_host;
	uid_t uid;		/* (uid_t)-1 when empty */
	gid_t gid;
	bool nologin;
	bool disable_imap, disable_pop3;
	char quota_buf[48];	/* Maildir++ text built from quota rules */
};

/* pwfile_quota: the Maildir++ quota of e ("quota=" wins over quota
 * rules), or NULL. The result may point into e. */
const char *pwfile_quota(const struct pwfile_entry *e);

struct pwfile_db {
	struct pwfile_entry *entries;	/* sorted by user, unique */
	size_t count;
	unsigned malformed;		/* lines skipped */
};

/* called for each malformed line or warning: level is an AUTHMOD_LOG_* */
typedef void pwfile_log_fn(void *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* pwfile_parse: read every line of f (named name in messages) into db.
 * A malformed line is reported through log as "name:line: reason" and
 * skipped; a duplicate user keeps its first line. Returns 0, or -1 on a
 * read error (db then holds nothing). The caller frees db with
 * pwfile_db_free. Thread-safe for distinct db. */
int pwfile_parse(FILE *f, const char *name, struct pwfile_db *db,
		 pwfile_log_fn *log, void *ctx);

/* pwfile_find: the entry of user (exact match), or NULL. */
const struct pwfile_entry *pwfile_find(const struct pwfile_db *db,
				       const char *user);

/* pwfile_fill: copy e into u (strings into u->buf). Returns 0, or -1 when
 * the strings do not fit. */
int pwfile_fill(const struct pwfile_entry *e, struct authmod_user *u);

/* pwfile_db_free: release everything in db and zero it. */
void pwfile_db_free(struct pwfile_db *db);

#endif
