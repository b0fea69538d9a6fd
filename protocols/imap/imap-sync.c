/* Maildock - SPDX-License-Identifier: MIT
 *
 * The untagged updates of a selected mailbox (RFC 3501 7.3-7.4): EXPUNGE
 * (VANISHED with QRESYNC), EXISTS, RECENT, FETCH (FLAGS, with MODSEQ under
 * CONDSTORE) of other sessions' and processes' changes from
 * store_mailbox_sync, and FLAGS with PERMANENTFLAGS when the folder gained
 * keywords.
 */
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/store.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "protocols/imap/imap-search-update.h"
#include "protocols/imap/imap-condstore.h"
#include "core/compat.h"

/* untagged updates from store_mailbox_sync (removals: imap_cmd_expunged) */
static void
sync_exists(void *ctx, uint32_t count)
{
	struct imap_session *sess = ctx;

	imap_reply_untagged(sess, "%u EXISTS", count);
	sess->exists_sent = count;
}

static void
sync_flags(void *ctx, uint32_t seq)
{
	struct imap_session *sess = ctx;

	/* a keyword another session created reaches this client in FLAGS
	 * and PERMANENTFLAGS before any FETCH uses it (RFC 3501 7.2.6) */
	if (imap_sync_flags(sess) == 0)
		imap_condstore_fetch_flags(sess, seq, true);
}

static void
sync_recent(void *ctx, uint32_t count)
{
	struct imap_session *sess = ctx;

	if (count != sess->recent_sent)
		imap_reply_untagged(sess, "%u RECENT", count);
	sess->recent_sent = count;
}

int
imap_sync_send_flags(struct imap_session *sess)
{
	unsigned n;
	const char *const *kw = store_mailbox_keywords(sess->box, &n);
	struct sbuf b;
	int r;

	sbuf_init(&b, NULL, IMAP_REPLY_LINE_MAX);
	sbuf_appends(&b, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen "
		     "\\Draft");
	for (unsigned i = 0; i < n; i++) {
		sbuf_appendc(&b, ' ');
		sbuf_appends(&b, kw[i]);
	}
	sbuf_appendc(&b, ')');
	r = imap_reply_line(sess, &b);
	sbuf_reset(&b);
	if (sess->readonly)
		sbuf_appends(&b, "* OK [PERMANENTFLAGS ()] Read-only mailbox");
	else	/* ACL hook: only what the user may change */
		imap_acl_permanentflags(sess, &b, kw, n);
	if (r == 0)
		r = imap_reply_line(sess, &b);
	sbuf_free(&b);
	sess->keywords_sent = n;
	return r;
}

int
imap_sync_flags(struct imap_session *sess)
{
	unsigned nkw;

	if (sess->box == NULL)
		return 0;
	store_mailbox_keywords(sess->box, &nkw);
	return nkw > sess->keywords_sent ? imap_sync_send_flags(sess) : 0;
}

void
imap_sync_gone(struct imap_session *sess)
{
	/* the selected mailbox was deleted, renamed away, or replaced by a
	 * new one of that name, or renumbered (another UIDVALIDITY: its UIDs
	 * ran out, or an admin reset its UID list). RFC 3501 2.3.1.1 and
	 * RFC 9051 2.3.1.1: the UIDs of one UIDVALIDITY never name other
	 * messages, and no response unselects a mailbox (RFC 9051 7.1's
	 * CLOSED code only comes with a SELECT). Dovecot ends such a session
	 * ("Selected mailbox was deleted, have to disconnect", or "IMAP
	 * session state is inconsistent, please relogin."); so do we, rather
	 * than show the new folder's messages, or a folder emptied by
	 * EXPUNGEs, under the old UIDVALIDITY. */
	imap_session_bye(sess, "Selected mailbox was deleted or its "
			 "UIDVALIDITY changed, have to disconnect");
}

int
imap_sync_mailbox(struct imap_session *sess)
{
	static const struct store_sync_cb cb = {
		imap_cmd_expunged, sync_exists, sync_flags, sync_recent,
	};

	if (sess->state != IMAP_ST_SELECTED || sess->box == NULL)
		return 0;
	int r = store_mailbox_sync(sess->box, &cb, sess);
	if (r < 0)
		return r;
	if ((r = imap_sync_flags(sess)) < 0)
		return r;
	/* ADDTO/REMOVEFROM after EXISTS and FETCH (RFC 5267 4.3) */
	return imap_search_update_sync(sess);
}
