/* Maildock - SPDX-License-Identifier: MIT
 *
 * SEARCH programs (RFC 3501 section 6.4.4): the key parser, the program
 * tree, and its evaluation against one message. Independent of storage and
 * of the MIME parser: a message is seen through struct imap_search_msg,
 * whose text accessors cmd-search.c fills from store/ and mime/.
 */
#ifndef IMAP_SEARCH_H
#define IMAP_SEARCH_H

#include <stdint.h>
#include <time.h>
#include "core/compat.h"

struct arena;
struct store_mailbox;

/* Bounds on a program (STYLE C7): OR/NOT/list nesting and key count. A
 * deeper or larger program is refused with -ERR_LIMIT (answer BAD), never
 * parsed recursively past the bound. */
#define IMAP_SEARCH_MAX_DEPTH 64
#define IMAP_SEARCH_MAX_KEYS 2000
#define IMAP_SEARCH_MAX_RANGES 5000

/* Bytes the streaming matcher folds per pass; its buffer holds this plus
 * the needle length plus 4. */
#define IMAP_SEARCH_SUBSTR_CHUNK 8192

/* The charsets we accept, as they appear in NO [BADCHARSET (...)] */
#define IMAP_SEARCH_CHARSETS "UTF-8 US-ASCII"

/* One parsed command argument, as the IMAP parser hands them over. Atoms
 * and strings (quoted or literal) keep their bytes in str/len (not
 * NUL-terminated); a parenthesized list has its elements in list/count. */
enum imap_search_arg_type {
	IMAP_SEARCH_ARG_ATOM,
	IMAP_SEARCH_ARG_STRING,
	IMAP_SEARCH_ARG_LIST,
};

struct imap_search_arg {
	enum imap_search_arg_type type;
	const char *str;
	size_t len;
	const struct imap_search_arg *list;
	size_t count;
};

/* The needle is pure ASCII: a producer may hand over the bytes of a part
 * in an ASCII-compatible charset (UTF-8, ISO-8859-x, windows-125x,
 * KOI8-x) without converting them to UTF-8, since an ASCII string is
 * found in those bytes exactly where it is found in their conversion. */
#define IMAP_SEARCH_TEXT_ASCII (1u << 0)

/* Message flag bits the program tests (cmd-search maps store flags). */
#define IMAP_SEARCH_F_ANSWERED	(1u << 0)
#define IMAP_SEARCH_F_FLAGGED	(1u << 1)
#define IMAP_SEARCH_F_DELETED	(1u << 2)
#define IMAP_SEARCH_F_SEEN	(1u << 3)
#define IMAP_SEARCH_F_DRAFT	(1u << 4)
#define IMAP_SEARCH_F_RECENT	(1u << 5)

enum imap_search_type {
	IMAP_SEARCH_ALL,
	IMAP_SEARCH_AND,	/* every child */
	IMAP_SEARCH_OR,		/* two children */
	IMAP_SEARCH_NOT,	/* one child */
	IMAP_SEARCH_SEQSET,	/* ranges of sequence numbers */
	IMAP_SEARCH_UIDSET,	/* UID ranges */
	IMAP_SEARCH_FLAGS,	/* (flags & mask) == value */
	IMAP_SEARCH_KEYWORD,	/* str: the keyword is set */
	IMAP_SEARCH_BEFORE,	/* internal date, day < day */
	IMAP_SEARCH_ON,
	IMAP_SEARCH_SINCE,
	IMAP_SEARCH_SENTBEFORE,	/* Date: header, in its own zone */
	IMAP_SEARCH_SENTON,
	IMAP_SEARCH_SENTSINCE,
	IMAP_SEARCH_SAVEDBEFORE,	/* save date (RFC 8514 4), else */
	IMAP_SEARCH_SAVEDON,		/* the internal date */
	IMAP_SEARCH_SAVEDSINCE,
	IMAP_SEARCH_EMAILID,		/* str: RFC 8474 6 */
	IMAP_SEARCH_THREADID,
	IMAP_SEARCH_OLDER,	/* internal date >= size seconds ago */
	IMAP_SEARCH_YOUNGER,	/* internal date < size seconds ago
				   (RFC 5032) */
	IMAP_SEARCH_LARGER,	/* RFC822.SIZE > size */
	IMAP_SEARCH_SMALLER,	/* RFC822.SIZE < size */
	IMAP_SEARCH_HEADER,	/* field contains str (FROM, TO, ... too) */
	IMAP_SEARCH_BODY,	/* decoded body text contains str */
	IMAP_SEARCH_TEXT,	/* header or body contains str */
	IMAP_SEARCH_MODSEQ,	/* MODSEQ >= size (RFC 7162 3.1.5) */
};

