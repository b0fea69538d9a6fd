/* Maildock - SPDX-License-Identifier: MIT
 *
 * The shared folder object: one per folder directory per process, found
 * through a registry under a named lock and reference-counted, holding the
 * UID-sorted message records every session's view is synced from (lookup
 * by UID and by base name, change notification). maildir-scan.c keeps it
 * up to date with the disk.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-uidlist.h"
#include "storage/maildir/maildir-sync.h"
#include "storage/maildir/maildir-cache.h"
#include "core/error.h"
#include "core/log.h"
#include "core/compat.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct maildir_folder *registry;

uint64_t
maildir_hash_str(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	while (len-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	h ^= h >> 33;	/* spread into the low bits used as the index */
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

/* hash_drop: the name hash no longer matches f->recs. Every change of the
 * record array goes through a function of this file that calls it, so the
 * hash cannot outlive the records it indexes (issue 12: a folder refreshed
 * to zero records kept a hash into the freed array). */
static void
hash_drop(struct maildir_folder *f)
{
	free(f->hash);
	f->hash = NULL;
	f->hash_size = f->hash_n = 0;
	f->ms_dirty = true;	/* records came or went: log their modseqs */
}

static void
hash_rebuild(struct maildir_folder *f)
{
	size_t size = 64, i;

	while (size < f->n * 2 + 1)
		size *= 2;
	free(f->hash);
	f->hash = xcalloc(size, sizeof(*f->hash));
	f->hash_size = size;
	f->hash_n = f->n;
	for (i = 0; i < f->n; i++) {
		const char *nm = f->recs[i].name;
		size_t h = maildir_hash_str(nm, f->recs[i].blen) & (size - 1);
		while (f->hash[h] != 0)
			h = (h + 1) & (size - 1);
		f->hash[h] = (uint32_t)i + 1;
	}
}

struct maildir_rec *
maildir_folder_find_base(struct maildir_folder *f, const char *base,
			 size_t len)
{
	size_t h;

	/* the count check is a second guard: a hash built for another
	 * number of records is stale whatever the reason */
	if (f->hash == NULL || f->hash_n != f->n)
		hash_rebuild(f);
	h = maildir_hash_str(base, len) & (f->hash_size - 1);
	while (f->hash[h] != 0) {
		struct maildir_rec *r = &f->recs[f->hash[h] - 1];
		if (r->blen == len &&
		    memcmp(r->name, base, len) == 0)
			return r;
		h = (h + 1) & (f->hash_size - 1);
	}
	return NULL;
}

struct maildir_rec *
maildir_folder_find(struct maildir_folder *f, uint32_t uid)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (f->recs[mid].uid == uid)
			return &f->recs[mid];
		if (f->recs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool
maildir_folder_reserve_uids(struct maildir_folder *f, size_t need)
{
	uint32_t recent = 1;

	if ((uint64_t)f->uidnext + need <= UINT32_MAX &&
	    (f->n == 0 || f->recs[f->n - 1].uid < f->uidnext))
		return false;
	log_warn("maildir", "UIDs exhausted, renumbered under a new "
		 "UIDVALIDITY dir=%s uidvalidity=%u uidnext=%u", f->dir,
		 f->uidvalidity, f->uidnext);
	/* the order, and which messages are still unclaimed (\Recent),
	 * stay; the name hash does not index UIDs */
	for (size_t i = 0; i < f->n; i++) {
		if (f->recs[i].uid < f->first_recent)
			recent = (uint32_t)i + 2;
		f->recs[i].uid = (uint32_t)i + 1;
	}
	f->uidvalidity = maildir_uidvalidity_new(f->root);
	f->uidnext = (uint32_t)f->n + 1;
	f->first_recent = recent;
	return true;
}

void
maildir_rec_free(struct maildir_rec *r)
{
	free(r->name);
	free(r->kw);
}

void
maildir_folder_remove(struct maildir_folder *f, uint32_t uid)
{
	struct maildir_rec *r = maildir_folder_find(f, uid);

	if (r == NULL)
		return;
	maildir_rec_free(r);
	size_t i = (size_t)(r - f->recs);
	memmove(r, r + 1, (f->n - i - 1) * sizeof(*r));
	f->n--;
	hash_drop(f);
}

struct maildir_rec *
maildir_folder_recs_detach(struct maildir_folder *f, size_t reserve,
			   size_t *n_r)
{
	struct maildir_rec *old = f->recs;

	*n_r = f->n;
	f->recs = reserve > 0 ? xmalloc(reserve * sizeof(*f->recs)) : NULL;
	f->n = 0;
	f->cap = reserve;
	hash_drop(f);
	return old;
}

void
maildir_folder_recs_clear(struct maildir_folder *f)
{
	size_t n;
	struct maildir_rec *old = maildir_folder_recs_detach(f, 0, &n);

	for (size_t i = 0; i < n; i++)
		maildir_rec_free(&old[i]);
	free(old);
}

struct maildir_rec *
maildir_rec_append(struct maildir_folder *f, uint32_t uid, const char *name)
{
	struct maildir_rec *r;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->recs = xrealloc(f->recs, f->cap * sizeof(*f->recs));
	}
	r = &f->recs[f->n++];
	memset(r, 0, sizeof(*r));
	r->uid = uid;
	r->name = xstrdup(name);
	r->blen = (unsigned)maildir_base_len(name);
	r->flags = maildir_flags_parse(name);
	maildir_size_parse(name, 'W', &r->vsize);
	hash_drop(f);
	return r;
}

