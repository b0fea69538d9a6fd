/* Maildock - SPDX-License-Identifier: MIT
 *
 * COPY and UID COPY (RFC 3501 6.4.7), MOVE and UID MOVE (RFC 6851), with
 * COPYUID (RFC 4315 3: destination UIDVALIDITY, source and destination
 * UID sets in matching order) and TRYCREATE for a missing target.
 */
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/store.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "protocols/imap/imap-condstore.h"
#include "core/compat.h"

struct moved {
	uint32_t *seqs;		/* seq, uid pairs */
	uint32_t n, max;
};

static void
moved_one(void *ctx, uint32_t seq, uint32_t uid)
{
	struct moved *m = ctx;

	if (m->n < m->max) {
		m->seqs[2 * m->n] = seq;
		m->seqs[2 * m->n++ + 1] = uid;
	}
}

/* copyuid: "COPYUID v src dst" for the messages actually copied */
static char *
copyuid(struct imap_cmd *cmd, const uint32_t *src, uint32_t *dst, uint32_t n,
	uint32_t uidv)
{
	uint32_t *s2 = arena_alloc(cmd->arena, (n + 1) * sizeof(*s2));
	uint32_t k = 0;
	struct sbuf b;

	if (s2 == NULL)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		if (dst[i] == 0)
			continue;
		s2[k] = src[i];
		dst[k++] = dst[i];
	}
	if (k == 0)
		return NULL;
	sbuf_init(&b, cmd->arena, 0);
	sbuf_appendf(&b, "[COPYUID %u ", uidv);
	imap_seqset_append_uids(&b, s2, k);
	sbuf_appendc(&b, ' ');
	imap_seqset_append_uids(&b, dst, k);
	sbuf_appends(&b, "] ");
	return sbuf_failed(&b) ? NULL : b.data;
}

int
imap_cmd_copy(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;
	bool move = strcmp(cmd->name, "MOVE") == 0;
	uint32_t *seqs, nseq, *src, *dst, uidv = 0;
	struct moved mv = { 0 };
	struct imap_acl_box ab;
	bool across;
	const char *name, *code;
	int r;

	r = imap_session_seqs(cmd, &cmd->args[0], &seqs, &nseq);
	if (r == -ERR_SYNTAX)
		return imap_command_done(cmd, "BAD", "Invalid sequence set");
	if (r < 0)
		return r;
	r = imap_session_mailbox_arg(cmd, &cmd->args[1], &name);
	if (r == -ERR_INVAL)
		return imap_command_done(cmd, "NO", "[CANNOT] Invalid mailbox "
					 "name");
	if (r < 0)
		return r;
	if (move && sess->readonly)
		return imap_command_done(cmd, "NO", "[CANNOT] Mailbox is "
					 "read-only");
	if ((move && (r = imap_acl_require_selected(cmd, STORE_ACL_DELMSG |
						    STORE_ACL_EXPUNGE)) < 0) ||
	    (r = imap_acl_require_copy(cmd, name, &ab, &across)) < 0)
		return r;	/* ACL hook: i; t e */
	name = ab.name;
	if (nseq == 0)
		return imap_command_done(cmd, "OK", "%s completed.",
					 move ? "Move" : "Copy");
	src = arena_alloc(cmd->arena, nseq * sizeof(*src));
	dst = arena_alloc(cmd->arena, nseq * sizeof(*dst));
	mv.seqs = arena_alloc(cmd->arena, 2 * nseq * sizeof(*mv.seqs));
	if (src == NULL || dst == NULL || mv.seqs == NULL)
		return -ERR_NOMEM;
	mv.max = nseq;
	for (uint32_t i = 0; i < nseq; i++)
		src[i] = store_msg_get(sess->box, seqs[i])->uid;
	if (across) {	/* ACL hook: into another user's Maildir */
		struct store_copy_dest d = { ab.store, name,
					     STORE_FLAGS_PERMANENT, true };
		size_t nkw = 1;

		/* the flags the rights there allow (RFC 4314 4) */
		imap_acl_flags_mask(ab.rights, &d.keep_flags, &nkw);
		d.keep_keywords = nkw != 0;
		r = store_copy_to(sess->box, seqs, nseq, &d, move, &uidv, dst,
				  moved_one, &mv);
	} else if (move)
		r = store_move(sess->box, seqs, nseq, name, &uidv, dst,
			       moved_one, &mv);
	else
		r = store_copy(sess->box, seqs, nseq, name, &uidv, dst);
	if (r == -ERR_NOTFOUND)
		return imap_command_done(cmd, "NO", "[TRYCREATE] No such "
					 "mailbox");
	if (r < 0)
		return imap_command_error(cmd, r);
	code = copyuid(cmd, src, dst, nseq, uidv);
	if (!move)
		return imap_command_done(cmd, "OK", "%sCopy completed.",
					 code != NULL ? code : "");
	/* RFC 6851 4.3: COPYUID in an untagged OK before the EXPUNGEs */
	if (code != NULL) {
		struct sbuf b;
		sbuf_init(&b, cmd->arena, IMAP_REPLY_LINE_MAX);
		sbuf_appendf(&b, "* OK %sMoved", code);
		if ((r = imap_reply_line(sess, &b)) < 0 && r != -ERR_LIMIT)
			return r;
	}
	for (uint32_t i = 0; i < mv.n; i++)
		imap_condstore_expunged(sess, mv.seqs[2 * i],
					mv.seqs[2 * i + 1]);
	return imap_command_done(cmd, "OK", "Move completed.");
}
