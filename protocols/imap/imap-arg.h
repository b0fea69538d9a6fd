/* Maildock - SPDX-License-Identifier: MIT
 *
 * A parsed IMAP command argument (the output of imap-parser.h) and its
 * typed accessors.
 */
#ifndef IMAP_ARG_H
#define IMAP_ARG_H

#include <stdint.h>
#include "core/compat.h"

enum imap_arg_type {
	IMAP_ARG_ATOM,		/* also NIL-looking atoms other than NIL */
	IMAP_ARG_NIL,		/* the atom NIL (any case) */
	IMAP_ARG_QUOTED,	/* "..." with \" and \\ resolved */
	IMAP_ARG_LITERAL,	/* {n} or {n+}, data read through the parser */
	IMAP_ARG_LITERAL_SIZE,	/* a literal the caller consumed itself
				   (imap_parser_literal_skip); only its size */
	IMAP_ARG_LIST,		/* ( ... ) */
};

struct imap_arg {
	enum imap_arg_type type;
	/* ATOM, NIL, QUOTED, LITERAL: the bytes, NUL-terminated (a literal may
	 * also contain NUL: see has_nul), in the parser's arena */
	const char *str;
	size_t len;
	bool has_nul;			/* LITERAL containing a NUL octet */
	bool literal8;			/* LITERAL(_SIZE) written ~{n} */
	uint64_t literal_size;		/* LITERAL, LITERAL_SIZE */
	const struct imap_arg *list;	/* LIST: elements */
	unsigned count;			/* LIST: number of elements */
};

/* Argument accessors: pure, thread-safe. Each returns true and fills its
 * outputs when arg has the named form, else false.
 * imap_arg_atom: ATOM or NIL. imap_arg_string: QUOTED or LITERAL without
 * NUL. imap_arg_astring: atom, NIL (as "NIL") or string. imap_arg_nstring:
 * string or NIL (*str_r NULL). imap_arg_list: LIST. */
bool imap_arg_atom(const struct imap_arg *arg, const char **str_r);
bool imap_arg_string(const struct imap_arg *arg, const char **str_r);
bool imap_arg_astring(const struct imap_arg *arg, const char **str_r);
bool imap_arg_nstring(const struct imap_arg *arg, const char **str_r);
bool imap_arg_list(const struct imap_arg *arg, const struct imap_arg **list_r,
		   unsigned *count_r);

/* imap_arg_atom_eq: arg is an atom equal to s, ASCII case-insensitively. */
bool imap_arg_atom_eq(const struct imap_arg *arg, const char *s);

/* imap_arg_utf8_valid: s[0..n) is well-formed UTF-8 (no overlong forms,
 * surrogates or code points above U+10FFFF). Pure. */
bool imap_arg_utf8_valid(const char *s, size_t n);

#endif
