/* Maildock - SPDX-License-Identifier: MIT
 *
 * SORT and THREAD commands (RFC 5256 section 4, UID variants by
 * cmd->uid): argument parsing, the search program, and the per-message
 * records (sent date, base subject, first addresses, message ids) read
 * from each message's parsed header in a scratch arena.
 */
#include <inttypes.h>
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "core/session.h"
#include "storage/store.h"
#include "storage/store-mail.h"
#include "storage/mime/mime.h"
#include "protocols/imap/imap.h"
#include "protocols/imap/imap-search.h"
#include "protocols/imap/imap-search-cmd.h"
#include "protocols/imap/imap-sort.h"
#include "core/compat.h"

#define SORT_MSG_MEMORY (64u * 1024 * 1024)
#define SORT_MAX_REFS 256	/* message ids kept per References */

/* the ids "<...@...>" of text, at most max, without brackets, in arena a */
static unsigned
msg_ids(struct arena *a, struct sview text, const char **ids, unsigned max)
{
	const char *p = text.p, *end = text.p + text.len, *lt, *gt;
	unsigned n = 0;

	while (n < max && p < end &&
	       (lt = memchr(p, '<', (size_t)(end - p))) != NULL) {
		gt = memchr(lt, '>', (size_t)(end - lt));
		if (gt == NULL)
			break;
		/* a msg-id is "<" id-left "@" id-right ">" (RFC 5322 3.6.4):
		 * "<yes>" is no id, and would tie unrelated mail together */
		if (gt - lt > 1 &&
		    memchr(lt + 1, '<', (size_t)(gt - lt - 1)) == NULL &&
		    memchr(lt + 1, '@', (size_t)(gt - lt - 1)) != NULL) {
			char *id = arena_strndup(a, lt + 1,
						 (size_t)(gt - lt - 1));

			if (id == NULL)
				break;
			ids[n++] = id;
		}
		p = gt + 1;
	}
	return n;
}

/* the first address; a group's start marker counts, its name standing
 * as the mailbox (as Dovecot sorts "To: group: a@b;") */
static const struct mime_addr *
first_addr(const struct mime_addr *a)
{
	while (a != NULL && a->mailbox == NULL)
		a = a->next;
	return a;
}

static const char *
addr_mailbox(struct arena *a, const struct mime_addr *list)
{
	const struct mime_addr *ad = first_addr(list);

	return ad != NULL ? imap_sort_key(a, ad->mailbox, strlen(ad->mailbox))
			  : "";
}

/* RFC 5957: the decoded display name, else the addr-spec */
static const char *
addr_display(struct arena *a, struct arena *scratch,
	     const struct mime_addr *list)
{
	const struct mime_addr *ad = first_addr(list);
	struct sview dec;
	const char *s;

	if (ad == NULL)
		return "";
	if (ad->name != NULL && ad->name[0] != '\0' &&
	    mime_decode_words(scratch, sview_from_cstr(ad->name), &dec) == 0 &&
	    dec.len > 0)
		return imap_sort_key(a, dec.p, dec.len);
	s = ad->domain == NULL ? ad->mailbox :
	    arena_printf(scratch, "%s@%s", ad->mailbox, ad->domain);
	return s == NULL ? NULL : imap_sort_key(a, s, strlen(s));
}

/* the first field called name, or an empty view (Dovecot sorts and
 * threads by the first Subject:/Date:, while ENVELOPE shows the last) */
static struct sview
first_field(struct arena *scratch, const struct mime_message *m,
	    const char *name)
{
	struct sview v;

	if (mime_header_get(scratch, m, m->root, name, &v) != 1)
		v.p = NULL, v.len = 0;
	return v;
}

