/* Maildock - SPDX-License-Identifier: MIT
 *
 * The full-text index's SQLite side (fts-index.h): schema, repair by
 * removal, entries per folder and the trigram candidate query. Knows
 * nothing of IMAP or Maildir: it stores the texts it is given.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/fts/fts-index.h"
#include "storage/fts/fts-text.h"
#include "core/compat.h"

/* How long a writer waits for another (a session indexing the same user's
 * folder in another process) before giving up: the search then scans. */
#define FTS_BUSY_TIMEOUT_MS 5000
#define FTS_PATH_MAX 4096

struct fts_index {
	sqlite3 *db;
	char path[FTS_PATH_MAX];
	bool broken;		/* found damaged: removed at close */
};

/* detail=none keeps no positions (a third of the size): a query is the AND
 * of the needle's trigrams, a superset of the substring's matches, which
 * the caller verifies anyway. */
static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT);"
	"CREATE TABLE IF NOT EXISTS folder(id INTEGER PRIMARY KEY,"
	" mailbox_id TEXT UNIQUE NOT NULL, uidvalidity INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS msg(id INTEGER PRIMARY KEY,"
	" folder INTEGER NOT NULL, uid INTEGER NOT NULL,"
	" full INTEGER NOT NULL, UNIQUE(folder, uid));"
	"CREATE VIRTUAL TABLE IF NOT EXISTS doc USING fts5(text,"
	" tokenize='trigram case_sensitive 1', detail=none);";

static int
map_error(struct fts_index *idx, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_FULL:
		return -ERR_NOSPACE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -ERR_BUSY;
	case SQLITE_NOMEM:
		return -ERR_NOMEM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_FORMAT:
		idx->broken = true;
		return -ERR_CORRUPT;
	default:
		return -ERR_IO;
	}
}

static int
exec(struct fts_index *idx, const char *sql)
{
	return map_error(idx, sqlite3_exec(idx->db, sql, NULL, NULL, NULL));
}

/* prepare sql; the caller finalizes */
static int
prepare(struct fts_index *idx, const char *sql, sqlite3_stmt **st_r)
{
	return map_error(idx, sqlite3_prepare_v2(idx->db, sql, -1, st_r,
						 NULL));
}

/* step a statement without rows to its end and finalize it */
static int
run(struct fts_index *idx, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return map_error(idx, rc == SQLITE_DONE ? SQLITE_OK : rc);
}

static void
remove_files(const char *path)
{
	char p[FTS_PATH_MAX + 8];

	(void)unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	(void)unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	(void)unlink(p);
}

/* the stored tag, compared (and set on a new file) inside one
 * transaction; 1 when the file was written under another tag */
static int
check_tag(struct fts_index *idx, const char *tag)
{
	sqlite3_stmt *st;
	int ret, rc;

	if ((ret = prepare(idx, "SELECT v FROM meta WHERE k = 'tag'",
			   &st)) < 0)
		return ret;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		ret = v != NULL && strcmp(v, tag) == 0 ? 0 : 1;
		sqlite3_finalize(st);
		return ret;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return map_error(idx, rc);
	if ((ret = prepare(idx, "INSERT OR REPLACE INTO meta(k, v) "
			   "VALUES('tag', ?)", &st)) < 0)
		return ret;
	sqlite3_bind_text(st, 1, tag, -1, SQLITE_TRANSIENT);
	return run(idx, st);
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* whether the file is shorter than the pages its header counts (a cut
 * copy, a full disk): SQLite would read the missing pages as zeroes.
 * Only asked while no WAL exists, that is while no other connection may be
 * in a checkpoint, which writes the header before it extends the file.
 * (SQLite file format 1.3: page size at 16, change counter at 24, page
 * count at 28, valid when the counter at 92 matches.) */
static bool
cut_short(const char *path, int fd, const struct stat *st)
{
	char wal[FTS_PATH_MAX + 8];
	unsigned char h[100];
	uint32_t page;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (access(wal, F_OK) == 0)
		return false;
	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h, "SQLite format 3", 16) != 0 ||
	    be32(h + 24) != be32(h + 92))
		return false;
	page = (uint32_t)h[16] << 8 | h[17];
	if (page == 1)
		page = 65536;
	return (uint64_t)st->st_size < (uint64_t)be32(h + 28) * page;
}

