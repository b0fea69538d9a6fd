/* Maildock - SPDX-License-Identifier: MIT
 *
 * The full-text index in SEARCH: which keys it can narrow, keeping the
 * selected folder's entries current (new messages added, expunged ones
 * dropped) at the start of a SEARCH, and the candidate sets the scan
 * consults. Every candidate is still matched by imap_search_match, so an
 * answer is exactly the scanning search's (RFC 3501 6.4.4 substring match).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/arena.h"
#include "core/auth.h"
#include "core/auth-chain.h"
#include "core/conf.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "core/session.h"
#include "storage/store.h"
#include "storage/store-info.h"
#include "storage/fts/fts-index.h"
#include "storage/fts/fts-text.h"
#include "protocols/imap/imap.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-search.h"
#include "protocols/imap/imap-search-index.h"
#include "core/compat.h"

struct search_index_settings {
	bool enabled;
	const char *path;
	size_t max_part_size;
};

#define S(k, t, f, d, ...) \
	{ k, t, offsetof(struct search_index_settings, f), d, __VA_ARGS__ }
static const struct conf_setting search_index_settings[] = {
	S("search.index", CONF_BOOL, enabled, "yes",
	  .doc = "answer SEARCH BODY/TEXT/header keys of 3 or more characters"
		 " with the help of a full-text index"),
	S("search.index_path", CONF_STRING, path, "",
	  .doc = "the index file (%u %n %d %h ~/ as in mail.location); empty:"
		 " maildock-fts.sqlite in the user's Maildir"),
	S("search.index_max_part_size", CONF_SIZE, max_part_size, "10M",
	  .min = 1024, .max = 1024ull * 1024 * 1024,
	  .doc = "decoded text of one part above which a message is not"
		 " indexed (it is then always read by SEARCH)"),
};
#undef S

const struct conf_table imap_search_index_conf_table = {
	"search", search_index_settings, N_ELEMENTS(search_index_settings),
	sizeof(struct search_index_settings), NULL,
};

/* Changing what is stored (the producer's texts, their folding) must
 * change this, so older files are rebuilt rather than trusted. */
#define INDEX_FORMAT "maildock-fts 1"
#define INDEX_FILE "maildock-fts.sqlite"
/* Keys of one program the index narrows for; others are only matched. */
#define INDEX_MAX_KEYS 16
/* A batch of decoded messages is written in one transaction, so the
 * write lock is held for the inserts only, never while decoding. */
#define INDEX_BATCH_MSGS 256
#define INDEX_BATCH_BYTES (16u * 1024 * 1024)
/* Memory for one message's parse and decoding (as the scan's). */
#define INDEX_MSG_MEMORY (256u * 1024 * 1024)

struct imap_search_index_filter {
	struct fts_index_entry *covered;	/* indexed, ascending */
	size_t ncovered;
	uint32_t *cand;				/* may match, ascending */
	size_t ncand;
};

/* one batch of decoded messages waiting to be written */
struct batch {
	struct sbuf text;		/* the folded texts, back to back */
	struct sbuf raw;		/* the text being received */
	size_t max_part;
	size_t text_max;		/* text never grows past this */
	bool part_over;			/* raw went over max_part */
	bool full;			/* this message: every part kept */
	uint32_t uid[INDEX_BATCH_MSGS];
	size_t start[INDEX_BATCH_MSGS + 1];
	bool is_full[INDEX_BATCH_MSGS];
	size_t n;
};

/* the key may be narrowed: a text key with a needle of 3+ characters */
static bool
key_indexable(const struct imap_search_key *k)
{
	if (k->type != IMAP_SEARCH_BODY && k->type != IMAP_SEARCH_TEXT &&
	    k->type != IMAP_SEARCH_HEADER)
		return false;
	return fts_text_needle_ok(k->str, k->str_len);
}

/* the keys every match must satisfy (nested ANDs included) */
static void
keys_collect(const struct imap_search_key *k,
	     const struct imap_search_key **keys, size_t *n)
{
	size_t i;

	if (k->type == IMAP_SEARCH_AND) {
		for (i = 0; i < k->count; i++)
			keys_collect(k->children[i], keys, n);
	} else if (*n < INDEX_MAX_KEYS && key_indexable(k)) {
		keys[(*n)++] = k;
	}
}

