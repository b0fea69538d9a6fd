/* Maildock - SPDX-License-Identifier: MIT
 *
 * Text rules of the full-text index (storage/fts/fts-index.h): the index
 * must find every message whose folded text holds a needle as a byte
 * substring, so stored texts and needles are made to split into the same
 * UTF-8 characters, and a needle becomes the AND of its trigrams. Pure
 * functions, thread-safe.
 */
#ifndef STORAGE_FTS_TEXT_H
#define STORAGE_FTS_TEXT_H

#include <stddef.h>
#include "core/compat.h"

struct sbuf;

/* A needle the index can narrow for has at least 3 characters (one
 * trigram); a longer one uses FTS_TEXT_MAX_TERMS of its trigrams. */
#define FTS_TEXT_MIN_CHARS 3
#define FTS_TEXT_MAX_TERMS 16

/* fts_text_needle_ok: whether needle (len bytes) is valid UTF-8 without
 * NUL and has at least FTS_TEXT_MIN_CHARS characters. */
bool fts_text_needle_ok(const char *needle, size_t len);

/* fts_text_sanitize: replace, in place, each NUL and each byte that does
 * not start a well-formed UTF-8 sequence with a space. A valid UTF-8
 * substring of the input (one fts_text_needle_ok accepts) stays a
 * substring of the output, since a well-formed sequence never ends inside
 * it; SQLite then reads both as the same characters. */
void fts_text_sanitize(char *text, size_t len);

/* fts_text_match_expr: append to b the FTS5 MATCH expression of needle
 * (fts_text_needle_ok): "t1" AND "t2" ..., each a trigram of it with
 * quotes doubled; a long needle uses FTS_TEXT_MAX_TERMS of its trigrams,
 * first and last included, spread evenly. Returns 0 or -ERR_LIMIT (b's
 * maximum). */
int fts_text_match_expr(struct sbuf *b, const char *needle, size_t len);

#endif
