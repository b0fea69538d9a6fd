/* Maildock - SPDX-License-Identifier: MIT
 *
 * COPY and MOVE between folders of one Maildir: hard links for COPY (a
 * byte copy through tmp/ only across file systems), rename(2) for MOVE, so
 * a moved message is in exactly one folder at every instant. All or
 * nothing: a failure undoes what was done.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "core/error.h"
#include "core/compat.h"

struct copy_item {
	uint32_t seq;
	char src[MAILDIR_PATH_MAX];
	char name[300];		/* new name in dest/cur */
	uint64_t size;
	char **kw;
	unsigned kw_n;
	bool done;
};

static int
copy_bytes(const char *src, const char *dir, const char *name)
{
	char tmp[MAILDIR_PATH_MAX], dst[MAILDIR_PATH_MAX], buf[65536];
	int in, out, r = 0;
	ssize_t n;

	if (maildir_path(tmp, sizeof(tmp), dir, "tmp", name) < 0 ||
	    maildir_path(dst, sizeof(dst), dir, "cur", name) < 0)
		return -ERR_LIMIT;
	if ((r = maildir_msg_file_open(src, &in)) < 0)
		return r;
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return maildir_errno(errno);
	}
	while (r == 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			r = maildir_errno(errno);
	if (r == 0 && maildir_settings.fsync && fsync(out) < 0)
		r = maildir_errno(errno);
	close(in);
	if (close(out) < 0 && r == 0)
		r = maildir_errno(errno);
	if (r == 0 && link(tmp, dst) < 0)
		r = maildir_errno(errno);
	unlink(tmp);
	return r;
}

/* prepare: source paths, sizes, new names and keyword names (f locked). */
static int
prepare(struct maildir_mailbox *v, const uint32_t *seqs, size_t n,
	struct copy_item *it, uint64_t *total)
{
	struct maildir_folder *f = v->f;
	char uniq[128], base[300];

	for (size_t i = 0; i < n; i++) {
		if (seqs[i] == 0 || seqs[i] > v->count)
			return -ERR_INVAL;
		struct maildir_rec *r = maildir_folder_find(
			f, v->msgs[seqs[i] - 1].uid);
		it[i].seq = seqs[i];
		if (r == NULL)
			continue;	/* expunged meanwhile: skipped */
		maildir_path(it[i].src, sizeof(it[i].src), f->dir, "cur",
			     r->name);
		if (!maildir_size_parse(r->name, 'S', &it[i].size)) {
			struct stat st;
			if (lstat(it[i].src, &st) < 0 ||
			    !S_ISREG(st.st_mode)) {
				it[i].src[0] = '\0';
				continue;
			}
			it[i].size = (uint64_t)st.st_size;
		}
		*total += it[i].size;
		maildir_unique(uniq, sizeof(uniq));
		snprintf(base, sizeof(base), "%s,S=%llu", uniq,
			 (unsigned long long)it[i].size);
		if (r->vsize != 0)
			snprintf(base + strlen(base), sizeof(base) -
				 strlen(base), ",W=%llu",
				 (unsigned long long)r->vsize);
		maildir_flags_name(base, r->flags, it[i].name,
				   sizeof(it[i].name));
		it[i].kw_n = r->kw_n;
		it[i].kw = xcalloc(r->kw_n + 1, sizeof(char *));
		for (unsigned k = 0; k < r->kw_n; k++)
			it[i].kw[k] = f->kw_names[r->kw[k]];
	}
	return 0;
}

static int
transfer(const char *dest, struct copy_item *it, size_t n, bool move)
{
	char dst[MAILDIR_PATH_MAX];
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		if (it[i].src[0] == '\0')
			continue;
		if (maildir_path(dst, sizeof(dst), dest, "cur", it[i].name) < 0)
			return -ERR_LIMIT;
		if (move ? rename(it[i].src, dst) : link(it[i].src, dst)) {
			if (errno == ENOENT) {
				it[i].src[0] = '\0';
				continue;
			}
			if (errno != EXDEV && errno != EPERM)
				r = maildir_errno(errno);
			else if ((r = copy_bytes(it[i].src, dest,
						 it[i].name)) == 0 && move)
				unlink(it[i].src);
		}
		it[i].done = r == 0;
	}
	if (r < 0) {		/* undo */
		for (size_t i = 0; i < n; i++) {
			if (!it[i].done)
				continue;
			maildir_path(dst, sizeof(dst), dest, "cur",
				     it[i].name);
			if (!move || rename(dst, it[i].src) < 0)
				unlink(dst);
		}
		return r;
	}
	maildir_path(dst, sizeof(dst), dest, "cur", NULL);
	return maildir_fsync_dir(dst);
}

