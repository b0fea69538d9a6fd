/* Maildock - SPDX-License-Identifier: MIT
 *
 * The Maildir++ folder tree: listing with \Noselect parents and children
 * attributes, create (with parents), delete (children kept), rename (with
 * children; INBOX moves its messages, RFC 3501 6.3.5), and STATUS.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <unistd.h>
#include <sys/file.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-sync.h"
#include "storage/maildir/maildir-tree.h"
#include "storage/maildir/maildir-quota.h"
#include "core/error.h"
#include "core/compat.h"

#define MU(u) ((struct maildir_user *)(u))

struct name_list {
	char **names;
	size_t n, cap;
};

static void
nl_add(struct name_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->names = xrealloc(l->names, l->cap * sizeof(char *));
	}
	l->names[l->n++] = xstrdup(name);
}

static void
nl_free(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	memset(l, 0, sizeof(*l));
}

static bool
nl_has(const struct name_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
maildir_folder_exists(struct store_user *u, const char *name)
{
	char dir[MAILDIR_PATH_MAX], path[MAILDIR_PATH_MAX];

	if (maildir_name_to_dir(MU(u)->root, name, dir, sizeof(dir)) < 0 ||
	    maildir_path(path, sizeof(path), dir, "cur", NULL) < 0 ||
	    maildir_folder_served(MU(u)->root, dir) < 0)
		return 0;
	return access(path, F_OK) == 0 ? 1 : 0;
}

/* existing2: every folder directory on disk (not INBOX) into l; when
 * others is given, directories without cur/ (made by hand or another tool,
 * listed as \Noselect) go there instead. */
static int
existing2(struct maildir_user *u, struct name_list *l,
	  struct name_list *others)
{
	char name[STORE_NAME_MAXLEN + 1], path[MAILDIR_PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(u->root);

	if (d == NULL)
		return maildir_errno(errno);
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN &&
		    de->d_type != DT_LNK)
			continue;
		if (maildir_name_from_disk(de->d_name, name, sizeof(name)) < 0 ||
		    maildir_path(path, sizeof(path), u->root, de->d_name,
				 NULL) < 0 ||
		    maildir_folder_served(u->root, path) < 0)
			continue;
		if (others != NULL &&
		    (maildir_path(path, sizeof(path), u->root, de->d_name,
				  "cur") < 0 || access(path, F_OK) < 0)) {
			nl_add(others, name);
			continue;
		}
		nl_add(l, name);
	}
	closedir(d);
	return 0;
}

static int
existing(struct maildir_user *u, struct name_list *l)
{
	return existing2(u, l, NULL);
}

static void
subscriptions(struct maildir_user *u, struct name_list *l)
{
	size_t n = 0;
	char **names = maildir_subscriptions_load(u, &n);

	for (size_t i = 0; i < n; i++) {
		nl_add(l, names[i]);
		free(names[i]);
	}
	free(names);
}

static unsigned
child_attrs(const struct name_list *all, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < all->n; i++)
		if (strncmp(all->names[i], name, len) == 0 &&
		    all->names[i][len] == '.')
			return STORE_ATTR_HASCHILDREN;
	return STORE_ATTR_HASNOCHILDREN;
}