static int
open_once(const char *path, const char *tag, struct fts_index *idx)
{
	struct stat st;
	int rc, ret, fd;

	/* only a regular file is ours to open: a FIFO there would block the
	 * open (and the SEARCH) for ever. Made here, the file is the user's
	 * alone (SQLite would make it 0644, and its -wal and -shm files take
	 * the database's mode): it holds the text of the user's mail. */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -ERR_IO;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		ret = -ERR_IO;
	else
		ret = cut_short(path, fd, &st) ? -ERR_CORRUPT : 0;
	close(fd);
	if (ret < 0)
		return ret;
	rc = sqlite3_open_v2(path, &idx->db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return map_error(idx, rc);
	sqlite3_busy_timeout(idx->db, FTS_BUSY_TIMEOUT_MS);
	/* WAL: readers never wait for the indexer; NORMAL sync is enough
	 * for a cache (a power cut may lose the last batch, never mix one
	 * batch's half in) */
	if ((ret = exec(idx, "PRAGMA journal_mode=WAL;"
			"PRAGMA synchronous=NORMAL;")) < 0)
		return ret;
	if ((ret = exec(idx, "BEGIN IMMEDIATE")) < 0)
		return ret;
	if ((ret = exec(idx, schema_sql)) == 0)
		ret = check_tag(idx, tag);
	if (ret != 0) {
		exec(idx, "ROLLBACK");
		return ret;
	}
	return exec(idx, "COMMIT");
}

int
fts_index_open(const char *path, const char *tag, struct fts_index **idx_r,
	       const char **error_r)
{
	struct fts_index *idx;
	int ret, attempt;

	*idx_r = NULL;
	if (path[0] != '/' || strlen(path) >= FTS_PATH_MAX) {
		*error_r = "index path is not absolute or too long";
		return -ERR_IO;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		if ((idx = calloc(1, sizeof(*idx))) == NULL) {
			*error_r = "out of memory";
			return -ERR_NOMEM;
		}
		memcpy(idx->path, path, strlen(path) + 1);
		ret = open_once(path, tag, idx);
		if (ret == 0) {
			*idx_r = idx;
			return attempt;	/* 1: a new file replaced the old */
		}
		if (ret == 1 || ret == -ERR_CORRUPT)
			idx->broken = true;	/* removed: try a new one */
		else
			attempt = 2;
		*error_r = ret == 1 ? "index written by another version" :
			   ret == -ERR_CORRUPT ? "index file damaged" :
			   "cannot open the index";
		fts_index_close(&idx);
	}
	return ret == 1 ? -ERR_CORRUPT : ret;
}

void
fts_index_close(struct fts_index **idxp)
{
	struct fts_index *idx = *idxp;

	if (idx == NULL)
		return;
	*idxp = NULL;
	sqlite3_close_v2(idx->db);
	if (idx->broken)
		remove_files(idx->path);
	free(idx);
}

int
fts_index_begin(struct fts_index *idx)
{
	return exec(idx, "BEGIN IMMEDIATE");
}

int
fts_index_commit(struct fts_index *idx)
{
	int ret = exec(idx, "COMMIT");

	if (ret < 0)
		fts_index_rollback(idx);
	return ret;
}

void
fts_index_rollback(struct fts_index *idx)
{
	if (!sqlite3_get_autocommit(idx->db))
		(void)sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
}

/* delete the entries (and their texts) chosen by where, bound to id */
static int
delete_where(struct fts_index *idx, const char *where, int64_t id)
{
	char sql[256];
	sqlite3_stmt *st;
	int ret;

	snprintf(sql, sizeof(sql), "DELETE FROM doc WHERE rowid IN "
		 "(SELECT id FROM msg WHERE %s)", where);
	if ((ret = prepare(idx, sql, &st)) < 0)
		return ret;
	sqlite3_bind_int64(st, 1, id);
	if ((ret = run(idx, st)) < 0)
		return ret;
	snprintf(sql, sizeof(sql), "DELETE FROM msg WHERE %s", where);
	if ((ret = prepare(idx, sql, &st)) < 0)
		return ret;
	sqlite3_bind_int64(st, 1, id);
	return run(idx, st);
}

int
fts_index_folder(struct fts_index *idx, const char *mailbox_id,
		 uint32_t uidvalidity, int64_t *folder_r)
{
	sqlite3_stmt *st;
	int64_t id = -1;
	uint32_t old = 0;
	int ret, rc;

	if ((ret = prepare(idx, "SELECT id, uidvalidity FROM folder "
			   "WHERE mailbox_id = ?", &st)) < 0)
		return ret;
	sqlite3_bind_text(st, 1, mailbox_id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		old = (uint32_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return map_error(idx, rc);
	if (id >= 0 && old == uidvalidity) {
		*folder_r = id;
		return 0;
	}
	if ((ret = fts_index_begin(idx)) < 0)
		return ret;
	if (id >= 0)
		ret = delete_where(idx, "folder = ?", id);
	if (ret == 0 && (ret = prepare(idx, "INSERT OR REPLACE INTO "
				       "folder(id, mailbox_id, uidvalidity) "
				       "VALUES(?, ?, ?)", &st)) == 0) {
		if (id >= 0)
			sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, mailbox_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, uidvalidity);
		ret = run(idx, st);
	}
	if (ret == 0 && id < 0)
		id = sqlite3_last_insert_rowid(idx->db);
	if (ret == 0)
		ret = fts_index_commit(idx);
	else
		fts_index_rollback(idx);
	if (ret == 0)
		*folder_r = id;
	return ret;
}

/* append the uint32 of column 0 of each row (and column 1 as full) */
static int
collect(struct fts_index *idx, sqlite3_stmt *st, bool with_full,
	struct fts_index_entry **e_r, size_t *n_r)
{
	struct fts_index_entry *e = NULL, *ne;
	size_t n = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((ne = realloc(e, cap * sizeof(*e))) == NULL) {
				free(e);
				return -ERR_NOMEM;
			}
			e = ne;
		}
		e[n].uid = (uint32_t)sqlite3_column_int64(st, 0);
		e[n].full = with_full ? sqlite3_column_int(st, 1) != 0 : true;
		n++;
	}
	if (rc != SQLITE_DONE) {
		free(e);
		return map_error(idx, rc);
	}
	*e_r = e;
	*n_r = n;
	return 0;
}

