/* Maildock - SPDX-License-Identifier: MIT
 *
 * LIST and LSUB (RFC 3501 6.3.8-6.3.9): reference plus pattern with the
 * "*" and "%" wildcards, the quoted "." delimiter (B06), \Noselect and the
 * CHILDREN attributes (RFC 3348), names in modified UTF-7.
 */
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/store.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

#define PATTERN_MAX 1024

struct list_ctx {
	struct imap_cmd *cmd;
	const char *pattern;
	size_t plen;
	bool lsub;
	bool *row;		/* DP rows for the matcher, 2 * (plen + 1) */
	int error;
};

/* match: '*' matches anything, '%' anything but the delimiter. A dynamic
 * program over (name, pattern) positions: O(n * m) without backtracking
 * blow-ups on patterns like "*%*%*%". */
static bool
match(struct list_ctx *ctx, const char *name)
{
	size_t m = ctx->plen;
	bool *prev = ctx->row, *cur = ctx->row + m + 1;
	const char *p = ctx->pattern;

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

static int
list_one(void *vctx, const char *name, unsigned attrs)
{
	struct list_ctx *ctx = vctx;
	struct sbuf b;
	bool sp = false;

	if (!match(ctx, name))
		return 0;
	sbuf_init(&b, NULL, 8192);
	sbuf_appendf(&b, "* %s (", ctx->lsub ? "LSUB" : "LIST");
	if (attrs & (STORE_ATTR_NOSELECT | STORE_ATTR_NONEXISTENT)) {
		sbuf_appends(&b, "\\Noselect");
		sp = true;
	}
	if (attrs & STORE_ATTR_HASCHILDREN) {
		sbuf_appends(&b, sp ? " \\HasChildren" : "\\HasChildren");
		sp = true;
	} else if (attrs & STORE_ATTR_HASNOCHILDREN) {
		sbuf_appends(&b, sp ? " \\HasNoChildren" : "\\HasNoChildren");
	}
	sbuf_appends(&b, ") \".\" ");
	if (imap_reply_append_mailbox(&b, name) == 0)
		ctx->error = imap_reply_line(ctx->cmd->sess, &b);
	sbuf_free(&b);
	return ctx->error < 0 ? ctx->error : 0;
}

/* decode: reference and pattern from modified UTF-7, INBOX's case
 * folded; NULL for an undecodable one (which matches nothing) */
static char *
decode(struct imap_cmd *cmd, const char *s)
{
	size_t len = strlen(s), size = len * 4 + 1;
	char *out = arena_alloc(cmd->arena, size);

	if (out == NULL || store_mutf7_decode(s, len, out, size) < 0)
		return NULL;
	if (strncasecmp(out, "INBOX", 5) == 0 &&
	    (out[5] == '\0' || out[5] == '.'))
		memcpy(out, "INBOX", 5);
	return out;
}

int
imap_cmd_list(struct imap_cmd *cmd)
{
	struct list_ctx ctx = { .cmd = cmd };
	const char *ref, *pat;
	char *dref, *dpat, *full;
	int r;

	ctx.lsub = strcmp(cmd->name, "LSUB") == 0;
	if (!imap_arg_astring(&cmd->args[0], &ref) ||
	    !imap_arg_astring(&cmd->args[1], &pat) ||
	    strlen(ref) + strlen(pat) > PATTERN_MAX)
		return imap_cmd_bad_args(cmd);
	if (*pat == '\0') {
		/* the hierarchy delimiter and root (RFC 3501 6.3.8) */
		if (!ctx.lsub &&
		    (r = imap_reply_untagged(cmd->sess,
					     "LIST (\\Noselect) \".\" \"\"")) < 0)
			return r;
		return imap_reply_tagged(cmd, "OK", "%s completed.", cmd->name);
	}
	dref = decode(cmd, ref);
	dpat = decode(cmd, pat);
	if (dref == NULL || dpat == NULL)
		return imap_reply_tagged(cmd, "OK", "%s completed.", cmd->name);
	full = arena_printf(cmd->arena, "%s%s", dref, dpat);
	if (full == NULL)
		return -ERR_NOMEM;
	if (strncasecmp(full, "INBOX", 5) == 0 &&
	    (full[5] == '\0' || full[5] == '.' || full[5] == '*' ||
	     full[5] == '%'))
		memcpy(full, "INBOX", 5);
	ctx.pattern = full;
	ctx.plen = strlen(full);
	ctx.row = arena_alloc(cmd->arena, 2 * (ctx.plen + 1) * sizeof(bool));
	if (ctx.row == NULL)
		return -ERR_NOMEM;
	r = store_folder_list(cmd->sess->store, ctx.lsub, list_one, &ctx);
	if (ctx.error < 0)
		return ctx.error;
	if (r < 0)
		return imap_reply_tagged(cmd, "NO", "%s", imap_store_error(r));
	return imap_reply_tagged(cmd, "OK", "%s completed.", cmd->name);
}
