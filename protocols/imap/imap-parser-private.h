/* Maildock - SPDX-License-Identifier: MIT
 *
 * Internals of the IMAP command parser shared by imap-parser.c (the
 * tokenizer) and imap-parser-literal.c (literals). Not for other users:
 * the public API is protocols/imap/imap-parser.h. Nothing here is
 * thread-safe; one session owns a parser.
 */
#ifndef IMAP_PARSER_PRIVATE_H
#define IMAP_PARSER_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "protocols/imap/imap-parser.h"

enum state {
	ST_TAG,
	ST_NAME,
	ST_AFTER_TOKEN,		/* expect SP, CR or ')' */
	ST_ARG_START,		/* expect a token, '(' or ')' */
	ST_ATOM,
	ST_QUOTED,
	ST_QUOTED_ESC,
	ST_LIT8,		/* after '~', expect '{' (RFC 3516 literal8) */
	ST_LIT_NUM,
	ST_LIT_CLOSE,		/* after '+', expect '}' */
	ST_LIT_CR,
	ST_LIT_LF,
	ST_LIT_DATA,
	ST_LF,			/* after the final CR */
	ST_DONE,
	ST_ERROR,
};

struct frame {
	struct imap_arg *items;
	unsigned count, alloc;
};

struct imap_parser {
	struct arena *arena;
	struct imap_parser_limits lim;
	enum state state;
	const char *error;
	char *tag, *name;
	/* the token being read (atom, quoted string, tag, name) */
	char *tok;
	size_t tok_len, tok_cap;
	bool in_bracket;	/* inside "[...]" of an atom (BODY[...]) */
	bool bracket_plain;	/* only ATOM-CHARs since that '[' */
	bool lit_sync, lit_digits, lit8;
	bool utf8;		/* UTF-8 in quoted strings (RFC 6855) */
	uint64_t lit_size, lit_got;
	char *lit_data;
	bool lit_nul;
	size_t line_len;	/* octets of the current line */
	size_t cmd_len;		/* octets of the whole command */
	unsigned depth;
	struct frame frames[IMAP_PARSER_DEPTH_CAP + 1];
};

/* imap_parser_fail: enter the error state with why (a static string, for
 * imap_parser_error); returns err (a negative -ERR_*). */
int imap_parser_fail(struct imap_parser *p, int err, const char *why);

/* imap_parser_add_arg: append a zeroed argument of type to the innermost
 * open list (memory from p->arena); NULL when the arena is exhausted. */
struct imap_arg *imap_parser_add_arg(struct imap_parser *p,
				     enum imap_arg_type type);

/* imap_parser_start_literal: after '{' (lit8: "~{"), read the size next.
 * Returns 0. (imap-parser-literal.c, as the two below) */
int imap_parser_start_literal(struct imap_parser *p, bool lit8);

/* imap_parser_step_literal_head: one byte of "n}" / "n+}" CRLF; returns 0,
 * IMAP_PARSE_LITERAL once the CRLF is read (data expected next), or a
 * negative error (-ERR_SYNTAX, -ERR_LIMIT for a size above 32 bits). */
int imap_parser_step_literal_head(struct imap_parser *p, unsigned char c);

/* imap_parser_literal_data: copy up to len bytes of the announced literal
 * from d into the arena; *used_r bytes were taken. When the literal is
 * complete it becomes an IMAP_ARG_LITERAL argument. Returns 0 or a
 * negative error (-ERR_LIMIT: literal_max or command_max, -ERR_NOMEM). */
int imap_parser_literal_data(struct imap_parser *p, const unsigned char *d,
			     size_t len, size_t *used_r);

#endif
