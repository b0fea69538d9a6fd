/* Maildock - SPDX-License-Identifier: MIT
 *
 * LIST and LSUB (RFC 3501 6.3.8-6.3.9): reference plus pattern with the
 * "*" and "%" wildcards, the quoted "." delimiter (RFC 3501 7.2.2),
 * \Noselect and the CHILDREN attributes (RFC 3348), names in modified
 * UTF-7; and the extended LIST (RFC 5258: selection and return options,
 * several patterns), LIST-STATUS (RFC 5819), LIST-MYRIGHTS (RFC 8440) and
 * SPECIAL-USE (RFC 6154): the configured imap.special_use.* names plus the
 * attributes a folder was given by CREATE (storage/store-specialuse.h).
 */
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/store.h"
#include "storage/store-specialuse.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

#define PATTERN_MAX 1024
#define PATTERNS_MAX 32

#define SEL_SUBSCRIBED	(1u << 0)
#define SEL_RECURSIVE	(1u << 1)
#define SEL_SPECIAL	(1u << 2)
#define RET_SUBSCRIBED	(1u << 3)
#define RET_STATUS	(1u << 4)
#define RET_MYRIGHTS	(1u << 5)	/* RFC 8440 */

#define ATTR_CHILDINFO	(1u << 16)	/* a parent of a subscribed match */
#define ATTR_SELF	(1u << 17)	/* meets the selection itself */

static const char *const special_names[] = {
	"\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive",
};

struct match {
	const char *name;
	const char *uses;	/* stored by CREATE, "" for none */
	unsigned attrs;
};

struct list_ctx {
	struct imap_cmd *cmd;
	const char *patterns[PATTERNS_MAX];
	size_t plens[PATTERNS_MAX];
	unsigned npatterns;
	bool lsub;
	unsigned opts;
	const struct imap_arg *status_items;
	unsigned status_count;
	bool *row;		/* DP rows for the matcher */
	struct match *matches;
	size_t nmatches, alloc;
	bool parents;		/* entries added as parents only */
};

/* match_one: '*' matches anything, '%' anything but the delimiter. A
 * dynamic program over (name, pattern) positions: O(n * m) without the
 * backtracking blow-up of patterns like "*%*%*%". */
static bool
match_one(bool *row, const char *p, size_t m, const char *name)
{
	bool *prev = row, *cur = row + m + 1;

	prev[0] = true;
	for (size_t j = 1; j <= m; j++)
		prev[j] = prev[j - 1] && (p[j - 1] == '*' || p[j - 1] == '%');
	for (const char *c = name; *c != '\0'; c++) {
		cur[0] = false;
		for (size_t j = 1; j <= m; j++) {
			char pc = p[j - 1];
			if (pc == '*')
				cur[j] = cur[j - 1] || prev[j];
			else if (pc == '%')
				cur[j] = cur[j - 1] || (prev[j] && *c != '.');
			else
				cur[j] = prev[j - 1] && pc == *c;
		}
		bool *t = prev;
		prev = cur;
		cur = t;
	}
	return prev[m];
}

static bool
match(struct list_ctx *ctx, const char *name)
{
	for (unsigned i = 0; i < ctx->npatterns; i++)
		if (match_one(ctx->row, ctx->patterns[i], ctx->plens[i], name))
			return true;
	return false;
}

static int
special_use(const struct list_ctx *ctx, const char *name)
{
	const struct imap_settings *set = ctx->cmd->sess->set;

	/* the setting may name the folder with the namespace prefix */
	for (size_t i = 0; i < N_ELEMENTS(special_names); i++)
		if (set->special_use[i][0] != '\0' &&
		    strcmp(imap_namespace_strip(ctx->cmd->sess,
						set->special_use[i]),
			   name) == 0)
			return (int)i;
	return -1;
}

const char *
imap_cmd_special_use_name(const char *attr)
{
	for (size_t i = 0; i < N_ELEMENTS(special_names); i++)
		if (strcasecmp(special_names[i], attr) == 0)
			return special_names[i];
	return NULL;
}

/* stored_uses: the attributes CREATE stored for name, in cmd->arena;
 * only known ones are shown (the file could have been edited by hand) */
static const char *
stored_uses(const struct list_ctx *ctx, const char *name)
{
	char buf[STORE_SPECIALUSE_MAX + 1], out[STORE_SPECIALUSE_MAX + 1];
	const char *canon;
	size_t len = 0;

	if (store_specialuse_get(ctx->cmd->sess->store, name, buf,
				 sizeof(buf)) < 0 || buf[0] == '\0')
		return "";
	out[0] = '\0';
	for (char *t = buf, *sp; *t != '\0'; t = sp) {
		sp = t + strcspn(t, " ");
		if (*sp != '\0')
			*sp++ = '\0';
		if ((canon = imap_cmd_special_use_name(t)) == NULL ||
		    strstr(out, canon) != NULL)
			continue;
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
					len > 0 ? " " : "", canon);
	}
	return arena_strdup(ctx->cmd->arena, out);
}

