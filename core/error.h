/* Maildock - SPDX-License-Identifier: MIT
 *
 * Project-wide error codes. Functions return int: 0 is success, a negative
 * -ERR_* value is an error; positive results only where a header says so.
 */
#ifndef CORE_ERROR_H
#define CORE_ERROR_H

enum err_code {
	ERR_OK = 0,
	ERR_NOMEM,	/* malloc failed */
	ERR_LIMIT,	/* a configured or built-in bound was reached */
	ERR_SYNTAX,	/* input does not follow the grammar */
	ERR_IO,		/* read/write/fsync failed (errno has the cause) */
	ERR_TEMP,	/* temporary failure, try later */
	ERR_NOTFOUND,	/* no such object */
	ERR_EXISTS,	/* object already exists */
	ERR_PERM,	/* not permitted */
	ERR_TIMEOUT,	/* peer or lock did not answer in time */
	ERR_EOF,	/* peer closed the connection */
	ERR_INVAL,	/* invalid argument or value */
	ERR_NOSPACE,	/* file system full */
	ERR_QUOTA,	/* over quota */
	ERR_TLS,	/* TLS handshake or record failure */
	ERR_CORRUPT,	/* on-disk data is damaged */
	ERR_BUSY,	/* locked by someone else */
	ERR_SHUTDOWN,	/* the server is stopping */
	ERR_AGAIN,	/* no data yet (non-blocking calls only) */
	ERR_KICKED,	/* an admin ended the session (maildock-admin kick) */
	ERR_MAX
};

/* err_str: a short English text for code (either sign), never NULL.
 * Thread-safe; the string is static. */
const char *err_str(int code);

#endif
