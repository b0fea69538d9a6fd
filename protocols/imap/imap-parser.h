/* Maildock - SPDX-License-Identifier: MIT
 *
 * The IMAP command parser (STYLE C7, RFC 3501 section 9): a pure,
 * incremental state machine over bytes. It never touches a socket: the
 * session feeds it input, and it stops at every literal announcement so the
 * caller can check limits before sending "+ " (or stream the literal away).
 */
#ifndef IMAP_PARSER_H
#define IMAP_PARSER_H

#include <stdint.h>
#include "core/compat.h"
#include "protocols/imap/imap-arg.h"

struct arena;

struct imap_parser_limits {
	size_t line_max;	/* octets of one line between literals */
	size_t tag_max;		/* octets of a tag */
	uint64_t literal_max;	/* octets of a literal read through the parser */
	size_t command_max;	/* all octets of one command (not streamed
				   literals) */
	unsigned depth_max;	/* nesting of parenthesized lists */
};

/* results of imap_parser_feed besides negative errors */
#define IMAP_PARSE_MORE 0	/* all input consumed, command not complete */
#define IMAP_PARSE_DONE 1	/* a whole command, up to its CRLF */
#define IMAP_PARSE_LITERAL 2	/* a literal announcement "{n}" CRLF was read */

struct imap_parser;

#define IMAP_PARSER_DEPTH_CAP 64

/* imap_parser_new: a parser (heap memory, freed by imap_parser_free) that
 * allocates every argument string and list in arena, normally the
 * per-command arena: reset that arena only together with imap_parser_reset.
 * Limits are copied; depth_max is capped at IMAP_PARSER_DEPTH_CAP. Never
 * NULL. Not thread-safe: one session uses it. */
struct imap_parser *imap_parser_new(struct arena *arena,
				    const struct imap_parser_limits *limits);

/* imap_parser_free: release p and set *p to NULL. NULL-safe. */
void imap_parser_free(struct imap_parser **p);

/* imap_parser_set_limits: replace the limits (at login). Takes effect at
 * the next command. */
void imap_parser_set_limits(struct imap_parser *p,
			    const struct imap_parser_limits *limits);

/* imap_parser_reset: forget the current command and start at a tag again.
 * arena is the (possibly just reset) arena for the next command. */
void imap_parser_reset(struct imap_parser *p, struct arena *arena);

/* imap_parser_feed: consume up to len bytes of data; *used_r is the count
 * consumed. Returns IMAP_PARSE_MORE (all consumed), IMAP_PARSE_DONE (the
 * command ends at *used_r; the rest belongs to the next command; call
 * imap_parser_reset before feeding it), IMAP_PARSE_LITERAL (a literal was
 * announced and the parser now expects its data: see imap_parser_literal),
 * or an error: -ERR_SYNTAX (imap_parser_error says why), -ERR_LIMIT (a
 * configured limit; imap_parser_error says which), -ERR_NOMEM (arena cap).
 * After an error the parser accepts nothing until reset. */
int imap_parser_feed(struct imap_parser *p, const void *data, size_t len,
		     size_t *used_r);

/* imap_parser_literal: after IMAP_PARSE_LITERAL, the announced size (at
 * most UINT32_MAX), whether it is synchronizing (the client waits for
 * "+ "), and whether it stands as a top-level argument (depth 0) together
 * with the number of top-level arguments before it. The caller checks the
 * size against its own limit (the parser's literal_max is checked when data
 * arrives, so a caller that refuses must not feed the data). */
void imap_parser_literal(const struct imap_parser *p, uint64_t *size_r,
			 bool *sync_r, bool *top_level_r, unsigned *argc_r);

/* imap_parser_literal_fits: after IMAP_PARSE_LITERAL, whether the announced
 * literal is within literal_max and keeps the command within command_max,
 * as its data will be checked: a caller asks before inviting the data with
 * "+ " (RFC 3501 7.5), never after. */
bool imap_parser_literal_fits(const struct imap_parser *p);

/* imap_parser_literal_skip: the caller reads the literal data itself
 * (APPEND streaming); it becomes an IMAP_ARG_LITERAL_SIZE argument and the
 * parser continues with the bytes after the literal. Only valid right after
 * IMAP_PARSE_LITERAL. */
void imap_parser_literal_skip(struct imap_parser *p);

/* imap_parser_set_utf8: accept UTF-8 (validated) in quoted strings, after
 * ENABLE UTF8=ACCEPT (RFC 6855 3). Off by default: 8-bit data then only
 * in literals. */
void imap_parser_set_utf8(struct imap_parser *p, bool utf8);

/* imap_parser_depth: the nesting depth of the list being read (0: top
 * level) and, in *count_r, how many elements it has so far. With
 * imap_parser_literal8 (the announced literal was written "~{n}", RFC
 * 3516 literal8), for locating APPEND's UTF8 (~{n}) data (RFC 6855 4). */
unsigned imap_parser_depth(const struct imap_parser *p, unsigned *count_r);
bool imap_parser_literal8(const struct imap_parser *p);

/* imap_parser_tag / imap_parser_name: the tag and command name (upper-cased
 * name) once read, else NULL. Strings live in the arena. */
const char *imap_parser_tag(const struct imap_parser *p);
const char *imap_parser_name(const struct imap_parser *p);

/* imap_parser_args: the top-level arguments so far (complete after
 * IMAP_PARSE_DONE; during IMAP_PARSE_LITERAL the completed ones before the
 * literal). *count_r gets their number. */
const struct imap_arg *imap_parser_args(const struct imap_parser *p,
					unsigned *count_r);

/* imap_parser_error: a static English text for the last error, or "". */
const char *imap_parser_error(const struct imap_parser *p);

#endif