static bool
is_special(const struct list_ctx *ctx, const char *name)
{
	const char *u;

	return special_use(ctx, name) >= 0 ||
	       ((u = stored_uses(ctx, name)) != NULL && *u != '\0');
}

static int
add_match(struct list_ctx *ctx, const char *name, unsigned attrs)
{
	if (ctx->nmatches == ctx->alloc) {
		size_t n = ctx->alloc ? ctx->alloc * 2 : 64;
		struct match *m = arena_alloc(ctx->cmd->arena, n * sizeof(*m));
		if (m == NULL)
			return -ERR_NOMEM;
		if (ctx->nmatches > 0)
			memcpy(m, ctx->matches, ctx->nmatches * sizeof(*m));
		ctx->matches = m;
		ctx->alloc = n;
	}
	ctx->matches[ctx->nmatches].name = arena_strdup(ctx->cmd->arena, name);
	ctx->matches[ctx->nmatches].attrs = attrs;
	ctx->matches[ctx->nmatches].uses = ctx->lsub ? "" :
					   stored_uses(ctx, name);
	if (ctx->matches[ctx->nmatches].name == NULL ||
	    ctx->matches[ctx->nmatches].uses == NULL)
		return -ERR_NOMEM;
	ctx->nmatches++;
	return 0;
}

/* upsert: add name, or merge attrs into its entry (RECURSIVEMATCH meets
 * a name both as a match and as a parent, in either order; a known child
 * makes \HasChildren win over the store's \HasNoChildren) */
static int
upsert(struct list_ctx *ctx, const char *name, unsigned attrs)
{
	for (size_t i = 0; i < ctx->nmatches; i++) {
		if (strcmp(ctx->matches[i].name, name) == 0) {
			ctx->matches[i].attrs |= attrs;
			return 0;
		}
	}
	return add_match(ctx, name, attrs);
}

/* shown_match: the pattern matches name as the client sees it (with the
 * namespace prefix, RFC 3501 6.3.8) */
static bool
shown_match(struct list_ctx *ctx, const char *name)
{
	char disp[STORE_NAME_MAXLEN + 16];

	return imap_namespace_display(ctx->cmd->sess, name, disp,
				      sizeof(disp)) && match(ctx, disp);
}

/* collect: the store's callback; output happens after the listing */
static int
collect(void *vctx, const char *name, unsigned attrs)
{
	struct list_ctx *ctx = vctx;
	char parent[STORE_NAME_MAXLEN + 1];
	char *dot;
	unsigned bits;
	int r;

	if ((ctx->opts & SEL_SPECIAL) && !is_special(ctx, name))
		return 0;
	/* the store lists each name once: only the parents added below
	 * need the (quadratic) duplicate check */
	if (shown_match(ctx, name))
		return ctx->parents ? upsert(ctx, name, attrs | ATTR_SELF) :
		       add_match(ctx, name, attrs | ATTR_SELF);
	if (!ctx->lsub && (ctx->opts & SEL_RECURSIVE) == 0)
		return 0;
	/* The matching parents of a subscription that does not match
	 * itself: LSUB lists them \Noselect (RFC 3501 6.3.9, "foo" for
	 * "foo/bar" under "%"); RECURSIVEMATCH with CHILDINFO (RFC 5258
	 * 3.5), none for a subscription listed itself (RFC 5258 5, example
	 * 9: "Baz2" is not returned). A parent of an existing folder has
	 * children (RFC 5258 4). */
	bits = (ctx->lsub ? 0 : ATTR_CHILDINFO) |
	       ((attrs & STORE_ATTR_NONEXISTENT) ? 0 : STORE_ATTR_HASCHILDREN);
	str_copy(parent, name, sizeof(parent));
	while ((dot = strrchr(parent, '.')) != NULL) {
		*dot = '\0';
		if (!shown_match(ctx, parent))
			continue;
		ctx->parents = true;
		if ((r = upsert(ctx, parent, bits)) < 0)
			return r;
	}
	return 0;
}

