/* Maildock - SPDX-License-Identifier: MIT
 *
 * STORE and UID STORE (RFC 3501 6.4.6): FLAGS, +FLAGS, -FLAGS and their
 * .SILENT forms, keywords, the untagged FETCH (FLAGS) answers, the
 * UNCHANGEDSINCE modifier with [MODIFIED] (RFC 7162 3.1.3); and the
 * flag-list parser shared with APPEND.
 *
 * Messages another session expunged (still counted by this view until its
 * next sync point) are skipped: no FETCH for them and a tagged OK, as
 * Dovecot answers. RFC 2180 4.2.1 asks for OK with .SILENT; without it
 * 4.2.2/4.2.3 suggest NO, but a NO makes clients treat the whole STORE
 * (often "+FLAGS (\Deleted)" before EXPUNGE) as failed, while the message
 * it named is gone anyway and the EXPUNGE reaches the client at its next
 * sync point. doc/expunged-messages.md has the choice for FETCH, COPY and
 * SEARCH too.
 */
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/store.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "protocols/imap/imap-condstore.h"
#include "core/compat.h"

static const struct {
	const char *name;
	unsigned bit;
} sysflags[] = {
	{ "\\Answered", STORE_FLAG_ANSWERED },
	{ "\\Deleted", STORE_FLAG_DELETED },
	{ "\\Draft", STORE_FLAG_DRAFT },
	{ "\\Flagged", STORE_FLAG_FLAGGED },
	{ "\\Seen", STORE_FLAG_SEEN },
};

/* keyword_ok: flag-keyword = atom (RFC 3501 9); no resp-specials */
static bool
keyword_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > STORE_KEYWORD_MAXLEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

int
imap_cmd_store_flags(struct imap_cmd *cmd, const struct imap_arg *list,
		     unsigned n, unsigned *flags_r, const char ***kw_r,
		     size_t *nkw_r)
{
	const char **kw = arena_alloc(cmd->arena, (n + 1) * sizeof(*kw));
	size_t nkw = 0;

	*flags_r = 0;
	if (kw == NULL)
		return -ERR_NOMEM;
	for (unsigned i = 0; i < n; i++) {
		const char *s;
		size_t k;

		/* "NIL" is an atom here: a keyword (RFC 3501 9, flag-keyword) */
		if (!imap_arg_atom(&list[i], &s))
			return -ERR_SYNTAX;
		if (s[0] != '\\') {
			if (!keyword_ok(s))
				return -ERR_SYNTAX;
			kw[nkw++] = s;
			continue;
		}
		for (k = 0; k < N_ELEMENTS(sysflags); k++)
			if (strcasecmp(s, sysflags[k].name) == 0)
				break;
		/* \Recent and unknown system flags cannot be set
		 * (RFC 3501 2.3.2) */
		if (k == N_ELEMENTS(sysflags))
			return -ERR_SYNTAX;
		*flags_r |= sysflags[k].bit;
	}
	*kw_r = kw;
	*nkw_r = nkw;
	return 0;
}

static int
parse_item(const char *item, enum store_flags_mode *mode_r, bool *silent_r)
{
	*mode_r = STORE_FLAGS_SET;
	if (*item == '+') {
		*mode_r = STORE_FLAGS_ADD;
		item++;
	} else if (*item == '-') {
		*mode_r = STORE_FLAGS_REMOVE;
		item++;
	}
	*silent_r = strcasecmp(item, "FLAGS.SILENT") == 0;
	return *silent_r || strcasecmp(item, "FLAGS") == 0 ? 0 : -ERR_SYNTAX;
}

static int
report(struct imap_cmd *cmd, const uint32_t *seqs, uint32_t n,
       const bool *modified)
{
	struct imap_session *sess = cmd->sess;
	int r = imap_sync_flags(sess);

	for (uint32_t i = 0; i < n && r == 0; i++)
		/* no FETCH claiming flags of a message another session
		 * expunged (RFC 2180 4.2), nor of one UNCHANGEDSINCE kept */
		if (!modified[i] && !store_msg_expunged(sess->box, seqs[i]))
			r = imap_condstore_fetch_flags(sess, seqs[i],
						       cmd->uid);
	return r;
}

