/* Maildock - SPDX-License-Identifier: MIT
 *
 * Mailbox names to (store, folder, rights) for the ACL checks of every
 * command, the other-users namespace "#shared.<user>.<folder>" (see
 * imap-acl.h), and the listing of what other users shared.
 */
#include <strings.h>
#include "core/arena.h"
#include "core/auth.h"
#include "core/auth-chain.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

#define NS_PREFIX IMAP_ACL_NS "."

/* a store opened for one command, closed when its arena is reset */
struct held {
	struct store_user *u;
};

static void
held_close(void *ctx)
{
	struct held *h = ctx;
	store_user_close(&h->u);
}

int
imap_acl_lookup(struct imap_cmd *cmd, const char *user, const char **login_r,
		const char **maildir_r)
{
	struct auth_chain *c = auth_chain_current();
	struct authmod_user mu;
	struct auth_user *u = NULL;
	char norm[AUTH_USER_MAX + 1];
	const char *module, *err;
	int r;

	if (c == NULL)
		return -ERR_TEMP;
	memset(&mu, 0, sizeof(mu));
	if (auth_user_normalize(c->set, user, norm, sizeof(norm)) < 0) {
		r = -ERR_INVAL;
	} else {
		r = auth_chain_lookup(c, norm, &mu, &module);
		if (r == AUTHMOD_OK) {
			if (mu.user == NULL)
				mu.user = norm;
			r = auth_user_from_module(cmd->arena, c->set, &mu, &u,
						  &err) < 0 ? -ERR_TEMP : 0;
		} else {
			r = r == AUTHMOD_NOUSER ? -ERR_NOTFOUND : -ERR_TEMP;
		}
	}
	explicit_bzero(&mu, sizeof(mu));
	auth_chain_unref(&c);
	if (r < 0)
		return r;
	*login_r = u->user;
	*maildir_r = u->mail;
	return 0;
}

/* domain: the part after '@' of login, or "" */
static const char *
domain(const char *login)
{
	const char *at = strrchr(login, '@');
	return at != NULL ? at + 1 : "";
}

/* owner_login: the login of local part local in the session's domain */
static const char *
owner_login(struct imap_cmd *cmd, const char *local, size_t n)
{
	const char *dom = domain(cmd->sess->user->user);

	if (*dom == '\0')
		return arena_strndup(cmd->arena, local, n);
	return arena_printf(cmd->arena, "%.*s@%s", (int)n, local, dom);
}

/* open_owner: the owner's store (reused when it is the selected one) */
static int
open_owner(struct imap_cmd *cmd, const char *login, struct imap_acl_box *b)
{
	struct imap_session *sess = cmd->sess;
	const char *canon, *maildir;
	struct held *h;
	int r;

	if (sess->acl != NULL && sess->acl->opened != NULL &&
	    strcmp(sess->acl->owner, login) == 0) {
		b->store = sess->acl->store;
		b->owner = sess->acl->owner;
		return 0;
	}
	if ((r = imap_acl_lookup(cmd, login, &canon, &maildir)) < 0)
		return r;
	if (strcmp(canon, sess->user->user) == 0 ||
	    strcmp(domain(canon), domain(sess->user->user)) != 0)
		return -ERR_NOTFOUND;
	h = arena_zalloc(cmd->arena, sizeof(*h));
	if (h == NULL || arena_on_reset(cmd->arena, held_close, h) < 0)
		return -ERR_NOMEM;
	if ((r = store_acl_user_open(maildir, &h->u)) < 0)
		return r == -ERR_INVAL ? -ERR_NOTFOUND : r;
	b->store = h->u;
	b->owned = &h->u;
	b->owner = canon;
	return 0;
}

static int
rights_with(struct imap_cmd *cmd, struct imap_acl_box *b,
	    struct store_acl *acl)
{
	int r = store_acl_get(b->store, b->name, acl);

	if (r < 0)
		return r;
	b->rights = store_acl_rights(acl, cmd->sess->user->user, !b->shared);
	return 0;
}

static int
rights_of(struct imap_cmd *cmd, struct imap_acl_box *b)
{
	struct store_acl *acl = xmalloc(sizeof(*acl));
	int r = rights_with(cmd, b, acl);

	free(acl);
	return r;
}

/* shared_split: "#shared.<local>.<folder>": try each '.' as the end of
 * the local part, the first existing user wins */
static int
resolve_shared(struct imap_cmd *cmd, const char *rest, struct imap_acl_box *b)
{
	int r = -ERR_NOTFOUND;

	for (const char *dot = strchr(rest, '.'); dot != NULL;
	     dot = strchr(dot + 1, '.')) {
		const char *login;

		if (dot == rest || dot[1] == '\0')
			continue;
		login = owner_login(cmd, rest, (size_t)(dot - rest));
		if (login == NULL)
			return -ERR_NOMEM;
		r = open_owner(cmd, login, b);
		if (r == -ERR_NOTFOUND)
			continue;
		if (r < 0)
			return r;
		b->name = strcasecmp(dot + 1, "INBOX") == 0 ? "INBOX" :
			  dot + 1;
		return 0;
	}
	return r;
}