static void
append_attrs(struct list_ctx *ctx, struct sbuf *b, const struct match *m)
{
	const char *sep = "";
	unsigned a = m->attrs;
	int su;

#define ATTR(s) do { sbuf_appends(b, sep); sbuf_appends(b, s); sep = " "; } \
	while (0)
	if ((a & STORE_ATTR_NONEXISTENT) && !ctx->lsub)
		ATTR("\\NonExistent");
	else if ((a & (STORE_ATTR_NOSELECT | STORE_ATTR_NONEXISTENT)) ||
		 (ctx->lsub && (a & ATTR_SELF) == 0))
		ATTR("\\Noselect");
	if (a & STORE_ATTR_HASCHILDREN)
		ATTR("\\HasChildren");
	else if (a & STORE_ATTR_HASNOCHILDREN)
		ATTR("\\HasNoChildren");
	if ((a & STORE_ATTR_SUBSCRIBED) || ((ctx->opts & SEL_SUBSCRIBED) &&
					    (a & ATTR_SELF)))
		if (ctx->opts & (SEL_SUBSCRIBED | RET_SUBSCRIBED))
			ATTR("\\Subscribed");
	if ((su = special_use(ctx, m->name)) >= 0 &&
	    strstr(m->uses, special_names[su]) == NULL)
		ATTR(special_names[su]);
	if (m->uses[0] != '\0')
		ATTR(m->uses);
#undef ATTR
}

