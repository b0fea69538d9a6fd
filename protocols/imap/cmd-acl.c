/* Maildock - SPDX-License-Identifier: MIT
 *
 * The ACL commands of RFC 4314 (SETACL, DELETEACL, GETACL, LISTRIGHTS,
 * MYRIGHTS) over the Courier-compatible folder ACLs of storage/store-acl.h.
 * On the wire a user is named by login ("bob@example.org"), on disk as
 * Courier writes it ("user=bob@example.org"); the mailbox owner's entry is
 * Courier's "owner" and is shown under the owner's login.
 */
#include "core/arena.h"
#include "core/auth.h"
#include "core/error.h"
#include "core/log.h"
#include "core/sbuf.h"
#include "core/session.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

/* args: the mailbox (resolved, with need) and the identifier */
static int
mailbox_arg(struct imap_cmd *cmd, unsigned need, struct imap_acl_box *b)
{
	const char *name;
	int r = imap_session_mailbox_arg(cmd, &cmd->args[0], &name);

	if (r < 0 || (r = imap_acl_require(cmd, name, need, b)) < 0)
		return r;
	/* no ACL for what does not exist (nor a stray courierimaphieracl) */
	return store_folder_exists(b->store, b->name) == 1 ? 0 :
	       -ERR_NOTFOUND;
}

/* to_disk: a wire identifier to Courier's form (NULL: invalid) */
static const char *
to_disk(struct imap_cmd *cmd, const struct imap_acl_box *b, const char *wire)
{
	bool neg = wire[0] == '-';
	const char *id = wire + neg, *login, *maildir;
	char norm[STORE_ACL_IDENT_MAX + 1];
	size_t i;

	if (*id == '\0' || strlen(id) > STORE_ACL_IDENT_MAX - 6)
		return NULL;
	if (strcmp(id, "anyone") == 0 || strcmp(id, "anonymous") == 0 ||
	    strcmp(id, "authenticated") == 0 || strcmp(id, "owner") == 0 || strcmp(id, "administrators") == 0 ||
	    strchr(id, '=') != NULL)
		return arena_printf(cmd->arena, "%s%s", neg ? "-" : "", id);
	/* a user: the canonical login when the user database knows it */
	if (imap_acl_lookup(cmd, id, &login, &maildir) == 0) {
		str_copy(norm, login, sizeof(norm));
	} else {
		for (i = 0; id[i] != '\0'; i++)
			norm[i] = (char)(id[i] >= 'A' && id[i] <= 'Z' ?
					 id[i] - 'A' + 'a' : id[i]);
		norm[i] = '\0';
	}
	if (strcmp(norm, b->owner) == 0)
		return neg ? "-owner" : "owner";
	return arena_printf(cmd->arena, "%suser=%s", neg ? "-" : "", norm);
}

/* to_wire: Courier's identifier as the client sees it */
static const char *
to_wire(struct imap_cmd *cmd, const struct imap_acl_box *b, const char *disk)
{
	bool neg = disk[0] == '-';
	const char *id = disk + neg;

	if (strcmp(id, "owner") == 0)
		id = b->owner;
	else if (strncmp(id, "user=", 5) == 0)
		id += 5;
	return neg ? arena_printf(cmd->arena, "-%s", id) : id;
}

static void
append_astring(struct sbuf *sb, const char *s)
{
	sbuf_appendc(sb, ' ');
	imap_reply_append_astring(sb, s, strlen(s));
}

/* note_grantee: record the owner in the grantee's owners index so that
 * the grantee's LIST finds the folder under #shared */
