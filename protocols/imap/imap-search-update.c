/* Maildock - SPDX-License-Identifier: MIT
 *
 * SEARCH RETURN (UPDATE) and CANCELUPDATE (RFC 5267 4). A context keeps
 * its program and a snapshot of the view: each message's UID, the MODSEQ
 * it had when last evaluated, and whether it was in the result. A sync
 * evaluates again only the messages that are new or changed since (every
 * flag or keyword change raises a message's MODSEQ), so an update costs
 * one pass over the view plus the changed messages.
 */
#include <inttypes.h>
#include <stdlib.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/store.h"
#include "protocols/imap/imap.h"
#include "protocols/imap/imap-commands.h"
#include "protocols/imap/imap-search.h"
#include "protocols/imap/imap-search-cmd.h"
#include "protocols/imap/imap-search-update.h"
#include "core/compat.h"

/* A context's program, its tag and its strings. */
#define UPDATE_ARENA_MAX (4u * 1024 * 1024)
/* One message's parse while evaluating, as SEARCH allows. */
#define UPDATE_MSG_MEMORY (256u * 1024 * 1024)

struct imap_search_update {
	struct imap_search_update *next;
	struct arena *arena;
	const char *tag;
	bool uid;			/* UID SEARCH: report UIDs */
	struct imap_search_key *prog;
	uint32_t n;			/* snapshot: messages, by UID */
	uint32_t *uids;
	uint64_t *modseqs;
	bool *in;			/* in the result */
};

/* seq_to_uid: SEQSET keys as the UIDs they name now ("*" the last) */
static void
seq_to_uid(struct store_mailbox *box, struct imap_search_key *k)
{
	uint32_t count = store_mailbox_count(box);
	size_t kept = 0;

	for (size_t i = 0; i < k->count; i++)
		seq_to_uid(box, k->children[i]);
	if (k->type != IMAP_SEARCH_SEQSET)
		return;
	for (size_t i = 0; i < k->range_count; i++) {
		uint32_t lo = k->ranges[i].lo ? k->ranges[i].lo : count;
		uint32_t hi = k->ranges[i].hi ? k->ranges[i].hi : count;

		if (lo > hi) {
			uint32_t t = lo;
			lo = hi;
			hi = t;
		}
		if (lo == 0 || lo > count)
			continue;	/* names no message */
		if (hi > count)
			hi = count;
		k->ranges[kept].lo = store_msg_get(box, lo)->uid;
		k->ranges[kept].hi = store_msg_get(box, hi)->uid;
		kept++;
	}
	k->range_count = kept;	/* none: matches nothing */
	k->type = IMAP_SEARCH_UIDSET;
}

int
imap_search_update_new(struct imap_cmd *cmd, const struct imap_arg *args,
		       unsigned argc, struct imap_search_update **upd_r,
		       const struct imap_search_key **prog_r,
		       const char **error_r)
{
	struct imap_search_update *upd = xcalloc(1, sizeof(*upd));
	int ret;

	upd->arena = arena_new(UPDATE_ARENA_MAX);
	upd->uid = cmd->uid;
	upd->tag = arena_strdup(upd->arena, cmd->tag);
	if (upd->tag == NULL) {
		*error_r = "Search program too large";
		ret = -ERR_LIMIT;
	} else {
		ret = imap_search_cmd_program_in(cmd, upd->arena, args, argc,
						 NULL, &upd->prog, error_r);
	}
	if (ret < 0) {
		imap_search_update_free(&upd);
		return ret;
	}
	seq_to_uid(cmd->sess->box, upd->prog);
	*upd_r = upd;
	*prog_r = upd->prog;
	return 0;
}

static void
snapshot_free(struct imap_search_update *upd)
{
	free(upd->uids);
	free(upd->modseqs);
	free(upd->in);
	upd->uids = NULL;
	upd->modseqs = NULL;
	upd->in = NULL;
	upd->n = 0;
}

void
imap_search_update_free(struct imap_search_update **upd)
{
	if (*upd == NULL)
		return;
	snapshot_free(*upd);
	arena_free(&(*upd)->arena);
	free(*upd);
	*upd = NULL;
}

