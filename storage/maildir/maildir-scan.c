/* Maildock - SPDX-License-Identifier: MIT
 *
 * Keeping a folder object up to date with the disk: new/ is moved into
 * cur/, changes are noticed by directory stamps, unknown files get UIDs
 * under the UID list lock file, and a settled folder is loaded from the UID
 * list's file names without listing cur/.
 */
#include <dirent.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-uidlist.h"
#include "storage/maildir/maildir-keywords.h"
#include "storage/maildir/maildir-sync.h"
#include "core/error.h"
#include "core/compat.h"

struct listing {
	char **names;
	unsigned *blen;		/* base name lengths */
	size_t n, cap;
};

static void
listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l->blen);
	memset(l, 0, sizeof(*l));
}

/* is_file: entry de of d is a regular file. A symbolic link, FIFO or
 * device is never a message: a link in cur/ would serve its target (another
 * user's message, /etc/passwd) and a FIFO would block the reader. */
static bool
is_file(DIR *d, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_REG;
	return fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode);
}

/* move_new: rename every new/X to cur/X:2, (Courier does the same). */
static int
move_new(struct maildir_folder *f)
{
	char path[MAILDIR_PATH_MAX], from[MAILDIR_PATH_MAX];
	char to[MAILDIR_PATH_MAX];
	struct dirent *de;
	DIR *d;
	bool moved = false;

	maildir_path(path, sizeof(path), f->dir, "new", NULL);
	if ((d = opendir(path)) == NULL)
		return maildir_errno(errno);
	while ((de = readdir(d)) != NULL) {
		if (!maildir_filename_ok(de->d_name) || !is_file(d, de))
			continue;
		if (snprintf(from, sizeof(from), "%s/%s", path,
			     de->d_name) >= (int)sizeof(from) ||
		    snprintf(to, sizeof(to), "%s/cur/%s%s", f->dir, de->d_name,
			     strchr(de->d_name, ':') ? "" : ":2,") >=
		    (int)sizeof(to))
			continue;
		if (rename(from, to) == 0)
			moved = true;
	}
	closedir(d);
	if (moved) {
		maildir_path(path, sizeof(path), f->dir, "cur", NULL);
		maildir_fsync_dir(path);
	}
	return 0;
}

static int
scan_cur(struct maildir_folder *f, struct listing *l)
{
	char path[MAILDIR_PATH_MAX];
	struct dirent *de;
	DIR *d;

	maildir_path(path, sizeof(path), f->dir, "cur", NULL);
	if ((d = opendir(path)) == NULL)
		return maildir_errno(errno);
	while ((de = readdir(d)) != NULL) {
		if (!maildir_filename_ok(de->d_name) || !is_file(d, de))
			continue;
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 256;
			l->names = xrealloc(l->names,
					    l->cap * sizeof(*l->names));
			l->blen = xrealloc(l->blen, l->cap * sizeof(*l->blen));
		}
		l->blen[l->n] = (unsigned)maildir_base_len(de->d_name);
		l->names[l->n++] = xstrdup(de->d_name);
	}
	closedir(d);
	return 0;
}

/* Courier's arrival order: the leading time stamp, then the name. */
static int
cmp_arrival(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	long long nx = atoll(x), ny = atoll(y);

	if (nx != ny)
		return nx < ny ? -1 : 1;
	return strcmp(x, y);
}

static void
stamps_get(struct maildir_folder *f, struct maildir_stamp *cur,
	   struct maildir_stamp *newd)
{
	char path[MAILDIR_PATH_MAX];

	maildir_path(path, sizeof(path), f->dir, "cur", NULL);
	maildir_stamp_get(path, cur);
	maildir_path(path, sizeof(path), f->dir, "new", NULL);
	maildir_stamp_get(path, newd);
}

/* maildir_stamp_settle: keep st (just taken) only if a later change must
 * change it: a change within the same file-system timestamp tick as the
 * stat could otherwise hide. Local file systems stamp with the kernel's
 * coarse clock (a few ms); over NFS the server's clock stamps, so allow 2 s
 * of skew there. */