static int
output(struct list_ctx *ctx)
{
	struct imap_cmd *cmd = ctx->cmd;
	struct sbuf b;
	int r = 0;

	sbuf_init(&b, NULL, 16384);
	for (size_t i = 0; i < ctx->nmatches && r >= 0; i++) {
		const struct match *m = &ctx->matches[i];
		sbuf_reset(&b);
		sbuf_appendf(&b, "* %s (", ctx->lsub ? "LSUB" : "LIST");
		append_attrs(ctx, &b, m);
		sbuf_appends(&b, ") \".\" ");
		if (imap_namespace_append(cmd->sess, &b, m->name) < 0)
			continue;
		if (m->attrs & ATTR_CHILDINFO)
			sbuf_appends(&b, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
		r = imap_reply_line(cmd->sess, &b);
		if (r < 0 || (m->attrs & ATTR_SELF) == 0 ||
		    (m->attrs & (STORE_ATTR_NOSELECT |
				 STORE_ATTR_NONEXISTENT)) != 0)
			continue;
		/* RFC 5819 and RFC 8440 3: a failing STATUS or MYRIGHTS is
		 * left out; each follows the LIST line of its folder */
		if ((ctx->opts & RET_STATUS) &&
		    imap_cmd_status_write(cmd, m->name, ctx->status_items,
					  ctx->status_count) == -ERR_EOF)
			r = -ERR_EOF;
		if (r >= 0 && (ctx->opts & RET_MYRIGHTS) &&
		    imap_acl_myrights_write(cmd, m->name) == -ERR_EOF)
			r = -ERR_EOF;
	}
	sbuf_free(&b);
	return r;
}

/* decode: a reference or pattern from modified UTF-7 with INBOX's case
 * folded; NULL for an undecodable one (which matches nothing) */
static char *
decode(struct imap_cmd *cmd, const char *s)
{
	size_t len = strlen(s), size = len * 4 + 1;
	char *out = arena_alloc(cmd->arena, size);

	if (out == NULL)
		return NULL;
	if (IMAP_UTF8(cmd->sess)) {
		if (!imap_arg_utf8_valid(s, len))
			return NULL;
		memcpy(out, s, len + 1);
	} else if (store_mutf7_decode(s, len, out, size) < 0) {
		return NULL;
	}
	if (strncasecmp(out, "INBOX", 5) == 0 &&
	    strchr(".*%", out[5] != '\0' ? out[5] : '.') != NULL)
		memcpy(out, "INBOX", 5);
	return out;
}

static int
add_pattern(struct list_ctx *ctx, const char *ref, const struct imap_arg *a)
{
	const char *pat;
	char *dpat, *full;

	if (!imap_arg_astring(a, &pat) || strlen(pat) > PATTERN_MAX ||
	    ctx->npatterns == PATTERNS_MAX)
		return -ERR_SYNTAX;
	dpat = decode(ctx->cmd, pat);
	if (ref == NULL || dpat == NULL)
		return 0;
	full = decode(ctx->cmd, arena_printf(ctx->cmd->arena, "%s%s", ref, pat));
	if (full == NULL)
		return 0;
	ctx->patterns[ctx->npatterns] = full;
	ctx->plens[ctx->npatterns++] = strlen(full);
	return 0;
}

static int
parse_opts(struct list_ctx *ctx, const struct imap_arg *arg, bool ret)
{
	const struct imap_arg *l;
	unsigned n;

	if (!imap_arg_list(arg, &l, &n))
		return -ERR_SYNTAX;
	for (unsigned i = 0; i < n; i++) {
		if (imap_arg_atom_eq(&l[i], "SUBSCRIBED")) {
			ctx->opts |= ret ? RET_SUBSCRIBED : SEL_SUBSCRIBED;
		} else if (imap_arg_atom_eq(&l[i], "SPECIAL-USE")) {
			ctx->opts |= ret ? 0 : SEL_SPECIAL;
		} else if (!ret && imap_arg_atom_eq(&l[i], "RECURSIVEMATCH")) {
			ctx->opts |= SEL_RECURSIVE;
		} else if (!ret && imap_arg_atom_eq(&l[i], "REMOTE")) {
			continue;
		} else if (ret && imap_arg_atom_eq(&l[i], "CHILDREN")) {
			continue;
		} else if (ret && imap_arg_atom_eq(&l[i], "MYRIGHTS")) {
			ctx->opts |= RET_MYRIGHTS;
		} else if (ret && imap_arg_atom_eq(&l[i], "STATUS") &&
			   i + 1 < n && imap_arg_list(&l[i + 1],
						      &ctx->status_items,
						      &ctx->status_count) &&
			   imap_cmd_status_items_ok(ctx->status_items,
						    ctx->status_count)) {
			ctx->opts |= RET_STATUS;
			i++;
		} else {
			return -ERR_SYNTAX;
		}
	}
	/* RECURSIVEMATCH alone is meaningless (RFC 5258 3.1) */
	if ((ctx->opts & SEL_RECURSIVE) && !(ctx->opts & SEL_SUBSCRIBED))
		return -ERR_SYNTAX;
	return 0;
}

/* parse: [(select-opts)] reference pattern-or-(patterns) [RETURN (opts)] */
static int
parse(struct list_ctx *ctx, const char **pat0_r)
{
	struct imap_cmd *cmd = ctx->cmd;
	const struct imap_arg *a = cmd->args, *l;
	unsigned argc = cmd->argc, n;
	const char *ref;
	char *dref;

	if (!ctx->lsub && argc > 0 && a[0].type == IMAP_ARG_LIST) {
		if (parse_opts(ctx, &a[0], false) < 0)
			return -ERR_SYNTAX;
		a++;
		argc--;
	}
	if (argc != 2 && (ctx->lsub || argc != 4 ||
			  !imap_arg_atom_eq(&a[2], "RETURN") ||
			  parse_opts(ctx, &a[3], true) < 0))
		return -ERR_SYNTAX;
	if (!imap_arg_astring(&a[0], &ref) || strlen(ref) > PATTERN_MAX)
		return -ERR_SYNTAX;
	dref = decode(cmd, ref);
	*pat0_r = NULL;
	if (!ctx->lsub && imap_arg_list(&a[1], &l, &n)) {
		if (n == 0)
			return -ERR_SYNTAX;
		for (unsigned i = 0; i < n; i++)
			if (add_pattern(ctx, dref != NULL ? ref : NULL, &l[i]) < 0)
				return -ERR_SYNTAX;
		return 0;
	}
	if (!imap_arg_astring(&a[1], pat0_r))
		return -ERR_SYNTAX;
	return add_pattern(ctx, dref != NULL ? ref : NULL, &a[1]);
}

int
imap_cmd_list(struct imap_cmd *cmd)
{
	struct list_ctx ctx = { .cmd = cmd };
	const char *pat0;
	size_t maxlen = 0;
	int r;

	ctx.lsub = strcmp(cmd->name, "LSUB") == 0;
	if (parse(&ctx, &pat0) < 0)
		return imap_cmd_bad_args(cmd);
	if (pat0 != NULL && *pat0 == '\0') {
		/* the hierarchy delimiter and root (RFC 3501 6.3.8) */
		if (!ctx.lsub &&
		    (r = imap_reply_untagged(cmd->sess,
					     "LIST (\\Noselect) \".\" \"\"")) < 0)
			return r;
		return imap_command_done(cmd, "OK", "%s completed.", cmd->name);
	}
	for (unsigned i = 0; i < ctx.npatterns; i++)
		if (ctx.plens[i] > maxlen)
			maxlen = ctx.plens[i];
	ctx.row = arena_alloc(cmd->arena, 2 * (maxlen + 1) * sizeof(bool));
	if (ctx.row == NULL)
		return -ERR_NOMEM;
	if (ctx.npatterns > 0) {
		/* ACL hook: own folders, then other users' under #shared */
		r = imap_acl_folder_list(cmd, ctx.lsub ||
					 (ctx.opts & SEL_SUBSCRIBED),
					 collect, &ctx);
		if (r < 0)
			return imap_command_error(cmd, r);
	}
	if ((r = output(&ctx)) < 0)
		return r;
	return imap_command_done(cmd, "OK", "%s completed.", cmd->name);
}
