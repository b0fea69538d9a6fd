/* Maildock - SPDX-License-Identifier: MIT
 *
 * GETMETADATA and SETMETADATA (RFC 5464): entries of a folder (METADATA)
 * and of the server, mailbox "" (METADATA-SERVER), kept by storage
 * (storage/store-metadata.h). Private entries belong to the folder's
 * owner: on another user's folder there are none ([METADATA NOPRIVATE]);
 * its shared entries need r to read and w to write (RFC 5464 3.3 leaves
 * the right to the server).
 */
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/store.h"
#include "storage/store-metadata.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

#define DEPTH_INFINITY 2
#define GET_ENTRIES_MAX 64	/* entries one GETMETADATA may name */

/* where: the mailbox argument: *store_r and *name_r (NULL: the server),
 * *shown_r the name as the client gave it, decoded (NULL: the server),
 * *own_r false for another user's folder; 0, or < 0 (the answer set
 * unless -ERR_SYNTAX) */
static int
where(struct imap_cmd *cmd, const struct imap_arg *arg, unsigned need,
      struct store_user **store_r, const char **name_r, bool *own_r,
      const char **shown_r)
{
	struct imap_acl_box ab;
	const char *s, *name;
	int r;

	if (!imap_arg_astring(arg, &s))
		return -ERR_SYNTAX;
	*own_r = true;
	*shown_r = NULL;
	if (s[0] == '\0') {	/* RFC 5464 3.2: the server's entries */
		*store_r = cmd->sess->store;
		*name_r = NULL;
		return 0;
	}
	if ((r = imap_session_mailbox_arg(cmd, arg, &name)) < 0 ||
	    (r = imap_acl_resolve(cmd, name, &ab)) < 0 ||
	    (r = (ab.rights & need) == need ? 0 : -ERR_PERM) < 0 ||
	    (r = store_folder_exists(ab.store, ab.name) == 1 ? 0 :
		 -ERR_NOTFOUND) < 0) {
		if (r == -ERR_PERM)	/* RFC 5464 4.2: an ACL right */
			imap_command_done(cmd, "NO", "[NOPERM] Permission "
					  "denied");
		else if (r != -ERR_SYNTAX)	/* a user database's I/O too */
			imap_command_error(cmd, r);
		return r;
	}
	*store_r = ab.store;
	*name_r = ab.name;
	*shown_r = name;
	*own_r = !ab.shared;
	return 0;
}

/* entry_ok: RFC 5464 3.2 entry syntax ("/private/..." or "/shared/...",
 * no wildcards, no empty component, no control characters), lower-cased
 * into a copy in cmd->arena; bare "/private" and "/shared" only when
 * root_ok (a GETMETADATA depth root) */
