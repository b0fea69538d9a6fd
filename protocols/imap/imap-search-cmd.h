/* Maildock - SPDX-License-Identifier: MIT
 *
 * What SEARCH, SORT and THREAD share: turning the command's arguments into
 * a search program, running it over the selected view, and reading a
 * message's parsed form lazily (private to protocols/imap).
 */
#ifndef IMAP_SEARCH_CMD_H
#define IMAP_SEARCH_CMD_H

#include <stdint.h>
#include "core/compat.h"

struct arena;
struct imap_arg;
struct imap_cmd;
struct imap_search_key;

/* ESEARCH result options (RFC 4731 3.1), also ESORT's (RFC 5267 3) */
#define IMAP_ESEARCH_MIN	(1u << 0)
#define IMAP_ESEARCH_MAX	(1u << 1)
#define IMAP_ESEARCH_ALL	(1u << 2)
#define IMAP_ESEARCH_COUNT	(1u << 3)
#define IMAP_ESEARCH_PARTIAL	(1u << 4)	/* RFC 9394 */
#define IMAP_ESEARCH_SAVE	(1u << 5)	/* RFC 5182 SEARCHRES */
#define IMAP_ESEARCH_UPDATE	(1u << 6)	/* RFC 5267 4.3, SEARCH only */

/* PARTIAL's window: positions lo..hi (1-based, lo <= hi) of the answer
 * list, counted from its end when from_end ("-1:-100", the last 100). */
struct imap_esearch_partial {
	uint32_t lo, hi;
	bool from_end;
};

/* imap_cmd_search_return_parse: the list after RETURN into IMAP_ESEARCH_*
 * bits in *ret_r and PARTIAL's range in *partial_r; "()" means ALL, and
 * so does a list of only UPDATE and the CONTEXT hint (RFC 5267 4.2,
 * which is accepted and ignored). Returns 0 or -ERR_SYNTAX (unknown or
 * malformed option, a range mixing signs or with 0, PARTIAL with ALL,
 * UPDATE twice). (cmd-search.c) */
int imap_cmd_search_return_parse(const struct imap_arg *arg, unsigned *ret_r,
				 struct imap_esearch_partial *partial_r);

/* imap_cmd_search_esearch_write: "* ESEARCH (TAG "t") [UID] ..." for the
 * n ids in their answer order: ascending for SEARCH, the sort order for
 * SORT, where MIN and MAX are the first and last sorted (RFC 5267 3.2)
 * and ALL keeps that order; " MODSEQ m" when modseq > 0 (RFC 7162
 * 3.1.10). Returns as imap_reply_line. (cmd-search.c) */
int imap_cmd_search_esearch_write(struct imap_cmd *cmd, unsigned opts,
				  const struct imap_esearch_partial *partial,
				  const uint32_t *ids, uint32_t n,
				  uint64_t modseq);

/* imap_search_cmd_program_in: as imap_search_cmd_program, but the
 * program and every string it holds live in arena a (which may outlive
 * the command: SEARCH RETURN (UPDATE) keeps its program). */
int imap_search_cmd_program_in(struct imap_cmd *cmd, struct arena *a,
			       const struct imap_arg *args, unsigned argc,
			       const char *charset,
			       struct imap_search_key **prog_r,
			       const char **error_r);

/* imap_search_cmd_match: evaluate prog on message seq of box, with
 * scratch (reset before returning) for the message's parse. Returns 1
 * (matches), 0 (does not, or vanished) or a negative storage error. */
int imap_search_cmd_match(struct store_mailbox *box,
			  const struct imap_search_key *prog,
			  struct arena *scratch, uint32_t seq);

/* imap_search_cmd_program: parse args[0..argc) (after SORT's/THREAD's
 * charset, which is passed as charset; NULL for SEARCH, whose optional
 * CHARSET comes first in args) into *prog_r in cmd->arena. Returns 0 or
 * the error of imap_search_parse (-ERR_SYNTAX, -ERR_LIMIT, -ERR_INVAL)
 * with *error_r a static text. */
int imap_search_cmd_program(struct imap_cmd *cmd, const struct imap_arg *args,
			    unsigned argc, const char *charset,
			    struct imap_search_key **prog_r,
			    const char **error_r);

/* imap_search_cmd_convert: the command parser's arguments in[0..n) as
 * search-parser arguments (lists converted too), in arena a. Returns 0,
 * -ERR_SYNTAX (a streamed literal) or -ERR_LIMIT. */
struct imap_search_arg;
int imap_search_cmd_convert(struct arena *a, const struct imap_arg *in,
			    unsigned n, struct imap_search_arg **out_r);

/* imap_search_cmd_parse_error: send the tagged reply for a failed
 * imap_search_cmd_program: BAD with the text, or for -ERR_INVAL
 * NO [BADCHARSET (UTF-8 US-ASCII)] (RFC 3501 6.4.4, 7.1). */
int imap_search_cmd_parse_error(struct imap_cmd *cmd, int err,
				const char *error);

/* imap_search_cmd_run_seqs: run prog over every message of the selected
 * view; *seqs_r (in cmd->arena) gets the matching sequence numbers,
 * ascending, *n_r their count. imap_search_cmd_run: the same, but *ids_r
 * holds UIDs when cmd->uid. Messages whose file vanished do not match.
 * Returns 0, -ERR_LIMIT (arena cap) or another negative error of the
 * storage layer. */
int imap_search_cmd_run_seqs(struct imap_cmd *cmd,
			     const struct imap_search_key *prog,
			     uint32_t **seqs_r, uint32_t *n_r);
int imap_search_cmd_run(struct imap_cmd *cmd,
			const struct imap_search_key *prog,
			uint32_t **ids_r, uint32_t *n_r);

/* imap_search_cmd_run_error: the tagged NO for a failed run. */
int imap_search_cmd_run_error(struct imap_cmd *cmd, int err);

#endif