void
maildir_stamp_settle(const struct maildir_folder *f, struct maildir_stamp *st)
{
	struct timespec now;
	int64_t age_ms, need_ms = f->nfs ? 2000 : 50;

	clock_gettime(CLOCK_REALTIME, &now);
	age_ms = ((int64_t)now.tv_sec - st->mtime.tv_sec) * 1000 +
		 ((int64_t)now.tv_nsec - st->mtime.tv_nsec) / 1000000;
	if (age_ms < need_ms)
		memset(st, 0, sizeof(*st));
}

struct lhash {
	uint32_t *slot;		/* listing index + 1 */
	size_t size;
};

static void
lhash_build(struct lhash *h, const struct listing *l)
{
	h->size = 64;
	while (h->size < l->n * 2 + 1)
		h->size *= 2;
	h->slot = xcalloc(h->size, sizeof(*h->slot));
	for (size_t i = 0; i < l->n; i++) {
		size_t k = maildir_hash_str(l->names[i], l->blen[i]) &
			   (h->size - 1);
		while (h->slot[k] != 0)
			k = (k + 1) & (h->size - 1);
		h->slot[k] = (uint32_t)i + 1;
	}
}

static ssize_t
lhash_find(const struct lhash *h, const struct listing *l, const char *base,
	   size_t len)
{
	size_t k = maildir_hash_str(base, len) & (h->size - 1);

	while (h->slot[k] != 0) {
		size_t li = h->slot[k] - 1;
		if (l->blen[li] == len && memcmp(l->names[li], base, len) == 0)
			return (ssize_t)h->slot[k] - 1;
		k = (k + 1) & (h->size - 1);
	}
	return -1;
}

/* rebuild: replace f's records by the listing l numbered after the entries
 * e[0..n) (sorted by uid); unknown files get new UIDs. *dirty_r: the UID
 * list must be written; returns whether the records changed. */
static bool
rebuild(struct maildir_folder *f, struct listing *l,
	const struct maildir_uidlist_entry *e, size_t n, bool *dirty_r)
{
	size_t old_n, i, k = 0, nu = 0;
	struct maildir_rec *old = maildir_folder_recs_detach(f, l->n, &old_n);
	bool *used = xcalloc(l->n + 1, sizeof(bool)), changed = false;
	char **unknown = xmalloc((l->n + 1) * sizeof(char *));
	struct lhash h;

	lhash_build(&h, l);
	for (i = 0; i < n; i++) {
		ssize_t li = lhash_find(&h, l, e[i].base, e[i].blen);
		if (li < 0 || used[li]) {
			*dirty_r = true;
			continue;
		}
		used[li] = true;
		struct maildir_rec *r = maildir_rec_append(f, e[i].uid,
							   l->names[li]);
		if (r->vsize == 0)
			r->vsize = e[i].vsize;
		while (k < old_n && old[k].uid < e[i].uid)
			k++;
		if (k < old_n && old[k].uid == e[i].uid) {
			r->kw = old[k].kw;
			r->kw_n = old[k].kw_n;
			r->modseq = old[k].modseq;
			old[k].kw = NULL;
			if (r->vsize == 0)
				r->vsize = old[k].vsize;
			if (strcmp(old[k].name, r->name) != 0)
				changed = true;
		} else
			changed = true;
	}
	for (i = 0; i < l->n; i++)
		if (!used[i])
			unknown[nu++] = l->names[i];
	qsort(unknown, nu, sizeof(*unknown), cmp_arrival);
	if (nu > 0 && maildir_folder_reserve_uids(f, nu))
		*dirty_r = changed = true;
	for (i = 0; i < nu; i++)
		maildir_rec_append(f, f->uidnext++, unknown[i]);
	if (nu > 0)
		*dirty_r = changed = true;
	if (f->n != old_n + nu)
		changed = true;
	for (i = 0; i < old_n; i++)
		maildir_rec_free(&old[i]);
	free(old);
	free(used);
	free(unknown);
	free(h.slot);
	return changed;
}

