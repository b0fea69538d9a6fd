/* Maildock - SPDX-License-Identifier: MIT
 *
 * Sequence-set parsing, resolution of "*", membership tests, and the
 * compact UID-set output of UIDPLUS.
 */
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "protocols/imap/imap-seqset.h"
#include "core/compat.h"

/* parse_number: nz-number or "*"; advances *sp */
static int
parse_number(const char **sp, uint32_t *n_r)
{
	const char *s = *sp;
	uint32_t n = 0;

	if (*s == '*') {
		*n_r = IMAP_SEQ_STAR;
		*sp = s + 1;
		return 0;
	}
	if (*s < '1' || *s > '9')
		return -ERR_SYNTAX;
	for (; *s >= '0' && *s <= '9'; s++) {
		uint32_t d = (uint32_t)(*s - '0');
		if (n > (UINT32_MAX - d) / 10)
			return -ERR_SYNTAX;
		n = n * 10 + d;
	}
	*n_r = n;
	*sp = s;
	return 0;
}

int
imap_seqset_parse(struct arena *arena, const char *s,
		  struct imap_seqset *set_r)
{
	unsigned n = 1, i = 0;
	int r;

	set_r->ranges = NULL;
	set_r->count = 0;
	for (const char *q = s; *q != '\0'; q++)
		if (*q == ',' && ++n > IMAP_SEQSET_MAX_RANGES)
			return -ERR_LIMIT;
	set_r->ranges = arena_alloc(arena, n * sizeof(*set_r->ranges));
	if (set_r->ranges == NULL)
		return -ERR_NOMEM;
	for (;;) {
		struct imap_seqrange *rg = &set_r->ranges[i++];
		if ((r = parse_number(&s, &rg->lo)) < 0)
			return r;
		rg->hi = rg->lo;
		if (*s == ':') {
			s++;
			if ((r = parse_number(&s, &rg->hi)) < 0)
				return r;
		}
		if (*s == '\0')
			break;
		if (*s != ',')
			return -ERR_SYNTAX;
		s++;
	}
	set_r->count = i;
	return 0;
}

static int
cmp_range(const void *a, const void *b)
{
	const struct imap_seqrange *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

int
imap_seqset_resolve(struct imap_seqset *set, uint32_t star, bool strict)
{
	unsigned out = 0;

	for (unsigned i = 0; i < set->count; i++) {
		struct imap_seqrange *rg = &set->ranges[i];
		bool lo_star = rg->lo == IMAP_SEQ_STAR;
		bool hi_star = rg->hi == IMAP_SEQ_STAR;

		if (strict && ((!lo_star && rg->lo > star) ||
			       (!hi_star && rg->hi > star)))
			return -ERR_INVAL;
		if (lo_star)
			rg->lo = star;
		if (hi_star)
			rg->hi = star;
		if (rg->lo > rg->hi) {
			uint32_t t = rg->lo;
			rg->lo = rg->hi;
			rg->hi = t;
		}
		if (rg->lo == 0)
			rg->lo = 1;	/* "*" of an empty mailbox */
		if (rg->hi == 0)
			continue;
		set->ranges[out++] = *rg;
	}
	set->count = out;
	if (out == 0)
		return 0;
	qsort(set->ranges, out, sizeof(*set->ranges), cmp_range);
	out = 1;
	for (unsigned i = 1; i < set->count; i++) {
		struct imap_seqrange *last = &set->ranges[out - 1];
		struct imap_seqrange *rg = &set->ranges[i];
		if (last->hi == UINT32_MAX || rg->lo <= last->hi + 1) {
			if (rg->hi > last->hi)
				last->hi = rg->hi;
		} else {
			set->ranges[out++] = *rg;
		}
	}
	set->count = out;
	return 0;
}

bool
imap_seqset_contains(const struct imap_seqset *set, uint32_t n)
{
	unsigned lo = 0, hi = set->count;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct imap_seqrange *rg = &set->ranges[mid];
		if (n < rg->lo)
			hi = mid;
		else if (n > rg->hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

void
imap_seqset_append_uids(struct sbuf *b, const uint32_t *uids, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		while (j + 1 < n && uids[j] != UINT32_MAX &&
		       uids[j + 1] == uids[j] + 1)
			j++;
		if (i > 0)
			sbuf_appendc(b, ',');
		if (j > i)
			sbuf_appendf(b, "%u:%u", uids[i], uids[j]);
		else
			sbuf_appendf(b, "%u", uids[i]);
		i = j + 1;
	}
}