/* resolve_store: store, folder and owner of name, without rights */
static int
resolve_store(struct imap_cmd *cmd, const char *name, struct imap_acl_box *b)
{
	struct imap_session *sess = cmd->sess;

	memset(b, 0, sizeof(*b));
	if (strncmp(name, NS_PREFIX, sizeof(NS_PREFIX) - 1) != 0) {
		b->store = sess->store;
		b->name = name;
		b->owner = sess->user->user;
		return 0;
	}
	b->shared = true;
	return resolve_shared(cmd, name + sizeof(NS_PREFIX) - 1, b);
}

int
imap_acl_resolve(struct imap_cmd *cmd, const char *name,
		 struct imap_acl_box *b)
{
	int r = resolve_store(cmd, name, b);

	if (r == 0)
		r = rights_of(cmd, b);
	/* without l or r another user's folder does not exist for this one */
	if (r == 0 && b->shared &&
	    (b->rights & (STORE_ACL_LOOKUP | STORE_ACL_READ)) == 0)
		r = -ERR_NOTFOUND;
	return r;
}

/* refuse: NO [NOPERM] naming the missing rights (RFC 4314 4); -ERR_PERM */
static int
refuse(struct imap_cmd *cmd, unsigned missing)
{
	char letters[STORE_ACL_RIGHTS_MAX];

	imap_command_done(cmd, "NO", "[NOPERM] Permission denied (right %s "
			  "needed)", store_acl_rights_string(missing, false,
							     letters));
	return -ERR_PERM;
}

/* failed: the table's answer for err, which is returned */
static int
failed(struct imap_cmd *cmd, int err)
{
	imap_command_error(cmd, err);
	return err;
}

int
imap_acl_require(struct imap_cmd *cmd, const char *name, unsigned need,
		 struct imap_acl_box *b)
{
	int r = imap_acl_resolve(cmd, name, b);

	if (r == -ERR_EOF || r == -ERR_IO)
		r = -ERR_TEMP;
	if (r < 0)
		return failed(cmd, r);
	if ((b->rights & need) != need)
		return refuse(cmd, need & ~b->rights);
	return 0;
}

int
imap_acl_require_create(struct imap_cmd *cmd, const char *name,
			struct imap_acl_box *b)
{
	char *parent = NULL, *dot;
	int r = resolve_store(cmd, name, b);

	if (r == 0 && (parent = arena_strdup(cmd->arena, b->name)) == NULL)
		r = -ERR_NOMEM;
	/* the namespace root is not a folder name of one's own */
	if (r == 0 && !b->shared && strncmp(name, IMAP_ACL_NS,
					    sizeof(IMAP_ACL_NS) - 1) == 0 &&
	    strspn(name + sizeof(IMAP_ACL_NS) - 1, ".") ==
	    strlen(name + sizeof(IMAP_ACL_NS) - 1))
		r = -ERR_INVAL;
	if (r < 0)
		return failed(cmd, r);
	/* RFC 4314 4: k on the parent; a top-level folder's parent is
	 * INBOX, as in Courier's "INBOX." namespace */
	while (*parent != '\0' && parent[strlen(parent) - 1] == '.')
		parent[strlen(parent) - 1] = '\0';
	dot = strrchr(parent, '.');
	if (dot != NULL)
		*dot = '\0';
	name = b->name;
	b->name = dot != NULL ? parent : "INBOX";
	r = rights_of(cmd, b);
	b->name = name;
	if (r < 0 || (b->shared && !(b->rights & (STORE_ACL_LOOKUP |
						  STORE_ACL_READ))))
		return failed(cmd, r < 0 ? r : -ERR_NOTFOUND);
	if ((b->rights & STORE_ACL_CREATE) == 0)
		return refuse(cmd, STORE_ACL_CREATE);
	return 0;
}

int
imap_acl_require_copy(struct imap_cmd *cmd, const char *name,
		      struct imap_acl_box *b, bool *across_r)
{
	const struct imap_session *sess = cmd->sess;
	int r = imap_acl_require(cmd, name, STORE_ACL_INSERT, b);

	if (r != 0)
		return r;
	*across_r = strcmp(b->owner, sess->acl != NULL ? sess->acl->owner :
			   sess->user->user) != 0;
	return 0;
}

bool
imap_acl_may(const struct imap_session *sess, unsigned need)
{
	return sess->acl == NULL || (sess->acl->rights & need) == need;
}