static int
rec_envelope(struct arena *a, struct arena *scratch,
	     const struct mime_message *m, struct imap_sort_rec *r)
{
	const struct mime_envelope *env = m->root->envelope;
	struct sview dec, refs, date, subject;
	const char **ids;
	const char *mid[1], *base;
	int ret;

	date = first_field(scratch, m, "Date");
	if (date.p == NULL ||
	    imap_sort_date_parse(date.p, date.len, &r->date) < 0)
		r->date = r->arrival;	/* RFC 5256 2.2 */
	subject = first_field(scratch, m, "Subject");
	if ((ret = mime_decode_words(scratch, subject.p != NULL ? subject :
				     SVIEW_LIT(""), &dec)) < 0)
		return ret;
	base = imap_sort_base_subject(scratch, dec.p, dec.len, &r->is_reply);
	r->subject = base == NULL ? NULL : imap_sort_key(a, base, strlen(base));
	r->from = addr_mailbox(a, env->from);
	r->to = addr_mailbox(a, env->to);
	r->cc = addr_mailbox(a, env->cc);
	r->dfrom = addr_display(a, scratch, env->from);
	r->dto = addr_display(a, scratch, env->to);
	r->message_id = env->message_id.p != NULL &&
			msg_ids(a, env->message_id, mid, 1) == 1 ? mid[0] : "";
	if ((ids = arena_alloc(a, SORT_MAX_REFS * sizeof(*ids))) == NULL)
		return -ERR_LIMIT;
	r->nrefs = 0;
	if (mime_header_get(scratch, m, m->root, "References", &refs) == 1)
		r->nrefs = msg_ids(a, refs, ids, SORT_MAX_REFS);
	if (r->nrefs == 0 && env->in_reply_to.p != NULL)
		r->nrefs = msg_ids(a, env->in_reply_to, ids, 1);
	r->refs = ids;
	if (r->subject == NULL || r->from == NULL || r->to == NULL ||
	    r->cc == NULL || r->dfrom == NULL || r->dto == NULL)
		return -ERR_LIMIT;
	return 0;
}

static void
rec_empty(struct imap_sort_rec *r)
{
	r->subject = r->from = r->to = r->cc = r->dfrom = r->dto = "";
	r->message_id = "";
	r->date = r->arrival;
}

/* fill r for message seq; a vanished file gives empty strings */
static int
rec_fill(struct imap_cmd *cmd, struct arena *scratch, unsigned needs,
	 uint32_t seq, struct imap_sort_rec *r)
{
	struct store_mailbox *box = cmd->sess->box;
	struct mime_message *m;
	struct store_mail *mail;
	time_t t = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->uid = store_msg_get(box, seq)->uid;
	if ((needs & (IMAP_SORT_NEED_ARRIVAL | IMAP_SORT_NEED_ENVELOPE)) &&
	    store_msg_internal_date(box, seq, &t) == 0)
		r->arrival = t;
	if (needs & IMAP_SORT_NEED_SIZE)
		(void)store_msg_size(box, seq, &r->size);
	rec_empty(r);
	if ((needs & IMAP_SORT_NEED_ENVELOPE) == 0)
		return 0;
	mail = store_mail_open(box, seq, scratch);
	ret = mail != NULL ? store_mail_header(mail, &m) : -ERR_LIMIT;
	if (ret == -ERR_NOTFOUND)
		return 0;
	if (ret < 0)
		return ret;
	return rec_envelope(cmd->arena, scratch, m, r);
}

static int
build_records(struct imap_cmd *cmd, const uint32_t *seqs, uint32_t n,
	      unsigned needs, struct imap_sort_rec **recs_r)
{
	struct arena *scratch = arena_new(SORT_MSG_MEMORY);
	struct imap_sort_rec *recs;
	uint32_t i;
	int ret = 0;

	recs = arena_alloc(cmd->arena, (n ? n : 1) * sizeof(*recs));
	if (recs == NULL)
		ret = -ERR_LIMIT;
	for (i = 0; i < n && ret == 0; i++) {
		ret = rec_fill(cmd, scratch, needs, seqs[i], &recs[i]);
		arena_reset(scratch);
	}
	arena_free(&scratch);
	*recs_r = recs;
	return ret;
}

/* "<criteria-or-algorithm> <charset> <search keys...>" */
static int
common_args(struct imap_cmd *cmd, const char **charset_r,
	    struct imap_search_key **prog_r)
{
	const char *error;
	int ret;

	if (cmd->argc < 3 || !imap_arg_astring(&cmd->args[1], charset_r)) {
		imap_command_done(cmd, "BAD", "Missing arguments");
		return -1;
	}
	ret = imap_search_cmd_program(cmd, cmd->args + 2, cmd->argc - 2,
				      *charset_r, prog_r, &error);
	if (ret < 0) {
		imap_search_cmd_parse_error(cmd, ret, error);
		return -1;
	}
	return 0;
}

