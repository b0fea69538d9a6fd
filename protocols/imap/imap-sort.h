/* Maildock - SPDX-License-Identifier: MIT
 *
 * SORT and THREAD (RFC 5256, RFC 5957 DISPLAYFROM/DISPLAYTO): base subject
 * extraction, sent-date parsing, the sort program and the sorting and
 * threading of per-message records. Independent of storage: the command
 * files (cmd-sort.c, cmd-thread.c) fill the records.
 */
#ifndef IMAP_SORT_H
#define IMAP_SORT_H

#include <stdint.h>
#include <time.h>
#include "core/compat.h"

struct arena;
struct sbuf;
struct imap_cmd;
struct imap_search_arg;

/* The SORT and THREAD handlers (cmd-sort.c), for the command table:
 * "SORT (criteria) charset search-keys", "THREAD algorithm charset
 * search-keys" (RFC 5256 4); UID SORT / UID THREAD by cmd->uid. State
 * SELECTED. Return as imap_cmd_fn (imap.h). */
int imap_cmd_sort(struct imap_cmd *cmd);
int imap_cmd_thread(struct imap_cmd *cmd);

/* imap_sort_base_subject: the base subject of RFC 5256 section 2.1 of a
 * subject already decoded to UTF-8 (RFC 2047 words undone): white space
 * runs made one space, "(fwd)" trailers, "Re:"/"Fwd:"/"Fw:" leaders with
 * their [blob]s, leading [blob]s and "[fwd: ...]" wrappers removed. The
 * result (NUL-terminated, in arena) keeps its case: compare it with
 * i;ascii-casemap (strcasecmp). *is_reply_r (may be NULL) tells whether a
 * reply/forward marker was removed (RFC 5256 5.C). NULL on arena cap. */
char *imap_sort_base_subject(struct arena *a, const char *s, size_t len,
			     bool *is_reply_r);

/* imap_sort_key: the comparison form of a sort string (RFC 5256 uses
 * i;ascii-casemap; Dovecot compares an i;unicode-casemap form): ASCII
 * letters upper-cased, Latin-1 letters decomposed into their base letter
 * (upper-cased) and combining mark (U+0300...), other bytes kept; so
 * "Dörte" sorts with "DO...". Compare keys with strcmp. In arena;
 * NULL on arena cap. */
char *imap_sort_key(struct arena *a, const char *s, size_t len);

/* imap_sort_date_parse: an RFC 5322 date-time (tolerant, RFC 5322 4.3
 * obsolete zones and years; missing seconds or time allowed) as seconds
 * since the epoch in UTC. Returns 0 or -ERR_SYNTAX. Pure. */
int imap_sort_date_parse(const char *s, size_t len, int64_t *t_r);

/* Sort criteria (RFC 5256 3, RFC 5957). */
enum imap_sort_key {
	IMAP_SORT_ARRIVAL,
	IMAP_SORT_CC,
	IMAP_SORT_DATE,
	IMAP_SORT_FROM,
	IMAP_SORT_SIZE,
	IMAP_SORT_SUBJECT,
	IMAP_SORT_TO,
	IMAP_SORT_DISPLAYFROM,
	IMAP_SORT_DISPLAYTO,
};

#define IMAP_SORT_MAX_KEYS 16

struct imap_sort_program {
	enum imap_sort_key keys[IMAP_SORT_MAX_KEYS];
	bool reverse[IMAP_SORT_MAX_KEYS];
	unsigned count;
	unsigned needs;		/* IMAP_SORT_NEED_* */
};

/* what the records must carry for a program */
#define IMAP_SORT_NEED_ARRIVAL	(1u << 0)
#define IMAP_SORT_NEED_SIZE	(1u << 1)
#define IMAP_SORT_NEED_ENVELOPE	(1u << 2)	/* date, addresses, subject */

/* imap_sort_program_parse: the sort-criteria list of SORT (a list of
 * atoms; quoted keys are refused, B35). Returns 0 or -ERR_SYNTAX with
 * *error_r a static text. Pure. */
int imap_sort_program_parse(const struct imap_search_arg *list,
			    struct imap_sort_program *prog_r,
			    const char **error_r);

/* One message as SORT and THREAD see it. Strings are NUL-terminated, ""
 * when absent; subject and the address strings are imap_sort_key forms;
 * message ids without their angle brackets. */
struct imap_sort_rec {
	uint32_t seq, uid;
	int64_t arrival;		/* INTERNALDATE */
	int64_t date;			/* sent date (Date:, else arrival) */
	uint64_t size;
	const char *subject;		/* base subject */
	bool is_reply;
	const char *from, *to, *cc;	/* addr-mailbox of the first address */
	const char *dfrom, *dto;	/* RFC 5957 display forms */
	const char *message_id;
	const char *const *refs;	/* References, else In-Reply-To */
	unsigned nrefs;
};

/* imap_sort_records: sort recs[0..n) in place by prog; ties by sequence
 * number (RFC 5256 3). Not reentrant on the same array. */
void imap_sort_records(struct imap_sort_rec *recs, size_t n,
		       const struct imap_sort_program *prog);

enum imap_thread_alg {
	IMAP_THREAD_ORDEREDSUBJECT,
	IMAP_THREAD_REFERENCES,
	IMAP_THREAD_REFS,	/* REFERENCES without subject merging, threads
				   by their latest message (Dovecot) */
};

/* imap_thread_build: thread recs[0..n) (in sequence order) with alg and
 * append the RFC 5256 thread list "(1)(3 2)..." to b, numbering messages by
 * UID when uid, else by sequence number. Memory for the tree comes from a
 * (linear in n plus the number of message ids). Returns 0 or -ERR_LIMIT
 * (arena cap; or b full). No recursion: any message count and depth. */
int imap_thread_build(struct arena *a, const struct imap_sort_rec *recs,
		      size_t n, enum imap_thread_alg alg, bool uid,
		      struct sbuf *b);

#endif