void
maildir_folder_changed(struct maildir_folder *f)
{
	/* records came or went: their modseqs are logged before any view
	 * sees them (a failure leaves ms_dirty for the next change) */
	if (f->ms_dirty && maildir_modseq_sync(f) == 0)
		f->ms_dirty = false;
	f->gen++;
	maildir_watch_notify(f);
}

/* clean_tmp: remove files left in tmp/ by writers that died more than
 * 36 hours ago (the Maildir convention); a live writer never takes that
 * long. */
static void
clean_tmp(const char *dir)
{
	char tmp[MAILDIR_PATH_MAX], path[MAILDIR_PATH_MAX];
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	DIR *d;

	if (maildir_path(tmp, sizeof(tmp), dir, "tmp", NULL) < 0 ||
	    (d = opendir(tmp)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    maildir_path(path, sizeof(path), tmp, de->d_name,
				 NULL) < 0)
			continue;
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    now - st.st_atime > 36 * 3600 &&
		    now - st.st_mtime > 36 * 3600)
			unlink(path);
	}
	closedir(d);
}

/* folder_find: the registry's object of the folder whose cur/ is st (a
 * new one when none), with a new reference. Objects are told apart by
 * that directory, not by path alone: a folder deleted or renamed away
 * keeps its object while sessions hold it, and the folder made or renamed
 * to that path later is another one (issue 12, model seed 2053: RENAME A B
 * onto a deleted B's object showed A's messages as none). */
static struct maildir_folder *
folder_find(const char *root, const char *dir, const struct stat *st)
{
	struct maildir_folder *f;

	pthread_mutex_lock(&registry_lock);
	for (f = registry; f != NULL; f = f->next)
		if (strcmp(f->dir, dir) == 0 && f->id_ino == st->st_ino &&
		    f->id_dev == st->st_dev && !f->gone)
			break;
	if (f == NULL) {
		f = xcalloc(1, sizeof(*f));
		f->dir = xstrdup(dir);
		f->root = xstrdup(root);
		f->id_dev = st->st_dev;
		f->id_ino = st->st_ino;
		struct statfs sfs;
		f->nfs = statfs(dir, &sfs) == 0 &&
			 sfs.f_type == 0x6969;	/* NFS_SUPER_MAGIC */
		pthread_mutex_init(&f->lock, NULL);
		f->wd[0].wd = f->wd[1].wd = -1;
		f->next = registry;
		registry = f;
	}
	f->refs++;
	pthread_mutex_unlock(&registry_lock);
	return f;
}

