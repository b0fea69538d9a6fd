/* Maildock - SPDX-License-Identifier: MIT
 *
 * libFuzzer target for the storage layer as a whole (issue 12): the input
 * is a sequence of operations (append, copy, move, store of flags and
 * keywords, expunge, create, delete, rename with INBOX, subscribe, status,
 * parse, sync; deliveries and flag renames by another program) on a fresh
 * temporary Maildir, through two views of one folder and the store_* API
 * the protocols use. After each sync the views are checked: UIDs ascend
 * and stay below UIDNEXT, a UID names the same message in both views of
 * one folder, a sync reports only sequence numbers that exist. Build and
 * run: make fuzz (fuzz/local.mk).
 */
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "storage/store.h"
#include "storage/maildir/maildir.h"
#include "storage/mime/mime.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OPS_MAX 96
#define VIEWS 3

static const char *const names[] = { "INBOX", "A", "B", "A.C", "Trash" };
static const char *const keywords[] = { "kw1", "$Label", "Junk" };
#define N(a) (sizeof(a) / sizeof((a)[0]))

struct input {
	const uint8_t *p;
	size_t left;
};

static unsigned
next(struct input *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

struct fz {
	char root[256];
	struct store_user *u;
	struct store_mailbox *v[VIEWS];	/* v[0], v[1]: one folder */
	const char *vname[VIEWS];
	uint32_t count;			/* of the view being synced */
	unsigned serial;
};

static void
rm_tree(const char *path)
{
	char sub[1024];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0 &&
			    snprintf(sub, sizeof(sub), "%s/%s", path,
				     de->d_name) < (int)sizeof(sub))
				rm_tree(sub);
		closedir(d);
	}
	rmdir(path);
}

static void
on_expunged(void *ctx, uint32_t seq, uint32_t uid)
{
	struct fz *z = ctx;

	assert(seq >= 1 && seq <= z->count && uid > 0);
	z->count--;
}

static void
on_exists(void *ctx, uint32_t count)
{
	struct fz *z = ctx;

	assert(count >= z->count);
	z->count = count;
}

static void
on_flags(void *ctx, uint32_t seq)
{
	struct fz *z = ctx;

	assert(seq >= 1 && seq <= z->count);
}

/* check: the view's UIDs ascend and stay below UIDNEXT */
static void
check(struct store_mailbox *mb)
{
	uint32_t n = store_mailbox_count(mb), last = 0;

	for (uint32_t seq = 1; seq <= n; seq++) {
		const struct store_msg *m = store_msg_get(mb, seq);
		assert(m != NULL && m->uid > last);
		assert(store_msg_seq_by_uid(mb, m->uid) == seq);
		last = m->uid;
	}
	assert(store_msg_get(mb, n + 1) == NULL);
	assert(n == 0 || last < store_mailbox_uidnext(mb));
}

static void
sync_view(struct fz *z, int i)
{
	static const struct store_sync_cb cb = {
		.expunged = on_expunged, .exists = on_exists,
		.flags_changed = on_flags,
	};

	if (z->v[i] == NULL)
		return;
	z->count = store_mailbox_count(z->v[i]);
	if (store_mailbox_sync(z->v[i], &cb, z) == 0)
		assert(z->count == store_mailbox_count(z->v[i]));
	check(z->v[i]);
}

/* both views of one folder, synced one after the other with nothing in
 * between, hold the same UIDs (same UIDVALIDITY) */
static void
check_pair(struct fz *z)
{
	struct store_mailbox *a = z->v[0], *b = z->v[1];

	if (a == NULL || b == NULL ||
	    store_mailbox_uidvalidity(a) != store_mailbox_uidvalidity(b))
		return;
	sync_view(z, 0);
	sync_view(z, 1);
	if (store_mailbox_count(a) != store_mailbox_count(b))
		return;	/* a change by another program in between */
	for (uint32_t s = 1; s <= store_mailbox_count(a); s++)
		assert(store_msg_get(a, s)->uid == store_msg_get(b, s)->uid);
}

static void
open_view(struct fz *z, int i, const char *name)
{
	store_mailbox_close(&z->v[i]);
	z->vname[i] = name;
	if (store_mailbox_open(z->u, name, false, &z->v[i]) == 0)
		check(z->v[i]);
}

static uint32_t
seq_of(struct fz *z, int i, struct input *in)
{
	uint32_t n = store_mailbox_count(z->v[i]);

	return n == 0 ? 0 : 1 + next(in) % n;
}

static void
op_append(struct fz *z, struct input *in)
{
	struct store_append *a;
	const char *kw[1] = { keywords[next(in) % N(keywords)] };
	char text[512];
	unsigned len = next(in) % 200;
	int n = snprintf(text, sizeof(text),
			 "Subject: %u\r\nMessage-ID: <%u@f>\r\n\r\n", z->serial,
			 z->serial);

	z->serial++;
	memset(text + n, 'x', len);
	if (store_append_begin(z->u, names[next(in) % N(names)],
			       next(in) & 0x1f, kw, next(in) & 1, 0, 0,
			       &a) < 0)
		return;
	uint32_t uidv, uid;
	if (store_append_write(a, text, (size_t)n + len) < 0)
		store_append_abort(&a);
	else if (store_append_finish(&a, &uidv, &uid) == 0)
		assert(uid > 0 && uidv > 0);
}

