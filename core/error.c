/* Maildock - SPDX-License-Identifier: MIT
 *
 * Texts for the project-wide error codes.
 */
#include "core/error.h"

static const char *const texts[ERR_MAX] = {
	[ERR_OK] = "success",
	[ERR_NOMEM] = "out of memory",
	[ERR_LIMIT] = "limit exceeded",
	[ERR_SYNTAX] = "syntax error",
	[ERR_IO] = "I/O error",
	[ERR_TEMP] = "temporary failure",
	[ERR_NOTFOUND] = "not found",
	[ERR_EXISTS] = "already exists",
	[ERR_PERM] = "permission denied",
	[ERR_TIMEOUT] = "timed out",
	[ERR_EOF] = "connection closed",
	[ERR_INVAL] = "invalid value",
	[ERR_NOSPACE] = "no space left",
	[ERR_QUOTA] = "over quota",
	[ERR_TLS] = "TLS failure",
	[ERR_CORRUPT] = "corrupt data",
	[ERR_BUSY] = "busy",
	[ERR_SHUTDOWN] = "server shutting down",
	[ERR_AGAIN] = "try again",
	[ERR_KICKED] = "disconnected by the administrator",
};

const char *
err_str(int code)
{
	if (code < 0)
		code = -code;
	if (code >= ERR_MAX || texts[code] == 0)
		return "unknown error";
	return texts[code];
}
