/* Maildock - SPDX-License-Identifier: MIT
 *
 * CONDSTORE and QRESYNC (RFC 7162) for the IMAP commands: what ENABLE and
 * the CONDSTORE-enabling commands turn on, the HIGHESTMODSEQ code, the
 * untagged FETCH and VANISHED formats, and SELECT/EXAMINE's parameters
 * with QRESYNC's resynchronisation. The modseqs come from storage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/store.h"
#include "protocols/imap/imap.h"
#include "protocols/imap/imap-commands.h"
#include "protocols/imap/imap-condstore.h"
#include "core/compat.h"

int
imap_condstore_enable(struct imap_session *sess, unsigned bits)
{
	if (bits & IMAP_ENABLED_QRESYNC)
		bits |= IMAP_ENABLED_CONDSTORE;
	sess->enabled |= bits;
	if (sess->state != IMAP_ST_SELECTED || sess->box == NULL ||
	    sess->highestmodseq_sent || !IMAP_CONDSTORE(sess))
		return 0;
	sess->highestmodseq_sent = true;
	uint64_t high = store_mailbox_highestmodseq(sess->box);
	if (high == 0)	/* the folder's modseq log cannot be kept */
		return imap_reply_untagged(sess, "OK [NOMODSEQ] No permanent "
					   "modsequences");	/* 3.1.2.2 */
	return imap_reply_untagged(sess, "OK [HIGHESTMODSEQ %" PRIu64 "] "
				   "Highest", high);
}

int
imap_condstore_parse_modseq(const struct imap_arg *arg, bool nonzero,
			    uint64_t *r)
{
	const char *s;
	uint64_t v = 0;

	if (!imap_arg_atom(arg, &s) || *s == '\0')
		return -ERR_SYNTAX;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
			return -ERR_SYNTAX;	/* 63 bits, RFC 7162 7 */
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (nonzero && v == 0)
		return -ERR_SYNTAX;
	*r = v;
	return 0;
}

int
imap_condstore_fetch_flags(struct imap_session *sess, uint32_t seq,
			   bool with_uid)
{
	const struct store_msg *m = store_msg_get(sess->box, seq);
	struct sbuf b;
	int r;

	if (m == NULL)
		return 0;
	sbuf_init(&b, NULL, IMAP_REPLY_LINE_MAX);	/* 1024 keywords */
	sbuf_appendf(&b, "* %u FETCH (", seq);
	if (with_uid || IMAP_CONDSTORE(sess))
		sbuf_appendf(&b, "UID %u ", m->uid);
	sbuf_appends(&b, "FLAGS ");
	imap_reply_append_flags(&b, sess->box, m);
	if (IMAP_CONDSTORE(sess))
		sbuf_appendf(&b, " MODSEQ (%" PRIu64 ")", m->modseq);
	sbuf_appendc(&b, ')');
	r = imap_reply_line(sess, &b);
	sbuf_free(&b);
	return r;
}

void
imap_condstore_expunged(struct imap_session *sess, uint32_t seq, uint32_t uid)
{
	if (IMAP_QRESYNC(sess))
		imap_reply_untagged(sess, "VANISHED %u", uid);
	else
		imap_reply_untagged(sess, "%u EXPUNGE", seq);
	if (sess->exists_sent > 0)
		sess->exists_sent--;
}

/* uid_set: a UID set argument without "*" (RFC 7162 known-uids) */
static int
uid_set(struct imap_cmd *cmd, const struct imap_arg *arg,
	struct imap_seqset *set)
{
	const char *s;
	int r;

	if (!imap_arg_atom(arg, &s) || strchr(s, '*') != NULL)
		return -ERR_SYNTAX;
	if ((r = imap_seqset_parse(cmd->arena, s, set)) < 0)
		return r;
	return imap_seqset_resolve(set, UINT32_MAX, false) < 0 ?
	       -ERR_SYNTAX : 0;
}

static uint64_t
set_size(const struct imap_seqset *set)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < set->count; i++)
		n += (uint64_t)set->ranges[i].hi - set->ranges[i].lo + 1;
	return n;
}

static int
parse_qresync(struct imap_cmd *cmd, const struct imap_arg *arg,
	      struct imap_select_params *p, const char **error_r)
{
	const struct imap_arg *l, *m;
	const char *s;
	unsigned n, mn;
	char *end;
	int r;

	*error_r = "Invalid QRESYNC parameters";
	if (!IMAP_QRESYNC(cmd->sess)) {
		*error_r = "QRESYNC is not enabled";	/* RFC 7162 3.2.5 */
		return -ERR_SYNTAX;
	}
	if (!imap_arg_list(arg, &l, &n) || n < 2 || n > 4 ||
	    !imap_arg_atom(&l[0], &s) || *s < '1' || *s > '9')
		return -ERR_SYNTAX;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || v > UINT32_MAX ||
	    imap_condstore_parse_modseq(&l[1], false, &p->modseq) < 0)
		return -ERR_SYNTAX;
	p->uidvalidity = (uint32_t)v;
	p->qresync = true;
	if (n >= 3 && l[2].type != IMAP_ARG_LIST &&
	    (r = uid_set(cmd, &l[2], &p->known)) < 0)
		return r;
	if (n == 4 || (n == 3 && l[2].type == IMAP_ARG_LIST)) {
		/* seq-match-data: as many sequence numbers as UIDs */
		if (!imap_arg_list(&l[n - 1], &m, &mn) || mn != 2 ||
		    uid_set(cmd, &m[0], &p->match_seqs) < 0 ||
		    uid_set(cmd, &m[1], &p->match_uids) < 0 ||
		    set_size(&p->match_seqs) != set_size(&p->match_uids))
			return -ERR_SYNTAX;
	}
	return 0;
}

