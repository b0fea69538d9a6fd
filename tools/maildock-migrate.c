/* Maildock - SPDX-License-Identifier: MIT
 *
 * maildock-migrate check MAILDIR: for each folder of a Maildir, what
 * Maildock, Courier-IMAP and Dovecot would each show (UIDVALIDITY, next
 * UID, how many messages have a UID, keyword names, subscription) from
 * their own files, and every disagreement between them. Reads only; exit
 * status 0 when they agree, 1 when not, 2 on a usage or read error.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-uidlist.h"
#include "core/error.h"
#include "core/compat.h"

#define MAX_REPORTED 20		/* per-file disagreements shown a folder */

enum { L_MAILDOCK, L_COURIER, L_DOVECOT, L_COUNT };

static const char *const list_file[L_COUNT] = {
	MAILDIR_UIDLIST, MAILDIR_COURIER_UIDDB, MAILDIR_DOVECOT_UIDLIST
};
static const char *const list_name[L_COUNT] = {
	"maildock", "courier", "dovecot"
};
static int (*const list_parse[L_COUNT])(char *, size_t,
					 struct maildir_uidlist *) = {
	maildir_uidlist_parse_own, maildir_uidlist_parse_courier,
	maildir_uidlist_parse_dovecot
};

struct folder_state {
	struct maildir_uidlist ul[L_COUNT];
	bool have[L_COUNT];
	char **files;		/* base names in cur/ and new/ */
	size_t nfiles;
	unsigned disagree;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
list_files(const char *dir, struct folder_state *fs)
{
	static const char *const subs[] = { "cur", "new" };
	char path[MAILDIR_PATH_MAX];
	struct dirent *de;

	for (size_t s = 0; s < N_ELEMENTS(subs); s++) {
		DIR *d;
		if (maildir_path(path, sizeof(path), dir, subs[s], NULL) < 0 ||
		    (d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (!maildir_filename_ok(de->d_name))
				continue;
			fs->files = xrealloc(fs->files, (fs->nfiles + 1) *
					     sizeof(char *));
			fs->files[fs->nfiles] = xstrdup(de->d_name);
			fs->files[fs->nfiles][maildir_base_len(de->d_name)] =
				'\0';
			fs->nfiles++;
		}
		closedir(d);
	}
	if (fs->nfiles > 1)	/* qsort wants a pointer even for none */
		qsort(fs->files, fs->nfiles, sizeof(char *), cmp_str);
}

static int
cmp_entry_base(const void *a, const void *b)
{
	const struct maildir_uidlist_entry *x = a, *y = b;
	int c = memcmp(x->base, y->base, x->blen < y->blen ? x->blen : y->blen);

	return c != 0 ? c : (x->blen > y->blen) - (x->blen < y->blen);
}

/* uid_of: the UID list l (sorted by base name) gives base, 0 when none. */
static uint32_t
uid_of(const struct maildir_uidlist *l, const char *base)
{
	struct maildir_uidlist_entry key = {
		.base = (char *)base, .blen = (unsigned)strlen(base)
	};
	const struct maildir_uidlist_entry *e =
		bsearch(&key, l->e, l->n, sizeof(*l->e), cmp_entry_base);

	return e != NULL ? e->uid : 0;
}

static void disagree(struct folder_state *fs, const char *fmt, ...)
	ATTR_PRINTF(2, 3);

static void
disagree(struct folder_state *fs, const char *fmt, ...)
{
	va_list ap;

	fs->disagree++;
	printf("  ! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void
report_lists(struct folder_state *fs)
{
	unsigned shown = 0;

	for (int k = 0; k < L_COUNT; k++) {
		if (!fs->have[k]) {
			printf("  %-9s (no %s)\n", list_name[k], list_file[k]);
			continue;
		}
		size_t with = 0;
		for (size_t i = 0; i < fs->nfiles; i++)
			with += uid_of(&fs->ul[k], fs->files[i]) != 0;
		printf("  %-9s uidvalidity %u, next uid %u, messages with a "
		       "uid %zu of %zu\n", list_name[k], fs->ul[k].uidvalidity,
		       fs->ul[k].uidnext, with, fs->nfiles);
	}
	for (int a = 0; a < L_COUNT; a++)
		for (int b = a + 1; b < L_COUNT; b++) {
			const struct maildir_uidlist *x = &fs->ul[a];
			const struct maildir_uidlist *y = &fs->ul[b];
			if (!fs->have[a] || !fs->have[b])
				continue;
			if (x->uidvalidity != y->uidvalidity)
				disagree(fs, "uidvalidity: %s %u, %s %u",
					 list_name[a], x->uidvalidity,
					 list_name[b], y->uidvalidity);
			if (x->uidnext != y->uidnext)
				disagree(fs, "next uid: %s %u, %s %u",
					 list_name[a], x->uidnext,
					 list_name[b], y->uidnext);
			for (size_t i = 0; i < fs->nfiles; i++) {
				uint32_t u = uid_of(x, fs->files[i]);
				uint32_t v = uid_of(y, fs->files[i]);
				if (u == v || shown++ >= MAX_REPORTED)
					continue;
				disagree(fs, "%s: %s uid %u, %s uid %u",
					 fs->files[i], list_name[a], u,
					 list_name[b], v);
			}
		}
	if (shown > MAX_REPORTED)
		printf("  ! ... and %u more files numbered differently\n",
		       shown - MAX_REPORTED);
}

/* add_names: append to *out (" name" each, no duplicates) the names of
 * the file at path: Courier's ":list" (before its blank line) or one
 * message's update file (a name a line), or dovecot-keywords ("<n>
 * <name>" lines). False when the file cannot be read. */
static bool
add_names(char **out, const char *path, bool dovecot)
{
	char *data, *line, *save = NULL, pad[STORE_KEYWORD_MAXLEN + 3];
	size_t len;

	if (maildir_read_file(path, &data, &len, 1024 * 1024) < 0)
		return false;
	char *blank = strstr(data, "\n\n");
	if (!dovecot && blank != NULL)
		blank[1] = '\0';
	for (line = strtok_r(data, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *name = line;
		if (dovecot && (name = strchr(line, ' ')) == NULL)
			continue;
		name += dovecot;
		if (strlen(name) > STORE_KEYWORD_MAXLEN)
			continue;
		snprintf(pad, sizeof(pad), " %s ", name);
		size_t ol = strlen(*out);
		char *with = xmalloc(ol + 2);
		snprintf(with, ol + 2, "%s ", *out);
		if (strstr(with, pad) == NULL) {
			*out = xrealloc(*out, ol + strlen(name) + 2);
			snprintf(*out + ol, strlen(name) + 2, " %s", name);
		}
		free(with);
	}
	free(data);
	return true;
}

/* read_names: the keyword names Courier knows (courierimapkeywords/:list
 * and the per-message files beside it) or Dovecot has letters for
 * (dovecot-keywords), as " name name"; NULL when there are none. */
static char *
read_names(const char *dir, bool dovecot)
{
	char path[MAILDIR_PATH_MAX], kwdir[MAILDIR_PATH_MAX];
	char *out = xstrdup("");
	struct dirent *de;
	DIR *d;

	if (dovecot) {
		if (maildir_path(path, sizeof(path), dir,
				 MAILDIR_DOVECOT_KEYWORDS, NULL) == 0)
			add_names(&out, path, true);
	} else if (maildir_path(kwdir, sizeof(kwdir), dir,
				MAILDIR_KEYWORDS_DIR, NULL) == 0 &&
		   (d = opendir(kwdir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0 &&
			    maildir_path(path, sizeof(path), kwdir,
					 de->d_name, NULL) == 0)
				add_names(&out, path, false);
		closedir(d);
	}
	if (out[0] == '\0') {
		free(out);
		return NULL;
	}
	return out;
}

static void
report_keywords(const char *dir, struct folder_state *fs)
{
	char *c = read_names(dir, false), *d = read_names(dir, true);

	printf("  keywords  courier:%s; dovecot:%s\n", c ? c : " (none)",
	       d ? d : " (none)");
	/* every name Dovecot has a letter for must be one Courier knows */
	if (c != NULL && d != NULL) {
		size_t cl = strlen(c);
		char *cc = xmalloc(cl + 2), *save = NULL;
		snprintf(cc, cl + 2, "%s ", c);
		for (char *w = strtok_r(d, " ", &save); w != NULL;
		     w = strtok_r(NULL, " ", &save)) {
			char pad[STORE_KEYWORD_MAXLEN + 3];
			snprintf(pad, sizeof(pad), " %s ", w);
			if (strstr(cc, pad) == NULL)
				disagree(fs, "keyword %s only in %s", w,
					 MAILDIR_DOVECOT_KEYWORDS);
		}
		free(cc);
	}
	free(c);
	free(d);
}

/* subscribed: whether the file at root lists the folder (its on-disk
 * name, "" for INBOX) in Courier's or Dovecot's layout; -1 when the file
 * is absent. */
static int
subscribed(const char *root, const char *disk, bool dovecot)
{
	char path[MAILDIR_PATH_MAX], want[MAILDIR_PATH_MAX], *data, *line;
	char *save = NULL;
	size_t len;
	int found = 0;

	if (maildir_path(path, sizeof(path), root, dovecot ?
			 MAILDIR_DOVECOT_SUBSCRIBED : MAILDIR_SUBSCRIBED,
			 NULL) < 0 ||
	    maildir_read_file(path, &data, &len, 4 * 1024 * 1024) < 0)
		return -1;
	if (disk[0] == '\0')
		str_copy(want, "INBOX", sizeof(want));
	else
		snprintf(want, sizeof(want), "%s%s", dovecot ? "" : "INBOX.",
			 disk);
	if (dovecot)
		for (char *t = want; (t = strchr(t, '.')) != NULL;)
			*t = '\t';
	for (line = strtok_r(data, "\n", &save); line != NULL && !found;
	     line = strtok_r(NULL, "\n", &save))
		found = strcmp(line, want) == 0;
	free(data);
	return found;
}

static void
check_folder(const char *root, const char *dir, const char *disk,
	     unsigned *total)
{
	char path[MAILDIR_PATH_MAX], name[STORE_NAME_MAXLEN * 4], *data;
	struct folder_state fs;
	size_t len;

	memset(&fs, 0, sizeof(fs));
	if (disk[0] == '\0')
		str_copy(name, "INBOX", sizeof(name));
	else if (maildir_name_decode(disk, name, sizeof(name)) < 0)
		str_copy(name, disk, sizeof(name));
	printf("%s\n", name);
	list_files(dir, &fs);
	for (int k = 0; k < L_COUNT; k++) {
		if (maildir_path(path, sizeof(path), dir, list_file[k],
				 NULL) < 0 ||
		    maildir_read_file(path, &data, &len, 512u << 20) < 0)
			continue;
		if (list_parse[k](data, len, &fs.ul[k]) < 0) {
			printf("  ! %s is not readable as %s writes it\n",
			       list_file[k], list_name[k]);
			fs.disagree++;
			free(fs.ul[k].e);
			free(data);
			memset(&fs.ul[k], 0, sizeof(fs.ul[k]));
			continue;
		}
		fs.ul[k].data = data;
		fs.have[k] = true;
		if (fs.ul[k].n > 1)
			qsort(fs.ul[k].e, fs.ul[k].n, sizeof(*fs.ul[k].e),
			      cmp_entry_base);
	}
	report_lists(&fs);
	report_keywords(dir, &fs);
	int c = subscribed(root, disk, false), d = subscribed(root, disk, true);
	printf("  subscribed courier: %s, dovecot: %s\n",
	       c < 0 ? "(no file)" : c ? "yes" : "no",
	       d < 0 ? "(no file)" : d ? "yes" : "no");
	if (c >= 0 && d >= 0 && c != d)
		disagree(&fs, "subscription: courier %s, dovecot %s",
			 c ? "yes" : "no", d ? "yes" : "no");
	for (int k = 0; k < L_COUNT; k++)
		maildir_uidlist_free(&fs.ul[k]);
	for (size_t i = 0; i < fs.nfiles; i++)
		free(fs.files[i]);
	free(fs.files);
	*total += fs.disagree;
}

int
main(int argc, char **argv)
{
	char path[MAILDIR_PATH_MAX];
	unsigned total = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (argc != 3 || strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "usage: maildock-migrate check MAILDIR\n");
		return 2;
	}
	if (maildir_path(path, sizeof(path), argv[2], "cur", NULL) < 0 ||
	    stat(path, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    (d = opendir(argv[2])) == NULL) {
		fprintf(stderr, "maildock-migrate: %s is not a Maildir\n",
			argv[2]);
		return 2;
	}
	check_folder(argv[2], argv[2], "", &total);
	char **subs = NULL;
	size_t n = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    maildir_path(path, sizeof(path), argv[2], de->d_name,
				 "cur") < 0 ||
		    stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		subs = xrealloc(subs, (n + 1) * sizeof(char *));
		subs[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(subs, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		maildir_path(path, sizeof(path), argv[2], subs[i], NULL);
		check_folder(argv[2], path, subs[i] + 1, &total);
		free(subs[i]);
	}
	free(subs);
	printf("%u disagreement%s\n", total, total == 1 ? "" : "s");
	return total > 0 ? 1 : 0;
}
