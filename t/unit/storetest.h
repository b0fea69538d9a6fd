/* Maildock - SPDX-License-Identifier: MIT
 *
 * Helpers shared by the storage unit tests: temporary Maildirs, files
 * written straight into them (as a delivery agent would), appends.
 */
#ifndef T_UNIT_STORETEST_H
#define T_UNIT_STORETEST_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "storage/store.h"

static inline char *
tmp_maildir(void)
{
	char tmpl[] = "/tmp/maildock-test-XXXXXX";
	char *d = mkdtemp(tmpl);
	char *p;

	if (d == NULL)
		abort();
	p = malloc(strlen(d) + 16);
	snprintf(p, strlen(d) + 16, "%s/Maildir", d);
	return p;
}

static inline void
rm_rf(const char *path)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0) {
	}
}

static inline void
put_file(const char *dir, const char *sub, const char *name,
	 const char *text)
{
	char path[4096];
	FILE *f;

	int n = sub != NULL ?
		snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name) :
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		abort();
	f = fopen(path, "w");
	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
}

static inline char *
get_file(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static inline int
count_files(const char *dir, const char *sub)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, sub) >=
	    (int)sizeof(path) || (d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static inline int
append_text(struct store_user *u, const char *folder, const char *text,
	    unsigned flags, uint32_t *uid_r)
{
	struct store_append *a;
	uint32_t uidv;
	int r = store_append_begin(u, folder, flags, NULL, 0, 0, 0, &a);

	if (r < 0)
		return r;
	if ((r = store_append_write(a, text, strlen(text))) < 0) {
		store_append_abort(&a);
		return r;
	}
	return store_append_finish(&a, &uidv, uid_r);
}

#endif
