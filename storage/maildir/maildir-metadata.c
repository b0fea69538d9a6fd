/* Maildock - SPDX-License-Identifier: MIT
 *
 * METADATA entries of a Maildir++ folder or of the user's server space
 * (storage/store-metadata.h): one file per directory, read whole and
 * replaced whole under a lock file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/maildir/maildir.h"
#include "storage/store-metadata.h"
#include "core/compat.h"

#define MU(u) ((struct maildir_user *)(u))
#define MAGIC "maildock-metadata 1\n"
#define FILE_FOLDER "maildock-metadata"
#define FILE_SERVER "maildock-metadata-server"
#define FILE_MAX (STORE_METADATA_TOTAL_MAX + \
		  STORE_METADATA_ENTRIES_MAX * (STORE_METADATA_NAME_MAX + 32))

/* where: the directory and file name of name's entries */
static int
where(struct store_user *u, const char *name, char *dir, size_t size,
      const char **file_r)
{
	int r;

	*file_r = name == NULL ? FILE_SERVER : FILE_FOLDER;
	if (name == NULL) {
		str_copy(dir, MU(u)->root, size);
		return 0;
	}
	if ((r = maildir_name_check(name)) < 0 ||
	    (r = maildir_name_to_dir(MU(u)->root, name, dir, size)) < 0)
		return r;
	return maildir_folder_exists(u, name) ? 0 : -ERR_NOTFOUND;
}

/* parse: the file's entries (pointing into data) in a */
static int
parse(struct arena *a, char *data, size_t len,
      struct store_metadata_entry **e_r, size_t *n_r)
{
	struct store_metadata_entry *e;
	char *p = data, *end = data + len, *sp, *nl;
	size_t n = 0;

	*e_r = NULL;
	*n_r = 0;
	if (len == 0)
		return 0;
	if (len < strlen(MAGIC) || memcmp(data, MAGIC, strlen(MAGIC)) != 0)
		return -ERR_IO;
	e = arena_alloc(a, (STORE_METADATA_ENTRIES_MAX + 1) * sizeof(*e));
	if (e == NULL)
		return -ERR_LIMIT;
	for (p += strlen(MAGIC); p < end; n++) {
		unsigned long long vlen;
		if (n == STORE_METADATA_ENTRIES_MAX ||
		    (nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    (sp = memchr(p, ' ', (size_t)(nl - p))) == NULL)
			return -ERR_IO;
		*sp = *nl = '\0';
		vlen = strtoull(sp + 1, NULL, 10);
		if (vlen > STORE_METADATA_VALUE_MAX ||
		    vlen + 1 > (unsigned long long)(end - nl - 1) ||
		    nl[1 + vlen] != '\n')
			return -ERR_IO;
		e[n].name = p;
		e[n].value = nl + 1;
		e[n].len = (size_t)vlen;
		nl[1 + vlen] = '\0';	/* values end in NUL for callers */
		p = nl + 2 + vlen;
	}
	*e_r = e;
	*n_r = n;
	return 0;
}

static int
load(struct arena *a, const char *dir, const char *file,
     struct store_metadata_entry **e_r, size_t *n_r)
{
	char path[MAILDIR_PATH_MAX], *data = NULL, *copy;
	size_t len = 0;
	int r;

	if ((r = maildir_path(path, sizeof(path), dir, file, NULL)) < 0)
		return r;
	r = maildir_read_file(path, &data, &len, FILE_MAX);
	if (r == -ERR_NOTFOUND) {
		*e_r = NULL;
		*n_r = 0;
		return 0;
	}
	if (r < 0)
		return r;
	copy = arena_alloc(a, len + 1);
	if (copy != NULL)
		memcpy(copy, data, len + 1);
	free(data);
	return copy == NULL ? -ERR_LIMIT : parse(a, copy, len, e_r, n_r);
}

static int
cmp_entry(const void *x, const void *y)
{
	return strcmp(((const struct store_metadata_entry *)x)->name,
		      ((const struct store_metadata_entry *)y)->name);
}

int
store_metadata_get(struct store_user *u, const char *name, struct arena *a,
		   struct store_metadata_entry **e_r, size_t *n_r)
{
	char dir[MAILDIR_PATH_MAX];
	const char *file;
	int r;