static void
note_grantee(struct imap_cmd *cmd, const struct imap_acl_box *b,
	     const char *disk)
{
	const char *login, *maildir, *d1, *d2;
	int r;

	if (strncmp(disk, "user=", 5) != 0 ||
	    imap_acl_lookup(cmd, disk + 5, &login, &maildir) < 0)
		return;
	/* same domain only: never write into another tenant's Maildir */
	d1 = strrchr(login, '@');
	d2 = strrchr(b->owner, '@');
	if (strcmp(d1 != NULL ? d1 : "", d2 != NULL ? d2 : "") != 0)
		return;
	r = store_acl_shared_note(maildir, b->owner);
	/* never logged in yet: make the Maildir as a login would, but not
	 * with system users: this thread has the owner's uid, and the
	 * owner would own the grantee's Maildir (and read his mail) */
	if (r == -ERR_NOTFOUND && !auth_system_users(cmd->sess->s->conf)) {
		struct store_user *u = NULL;
		const char *err;
		if (store_user_open(maildir, NULL, &u, &err) == 0)
			r = store_acl_shared_note(maildir, b->owner);
		store_user_close(&u);
	}
	if (r < 0)
		slog_warn(cmd->sess->s, "imap: acl: cannot note share for "
			  "grantee: %s", err_str(r));
}

static void
log_change(struct imap_cmd *cmd, const struct imap_acl_box *b,
	   const char *disk, const struct store_acl *acl)
{
	char qm[128], qi[128], rights[STORE_ACL_RIGHTS_MAX];
	int now = store_acl_find(acl, disk);

	slog_info(cmd->sess->s, "imap: acl %s mailbox=%s owner=%s "
		  "identifier=%s rights=%s", cmd->name,
		  log_quote_cstr(qm, sizeof(qm), b->name), b->owner,
		  log_quote_cstr(qi, sizeof(qi), disk),
		  store_acl_rights_string(now > 0 ? (unsigned)now : 0, false,
					  rights));
}

int
imap_cmd_setacl(struct imap_cmd *cmd)
{
	bool del = strcmp(cmd->name, "DELETEACL") == 0;
	enum store_acl_mode mode = del ? STORE_ACL_DROP : STORE_ACL_REPLACE;
	const char *wire, *rights = "", *disk;
	struct imap_acl_box b;
	struct store_acl *acl;
	unsigned bits = 0;
	int r;

	if (cmd->argc != (del ? 2u : 3u) ||
	    !imap_arg_astring(&cmd->args[1], &wire) ||
	    (!del && !imap_arg_astring(&cmd->args[2], &rights)))
		return imap_cmd_bad_args(cmd);
	if (*rights == '+' || *rights == '-')
		mode = *rights++ == '+' ? STORE_ACL_ADD : STORE_ACL_REMOVE;
	/* an unknown right is an error, never dropped (RFC 4314 3.1) */
	if (store_acl_rights_parse(rights, &bits) < 0)
		return imap_command_done(cmd, "BAD", "Unknown right (RFC 4314 "
					 "rights are lrswipkxtea)");
	bits |= store_acl_spelling(rights);	/* c or k, kept as Courier does */
	if ((r = mailbox_arg(cmd, STORE_ACL_ADMIN, &b)) < 0)
		return r;
	if ((disk = to_disk(cmd, &b, wire)) == NULL)
		return imap_command_done(cmd, "BAD", "Invalid identifier");
	acl = arena_alloc(cmd->arena, sizeof(*acl));
	if (acl == NULL)
		return -ERR_NOMEM;
	r = store_acl_modify(b.store, b.name, disk, mode, bits, acl);
	if (r == -ERR_PERM)
		return imap_command_done(cmd, "NO", "[CANNOT] The owner must "
					 "keep the rights l and a");
	if (r < 0)
		return imap_command_error(cmd, r);
	if (store_acl_find(acl, disk) > 0)
		note_grantee(cmd, &b, disk);
	log_change(cmd, &b, disk, acl);
	return imap_command_done(cmd, "OK", "%s completed.", cmd->name);
}

/* line_start: "* <what> <mailbox>" as the client named it */
static int
line_start(struct imap_cmd *cmd, struct sbuf *sb, const char *what)
{
	const char *name;
	int r = imap_session_mailbox_arg(cmd, &cmd->args[0], &name);

	if (r < 0)
		return r;
	sbuf_init(sb, cmd->arena, 64 * 1024);
	sbuf_appendf(sb, "* %s ", what);
	return imap_namespace_append(cmd->sess, sb, name) < 0 ?
	       -ERR_INVAL : 0;
}

