/* Maildock - SPDX-License-Identifier: MIT
 *
 * Session views of a folder: a private, UID-sorted copy of the shared
 * records that changes only in sync (RFC 3501 7.4.1), the \Recent claim
 * (RFC 3501 2.3.2), flag and keyword changes by file rename, expunge, and
 * and the view's change watch for IDLE (maildir-watch.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-keywords.h"
#include "storage/maildir/maildir-sync.h"
#include "storage/maildir/maildir-quota.h"
#include "core/error.h"
#include "core/compat.h"

#define VIEW(mb) ((struct maildir_mailbox *)(mb))

static void
msg_set_kw(struct store_msg *m, const struct maildir_rec *r)
{
	free((void *)m->keywords);
	m->keywords = NULL;
	m->keyword_count = r->kw_n;
	if (r->kw_n > 0) {
		unsigned *k = xmalloc(r->kw_n * sizeof(*k));
		memcpy(k, r->kw, r->kw_n * sizeof(*k));
		m->keywords = k;
	}
}

static bool
msg_differs(const struct store_msg *m, const struct maildir_rec *r)
{
	return (m->flags & STORE_FLAGS_PERMANENT) != r->flags ||
	       m->modseq != r->modseq || m->keyword_count != r->kw_n ||
	       (r->kw_n > 0 && memcmp(m->keywords, r->kw,
				      r->kw_n * sizeof(unsigned)) != 0);
}

static void
view_copy_kw(struct maildir_mailbox *v)
{
	struct maildir_folder *f = v->f;

	free(v->kw_names);
	v->kw_names = xmalloc((f->kw_n + 1) * sizeof(char *));
	for (unsigned i = 0; i < f->kw_n; i++)
		v->kw_names[i] = f->kw_names[i];
	v->kw_n = f->kw_n;
}

void
maildir_view_remove(struct maildir_mailbox *v, uint32_t seq)
{
	struct store_msg *m = &v->msgs[seq - 1];

	if ((m->flags & STORE_FLAG_RECENT) != 0)
		v->recent--;
	free((void *)m->keywords);
	memmove(m, m + 1, (v->count - seq) * sizeof(*m));
	v->count--;
}

/* merge: bring v's messages up to f's (f->lock held). */
static void
merge(struct maildir_mailbox *v, uint32_t recent_from,
      const struct store_sync_cb *cb, void *ctx)
{
	struct maildir_folder *f = v->f;
	struct store_msg *out = xcalloc(f->n + 1, sizeof(*out));
	uint32_t *gone = xmalloc((v->count + 1) * 2 * sizeof(*gone));
	uint32_t *chg = xmalloc((f->n + 1) * sizeof(*chg));
	size_t i = 0, k = 0, o = 0, ng = 0, nc = 0;
	uint32_t old_count = v->count, old_recent = v->recent;
	uint32_t known_next = v->uidnext;

	v->recent = 0;
	while (i < v->count || k < f->n) {
		struct store_msg *m = i < v->count ? &v->msgs[i] : NULL;
		struct maildir_rec *r = k < f->n ? &f->recs[k] : NULL;
		if (m != NULL && (r == NULL || m->uid < r->uid)) {
			gone[2 * ng] = (uint32_t)i + 1;
			gone[2 * ng++ + 1] = m->uid;
			free((void *)m->keywords);
			i++;
			continue;
		}
		out[o].uid = r->uid;
		if (m != NULL && m->uid == r->uid) {
			out[o] = *m;
			if (msg_differs(m, r)) {
				out[o].keywords = NULL;
				free((void *)m->keywords);
				msg_set_kw(&out[o], r);
				out[o].flags = r->flags |
					(m->flags & STORE_FLAG_RECENT);
				out[o].modseq = r->modseq;
				chg[nc++] = (uint32_t)o + 1;
			}
			i++;
		} else {
			out[o].flags = r->flags;
			out[o].modseq = r->modseq;
			msg_set_kw(&out[o], r);
			if (!v->readonly && r->uid >= recent_from &&
			    r->uid >= known_next)
				out[o].flags |= STORE_FLAG_RECENT;
		}
		if ((out[o].flags & STORE_FLAG_RECENT) != 0)
			v->recent++;
		k++;
		o++;
	}
	free(v->msgs);
	v->msgs = out;
	v->count = (uint32_t)o;
	v->cap = (uint32_t)f->n + 1;
	v->uidnext = f->uidnext;
	v->uidvalidity = f->uidvalidity;
	v->gen = f->gen;
	v->highestmodseq = maildir_modseq_highest(f);
	view_copy_kw(v);
	for (i = ng; i > 0; i--)
		if (cb->expunged != NULL)
			cb->expunged(ctx, gone[2 * (i - 1)],
				     gone[2 * (i - 1) + 1]);
	if (cb->exists != NULL && v->count > old_count - ng)
		cb->exists(ctx, v->count);
	if (cb->recent != NULL && v->recent != old_recent)
		cb->recent(ctx, v->recent);
	for (i = 0; i < nc; i++)
		if (cb->flags_changed != NULL)
			cb->flags_changed(ctx, chg[i]);
	free(gone);
	free(chg);
}