	*e_r = NULL;
	*n_r = 0;
	if ((r = where(u, name, dir, sizeof(dir), &file)) < 0 ||
	    (r = load(a, dir, file, e_r, n_r)) < 0)
		return r;
	if (*n_r > 1)
		qsort(*e_r, *n_r, sizeof(**e_r), cmp_entry);
	return 0;
}

/* merge: cur[0..*n) with the changes, in place (cur has room for
 * STORE_METADATA_ENTRIES_MAX + 1) */
static int
merge(struct store_metadata_entry *cur, size_t *n,
      const struct store_metadata_entry *e, size_t ne)
{
	size_t total = 0;

	for (size_t i = 0; i < ne; i++) {
		size_t k;
		if (e[i].value != NULL && e[i].len > STORE_METADATA_VALUE_MAX)
			return -ERR_LIMIT;
		for (k = 0; k < *n && strcmp(cur[k].name, e[i].name) != 0; k++)
			;
		if (e[i].value == NULL) {
			if (k < *n)
				cur[k] = cur[--*n];
			continue;
		}
		if (k == *n && (*n)++ == STORE_METADATA_ENTRIES_MAX)
			return -ERR_QUOTA;
		cur[k] = e[i];
	}
	for (size_t k = 0; k < *n; k++)
		total += cur[k].len;
	return total > STORE_METADATA_TOTAL_MAX ? -ERR_QUOTA : 0;
}

static int
save(const char *dir, const char *file, struct store_metadata_entry *e,
     size_t n)
{
	struct sbuf b;
	int r;

	if (n > 1)
		qsort(e, n, sizeof(*e), cmp_entry);
	sbuf_init(&b, NULL, FILE_MAX + sizeof(MAGIC));
	sbuf_appends(&b, MAGIC);
	for (size_t i = 0; i < n; i++) {
		sbuf_appendf(&b, "%s %zu\n", e[i].name, e[i].len);
		sbuf_append(&b, e[i].value, e[i].len);
		sbuf_appendc(&b, '\n');
	}
	r = sbuf_failed(&b) ? -ERR_QUOTA :
	    maildir_write_atomic(dir, file, b.data, n > 0 ? b.len : 0);
	sbuf_free(&b);
	return r;
}

int
store_metadata_set(struct store_user *u, const char *name,
		   const struct store_metadata_entry *e, size_t n)
{
	char dir[MAILDIR_PATH_MAX], lock[MAILDIR_PATH_MAX];
	struct store_metadata_entry *cur, *all;
	struct arena *a;
	const char *file;
	size_t ncur;
	int r;

	for (size_t i = 0; i < n; i++)
		if (strlen(e[i].name) > STORE_METADATA_NAME_MAX ||
		    strchr(e[i].name, ' ') != NULL ||
		    strchr(e[i].name, '\n') != NULL)
			return -ERR_INVAL;
	if ((r = where(u, name, dir, sizeof(dir), &file)) < 0 ||
	    (r = maildir_path(lock, sizeof(lock), dir, FILE_FOLDER ".lock",
			      NULL)) < 0)
		return r;
	if ((r = maildir_lockfile_take(lock, maildir_settings.lock_timeout,
				       maildir_settings.lock_stale)) < 0)
		return r;
	a = arena_new(2 * FILE_MAX);
	all = arena_alloc(a, (STORE_METADATA_ENTRIES_MAX + 1) * sizeof(*all));
	r = all == NULL ? -ERR_NOMEM : load(a, dir, file, &cur, &ncur);
	if (r == 0) {
		if (ncur > 0)
			memcpy(all, cur, ncur * sizeof(*all));
		r = merge(all, &ncur, e, n);
	}
	if (r == 0)
		r = save(dir, file, all, ncur);
	arena_free(&a);
	maildir_lockfile_release(lock);
	return r;
}
