/* Maildock - SPDX-License-Identifier: MIT
 *
 * Evaluating a SEARCH program on one message. Cheap fields come from struct
 * imap_search_msg; text keys pull header values and decoded body text
 * through its producers and stop them at the first hit.
 */
#include <strings.h>
#include <time.h>
#include "core/arena.h"
#include "core/error.h"
#include "protocols/imap/imap-search.h"
#include "core/compat.h"

/* Matching keeps its scratch memory on the stack: one matcher with a
 * buffer for an 8 KiB pass plus the needle. Needles longer than this are
 * compared in a heap buffer. */
#define MATCH_STACK_NEEDLE 1024

struct text_match {
	struct imap_search_substr m;
	int32_t day;		/* SENT*: the parsed day */
	bool have_day;
};

static bool
in_ranges(const struct imap_search_key *k, uint32_t n, uint32_t max)
{
	size_t i;

	for (i = 0; i < k->range_count; i++) {
		uint32_t lo = k->ranges[i].lo ? k->ranges[i].lo : max;
		uint32_t hi = k->ranges[i].hi ? k->ranges[i].hi : max;

		if (lo > hi) {
			uint32_t t = lo;

			lo = hi;
			hi = t;
		}
		if (n >= lo && n <= hi)
			return true;
	}
	return false;
}

static bool
has_keyword(const struct imap_search_msg *msg, const char *kw, size_t len)
{
	size_t i;

	for (i = 0; i < msg->keyword_count; i++) {
		if (strlen(msg->keywords[i]) == len &&
		    strncasecmp(msg->keywords[i], kw, len) == 0)
			return true;
	}
	return false;
}

static int
feed_cb(void *fctx, const char *p, size_t n)
{
	struct text_match *tm = fctx;

	return imap_search_substr_feed(&tm->m, p, n);
}

/* the Date: value arrives as one text; only the first field counts */
static int
date_cb(void *fctx, const char *p, size_t n)
{
	struct text_match *tm = fctx;

	if (p == NULL || tm->have_day)
		return tm->have_day;
	if (imap_search_date_rfc5322(p, n, &tm->day) == 0)
		tm->have_day = true;
	return 1;
}

static unsigned
ascii_flag(const struct imap_search_key *k)
{
	size_t i;

	for (i = 0; i < k->str_len; i++)
		if ((unsigned char)k->str[i] >= 0x80)
			return 0;
	return IMAP_SEARCH_TEXT_ASCII;
}

static int
match_text(const struct imap_search_key *k, const struct imap_search_msg *msg)
{
	struct text_match tm;
	struct arena *a = NULL;
	char stack[MATCH_STACK_NEEDLE + 4 + IMAP_SEARCH_SUBSTR_CHUNK];
	int ret;

	memset(&tm, 0, sizeof(tm));
	tm.m.needle = k->str;
	tm.m.needle_len = k->str_len;
	if (k->str_len <= MATCH_STACK_NEEDLE) {
		tm.m.buf = stack;
		tm.m.buf_size = sizeof(stack);
	} else {
		a = arena_new(0);
		if (imap_search_substr_init(&tm.m, a, k->str, k->str_len) < 0) {
			arena_free(&a);
			return -ERR_LIMIT;
		}
	}
	if (msg->ops == NULL)
		ret = 0;
	else if (k->type == IMAP_SEARCH_HEADER)
		ret = msg->ops->header(msg->ctx, k->field, feed_cb, &tm);
	else if (k->type == IMAP_SEARCH_BODY)
		ret = msg->ops->body(msg->ctx, ascii_flag(k), feed_cb, &tm);
	else
		ret = msg->ops->text(msg->ctx, ascii_flag(k), feed_cb, &tm);
	arena_free(&a);
	if (ret == -ERR_NOTFOUND)
		return 0;
	if (ret < 0)
		return ret;
	return tm.m.found ? 1 : 0;
}

static int
match_sent(const struct imap_search_key *k, const struct imap_search_msg *msg)
{
	struct text_match tm;
	int ret;

	memset(&tm, 0, sizeof(tm));
	if (msg->ops == NULL)
		return 0;
	ret = msg->ops->header(msg->ctx, "Date", date_cb, &tm);
	if (ret == -ERR_NOTFOUND)
		return 0;
	if (ret < 0)
		return ret;
	if (!tm.have_day) {
		/* no usable Date: RFC 3501 says nothing; Dovecot takes the
		 * epoch (1-Jan-1970), so such mail is "sent before" any
		 * date, and we answer the same */
		tm.day = 0;
	}
	switch (k->type) {
	case IMAP_SEARCH_SENTBEFORE:
		return tm.day < k->day;
	case IMAP_SEARCH_SENTON:
		return tm.day == k->day;
	default:
		return tm.day >= k->day;
	}
}