int
maildir_folder_list(struct store_user *u, bool subscribed_only,
		    store_folder_fn *fn, void *ctx)
{
	struct name_list on_disk = { 0 }, all = { 0 }, subs = { 0 };
	int r;

	struct name_list others = { 0 };

	if ((r = existing2(MU(u), &on_disk, &others)) < 0)
		return r;
	subscriptions(MU(u), &subs);
	for (size_t i = 0; i < others.n; i++)
		nl_add(&all, others.names[i]);
	nl_free(&others);
	for (size_t i = 0; i < on_disk.n; i++) {
		char *p, tmp[STORE_NAME_MAXLEN + 1];
		str_copy(tmp, on_disk.names[i], sizeof(tmp));
		nl_add(&all, tmp);
		while ((p = strrchr(tmp, '.')) != NULL) {	/* parents */
			*p = '\0';
			nl_add(&all, tmp);
		}
	}
	if (all.n > 1)	/* names is NULL when empty: not for qsort */
		qsort(all.names, all.n, sizeof(char *), cmp_name);
	if (subs.n > 1)
		qsort(subs.names, subs.n, sizeof(char *), cmp_name);
	const struct name_list *which = subscribed_only ? &subs : &all;
	unsigned attrs = child_attrs(&all, "INBOX") |
			 (nl_has(&subs, "INBOX") ? STORE_ATTR_SUBSCRIBED : 0);
	if (!subscribed_only || nl_has(&subs, "INBOX"))
		r = fn(ctx, "INBOX", attrs);
	for (size_t i = 0; r == 0 && i < which->n; i++) {
		const char *name = which->names[i];
		if (strcmp(name, "INBOX") == 0)
			continue;
		attrs = child_attrs(&all, name);
		if (!nl_has(&on_disk, name))
			attrs |= nl_has(&all, name) ? STORE_ATTR_NOSELECT :
				 STORE_ATTR_NONEXISTENT | STORE_ATTR_NOSELECT;
		if (nl_has(&subs, name))
			attrs |= STORE_ATTR_SUBSCRIBED;
		r = fn(ctx, name, attrs);
	}
	nl_free(&on_disk);
	nl_free(&all);
	nl_free(&subs);
	return r;
}

int
maildir_folder_create(struct store_user *u, const char *name)
{
	char tmp[STORE_NAME_MAXLEN + 2], dir[MAILDIR_PATH_MAX];
	size_t len = strlen(name);
	int r;

	if (len == 0 || len > STORE_NAME_MAXLEN)
		return -ERR_INVAL;
	str_copy(tmp, name, sizeof(tmp));
	if (tmp[len - 1] == '.')
		tmp[len - 1] = '\0';
	if (maildir_name_is_inbox(tmp))
		return -ERR_EXISTS;
	if ((r = maildir_name_check(tmp)) < 0)
		return r;
	if (maildir_folder_exists(u, tmp))
		return -ERR_EXISTS;
	for (char *p = strchr(tmp, '.');; p = strchr(p + 1, '.')) {
		if (p != NULL)
			*p = '\0';
		if ((r = maildir_name_to_dir(MU(u)->root, tmp, dir,
					     sizeof(dir))) < 0)
			return r;
		/* a link not served: the name is taken, and mkdir would
		 * create tmp/ new/ cur/ in its target */
		if (!maildir_name_is_inbox(tmp) &&
		    maildir_folder_served(MU(u)->root, dir) < 0)
			return -ERR_EXISTS;
		if (!maildir_name_is_inbox(tmp) &&
		    (r = maildir_mkdir_maildir(dir, true)) < 0) {
			maildir_set_error(u, "create folder", errno);
			return r;
		}
		if (p == NULL)
			break;
		*p = '.';
	}
	return maildir_fsync_dir(MU(u)->root);
}

/* remove_tree: remove name (under the directory dirfd) and, when it is a
 * directory, everything in it, never following a symbolic link: a link is
 * removed, not what it points to (DELETE of a folder that an admin linked
 * to another user's Maildir must not empty that Maildir). O_NOFOLLOW on
 * each open closes the race with a directory swapped for a link. Depth is
 * bounded: a Maildir++ folder is two levels deep. */
static void
remove_tree(int dirfd, const char *name, unsigned depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(dirfd, name, 0);
		return;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			unlinkat(dirfd, name, 0);
		return;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) < 0 &&
		    (errno == EISDIR || errno == EPERM) && depth < 8)
			remove_tree(fd, de->d_name, depth + 1);
	}
	closedir(d);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

int
maildir_tree_lock(const char *root, bool exclusive)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	while (fd >= 0 && flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

void
maildir_tree_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* releases the flock */
}

