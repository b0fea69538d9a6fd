/* Maildock - SPDX-License-Identifier: MIT
 *
 * CATENATE (RFC 4469): a message of APPEND built from TEXT literals and
 * IMAP URLs (RFC 5092) naming messages or parts of the user's mailboxes
 * (private to protocols/imap).
 */
#ifndef IMAP_CATENATE_H
#define IMAP_CATENATE_H

#include <stdint.h>
#include "core/compat.h"

struct imap_arg;
struct imap_cmd;
struct sbuf;
struct store_append;

/* imap_catenate_write: write the parts of the CATENATE list (the list
 * argument after "CATENATE": 1*(TEXT literal / URL astring)) into a, in
 * order. Returns 0; -ERR_SYNTAX (not a cat-part list: answer BAD, with
 * *error_r); -ERR_NOTFOUND (a URL that is not this user's, is malformed,
 * names no message or part, or a mailbox without the read right: answer
 * NO [BADURL url], the URL in *url_r); -ERR_LIMIT (the message grew
 * past imap.max_append: NO [TOOBIG]); or a store_append_write error.
 * Relative URLs ("/mailbox/;UID=n..." and ";UID=n..." for the selected
 * mailbox) and "imap://" URLs whose user, when given, is the session's
 * are accepted; the host part is not checked (this server has no name of
 * its own to compare with). */
int imap_catenate_write(struct imap_cmd *cmd, const struct imap_arg *list,
			struct store_append *a, const char **error_r,
			const char **url_r);

/* imap_catenate_badurl: "[BADURL url] " for a NO, when url can stand in
 * a response code (RFC 4469 6: TEXT-CHARs other than "]"); "" else. */
void imap_catenate_badurl(struct sbuf *b, const char *url);

#endif