static char *
entry_ok(struct imap_cmd *cmd, const struct imap_arg *arg, bool root_ok)
{
	const char *s;
	char *e;
	size_t len;

	if (!imap_arg_astring(arg, &s) || arg->has_nul ||
	    (len = strlen(s)) > STORE_METADATA_NAME_MAX || len < 2 ||
	    (e = arena_strdup(cmd->arena, s)) == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)e[i];
		if (c < 0x21 || c == 0x7f || c == '*' || c == '%' ||
		    (c == '/' && (e[i + 1] == '/' || e[i + 1] == '\0')))
			return NULL;
		e[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	if (strncmp(e, "/private/", 9) == 0 || strncmp(e, "/shared/", 8) == 0)
		return e;
	return root_ok && (strcmp(e, "/private") == 0 ||
			   strcmp(e, "/shared") == 0) ? e : NULL;
}

struct get {
	const char *entries[GET_ENTRIES_MAX];
	unsigned n;
	unsigned depth;
	uint64_t maxsize;	/* 0: none */
	uint64_t longest;	/* of the values left out by MAXSIZE */
};

static int
get_options(const struct imap_arg *l, unsigned n, struct get *g)
{
	for (unsigned i = 0; i < n; i += 2) {
		const char *v;
		if (i + 1 >= n || !imap_arg_atom(&l[i + 1], &v))
			return -ERR_SYNTAX;
		if (imap_arg_atom_eq(&l[i], "MAXSIZE")) {
			char *end;
			g->maxsize = strtoull(v, &end, 10);
			if (*end != '\0' || v[0] < '0' || v[0] > '9' ||
			    g->maxsize > UINT32_MAX)
				return -ERR_SYNTAX;
		} else if (imap_arg_atom_eq(&l[i], "DEPTH")) {
			if (strcmp(v, "0") == 0)
				g->depth = 0;
			else if (strcmp(v, "1") == 0)
				g->depth = 1;
			else if (strcasecmp(v, "infinity") == 0)
				g->depth = DEPTH_INFINITY;
			else
				return -ERR_SYNTAX;
		} else {
			return -ERR_SYNTAX;
		}
	}
	return 0;
}

/* matches: entry name is root itself or below it within g->depth */
static bool
matches(const struct get *g, const char *root, const char *name)
{
	size_t n = strlen(root);
	const char *rest;

	if (strncmp(name, root, n) != 0)
		return false;
	if (name[n] == '\0')
		return true;
	if (name[n] != '/' || g->depth == 0)
		return false;
	rest = name + n + 1;
	return g->depth == DEPTH_INFINITY || strchr(rest, '/') == NULL;
}

/* answer: "* METADATA mailbox (entry value ...)" of what matched */
static int
answer(struct imap_cmd *cmd, const char *shown, struct get *g,
       const struct store_metadata_entry *e, size_t n, bool own)
{
	struct sbuf b;
	const char *sep = "";
	int r;

	sbuf_init(&b, cmd->arena, 8 * 1024 * 1024);
	sbuf_appends(&b, "* METADATA ");
	if (shown == NULL)
		sbuf_appends(&b, "\"\"");
	else if (imap_namespace_append(cmd->sess, &b, shown) < 0)
		return -ERR_INVAL;
	sbuf_appends(&b, " (");
	for (unsigned k = 0; k < g->n; k++) {
		bool found = false;
		for (size_t i = 0; i < n; i++) {
			if (!matches(g, g->entries[k], e[i].name) ||
			    (!own && strncmp(e[i].name, "/private", 8) == 0))
				continue;
			found |= strcmp(e[i].name, g->entries[k]) == 0;
			if (g->maxsize != 0 && e[i].len > g->maxsize) {
				if (e[i].len > g->longest)
					g->longest = e[i].len;
				found = true;	/* exists, left out */
				continue;
			}
			sbuf_appends(&b, sep);
			sbuf_appends(&b, e[i].name);
			sbuf_appendc(&b, ' ');
			imap_reply_append_string(&b, e[i].value, e[i].len);
			sep = " ";
		}
		/* RFC 5464 4.2: an entry that does not exist is NIL */
		if (!found && strchr(g->entries[k] + 1, '/') != NULL) {
			sbuf_appendf(&b, "%s%s NIL", sep, g->entries[k]);
			sep = " ";
		}
	}
	sbuf_appendc(&b, ')');
	if (sbuf_failed(&b))
		return -ERR_LIMIT;
	r = imap_reply_line(cmd->sess, &b);
	return r < 0 ? r : 0;
}

int
imap_cmd_getmetadata(struct imap_cmd *cmd)
{
	const struct imap_arg *a = cmd->args, *l;
	struct store_metadata_entry *e;
	struct store_user *store;
	struct get g = { .n = 0, .depth = 0 };
	const char *name, *shown;
	unsigned argc = cmd->argc, n;
	size_t ne;
	bool own;
	int r;

	if (argc == 3) {
		if (!imap_arg_list(&a[0], &l, &n) || get_options(l, n, &g) < 0)
			return imap_cmd_bad_args(cmd);
		a++;
		argc--;
	}
	if (argc != 2)
		return imap_cmd_bad_args(cmd);
	if (imap_arg_list(&a[1], &l, &n)) {
		if (n == 0 || n > GET_ENTRIES_MAX)
			return imap_cmd_bad_args(cmd);
	} else {
		l = &a[1];
		n = 1;
	}
	for (g.n = 0; g.n < n; g.n++)
		if ((g.entries[g.n] = entry_ok(cmd, &l[g.n], true)) == NULL)
			return imap_cmd_bad_args(cmd);
	if ((r = where(cmd, &a[0], STORE_ACL_LOOKUP | STORE_ACL_READ, &store,
		       &name, &own, &shown)) < 0)
		return r;
	if ((r = store_metadata_get(store, name, cmd->arena, &e, &ne)) < 0)
		return imap_command_error(cmd, r);
	if ((r = answer(cmd, shown, &g, e, ne, own)) < 0)
		return r;
	if (g.longest > 0)
		return imap_command_done(cmd, "OK", "[METADATA LONGENTRIES "
					 "%llu] Getmetadata completed.",
					 (unsigned long long)g.longest);
	return imap_command_done(cmd, "OK", "Getmetadata completed.");
}

int
imap_cmd_setmetadata(struct imap_cmd *cmd)
{
	const struct imap_arg *l;
	struct store_metadata_entry *e;
	struct store_user *store;
	const char *name, *shown;
	unsigned n;
	bool own, priv = false;
	int r;

	if (!imap_arg_list(&cmd->args[1], &l, &n) || n == 0 || n % 2 != 0 ||
	    n / 2 > STORE_METADATA_ENTRIES_MAX)
		return imap_cmd_bad_args(cmd);
	e = arena_alloc(cmd->arena, (n / 2) * sizeof(*e));
	if (e == NULL)
		return -ERR_NOMEM;
	for (unsigned i = 0; i < n; i += 2) {
		struct store_metadata_entry *x = &e[i / 2];
		const struct imap_arg *v = &l[i + 1];
		if ((x->name = entry_ok(cmd, &l[i], false)) == NULL ||
		    (v->type != IMAP_ARG_NIL && v->type != IMAP_ARG_QUOTED &&
		     v->type != IMAP_ARG_LITERAL))
			return imap_cmd_bad_args(cmd);
		x->value = v->type == IMAP_ARG_NIL ? NULL : v->str;
		x->len = v->type == IMAP_ARG_NIL ? 0 : v->len;
		priv |= strncmp(x->name, "/private/", 9) == 0;
	}
	if ((r = where(cmd, &cmd->args[0], STORE_ACL_LOOKUP | STORE_ACL_WRITE,
		       &store, &name, &own, &shown)) < 0)
		return r;
	if (!own && priv)
		return imap_command_done(cmd, "NO", "[METADATA NOPRIVATE] No "
					 "private entries on another user's "
					 "mailbox");
	r = store_metadata_set(store, name, e, n / 2);
	if (r == -ERR_LIMIT)
		return imap_command_done(cmd, "NO", "[METADATA MAXSIZE %u] "
					 "Value too long",
					 STORE_METADATA_VALUE_MAX);
	if (r == -ERR_QUOTA)
		return imap_command_done(cmd, "NO", "[METADATA TOOMANY] Too "
					 "many entries");
	if (r < 0)
		return imap_command_error(cmd, r);
	return imap_command_done(cmd, "OK", "Setmetadata completed.");
}
