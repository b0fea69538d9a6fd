/* Maildock - SPDX-License-Identifier: MIT
 *
 * Per-message accessors of a view: lookup by sequence number or UID, the
 * CRLF size (",W=" or counted once and cached), INTERNALDATE (mtime), the
 * file itself, the view counters, HIGHESTMODSEQ and the UIDs that vanished
 * since a modseq (RFC 7162).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-sync.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/compat.h"

#define VIEW(mb) ((struct maildir_mailbox *)(mb))
#define CVIEW(mb) ((const struct maildir_mailbox *)(mb))

uint32_t
maildir_mailbox_count(const struct store_mailbox *mb)
{
	return CVIEW(mb)->count;
}

uint32_t
maildir_mailbox_uidvalidity(const struct store_mailbox *mb)
{
	return CVIEW(mb)->uidvalidity;
}

uint32_t
maildir_mailbox_uidnext(const struct store_mailbox *mb)
{
	return CVIEW(mb)->uidnext;
}

uint32_t
maildir_mailbox_recent_count(const struct store_mailbox *mb)
{
	return CVIEW(mb)->recent;
}

uint32_t
maildir_mailbox_first_unseen(const struct store_mailbox *mb)
{
	const struct maildir_mailbox *v = CVIEW(mb);

	for (uint32_t i = 0; i < v->count; i++)
		if ((v->msgs[i].flags & STORE_FLAG_SEEN) == 0)
			return i + 1;
	return 0;
}

bool
maildir_mailbox_readonly(const struct store_mailbox *mb)
{
	return CVIEW(mb)->readonly;
}

const struct store_msg *
maildir_msg_get(const struct store_mailbox *mb, uint32_t seq)
{
	const struct maildir_mailbox *v = CVIEW(mb);

	if (seq == 0 || seq > v->count)
		return NULL;
	return &v->msgs[seq - 1];
}

uint32_t
maildir_msg_seq_by_uid(const struct store_mailbox *mb, uint32_t uid)
{
	const struct maildir_mailbox *v = CVIEW(mb);
	uint32_t lo = 0, hi = v->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v->msgs[mid].uid == uid)
			return mid + 1;
		if (v->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

const char *const *
maildir_mailbox_keywords(const struct store_mailbox *mb, unsigned *count_r)
{
	const struct maildir_mailbox *v = CVIEW(mb);

	*count_r = v->kw_n;
	return v->kw_names;
}

/* locate: the path of seq's file into path (f->lock held); refreshes once
 * when the file moved. -ERR_NOTFOUND when it is gone. */
static int
locate(struct maildir_mailbox *v, uint32_t seq, char *path, size_t size,
       struct maildir_rec **rec_r)
{
	struct maildir_folder *f = v->f;
	struct maildir_rec *r;
	int ret;

	if (seq == 0 || seq > v->count)
		return -ERR_INVAL;
	for (int pass = 0; pass < 2; pass++) {
		r = maildir_folder_find(f, v->msgs[seq - 1].uid);
		if (r == NULL)
			return -ERR_NOTFOUND;
		if ((ret = maildir_path(path, size, f->dir, "cur",
					r->name)) < 0)
			return ret;
		if (pass == 1 || access(path, F_OK) == 0) {
			*rec_r = r;
			return 0;
		}
		if ((ret = maildir_folder_refresh(f, true, false, NULL)) < 0)
			return ret;
	}
	*rec_r = r;
	return 0;
}

int
maildir_msg_open(struct store_mailbox *mb, uint32_t seq, int *fd_r)
{
	struct maildir_mailbox *v = VIEW(mb);
	char path[MAILDIR_PATH_MAX];
	struct maildir_rec *r;
	int ret;

	if (seq == 0 || seq > v->count)
		return -ERR_INVAL;
	/* open the known name first: one path lookup in the usual case; the
	 * folder is re-read only when the file moved or went away */
	pthread_mutex_lock(&v->f->lock);
	r = maildir_folder_find(v->f, v->msgs[seq - 1].uid);
	ret = r == NULL ? -ERR_NOTFOUND :
	      maildir_path(path, sizeof(path), v->f->dir, "cur", r->name);
	pthread_mutex_unlock(&v->f->lock);
	if (ret < 0)
		return ret;
	ret = maildir_msg_file_open(path, fd_r);
	if (ret != -ERR_NOTFOUND)
		return ret;
	pthread_mutex_lock(&v->f->lock);
	ret = locate(v, seq, path, sizeof(path), &r);
	pthread_mutex_unlock(&v->f->lock);
	if (ret < 0)
		return ret;
	return maildir_msg_file_open(path, fd_r);
}

int
maildir_msg_path(struct store_mailbox *mb, uint32_t seq, char *buf,
		 size_t size)
{
	struct maildir_mailbox *v = VIEW(mb);
	struct maildir_rec *r;
	int ret;

	if (seq == 0 || seq > v->count)
		return -ERR_INVAL;
	pthread_mutex_lock(&v->f->lock);
	r = maildir_folder_find(v->f, v->msgs[seq - 1].uid);
	ret = r == NULL ? -ERR_NOTFOUND :
	      maildir_path(buf, size, v->f->dir, "cur", r->name);
	pthread_mutex_unlock(&v->f->lock);
	return ret;
}

