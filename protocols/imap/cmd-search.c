/* Maildock - SPDX-License-Identifier: MIT
 *
 * SEARCH and UID SEARCH (RFC 3501 6.4.4, 6.4.8) with ESEARCH's RETURN
 * options (RFC 4731) and the MODSEQ of the matches (RFC 7162 3.1.5). The
 * program (imap-search.h) sees each message through imap_search_msg; the
 * message file is mapped and parsed only when a text or SENT* key is
 * reached, in a scratch arena reset per message.
 * The view is not synced, so no EXPUNGE is sent during SEARCH (7.4.1).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>
#include "core/arena.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "core/session.h"
#include "storage/store.h"
#include "storage/mime/mime.h"
#include "protocols/imap/imap.h"
#include "protocols/imap/imap-commands.h"
#include "protocols/imap/imap-condstore.h"
#include "protocols/imap/imap-search.h"
#include "protocols/imap/imap-search-cmd.h"
#include "protocols/imap/imap-search-update.h"
#include "core/compat.h"

#define RET_MIN		IMAP_ESEARCH_MIN
#define RET_MAX		IMAP_ESEARCH_MAX
#define RET_ALL		IMAP_ESEARCH_ALL
#define RET_COUNT	IMAP_ESEARCH_COUNT

/* partial_range: "a:b" or "-a:-b" (RFC 9394 3: nz-numbers of one sign,
 * in either order) */
static int
partial_range(const struct imap_arg *arg, struct imap_esearch_partial *p)
{
	const char *s;
	unsigned long long v[2];
	char *end;

	if (!imap_arg_atom(arg, &s))
		return -ERR_SYNTAX;
	p->from_end = s[0] == '-';
	for (int k = 0; k < 2; k++) {
		if ((s[0] == '-') != p->from_end)
			return -ERR_SYNTAX;
		s += p->from_end;
		if (s[0] < '1' || s[0] > '9')
			return -ERR_SYNTAX;
		v[k] = strtoull(s, &end, 10);
		if (v[k] > UINT32_MAX || *end != (k == 0 ? ':' : '\0'))
			return -ERR_SYNTAX;
		s = end + 1;
	}
	p->lo = (uint32_t)(v[0] < v[1] ? v[0] : v[1]);
	p->hi = (uint32_t)(v[0] < v[1] ? v[1] : v[0]);
	return 0;
}

int
imap_cmd_search_return_parse(const struct imap_arg *arg, unsigned *ret_r,
			     struct imap_esearch_partial *partial_r)
{
	const struct imap_arg *list;
	unsigned count, i;

	if (!imap_arg_list(arg, &list, &count))
		return -ERR_SYNTAX;
	*ret_r = 0;
	for (i = 0; i < count; i++) {
		if (imap_arg_atom_eq(&list[i], "MIN"))
			*ret_r |= RET_MIN;
		else if (imap_arg_atom_eq(&list[i], "MAX"))
			*ret_r |= RET_MAX;
		else if (imap_arg_atom_eq(&list[i], "ALL"))
			*ret_r |= RET_ALL;
		else if (imap_arg_atom_eq(&list[i], "COUNT"))
			*ret_r |= RET_COUNT;
		else if (imap_arg_atom_eq(&list[i], "SAVE"))
			*ret_r |= IMAP_ESEARCH_SAVE;
		else if (imap_arg_atom_eq(&list[i], "UPDATE") &&
			 !(*ret_r & IMAP_ESEARCH_UPDATE))
			*ret_r |= IMAP_ESEARCH_UPDATE;
		else if (imap_arg_atom_eq(&list[i], "CONTEXT"))
			continue;	/* a hint (RFC 5267 4.2) */
		else if (imap_arg_atom_eq(&list[i], "PARTIAL") &&
			 i + 1 < count && !(*ret_r & IMAP_ESEARCH_PARTIAL) &&
			 partial_range(&list[++i], partial_r) == 0)
			*ret_r |= IMAP_ESEARCH_PARTIAL;
		else
			return -ERR_SYNTAX;
	}
	/* a window of ALL, or ALL: not both (RFC 9394 3.1) */
	if ((*ret_r & RET_ALL) && (*ret_r & IMAP_ESEARCH_PARTIAL))
		return -ERR_SYNTAX;
	/* RETURN () is RETURN (ALL) (RFC 4731 3.1); UPDATE asks for no
	 * result data of its own, and its ADDTO/REMOVEFROM need the
	 * result they change (RFC 5267 4.3) */
	if ((*ret_r & ~IMAP_ESEARCH_UPDATE) == 0)
		*ret_r |= RET_ALL;
	return 0;
}

static int
write_plain(struct imap_session *sess, const uint32_t *ids, uint32_t n,
	    uint64_t modseq)
{
	char buf[40];
	uint32_t i;
	int ret;

	if ((ret = imap_reply_write(sess, "* SEARCH", 8)) < 0)
		return ret;
	for (i = 0; i < n; i++) {
		int len = snprintf(buf, sizeof(buf), " %" PRIu32, ids[i]);

		if ((ret = imap_reply_write(sess, buf, (size_t)len)) < 0)
			return ret;
	}
	if (modseq > 0) {	/* RFC 7162 3.1.5 */
		int len = snprintf(buf, sizeof(buf), " (MODSEQ %" PRIu64 ")",
				   modseq);
		if ((ret = imap_reply_write(sess, buf, (size_t)len)) < 0)
			return ret;
	}
	return imap_reply_write(sess, "\r\n", 2);
}

