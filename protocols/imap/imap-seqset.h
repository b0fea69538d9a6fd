/* Maildock - SPDX-License-Identifier: MIT
 *
 * IMAP sequence sets (RFC 3501 section 9 "sequence-set"): numbers, "*",
 * ranges in either order, comma lists; used for message sequence numbers
 * and UIDs. Also the compact output form of UID lists (UIDPLUS COPYUID).
 */
#ifndef IMAP_SEQSET_H
#define IMAP_SEQSET_H

#include <stdint.h>
#include "core/compat.h"

struct arena;
struct sbuf;

/* at most this many comma-separated elements in one set */
#define IMAP_SEQSET_MAX_RANGES 10000

/* "*" before resolution */
#define IMAP_SEQ_STAR 0

struct imap_seqrange {
	uint32_t lo, hi;	/* inclusive; lo <= hi after resolution */
};

struct imap_seqset {
	struct imap_seqrange *ranges;	/* in the arena */
	unsigned count;
};

/* imap_seqset_parse: parse s (NUL-terminated) into *set_r, with "*" kept as
 * IMAP_SEQ_STAR. Numbers are nz-number (1..4294967295); overflow is
 * checked before each *10. Returns 0, -ERR_SYNTAX, -ERR_LIMIT (more than
 * IMAP_SEQSET_MAX_RANGES elements) or -ERR_NOMEM (arena cap). Memory from
 * arena. Thread-safe with distinct arenas. */
int imap_seqset_parse(struct arena *arena, const char *s,
		      struct imap_seqset *set_r);

/* imap_seqset_resolve: replace "*" by star, order every range, sort and
 * merge the ranges in place. For message sequence numbers pass star =
 * number of messages and strict = true: a number above star (other than
 * "*") then gives -ERR_INVAL, and on an empty mailbox the set becomes
 * empty. For UIDs pass star = highest UID in use (or 0) and strict =
 * false: ranges are kept (UIDs that do not exist are ignored by callers,
 * RFC 3501 6.4.8). Returns 0 or -ERR_INVAL. */
int imap_seqset_resolve(struct imap_seqset *set, uint32_t star, bool strict);

/* imap_seqset_contains: n is in a resolved set (binary search). */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n);

/* imap_seqset_append_uids: append uids[0..n) to b in the compact form
 * "1:3,7,9:10", keeping their order (consecutive ascending runs become
 * ranges), as RFC 4315 COPYUID wants. */
void imap_seqset_append_uids(struct sbuf *b, const uint32_t *uids, size_t n);

#endif
