/* Maildock - SPDX-License-Identifier: MIT
 *
 * SELECT and EXAMINE (RFC 3501 6.3.1-6.3.2) with the responses clients
 * cache by (FLAGS, PERMANENTFLAGS, EXISTS, RECENT, UNSEEN, UIDVALIDITY,
 * UIDNEXT) and MAILBOXID (RFC 8474), and STATUS (6.3.10) with SIZE (RFC
 * 8438) and MAILBOXID.
 */
#include <inttypes.h>
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "core/session.h"
#include "storage/store.h"
#include "storage/store-info.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "protocols/imap/imap-condstore.h"
#include "core/compat.h"

static int
select_untagged(struct imap_session *sess)
{
	struct store_mailbox *mb = sess->box;
	uint32_t unseen = store_mailbox_first_unseen(mb);
	int r;

	if ((r = imap_sync_send_flags(sess)) < 0)
		return r;
	sess->exists_sent = store_mailbox_count(mb);
	sess->recent_sent = store_mailbox_recent_count(mb);
	if (sess->readonly) {
		/* EXAMINE takes no \Recent but reports the unclaimed ones
		 * (RFC 3501 7.1) */
		struct store_status st;
		if (store_folder_status(sess->acl != NULL ? sess->acl->store :
					sess->store, sess->box_name, &st) == 0)
			sess->recent_sent = st.recent;
	}
	imap_reply_untagged(sess, "%u EXISTS", sess->exists_sent);
	imap_reply_untagged(sess, "%u RECENT", sess->recent_sent);
	if (unseen != 0)
		imap_reply_untagged(sess, "OK [UNSEEN %u] First unseen", unseen);
	imap_reply_untagged(sess, "OK [UIDVALIDITY %u] UIDs valid",
			    store_mailbox_uidvalidity(mb));
	return imap_reply_untagged(sess, "OK [UIDNEXT %u] Predicted next UID",
				   store_mailbox_uidnext(mb));
}

/* RFC 8474 4.1: SELECT and EXAMINE report the MAILBOXID; a folder whose
 * id cannot be made (read-only file system) is still selected */
static int
mailboxid_code(struct imap_session *sess, const struct imap_acl_box *ab)
{
	char id[STORE_OBJECTID_SIZE];

	if (store_folder_id(ab->store, ab->name, id, sizeof(id)) < 0)
		return 0;
	return imap_reply_untagged(sess, "OK [MAILBOXID (%s)] Ok", id);
}

int
imap_cmd_select(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;
	bool examine = strcmp(cmd->name, "EXAMINE") == 0;
	struct imap_select_params params;
	struct imap_acl_box ab;
	struct store_mailbox *mb;
	const char *name, *error;
	int r;

	memset(&params, 0, sizeof(params));
	if (cmd->argc == 2 &&
	    (r = imap_condstore_select_parse(cmd, &cmd->args[1], &params,
					     &error)) < 0)
		return r == -ERR_SYNTAX ?
		       imap_command_done(cmd, "BAD", "%s", error) : r;
	/* a new SELECT closes the current mailbox first, without expunging,
	 * and a failed one leaves none selected (RFC 3501 6.3.1); QRESYNC's
	 * CLOSED marks where its responses end (RFC 7162 3.2.11) */
	if (sess->box != NULL && IMAP_QRESYNC(sess) &&
	    (r = imap_reply_untagged(sess, "OK [CLOSED] Previous mailbox "
				     "closed")) < 0)
		return r;
	imap_session_unselect(sess);
	r = imap_session_mailbox_arg(cmd, &cmd->args[0], &name);
	if (r == -ERR_INVAL)
		return imap_command_done(cmd, "NO", "[CANNOT] Invalid mailbox "
					 "name");
	if (r < 0)
		return r;
	if ((r = imap_acl_require(cmd, name, STORE_ACL_READ, &ab)) < 0)
		return r;	/* ACL hook */
	r = store_mailbox_open(ab.store, ab.name, examine, &mb);
	if (r < 0)
		return imap_command_error(cmd, r);
	sess->box = mb;
	sess->box_arena = arena_new(64 * 1024);
	sess->box_name = arena_strdup(sess->box_arena, ab.name);
	sess->readonly = examine || store_mailbox_readonly(mb);
	sess->state = IMAP_ST_SELECTED;
	if ((r = imap_acl_selected(sess, &ab)) < 0)
		return r;
	if ((r = select_untagged(sess)) < 0 ||
	    (r = imap_acl_myrights_code(sess)) < 0 ||
	    (r = mailboxid_code(sess, &ab)) < 0 ||
	    (r = imap_condstore_select_reply(cmd, &params)) < 0)
		return r;
	return imap_command_done(cmd, "OK", "[%s] %s completed.",
				 sess->readonly ? "READ-ONLY" : "READ-WRITE",
				 examine ? "EXAMINE" : "SELECT");
}

