/* Maildock - SPDX-License-Identifier: MIT
 *
 * The POP3 command-line parser: a pure function from one line (without its
 * CRLF) to a command and checked arguments (RFC 1939 sec. 3, 5-7; RFC 2449
 * sec. 3 for the keyword and argument limits; RFC 5034 for AUTH). It never
 * touches a socket, so it is unit-tested and fuzzed on its own.
 */
#ifndef PROTOCOLS_POP3_POP3_PARSER_H
#define PROTOCOLS_POP3_POP3_PARSER_H

#include <stdint.h>
#include "core/sbuf.h"

/* The commands, in the order of their keywords (binary-searched). */
enum pop3_cmd_id {
	POP3_CMD_AUTH,
	POP3_CMD_CAPA,
	POP3_CMD_DELE,
	POP3_CMD_LIST,
	POP3_CMD_NOOP,
	POP3_CMD_PASS,
	POP3_CMD_QUIT,
	POP3_CMD_RETR,
	POP3_CMD_RSET,
	POP3_CMD_STAT,
	POP3_CMD_STLS,
	POP3_CMD_TOP,
	POP3_CMD_UIDL,
	POP3_CMD_USER,
	POP3_CMD_COUNT
};

/* RFC 2449 sec. 3: each argument is at most 40 octets (AUTH's initial
 * response is exempt, RFC 5034 sec. 4). */
#define POP3_PARSER_MAX_ARG 40

struct pop3_cmd {
	enum pop3_cmd_id id;
	const char *keyword;	/* canonical upper-case name (static) */
	unsigned nnums;		/* how many of num[] were given */
	uint32_t num[2];	/* LIST/UIDL/RETR/DELE: msg; TOP: msg, lines */
	struct sview arg;	/* USER, PASS: the rest of the line;
				 * AUTH: the mechanism (len 0: none) */
	struct sview arg2;	/* AUTH: the initial response (len 0: none) */
};

/* pop3_parser_parse: parse line[0..len) (no CR/LF) into *cmd_r. Keywords
 * are case-insensitive; arguments are separated by one or more spaces.
 * Message numbers are 1..UINT32_MAX, TOP's line count 0..UINT32_MAX, both
 * plain decimal digits only. The views in *cmd_r point into line.
 * Returns 0, or on error sets *error_r to a static English reason:
 *   -ERR_NOTFOUND  unknown keyword
 *   -ERR_SYNTAX    bad, missing or extra arguments, NUL or control bytes
 * Pure and thread-safe. */
int pop3_parser_parse(const char *line, size_t len, struct pop3_cmd *cmd_r,
		      const char **error_r);

#endif
