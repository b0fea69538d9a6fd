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
#include <unistd.h>
#include "core/arena.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "core/session.h"
#include "storage/store.h"
#include "storage/mime/mime.h"
#include "protocols/imap/imap.h"
#include "protocols/imap/imap-condstore.h"
#include "protocols/imap/imap-search.h"
#include "protocols/imap/imap-search-cmd.h"
#include "core/compat.h"

#define RET_MIN		IMAP_ESEARCH_MIN
#define RET_MAX		IMAP_ESEARCH_MAX
#define RET_ALL		IMAP_ESEARCH_ALL
#define RET_COUNT	IMAP_ESEARCH_COUNT

int
imap_cmd_search_return_parse(const struct imap_arg *arg, unsigned *ret_r)
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
		else
			return -ERR_SYNTAX;
	}
	if (*ret_r == 0)
		*ret_r = RET_ALL;	/* RETURN () is RETURN (ALL) */
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

int
imap_cmd_search_esearch_write(struct imap_cmd *cmd, unsigned opts,
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
	if (modseq > 0)
		sbuf_appendf(&b, " MODSEQ %" PRIu64, modseq);
	return imap_reply_line(cmd->sess, &b);
}

int
imap_cmd_search(struct imap_cmd *cmd)
{
	const struct imap_arg *args = cmd->args;
	unsigned argc = cmd->argc, opts = 0;
	struct imap_search_key *prog;
	uint32_t *ids, n;
	const char *error;
	bool esearch = false;
	uint64_t modseq;
	int ret;

	if (argc >= 2 && imap_arg_atom_eq(&args[0], "RETURN")) {
		if (imap_cmd_search_return_parse(&args[1], &opts) < 0)
			return imap_reply_tagged(cmd, "BAD", "Invalid RETURN "
						 "options");
		esearch = true;
		args += 2;
		argc -= 2;
	}
	ret = imap_search_cmd_program(cmd, args, argc, NULL, &prog, &error);
	if (ret < 0)
		return imap_search_cmd_parse_error(cmd, ret, error);
	ret = imap_search_cmd_run(cmd, prog, &ids, &n);
	if (ret < 0)
		return imap_search_cmd_run_error(cmd, ret);
	if ((ret = highest_modseq(cmd, prog, opts, ids, n, &modseq)) < 0)
		return ret;
	ret = esearch ? imap_cmd_search_esearch_write(cmd, opts, ids, n,
							 modseq) :
			write_plain(cmd->sess, ids, n, modseq);
	if (ret < 0)
		return ret;
	return imap_reply_tagged(cmd, "OK", "Search completed.");
}
