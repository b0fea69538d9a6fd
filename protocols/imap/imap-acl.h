/* Maildock - SPDX-License-Identifier: MIT
 *
 * ACL (RFC 4314) on the IMAP side: which store and folder a mailbox name
 * means (the user's own, or another user's under the other-users
 * namespace), the session user's rights on it, the checks the commands
 * call before acting, and the ACL commands (cmd-acl.c).
 *
 * Other users' namespace (RFC 2342 "Other Users"): "#shared." followed by
 * the owner's local part and the owner's folder, delimiter '.', e.g.
 * "#shared.alice.INBOX" or "#shared.alice.Projects.2026": the prefix of
 * Courier-IMAP's virtual shared folders ("#shared", courier-libs
 * imap/imapd.c NAMESPACE), placed in NAMESPACE's second part as Dovecot
 * places its "shared/%u/" namespace. Only users of the session user's own
 * domain appear there (hosting: tenants never see each other). A local
 * part that contains '.' is found by trying the split points in order.
 *
 * Private to protocols/imap/. Every function runs in the session thread.
 */
#ifndef IMAP_ACL_H
#define IMAP_ACL_H

#include <stdbool.h>
#include "core/sbuf.h"
#include "storage/store.h"
#include "storage/store-acl.h"
#include "protocols/imap/imap.h"

#define IMAP_ACL_NS	"#shared"	/* other users' namespace root */

/* What a mailbox name resolved to. */
struct imap_acl_box {
	struct store_user *store;	/* sess->store, or the owner's */
	const char *name;		/* folder name inside store (UTF-8) */
	const char *owner;		/* the owner's login */
	unsigned rights;		/* STORE_ACL_* of the session user */
	bool shared;			/* another user's folder */
	struct store_user **owned;	/* internal: the command's hold */
};

/* The selected mailbox's owner and rights (sess->acl, in box_arena).
 * sess->acl == NULL means the user's own mailbox with every right. */
struct imap_acl_sel {
	struct store_user *store;	/* the view's store */
	const char *owner;
	unsigned rights;
	struct store_user *opened;	/* closed when box_arena goes */
};

/* imap_acl_resolve: name (UTF-8, as from imap_session_mailbox_arg) to *b.
 * Another user's store is opened for the life of cmd->arena (or reused
 * from the selected mailbox). Returns 0, -ERR_NOTFOUND (no such user, or
 * the user may neither see nor read it: nothing is revealed),
 * -ERR_INVAL, -ERR_TEMP (user database down), -ERR_IO. */
int imap_acl_resolve(struct imap_cmd *cmd, const char *name,
		     struct imap_acl_box *b);

/* imap_acl_require: resolve name and check that the user has every right
 * in need (STORE_ACL_*). Returns 0 when allowed, else a negative error
 * with the command's answer set (NO [NOPERM] naming the missing rights,
 * NO [NONEXISTENT], ...: imap.h, handler results). Callers:
 *	if ((r = imap_acl_require(cmd, name, STORE_ACL_READ, &b)) < 0)
 *		return r;						*/
int imap_acl_require(struct imap_cmd *cmd, const char *name, unsigned need,
		     struct imap_acl_box *b);

/* imap_acl_require_create: like imap_acl_require for a folder to be
 * created (CREATE, RENAME's new name): k on its parent (INBOX for a
 * top-level folder). b->name is the new folder's name. */
int imap_acl_require_create(struct imap_cmd *cmd, const char *name,
			    struct imap_acl_box *b);

/* imap_acl_require_copy: COPY/MOVE destination name: i on it. *b as
 * imap_acl_require; *across_r tells that it is in another user's Maildir
 * than the selected mailbox (copy with store_copy_to then, the copied
 * flags filtered by imap_acl_flags_mask). Returns as imap_acl_require. */
int imap_acl_require_copy(struct imap_cmd *cmd, const char *name,
			  struct imap_acl_box *b, bool *across_r);

/* imap_acl_require_selected: the same check on the selected mailbox. */
int imap_acl_require_selected(struct imap_cmd *cmd, unsigned need);

/* imap_acl_selected: after SELECT/EXAMINE of b succeeded: remember owner
 * and rights in sess->acl and keep another user's store open until the
 * mailbox is closed; a user with none of s w i t e gets it READ-ONLY.
 * Call after sess->box_arena exists. 0 or -ERR_NOMEM. */