/* items not in struct store_status */
#define STATUS_SIZE ((size_t)-1)
#define STATUS_MAILBOXID ((size_t)-2)

static const struct {
	const char *name;
	size_t offset;
} status_items[] = {
	{ "MESSAGES", offsetof(struct store_status, messages) },
	{ "RECENT", offsetof(struct store_status, recent) },
	{ "UIDNEXT", offsetof(struct store_status, uidnext) },
	{ "UIDVALIDITY", offsetof(struct store_status, uidvalidity) },
	{ "UNSEEN", offsetof(struct store_status, unseen) },
	{ "SIZE", STATUS_SIZE },		/* RFC 8438: 64 bits */
	{ "HIGHESTMODSEQ", offsetof(struct store_status, highestmodseq) },
	{ "MAILBOXID", STATUS_MAILBOXID },	/* RFC 8474 4.2 */
};

static int
item_index(const struct imap_arg *arg)
{
	for (size_t k = 0; k < N_ELEMENTS(status_items); k++)
		if (imap_arg_atom_eq(arg, status_items[k].name))
			return (int)k;
	return -1;
}

bool
imap_cmd_status_items_ok(const struct imap_arg *items, unsigned n)
{
	if (n == 0)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (item_index(&items[i]) < 0)
			return false;
	return true;
}

int
imap_cmd_status_write(struct imap_cmd *cmd, const char *name,
		      const struct imap_arg *items, unsigned n)
{
	struct store_status st;
	struct sbuf b;
	int r;

	struct imap_acl_box ab;	/* ACL hook: STATUS needs r */
	if ((r = imap_acl_resolve(cmd, name, &ab)) < 0)
		return r;
	if ((ab.rights & STORE_ACL_READ) == 0)
		return -ERR_PERM;
	r = store_folder_status(ab.store, ab.name, &st);
	if (r < 0)
		return r;
	sbuf_init(&b, cmd->arena, 8192);
	sbuf_appends(&b, "* STATUS ");
	if (imap_namespace_append(cmd->sess, &b, name) < 0)
		return -ERR_INVAL;
	sbuf_appends(&b, " (");
	for (unsigned i = 0; i < n; i++) {
		int k = item_index(&items[i]);
		uint64_t size;
		uint32_t v;

		sbuf_appendf(&b, "%s%s ", i ? " " : "", status_items[k].name);
		if (status_items[k].offset == STATUS_MAILBOXID) {
			char id[STORE_OBJECTID_SIZE];
			if ((r = store_folder_id(ab.store, ab.name, id,
						 sizeof(id))) < 0)
				return r;
			sbuf_appendf(&b, "(%s)", id);
			continue;
		}
		if (status_items[k].offset == STATUS_SIZE) {
			if ((r = store_folder_size(ab.store, ab.name,
						   &size)) < 0)
				return r;
			sbuf_appendf(&b, "%llu", (unsigned long long)size);
			continue;
		}
		if (status_items[k].offset ==
		    offsetof(struct store_status, highestmodseq)) {
			/* RFC 7162 3.1.6; a CONDSTORE-enabling item (3.1) */
			sbuf_appendf(&b, "%" PRIu64, st.highestmodseq);
			if ((r = imap_condstore_enable(cmd->sess,
					IMAP_ENABLED_CONDSTORE)) < 0)
				return -ERR_EOF;
			continue;
		}
		memcpy(&v, (const char *)&st + status_items[k].offset,
		       sizeof(v));
		sbuf_appendf(&b, "%u", v);
	}
	sbuf_appendc(&b, ')');
	r = imap_reply_line(cmd->sess, &b);
	return r < 0 ? -ERR_EOF : 0;
}

int
imap_cmd_status(struct imap_cmd *cmd)
{
	const struct imap_arg *items;
	const char *name;
	unsigned n;
	int r;

	if (!imap_arg_list(&cmd->args[1], &items, &n) || n == 0)
		return imap_cmd_bad_args(cmd);
	if (!imap_cmd_status_items_ok(items, n))
		return imap_command_done(cmd, "BAD", "Unknown STATUS item");
	r = imap_session_mailbox_arg(cmd, &cmd->args[0], &name);
	if (r == -ERR_INVAL)
		return imap_command_done(cmd, "NO", "[CANNOT] Invalid mailbox "
					 "name");
	if (r < 0)
		return r;
	r = imap_cmd_status_write(cmd, name, items, n);
	if (r == -ERR_EOF)
		return r;
	if (r < 0)
		return imap_command_error(cmd, r);
	return imap_command_done(cmd, "OK", "Status completed.");
}
