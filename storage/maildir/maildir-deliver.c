/* Maildock - SPDX-License-Identifier: MIT
 *
 * Delivery-safe writes (APPEND) and COPY/MOVE: the message is written under
 * a unique name in tmp/, fsynced, then linked into cur/ with its flags and
 * ",S=<size>,W=<crlf size>", the directory fsynced, and only then numbered.
 * A crash leaves no message or the whole one. COPY uses hard links, MOVE
 * rename(2) (atomic within the file system), undone on a later failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-keywords.h"
#include "storage/maildir/maildir-sync.h"
#include "storage/maildir/maildir-quota.h"
#include "core/error.h"
#include "core/compat.h"

void (*maildir_deliver_hook)(int step);

#define HOOK(step) do { \
	if (maildir_deliver_hook != NULL) \
		maildir_deliver_hook(step); \
} while (0)

struct maildir_append {
	struct store_append base;
	struct maildir_user *u;
	char dir[MAILDIR_PATH_MAX];
	char tmp[MAILDIR_PATH_MAX];
	char uniq[128];
	int fd;
	uint64_t size, vsize, quota_left;
	char last;
	unsigned flags;
	char **kw;
	size_t kw_n;
	time_t date;
};

static int
folder_dir(struct maildir_user *u, const char *name, char *dir, size_t size)
{
	char path[MAILDIR_PATH_MAX];
	struct stat st;
	int r;

	if ((r = maildir_name_to_dir(u->root, name, dir, size)) < 0)
		return r;
	if (maildir_path(path, sizeof(path), dir, "cur", NULL) < 0)
		return -ERR_LIMIT;
	if (stat(path, &st) < 0)
		return -ERR_NOTFOUND;
	return maildir_folder_served(u->root, dir);
}

int
maildir_deliver_assign(struct maildir_user *u, const char *dir, char **names,
		       size_t n, const unsigned *kw_src_n, char ***kw_src,
		       uint32_t *uidv_r, uint32_t *uids)
{
	struct maildir_folder *f;
	int r;

	for (int tries = 0;; tries++) {
		if ((r = maildir_folder_get(u->root, dir, &f)) < 0)
			return r;
		pthread_mutex_lock(&f->lock);
		r = maildir_folder_add(f, names, n, uids);
		if (r == 0 || !f->gone || tries == 2)
			break;
		/* replaced under a reused cur/ inode: the folder now there */
		pthread_mutex_unlock(&f->lock);
		maildir_folder_put(&f);
	}
	for (size_t i = 0; r == 0 && kw_src != NULL && i < n; i++) {
		struct maildir_rec *rec = maildir_folder_find(f, uids[i]);
		if (rec != NULL && kw_src_n[i] > 0)
			maildir_keywords_set(f, rec, STORE_FLAGS_SET,
					     (const char *const *)kw_src[i],
					     kw_src_n[i]);
	}
	if (uidv_r != NULL)
		*uidv_r = f->uidvalidity;
	pthread_mutex_unlock(&f->lock);
	maildir_folder_put(&f);
	return r;
}

int
maildir_append_begin(struct store_user *u, const char *name, unsigned flags,
		     const char *const *keywords, size_t n,
		     time_t internal_date, uint64_t expected_size,
		     struct store_append **a_r)
{
	struct maildir_user *mu = (struct maildir_user *)u;
	struct maildir_append *a;
	uint64_t limit = 0, used = 0;
	int r;

	for (size_t i = 0; i < n; i++)
		if ((r = maildir_keywords_check(keywords[i])) < 0)
			return r;
	if (n > STORE_KEYWORDS_MAX)
		return -ERR_LIMIT;
	a = xcalloc(1, sizeof(*a));
	a->base.ops = &maildir_ops;
	a->u = mu;
	a->fd = -1;
	if ((r = folder_dir(mu, name, a->dir, sizeof(a->dir))) < 0)
		goto fail;
	if ((r = maildir_quota_check(mu->root, expected_size, 1)) < 0)
		goto fail;
	maildir_quota_get(u, &used, &limit, NULL, NULL);
	a->quota_left = limit == 0 ? UINT64_MAX :
			used >= limit ? 0 : limit - used;
	a->flags = flags & STORE_FLAGS_PERMANENT;
	a->date = internal_date;
	a->kw_n = n;
	a->kw = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		a->kw[i] = xstrdup(keywords[i]);
	maildir_unique(a->uniq, sizeof(a->uniq));
	if (snprintf(a->tmp, sizeof(a->tmp), "%s/tmp/%s", a->dir, a->uniq) >=
	    (int)sizeof(a->tmp)) {
		r = -ERR_LIMIT;
		goto fail;
	}
	a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (a->fd < 0) {
		r = maildir_errno(errno);
		maildir_set_error(u, "append: create", errno);
		goto fail;
	}
	HOOK(1);
	*a_r = &a->base;
	return 0;
fail:
	maildir_append_abort(&a->base);
	return r;
}

