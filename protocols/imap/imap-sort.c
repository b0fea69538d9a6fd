/* Maildock - SPDX-License-Identifier: MIT
 *
 * The SORT program (RFC 5256 section 3, RFC 5957) and the ordering of
 * message records: strings compare with i;ascii-casemap, every tie falls
 * back to the sequence number (ascending, whatever REVERSE says).
 */
#include <stdlib.h>
#include "core/error.h"
#include "protocols/imap/imap-search.h"
#include "protocols/imap/imap-sort.h"
#include "core/compat.h"

static const struct {
	const char *name;
	enum imap_sort_key key;
	unsigned needs;
} sort_keys[] = {
	{ "ARRIVAL", IMAP_SORT_ARRIVAL, IMAP_SORT_NEED_ARRIVAL },
	{ "CC", IMAP_SORT_CC, IMAP_SORT_NEED_ENVELOPE },
	{ "DATE", IMAP_SORT_DATE, IMAP_SORT_NEED_ENVELOPE |
				  IMAP_SORT_NEED_ARRIVAL },
	{ "DISPLAYFROM", IMAP_SORT_DISPLAYFROM, IMAP_SORT_NEED_ENVELOPE },
	{ "DISPLAYTO", IMAP_SORT_DISPLAYTO, IMAP_SORT_NEED_ENVELOPE },
	{ "FROM", IMAP_SORT_FROM, IMAP_SORT_NEED_ENVELOPE },
	{ "SIZE", IMAP_SORT_SIZE, IMAP_SORT_NEED_SIZE },
	{ "SUBJECT", IMAP_SORT_SUBJECT, IMAP_SORT_NEED_ENVELOPE },
	{ "TO", IMAP_SORT_TO, IMAP_SORT_NEED_ENVELOPE },
};

int
imap_sort_program_parse(const struct imap_search_arg *list,
			struct imap_sort_program *prog_r,
			const char **error_r)
{
	bool reverse = false;
	size_t i, j;

	memset(prog_r, 0, sizeof(*prog_r));
	*error_r = "Invalid sort criteria";
	if (list->type != IMAP_SEARCH_ARG_LIST || list->count == 0)
		return -ERR_SYNTAX;
	for (i = 0; i < list->count; i++) {
		const struct imap_search_arg *a = &list->list[i];

		if (a->type != IMAP_SEARCH_ARG_ATOM)
			return -ERR_SYNTAX;	/* ("SUBJECT") is BAD, B35 */
		if (a->len == 7 && strncasecmp(a->str, "REVERSE", 7) == 0) {
			if (reverse)
				return -ERR_SYNTAX;
			reverse = true;
			continue;
		}
		for (j = 0; j < N_ELEMENTS(sort_keys); j++) {
			if (strlen(sort_keys[j].name) == a->len &&
			    strncasecmp(sort_keys[j].name, a->str, a->len) == 0)
				break;
		}
		if (j == N_ELEMENTS(sort_keys) ||
		    prog_r->count == IMAP_SORT_MAX_KEYS)
			return -ERR_SYNTAX;
		prog_r->keys[prog_r->count] = sort_keys[j].key;
		prog_r->reverse[prog_r->count] = reverse;
		prog_r->needs |= sort_keys[j].needs;
		prog_r->count++;
		reverse = false;
	}
	if (reverse || prog_r->count == 0)
		return -ERR_SYNTAX;	/* REVERSE must precede a key */
	*error_r = NULL;
	return 0;
}

static int
cmp_num(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

/* strings are imap_sort_key forms: upper-cased (i;ascii-casemap folds
 * to upper case, RFC 4790 9.2, so "_" sorts after "R"), compared by octet */
static int
casemap_cmp(const char *a, const char *b)
{
	return strcmp(a, b);
}

static int
cmp_key(const struct imap_sort_rec *a, const struct imap_sort_rec *b,
	enum imap_sort_key key)
{
	switch (key) {
	case IMAP_SORT_ARRIVAL:
		/* INTERNALDATE alone (RFC 5256 3): equal ones fall to the
		 * sequence number, ascending even under REVERSE */
		return cmp_num(a->arrival, b->arrival);
	case IMAP_SORT_CC:
		return casemap_cmp(a->cc, b->cc);
	case IMAP_SORT_DATE:
		return cmp_num(a->date, b->date);
	case IMAP_SORT_FROM:
		return casemap_cmp(a->from, b->from);
	case IMAP_SORT_SIZE:
		return a->size < b->size ? -1 : a->size > b->size;
	case IMAP_SORT_SUBJECT:
		return casemap_cmp(a->subject, b->subject);
	case IMAP_SORT_TO:
		return casemap_cmp(a->to, b->to);
	case IMAP_SORT_DISPLAYFROM:
		return casemap_cmp(a->dfrom, b->dfrom);
	case IMAP_SORT_DISPLAYTO:
		return casemap_cmp(a->dto, b->dto);
	}
	return 0;
}

static int
cmp_recs(const void *x, const void *y, void *ctx)
{
	const struct imap_sort_rec *a = x, *b = y;
	const struct imap_sort_program *prog = ctx;
	unsigned i;
	int c;

	for (i = 0; i < prog->count; i++) {
		c = cmp_key(a, b, prog->keys[i]);
		if (c != 0)
			return prog->reverse[i] ? -c : c;
	}
	return cmp_num(a->seq, b->seq);
}

void
imap_sort_records(struct imap_sort_rec *recs, size_t n,
		  const struct imap_sort_program *prog)
{
	qsort_r(recs, n, sizeof(*recs), cmp_recs, (void *)prog);
}
