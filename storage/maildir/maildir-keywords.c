/* Maildock - SPDX-License-Identifier: MIT
 *
 * Keywords (user-defined flags) in Courier-IMAP's layout, so they survive a
 * move between Courier and Maildock: courierimapkeywords/:list holds the
 * names, a blank line, then "<base name>:<index> <index>..." lines; a file
 * ".<n>.<base name>" (highest n wins) or "<base name>" (wins over all) in
 * the same directory holds a newer keyword list of one message, a name per
 * line. Maildock writes the per-message files as Courier does. Dovecot's
 * keyword letters (a-z after ":2,", named in dovecot-keywords) are read
 * for messages Courier's files do not mention, and written when Dovecot's
 * files are kept (maildir-compat.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-uidlist.h"
#include "storage/maildir/maildir-keywords.h"
#include "storage/maildir/maildir-sync.h"
#include "core/error.h"
#include "core/compat.h"

int
maildir_keywords_check(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return -ERR_INVAL;
	if (len > STORE_KEYWORD_MAXLEN)
		return -ERR_LIMIT;
	for (const char *p = name; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c))
			return -ERR_INVAL;
	}
	return 0;
}

int
maildir_keywords_id(struct maildir_folder *f, const char *name, bool create)
{
	unsigned i;

	for (i = 0; i < f->kw_n; i++)
		if (strcasecmp(f->kw_names[i], name) == 0)
			return (int)i;
	if (!create)
		return -ERR_NOTFOUND;
	if (maildir_keywords_check(name) < 0)
		return -ERR_INVAL;
	if (f->kw_n >= STORE_KEYWORDS_MAX)
		return -ERR_LIMIT;
	if (f->kw_n == f->kw_cap) {
		f->kw_cap = f->kw_cap ? f->kw_cap * 2 : 16;
		f->kw_names = xrealloc(f->kw_names,
				       f->kw_cap * sizeof(char *));
	}
	f->kw_names[f->kw_n] = xstrdup(name);
	return (int)f->kw_n++;
}

static int
cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* set_ids: the sorted, duplicate-free id set ids[0..n) as r's keywords;
 * returns whether it differs from the old one. Takes ids. */
static bool
set_ids(struct maildir_rec *r, unsigned *ids, unsigned n)
{
	unsigned i, k = 0;

	qsort(ids, n, sizeof(*ids), cmp_uint);
	for (i = 0; i < n; i++)
		if (k == 0 || ids[k - 1] != ids[i])
			ids[k++] = ids[i];
	if (k == r->kw_n && (k == 0 || memcmp(ids, r->kw, k * sizeof(*ids))
					   == 0)) {
		free(ids);
		return false;
	}
	free(r->kw);
	r->kw = k > 0 ? ids : NULL;
	if (k == 0)
		free(ids);
	r->kw_n = k;
	return true;
}

/* names_to_ids: newline-separated names in text to ids. */
static unsigned
names_to_ids(struct maildir_folder *f, char *text, unsigned **ids_r)
{
	unsigned n = 0, cap = 0, *ids = NULL;
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		int id = maildir_keywords_id(f, line, true);
		if (id < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			ids = xrealloc(ids, cap * sizeof(*ids));
		}
		ids[n++] = (unsigned)id;
	}
	*ids_r = ids;
	return n;
}

/* load_list: the ":list" file into next[] (per record). */
static void
load_list(struct maildir_folder *f, const char *dir, unsigned **next,
	  unsigned *next_n, bool *had)
{
	char path[MAILDIR_PATH_MAX], *data, *line, *save = NULL;
	int *map = NULL;
	unsigned nmap = 0;
	size_t len;

	maildir_path(path, sizeof(path), dir, ":list", NULL);
	if (maildir_read_file(path, &data, &len, 64u * 1024 * 1024) < 0)
		return;
	line = data;
	while (line != NULL && *line != '\0' && *line != '\n') {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		map = xrealloc(map, (nmap + 1) * sizeof(*map));
		map[nmap++] = maildir_keywords_id(f, line, true);
		line = nl != NULL ? nl + 1 : NULL;
	}
	if (line != NULL && *line == '\n')
		line++;
	for (line = line ? strtok_r(line, "\n", &save) : NULL; line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strrchr(line, ':'), *p, *end;
		if (colon == NULL)
			continue;
		struct maildir_rec *r = maildir_folder_find_base(
			f, line, (size_t)(colon - line));
		if (r == NULL)
			continue;
		size_t i = (size_t)(r - f->recs);
		had[i] = true;
		for (p = colon + 1;; p = end) {
			unsigned long v = strtoul(p, &end, 10);
			if (end == p)
				break;
			if (v < nmap && map[v] >= 0) {
				next[i] = xrealloc(next[i], (next_n[i] + 1) *
						   sizeof(unsigned));
				next[i][next_n[i]++] = (unsigned)map[v];
			}
		}
	}
	free(map);
	free(data);
}

