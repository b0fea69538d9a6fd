/* Maildock - SPDX-License-Identifier: MIT
 *
 * The full-text search index of one user: an SQLite database with an FTS5
 * table (trigram tokenizer, no positions) over the decoded text of each
 * message, keyed by folder (its MAILBOXID), UIDVALIDITY and UID.
 *
 * The index is a cache that only narrows a search: a message it answers
 * "no" for is skipped, every candidate is still matched by the scanning
 * matcher (protocols/imap/imap-search-match.c). It can therefore be
 * dropped at any time; a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB) or
 * one written under another version or part-size limit is removed and
 * made again, never read. Writes are SQLite transactions in WAL mode, so
 * a process killed while indexing leaves either the whole batch or none.
 *
 * What is stored must be a superset of what the matcher can find: the
 * caller hands over text already case-folded (imap_search_fold), and the
 * tokenizer folds nothing (case_sensitive 1). A message whose text was not
 * wholly stored (a part over the size limit) is recorded as not "full": it
 * is never skipped.
 *
 * Threads: one struct fts_index per thread; several processes and threads
 * may open the same file (SQLite's locking, a busy timeout).
 */
#ifndef STORAGE_FTS_INDEX_H
#define STORAGE_FTS_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include "core/compat.h"

struct fts_index;

/* One message the index holds for a folder. */
struct fts_index_entry {
	uint32_t uid;
	bool full;	/* every part's text is in the index */
};

/* fts_index_open: open (creating it and its schema) the index at path
 * (absolute; a symbolic link is refused). tag names what produced the
 * texts (a format version and the part-size limit): a file written under
 * another tag, or one SQLite finds damaged, is removed and made anew. On
 * success *idx_r is the caller's (fts_index_close) and 0 is returned, or 1
 * when a damaged or other-version file was replaced (*error_r says why).
 * Errors: -ERR_IO (cannot open or create; *error_r static text),
 * -ERR_NOSPACE (full disk), -ERR_BUSY (locked past the busy timeout).
 * Thread-safe (the result is for one thread at a time). */
int fts_index_open(const char *path, const char *tag,
		   struct fts_index **idx_r, const char **error_r);

/* fts_index_close: close *idx and set it to NULL; when a call found the
 * file damaged, remove it (and its -wal, -shm) so the next open rebuilds.
 * NULL is fine. */
void fts_index_close(struct fts_index **idx);

/* fts_index_folder: the folder number of mailbox_id (RFC 8474 MAILBOXID)
 * into *folder_r, creating its row; when its UIDVALIDITY is not
 * uidvalidity every entry of the folder is dropped first (RFC 3501 2.3.1.1:
 * the UIDs name other messages now). Returns 0 or an error as below. */
int fts_index_folder(struct fts_index *idx, const char *mailbox_id,
		     uint32_t uidvalidity, int64_t *folder_r);

/* fts_index_list: every entry of folder, ascending by UID, into *e_r
 * (malloc'd, the caller frees; NULL when *n_r is 0). */
int fts_index_list(struct fts_index *idx, int64_t folder,
		   struct fts_index_entry **e_r, size_t *n_r);

/* Transactions around fts_index_add/remove (BEGIN IMMEDIATE, so two
 * writers wait for each other instead of failing mid-way). */
int fts_index_begin(struct fts_index *idx);
int fts_index_commit(struct fts_index *idx);
void fts_index_rollback(struct fts_index *idx);

/* fts_index_add: store text (len bytes, folded, valid UTF-8: see
 * fts_text_sanitize) for uid of folder. An entry already there (another
 * session indexed it first) is kept. */
int fts_index_add(struct fts_index *idx, int64_t folder, uint32_t uid,
		  const char *text, size_t len, bool full);

/* fts_index_remove: drop the entry of uid (expunged), if any. */
int fts_index_remove(struct fts_index *idx, int64_t folder, uint32_t uid);

/* fts_index_drop: drop every entry of mailbox_id (folder deleted, or an
 * admin's rebuild), or of every folder when mailbox_id is NULL. */
int fts_index_drop(struct fts_index *idx, const char *mailbox_id);

/* fts_index_query: the UIDs of folder's entries whose text may contain
 * needle (folded UTF-8, fts_text_needle_ok) into *uids_r (malloc'd,
 * ascending) and *n_r: every trigram of the needle (at most
 * FTS_TEXT_MAX_TERMS, spread over it) occurs in the text. Only "full"
 * entries are listed. */
int fts_index_query(struct fts_index *idx, int64_t folder, const char *needle,
		    size_t len, uint32_t **uids_r, size_t *n_r);

/* fts_index_count: entries of mailbox_id (all folders when NULL) into
 * *n_r, and how many of them are full into *full_r. */
int fts_index_count(struct fts_index *idx, const char *mailbox_id,
		    uint64_t *n_r, uint64_t *full_r);

/* Errors of the calls above: -ERR_IO, -ERR_NOSPACE (SQLITE_FULL),
 * -ERR_BUSY (locked), -ERR_CORRUPT (the file is damaged: close it, the
 * next open starts a new one), -ERR_NOMEM. */

#endif