static size_t
count_unknown(struct maildir_folder *f, const struct listing *l)
{
	size_t i, unknown = 0;

	for (i = 0; i < l->n; i++)
		if (maildir_folder_find_base(f, l->names[i], l->blen[i]) ==
		    NULL)
			unknown++;
	return unknown;
}

/* scan: move new/ into cur/ and list cur/; records the directory stamps
 * the listing corresponds to (taken before the listing). */
static int
scan(struct maildir_folder *f, struct listing *l)
{
	struct maildir_stamp cur, newd;
	int r;

	listing_free(l);
	if ((r = move_new(f)) < 0)
		return r;
	stamps_get(f, &cur, &newd);
	if ((r = scan_cur(f, l)) < 0)
		return r;
	/* a rename by another process during readdir can hide a file:
	 * when fewer files than records were seen, look once more */
	if (l->n - count_unknown(f, l) < f->n) {
		struct listing again = { 0 };
		if ((r = scan_cur(f, &again)) < 0)
			return r;
		if (again.n > l->n) {
			listing_free(l);
			*l = again;
		} else
			listing_free(&again);
	}
	maildir_stamp_settle(f, &cur);
	maildir_stamp_settle(f, &newd);
	f->st_cur = cur;
	f->st_new = newd;
	return 0;
}

/* entries_of: f's own records as UID list entries (bases point into f). */
static struct maildir_uidlist_entry *
entries_of(struct maildir_folder *f)
{
	struct maildir_uidlist_entry *e = xcalloc(f->n + 1, sizeof(*e));

	for (size_t i = 0; i < f->n; i++) {
		e[i].uid = f->recs[i].uid;
		e[i].vsize = f->recs[i].vsize;
		e[i].base = f->recs[i].name;
		e[i].blen = f->recs[i].blen;
	}
	return e;
}

/* same_header: the UID list on disk still has f's header. UIDNEXT only
 * grows, so equal headers mean nobody numbered a message meanwhile; the
 * stamp alone can lie (inode numbers are reused within one tick). */
bool
maildir_folder_same_header(struct maildir_folder *f, const char *path,
	    const struct maildir_stamp *st)
{
	unsigned v = 0, next = 0, recent = 0;
	char buf[128];
	FILE *fp;

	if (!f->loaded || st->ino == 0 || !maildir_stamp_eq(st, &f->st_uidlist))
		return false;
	if ((fp = fopen(path, "re")) == NULL)
		return false;
	bool ok = fgets(buf, sizeof(buf), fp) != NULL &&
		  sscanf(buf, "MAILDOCK-UIDLIST 1 %u %u %u", &v, &next,
			 &recent) == 3;
	fclose(fp);
	return ok && v == f->uidvalidity && next == f->uidnext &&
	       recent == f->first_recent && maildir_compat_same(f);
}

/* folder_gone: f's folder is no longer at f->dir (deleted, renamed away,
 * or replaced by a new folder of that name, whose UIDs mean other
 * messages). f is left as it is and writes nothing more: its records and
 * keyword names stay valid for the views that hold them, and their next
 * sync fails (the IMAP session then ends with BYE, as Dovecot's does,
 * rather than show another folder's messages under the old UIDVALIDITY).
 * maildir_folder_get makes a new object for whatever folder is there. */
static int
folder_gone(struct maildir_folder *f)
{
	if (!f->gone) {
		f->gone = true;
		f->gen++;
		maildir_watch_notify(f);	/* IDLE learns it at once */
	}
	return -ERR_NOTFOUND;
}

int
maildir_folder_here(struct maildir_folder *f)
{
	char path[MAILDIR_PATH_MAX];
	struct stat st;

	if (f->gone)
		return -ERR_NOTFOUND;
	if (maildir_path(path, sizeof(path), f->dir, "cur", NULL) < 0 ||
	    stat(path, &st) < 0 || st.st_ino != f->id_ino ||
	    st.st_dev != f->id_dev)
		return folder_gone(f);
	return 0;
}

