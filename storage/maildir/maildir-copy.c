/* Maildock - SPDX-License-Identifier: MIT
 *
 * COPY and MOVE into a folder of the same Maildir or of another user's
 * (a shared folder, RFC 4314): hard links for COPY, rename(2) for MOVE,
 * so a moved message is in exactly one folder at every instant; a byte
 * copy through the destination's tmp/ only across file systems or owners.
 * All or nothing: a failure undoes what was done.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-sync.h"
#include "storage/maildir/maildir-quota.h"
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
	bool copied;		/* bytes copied: the source stays till the end */
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
	const struct store_copy_dest *d, struct copy_item *it,
	uint64_t *total)
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
		maildir_flags_name(base, r->flags & d->keep_flags, it[i].name,
				   sizeof(it[i].name));
		it[i].kw_n = d->keep_keywords ? r->kw_n : 0;
		it[i].kw = xcalloc(r->kw_n + 1, sizeof(char *));
		for (unsigned k = 0; k < it[i].kw_n; k++)
			it[i].kw[k] = f->kw_names[r->kw[k]];
	}
	return 0;
}

/* link_ok: whether the file at src may become a message of the Maildir
 * whose cur/ is owned by owner: a file keeps its owner when linked or
 * renamed, and another owner's file could stay unreadable to him */
static bool
link_ok(const char *src, bool across, uid_t owner)
{
	struct stat st;

	return !across || (lstat(src, &st) == 0 && st.st_uid == owner);
}

/* undo: take back what transfer did before it failed */
static void
undo(const char *dest, struct copy_item *it, size_t n, bool move)
{
	char dst[MAILDIR_PATH_MAX];

	for (size_t i = 0; i < n; i++) {
		if (!it[i].done ||
		    maildir_path(dst, sizeof(dst), dest, "cur",
				 it[i].name) < 0)
			continue;
		/* a moved file that cannot go back stays where it is (found
		 * there by the next scan): a copy, never a loss */
		if (!move || it[i].copied || rename(dst, it[i].src) == 0)
			unlink(dst);
		it[i].done = false;
	}
}

static int
transfer(const char *dest, struct copy_item *it, size_t n, bool move,
	 bool across)
{
	char dst[MAILDIR_PATH_MAX];
	struct stat st;
	uid_t owner = 0;
	int r = 0;

	if (maildir_path(dst, sizeof(dst), dest, "cur", NULL) < 0)
		return -ERR_LIMIT;
	if (across && stat(dst, &st) == 0)
		owner = st.st_uid;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (it[i].src[0] == '\0')
			continue;
		if (maildir_path(dst, sizeof(dst), dest, "cur", it[i].name) < 0)
			return -ERR_LIMIT;
		if (link_ok(it[i].src, across, owner)) {
			if ((move ? rename(it[i].src, dst) :
				    link(it[i].src, dst)) == 0) {
				it[i].done = true;
				continue;
			}
			if (errno == ENOENT) {
				it[i].src[0] = '\0';
				continue;
			}
			if (errno != EXDEV && errno != EPERM) {
				r = maildir_errno(errno);
				break;
			}
		}
		r = copy_bytes(it[i].src, dest, it[i].name);
		if (r == -ERR_NOTFOUND) {	/* expunged meanwhile */
			it[i].src[0] = '\0';
			r = 0;
		} else
			it[i].done = it[i].copied = r == 0;
	}
	if (r < 0) {
		undo(dest, it, n, move);
		return r;
	}
	/* every copy exists: only now may a copied source go */
	for (size_t i = 0; i < n && move; i++)
		if (it[i].copied)
			unlink(it[i].src);
	maildir_path(dst, sizeof(dst), dest, "cur", NULL);
	return maildir_fsync_dir(dst);
}

/* lock_trees: both Maildirs' tree locks, shared, in the order of their
 * paths (two COPYs in opposite directions never wait for each other) */
static void
lock_trees(const char *a, const char *b, int fd_r[2])
{
	int c = strcmp(a, b);

	fd_r[1] = -1;
	fd_r[0] = maildir_tree_lock(c <= 0 ? a : b, false);
	if (c != 0)
		fd_r[1] = maildir_tree_lock(c < 0 ? b : a, false);
}

/* assign: UIDs in the destination for the items done, under its UID
 * list lock; dest_uids_r[i] 0 for the others */
