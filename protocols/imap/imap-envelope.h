/* Maildock - SPDX-License-Identifier: MIT
 *
 * IMAP ENVELOPE formatting (RFC 3501 7.4.2) and the IMAP string quoting
 * rules it shares with BODY/BODYSTRUCTURE, byte for byte as Dovecot 2.3
 * writes them: a quoted string when possible, a literal {n}CRLF when the
 * text holds CR, LF, 8-bit bytes or many quoted-specials, NIL for absent.
 */
#ifndef PROTOCOLS_IMAP_IMAP_ENVELOPE_H
#define PROTOCOLS_IMAP_IMAP_ENVELOPE_H

#include "core/sbuf.h"
#include "storage/mime/mime.h"

/* imap_envelope_write: append "(date subject from sender reply-to to cc bcc
 * in-reply-to message-id)" for env to b (env NULL: ten NILs in parens).
 * sender and reply-to default to from (RFC 3501 7.4.2). Subject and
 * display names are cleaned for humans (tabs, CR/LF and runs of spaces
 * become one space, NUL becomes 0x80); date, in-reply-to and message-id
 * have their CR/LF removed. RFC 2047 words are sent as they are. Output may
 * contain literals ("{n}\r\n..."); b's sticky failed flag reports overflow.
 * Thread-safe (no shared state). */
void imap_envelope_write(struct sbuf *b, const struct mime_envelope *env);

/* imap_envelope_append_nstring: append the len bytes at p as an IMAP
 * nstring (RFC 3501 9): NIL when p is NULL; a quoted string unless the text
 * has CR, LF, a byte >= 0x80 or more than 4 of '"' '\\' (then a literal).
 * The text ends at its first NUL. */
void imap_envelope_append_nstring(struct sbuf *b, const char *p, size_t len);

/* imap_envelope_append_nstring_nolf: as above, but CR and LF are removed
 * first (a space is put in their place when the next byte is not white
 * space), for header values that may be folded. */
void imap_envelope_append_nstring_nolf(struct sbuf *b, const char *p,
				       size_t len);

/* imap_envelope_append_for_humans: append text meant for people (Subject,
 * display names): white space runs become one space, leading/trailing white
 * space and CR/LF are dropped, NUL becomes 0x80; quoted when nothing had to
 * change, else a literal; "" when only white space remains. */
void imap_envelope_append_for_humans(struct sbuf *b, const char *p,
				     size_t len);

#endif