static void
max_modseq(struct imap_cmd *cmd, uint32_t id, uint64_t *r)
{
	struct store_mailbox *box = cmd->sess->box;
	const struct store_msg *m = store_msg_get(box, cmd->uid ?
				      store_msg_seq_by_uid(box, id) : id);

	if (m != NULL && m->modseq > *r)
		*r = m->modseq;
}

/* highest_modseq: with a MODSEQ key, the highest MODSEQ of the messages
 * the answer names: all matches, or only those returned when ESEARCH asks
 * for MIN and/or MAX alone (RFC 7162 3.1.5, 3.1.10); 0 without a MODSEQ
 * key or a match. A MODSEQ key is CONDSTORE-enabling (3.1). */
static int
highest_modseq(struct imap_cmd *cmd, const struct imap_search_key *prog,
	       unsigned opts, const uint32_t *ids, uint32_t n, uint64_t *r)
{
	*r = 0;
	if (!imap_search_has_modseq(prog))
		return 0;
	if (n > 0 && opts != 0 && (opts & (RET_ALL | RET_COUNT)) == 0) {
		if (opts & RET_MIN)
			max_modseq(cmd, ids[0], r);
		if (opts & RET_MAX)
			max_modseq(cmd, ids[n - 1], r);
	} else {
		for (uint32_t i = 0; i < n; i++)
			max_modseq(cmd, ids[i], r);
	}
	return imap_condstore_enable(cmd->sess, IMAP_ENABLED_CONDSTORE);
}

/* append_partial: " PARTIAL (range set)", the set NIL when the window
 * holds no message (RFC 9394 3.1). The range is echoed low end first:
 * "4:2" is the same range as "2:4" (RFC 9394 3, RFC 5267 4.4). */
static void
append_partial(struct sbuf *b, const struct imap_esearch_partial *p,
	       const uint32_t *ids, uint32_t n)
{
	uint32_t first, last;

	sbuf_appendf(b, " PARTIAL (%s%" PRIu32 ":%s%" PRIu32 " ",
		     p->from_end ? "-" : "", p->lo, p->from_end ? "-" : "",
		     p->hi);
	if (p->lo > n) {
		sbuf_appends(b, "NIL)");
		return;
	}
	last = p->hi < n ? p->hi : n;
	first = p->lo;
	if (p->from_end) {	/* positions counted back from the end */
		uint32_t f = n - last + 1, l = n - first + 1;
		first = f;
		last = l;
	}
	imap_seqset_append_uids(b, ids + first - 1, last - first + 1);
	sbuf_appendc(b, ')');
}

int
imap_cmd_search_esearch_write(struct imap_cmd *cmd, unsigned opts,
			      const struct imap_esearch_partial *partial,
			      const uint32_t *ids, uint32_t n, uint64_t modseq)
{
	struct sbuf b;

	sbuf_init(&b, cmd->arena, 0);
	sbuf_appends(&b, "* ESEARCH (TAG ");
	imap_reply_append_string(&b, cmd->tag, strlen(cmd->tag));
	sbuf_appendc(&b, ')');
	if (cmd->uid)
		sbuf_appends(&b, " UID");
	if ((opts & RET_MIN) && n > 0)
		sbuf_appendf(&b, " MIN %" PRIu32, ids[0]);
	if ((opts & RET_MAX) && n > 0)
		sbuf_appendf(&b, " MAX %" PRIu32, ids[n - 1]);
	if (opts & RET_COUNT)
		sbuf_appendf(&b, " COUNT %" PRIu32, n);
	if ((opts & RET_ALL) && n > 0) {
		sbuf_appends(&b, " ALL ");
		imap_seqset_append_uids(&b, ids, n);
	}
	if (opts & IMAP_ESEARCH_PARTIAL)
		append_partial(&b, partial, ids, n);
	if (modseq > 0)
		sbuf_appendf(&b, " MODSEQ %" PRIu64, modseq);
	return imap_reply_line(cmd->sess, &b);
}

void
imap_cmd_searchres_set(struct imap_session *sess, const uint32_t *uids,
		       uint32_t n)
{
	free(sess->searchres);
	sess->searchres = NULL;
	sess->searchres_n = 0;
	if (n == 0)
		return;
	sess->searchres = xcalloc(n, sizeof(*uids));
	memcpy(sess->searchres, uids, n * sizeof(*uids));
	sess->searchres_n = n;
}