/* move_dir: rename the folder directory from to to, holding from's UID
 * list lock across it (released at its new place): a session refreshing
 * the folder holds that lock for milliseconds, and a rename in between
 * would carry its lock file along, where nobody would ever remove it
 * (every later command on the folder then waited lock_timeout and failed:
 * model soak, seed 2010). 0 or -ERR_* (errno set). */
static int
move_dir(const char *from, const char *to)
{
	char lock[MAILDIR_PATH_MAX];
	bool held = maildir_path(lock, sizeof(lock), from,
				 MAILDIR_UIDLIST_LOCK, NULL) == 0 &&
		    maildir_lockfile_take(lock, maildir_settings.lock_timeout,
					  maildir_settings.lock_stale) == 0;
	int r = rename(from, to) < 0 ? maildir_errno(errno) : 0;
	int e = errno;

	if (held && (r < 0 || maildir_path(lock, sizeof(lock), to,
					   MAILDIR_UIDLIST_LOCK, NULL) == 0))
		maildir_lockfile_release(lock);
	errno = e;
	return r;
}

static int folder_delete(struct store_user *u, const char *name);
static int folder_rename(struct store_user *u, const char *oldname,
			 const char *newname);

/* DELETE and RENAME hold the tree lock exclusively: a DELETE B between
 * RENAME INBOX B's steps deleted messages the RENAME had just moved, an
 * APPEND or COPY into a folder being renamed was refused but stored, or
 * numbered 0 (maildir_tree_lock). */
int
maildir_folder_delete(struct store_user *u, const char *name)
{
	int fd = maildir_tree_lock(MU(u)->root, true);
	int r = folder_delete(u, name);

	maildir_tree_unlock(fd);
	return r;
}

int
maildir_folder_rename(struct store_user *u, const char *oldname,
		      const char *newname)
{
	int fd = maildir_tree_lock(MU(u)->root, true);
	int r = folder_rename(u, oldname, newname);

	maildir_tree_unlock(fd);
	return r;
}

static int
folder_delete(struct store_user *u, const char *name)
{
	char dir[MAILDIR_PATH_MAX], trash[MAILDIR_PATH_MAX], uniq[128];
	struct stat st;
	int r;

	if (maildir_name_is_inbox(name))
		return -ERR_PERM;
	if ((r = maildir_name_to_dir(MU(u)->root, name, dir, sizeof(dir))) < 0)
		return r;
	if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)) {
		/* a folder that is a link (shared by an admin, served or
		 * not): DELETE removes the link, never its target */
		if (unlink(dir) < 0) {
			maildir_set_error(u, "delete folder", errno);
			return maildir_errno(errno);
		}
		return maildir_fsync_dir(MU(u)->root);
	}
	/* one whose cur/ or new/ is a link (not served) may go too */
	bool linked = maildir_folder_is_link(dir);
	if (!linked && !maildir_folder_exists(u, name))
		return -ERR_NOTFOUND;
	/* rename first, so the folder vanishes at once and whole */
	maildir_unique(uniq, sizeof(uniq));
	snprintf(trash, sizeof(trash), "%s/..deleted.%s", MU(u)->root, uniq);
	/* a linked cur/ or new/: nothing of ours to lock in there */
	if (linked ? rename(dir, trash) < 0 : move_dir(dir, trash) < 0) {
		maildir_set_error(u, "delete folder", errno);
		return maildir_errno(errno);
	}
	uint64_t bytes = 0, msgs = 0;
	if (!linked)	/* a linked cur/ or new/ holds no mail of ours */
		maildir_quota_folder_usage(trash, &bytes, &msgs);
	remove_tree(AT_FDCWD, trash, 0);
	if (msgs > 0)
		maildir_quota_add(MU(u)->root, -(int64_t)bytes,
				  -(int64_t)msgs);
	return maildir_fsync_dir(MU(u)->root);
}

