/* Maildock - SPDX-License-Identifier: MIT
 *
 * Courier-IMAP's courierimapuiddb and Dovecot's dovecot-uidlist kept current
 * beside maildock-uidlist, so that either server can take a folder over at
 * any moment or serve it at the same time: their lists are merged in when
 * read, written as they write them, and UIDs are handed out under the lock
 * each of them honours, so a UID is never given twice in one UIDVALIDITY.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-uidlist.h"
#include "storage/maildir/maildir-sync.h"
#include "core/error.h"
#include "core/compat.h"

#define COMPAT_LIST_MAX (512u * 1024 * 1024)

struct compat_format {
	unsigned bit;
	const char *file, *lock;
	int (*parse)(char *, size_t, struct maildir_uidlist *);
};

/* Indexed like f->seen[]. Dovecot's lock is taken first: both orders are
 * free of deadlock (each other server takes only its own), but every
 * Maildock process must use the same one. */
static const struct compat_format formats[2] = {
	{ MAILDIR_COMPAT_COURIER, MAILDIR_COURIER_UIDDB, MAILDIR_COURIER_LOCK,
	  maildir_uidlist_parse_courier },
	{ MAILDIR_COMPAT_DOVECOT, MAILDIR_DOVECOT_UIDLIST, MAILDIR_DOVECOT_LOCK,
	  maildir_uidlist_parse_dovecot },
};

static bool
file_exists(const char *dir, const char *name)
{
	char path[MAILDIR_PATH_MAX];

	return maildir_path(path, sizeof(path), dir, name, NULL) == 0 &&
	       access(path, F_OK) == 0;
}

void
maildir_compat_decide(struct maildir_folder *f)
{
	unsigned set = maildir_settings.compat;

	if ((set & MAILDIR_COMPAT_AUTO) == 0) {
		f->compat = set;
		return;
	}
	f->compat = 0;
	for (size_t k = 0; k < N_ELEMENTS(formats); k++)
		if (file_exists(f->dir, formats[k].file) ||
		    file_exists(f->root, formats[k].file))
			f->compat |= formats[k].bit;
}

int
maildir_compat_lock(struct maildir_folder *f, unsigned *held_r)
{
	char path[MAILDIR_PATH_MAX];
	int r = 0;

	*held_r = 0;
	for (size_t k = N_ELEMENTS(formats); k-- > 0;) {
		if ((f->compat & formats[k].bit) == 0)
			continue;
		if ((r = maildir_path(path, sizeof(path), f->dir,
				      formats[k].lock, NULL)) < 0 ||
		    (r = maildir_dotlock_take(path,
					      maildir_settings.lock_timeout,
					      maildir_settings.lock_stale)) < 0)
			break;
		*held_r |= formats[k].bit;
	}
	if (r < 0) {
		maildir_compat_unlock(f, *held_r);
		*held_r = 0;
	}
	return r;
}

void
maildir_compat_unlock(struct maildir_folder *f, unsigned held)
{
	char path[MAILDIR_PATH_MAX];

	for (size_t k = 0; k < N_ELEMENTS(formats); k++)
		if ((held & formats[k].bit) != 0 &&
		    maildir_path(path, sizeof(path), f->dir, formats[k].lock,
				 NULL) == 0)
			maildir_lockfile_release(path);
}

/* first_line: the first line of path (without '\n', cut to size - 1
 * bytes) into buf; "" when it cannot be read. */