int
maildir_copy(struct store_mailbox *mb, const uint32_t *seqs, size_t n,
	     const char *dest, bool move, uint32_t *uidvalidity_r,
	     uint32_t *dest_uids_r,
	     store_expunged_fn *expunged, void *ctx)
{
	struct maildir_mailbox *v = (struct maildir_mailbox *)mb;
	struct maildir_user *u = (struct maildir_user *)mb->user;
	struct copy_item *it = xcalloc(n + 1, sizeof(*it));
	char dir[MAILDIR_PATH_MAX], path[MAILDIR_PATH_MAX];
	uint64_t total = 0;
	size_t i, k = 0;
	int r;

	if (move && v->readonly) {
		free(it);
		return -ERR_PERM;
	}
	int tree = maildir_tree_lock(u->root, false);
	r = maildir_name_to_dir(u->root, dest, dir, sizeof(dir));
	if (r == 0 && (maildir_path(path, sizeof(path), dir, "cur", NULL) < 0 ||
		       access(path, F_OK) < 0 ||
		       maildir_folder_served(u->root, dir) < 0))
		r = -ERR_NOTFOUND;
	/* MOVE into the selected folder itself is allowed (RFC 6851 says
	 * nothing against it): each message gets a new UID, as Dovecot does */
	pthread_mutex_lock(&v->f->lock);
	if (r == 0)
		r = prepare(v, seqs, n, it, &total);
	if (r == 0 && !move)
		r = maildir_quota_check(u->root, total, n);
	if (r == 0)
		r = transfer(dir, it, n, move);
	if (r == 0 && move) {
		/* the sources are gone: drop them from the folder now */
		for (i = n; i > 0; i--)
			if (it[i - 1].done)
				maildir_folder_remove(
					v->f, v->msgs[it[i - 1].seq - 1].uid);
		maildir_folder_changed(v->f);
	}
	pthread_mutex_unlock(&v->f->lock);
	if (r == 0) {
		char **names = xcalloc(n + 1, sizeof(char *));
		char ***kws = xcalloc(n + 1, sizeof(char **));
		unsigned *kwn = xcalloc(n + 1, sizeof(unsigned));
		uint32_t *uids = xcalloc(n + 1, sizeof(uint32_t));
		for (i = 0; i < n; i++)
			if (it[i].done) {
				names[k] = it[i].name;
				kws[k] = it[i].kw;
				kwn[k++] = it[i].kw_n;
			}
		r = maildir_deliver_assign(u, dir, names, k, kwn, kws,
					   uidvalidity_r, uids);
		for (i = 0, k = 0; dest_uids_r != NULL && i < n; i++)
			dest_uids_r[i] = it[i].done ? uids[k++] : 0;
		if (!move)
			maildir_quota_add(u->root, (int64_t)total, (int64_t)k);
		free(names);
		free(kws);
		free(kwn);
		free(uids);
	}
	maildir_tree_unlock(tree);
	if (r == 0 && move) {
		/* report in descending seq order, renumbering as we go */
		for (uint32_t seq = v->count; seq > 0; seq--) {
			for (i = 0; i < n; i++)
				if (it[i].done && it[i].seq == seq)
					break;
			if (i == n)
				continue;
			uint32_t uid = v->msgs[seq - 1].uid;
			maildir_view_remove(v, seq);
			if (expunged != NULL)
				expunged(ctx, seq, uid);
		}
	}
	for (i = 0; i < n; i++)
		free(it[i].kw);
	free(it);
	return r;
}