int
fts_index_list(struct fts_index *idx, int64_t folder,
	       struct fts_index_entry **e_r, size_t *n_r)
{
	sqlite3_stmt *st;
	int ret;

	if ((ret = prepare(idx, "SELECT uid, full FROM msg WHERE folder = ? "
			   "ORDER BY uid", &st)) < 0)
		return ret;
	sqlite3_bind_int64(st, 1, folder);
	ret = collect(idx, st, true, e_r, n_r);
	sqlite3_finalize(st);
	return ret;
}

int
fts_index_add(struct fts_index *idx, int64_t folder, uint32_t uid,
	      const char *text, size_t len, bool full)
{
	sqlite3_stmt *st;
	int64_t id;
	int ret;

	if ((ret = prepare(idx, "INSERT OR IGNORE INTO msg(folder, uid, full) "
			   "VALUES(?, ?, ?)", &st)) < 0)
		return ret;
	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_int(st, 3, full ? 1 : 0);
	if ((ret = run(idx, st)) < 0)
		return ret;
	if (sqlite3_changes(idx->db) == 0)
		return 0;	/* another session was first */
	id = sqlite3_last_insert_rowid(idx->db);
	if ((ret = prepare(idx, "INSERT INTO doc(rowid, text) VALUES(?, ?)",
			   &st)) < 0)
		return ret;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, text, (int)len, SQLITE_STATIC);
	return run(idx, st);
}