int
maildir_mailbox_sync(struct store_mailbox *mb, const struct store_sync_cb *cb,
		     void *ctx)
{
	struct maildir_mailbox *v = VIEW(mb);
	uint32_t recent_from = UINT32_MAX;
	int r;

	pthread_mutex_lock(&v->f->lock);
	r = maildir_folder_refresh(v->f, false, !v->readonly, &recent_from);
	/* renumbered under a new UIDVALIDITY (UIDs ran out): the view's
	 * UIDs name nothing any more, as when the folder is gone */
	if (r == 0 && v->uidvalidity != 0 &&
	    v->uidvalidity != v->f->uidvalidity)
		r = -ERR_NOTFOUND;
	if (r == 0)
		merge(v, recent_from, cb, ctx);
	pthread_mutex_unlock(&v->f->lock);
	return r;
}

int
maildir_mailbox_open(struct store_user *u, const char *name, bool readonly,
		     struct store_mailbox **mb_r)
{
	struct maildir_user *mu = (struct maildir_user *)u;
	struct maildir_mailbox *v;
	struct maildir_folder *f;
	char dir[MAILDIR_PATH_MAX];
	static const struct store_sync_cb none;
	int r;

	if ((r = maildir_name_to_dir(mu->root, name, dir, sizeof(dir))) < 0)
		return r;
	/* an object replaced under a reused cur/ inode is found gone at
	 * its first sync: then the folder now there is asked for again */
	for (int tries = 0;; tries++) {
		if ((r = maildir_folder_get(mu->root, dir, &f)) < 0) {
			maildir_set_error(u, "open folder", errno);
			return r;
		}
		v = xcalloc(1, sizeof(*v));
		v->base.ops = &maildir_ops;
		v->base.user = u;
		v->f = f;
		v->readonly = readonly;
		if ((r = maildir_mailbox_sync(&v->base, &none, NULL)) == 0)
			break;
		bool again = r == -ERR_NOTFOUND && f->gone && tries < 2;
		maildir_folder_put(&v->f);
		free(v);
		if (!again)
			return r;
	}
	v->next = mu->views;
	mu->views = v;
	*mb_r = &v->base;
	return 0;
}