const char *
imap_search_index_path(const struct conf *conf, struct arena *a,
			const struct auth_user *u, const char **error_r)
{
	const struct search_index_settings *s =
		conf_section(conf, &imap_search_index_conf_table);
	const char *path;
	char *dir, *slash;

	if (s == NULL || !s->enabled) {
		*error_r = "search.index is off";
		return NULL;
	}
	if (s->path[0] == '\0') {
		path = arena_printf(a, "%s/" INDEX_FILE, u->mail);
		if (path == NULL)
			*error_r = "out of memory";
		return path;
	}
	path = auth_mail_expand(a, NULL, s->path, u->user, u->home, error_r);
	if (path == NULL)
		return NULL;
	/* the index may live on another disk: make its own directory */
	if ((dir = arena_strdup(a, path)) != NULL &&
	    (slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			*error_r = "cannot make the index's directory";
			return NULL;
		}
	}
	return path;
}

void
imap_search_index_tag(const struct conf *conf, char *buf, size_t size)
{
	const struct search_index_settings *s =
		conf_section(conf, &imap_search_index_conf_table);

	snprintf(buf, size, INDEX_FORMAT " part=%zu",
		 s != NULL ? s->max_part_size : 0);
}

static int
batch_chunk(void *fctx, const char *p, size_t n)
{
	struct batch *b = fctx;
	size_t start;

	if (p != NULL) {
		if (b->part_over || b->raw.len + n > b->max_part) {
			/* not kept: the message is then always read */
			b->part_over = true;
			b->full = false;
			sbuf_reset(&b->raw);
			return 0;
		}
		sbuf_append(&b->raw, p, n);
		return 0;
	}
	if (!b->part_over && b->raw.len > 0 &&
	    b->text.len + b->raw.len + 1 > b->text_max) {
		/* a message of very many parts: kept out, read by SEARCH */
		b->full = false;
	} else if (!b->part_over && b->raw.len > 0) {
		/* folded as the matcher folds the needle and the text, then
		 * made valid UTF-8 for the tokenizer; one text a line */
		start = b->text.len;
		sbuf_append(&b->text, b->raw.data, b->raw.len);
		if (!sbuf_failed(&b->text)) {
			size_t len = imap_search_fold(b->raw.data, b->raw.len,
						      b->text.data + start,
						      false, NULL);
			fts_text_sanitize(b->text.data + start, len);
			sbuf_truncate(&b->text, start + len);
			sbuf_appendc(&b->text, '\n');
		}
	}
	b->part_over = false;
	sbuf_reset(&b->raw);
	return 0;
}

/* write the batch in one transaction; 0 or the index's error */
static int
batch_flush(struct fts_index *idx, int64_t folder, struct batch *b)
{
	size_t i;
	int ret;

	if (b->n == 0)
		return 0;
	if ((ret = fts_index_begin(idx)) < 0)
		return ret;
	for (i = 0; i < b->n && ret == 0; i++)
		ret = fts_index_add(idx, folder, b->uid[i],
				    b->text.data + b->start[i],
				    b->start[i + 1] - b->start[i],
				    b->is_full[i]);
	if (ret == 0)
		ret = fts_index_commit(idx);
	else
		fts_index_rollback(idx);
	b->n = 0;
	sbuf_reset(&b->text);
	return ret;
}

/* decode message seq into the batch; a message that cannot be read is
 * left out (the scan reads it, or finds it gone) */
static void
batch_add(struct batch *b, struct store_mailbox *box, uint32_t seq,
	  uint32_t uid, struct arena *scratch)
{
	size_t mark = b->text.len;
	int ret;

	b->full = true;
	b->part_over = false;
	sbuf_reset(&b->raw);
	ret = imap_search_cmd_index_text(box, seq, scratch, batch_chunk, b);
	arena_reset(scratch);
	if (sbuf_failed(&b->text) || sbuf_failed(&b->raw)) {
		/* out of memory: the batch so far is lost, not wrong */
		b->n = 0;
		sbuf_reset(&b->text);
		return;
	}
	if (ret < 0) {
		sbuf_truncate(&b->text, mark);
		return;
	}
	b->uid[b->n] = uid;
	b->is_full[b->n] = b->full;
	b->start[b->n] = mark;
	b->start[++b->n] = b->text.len;
}