int
imap_cmd_getacl(struct imap_cmd *cmd)
{
	char letters[STORE_ACL_RIGHTS_MAX];
	struct imap_acl_box b;
	struct store_acl *acl;
	struct sbuf sb;
	int r;

	if ((r = mailbox_arg(cmd, STORE_ACL_ADMIN, &b)) < 0)
		return r;
	acl = arena_alloc(cmd->arena, sizeof(*acl));
	if (acl == NULL)
		return -ERR_NOMEM;
	if ((r = store_acl_get(b.store, b.name, acl)) < 0)
		return imap_command_error(cmd, r);
	if ((r = line_start(cmd, &sb, "ACL")) < 0)
		return r;
	for (unsigned i = 0; i < acl->n; i++) {
		append_astring(&sb, to_wire(cmd, &b, acl->e[i].ident));
		append_astring(&sb, store_acl_rights_string(acl->e[i].rights,
							    true, letters));
	}
	if ((r = imap_reply_line(cmd->sess, &sb)) < 0)
		return r;
	return imap_command_done(cmd, "OK", "Getacl completed.");
}

int
imap_cmd_listrights(struct imap_cmd *cmd)
{
	static const char optional[] = "rswipkxte";
	const char *wire, *disk;
	struct imap_acl_box b;
	struct sbuf sb;
	bool owner;
	int r;

	if (!imap_arg_astring(&cmd->args[1], &wire))
		return imap_cmd_bad_args(cmd);
	if ((r = mailbox_arg(cmd, STORE_ACL_ADMIN, &b)) < 0)
		return r;
	if ((disk = to_disk(cmd, &b, wire)) == NULL)
		return imap_command_done(cmd, "BAD", "Invalid identifier");
	if ((r = line_start(cmd, &sb, "LISTRIGHTS")) < 0)
		return r;
	append_astring(&sb, wire);
	/* the owner always has l and a (store_acl_put refuses less) */
	owner = strcmp(disk, "owner") == 0;
	sbuf_appends(&sb, owner ? " la" : " \"\" l");
	for (const char *p = optional; *p != '\0'; p++)
		sbuf_appendf(&sb, " %c", *p);
	if (!owner)
		sbuf_appends(&sb, " a");
	if ((r = imap_reply_line(cmd->sess, &sb)) < 0)
		return r;
	return imap_command_done(cmd, "OK", "Listrights completed.");
}

/* RFC 4314 4: any of l r i k x a lets the user see his rights */
#define MYRIGHTS_VISIBLE (STORE_ACL_LOOKUP | STORE_ACL_READ | \
			  STORE_ACL_INSERT | STORE_ACL_CREATE | \
			  STORE_ACL_DELETE | STORE_ACL_ADMIN)

static int
write_myrights(struct imap_cmd *cmd, const char *name,
	       const struct imap_acl_box *b)
{
	char letters[STORE_ACL_RIGHTS_MAX];
	struct sbuf sb;

	sbuf_init(&sb, cmd->arena, 64 * 1024);
	sbuf_appends(&sb, "* MYRIGHTS ");
	if (imap_namespace_append(cmd->sess, &sb, name) < 0)
		return -ERR_INVAL;
	append_astring(&sb, store_acl_rights_string(b->rights, true, letters));
	return imap_reply_line(cmd->sess, &sb) < 0 ? -ERR_EOF : 0;
}

int
imap_acl_myrights_write(struct imap_cmd *cmd, const char *name)
{
	struct imap_acl_box b;
	int r;

	if ((r = imap_acl_resolve(cmd, name, &b)) < 0)
		return r;
	if ((b.rights & MYRIGHTS_VISIBLE) == 0)
		return -ERR_NOTFOUND;
	return write_myrights(cmd, name, &b);
}

int
imap_cmd_myrights(struct imap_cmd *cmd)
{
	struct imap_acl_box b;
	const char *name;
	int r;

	if ((r = mailbox_arg(cmd, 0, &b)) < 0)
		return r;
	if ((b.rights & MYRIGHTS_VISIBLE) == 0)
		return imap_command_error(cmd, -ERR_NOTFOUND);
	if ((r = imap_session_mailbox_arg(cmd, &cmd->args[0], &name)) < 0 ||
	    (r = write_myrights(cmd, name, &b)) < 0)
		return r;
	return imap_command_done(cmd, "OK", "Myrights completed.");
}
