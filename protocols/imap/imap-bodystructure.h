/* Maildock - SPDX-License-Identifier: MIT
 *
 * IMAP BODY and BODYSTRUCTURE formatting (RFC 3501 7.4.2, grammar in 9)
 * from the part tree of storage/mime, byte for byte as Dovecot 2.3 writes
 * them.
 */
#ifndef PROTOCOLS_IMAP_IMAP_BODYSTRUCTURE_H
#define PROTOCOLS_IMAP_IMAP_BODYSTRUCTURE_H

#include "core/sbuf.h"
#include "storage/mime/mime.h"

/* imap_bodystructure_write: append the body structure of part (normally
 * msg->root) to b, with its outer parentheses, ready to follow "BODY " or
 * "BODYSTRUCTURE " in a FETCH response. extended: true for BODYSTRUCTURE
 * (adds md5, disposition, language, location; parameters of multiparts),
 * false for BODY. Defaults when headers are missing (RFC 2045 5.2, 6.1):
 * "text" "plain" ("charset" "us-ascii") and "7bit"; sizes are the CRLF
 * octet counts; a multipart without parts gets one empty text/plain part so
 * the reply always follows the grammar. Output may contain literals; b's
 * failed flag reports overflow. Thread-safe (reads part only). */
void imap_bodystructure_write(struct sbuf *b, const struct mime_part *part,
			      bool extended);

#endif