int
imap_acl_require_selected(struct imap_cmd *cmd, unsigned need)
{
	if (imap_acl_may(cmd->sess, need))
		return 0;
	return refuse(cmd, need & ~cmd->sess->acl->rights);
}

static void
sel_close(void *ctx)
{
	struct imap_acl_sel *sel = ctx;
	store_user_close(&sel->opened);
}

int
imap_acl_selected(struct imap_session *sess, struct imap_acl_box *b)
{
	struct imap_acl_sel *sel = arena_zalloc(sess->box_arena, sizeof(*sel));

	if (sel == NULL || arena_on_reset(sess->box_arena, sel_close, sel) < 0)
		return -ERR_NOMEM;
	sel->store = b->store;
	sel->owner = arena_strdup(sess->box_arena, b->owner);
	sel->rights = b->rights;
	/* no right to change anything: READ-ONLY (as Dovecot's acl plugin) */
	if ((b->rights & (STORE_ACL_SEEN | STORE_ACL_WRITE | STORE_ACL_INSERT |
			  STORE_ACL_DELMSG | STORE_ACL_EXPUNGE)) == 0)
		sess->readonly = true;
	if (b->owned != NULL) {
		/* take the store over from the command's arena */
		sel->opened = *b->owned;
		*b->owned = NULL;
	}
	sess->acl = sel;
	return sel->owner == NULL ? -ERR_NOMEM : 0;
}

int
imap_acl_myrights_code(struct imap_session *sess)
{
	char letters[STORE_ACL_RIGHTS_MAX];

	return imap_reply_untagged(sess, "OK [MYRIGHTS \"%s\"] ACL",
				   store_acl_rights_string(sess->acl != NULL ?
							   sess->acl->rights :
							   STORE_ACL_ALL,
							   true, letters));
}

unsigned
imap_acl_rights(const struct imap_session *sess)
{
	return sess->acl != NULL ? sess->acl->rights : STORE_ACL_ALL;
}

void
imap_acl_flags_mask(unsigned rights, unsigned *flags, size_t *nkw)
{
	if ((rights & STORE_ACL_SEEN) == 0)
		*flags &= ~STORE_FLAG_SEEN;
	if ((rights & STORE_ACL_DELMSG) == 0)
		*flags &= ~STORE_FLAG_DELETED;
	if ((rights & STORE_ACL_WRITE) == 0) {
		*flags &= STORE_FLAG_SEEN | STORE_FLAG_DELETED;
		*nkw = 0;
	}
}

struct shared_list {
	struct imap_cmd *cmd;
	store_folder_fn *fn;
	void *ctx;
	struct imap_acl_box b;
	struct store_acl acl;
	const char *local;		/* the current owner's local part */
	bool root_done, owner_done;
	int r;
};

static int
shared_folder(void *vctx, const char *name, unsigned attrs)
{
	struct shared_list *sl = vctx;
	struct imap_cmd *cmd = sl->cmd;
	const char *full;
	int r;

	sl->b.name = name;
	if (rights_with(cmd, &sl->b, &sl->acl) < 0 ||
	    (sl->b.rights & STORE_ACL_LOOKUP) == 0)
		return 0;
	if (!sl->root_done) {
		sl->root_done = true;
		if ((r = sl->fn(sl->ctx, IMAP_ACL_NS, STORE_ATTR_NOSELECT |
				STORE_ATTR_HASCHILDREN)) != 0)
			return r;
	}
	if (!sl->owner_done) {
		sl->owner_done = true;
		full = arena_printf(cmd->arena, NS_PREFIX "%s", sl->local);
		if (full == NULL)
			return -ERR_NOMEM;
		if ((r = sl->fn(sl->ctx, full, STORE_ATTR_NOSELECT |
				STORE_ATTR_HASCHILDREN)) != 0)
			return r;
	}
	full = arena_printf(cmd->arena, NS_PREFIX "%s.%s", sl->local, name);
	if (full == NULL)
		return -ERR_NOMEM;
	return sl->fn(sl->ctx, full, attrs);
}

static int
shared_owner(void *vctx, const char *owner)
{
	struct shared_list *sl = vctx;
	struct imap_cmd *cmd = sl->cmd;
	const char *at = strrchr(owner, '@');
	int r;

	memset(&sl->b, 0, sizeof(sl->b));
	sl->b.shared = true;
	if (open_owner(cmd, owner, &sl->b) < 0)
		return 0;	/* gone, or not of this domain */
	sl->local = at != NULL ? arena_strndup(cmd->arena, owner,
					       (size_t)(at - owner)) : owner;
	if (sl->local == NULL)
		return -ERR_NOMEM;
	sl->owner_done = false;
	r = store_folder_list(sl->b.store, false, shared_folder, sl);
	return r < 0 && r != -ERR_NOMEM ? 0 : r;
}