/* another program: a file into new/, or a flag rename in cur/ */
static void
op_outside(struct fz *z, struct input *in, bool deliver)
{
	char dir[512], path[768], to[800];
	const char *name = names[next(in) % N(names)];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s%s%s", z->root,
		 strcmp(name, "INBOX") == 0 ? "" : "/.", strcmp(name, "INBOX")
		 == 0 ? "" : name);
	if (deliver) {
		snprintf(path, sizeof(path), "%s/new/%u.M%uP1.fuzz", dir,
			 1000 + z->serial, z->serial);
		z->serial++;
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd >= 0) {
			if (write(fd, "Subject: d\r\n\r\nbody\r\n", 20) < 0) {
			}
			close(fd);
		}
		return;
	}
	snprintf(path, sizeof(path), "%s/cur", dir);
	if ((d = opendir(path)) == NULL)
		return;
	unsigned skip = next(in) % 8;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || skip-- > 0)
			continue;
		char *info = strstr(de->d_name, ":2,");
		int keep = info != NULL ? (int)(info - de->d_name) :
			   (int)strlen(de->d_name);
		snprintf(path, sizeof(path), "%s/cur/%s", dir, de->d_name);
		snprintf(to, sizeof(to), "%s/cur/%.*s:2,%s", dir, keep,
			 de->d_name, (next(in) & 1) ? "FS" : "T");
		if (rename(path, to) < 0) {
		}
		break;
	}
	closedir(d);
}

static void
op_view(struct fz *z, struct input *in, unsigned op)
{
	int i = (int)(next(in) % VIEWS);
	struct store_mailbox *mb = z->v[i];
	uint32_t seq, seqs[2], uids[2];

	if (mb == NULL) {
		open_view(z, i, i == 1 ? z->vname[0] : names[next(in) %
							     N(names)]);
		return;
	}
	seq = seq_of(z, i, in);
	switch (op) {
	case 0:
		sync_view(z, i);
		break;
	case 1:
	case 2:
		if (seq == 0)
			break;
		seqs[0] = seq;
		seqs[1] = seq_of(z, i, in);
		z->count = store_mailbox_count(mb);
		if (op == 1)
			store_copy(mb, seqs, 1 + (seqs[1] != seq),
				   names[next(in) % N(names)], NULL, uids);
		else
			store_move(mb, seqs, 1 + (seqs[1] != seq),
				   names[next(in) % N(names)], NULL, uids,
				   on_expunged, z);
		check(mb);
		break;
	case 3:
		if (seq != 0) {
			const char *kw[2];
			kw[0] = keywords[next(in) % N(keywords)];
			kw[1] = keywords[next(in) % N(keywords)];
			store_msg_set_flags(mb, seq, next(in) % 3,
					    next(in) & 0x1f, kw, next(in) % 3);
		}
		break;
	case 4:
		z->count = store_mailbox_count(mb);
		store_mailbox_expunge(mb, NULL, 0, on_expunged, z);
		check(mb);
		break;
	case 5:
		if (seq != 0) {
			struct arena *a = arena_new(1 << 20);
			struct mime_message *m;
			uint64_t size;
			store_msg_parsed(mb, seq, a, next(in) & 1, &m);
			store_msg_size(mb, seq, &size);
			arena_free(&a);
		}
		break;
	default:
		open_view(z, i, i == 1 ? z->vname[0] : names[next(in) %
							     N(names)]);
	}
}

static void
run(struct fz *z, struct input *in)
{
	struct store_status st;

	for (int k = 0; k < OPS_MAX && in->left > 0; k++) {
		unsigned op = next(in) % 16;
		const char *a = names[next(in) % N(names)];
		const char *b = names[next(in) % N(names)];

		switch (op) {
		case 0:
		case 1:
			op_append(z, in);
			break;
		case 2:
			store_folder_create(z->u, a);
			break;
		case 3:
			store_folder_delete(z->u, a);
			break;
		case 4:
			store_folder_rename(z->u, a, b);
			break;
		case 5:
			store_subscribe(z->u, a, next(in) & 1);
			break;
		case 6:
			memset(&st, 0, sizeof(st));
			if (store_folder_status(z->u, a, &st) == 0)
				assert(st.recent <= st.messages &&
				       st.unseen <= st.messages);
			break;
		case 7:
		case 8:
			op_outside(z, in, op == 7);
			break;
		case 9:
			check_pair(z);
			break;
		default:
			op_view(z, in, op - 10);
		}
	}
	check_pair(z);
}

static char base[64];

static void
remove_base(void)
{
	rmdir(base);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z = { .serial = 1 };
	struct input in = { data, size };
	const char *err;

	maildir_settings.fsync = false;	/* a fuzz run, not mail */
	if (base[0] == '\0') {
		/* in memory where there is one: each input makes a Maildir */
		snprintf(base, sizeof(base), "%s/maildock-fuzz-XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (mkdtemp(base) == NULL)
			abort();
		atexit(remove_base);
	}
	snprintf(z.root, sizeof(z.root), "%s/Maildir", base);
	rm_tree(z.root);
	if (store_user_open(z.root, NULL, &z.u, &err) < 0)
		abort();
	open_view(&z, 0, "INBOX");
	open_view(&z, 1, "INBOX");
	run(&z, &in);
	store_user_close(&z.u);		/* closes the views */
	rm_tree(z.root);
	return 0;
}