int
maildir_folder_get(const char *root, const char *dir,
		   struct maildir_folder **f_r)
{
	char cur[MAILDIR_PATH_MAX];
	struct maildir_folder *f;
	struct stat st;
	int r;

	if ((r = maildir_folder_served(root, dir)) < 0)
		return r;
	/* a live object outlives its folder's DELETE or RENAME (sessions
	 * still hold it): the folder itself must be there to be opened */
	if (maildir_path(cur, sizeof(cur), dir, "cur", NULL) < 0 ||
	    stat(cur, &st) < 0)
		return -ERR_NOTFOUND;
	f = folder_find(root, dir, &st);
	pthread_mutex_lock(&f->lock);
	if (!f->loaded) {
		clean_tmp(f->dir);
		r = maildir_folder_refresh(f, true, false, NULL);
		/* a folder whose log cannot be written (a read-only
		 * Maildir) still opens, without modseqs (NOMODSEQ) */
		if (r == 0 && f->ms == NULL)
			maildir_modseq_sync(f);
	}
	pthread_mutex_unlock(&f->lock);
	if (r < 0) {
		maildir_folder_put(&f);
		return r;
	}
	*f_r = f;
	return 0;
}

void
maildir_folder_put(struct maildir_folder **fp)
{
	struct maildir_folder *f = *fp, **pp;

	*fp = NULL;
	if (f == NULL)
		return;
	pthread_mutex_lock(&registry_lock);
	if (--f->refs > 0) {
		pthread_mutex_unlock(&registry_lock);
		return;
	}
	for (pp = &registry; *pp != NULL; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	pthread_mutex_unlock(&registry_lock);
	maildir_folder_recs_clear(f);
	for (unsigned i = 0; i < f->kw_n; i++)
		free(f->kw_names[i]);
	free(f->kw_names);
	maildir_cache_free(f->cache);
	maildir_modseq_free(f->ms);
	free(f->dir);
	free(f->root);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

int
maildir_folder_add(struct maildir_folder *f, char **names, size_t n,
		   uint32_t *uids)
{
	char path[MAILDIR_PATH_MAX], lock[MAILDIR_PATH_MAX];
	struct maildir_stamp st;
	unsigned held;
	size_t i;
	int r;

	if ((r = maildir_folder_here(f)) < 0)
		return r;	/* its files are another folder's now */
	maildir_path(lock, sizeof(lock), f->dir, MAILDIR_UIDLIST_LOCK, NULL);
	maildir_path(path, sizeof(path), f->dir, MAILDIR_UIDLIST, NULL);
	r = maildir_lockfile_take(lock, maildir_settings.lock_timeout,
				  maildir_settings.lock_stale);
	if (r < 0)
		return r;
	/* numbered under the locks Courier and Dovecot honour too, so that
	 * neither hands out the same UID meanwhile */
	if ((r = maildir_compat_lock(f, &held)) < 0) {
		maildir_lockfile_release(lock);
		return r;
	}
	maildir_stamp_get(path, &st);
	if (maildir_folder_same_header(f, path, &st)) {
		/* nobody else changed the list: number the files directly */
		maildir_folder_reserve_uids(f, n);
		for (i = 0; i < n; i++) {
			struct maildir_rec *rec = maildir_folder_find_base(
				f, names[i], maildir_base_len(names[i]));
			if (rec == NULL)
				rec = maildir_rec_append(f, f->uidnext++,
							 names[i]);
			uids[i] = rec->uid;
		}
		r = maildir_uidlist_write(f);
		maildir_compat_unlock(f, held);
		maildir_lockfile_release(lock);
		if (r == 0)
			maildir_folder_changed(f);
		return r;
	}
	maildir_compat_unlock(f, held);
	maildir_lockfile_release(lock);
	if ((r = maildir_folder_refresh(f, true, false, NULL)) < 0)
		return r;
	for (i = 0; i < n; i++) {
		struct maildir_rec *rec = maildir_folder_find_base(
			f, names[i], maildir_base_len(names[i]));
		uids[i] = rec != NULL ? rec->uid : 0;
	}
	return 0;
}