int
imap_condstore_select_parse(struct imap_cmd *cmd, const struct imap_arg *arg,
			    struct imap_select_params *p, const char **error_r)
{
	const struct imap_arg *l;
	unsigned n;

	memset(p, 0, sizeof(*p));
	*error_r = "Invalid SELECT parameters";
	if (!imap_arg_list(arg, &l, &n))
		return -ERR_SYNTAX;
	for (unsigned i = 0; i < n; i++) {
		if (imap_arg_atom_eq(&l[i], "CONDSTORE")) {
			p->condstore = true;
		} else if (imap_arg_atom_eq(&l[i], "QRESYNC") && i + 1 < n) {
			int r = parse_qresync(cmd, &l[++i], p, error_r);
			if (r < 0)
				return r;
		} else
			return -ERR_SYNTAX;
	}
	return 0;
}

/* matched_uid: the highest UID of the seq-match-data that still has its
 * sequence number: no message at or below it was expunged since (UIDs
 * only grow), so VANISHED need not name any (RFC 7162 3.2.5.2). */
static uint32_t
matched_uid(struct imap_session *sess, const struct imap_select_params *p)
{
	uint32_t best = 0;
	unsigned si = 0, ui = 0;
	uint32_t s, u;

	if (p->match_seqs.count == 0)
		return 0;
	s = p->match_seqs.ranges[0].lo;
	u = p->match_uids.ranges[0].lo;
	/* sequence numbers ascend: past the view's count nothing matches
	 * (and a client's 1:4294967295 costs no more than the view) */
	for (uint32_t count = store_mailbox_count(sess->box); s <= count;) {
		const struct store_msg *m = store_msg_get(sess->box, s);
		if (m != NULL && m->uid == u)
			best = u;
		if (s++ == p->match_seqs.ranges[si].hi) {
			if (++si == p->match_seqs.count)
				break;
			s = p->match_seqs.ranges[si].lo;
		}
		if (u++ == p->match_uids.ranges[ui].hi) {
			if (++ui == p->match_uids.count)
				break;
			u = p->match_uids.ranges[ui].lo;
		}
	}
	return best;
}

int
imap_condstore_vanished(struct imap_cmd *cmd, uint64_t since,
			const struct imap_seqset *uids, uint32_t above_uid)
{
	struct store_uid_range *rg;
	const char *sep = "";
	size_t n;
	struct sbuf b;
	int r;

	r = store_mailbox_vanished(cmd->sess->box, since, cmd->arena, &rg, &n);
	if (r < 0)
		return r;
	sbuf_init(&b, cmd->arena, 0);
	sbuf_appends(&b, "* VANISHED (EARLIER) ");
	size_t start = b.len;
	for (size_t i = 0; i < n; i++) {
		uint32_t lo = rg[i].first > above_uid ? rg[i].first :
			      above_uid + 1;
		for (uint32_t u = lo; u <= rg[i].last && u >= lo; u++) {
			if (uids != NULL && uids->count > 0 &&
			    !imap_seqset_contains(uids, u))
				continue;
			/* extend a run while the next UID follows */
			uint32_t hi = u;
			while (hi < rg[i].last && (uids == NULL ||
			       uids->count == 0 ||
			       imap_seqset_contains(uids, hi + 1)))
				hi++;
			if (hi == u)
				sbuf_appendf(&b, "%s%u", sep, u);
			else
				sbuf_appendf(&b, "%s%u:%u", sep, u, hi);
			sep = ",";
			if (hi == UINT32_MAX)
				break;
			u = hi;
		}
	}
	if (b.len == start)
		return 0;
	return imap_reply_line(cmd->sess, &b);
}

int
imap_condstore_select_reply(struct imap_cmd *cmd,
			    const struct imap_select_params *p)
{
	struct imap_session *sess = cmd->sess;
	struct store_mailbox *box = sess->box;
	int r;

	if (p->condstore)
		sess->enabled |= IMAP_ENABLED_CONDSTORE;
	sess->highestmodseq_sent = false;
	if ((r = imap_condstore_enable(sess, 0)) < 0)
		return r;
	if (!p->qresync || p->uidvalidity != store_mailbox_uidvalidity(box))
		return 0;
	/* RFC 7162 3.2.5.1: expunges the client missed, then the flags of
	 * every message changed since its modseq */
	r = imap_condstore_vanished(cmd, p->modseq, &p->known,
				    matched_uid(sess, p));
	for (uint32_t seq = 1; r == 0 && seq <= store_mailbox_count(box);
	     seq++)
		if (store_msg_get(box, seq)->modseq > p->modseq)
			r = imap_condstore_fetch_flags(sess, seq, true);
	return r;
}