static bool
dir_stamp_eq(const struct maildir_stamp *a, const struct maildir_stamp *b)
{
	return a->ino != 0 && a->dev == b->dev && a->ino == b->ino &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* load_exact: f's records straight from the list's whole file names,
 * which are known to match cur/ (no directory listing needed). */
static bool
load_exact(struct maildir_folder *f, const struct maildir_uidlist *ul)
{
	size_t old_n, k = 0;
	struct maildir_rec *old = maildir_folder_recs_detach(f, ul->n + 16,
							     &old_n);
	bool changed = old_n != ul->n;

	for (size_t i = 0; i < ul->n; i++) {
		struct maildir_rec *r = maildir_rec_append(f, ul->e[i].uid,
						   ul->e[i].base);
		if (r->vsize == 0)
			r->vsize = ul->e[i].vsize;
		while (k < old_n && old[k].uid < r->uid)
			k++;
		if (k < old_n && old[k].uid == r->uid) {
			r->kw = old[k].kw;
			r->kw_n = old[k].kw_n;
			r->modseq = old[k].modseq;
			old[k].kw = NULL;
			changed |= strcmp(old[k].name, r->name) != 0;
		} else
			changed = true;
	}
	for (size_t i = 0; i < old_n; i++)
		maildir_rec_free(&old[i]);
	free(old);
	return changed;
}

/* merge_list: apply the UID list read from disk (lock held): straight
 * from its names when cur/ has not changed since they were written, else
 * matched against a fresh listing (newer than the list, or files numbered
 * meanwhile would be dropped). */
static int
merge_list(struct maildir_folder *f, struct maildir_uidlist *ul,
	   struct listing *l, bool *dirty, bool *changed_r)
{
	struct maildir_stamp cur, newd;
	int r;

	if (f->loaded && f->uidvalidity != ul->uidvalidity)
		return folder_gone(f);
	f->uidvalidity = ul->uidvalidity;
	f->uidnext = ul->uidnext;
	f->first_recent = ul->first_recent;
	if (ul->full_names && ul->cur.ino != 0) {
		if ((r = move_new(f)) < 0)
			return r;
		stamps_get(f, &cur, &newd);
		if (dir_stamp_eq(&cur, &ul->cur)) {
			*changed_r |= load_exact(f, ul);
			maildir_stamp_settle(f, &newd);
			f->st_cur = cur;
			f->st_new = newd;
			return 0;
		}
	}
	if ((r = scan(f, l)) < 0)
		return r;
	*changed_r |= rebuild(f, l, ul->e, ul->n, dirty);
	/* record the settled stamp so the next open can skip the listing */
	if (f->st_cur.ino != 0 && !dir_stamp_eq(&f->st_cur, &ul->cur))
		*dirty = true;
	return 0;
}

/* locked_merge: under the UID list lock, re-read the list when another
 * process changed it, rescan (when rescan or the list changed), number
 * unknown files, take \Recent (claim) and write the list if needed. */
static int
locked_merge(struct maildir_folder *f, bool rescan, bool claim,
	     uint32_t *recent_from_r, bool *changed_r)
{
	char path[MAILDIR_PATH_MAX], lock[MAILDIR_PATH_MAX];
	struct maildir_uidlist ul;
	struct maildir_stamp st;
	struct listing l = { 0 };
	bool dirty = false;
	unsigned held;
	int r;

	maildir_path(lock, sizeof(lock), f->dir, MAILDIR_UIDLIST_LOCK, NULL);
	maildir_path(path, sizeof(path), f->dir, MAILDIR_UIDLIST, NULL);
	r = maildir_lockfile_take(lock, maildir_settings.lock_timeout,
				  maildir_settings.lock_stale);
	if (r < 0)
		return r;
	maildir_compat_decide(f);
	if ((r = maildir_compat_lock(f, &held)) < 0) {
		maildir_lockfile_release(lock);
		return r;
	}
	maildir_stamp_get(path, &st);
	if (!maildir_folder_same_header(f, path, &st)) {
		r = maildir_uidlist_read(f->dir, &ul);
		if (r == 0) {
			maildir_compat_merge(f, &ul);
			r = merge_list(f, &ul, &l, &dirty, changed_r);
			if (st.ino == 0)	/* imported */
				dirty = true;
			maildir_uidlist_free(&ul);
			if (r < 0)
				goto out;
		} else if (r == -ERR_NOTFOUND || r == -ERR_CORRUPT) {
			/* the list vanished: a new folder (or an admin's
			 * reset), which gets a new UIDVALIDITY */
			if (f->loaded && f->st_uidlist.ino != 0) {
				r = folder_gone(f);
				goto out;
			}
			if ((r = scan(f, &l)) < 0)
				goto out;
			if (f->uidvalidity == 0) {
				f->uidvalidity =
					maildir_uidvalidity_new(f->root);
				f->uidnext = f->first_recent = 1;
			}
			dirty = true;
			*changed_r |= rebuild(f, &l, NULL, 0, &dirty);
		} else
			goto out;
		f->st_uidlist = st;
	} else if (rescan) {
		if ((r = scan(f, &l)) < 0)
			goto out;
		struct maildir_uidlist_entry *e = entries_of(f);
		*changed_r |= rebuild(f, &l, e, f->n, &dirty);
		free(e);
	}
	/* a list another server filled up to 2^32-1 */
	if (maildir_folder_reserve_uids(f, 0))
		dirty = *changed_r = true;
	if (claim) {
		*recent_from_r = f->first_recent;
		if (f->first_recent < f->uidnext) {
			f->first_recent = f->uidnext;
			dirty = true;
		}
	}
	/* the other servers' lists are rewritten when they lag ours */
	r = dirty ? maildir_uidlist_write(f) : maildir_compat_write(f);
out:
	if (r < 0)
		memset(&f->st_cur, 0, sizeof(f->st_cur));
	maildir_compat_unlock(f, held);
	maildir_lockfile_release(lock);
	listing_free(&l);
	return r;
}

int
maildir_folder_refresh(struct maildir_folder *f, bool force, bool claim,
		       uint32_t *recent_from_r)
{
	struct maildir_stamp cur, newd, ul;
	struct listing l = { 0 };
	char path[MAILDIR_PATH_MAX];
	bool changed = false;
	int r;

	if (f->gone)
		return -ERR_NOTFOUND;
	stamps_get(f, &cur, &newd);
	maildir_path(path, sizeof(path), f->dir, MAILDIR_UIDLIST, NULL);
	maildir_stamp_get(path, &ul);
	if (cur.ino == 0 && !f->loaded)
		return -ERR_NOTFOUND;
	if (cur.ino != f->id_ino || cur.dev != f->id_dev)
		return folder_gone(f);
	bool dirs = force || !f->loaded ||
		    !maildir_stamp_eq(&cur, &f->st_cur) ||
		    !maildir_stamp_eq(&newd, &f->st_new);
	bool ulc = !maildir_stamp_eq(&ul, &f->st_uidlist) ||
		   !maildir_compat_same(f);
	bool want_claim = claim && (!f->loaded || ulc ||
				    f->first_recent < f->uidnext);
	if (claim)
		*recent_from_r = f->first_recent;
	if (!f->loaded || ulc || want_claim) {
		r = locked_merge(f, dirs, claim, recent_from_r, &changed);
	} else if (dirs) {
		if ((r = scan(f, &l)) < 0)
			goto out;
		if (count_unknown(f, &l) > 0) {
			r = locked_merge(f, true, claim, recent_from_r,
					 &changed);
		} else {
			struct maildir_uidlist_entry *e = entries_of(f);
			bool dirty = false;
			changed = rebuild(f, &l, e, f->n, &dirty);
			free(e);
		}
	} else
		r = 0;
	if (r < 0)
		goto out;
	r = maildir_keywords_load(f, changed);
	if (r > 0)
		changed = true;
	r = r < 0 ? r : 0;
	/* keyword changes, and lines another process logged, reach the
	 * records' modseqs too */
	if (changed || (f->loaded && maildir_modseq_stale(f)))
		f->ms_dirty = changed = true;
	if (changed)
		maildir_folder_changed(f);
	f->loaded = true;
out:
	listing_free(&l);
	return r;
}
