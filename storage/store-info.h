/* Maildock - SPDX-License-Identifier: MIT
 *
 * Facts about folders and messages that newer IMAP extensions report and
 * that the Maildir already holds, so no extra state has to be kept: a
 * folder's total size (STATUS=SIZE, RFC 8438) and a message's save date
 * (SAVEDATE, RFC 8514).
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
 * Threads: the calls follow the rules of the object they take
 * (storage/store.h).
 */
#ifndef STORAGE_STORE_INFO_H
#define STORAGE_STORE_INFO_H

#include <stdint.h>
#include <time.h>

struct store_user;
struct store_mailbox;

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

#endif
