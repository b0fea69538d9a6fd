/* Maildock - SPDX-License-Identifier: MIT
 *
 * storage/store-info.h for Maildir++: a folder's total size from its
 * records (RFC 8438) and a message's save date from its unique file name
 * (RFC 8514).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-sync.h"
#include "storage/store-info.h"
#include "core/error.h"
#include "core/compat.h"

#define MU(u) ((struct maildir_user *)(u))
#define VIEW(mb) ((struct maildir_mailbox *)(mb))

/* unknown_sizes: with f->lock held, the UIDs and paths of the records
 * whose CRLF size is not known yet (malloc'd arrays, *n_r entries) */
static int
unknown_sizes(struct maildir_folder *f, uint64_t *sum, uint32_t **uids_r,
	      char ***paths_r, size_t *n_r)
{
	size_t n = 0;

	*uids_r = NULL;
	*paths_r = NULL;
	for (size_t i = 0; i < f->n; i++) {
		if (f->recs[i].vsize != 0)
			*sum += f->recs[i].vsize;
		else
			n++;
	}
	*n_r = 0;
	if (n == 0)
		return 0;
	*uids_r = xcalloc(n, sizeof(**uids_r));
	*paths_r = xcalloc(n, sizeof(**paths_r));
	for (size_t i = 0; i < f->n; i++) {
		char path[MAILDIR_PATH_MAX];
		if (f->recs[i].vsize != 0 ||
		    maildir_path(path, sizeof(path), f->dir, "cur",
				 f->recs[i].name) < 0)
			continue;
		(*uids_r)[*n_r] = f->recs[i].uid;
		(*paths_r)[(*n_r)++] = xstrdup(path);
	}
	return 0;
}

int
store_folder_size(struct store_user *u, const char *name, uint64_t *size_r)
{
	char dir[MAILDIR_PATH_MAX];
	struct maildir_folder *f;
	uint32_t *uids = NULL;
	char **paths = NULL;
	uint64_t sum = 0;
	size_t n = 0;
	int r;

	*size_r = 0;
	if ((r = maildir_name_to_dir(MU(u)->root, name, dir, sizeof(dir))) < 0)
		return r;
	if (!maildir_folder_exists(u, name))
		return -ERR_NOTFOUND;
	if ((r = maildir_folder_get(MU(u)->root, dir, &f)) < 0)
		return r;
	pthread_mutex_lock(&f->lock);
	r = maildir_folder_refresh(f, false, false, NULL);
	if (r == 0)
		r = unknown_sizes(f, &sum, &uids, &paths, &n);
	pthread_mutex_unlock(&f->lock);
	if (r < 0) {
		maildir_folder_put(&f);
		return r;
	}
	/* files are read without the folder lock; a file that moved (flag
	 * change) or went is left out, as an expunge in between would be */
	for (size_t i = 0; i < n; i++) {
		uint64_t size;
		int fd = -1;
		if (maildir_msg_file_open(paths[i], &fd) == 0 &&
		    maildir_crlf_size(fd, &size) == 0) {
			sum += size;
			pthread_mutex_lock(&f->lock);
			struct maildir_rec *rec = maildir_folder_find(f,
								      uids[i]);
			if (rec != NULL)
				rec->vsize = size;
			pthread_mutex_unlock(&f->lock);
		}
		if (fd >= 0)
			close(fd);
		free(paths[i]);
	}
	free(paths);
	free(uids);
	maildir_folder_put(&f);
	*size_r = sum;
	return 0;
}

/* name_date: the "<seconds>." a Maildir unique name starts with, or 0 */
static time_t
name_date(const char *name)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; name[i] >= '0' && name[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(name[i] - '0');
		if (v > (uint64_t)INT32_MAX * 4)	/* past year 2514 */
			return 0;
	}
	return i > 0 && name[i] == '.' ? (time_t)v : 0;
}

int
store_msg_save_date(struct store_mailbox *mb, uint32_t seq, time_t *date_r)
{
	struct maildir_mailbox *v = VIEW(mb);
	struct maildir_rec *r;

	*date_r = 0;
	if (seq == 0 || seq > v->count)
		return -ERR_INVAL;
	pthread_mutex_lock(&v->f->lock);
	r = maildir_folder_find(v->f, v->msgs[seq - 1].uid);
	if (r != NULL)
		*date_r = name_date(r->name);
	pthread_mutex_unlock(&v->f->lock);
	return r != NULL ? 0 : -ERR_NOTFOUND;
}