int
maildir_crlf_size(int fd, uint64_t *size_r)
{
	char buf[65536];
	uint64_t size = 0;
	char prev = '\0';
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return maildir_errno(errno);
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' && prev != '\r')
				size++;
			prev = buf[i];
		}
		size += (uint64_t)n;
	}
	*size_r = size;
	return 0;
}

int
maildir_msg_size(struct store_mailbox *mb, uint32_t seq, uint64_t *size_r)
{
	struct maildir_mailbox *v = VIEW(mb);
	char path[MAILDIR_PATH_MAX];
	struct maildir_rec *r;
	uint64_t size;
	int ret, fd;

	if (seq == 0 || seq > v->count)
		return -ERR_INVAL;
	pthread_mutex_lock(&v->f->lock);
	r = maildir_folder_find(v->f, v->msgs[seq - 1].uid);
	if (r != NULL && r->vsize != 0) {	/* known: no file access */
		*size_r = r->vsize;
		pthread_mutex_unlock(&v->f->lock);
		return 0;
	}
	ret = locate(v, seq, path, sizeof(path), &r);
	pthread_mutex_unlock(&v->f->lock);
	if (ret < 0)
		return ret;
	if ((ret = maildir_msg_file_open(path, &fd)) < 0)
		return ret;
	ret = maildir_crlf_size(fd, &size);
	close(fd);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&v->f->lock);
	r = maildir_folder_find(v->f, v->msgs[seq - 1].uid);
	if (r != NULL)
		r->vsize = size;
	pthread_mutex_unlock(&v->f->lock);
	*size_r = size;
	return 0;
}

int
maildir_msg_internal_date(struct store_mailbox *mb, uint32_t seq,
			  time_t *date_r)
{
	struct maildir_mailbox *v = VIEW(mb);
	char path[MAILDIR_PATH_MAX];
	struct maildir_rec *r;
	struct stat st;
	int ret;

	pthread_mutex_lock(&v->f->lock);
	ret = locate(v, seq, path, sizeof(path), &r);
	pthread_mutex_unlock(&v->f->lock);
	if (ret < 0)
		return ret;
	if (lstat(path, &st) < 0)
		return maildir_errno(errno);
	if (!S_ISREG(st.st_mode))	/* never a link's target's date */
		return -ERR_NOTFOUND;
	*date_r = st.st_mtime;
	return 0;
}

uint64_t
maildir_mailbox_highestmodseq(const struct store_mailbox *mb)
{
	return CVIEW(mb)->highestmodseq;
}

static int
cmp_uid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* add_range: append uid to the ranges, extending the last one when it
 * follows it */
static void
add_range(struct store_uid_range *rg, size_t *n, uint32_t first,
	  uint32_t last)
{
	if (*n > 0 && rg[*n - 1].last + 1 == first) {
		rg[*n - 1].last = last;
		return;
	}
	rg[*n].first = first;
	rg[(*n)++].last = last;
}

int
maildir_mailbox_vanished(struct store_mailbox *mb, uint64_t since,
			 struct arena *a, struct store_uid_range **ranges_r,
			 size_t *n_r)
{
	struct maildir_mailbox *v = VIEW(mb);
	struct store_uid_range *rg;
	uint32_t *gone, prev = 0;
	size_t ng, n = 0;
	int all;

	pthread_mutex_lock(&v->f->lock);
	all = maildir_modseq_gone_since(v->f, since, &gone, &ng);
	pthread_mutex_unlock(&v->f->lock);
	rg = arena_alloc(a, ((all ? v->count : ng) + 1) * sizeof(*rg));
	if (rg == NULL) {
		free(gone);
		return -ERR_LIMIT;
	}
	if (all) {	/* RFC 7162 3.2.5.2: every UID we cannot see */
		for (uint32_t i = 0; i < v->count; i++) {
			if (v->msgs[i].uid > prev + 1)
				add_range(rg, &n, prev + 1,
					  v->msgs[i].uid - 1);
			prev = v->msgs[i].uid;
		}
		if (v->uidnext > prev + 1)
			add_range(rg, &n, prev + 1, v->uidnext - 1);
	} else {
		/* a message the view still shows is reported at its next
		 * sync point, with its sequence number */
		qsort(gone, ng, sizeof(*gone), cmp_uid);
		for (size_t i = 0; i < ng; i++)
			if (gone[i] < v->uidnext && gone[i] != prev &&
			    maildir_msg_seq_by_uid(mb, gone[i]) == 0) {
				add_range(rg, &n, gone[i], gone[i]);
				prev = gone[i];
			}
	}
	free(gone);
	*ranges_r = rg;
	*n_r = n;
	return 0;
}