static void
snapshot_alloc(uint32_t n, uint32_t **uids, uint64_t **modseqs, bool **in)
{
	size_t k = n ? n : 1;

	*uids = xcalloc(k, sizeof(**uids));
	*modseqs = xcalloc(k, sizeof(**modseqs));
	*in = xcalloc(k, sizeof(**in));
}

int
imap_search_update_start(struct imap_cmd *cmd,
			 struct imap_search_update **updp,
			 const uint32_t *ids, uint32_t n)
{
	struct imap_session *sess = cmd->sess;
	struct imap_search_update *upd = *updp, *u;
	uint32_t count = store_mailbox_count(sess->box), k = 0, i;
	unsigned active = 0;
	struct sbuf b;

	for (u = sess->updates; u != NULL; u = u->next)
		active++;
	if (active >= IMAP_SEARCH_UPDATE_MAX) {
		imap_search_update_free(updp);
		sbuf_init(&b, cmd->arena, 0);
		sbuf_appends(&b, "* NO [NOUPDATE ");
		imap_reply_append_string(&b, cmd->tag, strlen(cmd->tag));
		sbuf_appends(&b, "] Too many updating searches");
		return imap_reply_line(sess, &b);
	}
	upd->n = count;
	snapshot_alloc(count, &upd->uids, &upd->modseqs, &upd->in);
	for (i = 0; i < count; i++) {
		const struct store_msg *m = store_msg_get(sess->box, i + 1);

		upd->uids[i] = m->uid;
		upd->modseqs[i] = m->modseq;
		if (k < n && ids[k] == (cmd->uid ? m->uid : i + 1)) {
			upd->in[i] = true;
			k++;
		}
	}
	upd->next = sess->updates;
	sess->updates = upd;
	*updp = NULL;
	return 0;
}

bool
imap_search_update_has_tag(const struct imap_session *sess, const char *tag)
{
	for (const struct imap_search_update *u = sess->updates; u != NULL;
	     u = u->next)
		if (strcmp(u->tag, tag) == 0)
			return true;
	return false;
}

/* esearch_line: "* ESEARCH (TAG "t") [UID] [REMOVEFROM (0 set)]
 * [ADDTO (0 set)]" */
static int
esearch_line(struct imap_session *sess, const struct imap_search_update *upd,
	     const uint32_t *rm, uint32_t nrm, const uint32_t *add,
	     uint32_t nadd)
{
	struct sbuf b;
	int r;

	sbuf_init(&b, NULL, 0);
	sbuf_appends(&b, "* ESEARCH (TAG ");
	imap_reply_append_string(&b, upd->tag, strlen(upd->tag));
	sbuf_appendc(&b, ')');
	if (upd->uid)
		sbuf_appends(&b, " UID");
	if (nrm > 0) {
		sbuf_appends(&b, " REMOVEFROM (0 ");
		imap_seqset_append_uids(&b, rm, nrm);
		sbuf_appendc(&b, ')');
	}
	if (nadd > 0) {
		sbuf_appends(&b, " ADDTO (0 ");
		imap_seqset_append_uids(&b, add, nadd);
		sbuf_appendc(&b, ')');
	}
	r = imap_reply_line(sess, &b);
	sbuf_free(&b);
	return r;
}

void
imap_search_update_expunged(struct imap_session *sess, uint32_t seq,
			    uint32_t uid)
{
	for (struct imap_search_update *u = sess->updates; u != NULL;
	     u = u->next) {
		uint32_t lo = 0, hi = u->n, id = u->uid ? uid : seq;

		while (lo < hi) {	/* the snapshot ascends by UID */
			uint32_t mid = lo + (hi - lo) / 2;
			if (u->uids[mid] < uid)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= u->n || u->uids[lo] != uid)
			continue;
		if (u->in[lo])
			(void)esearch_line(sess, u, &id, 1, NULL, 0);
		u->n--;
		memmove(u->uids + lo, u->uids + lo + 1,
			(u->n - lo) * sizeof(*u->uids));
		memmove(u->modseqs + lo, u->modseqs + lo + 1,
			(u->n - lo) * sizeof(*u->modseqs));
		memmove(u->in + lo, u->in + lo + 1, (u->n - lo) * sizeof(*u->in));
	}
}

