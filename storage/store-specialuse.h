/* Maildock - SPDX-License-Identifier: MIT
 *
 * Special-use attributes a client gave a folder (RFC 6154 section 3,
 * CREATE-SPECIAL-USE), kept with the folder. The IMAP layer checks the
 * attribute names; storage keeps the text.
 *
 * On disk: the file "maildock-specialuse" in the folder's directory, one
 * attribute per line ("\Sent\n"). Being inside the folder, it follows
 * RENAME and goes with DELETE, and another server ignores it (Courier and
 * Dovecot skip unknown files in a Maildir++ folder; Dovecot itself keeps
 * the same information as the folder's /private/specialuse attribute).
 *
 * Threads: both functions are thread-safe and keep no state.
 */
#ifndef STORAGE_STORE_SPECIALUSE_H
#define STORAGE_STORE_SPECIALUSE_H

#include <stddef.h>

struct store_user;

#define STORE_SPECIALUSE_MAX	128	/* bytes of the stored text */

/* store_specialuse_get: the attributes stored for folder name (UTF-8,
 * "A.B") of u, space-separated ("\Sent \Archive"), into buf (size bytes,
 * NUL-terminated; STORE_SPECIALUSE_MAX + 1 always suffices). buf is ""
 * when the folder has none, does not exist, or the name is not one of
 * u's folders. Returns 0, -ERR_LIMIT (buf too small), -ERR_IO. */
int store_specialuse_get(struct store_user *u, const char *name, char *buf,
			 size_t size);

/* store_specialuse_set: store uses (space-separated attributes, at most
 * STORE_SPECIALUSE_MAX bytes, no control characters; "" removes the file)
 * for the existing folder name of u, atomically (temp file + rename).
 * Errors: -ERR_INVAL (bad name, INBOX, bad uses), -ERR_NOTFOUND (no such
 * folder), -ERR_IO. */
int store_specialuse_set(struct store_user *u, const char *name,
			 const char *uses);

#endif