int
imap_acl_list_shared(struct imap_cmd *cmd, store_folder_fn *fn, void *ctx)
{
	struct shared_list *sl = xmalloc(sizeof(*sl));
	int r;

	memset(sl, 0, sizeof(*sl));
	sl->cmd = cmd;
	sl->fn = fn;
	sl->ctx = ctx;
	r = store_acl_shared_owners(cmd->sess->store, shared_owner, sl);
	free(sl);
	return r;
}

int
imap_acl_set_flags(struct imap_session *sess, uint32_t seq,
		   uint64_t unchangedsince, enum store_flags_mode mode,
		   unsigned flags, const char *const *kw, size_t nkw)
{
	unsigned rights = imap_acl_rights(sess), allowed = 0, keep;
	const struct store_msg *m;
	int r;

	if (rights & STORE_ACL_SEEN)
		allowed |= STORE_FLAG_SEEN;
	if (rights & STORE_ACL_DELMSG)
		allowed |= STORE_FLAG_DELETED;
	if (rights & STORE_ACL_WRITE)
		allowed |= STORE_FLAG_ANSWERED | STORE_FLAG_FLAGGED |
			   STORE_FLAG_DRAFT;
	else
		nkw = 0;
	if (allowed == STORE_FLAGS_PERMANENT)
		return store_msg_set_flags_if(sess->box, seq, unchangedsince,
					      mode, flags, kw, nkw);
	if (mode != STORE_FLAGS_SET)
		return store_msg_set_flags_if(sess->box, seq, unchangedsince,
					      mode, flags & allowed, kw, nkw);
	/* FLAGS (...): what may not change keeps its current value */
	if ((m = store_msg_get(sess->box, seq)) == NULL)
		return 0;
	keep = (m->flags & STORE_FLAGS_PERMANENT & ~allowed) |
	       (flags & allowed);
	if (rights & STORE_ACL_WRITE)
		return store_msg_set_flags_if(sess->box, seq, unchangedsince,
					      mode, keep, kw, nkw);
	r = store_msg_set_flags_if(sess->box, seq, unchangedsince,
				   STORE_FLAGS_ADD, keep, NULL, 0);
	if (r != 0)
		return r;
	return store_msg_set_flags(sess->box, seq, STORE_FLAGS_REMOVE,
				   STORE_FLAGS_PERMANENT & ~keep, NULL, 0);
}

struct folder_list {
	struct imap_cmd *cmd;
	store_folder_fn *fn;
	void *ctx;
};

/* subscribed_fix: a subscribed "#shared." name is not a folder of the
 * user's own store: its attributes come from the owner's folder */
static int
subscribed_fix(void *vctx, const char *name, unsigned attrs)
{
	struct folder_list *fl = vctx;
	struct imap_acl_box b;

	if (strncmp(name, NS_PREFIX, sizeof(NS_PREFIX) - 1) == 0) {
		attrs &= ~(STORE_ATTR_NOSELECT | STORE_ATTR_NONEXISTENT |
			   STORE_ATTR_HASCHILDREN | STORE_ATTR_HASNOCHILDREN);
		if (imap_acl_resolve(fl->cmd, name, &b) < 0 ||
		    (b.rights & STORE_ACL_LOOKUP) == 0 ||
		    store_folder_exists(b.store, b.name) != 1)
			attrs |= STORE_ATTR_NONEXISTENT;
	}
	return fl->fn(fl->ctx, name, attrs);
}

int
imap_acl_folder_list(struct imap_cmd *cmd, bool subscribed_only,
		     store_folder_fn *fn, void *ctx)
{
	struct folder_list fl = { cmd, fn, ctx };
	int r;

	if (subscribed_only)
		return store_folder_list(cmd->sess->store, true,
					 subscribed_fix, &fl);
	r = store_folder_list(cmd->sess->store, false, fn, ctx);
	return r == 0 ? imap_acl_list_shared(cmd, fn, ctx) : r;
}

void
imap_acl_permanentflags(const struct imap_session *sess, struct sbuf *b,
			const char *const *kw, unsigned nkw)
{
	unsigned rights = imap_acl_rights(sess);
	bool w = (rights & STORE_ACL_WRITE) != 0;
	const char *sep = "";

	sbuf_appends(b, "* OK [PERMANENTFLAGS (");
#define FLAG(ok, s) do { if (ok) { sbuf_appends(b, sep); \
		sbuf_appends(b, s); sep = " "; } } while (0)
	FLAG(w, "\\Answered \\Flagged");
	FLAG(rights & STORE_ACL_DELMSG, "\\Deleted");
	FLAG(rights & STORE_ACL_SEEN, "\\Seen");
	FLAG(w, "\\Draft");
	for (unsigned i = 0; i < nkw; i++)
		FLAG(w, kw[i]);
	FLAG(w, "\\*");
#undef FLAG
	sbuf_appends(b, ")] Limited");
}
