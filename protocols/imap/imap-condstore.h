/* Maildock - SPDX-License-Identifier: MIT
 *
 * CONDSTORE and QRESYNC (RFC 7162) for the IMAP commands: enabling, the
 * HIGHESTMODSEQ code, mod-sequence arguments, untagged FETCH with UID and
 * MODSEQ, EXPUNGE or VANISHED, and SELECT/EXAMINE's (CONDSTORE) and
 * (QRESYNC (...)) parameters. Storage keeps the modseqs (store.h); this
 * module formats them. Private to protocols/imap/; every function is for
 * the session's own thread.
 */
#ifndef IMAP_CONDSTORE_H
#define IMAP_CONDSTORE_H

#include <stdint.h>
#include "core/compat.h"
#include "protocols/imap/imap-seqset.h"

struct imap_arg;
struct imap_cmd;
struct imap_session;

#define IMAP_ENABLED_CONDSTORE	(1u << 1)	/* RFC 7162 3.1 */
#define IMAP_ENABLED_QRESYNC	(1u << 2)	/* RFC 7162 3.2.3 */
#define IMAP_CONDSTORE(sess) (((sess)->enabled & IMAP_ENABLED_CONDSTORE) != 0)
#define IMAP_QRESYNC(sess) (((sess)->enabled & IMAP_ENABLED_QRESYNC) != 0)

/* imap_condstore_enable: turn on bits (IMAP_ENABLED_CONDSTORE, and
 * QRESYNC, which implies it); the first CONDSTORE-enabling command with a
 * mailbox selected sends "* OK [HIGHESTMODSEQ n]" (RFC 7162 3.1). Returns
 * 0 or a conn write error. */
int imap_condstore_enable(struct imap_session *sess, unsigned bits);

/* imap_condstore_parse_modseq: a mod-sequence-value argument (RFC 7162 7:
 * 1*DIGIT, at most 2^63-1) into *r; with nonzero, 0 is refused too
 * (CHANGEDSINCE, QRESYNC). Returns 0 or -ERR_SYNTAX. Pure. */
int imap_condstore_parse_modseq(const struct imap_arg *arg, bool nonzero,
				uint64_t *r);

/* imap_condstore_fetch_flags: "* <seq> FETCH (UID u FLAGS (...) MODSEQ
 * (m))" for message seq of the selected view, the untagged FETCH that
 * reports a flag change (RFC 3501 7.4.2); UID when with_uid or CONDSTORE
 * is on, MODSEQ when CONDSTORE is on (RFC 7162 3.1.4, 3.2). Returns 0,
 * or a conn write error. */
int imap_condstore_fetch_flags(struct imap_session *sess, uint32_t seq,
			       bool with_uid);

/* imap_condstore_expunged: report that message seq (UID uid) is gone:
 * "* <seq> EXPUNGE", or "* VANISHED <uid>" once QRESYNC is enabled
 * (RFC 7162 3.2.10); keeps the session's EXISTS count. */
void imap_condstore_expunged(struct imap_session *sess, uint32_t seq,
			     uint32_t uid);

/* What SELECT/EXAMINE's parameter list asked for (RFC 7162 3.1.8, 3.2.5). */
struct imap_select_params {
	bool condstore;
	bool qresync;
	uint32_t uidvalidity;
	uint64_t modseq;
	struct imap_seqset known;	/* known-uids; count 0 when absent */
	struct imap_seqset match_seqs;	/* seq-match-data; count 0 ... */
	struct imap_seqset match_uids;
};

/* imap_condstore_select_parse: the optional list argument of SELECT/EXAMINE
 * into *p (memory from cmd->arena). Returns 0; -ERR_SYNTAX (BAD, *error_r
 * a static text: unknown parameter, bad QRESYNC data, QRESYNC not
 * enabled); -ERR_LIMIT / -ERR_NOMEM. */
int imap_condstore_select_parse(struct imap_cmd *cmd,
				const struct imap_arg *arg,
				struct imap_select_params *p,
				const char **error_r);

/* imap_condstore_select_reply: after SELECT/EXAMINE's untagged responses:
 * "* OK [HIGHESTMODSEQ n]" when CONDSTORE is on, and for QRESYNC with a
 * matching UIDVALIDITY the VANISHED (EARLIER) and FETCH responses that
 * bring the client's cache up to date (RFC 7162 3.2.5). Returns 0, or a
 * conn write error or -ERR_LIMIT. */
int imap_condstore_select_reply(struct imap_cmd *cmd,
				const struct imap_select_params *p);

/* imap_condstore_vanished: "* VANISHED (EARLIER) <uids>" for the UIDs in
 * uids (a resolved UID set; NULL or empty for all) that were expunged with
 * a modseq above since (RFC 7162 3.2.6, UID FETCH ... VANISHED); UIDs at or
 * below above_uid are left out. Nothing when there are none. Returns 0, a
 * conn write error, or -ERR_LIMIT. */
int imap_condstore_vanished(struct imap_cmd *cmd, uint64_t since,
			    const struct imap_seqset *uids,
			    uint32_t above_uid);

#endif