/* update_of: parse ".<n>.<base>" (serial n) or "<base>" (UINT64_MAX). */
static const char *
update_of(const char *name, uint64_t *serial)
{
	if (name[0] != '.') {
		*serial = UINT64_MAX;
		return name;
	}
	char *end;
	unsigned long long v = strtoull(name + 1, &end, 10);
	if (end == name + 1 || *end != '.' || end[1] == '\0')
		return NULL;
	*serial = v;
	return end + 1;
}

static void
load_updates(struct maildir_folder *f, const char *dir, unsigned **next,
	     unsigned *next_n, bool *had)
{
	uint64_t *best = xcalloc(f->n + 1, sizeof(uint64_t)), serial;
	char **file = xcalloc(f->n + 1, sizeof(char *));
	char path[MAILDIR_PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		const char *base = update_of(de->d_name, &serial);
		if (base == NULL || de->d_name[0] == ':' ||
		    strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (serial != UINT64_MAX && serial >= f->kw_serial)
			f->kw_serial = (unsigned)serial + 1;
		struct maildir_rec *r = maildir_folder_find_base(
			f, base, strlen(base));
		if (r == NULL)
			continue;
		size_t i = (size_t)(r - f->recs);
		uint64_t rank = serial == UINT64_MAX ? UINT64_MAX : serial + 1;
		if (file[i] != NULL && best[i] >= rank)
			continue;
		free(file[i]);
		file[i] = xstrdup(de->d_name);
		best[i] = rank;
	}
	closedir(d);
	for (size_t i = 0; i < f->n; i++) {
		char *data;
		size_t len;
		if (file[i] == NULL ||
		    maildir_path(path, sizeof(path), dir, file[i], NULL) < 0 ||
		    maildir_read_file(path, &data, &len, 1024 * 1024) < 0)
			continue;
		free(next[i]);
		next_n[i] = names_to_ids(f, data, &next[i]);
		had[i] = true;
		free(data);
	}
out:
	for (size_t i = 0; i < f->n; i++)
		free(file[i]);
	free(file);
	free(best);
}

/* dovecot_map: map[0..25] = ids of Dovecot's keyword letters a..z from
 * "dovecot-keywords" ("<n> <name>" lines); false when there is none. */
static bool
dovecot_map(struct maildir_folder *f, int map[26])
{
	char path[MAILDIR_PATH_MAX], *data, *line, *save = NULL;
	size_t len;

	for (int i = 0; i < 26; i++)
		map[i] = -1;
	maildir_path(path, sizeof(path), f->dir, MAILDIR_DOVECOT_KEYWORDS,
		     NULL);
	if (maildir_read_file(path, &data, &len, 64 * 1024) < 0)
		return false;
	for (line = strtok_r(data, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *end;
		unsigned long n = strtoul(line, &end, 10);
		if (end != line && *end == ' ' && n < 26)
			map[n] = maildir_keywords_id(f, end + 1, true);
	}
	free(data);
	return true;
}

/* letters: the ids of the keyword letters in r's ":2,<flags>" part. */
static unsigned
letters(const struct maildir_rec *r, const int map[26], unsigned **ids_r)
{
	const char *p = strchr(r->name, ':');
	unsigned n = 0, *ids = NULL;

	if (p == NULL || p[1] != '2' || p[2] != ',')
		return 0;
	for (p += 3; *p != '\0' && *p != ','; p++)
		if (*p >= 'a' && *p <= 'z' && map[*p - 'a'] >= 0) {
			ids = xrealloc(ids, (n + 1) * sizeof(*ids));
			ids[n++] = (unsigned)map[*p - 'a'];
		}
	*ids_r = ids;
	return n;
}

int
maildir_keywords_load(struct maildir_folder *f, bool recs_changed)
{
	char dir[MAILDIR_PATH_MAX];
	struct maildir_stamp st;
	bool changed = false;
	int map[26];

	maildir_path(dir, sizeof(dir), f->dir, MAILDIR_KEYWORDS_DIR, NULL);
	maildir_stamp_get(dir, &st);
	struct maildir_stamp settled = st;
	maildir_stamp_settle(f, &settled);
	/* Dovecot's letters live in the file names: re-read them when the
	 * names changed */
	if (f->loaded && maildir_stamp_eq(&st, &f->st_kw) &&
	    !(recs_changed && f->dovecot_kw))
		return 0;
	f->dovecot_kw = dovecot_map(f, map);
	if (st.ino == 0 && f->st_kw.ino == 0 && !f->dovecot_kw) {
		f->st_kw = st;
		return 0;
	}
	unsigned **next = xcalloc(f->n + 1, sizeof(*next));
	unsigned *next_n = xcalloc(f->n + 1, sizeof(*next_n));
	bool *had = xcalloc(f->n + 1, sizeof(*had));
	if (st.ino != 0) {
		load_list(f, dir, next, next_n, had);
		load_updates(f, dir, next, next_n, had);
	}
	for (size_t i = 0; i < f->n; i++) {
		/* a Courier entry wins over Dovecot's letters */
		if (!had[i] && f->dovecot_kw)
			next_n[i] = letters(&f->recs[i], map, &next[i]);
		if (next[i] == NULL && f->recs[i].kw_n == 0)
			continue;
		changed |= set_ids(&f->recs[i],
				   next[i] ? next[i] : xmalloc(1), next_n[i]);
	}
	free(next);
	free(next_n);
	free(had);
	if (settled.ino == 0 && st.ino != 0) {	/* read again next time */
		memset(&st, 0, sizeof(st));
		st.ino = 1;
	}
	f->st_kw = st;
	return changed ? 1 : 0;
}

/* maildir_keywords_save: write r's keyword names as Courier's
 * maildir_kwSave does: a file named after the message's base name in
 * courierimapkeywords/, written in tmp/ and renamed there. It is the newest
 * update for both Courier and Maildock; older ".<n>.<base>" updates of the
 * message are removed. */
int
maildir_keywords_save(struct maildir_folder *f, const struct maildir_rec *r)
{
	char dir[MAILDIR_PATH_MAX], tmp[MAILDIR_PATH_MAX];
	char dst[MAILDIR_PATH_MAX];
	char uniq[128], old[MAILDIR_PATH_MAX];
	size_t blen = r->blen, len = 0, i;
	char *text = xmalloc((size_t)r->kw_n * (STORE_KEYWORD_MAXLEN + 1) + 1);
	struct dirent *de;
	uint64_t serial;
	int ret = 0, fd;

	maildir_path(dir, sizeof(dir), f->dir, MAILDIR_KEYWORDS_DIR, NULL);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		free(text);
		return maildir_errno(errno);
	}
	for (i = 0; i < r->kw_n; i++)
		len += (size_t)snprintf(text + len, STORE_KEYWORD_MAXLEN + 2,
					"%s\n", f->kw_names[r->kw[i]]);
	maildir_unique(uniq, sizeof(uniq));
	if (snprintf(tmp, sizeof(tmp), "%s/tmp/%s", f->dir, uniq) >=
	    (int)sizeof(tmp) ||
	    snprintf(dst, sizeof(dst), "%s/%.*s", dir, (int)blen, r->name) >=
	    (int)sizeof(dst)) {
		free(text);
		return -ERR_LIMIT;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		ret = maildir_errno(errno);
	if (fd >= 0 && close(fd) < 0 && ret == 0)
		ret = maildir_errno(errno);
	free(text);
	if (ret == 0 && rename(tmp, dst) < 0)
		ret = maildir_errno(errno);
	if (ret < 0) {
		unlink(tmp);
		return ret;
	}
	DIR *d = opendir(dir);	/* drop the older updates of this message */
	while (d != NULL && (de = readdir(d)) != NULL) {
		const char *base = update_of(de->d_name, &serial);
		if (base == NULL || serial == UINT64_MAX ||
		    strlen(base) != blen || memcmp(base, r->name, blen) != 0)
			continue;
		if (maildir_path(old, sizeof(old), dir, de->d_name, NULL) == 0)
			unlink(old);
	}
	if (d != NULL)
		closedir(d);
	return 0;
}

/* list_text: Courier's ":list" of f: every name f knows, a blank line,
 * then "<base name>:<index> ..." for each record with keywords. */
static char *
list_text(const struct maildir_folder *f, size_t *len_r)
{
	size_t cap = 2, len = 0;
	char *text;

	for (unsigned k = 0; k < f->kw_n; k++)
		cap += strlen(f->kw_names[k]) + 1;
	for (size_t i = 0; i < f->n; i++)	/* an index: 10 digits + 1 */
		if (f->recs[i].kw_n > 0)
			cap += f->recs[i].blen + 2 + f->recs[i].kw_n * 11;
	text = xmalloc(cap);
	for (unsigned k = 0; k < f->kw_n; k++)
		len += (size_t)snprintf(text + len, cap - len, "%s\n",
					f->kw_names[k]);
	text[len++] = '\n';
	for (size_t i = 0; i < f->n; i++) {
		const struct maildir_rec *r = &f->recs[i];
		if (r->kw_n == 0)
			continue;
		len += (size_t)snprintf(text + len, cap - len, "%.*s:",
					(int)r->blen, r->name);
		for (unsigned k = 0; k < r->kw_n; k++)
			len += (size_t)snprintf(text + len, cap - len, "%s%u",
						k > 0 ? " " : "", r->kw[k]);
		text[len++] = '\n';
	}
	*len_r = len;
	return text;
}

/* save_names: rewrite courierimapkeywords/:list with every name f knows,
 * used or not, and each record's keywords (the per-message files still
 * win over it, for Courier too). A name no message carries any more lived
 * only in one process's memory: another worker's FLAGS left it out
 * (issue 12, with server.workers = 2). Under the folder's UID list lock,
 * after reading what another process wrote, so that two writers never
 * drop each other's names. f->lock held. */
static int
save_names(struct maildir_folder *f)
{
	char lock[MAILDIR_PATH_MAX], dir[MAILDIR_PATH_MAX], *text;
	size_t len;
	int r;

	maildir_path(lock, sizeof(lock), f->dir, MAILDIR_UIDLIST_LOCK, NULL);
	maildir_path(dir, sizeof(dir), f->dir, MAILDIR_KEYWORDS_DIR, NULL);
	r = maildir_lockfile_take(lock, maildir_settings.lock_timeout,
				  maildir_settings.lock_stale);
	if (r < 0)
		return r;
	memset(&f->st_kw, 0, sizeof(f->st_kw));
	f->st_kw.ino = 1;	/* differs from any real stamp: read again */
	if ((r = maildir_keywords_load(f, false)) >= 0) {
		text = list_text(f, &len);
		r = maildir_write_atomic(dir, ":list", text, len);
		free(text);
	}
	maildir_lockfile_release(lock);
	return r < 0 ? r : 0;
}

int
maildir_keywords_set(struct maildir_folder *f, struct maildir_rec *r,
		     enum store_flags_mode mode, const char *const *names,
		     size_t n)
{
	size_t i, j;

	/* +FLAGS/-FLAGS change the message's current list: another process
	 * (a second worker, Courier) may have written it since this folder
	 * was read, and the whole list is written back */
	if (mode != STORE_FLAGS_SET && maildir_keywords_load(f, false) < 0)
		return -ERR_IO;
	unsigned known = f->kw_n;
	unsigned *ids = xmalloc((r->kw_n + n + 1) * sizeof(*ids)), k = 0;
	if (mode != STORE_FLAGS_SET)
		for (i = 0; i < r->kw_n; i++)
			ids[k++] = r->kw[i];
	for (i = 0; i < n; i++) {
		int id = maildir_keywords_id(f, names[i],
					     mode != STORE_FLAGS_REMOVE);
		if (id == -ERR_NOTFOUND)
			continue;
		if (id < 0) {
			free(ids);
			return id;
		}
		if (mode != STORE_FLAGS_REMOVE) {
			ids[k++] = (unsigned)id;
			continue;
		}
		for (j = 0; j < k; j++)
			if (ids[j] == (unsigned)id)
				ids[j--] = ids[--k];
	}
	if (!set_ids(r, ids, k))
		return 0;
	if (maildir_keywords_save(f, r) < 0 ||
	    maildir_compat_kw_letters(f, r) < 0)
		return -ERR_IO;
	/* a new name is written down for the other processes; the STORE
	 * itself is done either way */
	if (f->kw_n > known)
		save_names(f);
	return 1;
}
