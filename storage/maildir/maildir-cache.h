/* Maildock - SPDX-License-Identifier: MIT
 *
 * A message file's bytes and the per-folder cache of parsed
 * messages (maildir-read.c, maildir-cache.c).
 * Private to storage/maildir/.
 */
#ifndef STORAGE_MAILDIR_MAILDIR_CACHE_H
#define STORAGE_MAILDIR_MAILDIR_CACHE_H

#include "storage/maildir/maildir.h"

/* ---- maildir-cache.c: the parsed-message cache of a folder (freed with
 * the folder object); maildir_msg_parsed is store_msg_parsed. */
struct maildir_cache;
void maildir_cache_free(struct maildir_cache *c);
int maildir_msg_parsed(struct store_mailbox *mb, uint32_t seq,
		       struct arena *a, bool with_bytes,
		       struct mime_message **msg_r);

/* ---- maildir-read.c: a message file's bytes, one size policy */
/* maildir_read_fd: the bytes of the regular file open on fd, in arena a:
 * read whole when at most 256 KiB; else its first prefix_max octets read
 * (*whole_r false), or with prefix_max 0 the whole file mapped (released
 * when a is reset). *len_r octets at *data_r. Returns 0, -ERR_IO (not a
 * regular file, read/fstat/mmap failed), -ERR_LIMIT (a's cap). */
int maildir_read_fd(struct arena *a, int fd, size_t prefix_max,
		    const void **data_r, size_t *len_r, bool *whole_r);
/* maildir_msg_read: maildir_read_fd on message seq of the view (the
 * store_ops msg_read). Also -ERR_INVAL, -ERR_NOTFOUND as maildir_msg_open. */
int maildir_msg_read(struct store_mailbox *mb, uint32_t seq, struct arena *a,
		     size_t prefix_max, const void **data_r, size_t *len_r,
		     bool *whole_r);

#endif