/* RFC 8514 4: a message without a save date is searched by its internal
 * date */
static int
match_saved(const struct imap_search_key *k, const struct imap_search_msg *msg)
{
	int32_t day = imap_search_day_local(msg->save_date != 0 ?
					    msg->save_date :
					    msg->internal_date);

	if (k->type == IMAP_SEARCH_SAVEDBEFORE)
		return day < k->day;
	return k->type == IMAP_SEARCH_SAVEDON ? day == k->day : day >= k->day;
}

static int
match_key(const struct imap_search_key *k, const struct imap_search_msg *msg)
{
	size_t i;
	int ret;

	switch (k->type) {
	case IMAP_SEARCH_ALL:
		return 1;
	case IMAP_SEARCH_AND:
		for (i = 0; i < k->count; i++) {
			if ((ret = match_key(k->children[i], msg)) != 1)
				return ret;
		}
		return 1;
	case IMAP_SEARCH_OR:
		for (i = 0; i < k->count; i++) {
			if ((ret = match_key(k->children[i], msg)) != 0)
				return ret;
		}
		return 0;
	case IMAP_SEARCH_NOT:
		ret = match_key(k->children[0], msg);
		return ret < 0 ? ret : !ret;
	case IMAP_SEARCH_SEQSET:
		return in_ranges(k, msg->seq, msg->max_seq);
	case IMAP_SEARCH_UIDSET:
		return in_ranges(k, msg->uid, msg->max_uid);
	case IMAP_SEARCH_FLAGS:
		return (msg->flags & k->mask) == k->value;
	case IMAP_SEARCH_KEYWORD:
		return has_keyword(msg, k->str, k->str_len);
	case IMAP_SEARCH_BEFORE:
		return imap_search_day_local(msg->internal_date) < k->day;
	case IMAP_SEARCH_ON:
		return imap_search_day_local(msg->internal_date) == k->day;
	case IMAP_SEARCH_SINCE:
		return imap_search_day_local(msg->internal_date) >= k->day;
	case IMAP_SEARCH_SENTBEFORE:
	case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE:
		return match_sent(k, msg);
	case IMAP_SEARCH_SAVEDBEFORE:
	case IMAP_SEARCH_SAVEDON:
	case IMAP_SEARCH_SAVEDSINCE:
		return match_saved(k, msg);
	case IMAP_SEARCH_EMAILID:	/* ids are case-sensitive (RFC 8474 7) */
		return msg->email_id != NULL && strcmp(msg->email_id,
						       k->str) == 0;
	case IMAP_SEARCH_THREADID:
		return msg->thread_id != NULL && strcmp(msg->thread_id,
							k->str) == 0;
	case IMAP_SEARCH_OLDER:
	case IMAP_SEARCH_YOUNGER:
		/* RFC 5032 3: the interval counts back from now, in
		 * seconds; YOUNGER n is NOT OLDER n */
		return ((int64_t)time(NULL) - (int64_t)msg->internal_date >=
			(int64_t)k->size) == (k->type == IMAP_SEARCH_OLDER);
	case IMAP_SEARCH_LARGER:
		return msg->size > k->size;
	case IMAP_SEARCH_SMALLER:
		return msg->size < k->size;
	case IMAP_SEARCH_MODSEQ:
		return msg->modseq >= k->size;
	case IMAP_SEARCH_HEADER:
	case IMAP_SEARCH_BODY:
	case IMAP_SEARCH_TEXT:
		return match_text(k, msg);
	}
	return 0;
}

int
imap_search_match(const struct imap_search_key *prog,
		  const struct imap_search_msg *msg)
{
	return match_key(prog, msg);
}

bool
imap_search_has_modseq(const struct imap_search_key *prog)
{
	if (prog->type == IMAP_SEARCH_MODSEQ)
		return true;
	for (size_t i = 0; i < prog->count; i++)
		if (imap_search_has_modseq(prog->children[i]))
			return true;
	return false;
}

bool
imap_search_needs_text(const struct imap_search_key *prog)
{
	return prog->cost >= 2;
}