int
imap_cmd_searchres_seqs(struct imap_cmd *cmd, uint32_t **seqs_r,
			uint32_t *n_r)
{
	struct imap_session *sess = cmd->sess;
	uint32_t count = store_mailbox_count(sess->box), n = 0, k = 0;
	uint32_t *seqs = arena_alloc(cmd->arena, (count ? count : 1) *
				     sizeof(*seqs));

	if (seqs == NULL)
		return -ERR_NOMEM;
	/* both lists ascend by UID: one merge pass */
	for (uint32_t seq = 1; seq <= count && k < sess->searchres_n; seq++) {
		const struct store_msg *m = store_msg_get(sess->box, seq);
		if (m == NULL)
			continue;
		while (k < sess->searchres_n && sess->searchres[k] < m->uid)
			k++;
		if (k < sess->searchres_n && sess->searchres[k] == m->uid)
			seqs[n++] = seq;
	}
	*seqs_r = seqs;
	*n_r = n;
	return 0;
}

/* save: the result as "$" (RFC 5182 2.4): only the messages MIN and MAX
 * name when they are the only other options, else all; kept as UIDs */
static int
save(struct imap_cmd *cmd, unsigned opts, const uint32_t *ids, uint32_t n)
{
	uint32_t *uids = arena_alloc(cmd->arena, (n ? n : 1) * sizeof(*uids));
	uint32_t k = 0;

	if (uids == NULL)
		return -ERR_NOMEM;
	for (uint32_t i = 0; i < n; i++) {
		if ((opts & (RET_ALL | RET_COUNT | IMAP_ESEARCH_PARTIAL)) == 0 &&
		    (opts & (RET_MIN | RET_MAX)) != 0 &&
		    !((opts & RET_MIN) && i == 0) &&
		    !((opts & RET_MAX) && i == n - 1))
			continue;
		uids[k++] = cmd->uid ? ids[i] :
			    store_msg_get(cmd->sess->box, ids[i])->uid;
	}
	imap_cmd_searchres_set(cmd->sess, uids, k);
	return 0;
}

/* program: the keys as a program of this command, or of a new update
 * context (*upd) for RETURN (UPDATE) */
static int
program(struct imap_cmd *cmd, const struct imap_arg *args, unsigned argc,
	unsigned opts, struct imap_search_update **upd,
	const struct imap_search_key **prog_r, const char **error_r)
{
	struct imap_search_key *prog;
	int ret;

	if (opts & IMAP_ESEARCH_UPDATE)
		return imap_search_update_new(cmd, args, argc, upd, prog_r,
					      error_r);
	ret = imap_search_cmd_program(cmd, args, argc, NULL, &prog, error_r);
	*prog_r = prog;
	return ret;
}

int
imap_cmd_search(struct imap_cmd *cmd)
{
	const struct imap_arg *args = cmd->args;
	unsigned argc = cmd->argc, opts = 0;
	struct imap_esearch_partial partial = { 0 };
	const struct imap_search_key *prog;
	struct imap_search_update *upd = NULL;
	uint32_t *ids, n;
	const char *error;
	bool esearch = false;
	uint64_t modseq;
	int ret;

	if (argc >= 2 && imap_arg_atom_eq(&args[0], "RETURN")) {
		if (imap_cmd_search_return_parse(&args[1], &opts,
						 &partial) < 0)
			return imap_command_done(cmd, "BAD", "Invalid RETURN "
						 "options");
		esearch = true;
		args += 2;
		argc -= 2;
	}
	/* updates are told apart by tag (RFC 5267 4.3) */
	if ((opts & IMAP_ESEARCH_UPDATE) &&
	    imap_search_update_has_tag(cmd->sess, cmd->tag))
		return imap_command_done(cmd, "BAD", "Duplicate search "
					 "update tag");
	/* the keys may name "$" (converted here, before it changes); a
	 * failed SEARCH (SAVE) leaves "$" empty (RFC 5182 2.1) */
	ret = program(cmd, args, argc, opts, &upd, &prog, &error);
	if (ret < 0 && (opts & IMAP_ESEARCH_SAVE))
		imap_cmd_searchres_set(cmd->sess, NULL, 0);
	if (ret < 0)
		return imap_search_cmd_parse_error(cmd, ret, error);
	ret = imap_search_cmd_run(cmd, prog, &ids, &n);
	if (ret < 0 && (opts & IMAP_ESEARCH_SAVE))
		imap_cmd_searchres_set(cmd->sess, NULL, 0);
	if (ret < 0) {
		imap_search_update_free(&upd);
		return imap_search_cmd_run_error(cmd, ret);
	}
	if ((opts & IMAP_ESEARCH_SAVE) && (ret = save(cmd, opts, ids, n)) < 0)
		goto out;
	if ((ret = highest_modseq(cmd, prog, opts, ids, n, &modseq)) < 0)
		goto out;
	if ((opts & ~IMAP_ESEARCH_UPDATE) == IMAP_ESEARCH_SAVE)
		ret = 0;	/* no ESEARCH (RFC 5182 2.4) */
	else if (esearch)
		ret = imap_cmd_search_esearch_write(cmd, opts, &partial, ids,
						    n, modseq);
	else
		ret = write_plain(cmd->sess, ids, n, modseq);
	if (ret == 0 && upd != NULL)
		ret = imap_search_update_start(cmd, &upd, ids, n);
out:
	imap_search_update_free(&upd);
	if (ret < 0)
		return ret;
	return imap_command_done(cmd, "OK", "Search completed.");
}