static int
assign(struct maildir_user *du, const char *dir, struct copy_item *it,
       size_t n, uint32_t *uidvalidity_r, uint32_t *dest_uids_r, size_t *k_r)
{
	char **names = xcalloc(n + 1, sizeof(char *));
	char ***kws = xcalloc(n + 1, sizeof(char **));
	unsigned *kwn = xcalloc(n + 1, sizeof(unsigned));
	uint32_t *uids = xcalloc(n + 1, sizeof(uint32_t));
	size_t i, k = 0;
	int r;

	for (i = 0; i < n; i++)
		if (it[i].done) {
			names[k] = it[i].name;
			kws[k] = it[i].kw;
			kwn[k++] = it[i].kw_n;
		}
	r = maildir_deliver_assign(du, dir, names, k, kwn, kws, uidvalidity_r,
				   uids);
	for (i = 0, k = 0; dest_uids_r != NULL && i < n; i++)
		dest_uids_r[i] = it[i].done ? uids[k++] : 0;
	*k_r = k;
	free(names);
	free(kws);
	free(kwn);
	free(uids);
	return r;
}

/* report: the moved sources leave the view, in descending seq order,
 * renumbering as we go */
static void
report(struct maildir_mailbox *v, const struct copy_item *it, size_t n,
       store_expunged_fn *expunged, void *ctx)
{
	size_t i;

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

int
maildir_copy(struct store_mailbox *mb, const uint32_t *seqs, size_t n,
	     const struct store_copy_dest *d, bool move,
	     uint32_t *uidvalidity_r, uint32_t *dest_uids_r,
	     store_expunged_fn *expunged, void *ctx)
{
	struct maildir_mailbox *v = (struct maildir_mailbox *)mb;
	struct maildir_user *u = (struct maildir_user *)mb->user;
	struct maildir_user *du = (struct maildir_user *)d->user;
	struct copy_item *it;
	char dir[MAILDIR_PATH_MAX], path[MAILDIR_PATH_MAX];
	uint64_t total = 0, moved = 0;
	bool across = strcmp(u->root, du->root) != 0;
	size_t i, k = 0;
	int tree[2], r;

	if (move && v->readonly)
		return -ERR_PERM;
	it = xcalloc(n + 1, sizeof(*it));
	lock_trees(u->root, du->root, tree);
	r = maildir_name_to_dir(du->root, d->name, dir, sizeof(dir));
	if (r == 0 && (maildir_path(path, sizeof(path), dir, "cur", NULL) < 0 ||
		       access(path, F_OK) < 0 ||
		       maildir_folder_served(du->root, dir) < 0))
		r = -ERR_NOTFOUND;
	/* MOVE into the selected folder itself is allowed (RFC 6851 says
	 * nothing against it): each message gets a new UID, as Dovecot does */
	pthread_mutex_lock(&v->f->lock);
	if (r == 0)
		r = prepare(v, seqs, n, d, it, &total);
	/* a MOVE within one Maildir changes no usage; into another one it
	 * must fit that Maildir's quota whole, before anything moves */
	if (r == 0 && (!move || across))
		r = maildir_quota_check(du->root, total, n);
	if (r == 0)
		r = transfer(dir, it, n, move, across);
	if (r == 0 && move) {
		/* the sources are gone: drop them from the folder now */
		for (i = n; i > 0; i--)
			if (it[i - 1].done)
				maildir_folder_remove(
					v->f, v->msgs[it[i - 1].seq - 1].uid);
		maildir_folder_changed(v->f);
	}
	pthread_mutex_unlock(&v->f->lock);
	for (i = 0; i < n; i++)
		if (it[i].done)
			moved += it[i].size;
	if (r == 0)
		r = assign(du, dir, it, n, uidvalidity_r, dest_uids_r, &k);
	if (r == 0 && (!move || across))
		maildir_quota_add(du->root, (int64_t)moved, (int64_t)k);
	if (r == 0 && move && across)
		maildir_quota_add(u->root, -(int64_t)moved, -(int64_t)k);
	maildir_tree_unlock(tree[1]);
	maildir_tree_unlock(tree[0]);
	if (r == 0 && move)
		report(v, it, n, expunged, ctx);
	for (i = 0; i < n; i++)
		free(it[i].kw);
	free(it);
	return r;
}
