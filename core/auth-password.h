/* Maildock - SPDX-License-Identifier: MIT
 *
 * Password schemes: checking a password against a stored hash and making
 * new hashes (maildock-pw). crypt(3) schemes through libxcrypt's crypt_rn
 * (yescrypt, SHA512-CRYPT, SHA256-CRYPT, bcrypt, MD5-CRYPT), with or without
 * a {SCHEME} prefix, and {PLAIN}, {SHA*}, {SSHA*} through OpenSSL.
 */
#ifndef CORE_AUTH_PASSWORD_H
#define CORE_AUTH_PASSWORD_H

#include "core/compat.h"

/* the longest stored hash and password accepted, in bytes */
#define AUTH_PASSWORD_MAX 1024
#define AUTH_PASSWORD_HASH_MAX 1024

/* auth_password_verify: check password against stored, written as
 * "{SCHEME}data" or bare crypt(3) text ("$6$salt$hash", "$y$..."). The
 * final comparison is constant-time (CRYPTO_memcmp). Returns 0 (match),
 * -ERR_PERM (no match, also for an empty or locked hash such as "!..." or
 * "*"), -ERR_INVAL (unknown scheme or malformed data, e.g. bad base64).
 * Thread-safe (crypt_rn with a heap buffer); allocates and wipes its own
 * scratch memory. */
int auth_password_verify(const char *password, const char *stored);

/* auth_password_hash: hash password with scheme (case-insensitive, without
 * braces: "SHA512-CRYPT", "BLF-CRYPT", "YESCRYPT", "SHA256-CRYPT",
 * "MD5-CRYPT", "SSHA512", "SSHA256", "SSHA", "PLAIN", ...) and a fresh
 * random salt. On success *hash_r is a malloc'd "{SCHEME}..." string the
 * caller frees, and 0 is returned. Errors: -ERR_NOTFOUND (unknown scheme),
 * -ERR_INVAL (password too long), -ERR_IO (no randomness or crypt failed).
 * Thread-safe. */
int auth_password_hash(const char *scheme, const char *password,
		       char **hash_r);

/* auth_password_schemes: the NULL-terminated list of scheme names
 * auth_password_hash accepts (static). */
const char *const *auth_password_schemes(void);

#endif