/* resync: evaluate upd on the view's new and changed messages; the
 * changes go to rm/add (ids as the client numbers them) */
static int
resync(struct imap_session *sess, struct imap_search_update *upd,
       struct arena *scratch, uint32_t *rm, uint32_t *nrm, uint32_t *add,
       uint32_t *nadd)
{
	struct store_mailbox *box = sess->box;
	uint32_t count = store_mailbox_count(box), j = 0, seq;
	uint32_t *uids;
	uint64_t *modseqs;
	bool *in;
	int ret = 0;

	snapshot_alloc(count, &uids, &modseqs, &in);
	*nrm = *nadd = 0;
	for (seq = 1; seq <= count; seq++) {
		const struct store_msg *m = store_msg_get(box, seq);
		uint32_t id = upd->uid ? m->uid : seq;
		bool was = false, known;

		while (j < upd->n && upd->uids[j] < m->uid)
			j++;	/* gone without an expunge report: stale */
		known = j < upd->n && upd->uids[j] == m->uid;
		if (known)
			was = upd->in[j];
		uids[seq - 1] = m->uid;
		modseqs[seq - 1] = m->modseq;
		in[seq - 1] = was;
		if (known && upd->modseqs[j] == m->modseq)
			continue;
		if ((ret = imap_search_cmd_match(box, upd->prog, scratch,
						 seq)) < 0)
			break;
		in[seq - 1] = ret == 1;
		if (in[seq - 1] && !was)
			add[(*nadd)++] = id;
		else if (!in[seq - 1] && was)
			rm[(*nrm)++] = id;
		ret = 0;
	}
	if (ret < 0) {
		free(uids);
		free(modseqs);
		free(in);
		return ret;
	}
	snapshot_free(upd);
	upd->n = count;
	upd->uids = uids;
	upd->modseqs = modseqs;
	upd->in = in;
	return 0;
}

int
imap_search_update_sync(struct imap_session *sess)
{
	uint32_t count, nrm, nadd, *rm, *add;
	struct arena *scratch;
	int r = 0;

	if (sess->updates == NULL || sess->box == NULL)
		return 0;
	count = store_mailbox_count(sess->box);
	rm = xcalloc(count ? count : 1, sizeof(*rm));
	add = xcalloc(count ? count : 1, sizeof(*add));
	scratch = arena_new(UPDATE_MSG_MEMORY);
	for (struct imap_search_update *u = sess->updates; u != NULL && r == 0;
	     u = u->next) {
		if (resync(sess, u, scratch, rm, &nrm, add, &nadd) < 0)
			continue;	/* tried again at the next sync */
		if (nrm > 0 || nadd > 0)
			r = esearch_line(sess, u, rm, nrm, add, nadd);
	}
	arena_free(&scratch);
	free(rm);
	free(add);
	return r;
}

void
imap_search_update_clear(struct imap_session *sess)
{
	while (sess->updates != NULL) {
		struct imap_search_update *u = sess->updates;

		sess->updates = u->next;
		imap_search_update_free(&u);
	}
}

int
imap_cmd_cancelupdate(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;
	const char *tag;
	unsigned i;

	for (i = 0; i < cmd->argc; i++) {
		if (!imap_arg_string(&cmd->args[i], &tag))
			return imap_cmd_bad_args(cmd);
		if (!imap_search_update_has_tag(sess, tag))
			return imap_command_done(cmd, "NO", "Unknown search "
						 "update tag");
	}
	for (i = 0; i < cmd->argc; i++) {
		struct imap_search_update **pp = &sess->updates, *u;

		(void)imap_arg_string(&cmd->args[i], &tag);
		while ((u = *pp) != NULL && strcmp(u->tag, tag) != 0)
			pp = &u->next;
		if (u == NULL)
			continue;	/* named twice */
		*pp = u->next;
		imap_search_update_free(&u);
	}
	return imap_command_done(cmd, "OK", "Updates cancelled.");
}
