/* Maildock - SPDX-License-Identifier: MIT
 *
 * FETCH PREVIEW (RFC 8970): a short plain-text preview of a message,
 * made from its first text/plain or text/html body part that is not an
 * attachment, decoded by the MIME layer (storage/mime/mime.h).
 */
#ifndef IMAP_PREVIEW_H
#define IMAP_PREVIEW_H

#include <stddef.h>

struct arena;
struct mime_message;

/* RFC 8970 3.1: at most 256 characters */
#define IMAP_PREVIEW_MAX_CHARS 256

/* imap_preview_make: the preview of m (parsed with its bytes attached)
 * into *text_r / *len_r, allocated in a: UTF-8, HTML tags, style and
 * script blocks dropped and the common entities decoded, every run of
 * white space or control characters made one space, trimmed, at most
 * IMAP_PREVIEW_MAX_CHARS characters (never a cut UTF-8 sequence). "" when
 * the message has no such part. Returns 0, -ERR_LIMIT (a's cap) or
 * -ERR_INVAL (m has no bytes). Thread-safe with distinct arenas. */
int imap_preview_make(struct arena *a, const struct mime_message *m,
		      const char **text_r, size_t *len_r);

#endif