static int
move_files(const char *from, const char *to)
{
	char a[MAILDIR_PATH_MAX], b[MAILDIR_PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(from);
	int r = 0;

	if (d == NULL)
		return maildir_errno(errno);
	while ((de = readdir(d)) != NULL) {
		if (!maildir_filename_ok(de->d_name))
			continue;
		if (maildir_path(a, sizeof(a), from, de->d_name, NULL) < 0 ||
		    maildir_path(b, sizeof(b), to, de->d_name, NULL) < 0)
			continue;
		if (rename(a, b) < 0 && errno != ENOENT)
			r = maildir_errno(errno);
	}
	closedir(d);
	return r;
}

/* inbox_take: with INBOX's shared object locked and up to date, move every
 * message it knows from root/cur to dir/cur, keeping the file names (so
 * the flags), and list them in *names with their keyword names (pointers
 * into f, which never drops a name while referenced). */
static int
inbox_take(struct maildir_folder *f, const char *dir, char ***names_r,
	   char ****kw_r, unsigned **kwn_r, size_t *n_r)
{
	char a[MAILDIR_PATH_MAX], b[MAILDIR_PATH_MAX];
	char **names = xcalloc(f->n + 1, sizeof(char *));
	char ***kw = xcalloc(f->n + 1, sizeof(char **));
	unsigned *kwn = xcalloc(f->n + 1, sizeof(unsigned));
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < f->n && r == 0; i++) {
		const struct maildir_rec *rec = &f->recs[i];
		if (maildir_path(a, sizeof(a), f->dir, "cur", rec->name) < 0 ||
		    maildir_path(b, sizeof(b), dir, "cur", rec->name) < 0)
			continue;
		if (rename(a, b) < 0) {
			if (errno != ENOENT)	/* else expunged meanwhile */
				r = maildir_errno(errno);
			continue;
		}
		names[n] = xstrdup(rec->name);
		kw[n] = xcalloc(rec->kw_n + 1, sizeof(char *));
		for (unsigned k = 0; k < rec->kw_n; k++)
			kw[n][k] = f->kw_names[rec->kw[k]];
		kwn[n++] = rec->kw_n;
	}
	*names_r = names;
	*kw_r = kw;
	*kwn_r = kwn;
	*n_r = n;
	return r;
}

/* rename_inbox: RFC 3501 6.3.5: INBOX's messages move to a new folder,
 * INBOX stays, empty. The moved messages keep their flags (in the file
 * names) and keywords (set again in the new folder, as COPY does). */
static int
rename_inbox(struct store_user *u, const char *newname)
{
	char dir[MAILDIR_PATH_MAX], a[MAILDIR_PATH_MAX], b[MAILDIR_PATH_MAX];
	struct maildir_folder *f;
	char **names = NULL, ***kw = NULL;
	unsigned *kwn = NULL;
	size_t n = 0;
	int r;

	if ((r = maildir_folder_create(u, newname)) < 0)
		return r;
	maildir_name_to_dir(MU(u)->root, newname, dir, sizeof(dir));
	if ((r = maildir_folder_get(MU(u)->root, MU(u)->root, &f)) < 0)
		return r;
	pthread_mutex_lock(&f->lock);
	r = maildir_folder_refresh(f, true, false, NULL);
	if (r == 0)
		r = inbox_take(f, dir, &names, &kw, &kwn, &n);
	/* what arrived since the refresh has no keywords yet: moved as is */
	maildir_path(a, sizeof(a), MU(u)->root, "cur", NULL);
	maildir_path(b, sizeof(b), dir, "cur", NULL);
	if (r == 0)
		r = move_files(a, b);
	maildir_path(a, sizeof(a), MU(u)->root, "new", NULL);
	maildir_path(b, sizeof(b), dir, "new", NULL);
	if (r == 0)
		r = move_files(a, b);
	/* INBOX's sessions see the messages expunged at their next sync */
	int r2 = maildir_folder_refresh(f, true, false, NULL);
	pthread_mutex_unlock(&f->lock);
	if (n > 0) {
		uint32_t *uids = xcalloc(n, sizeof(uint32_t));
		int r3 = maildir_deliver_assign(MU(u), dir, names, n, kwn, kw,
						NULL, uids);
		r = r < 0 ? r : r3;
		free(uids);
	}
	for (size_t i = 0; i < n; i++) {
		free(names[i]);
		free(kw[i]);
	}
	free(names);
	free(kw);
	free(kwn);
	maildir_folder_put(&f);
	return r < 0 ? r : r2;
}