/* bring folder's entries in line with the view: drop the UIDs the view no
 * longer has (up to its last UID: newer ones are other sessions' news),
 * index those it lacks. *changed_r tells whether anything was written. */
static int
index_sync(struct imap_session *sess, struct fts_index *idx, int64_t folder,
	   const struct search_index_settings *s,
	   const struct fts_index_entry *e, size_t n, bool *changed_r)
{
	struct store_mailbox *box = sess->box;
	uint32_t count = store_mailbox_count(box), seq, uid, max_uid;
	struct arena *scratch;
	struct batch *b;
	size_t i = 0;
	int ret = 0;

	*changed_r = false;
	max_uid = count > 0 ? store_msg_get(box, count)->uid : 0;
	b = calloc(1, sizeof(*b));
	scratch = arena_new(INDEX_MSG_MEMORY);
	if (b == NULL || scratch == NULL) {
		free(b);
		arena_free(&scratch);
		return -ERR_NOMEM;
	}
	b->max_part = s->max_part_size;
	b->text_max = INDEX_BATCH_BYTES + s->max_part_size * 2;
	sbuf_init(&b->text, NULL, b->text_max + 1);
	sbuf_init(&b->raw, NULL, s->max_part_size + 1);
	for (seq = 1; seq <= count && ret == 0; seq++) {
		uid = store_msg_get(box, seq)->uid;
		for (; i < n && e[i].uid < uid; i++) {
			/* expunged */
			ret = fts_index_remove(idx, folder, e[i].uid);
			*changed_r = true;
		}
		if (i < n && e[i].uid == uid) {
			i++;
			continue;
		}
		batch_add(b, box, seq, uid, scratch);
		*changed_r = true;
		if (b->n == INDEX_BATCH_MSGS || b->text.len >= INDEX_BATCH_BYTES)
			ret = batch_flush(idx, folder, b);
	}
	for (; ret == 0 && i < n && e[i].uid <= max_uid; i++) {
		ret = fts_index_remove(idx, folder, e[i].uid);
		*changed_r = true;
	}
	if (ret == 0)
		ret = batch_flush(idx, folder, b);
	sbuf_free(&b->text);
	sbuf_free(&b->raw);
	free(b);
	arena_free(&scratch);
	return ret;
}

/* a ∩ b into a (both ascending) */
static void
intersect(uint32_t *a, size_t *na, const uint32_t *b, size_t nb)
{
	size_t i = 0, j = 0, k = 0;

	while (i < *na && j < nb) {
		if (a[i] < b[j])
			i++;
		else if (a[i] > b[j])
			j++;
		else {
			a[k++] = a[i++];
			j++;
		}
	}
	*na = k;
}

/* open, sync, query; 0 with *f_r, or an error */
static int
filter_build(struct imap_cmd *cmd, const struct search_index_settings *s,
	     const struct imap_search_key *const *keys, size_t nkeys,
	     struct fts_index **idx, struct imap_search_index_filter *f)
{
	struct imap_session *sess = cmd->sess;
	char id[STORE_OBJECTID_SIZE], tag[64];
	const char *path, *error;
	uint32_t *u;
	size_t n, k;
	int64_t folder;
	bool changed;
	int ret;