int
fts_index_remove(struct fts_index *idx, int64_t folder, uint32_t uid)
{
	/* the pair is unique: one id at most */
	sqlite3_stmt *st;
	int64_t id = -1;
	int ret, rc;

	if ((ret = prepare(idx, "SELECT id FROM msg WHERE folder = ? AND "
			   "uid = ?", &st)) < 0)
		return ret;
	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, uid);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return map_error(idx, rc);
	return delete_where(idx, "id = ?", id);
}

int
fts_index_drop(struct fts_index *idx, const char *mailbox_id)
{
	sqlite3_stmt *st;
	int ret;

	if ((ret = fts_index_begin(idx)) < 0)
		return ret;
	if (mailbox_id == NULL) {
		ret = exec(idx, "DELETE FROM doc; DELETE FROM msg; "
			   "DELETE FROM folder;");
	} else if ((ret = prepare(idx, "SELECT id FROM folder WHERE "
				  "mailbox_id = ?", &st)) == 0) {
		int rc;

		sqlite3_bind_text(st, 1, mailbox_id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(st, 0);
			sqlite3_finalize(st);
			ret = delete_where(idx, "folder = ?", id);
			if (ret == 0 && (ret = prepare(idx, "DELETE FROM "
					 "folder WHERE id = ?", &st)) == 0) {
				sqlite3_bind_int64(st, 1, id);
				ret = run(idx, st);
			}
		} else {
			sqlite3_finalize(st);
			ret = map_error(idx, rc);
		}
	}
	if (ret < 0) {
		fts_index_rollback(idx);
		return ret;
	}
	return fts_index_commit(idx);
}

int
fts_index_query(struct fts_index *idx, int64_t folder, const char *needle,
		size_t len, uint32_t **uids_r, size_t *n_r)
{
	struct fts_index_entry *e;
	struct sbuf b;
	sqlite3_stmt *st;
	uint32_t *uids;
	size_t n, i;
	int ret;

	if (!fts_text_needle_ok(needle, len))
		return -ERR_INVAL;
	sbuf_init(&b, NULL, 64 * 1024);
	if ((ret = fts_text_match_expr(&b, needle, len)) < 0 ||
	    (ret = prepare(idx, "SELECT uid FROM msg WHERE folder = ? AND "
			   "full = 1 AND id IN (SELECT rowid FROM doc WHERE "
			   "doc MATCH ?) ORDER BY uid", &st)) < 0) {
		sbuf_free(&b);
		return ret;
	}
	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_text(st, 2, b.data, (int)b.len, SQLITE_STATIC);
	ret = collect(idx, st, false, &e, &n);
	sqlite3_finalize(st);
	sbuf_free(&b);
	if (ret < 0)
		return ret;
	/* entries to bare UIDs, in place */
	uids = (uint32_t *)e;
	for (i = 0; i < n; i++)
		uids[i] = e[i].uid;
	*uids_r = uids;
	*n_r = n;
	return 0;
}

int
fts_index_count(struct fts_index *idx, const char *mailbox_id,
		uint64_t *n_r, uint64_t *full_r)
{
	sqlite3_stmt *st;
	int ret, rc;

	ret = prepare(idx, mailbox_id == NULL ?
		      "SELECT count(*), total(full) FROM msg" :
		      "SELECT count(*), total(full) FROM msg WHERE folder IN "
		      "(SELECT id FROM folder WHERE mailbox_id = ?)", &st);
	if (ret < 0)
		return ret;
	if (mailbox_id != NULL)
		sqlite3_bind_text(st, 1, mailbox_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*n_r = (uint64_t)sqlite3_column_int64(st, 0);
		*full_r = (uint64_t)sqlite3_column_double(st, 1);
	}
	sqlite3_finalize(st);
	return map_error(idx, rc == SQLITE_ROW ? SQLITE_OK : rc);
}
