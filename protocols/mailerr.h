/* Maildock - SPDX-License-Identifier: MIT
 *
 * One vocabulary for the storage errors a client is told about: a store_*
 * call returns its error's kind as a core/error.h code (not found,
 * exists, no permission, over quota, limit, temporary; anything else is a
 * bug), and one table gives each the IMAP response code (RFC 5530) and
 * the POP3 one (RFC 2449 8, RFC 3206) that says it.
 */
#ifndef MAILERR_H
#define MAILERR_H

struct mailerr {
	const char *imap_code;	/* RFC 5530, without the [] */
	const char *imap_text;
	const char *pop3_code;	/* RFC 3206: SYS/TEMP, SYS/PERM, IN-USE */
};

/* mailerr_get: the row for err, a negative -ERR_* from storage; a code
 * with no row of its own is a bug (SERVERBUG, SYS/TEMP). Never NULL; the
 * row is static. Pure, thread-safe. */
const struct mailerr *mailerr_get(int err);

#endif
