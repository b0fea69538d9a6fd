/* Maildock - SPDX-License-Identifier: MIT
 *
 * METADATA (RFC 5464): entries ("/private/comment", "/shared/vendor/x")
 * with values of a folder or of the user's whole server space, kept by
 * storage. The IMAP layer checks entry syntax and rights; storage keeps
 * the bytes and enforces the limits.
 *
 * On disk: the file "maildock-metadata" in the folder's directory (for
 * INBOX, the Maildir itself), and "maildock-metadata-server" in the
 * Maildir for the server entries; written whole through a temporary file,
 * fsync and rename (maildir_write_atomic) under the lock file
 * "maildock-metadata.lock" of that directory, so a crash leaves the old
 * or the new entries, never a mix, and two sessions never lose each
 * other's changes. Being in the folder's directory, a folder's entries
 * follow RENAME and go with DELETE; a folder created again starts with
 * none. Courier and Dovecot skip unknown files in a Maildir++ folder.
 * Format: "maildock-metadata 1\n", then per entry "<name> <length>\n",
 * the value's octets and "\n" (values may hold any octet).
 *
 * Private entries are the owner's: the IMAP layer offers none on another
 * user's folder.
 *
 * Threads: thread-safe; nothing is cached.
 */
#ifndef STORAGE_STORE_METADATA_H
#define STORAGE_STORE_METADATA_H

#include <stddef.h>

struct arena;
struct store_user;

#define STORE_METADATA_NAME_MAX		1024	/* bytes of an entry name */
#define STORE_METADATA_VALUE_MAX	65536	/* bytes of one value */
#define STORE_METADATA_ENTRIES_MAX	128	/* entries of one folder */
#define STORE_METADATA_TOTAL_MAX	(1024 * 1024)	/* their bytes */

/* One entry: name in lower case (RFC 5464 3.2: names compare without
 * regard to case), value[0..len) (NULL: remove the entry, for
 * store_metadata_set). */
struct store_metadata_entry {
	const char *name;
	const char *value;
	size_t len;
};

/* store_metadata_get: every entry of folder name (UTF-8; NULL for the
 * server entries), sorted by name, into *e_r[0..*n_r) in a. Errors:
 * -ERR_INVAL (bad name), -ERR_NOTFOUND (no such folder), -ERR_IO (also
 * for a damaged file), -ERR_LIMIT (a's cap). */
int store_metadata_get(struct store_user *u, const char *name,
		       struct arena *a, struct store_metadata_entry **e_r,
		       size_t *n_r);

/* store_metadata_set: apply e[0..n) to folder name (NULL: the server)
 * all together or not at all (RFC 5464 4.3): each sets its value, or
 * removes the entry for a NULL value. Errors: -ERR_INVAL (bad name or
 * entry name), -ERR_NOTFOUND, -ERR_LIMIT (a value over
 * STORE_METADATA_VALUE_MAX), -ERR_QUOTA (more than
 * STORE_METADATA_ENTRIES_MAX entries or STORE_METADATA_TOTAL_MAX bytes
 * would result), -ERR_TIMEOUT (lock), -ERR_IO, -ERR_NOSPACE. */
int store_metadata_set(struct store_user *u, const char *name,
		       const struct store_metadata_entry *e, size_t n);

#endif