static void
first_line(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* seen_now: the stamp and first line of format k's list in f. */
static void
seen_now(struct maildir_folder *f, size_t k, struct maildir_stamp *st,
	 char *head, size_t size)
{
	char path[MAILDIR_PATH_MAX];

	head[0] = '\0';
	memset(st, 0, sizeof(*st));
	if (maildir_path(path, sizeof(path), f->dir, formats[k].file,
			 NULL) < 0)
		return;
	maildir_stamp_get(path, st);
	if (st->ino != 0)
		first_line(path, head, size);
}

bool
maildir_compat_same(struct maildir_folder *f)
{
	struct maildir_stamp st;
	char head[sizeof(f->seen[0].head)];

	for (size_t k = 0; k < N_ELEMENTS(formats); k++) {
		if ((f->compat & formats[k].bit) == 0)
			continue;
		seen_now(f, k, &st, head, sizeof(head));
		if (!maildir_stamp_eq(&st, &f->seen[k].st) ||
		    strcmp(head, f->seen[k].head) != 0)
			return false;
	}
	return true;
}

static int
cmp_uid(const void *a, const void *b)
{
	const struct maildir_uidlist_entry *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

struct bkey {
	const char *p;
	size_t len;
};

static int
cmp_bkey(const void *a, const void *b)
{
	const struct bkey *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* merge_into: add o's pairs that ul lacks (by file and by UID); returns
 * how many were added. o's text is kept by the caller. */
static size_t
merge_into(struct maildir_uidlist *ul, const struct maildir_uidlist *o)
{
	size_t n0 = ul->n, added = 0;
	struct bkey *keys = xmalloc((n0 + 1) * sizeof(*keys));

	for (size_t i = 0; i < n0; i++) {
		keys[i].p = ul->e[i].base;
		keys[i].len = ul->e[i].blen;
	}
	qsort(keys, n0, sizeof(*keys), cmp_bkey);
	ul->e = xrealloc(ul->e, (n0 + o->n + 1) * sizeof(*ul->e));
	for (size_t i = 0; i < o->n; i++) {
		const struct maildir_uidlist_entry *c = &o->e[i];
		struct bkey k = { c->base, c->blen };
		if (bsearch(&k, keys, n0, sizeof(*keys), cmp_bkey) != NULL ||
		    bsearch(c, ul->e, n0, sizeof(*ul->e), cmp_uid) != NULL)
			continue;
		ul->e[ul->n] = *c;
		ul->e[ul->n++].vsize = 0;
		added++;
	}
	free(keys);
	if (added > 0)
		qsort(ul->e, ul->n, sizeof(*ul->e), cmp_uid);
	if (o->uidnext > ul->uidnext)
		ul->uidnext = o->uidnext;
	if (ul->n > 0 && ul->e[ul->n - 1].uid >= ul->uidnext)
		ul->uidnext = maildir_uid_after(ul->e[ul->n - 1].uid);
	return added;
}

void
maildir_compat_merge(struct maildir_folder *f, struct maildir_uidlist *ul)
{
	char path[MAILDIR_PATH_MAX], *data;
	size_t len;

	for (size_t k = 0; k < N_ELEMENTS(formats); k++) {
		struct maildir_compat_seen *s = &f->seen[k];
		struct maildir_uidlist o;

		if ((f->compat & formats[k].bit) == 0)
			continue;
		seen_now(f, k, &s->st, s->head, sizeof(s->head));
		s->uidv = s->uidnext = 0;
		s->n = 0;
		if (s->st.ino == 0 ||
		    maildir_path(path, sizeof(path), f->dir, formats[k].file,
				 NULL) < 0 ||
		    maildir_read_file(path, &data, &len, COMPAT_LIST_MAX) < 0)
			continue;
		if (formats[k].parse(data, len, &o) < 0) {
			free(o.e);
			free(data);
			continue;
		}
		s->uidv = o.uidvalidity;
		s->uidnext = o.uidnext;
		s->n = o.n;
		if (o.guid[0] != '\0')
			memcpy(f->dovecot_guid, o.guid, sizeof(o.guid));
		/* a list of another UIDVALIDITY is rewritten from ours: its
		 * UIDs mean other messages */
		if (o.uidvalidity == ul->uidvalidity && merge_into(ul, &o) > 0)
			ul->cur.ino = 0;	/* the names are bases: list cur/ */
		free(o.e);
		free(ul->more[k]);
		ul->more[k] = data;
	}
}

/* put: s[0..n) at buf[*len] (capacity checked by the caller). */
static void
put(char *buf, size_t *len, const char *s, size_t n)
{
	memcpy(buf + *len, s, n);
	*len += n;
}

/* render: format k's list of f's records into a malloc'd buffer. Both
 * keep the base name only (no ":2," info), as Courier's imapscanclient
 * and Dovecot's maildir-uidlist write it; Dovecot's header carries the
 * mailbox GUID, made up once when the folder has none. */
static char *
render(struct maildir_folder *f, size_t k, size_t *len_r)
{
	size_t cap = 128, len;
	char num[24], *buf;

	for (size_t i = 0; i < f->n; i++)
		cap += f->recs[i].blen + 16;
	buf = xmalloc(cap);
	if (formats[k].bit == MAILDIR_COMPAT_COURIER) {
		len = (size_t)snprintf(buf, cap, "1 %u %u\n", f->uidvalidity,
				       f->uidnext);
	} else {
		if (f->dovecot_guid[0] == '\0') {
			unsigned char g[16];
			if (getrandom(g, sizeof(g), 0) != sizeof(g)) {
				/* no entropy yet: unique enough per folder */
				char u[128];
				maildir_unique(u, sizeof(u));
				uint64_t h = maildir_hash_str(u, strlen(u));
				uint64_t d = maildir_hash_str(f->dir,
							      strlen(f->dir));
				memcpy(g, &h, 8);
				memcpy(g + 8, &d, 8);
			}
			for (size_t i = 0; i < sizeof(g); i++)
				snprintf(f->dovecot_guid + 2 * i, 3, "%02x",
					 g[i]);
		}
		len = (size_t)snprintf(buf, cap, "3 V%u N%u G%s\n",
				       f->uidvalidity, f->uidnext,
				       f->dovecot_guid);
	}
	for (size_t i = 0; i < f->n; i++) {
		const struct maildir_rec *r = &f->recs[i];
		int n = snprintf(num, sizeof(num), "%u", r->uid);
		put(buf, &len, num, (size_t)n);
		if (formats[k].bit == MAILDIR_COMPAT_COURIER)
			put(buf, &len, " ", 1);
		else
			put(buf, &len, " :", 2);
		put(buf, &len, r->name, r->blen);
		put(buf, &len, "\n", 1);
	}
	*len_r = len;
	return buf;
}

int
maildir_compat_write(struct maildir_folder *f)
{
	struct maildir_stamp st;
	char head[sizeof(f->seen[0].head)];

	for (size_t k = 0; k < N_ELEMENTS(formats); k++) {
		struct maildir_compat_seen *s = &f->seen[k];
		size_t len;
		int r;

		if ((f->compat & formats[k].bit) == 0)
			continue;
		seen_now(f, k, &st, head, sizeof(head));
		if (st.ino != 0 && maildir_stamp_eq(&st, &s->st) &&
		    s->uidv == f->uidvalidity && s->uidnext == f->uidnext &&
		    s->n == f->n)
			continue;
		char *buf = render(f, k, &len);
		r = maildir_write_atomic(f->dir, formats[k].file, buf, len);
		free(buf);
		if (r < 0)
			return r;
		seen_now(f, k, &s->st, s->head, sizeof(s->head));
		s->uidv = f->uidvalidity;
		s->uidnext = f->uidnext;
		s->n = f->n;
	}
	return 0;
}

/* kw_read: Dovecot's keyword names by letter index from dovecot-keywords
 * ("<index> <name>" lines), into names[26] (malloc'd text in *data_r). */
static void
kw_read(struct maildir_folder *f, char *names[26], char **data_r)
{
	char path[MAILDIR_PATH_MAX], *line, *save = NULL;
	size_t len;

	memset(names, 0, 26 * sizeof(char *));
	*data_r = NULL;
	if (maildir_path(path, sizeof(path), f->dir, MAILDIR_DOVECOT_KEYWORDS,
			 NULL) < 0 ||
	    maildir_read_file(path, data_r, &len, 64 * 1024) < 0)
		return;
	for (line = strtok_r(*data_r, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *end;
		unsigned long n = strtoul(line, &end, 10);
		if (end != line && *end == ' ' && n < 26 && end[1] != '\0')
			names[n] = end + 1;
	}
}

static int
kw_find(char *const names[26], const char *name)
{
	for (int i = 0; i < 26; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* kw_add: give name a letter in dovecot-keywords. Dovecot adds keywords
 * only while it holds its dovecot-uidlist.lock, so that lock is taken
 * here too. The letter (0-25), or -1 when all 26 are taken or on error. */
static int
kw_add(struct maildir_folder *f, const char *name)
{
	char path[MAILDIR_PATH_MAX], *names[26], *data, *text;
	int idx = -1;

	if (maildir_path(path, sizeof(path), f->dir, MAILDIR_DOVECOT_LOCK,
			 NULL) < 0 ||
	    maildir_dotlock_take(path, maildir_settings.lock_timeout,
				 maildir_settings.lock_stale) < 0)
		return -1;
	kw_read(f, names, &data);	/* again, under the lock */
	if ((idx = kw_find(names, name)) < 0) {
		for (int i = 0; i < 26 && idx < 0; i++)
			if (names[i] == NULL)
				idx = i;
		if (idx >= 0) {
			size_t cap = 27 * (STORE_KEYWORD_MAXLEN + 8), len = 0;
			names[idx] = (char *)name;
			text = xmalloc(cap);
			for (int i = 0; i < 26; i++)
				if (names[i] != NULL)
					len += (size_t)snprintf(text + len,
								cap - len,
								"%d %s\n", i,
								names[i]);
			if (maildir_write_atomic(f->dir,
						 MAILDIR_DOVECOT_KEYWORDS,
						 text, len) < 0)
				idx = -1;
			free(text);
		}
	}
	free(data);
	maildir_lockfile_release(path);
	return idx;
}

int
maildir_compat_kw_letters(struct maildir_folder *f, struct maildir_rec *r)
{
	char *names[26], *data, set[64], name[300];
	char from[MAILDIR_PATH_MAX], to[MAILDIR_PATH_MAX];
	bool want[26] = { false };
	size_t n = 0;

	if ((f->compat & MAILDIR_COMPAT_DOVECOT) == 0 && !f->dovecot_kw)
		return 0;
	kw_read(f, names, &data);
	for (unsigned i = 0; i < r->kw_n; i++) {
		const char *kw = f->kw_names[r->kw[i]];
		int idx = kw_find(names, kw);
		if (idx < 0)
			idx = kw_add(f, kw);
		if (idx >= 0)
			want[idx] = true;
	}
	free(data);
	/* the info part with Dovecot's letters replaced, in ASCII order as
	 * Dovecot writes it (system flags, then letters) */
	const char *info = strchr(r->name, ':'), *extra = "";
	if (info != NULL && strncmp(info, ":2,", 3) == 0) {
		for (info += 3; *info != '\0' && *info != ','; info++)
			if ((*info < 'a' || *info > 'z') && n < 32)
				set[n++] = *info;
		extra = info;
	}
	for (int i = 0; i < 26; i++)
		if (want[i])
			set[n++] = (char)('a' + i);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && set[j - 1] > set[j]; j--) {
			char t = set[j];
			set[j] = set[j - 1];
			set[j - 1] = t;
		}
	if (snprintf(name, sizeof(name), "%.*s:2,%.*s%s", (int)r->blen,
		     r->name, (int)n, set, extra) >= (int)sizeof(name))
		return -ERR_LIMIT;
	if (strcmp(name, r->name) == 0)
		return 0;
	if (maildir_path(from, sizeof(from), f->dir, "cur", r->name) < 0 ||
	    maildir_path(to, sizeof(to), f->dir, "cur", name) < 0)
		return -ERR_LIMIT;
	if (rename(from, to) < 0)
		return maildir_errno(errno);
	free(r->name);
	r->name = xstrdup(name);
	return 0;
}
