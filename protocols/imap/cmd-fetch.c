/* Maildock - SPDX-License-Identifier: MIT
 *
 * FETCH and UID FETCH (RFC 3501 6.4.5, 6.4.8), with CONDSTORE/QRESYNC
 * modifiers CHANGEDSINCE and VANISHED (RFC 7162). Each message is handled in
 * a scratch arena of its own; its file is mapped and parsed only when an
 * item needs it. A message whose file another session or process removed
 * is left out and the command ends NO [EXPUNGEISSUED] (RFC 2180 4.1.3,
 * RFC 5530), while the others are answered; no EXPUNGE is ever sent
 * during FETCH (RFC 3501 7.4.1): the view is not synced here.
 */
#include "core/arena.h"
#include "core/error.h"
#include "core/conn.h"
#include "core/session.h"
#include "storage/store.h"
#include "storage/store-info.h"
#include "storage/store-mail.h"
#include "storage/mime/mime.h"
#include "protocols/imap/imap.h"
#include "protocols/imap/imap-condstore.h"
#include "protocols/imap/imap-fetch.h"
#include "core/compat.h"

/* Memory one message's parse and filtered sections may take. */
#define FETCH_MSG_MEMORY (64u * 1024 * 1024)

static int
fetch_prepare(struct imap_cmd *cmd, struct arena *scratch,
	      const struct imap_fetch_items *items, bool set_seen,
	      uint32_t seq, struct imap_fetch_msg *m)
{
	struct store_mailbox *box = cmd->sess->box;
	struct mime_message *mime = NULL;
	struct store_mail *mail;
	int ret;

	memset(m, 0, sizeof(*m));
	m->seq = seq;
	if ((m->msg = store_msg_get(box, seq)) == NULL)
		return -ERR_NOTFOUND;
	if ((items->items & IMAP_FETCH_INTERNALDATE) &&
	    (ret = store_msg_internal_date(box, seq, &m->internal_date)) < 0)
		return ret;
	if ((items->items & IMAP_FETCH_RFC822_SIZE) &&
	    (ret = store_msg_size(box, seq, &m->size)) < 0)
		return ret;
	if ((items->items & IMAP_FETCH_SAVEDATE) &&
	    (ret = store_msg_save_date(box, seq, &m->save_date)) < 0)
		return ret;
	if ((items->items & (IMAP_FETCH_EMAILID | IMAP_FETCH_THREADID)) &&
	    (ret = store_msg_object_ids(box, seq, scratch, m->email_id,
					m->thread_id)) < 0)
		return ret;
	if (items->needs_file) {
		/* ENVELOPE, BODY and BODYSTRUCTURE alone come from the
		 * folder's cache (no file read); sections and PREVIEW need
		 * the bytes (PREVIEW: the cached tree with the file) */
		if (items->nsections == 0)
			ret = store_msg_parsed(box, seq, scratch,
					       items->needs_text, &mime);
		else if ((mail = store_mail_open(box, seq, scratch)) == NULL)
			ret = -ERR_LIMIT;
		else if (items->header_only)
			ret = store_mail_header(mail, &mime);
		else
			ret = store_mail_message(mail, &mime);
		if (ret < 0)
			return ret;
		m->mime = mime;
	}
	if (set_seen && (m->msg->flags & STORE_FLAG_SEEN) == 0) {
		/* RFC 3501 6.4.5: BODY[...] sets \Seen; the FETCH answer then
		 * carries the new FLAGS (7.4.2) */
		ret = store_msg_set_flags(box, seq, STORE_FLAGS_ADD,
					  STORE_FLAG_SEEN, NULL, 0);
		if (ret < 0 && ret != -ERR_PERM)
			return ret;
		m->msg = store_msg_get(box, seq);
		if (m->msg == NULL)
			return -ERR_NOTFOUND;
		m->add_flags = true;
	}
	return 0;
}

static bool
conn_ok(struct imap_session *sess)
{
	/* write errors are sticky on the conn (core/conn.h) */
	return conn_write(sess->conn, "", 0) == 0;
}

struct fetch_result {
	unsigned vanished;	/* expunged by someone else */
	unsigned failed;	/* unreadable */
	unsigned too_large;	/* answer over IMAP_REPLY_LINE_MAX or memory */
	unsigned unknown_cte;	/* BINARY of an unknown encoding */
};

static int
fetch_all(struct imap_cmd *cmd, const struct imap_fetch_items *items,
	  const uint32_t *seqs, uint32_t n, struct fetch_result *res)
{
	struct imap_session *sess = cmd->sess;
	bool set_seen = items->sets_seen && imap_session_writable(sess);
	struct arena *scratch = arena_new(FETCH_MSG_MEMORY);
	struct imap_fetch_msg m;
	uint32_t i;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < n; i++) {
		ret = fetch_prepare(cmd, scratch, items, set_seen, seqs[i], &m);
		if (ret == -ERR_NOTFOUND) {
			res->vanished++;
		} else if (ret == -ERR_LIMIT) {
			res->too_large++;
		} else if (ret < 0) {
			slog_warn(sess->s, "fetch seq=%u failed: %s", seqs[i],
				  err_str(ret));
			res->failed++;
		} else {
			ret = imap_fetch_write(sess, scratch, items, &m);
			if (ret == -ERR_LIMIT && conn_ok(sess)) {
				res->too_large++;
			} else if (ret == -ERR_CORRUPT) {
				res->unknown_cte++;
			} else if (ret < 0) {
				/* the stream may stop inside a literal: the
				 * session cannot go on */
				arena_free(&scratch);
				return ret < 0 && conn_ok(sess) ? -ERR_IO : ret;
			}
		}
		arena_reset(scratch);
	}
	arena_free(&scratch);
	return 0;
}