int imap_acl_selected(struct imap_session *sess, struct imap_acl_box *b);

/* imap_acl_may: whether the user has every right of need on the selected
 * mailbox (true when none is selected through imap_acl_selected). */
bool imap_acl_may(const struct imap_session *sess, unsigned need);

/* imap_acl_myrights_code: the "* OK [MYRIGHTS "..."] ACL" line of SELECT
 * (as Courier-IMAP sends it). Returns 0 or a write error. */
int imap_acl_myrights_code(struct imap_session *sess);

/* imap_acl_permanentflags: SELECT's "* OK [PERMANENTFLAGS (...)] Limited"
 * line into b, listing only the flags the user may change (\Seen: s,
 * \Deleted: t, the others, keywords and \*: w). */
void imap_acl_permanentflags(const struct imap_session *sess, struct sbuf *b,
			     const char *const *kw, unsigned nkw);

/* imap_acl_flags_mask: drop from a STORE/APPEND flag change what rights
 * do not allow (RFC 4314 4: \Seen needs s, \Deleted t, the other flags
 * and keywords w), silently, as Courier's acl_flags_adjust does. */
void imap_acl_flags_mask(unsigned rights, unsigned *flags, size_t *nkw);

/* imap_acl_set_flags: store_msg_set_flags on the selected mailbox with
 * the changes the user has no right for silently left out (RFC 4314 4;
 * Courier acl_flags_adjust): \Seen needs s, \Deleted t, the other flags
 * and keywords w; with FLAGS (...) those keep their current values.
 * unchangedsince as store_msg_set_flags_if: returns 1 when the message's
 * MODSEQ is above it (nothing changed). */
int imap_acl_set_flags(struct imap_session *sess, uint32_t seq,
		       uint64_t unchangedsince, enum store_flags_mode mode,
		       unsigned flags, const char *const *kw, size_t nkw);

/* imap_acl_rights: the user's rights on the selected mailbox. */
unsigned imap_acl_rights(const struct imap_session *sess);

/* imap_acl_list_shared: call fn(ctx, name, attrs) for the other users'
 * folders the user may see ('l'), named "#shared.<local>.<folder>", plus
 * their \Noselect parents "#shared" and "#shared.<local>". Owners come
 * from the user's owners index (store_acl_shared_note). Returns 0, fn's
 * non-zero value, or a negative error (an owner that cannot be read is
 * skipped). */
int imap_acl_list_shared(struct imap_cmd *cmd, store_folder_fn *fn,
			 void *ctx);

/* imap_acl_folder_list: store_folder_list of the user's own folders,
 * then (unless subscribed_only) imap_acl_list_shared; subscribed
 * "#shared." names get their owner folder's state (NONEXISTENT when it is
 * gone or no longer visible). Returns as store_folder_list. */
int imap_acl_folder_list(struct imap_cmd *cmd, bool subscribed_only,
			 store_folder_fn *fn, void *ctx);

/* imap_acl_lookup: another user's canonical login and Maildir from the
 * user database, in cmd->arena. Returns 0, -ERR_NOTFOUND, -ERR_INVAL,
 * -ERR_TEMP. */
int imap_acl_lookup(struct imap_cmd *cmd, const char *user,
		    const char **login_r, const char **maildir_r);

/* imap_acl_myrights_write: the "* MYRIGHTS name rights" line for name
 * (UTF-8), for LIST RETURN (MYRIGHTS) (RFC 8440 3). Returns 0,
 * -ERR_NOTFOUND (the user may not see the folder: nothing written), a
 * resolve error, or -ERR_EOF when the write failed. (cmd-acl.c) */
int imap_acl_myrights_write(struct imap_cmd *cmd, const char *name);

/* The ACL commands (cmd-acl.c), RFC 4314 3.1-3.5. */
int imap_cmd_setacl(struct imap_cmd *cmd);	/* SETACL and DELETEACL */
int imap_cmd_getacl(struct imap_cmd *cmd);
int imap_cmd_listrights(struct imap_cmd *cmd);
int imap_cmd_myrights(struct imap_cmd *cmd);

#endif
