/* Maildock - SPDX-License-Identifier: MIT
 *
 * Facts about folders and messages that newer IMAP extensions report: a
 * folder's total size (STATUS=SIZE, RFC 8438), a message's save date
 * (SAVEDATE, RFC 8514) and the object ids of RFC 8474 (OBJECTID).
 *
 * Save date: the leading "<seconds>." of the message file's unique name.
 * Maildock names every file it writes at the moment it is saved into its
 * folder (delivery, APPEND, COPY and MOVE all give the file a new unique
 * name, storage/maildir/maildir-copy.c) and mail delivery agents follow
 * the same Maildir naming rule, so the date is written atomically with
 * the message (nothing to lose in a crash), follows it through flag
 * changes (only the ":2," info part of the name changes) and needs no
 * index. The file's mtime cannot serve (it is INTERNALDATE, which APPEND
 * sets to the client's date) and nor can its ctime (every flag change
 * renames the file and so moves it).
 *
 * Object ids (RFC 8474), each 1 letter and 24 hex digits:
 * - MAILBOXID "F...": random, made on first use and kept in the file
 *   "maildock-mailboxid" in the folder's directory, written whole under a
 *   temporary name and linked into place (so two sessions that race agree
 *   on one id, and a crash leaves either no file or a complete one). Being
 *   in the folder's directory, it follows RENAME and goes with DELETE; a
 *   folder created again under an old name gets a new id (RFC 8474 4.1).
 *   Renaming INBOX moves its messages into a new folder with a new id,
 *   INBOX keeps its own. Courier and Dovecot skip unknown files there.
 * - EMAILID "M...": the SHA-256 of the message file's bytes. A message's
 *   file never changes (flags live in its name), COPY and MOVE carry the
 *   bytes over unchanged, so every copy has the same id in every folder
 *   (RFC 8474 5.1) and nothing has to be stored; two deliveries of the
 *   same bytes share it too, which 5.1 allows.
 * - THREADID "T...": the SHA-256 of the thread's first Message-ID: the
 *   first of References, else In-Reply-To, else the message's own
 *   Message-ID (a message with none is a thread of its own, named by its
 *   EMAILID digest). Replies that keep References (RFC 5322 3.6.4) share
 *   it across folders without any index.
 * Both message ids are computed on first use and remembered for the
 * folder's life in the process.
 *
 * Threads: the calls follow the rules of the object they take
 * (storage/store.h).
 */
#ifndef STORAGE_STORE_INFO_H
#define STORAGE_STORE_INFO_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct arena;
struct store_user;
struct store_mailbox;

#define STORE_OBJECTID_SIZE 26	/* letter, 24 hex digits, NUL */

/* store_folder_size: the sum of the RFC822.SIZE of every message of folder
 * name (RFC 8438 STATUS SIZE) into *size_r, in octets. Sizes come from
 * the file names (",W=") or are counted once per file and remembered.
 * Errors: -ERR_INVAL, -ERR_NOTFOUND, -ERR_IO, -ERR_TIMEOUT (UID list
 * lock). A file removed meanwhile is left out. */
int store_folder_size(struct store_user *u, const char *name,
		      uint64_t *size_r);

/* store_msg_save_date: when message seq of the view was saved into its
 * folder (RFC 8514 2), into *date_r; 0 in *date_r when it is not known
 * (a file name not made by the Maildir naming rule: FETCH SAVEDATE then
 * answers NIL). Errors: -ERR_INVAL (bad seq), -ERR_NOTFOUND (expunged by
 * someone else). */
int store_msg_save_date(struct store_mailbox *mb, uint32_t seq,
			time_t *date_r);

/* store_folder_id: the MAILBOXID of folder name of u into buf (size >=
 * STORE_OBJECTID_SIZE), made and stored on first use. Errors:
 * -ERR_INVAL (bad name), -ERR_NOTFOUND (no such selectable folder),
 * -ERR_IO, -ERR_NOSPACE, -ERR_LIMIT (buf too small). */
int store_folder_id(struct store_user *u, const char *name, char *buf,
		    size_t size);

/* store_msg_object_ids: the EMAILID and THREADID of message seq of the
 * view into email_r and thread_r (STORE_OBJECTID_SIZE bytes each). The
 * first call per message reads its file (a: scratch for its header, as
 * store_msg_parsed). Errors: -ERR_INVAL (bad seq), -ERR_NOTFOUND
 * (expunged by someone else), -ERR_IO, -ERR_LIMIT (a's cap). */
int store_msg_object_ids(struct store_mailbox *mb, uint32_t seq,
			 struct arena *a, char *email_r, char *thread_r);

#endif