/* unchangedsince: STORE's optional "(UNCHANGEDSINCE <modseq>)" (RFC 7162
 * 3.1.3), a CONDSTORE-enabling modifier; STORE_MODSEQ_ANY without it */
static int
unchangedsince(struct imap_cmd *cmd, const struct imap_arg **args,
	       uint64_t *r)
{
	const struct imap_arg *l;
	unsigned n;

	*r = STORE_MODSEQ_ANY;
	if (cmd->argc < 4)
		return 0;
	if (!imap_arg_list(&cmd->args[1], &l, &n) || n != 2 ||
	    !imap_arg_atom_eq(&l[0], "UNCHANGEDSINCE") ||
	    imap_condstore_parse_modseq(&l[1], false, r) < 0)
		return -ERR_SYNTAX;
	*args = &cmd->args[2];
	return imap_condstore_enable(cmd->sess, IMAP_ENABLED_CONDSTORE);
}

/* tagged: OK, with [MODIFIED set] naming what UNCHANGEDSINCE kept */
static int
tagged(struct imap_cmd *cmd, const uint32_t *seqs, uint32_t n,
       const bool *modified)
{
	uint32_t *ids = arena_alloc(cmd->arena, (n + 1) * sizeof(*ids));
	uint32_t k = 0;
	struct sbuf b;

	if (ids == NULL)
		return -ERR_NOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (modified[i])
			ids[k++] = cmd->uid ?
				   store_msg_get(cmd->sess->box, seqs[i])->uid :
				   seqs[i];
	if (k == 0)
		return imap_command_done(cmd, "OK", "Store completed.");
	sbuf_init(&b, cmd->arena, 0);
	imap_seqset_append_uids(&b, ids, k);
	return imap_command_done(cmd, "OK", "[MODIFIED %s] Conditional "
				 "store failed", b.data);
}

int
imap_cmd_store(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;
	const struct imap_arg *args = &cmd->args[1], *list;
	enum store_flags_mode mode;
	const char *item, **kw;
	unsigned n = 1, flags;
	uint32_t *seqs, nseq;
	uint64_t since;
	size_t nkw;
	bool silent, *modified;
	int r;

	if ((r = unchangedsince(cmd, &args, &since)) < 0)
		return r == -ERR_SYNTAX ? imap_cmd_bad_args(cmd) : r;
	if (!imap_arg_atom(&args[0], &item) ||
	    parse_item(item, &mode, &silent) < 0)
		return imap_cmd_bad_args(cmd);
	list = &args[1];
	if (args[1].type == IMAP_ARG_LIST)
		imap_arg_list(&args[1], &list, &n);
	if (imap_cmd_store_flags(cmd, list, n, &flags, &kw, &nkw) < 0)
		return imap_command_done(cmd, "BAD", "Invalid flags");
	r = imap_session_seqs(cmd, &cmd->args[0], &seqs, &nseq);
	if (r == -ERR_SYNTAX)
		return imap_command_done(cmd, "BAD", "Invalid sequence set");
	if (r < 0)
		return r;
	/* nothing changes in an EXAMINEd mailbox (RFC 3501 6.3.2) */
	if (sess->readonly)
		return imap_command_done(cmd, "NO", "[CANNOT] Mailbox is "
					 "read-only");
	if ((modified = arena_alloc(cmd->arena, nseq + 1)) == NULL)
		return -ERR_NOMEM;
	for (uint32_t i = 0; i < nseq; i++) {
		r = imap_acl_set_flags(sess, seqs[i], since, mode, flags, kw,
				       nkw);	/* ACL hook: s w t */
		if (r < 0)
			return imap_command_error(cmd, r);
		modified[i] = r > 0;
	}
	r = silent ? imap_sync_flags(sess) :
		     report(cmd, seqs, nseq, modified);
	if (r < 0)
		return r;
	return tagged(cmd, seqs, nseq, modified);
}