/* A range lo:hi of numbers; 0 stands for "*" (resolved when matching). */
struct imap_search_range {
	uint32_t lo, hi;
};

struct imap_search_key {
	enum imap_search_type type;
	unsigned cost;			/* 0 cheap (flags) .. 3 body text */
	struct imap_search_key **children;	/* AND, OR, NOT */
	size_t count;
	unsigned mask, value;		/* FLAGS */
	const char *field;		/* HEADER: field name, NUL-terminated */
	const char *str;		/* folded needle (UTF-8) or keyword */
	size_t str_len;
	int32_t day;			/* date keys: days since 1970-01-01 */
	uint64_t size;			/* LARGER / SMALLER */
	struct imap_search_range *ranges;	/* SEQSET / UIDSET */
	size_t range_count;
};

/* A text callback: called with consecutive chunks of one text; a call with
 * p == NULL ends one text (the next chunk starts a new one, so a match never
 * spans two header fields or two body parts). Returns 1 to stop the
 * producer early (found), 0 to go on. */
typedef int imap_search_chunk_fn(void *fctx, const char *p, size_t n);

/* What the program may ask of a message beyond the cheap fields. Each
 * producer returns 0 (done, or stopped by fn), -ERR_NOTFOUND when the
 * message vanished (it then does not match), or another negative error. */
struct imap_search_msg_ops {
	/* every field called name (case-insensitive), value unfolded and
	 * decoded (RFC 2047) to UTF-8, one text per field */
	int (*header)(void *ctx, const char *name, imap_search_chunk_fn *fn,
		      void *fctx);
	/* the decoded text (transfer encoding, charset to UTF-8) of every
	 * body part, not the headers; one text per part. flags: see
	 * IMAP_SEARCH_TEXT_ASCII. */
	int (*body)(void *ctx, unsigned flags, imap_search_chunk_fn *fn,
		    void *fctx);
	/* the whole header (decoded) then the body as for body() */
	int (*text)(void *ctx, unsigned flags, imap_search_chunk_fn *fn,
		    void *fctx);
};

struct imap_search_msg {
	uint32_t seq, uid;
	uint32_t max_seq, max_uid;	/* what "*" stands for */
	unsigned flags;			/* IMAP_SEARCH_F_* */
	const char *const *keywords;
	size_t keyword_count;
	time_t internal_date;		/* compared in server local time */
	time_t save_date;		/* RFC 8514; 0 when not known */
	const char *email_id, *thread_id;	/* RFC 8474, when asked */
	uint64_t size;			/* RFC822.SIZE (CRLF form) */
	uint64_t modseq;		/* RFC 7162 MODSEQ */
	const struct imap_search_msg_ops *ops;
	void *ctx;
};

/* imap_search_charset_ok: whether the CHARSET name (len bytes) is one we
 * search in (UTF-8, US-ASCII; case-insensitive). Pure. */
bool imap_search_charset_ok(const char *name, size_t len);

/* imap_search_parse: parse "[CHARSET astring] 1*search-key" from args
 * (the SEARCH command's arguments, after any ESEARCH RETURN option).
 * charset, when not NULL, is the charset given elsewhere (SORT/THREAD)
 * and args hold the keys only. On success *prog_r is one key (an AND of
 * the top-level keys) allocated in arena and 0 is returned. Errors:
 *   -ERR_SYNTAX  bad key or argument (BAD); *error_r says which
 *   -ERR_LIMIT   deeper than IMAP_SEARCH_MAX_DEPTH or more keys than
 *                IMAP_SEARCH_MAX_KEYS, or the arena cap (BAD)
 *   -ERR_INVAL   unknown charset (NO [BADCHARSET (UTF-8 US-ASCII)])
 * *error_r is a static English text. Thread-safe (the arena is not). */
int imap_search_parse(struct arena *arena, const struct imap_search_arg *args,
		      size_t count, const char *charset,
		      struct imap_search_key **prog_r, const char **error_r);