static int
folder_rename(struct store_user *u, const char *oldname, const char *newname)
{
	struct name_list all = { 0 };
	char from[MAILDIR_PATH_MAX], to[MAILDIR_PATH_MAX];
	char child[STORE_NAME_MAXLEN * 2 + 2];
	size_t olen = strlen(oldname);
	int r;

	if ((r = maildir_name_check(newname)) < 0)
		return r;
	if (maildir_name_is_inbox(newname))
		return -ERR_EXISTS;
	if (maildir_folder_exists(u, newname))
		return -ERR_EXISTS;
	if (maildir_name_is_inbox(oldname))
		return rename_inbox(u, newname);
	if ((r = maildir_name_check(oldname)) < 0)
		return r;
	/* into its own subtree (Foo -> Foo.Bar): the children would be
	 * renamed under themselves; Courier and Dovecot refuse it too */
	if (strncmp(newname, oldname, olen) == 0 && newname[olen] == '.')
		return -ERR_INVAL;
	if ((r = existing(MU(u), &all)) < 0)
		return r;
	r = -ERR_NOTFOUND;
	for (size_t i = 0; i < all.n; i++) {
		const char *n = all.names[i];
		if (strncmp(n, oldname, olen) != 0 ||
		    (n[olen] != '\0' && n[olen] != '.'))
			continue;
		snprintf(child, sizeof(child), "%s%s", newname, n + olen);
		if (maildir_name_check(child) < 0 ||
		    maildir_name_to_dir(MU(u)->root, n, from,
					sizeof(from)) < 0 ||
		    maildir_name_to_dir(MU(u)->root, child, to,
					sizeof(to)) < 0) {
			r = -ERR_INVAL;
			break;
		}
		if ((r = move_dir(from, to)) < 0) {
			maildir_set_error(u, "rename folder", errno);
			break;
		}
		r = 0;
	}
	nl_free(&all);
	if (r == 0) {
		/* create the new name's missing parents */
		str_copy(child, newname, sizeof(child));
		char *p = strrchr(child, '.');
		if (p != NULL) {
			*p = '\0';
			if (!maildir_folder_exists(u, child))
				maildir_folder_create(u, child);
		}
		maildir_subscriptions_rename(MU(u), oldname, newname);
		maildir_fsync_dir(MU(u)->root);
	}
	return r;
}

int
maildir_folder_status(struct store_user *u, const char *name,
		      struct store_status *st)
{
	char dir[MAILDIR_PATH_MAX];
	struct maildir_folder *f;
	int r;

	if ((r = maildir_name_to_dir(MU(u)->root, name, dir, sizeof(dir))) < 0)
		return r;
	if (!maildir_folder_exists(u, name))
		return -ERR_NOTFOUND;
	for (int tries = 0;; tries++) {
		if ((r = maildir_folder_get(MU(u)->root, dir, &f)) < 0)
			return r;
		pthread_mutex_lock(&f->lock);
		r = maildir_folder_refresh(f, false, false, NULL);
		if (r == 0 || !f->gone || tries == 2)
			break;
		pthread_mutex_unlock(&f->lock);	/* replaced: ask again */
		maildir_folder_put(&f);
	}
	if (r == 0) {
		st->messages = (uint32_t)f->n;
		st->uidnext = f->uidnext;
		st->uidvalidity = f->uidvalidity;
		st->highestmodseq = maildir_modseq_highest(f);
		for (size_t i = 0; i < f->n; i++) {
			if (f->recs[i].uid >= f->first_recent)
				st->recent++;
			if ((f->recs[i].flags & STORE_FLAG_SEEN) == 0)
				st->unseen++;
		}
	}
	pthread_mutex_unlock(&f->lock);
	maildir_folder_put(&f);
	return r;
}