void
maildir_mailbox_close(struct store_mailbox *mb)
{
	struct maildir_mailbox *v = VIEW(mb), **pp;
	struct maildir_user *mu = (struct maildir_user *)mb->user;

	for (pp = &mu->views; *pp != NULL; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	if (v->pop3_locked)
		maildir_pop3_unlock(mb);
	maildir_mailbox_unwatch(mb);
	for (uint32_t i = 0; i < v->count; i++)
		free((void *)v->msgs[i].keywords);
	for (uint32_t i = 0; i < v->pop3_n; i++)
		free(v->pop3_uidls[i]);
	free(v->pop3_uidls);
	free(v->msgs);
	free(v->kw_names);
	maildir_folder_put(&v->f);
	free(v);
}

int
maildir_mailbox_watch(struct store_mailbox *mb, store_watch_fn *fn,
		      void *ctx)
{
	struct maildir_mailbox *v = VIEW(mb);

	maildir_mailbox_unwatch(mb);
	v->watcher.fn = fn;
	v->watcher.ctx = ctx;
	return maildir_watch_add(v->f, &v->watcher);
}

void
maildir_mailbox_unwatch(struct store_mailbox *mb)
{
	struct maildir_mailbox *v = VIEW(mb);

	if (v->watcher.fn == NULL)
		return;
	maildir_watch_del(v->f, &v->watcher);
	v->watcher.fn = NULL;
}

static int
rename_rec(struct maildir_folder *f, struct maildir_rec *r, unsigned flags)
{
	char name[300], from[MAILDIR_PATH_MAX], to[MAILDIR_PATH_MAX];
	int ret;

	if ((ret = maildir_flags_name(r->name, flags, name, sizeof(name))) < 0)
		return ret;
	if (strcmp(name, r->name) == 0) {
		r->flags = flags;
		return 0;
	}
	if (maildir_path(from, sizeof(from), f->dir, "cur", r->name) < 0 ||
	    maildir_path(to, sizeof(to), f->dir, "cur", name) < 0)
		return -ERR_LIMIT;
	if (rename(from, to) < 0)
		return maildir_errno(errno);
	free(r->name);
	r->name = xstrdup(name);
	r->flags = flags;
	return 0;
}

static int
set_flags_locked(struct maildir_mailbox *v, struct store_msg *m,
		 uint64_t unchangedsince, enum store_flags_mode mode,
		 unsigned flags, const char *const *keywords, size_t n)
{
	struct maildir_folder *f = v->f;
	struct maildir_rec *r = maildir_folder_find(f, m->uid);
	unsigned nf;
	int ret, kwc = 0;

	if (r == NULL)
		return 0;
	if (r->modseq > unchangedsince)
		return 1;	/* RFC 7162 3.1.3: changed since */
	flags &= STORE_FLAGS_PERMANENT;
	nf = mode == STORE_FLAGS_SET ? flags : mode == STORE_FLAGS_ADD ?
	     r->flags | flags : r->flags & ~flags;
	if (n > 0 || mode == STORE_FLAGS_SET) {
		kwc = maildir_keywords_set(f, r, mode, keywords, n);
		if (kwc < 0)
			return kwc;
	}
	ret = rename_rec(f, r, nf);
	if (ret == -ERR_NOTFOUND) {
		/* renamed or expunged by another process meanwhile */
		uint32_t uid = m->uid;
		if ((ret = maildir_folder_refresh(f, true, false, NULL)) < 0)
			return ret;
		if ((r = maildir_folder_find(f, uid)) == NULL)
			return 0;
		ret = rename_rec(f, r, nf);
	}
	if (ret < 0 || (ret = maildir_modseq_touch(f, r)) < 0)
		return ret;
	if (msg_differs(m, r)) {
		m->flags = r->flags | (m->flags & STORE_FLAG_RECENT);
		m->modseq = r->modseq;
		msg_set_kw(m, r);
		kwc = 1;
	}
	if (kwc > 0)
		view_copy_kw(v);
	maildir_folder_changed(f);
	return 0;
}

bool
maildir_msg_expunged(struct store_mailbox *mb, uint32_t seq)
{
	struct maildir_mailbox *v = VIEW(mb);
	bool gone;

	if (seq == 0 || seq > v->count)
		return false;
	pthread_mutex_lock(&v->f->lock);
	gone = maildir_folder_find(v->f, v->msgs[seq - 1].uid) == NULL;
	pthread_mutex_unlock(&v->f->lock);
	return gone;
}

int
maildir_msg_set_flags(struct store_mailbox *mb, uint32_t seq,
		      uint64_t unchangedsince, enum store_flags_mode mode,
		      unsigned flags, const char *const *keywords, size_t n)
{
	struct maildir_mailbox *v = VIEW(mb);
	int r;

	if (v->readonly)
		return -ERR_PERM;
	if (seq == 0 || seq > v->count)
		return -ERR_INVAL;
	for (size_t i = 0; i < n; i++)
		if ((r = maildir_keywords_check(keywords[i])) < 0)
			return r;
	pthread_mutex_lock(&v->f->lock);
	r = maildir_folder_here(v->f);
	if (r == 0)
		r = set_flags_locked(v, &v->msgs[seq - 1], unchangedsince,
				     mode, flags, keywords, n);
	pthread_mutex_unlock(&v->f->lock);
	if (r < 0)
		maildir_set_error(mb->user, "set flags", errno);
	return r;
}

static bool
in_ranges(uint32_t uid, const struct store_uid_range *ranges, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (uid >= ranges[i].first && uid <= ranges[i].last)
			return true;
	return false;
}

int
maildir_mailbox_expunge(struct store_mailbox *mb,
			const struct store_uid_range *ranges, size_t n,
			store_expunged_fn *expunged, void *ctx)
{
	struct maildir_mailbox *v = VIEW(mb);
	struct maildir_folder *f = v->f;
	char path[MAILDIR_PATH_MAX];
	int64_t bytes = 0, msgs = 0;
	int ret = 0;

	if (v->readonly)
		return -ERR_PERM;
	pthread_mutex_lock(&f->lock);
	if (maildir_folder_refresh(f, false, false, NULL) == -ERR_NOTFOUND) {
		pthread_mutex_unlock(&f->lock);
		return -ERR_NOTFOUND;	/* gone: its files are not ours */
	}
	for (uint32_t seq = v->count; seq > 0; seq--) {
		struct store_msg *m = &v->msgs[seq - 1];
		struct maildir_rec *r = maildir_folder_find(f, m->uid);
		if (r == NULL || (r->flags & STORE_FLAG_DELETED) == 0 ||
		    (ranges != NULL && !in_ranges(m->uid, ranges, n)))
			continue;
		uint64_t size = 0;
		if (!maildir_size_parse(r->name, 'S', &size)) {
			struct stat st;
			maildir_path(path, sizeof(path), f->dir, "cur",
				     r->name);
			if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
				size = (uint64_t)st.st_size;
		}
		maildir_path(path, sizeof(path), f->dir, "cur", r->name);
		if (unlink(path) < 0 && errno != ENOENT) {
			ret = maildir_errno(errno);
			maildir_set_error(mb->user, "expunge", errno);
			continue;
		}
		bytes -= (int64_t)size;
		msgs--;
		uint32_t uid = m->uid;
		maildir_folder_remove(f, uid);
		maildir_view_remove(v, seq);
		if (expunged != NULL)
			expunged(ctx, seq, uid);
	}
	if (msgs != 0)
		maildir_folder_changed(f);
	pthread_mutex_unlock(&f->lock);
	if (msgs != 0)
		maildir_quota_add(f->root, bytes, msgs);
	return ret;
}