/* imap_search_match: evaluate prog on msg. Returns 1 (matches), 0 (does
 * not, including a message that vanished) or a negative error from the
 * msg's producers. Cheap keys are tried before text keys. Reentrant: prog
 * is not modified; recursion is bounded by IMAP_SEARCH_MAX_DEPTH. */
int imap_search_match(const struct imap_search_key *prog,
		      const struct imap_search_msg *msg);

/* imap_search_box: run prog over every message of the view box, without
 * a session and without the search index (maildock-admin fetch/expunge);
 * *seqs_r (in arena a) gets the matching sequence numbers, ascending, *n_r
 * their count. Messages whose file vanished do not match. Returns 0,
 * -ERR_LIMIT (arena cap) or a storage error. Not thread-safe on one box.
 * (imap-search-cmd.c) */
int imap_search_box(struct store_mailbox *box, struct arena *a,
		    const struct imap_search_key *prog, uint32_t **seqs_r,
		    uint32_t *n_r);

/* imap_search_has_modseq: whether prog has a MODSEQ key (SEARCH then
 * reports the highest MODSEQ of the matches, RFC 7162 3.1.5). Pure. */
bool imap_search_has_modseq(const struct imap_search_key *prog);

/* imap_search_fold: i;unicode-casemap-like case folding of UTF-8: simple
 * case folding of ASCII, Latin-1, Latin Extended-A and Additional, Greek,
 * Cyrillic, Armenian and fullwidth Latin; other bytes (and invalid UTF-8)
 * are copied. The output is never longer than the input: out must hold
 * len bytes. Returns the output length. *consumed_r (may be NULL) gets the
 * input bytes used: less than len only when the input ends inside a UTF-8
 * sequence and partial is true (the caller keeps the tail for the next
 * chunk). Pure, thread-safe. */
size_t imap_search_fold(const char *in, size_t len, char *out, bool partial,
			size_t *consumed_r);

/* Streaming case-insensitive substring matcher over chunked text. */
struct imap_search_substr {
	const char *needle;	/* folded */
	size_t needle_len;
	char *buf;		/* carry + folded chunk, from the arena */
	size_t buf_size;
	size_t carry;		/* folded bytes kept from the last chunk */
	char raw[4];		/* incomplete UTF-8 tail of the last chunk */
	size_t raw_len;
	bool found;
};

/* imap_search_substr_init: a matcher for the already folded needle.
 * Returns 0 or -ERR_LIMIT (arena cap). */
int imap_search_substr_init(struct imap_search_substr *m, struct arena *a,
			    const char *needle, size_t needle_len);

/* imap_search_substr_feed: feed one chunk (p == NULL ends a text and
 * resets the carry). Returns 1 once the needle was seen, else 0. Chunks of
 * any size are accepted (processed in pieces). Not thread-safe per m. */
int imap_search_substr_feed(struct imap_search_substr *m, const char *p,
			    size_t n);

/* imap_search_date_parse: an RFC 3501 "date" (d-Mon-yyyy, 1 or 2 digit
 * day, month name case-insensitive) into days since 1970-01-01.
 * Returns 0 or -ERR_SYNTAX. Pure. */
int imap_search_date_parse(const char *s, size_t len, int32_t *day_r);

/* imap_search_date_rfc5322_full: an RFC 5322 3.3 date-time ("[Mon, ]1 Jan
 * 2024 10:00[:00] +0000", CFWS allowed between tokens, 2/3-digit years and
 * obsolete zones of 4.3) into the calendar day in the date's own zone,
 * the seconds since midnight of that day and the zone offset in minutes.
 * Stricter than "anything with a day in it", as Dovecot is: a day-name
 * needs its comma, the time must be valid and end at white space (so
 * "00:01+0000" or "10:00:t" are refused); trailing text after the zone is
 * ignored. Returns 0 or -ERR_SYNTAX. Pure. */
int imap_search_date_rfc5322_full(const char *s, size_t len, int32_t *day_r,
				  int *secs_r, int *zone_r);

/* imap_search_date_rfc5322: the day part of the above (SENT* keys). */
int imap_search_date_rfc5322(const char *s, size_t len, int32_t *day_r);

/* imap_search_day_local: the day (since 1970-01-01) that t falls on in
 * the server's local time zone. Thread-safe (localtime_r). */
int32_t imap_search_day_local(time_t t);

/* imap_search_days_from_civil: days since 1970-01-01 of y-m-d (month
 * 1..12). Pure. */
int32_t imap_search_days_from_civil(int y, unsigned m, unsigned d);

#endif
