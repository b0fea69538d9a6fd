/* Maildock - SPDX-License-Identifier: MIT
 *
 * The table of storage errors as IMAP and POP3 report them (mailerr.h):
 * one row per core/error.h code, so that a new code or a changed meaning
 * is decided once for both protocols.
 */
#include "core/error.h"
#include "protocols/mailerr.h"
#include "core/compat.h"

static const struct {
	int err;
	struct mailerr e;
} rows[] = {
	{ -ERR_NOTFOUND, { "NONEXISTENT", "No such mailbox", "SYS/TEMP" } },
	{ -ERR_EXISTS, { "ALREADYEXISTS", "Mailbox already exists",
			 "SYS/TEMP" } },
	/* RFC 5530 3: CANNOT for what no retry will make work; NOPERM is
	 * for a missing ACL right, said where the right is known */
	{ -ERR_PERM, { "CANNOT", "Operation not permitted", "SYS/PERM" } },
	{ -ERR_INVAL, { "CANNOT", "Invalid mailbox name", "SYS/PERM" } },
	{ -ERR_QUOTA, { "OVERQUOTA", "Quota exceeded", "SYS/TEMP" } },
	{ -ERR_NOSPACE, { "OVERQUOTA", "Quota exceeded", "SYS/TEMP" } },
	/* an arena cap is a per-session limit (STYLE C5), not a bug */
	{ -ERR_LIMIT, { "LIMIT", "Limit reached", "SYS/TEMP" } },
	{ -ERR_NOMEM, { "LIMIT", "Limit reached", "SYS/TEMP" } },
	{ -ERR_TEMP, { "UNAVAILABLE", "Temporary failure, try again",
		       "SYS/TEMP" } },
	{ -ERR_TIMEOUT, { "UNAVAILABLE", "Temporary failure, try again",
			  "SYS/TEMP" } },
	/* RFC 2449 8.1.2: IN-USE is another session holding the maildrop */
	{ -ERR_BUSY, { "UNAVAILABLE", "Temporary failure, try again",
		       "IN-USE" } },
	/* damaged files do not heal by retrying (RFC 3206 4: SYS/PERM) */
	{ -ERR_CORRUPT, { "SERVERBUG", "Internal error", "SYS/PERM" } },
};

static const struct mailerr bug = {
	"SERVERBUG", "Internal error", "SYS/TEMP"
};

const struct mailerr *
mailerr_get(int err)
{
	for (size_t i = 0; i < N_ELEMENTS(rows); i++)
		if (rows[i].err == err)
			return &rows[i].e;
	return &bug;
}
