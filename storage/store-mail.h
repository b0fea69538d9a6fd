/* Maildock - SPDX-License-Identifier: MIT
 *
 * A message handle: one message of a mailbox view whose parsed forms are
 * made on demand, each at most once. The only way protocol code gets at a
 * message's header, structure and bytes (SEARCH, SORT, THREAD, FETCH):
 * storage opens, reads, maps and parses the file, with one size policy.
 */
#ifndef STORAGE_STORE_MAIL_H
#define STORAGE_STORE_MAIL_H

#include <stdint.h>
#include "core/compat.h"

struct arena;
struct mime_message;
struct store_mailbox;
struct store_mail;

/* store_mail_open: a handle on message seq (1..count) of view mb whose
 * parsed forms live in arena a: the handle, and everything it returns,
 * is valid until a is reset or freed (a mapped file is unmapped then);
 * there is nothing to close. Opens no file yet. Returns NULL only when
 * a's cap is reached. The handle belongs to one thread (the view's). */
struct store_mail *store_mail_open(struct store_mailbox *mb, uint32_t seq,
				   struct arena *a);

/* store_mail_header: the message with its header block only parsed (the
 * root part then has an empty body; its header, ENVELOPE and HEADER
 * sections are those of the whole message, RFC 3501 6.4.5), enough for
 * header search keys, SENT*, SORT and THREAD. A small file (up to
 * 256 KiB) is read whole, once, so a later store_mail_message parses it
 * without reading it again; of a larger file only the first 64 KiB are
 * read when its header ends there, else it is mapped and parsed whole.
 * After store_mail_message, its result. *msg_r is owned by the handle's
 * arena. Returns 0, -ERR_INVAL (bad seq), -ERR_NOTFOUND (expunged by
 * another session or process), -ERR_IO, -ERR_LIMIT (arena cap). A failure
 * is remembered: later calls return it again. */
int store_mail_header(struct store_mail *m, struct mime_message **msg_r);

/* store_mail_message: the whole message parsed, with its bytes (sections,
 * text search, BODY[]), as store_msg_parsed with with_bytes: the folder's
 * cached tree with the file's bytes when there is one, else a parse that
 * also fills the cache; a file already read whole by store_mail_header is
 * parsed from memory. *msg_r and errors as for store_mail_header. */
int store_mail_message(struct store_mail *m, struct mime_message **msg_r);

#endif