int
imap_cmd_sort(struct imap_cmd *cmd)
{
	struct imap_sort_program sp;
	struct imap_search_arg *crit;
	struct imap_search_key *prog;
	struct imap_sort_rec *recs;
	const char *charset, *error;
	uint32_t *seqs, n, i;
	unsigned opts = 0;
	struct imap_esearch_partial partial = { 0 };
	struct sbuf b;
	int ret;

	/* ESORT (RFC 5267 3): SORT RETURN (options) criteria ... */
	if (cmd->argc >= 2 && imap_arg_atom_eq(&cmd->args[0], "RETURN")) {
		if (imap_cmd_search_return_parse(&cmd->args[1], &opts,
						 &partial) < 0 ||
		    (opts & (IMAP_ESEARCH_SAVE |	/* SEARCH's only */
			     IMAP_ESEARCH_UPDATE)))	/* no CONTEXT=SORT */
			return imap_command_done(cmd, "BAD", "Invalid RETURN "
						 "options");
		cmd->args += 2;
		cmd->argc -= 2;
	}
	if (cmd->argc < 3 || cmd->args[0].type != IMAP_ARG_LIST ||
	    imap_search_cmd_convert(cmd->arena, &cmd->args[0], 1, &crit) < 0 ||
	    imap_sort_program_parse(crit, &sp, &error) < 0)
		return imap_command_done(cmd, "BAD", "Invalid sort criteria");
	if (common_args(cmd, &charset, &prog) < 0)
		return IMAP_CMD_DONE;
	if ((ret = imap_search_cmd_run_seqs(cmd, prog, &seqs, &n)) < 0 ||
	    (ret = build_records(cmd, seqs, n, sp.needs, &recs)) < 0)
		return imap_search_cmd_run_error(cmd, ret);
	imap_sort_records(recs, n, &sp);
	if (opts != 0) {
		for (i = 0; i < n; i++)
			seqs[i] = cmd->uid ? recs[i].uid : recs[i].seq;
		ret = imap_cmd_search_esearch_write(cmd, opts, &partial, seqs,
						    n, 0);
		if (ret < 0)
			return ret == -ERR_LIMIT ?
			       imap_search_cmd_run_error(cmd, ret) : ret;
		return imap_command_done(cmd, "OK", "Sort completed.");
	}
	sbuf_init(&b, cmd->arena, 0);
	sbuf_appends(&b, "* SORT");
	for (i = 0; i < n; i++)
		sbuf_appendf(&b, " %" PRIu32, cmd->uid ? recs[i].uid :
			     recs[i].seq);
	if ((ret = imap_reply_line(cmd->sess, &b)) < 0)
		return ret == -ERR_LIMIT ?
		       imap_search_cmd_run_error(cmd, ret) : ret;
	return imap_command_done(cmd, "OK", "Sort completed.");
}

int
imap_cmd_thread(struct imap_cmd *cmd)
{
	enum imap_thread_alg alg;
	struct imap_search_key *prog;
	struct imap_sort_rec *recs;
	const char *charset;
	uint32_t *seqs, n;
	struct sbuf b;
	int ret;

	if (cmd->argc >= 1 && imap_arg_atom_eq(&cmd->args[0], "REFERENCES"))
		alg = IMAP_THREAD_REFERENCES;
	else if (cmd->argc >= 1 && imap_arg_atom_eq(&cmd->args[0], "REFS"))
		alg = IMAP_THREAD_REFS;
	else if (cmd->argc >= 1 &&
		 imap_arg_atom_eq(&cmd->args[0], "ORDEREDSUBJECT"))
		alg = IMAP_THREAD_ORDEREDSUBJECT;
	else
		return imap_command_done(cmd, "BAD", "Unknown threading "
					 "algorithm");
	if (common_args(cmd, &charset, &prog) < 0)
		return IMAP_CMD_DONE;
	if ((ret = imap_search_cmd_run_seqs(cmd, prog, &seqs, &n)) < 0 ||
	    (ret = build_records(cmd, seqs, n, IMAP_SORT_NEED_ENVELOPE |
				 IMAP_SORT_NEED_ARRIVAL, &recs)) < 0)
		return imap_search_cmd_run_error(cmd, ret);
	sbuf_init(&b, cmd->arena, 0);
	sbuf_appends(&b, n > 0 ? "* THREAD " : "* THREAD");
	ret = imap_thread_build(cmd->arena, recs, n, alg, cmd->uid, &b);
	if (ret < 0)
		return imap_search_cmd_run_error(cmd, ret);
	if ((ret = imap_reply_line(cmd->sess, &b)) < 0)
		return ret == -ERR_LIMIT ?
		       imap_search_cmd_run_error(cmd, ret) : ret;
	return imap_command_done(cmd, "OK", "Thread completed.");
}