	path = imap_search_index_path(sess->s->conf, cmd->arena, sess->user,
				      &error);
	if (path == NULL) {
		slog_warn(sess->s, "search index: %s", error);
		return -ERR_INVAL;
	}
	if ((ret = store_folder_id(sess->store, sess->box_name, id,
				   sizeof(id))) < 0)
		return ret;
	imap_search_index_tag(sess->s->conf, tag, sizeof(tag));
	if ((ret = fts_index_open(path, tag, idx, &error)) < 0) {
		slog_warn(sess->s, "search index: %s: %s", path, error);
		return ret;
	}
	if (ret == 1)
		slog_info(sess->s, "search index: %s: %s: rebuilt", path,
			  error);
	if ((ret = fts_index_folder(*idx, id,
				    store_mailbox_uidvalidity(sess->box),
				    &folder)) < 0)
		return ret;
	if ((ret = fts_index_list(*idx, folder, &f->covered,
				  &f->ncovered)) < 0)
		return ret;
	ret = index_sync(sess, *idx, folder, s, f->covered, f->ncovered,
			 &changed);
	if (ret < 0 && ret != -ERR_NOSPACE && ret != -ERR_BUSY)
		return ret;
	/* full disk or a busy writer: what is indexed still narrows */
	if (changed) {
		free(f->covered);
		f->covered = NULL;
		if ((ret = fts_index_list(*idx, folder, &f->covered,
					  &f->ncovered)) < 0)
			return ret;
	}
	for (k = 0; k < nkeys; k++) {
		if ((ret = fts_index_query(*idx, folder, keys[k]->str,
					   keys[k]->str_len, &u, &n)) < 0)
			return ret;
		if (k == 0) {
			f->cand = u;
			f->ncand = n;
			continue;
		}
		intersect(f->cand, &f->ncand, u, n);
		free(u);
	}
	return 0;
}

void
imap_search_index_filter(struct imap_cmd *cmd,
			 const struct imap_search_key *prog,
			 struct imap_search_index_filter **f_r)
{
	struct imap_session *sess = cmd->sess;
	const struct search_index_settings *s =
		conf_section(sess->s->conf, &imap_search_index_conf_table);
	const struct imap_search_key *keys[INDEX_MAX_KEYS];
	struct imap_search_index_filter *f;
	struct fts_index *idx = NULL;
	size_t nkeys = 0;
	int ret, attempt;

	*f_r = NULL;
	/* another user's folder (ACL) is not this user's to index */
	if (s == NULL || !s->enabled || sess->user == NULL ||
	    sess->box_name == NULL ||
	    (sess->acl != NULL && sess->acl->store != sess->store))
		return;
	keys_collect(prog, keys, &nkeys);
	if (nkeys == 0)
		return;
	for (attempt = 0; attempt < 2; attempt++) {
		if ((f = calloc(1, sizeof(*f))) == NULL)
			return;
		ret = filter_build(cmd, s, keys, nkeys, &idx, f);
		fts_index_close(&idx);	/* removed when found damaged */
		if (ret == 0) {
			slog_debug(sess->s, "search index: candidates=%zu "
				   "indexed=%zu", f->ncand, f->ncovered);
			*f_r = f;
			return;
		}
		imap_search_index_filter_free(&f);
		slog_warn(sess->s, "search index: not used: %s%s",
			  err_str(ret), ret == -ERR_CORRUPT ?
			  " (damaged: rebuilt)" : "");
		if (ret != -ERR_CORRUPT)
			return;
	}
}

void
imap_search_index_folder_gone(struct imap_cmd *cmd, const char *mailbox_id)
{
	struct imap_session *sess = cmd->sess;
	struct fts_index *idx;
	const char *path, *error;
	char tag[64];
	int ret;

	path = imap_search_index_path(sess->s->conf, cmd->arena, sess->user,
				      &error);
	if (path == NULL || access(path, F_OK) < 0)
		return;
	imap_search_index_tag(sess->s->conf, tag, sizeof(tag));
	if (fts_index_open(path, tag, &idx, &error) < 0)
		return;
	if ((ret = fts_index_drop(idx, mailbox_id)) < 0)
		slog_warn(sess->s, "search index: dropping a deleted folder: "
			  "%s", err_str(ret));
	fts_index_close(&idx);
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct fts_index_entry *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

bool
imap_search_index_skip(const struct imap_search_index_filter *f, uint32_t uid)
{
	struct fts_index_entry key = { uid, true };
	const struct fts_index_entry *e;

	if (f->ncovered == 0)
		return false;
	e = bsearch(&key, f->covered, f->ncovered, sizeof(*f->covered),
		    entry_cmp);
	if (e == NULL || !e->full)
		return false;
	if (f->ncand == 0)
		return true;	/* no candidate at all */
	return bsearch(&uid, f->cand, f->ncand, sizeof(uid), uid_cmp) == NULL;
}

void
imap_search_index_filter_free(struct imap_search_index_filter **fp)
{
	struct imap_search_index_filter *f = *fp;

	if (f == NULL)
		return;
	*fp = NULL;
	free(f->covered);
	free(f->cand);
	free(f);
}