int
maildir_append_write(struct store_append *sa, const void *data, size_t n)
{
	struct maildir_append *a = (struct maildir_append *)sa;
	const char *p = data;

	if (a->fd < 0)
		return -ERR_IO;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' && a->last != '\r')
			a->vsize++;
		a->last = p[i];
	}
	a->size += n;
	a->vsize += n;
	if (a->size > a->quota_left)
		return -ERR_QUOTA;
	while (n > 0) {
		ssize_t w = write(a->fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			maildir_set_error(&a->u->base, "append: write", errno);
			return maildir_errno(errno);
		}
		p += w;
		n -= (size_t)w;
	}
	HOOK(2);
	return 0;
}

static int
finish_file(struct maildir_append *a, char *name, size_t size)
{
	char dst[MAILDIR_PATH_MAX], base[300];

	if (maildir_settings.fsync && fsync(a->fd) < 0)
		return maildir_errno(errno);
	if (a->date != 0) {
		struct timespec ts[2] = { { a->date, 0 }, { a->date, 0 } };
		futimens(a->fd, ts);
	}
	if (close(a->fd) < 0) {
		a->fd = -1;
		return maildir_errno(errno);
	}
	a->fd = -1;
	HOOK(3);
	snprintf(base, sizeof(base), "%s,S=%llu,W=%llu", a->uniq,
		 (unsigned long long)a->size, (unsigned long long)a->vsize);
	if (maildir_flags_name(base, a->flags, name, size) < 0 ||
	    maildir_path(dst, sizeof(dst), a->dir, "cur", name) < 0)
		return -ERR_LIMIT;
	if (link(a->tmp, dst) < 0) {
		if (errno != EPERM && errno != ENOTSUP)
			return maildir_errno(errno);
		if (rename(a->tmp, dst) < 0)
			return maildir_errno(errno);
	}
	HOOK(4);
	unlink(a->tmp);
	maildir_path(dst, sizeof(dst), a->dir, "cur", NULL);
	maildir_fsync_dir(dst);
	HOOK(5);
	return 0;
}

/* finish_undo: remove the cur/ links of the first n messages (a later one
 * failed: MULTIAPPEND delivers all or none) */
static void
finish_undo(struct maildir_append **as, char (*names)[300], size_t n)
{
	char path[MAILDIR_PATH_MAX];

	for (size_t i = 0; i < n; i++)
		if (maildir_path(path, sizeof(path), as[i]->dir, "cur",
				 names[i]) == 0)
			unlink(path);
}

int
maildir_append_finish(struct store_append **sas, size_t n,
		      uint32_t *uidvalidity_r, uint32_t *uids_r)
{
	struct maildir_append **as = (struct maildir_append **)sas;
	char (*names)[300] = xcalloc(n, sizeof(*names));
	char **np = xcalloc(n, sizeof(*np)), ***kws = xcalloc(n, sizeof(*kws));
	unsigned *kwn = xcalloc(n, sizeof(*kwn));
	uint32_t *uids = xcalloc(n, sizeof(*uids));
	uint64_t total = 0;
	size_t linked = 0;
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		if (as[i]->fd < 0)
			r = -ERR_IO;
		else if (as[i]->u != as[0]->u ||
			 strcmp(as[i]->dir, as[0]->dir) != 0)
			r = -ERR_INVAL;
		total += as[i]->size;
		np[i] = names[i];
		kwn[i] = (unsigned)as[i]->kw_n;
		kws[i] = as[i]->kw;
	}
	int tree = maildir_tree_lock(as[0]->u->root, false);
	if (r == 0)
		r = maildir_quota_check(as[0]->u->root, total, (uint64_t)n);
	while (r == 0 && linked < n &&
	       (r = finish_file(as[linked], names[linked],
				sizeof(names[linked]))) == 0)
		linked++;
	if (r < 0) {
		maildir_set_error(&as[0]->u->base, "append", errno);
		finish_undo(as, names, linked);
	} else {
		maildir_quota_add(as[0]->u->root, (int64_t)total, (int64_t)n);
		r = maildir_deliver_assign(as[0]->u, as[0]->dir, np, n, kwn,
					   kws, uidvalidity_r, uids);
		for (size_t i = 0; i < n; i++)
			as[i]->tmp[0] = '\0';	/* delivered: keep */
	}
	maildir_tree_unlock(tree);
	for (size_t i = 0; i < n; i++) {
		if (uids_r != NULL)
			uids_r[i] = uids[i];
		maildir_append_abort(sas[i]);
	}
	free(names);
	free(np);
	free(kws);
	free(kwn);
	free(uids);
	return r;
}

void
maildir_append_abort(struct store_append *sa)
{
	struct maildir_append *a = (struct maildir_append *)sa;

	if (a->fd >= 0)
		close(a->fd);
	if (a->tmp[0] != '\0')
		unlink(a->tmp);
	for (size_t i = 0; a->kw != NULL && i < a->kw_n; i++)
		free(a->kw[i]);
	free(a->kw);
	free(a);
}