/* modifiers: FETCH's "(CHANGEDSINCE <modseq> [VANISHED])" (RFC 7162
 * 3.1.4.1, 3.2.6); *since_r 0 without CHANGEDSINCE. VANISHED needs UID
 * FETCH, CHANGEDSINCE and QRESYNC enabled, else BAD. */
static int
modifiers(struct imap_cmd *cmd, uint64_t *since_r, bool *vanished_r,
	  const char **error_r)
{
	const struct imap_arg *l;
	unsigned n;

	*since_r = 0;
	*vanished_r = false;
	*error_r = "Invalid FETCH modifiers";
	if (cmd->argc == 2)
		return 0;
	if (!imap_arg_list(&cmd->args[2], &l, &n))
		return -ERR_SYNTAX;
	for (unsigned i = 0; i < n; i++) {
		if (imap_arg_atom_eq(&l[i], "CHANGEDSINCE") && i + 1 < n &&
		    *since_r == 0) {
			if (imap_condstore_parse_modseq(&l[++i], true,
							since_r) < 0)
				return -ERR_SYNTAX;
		} else if (imap_arg_atom_eq(&l[i], "VANISHED") &&
			   !*vanished_r) {
			*vanished_r = true;
		} else
			return -ERR_SYNTAX;
	}
	if (*vanished_r && (!cmd->uid || *since_r == 0 ||
			    !IMAP_QRESYNC(cmd->sess))) {
		*error_r = "VANISHED needs UID FETCH, CHANGEDSINCE and "
			   "ENABLE QRESYNC";
		return -ERR_SYNTAX;
	}
	return 0;
}

/* changed_since: keep the messages whose MODSEQ is above since; before
 * them, with VANISHED, the UIDs of the set expunged since (RFC 7162
 * 3.2.6) */
static int
changed_since(struct imap_cmd *cmd, uint64_t since, bool vanished,
	      uint32_t *seqs, uint32_t *n)
{
	struct store_mailbox *box = cmd->sess->box;
	struct imap_seqset set;
	uint32_t k = 0, count = store_mailbox_count(box);
	const char *s;
	int r;

	if (vanished) {
		if (!imap_arg_atom(&cmd->args[0], &s) ||
		    imap_seqset_parse(cmd->arena, s, &set) < 0 ||
		    imap_seqset_resolve(&set, count > 0 ? store_msg_get(
					box, count)->uid : 0, false) < 0)
			return -ERR_SYNTAX;
		if ((r = imap_condstore_vanished(cmd, since, &set, 0)) < 0)
			return r;
	}
	for (uint32_t i = 0; i < *n; i++)
		if (store_msg_get(box, seqs[i])->modseq > since)
			seqs[k++] = seqs[i];
	*n = k;
	return 0;
}

int
imap_cmd_fetch(struct imap_cmd *cmd)
{
	struct imap_fetch_items items;
	struct fetch_result res;
	const char *error;
	uint32_t *seqs, n;
	uint64_t since;
	bool vanished;
	int ret;

	ret = imap_fetch_parse(cmd->arena, &cmd->args[1], cmd->uid, &items,
			       &error);
	if (ret < 0)
		return imap_command_done(cmd, "BAD", "%s", error);
	if (modifiers(cmd, &since, &vanished, &error) < 0)
		return imap_command_done(cmd, "BAD", "%s", error);
	ret = imap_session_seqs(cmd, &cmd->args[0], &seqs, &n);
	if (ret == -ERR_SYNTAX)
		return imap_command_done(cmd, "BAD", "Invalid sequence set");
	if (ret < 0)
		return ret;
	if (since > 0)
		items.items |= IMAP_FETCH_MODSEQ;	/* RFC 7162 3.1.4.1 */
	if ((items.items & IMAP_FETCH_MODSEQ) &&
	    (ret = imap_condstore_enable(cmd->sess,
					 IMAP_ENABLED_CONDSTORE)) < 0)
		return ret;
	if (since > 0 &&
	    (ret = changed_since(cmd, since, vanished, seqs, &n)) < 0)
		return ret == -ERR_SYNTAX ? imap_command_done(cmd, "BAD",
					"Invalid sequence set") : ret;
	if ((ret = fetch_all(cmd, &items, seqs, n, &res)) < 0)
		return ret;
	if (res.unknown_cte > 0)
		return imap_command_done(cmd, "NO", "[UNKNOWN-CTE] Cannot "
					 "decode the content transfer encoding "
					 "(RFC 3516)");
	if (res.failed > 0)
		return imap_command_done(cmd, "NO", "[SERVERBUG] Some of the "
					 "requested messages could not be "
					 "read");
	if (res.too_large > 0)
		return imap_command_done(cmd, "NO", "[LIMIT] Some of the "
					 "requested messages are too large to "
					 "answer this way");
	if (res.vanished > 0)
		return imap_command_done(cmd, "NO", "[EXPUNGEISSUED] Some of "
					 "the requested messages no longer "
					 "exist (RFC 2180 4.1.3)");
	return imap_command_done(cmd, "OK", "Fetch completed.");
}
