/* Maildock - SPDX-License-Identifier: MIT
 *
 * Maildir++ quota: the file "maildirsize" at the Maildir's top holds the
 * rule ("<bytes>S,<count>C") on its first line, then "<bytes> <count>"
 * lines that add up to the usage. Deliveries append a line; the file is
 * recalculated from the folders when missing, larger than 5120 bytes, or
 * older than 15 minutes while over quota (as in the Maildir++ spec).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-quota.h"
#include "core/error.h"
#include "core/compat.h"

#define QUOTA_FILE_MAX 5120

int
maildir_quota_parse_rule(const char *rule, uint64_t *bytes, uint64_t *msgs)
{
	const char *p = rule;
	char *end;

	*bytes = *msgs = 0;
	while (*p != '\0') {
		unsigned long long v = strtoull(p, &end, 10);
		if (end == p)
			return -ERR_INVAL;
		if (*end == 'S')
			*bytes = v;
		else if (*end == 'C')
			*msgs = v;
		else
			return -ERR_INVAL;
		p = end + 1;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return -ERR_INVAL;
	}
	return 0;
}

static void
sum_dir(const char *dir, uint64_t *bytes, uint64_t *msgs)
{
	char path[MAILDIR_PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		uint64_t size;
		if (!maildir_filename_ok(de->d_name))
			continue;
		if (!maildir_size_parse(de->d_name, 'S', &size)) {
			struct stat st;
			if (maildir_path(path, sizeof(path), dir, de->d_name,
					 NULL) < 0 || lstat(path, &st) < 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			size = (uint64_t)st.st_size;
		}
		*bytes += size;
		(*msgs)++;
	}
	if (d != NULL)
		closedir(d);
}

void
maildir_quota_folder_usage(const char *dir, uint64_t *bytes, uint64_t *msgs)
{
	char path[MAILDIR_PATH_MAX];

	if (maildir_path(path, sizeof(path), dir, "cur", NULL) == 0)
		sum_dir(path, bytes, msgs);
	if (maildir_path(path, sizeof(path), dir, "new", NULL) == 0)
		sum_dir(path, bytes, msgs);
}

static int
recalc(const char *root, const char *rule, uint64_t *bytes, uint64_t *msgs)
{
	char path[MAILDIR_PATH_MAX], text[256];
	struct dirent *de;
	DIR *d;

	*bytes = *msgs = 0;
	maildir_quota_folder_usage(root, bytes, msgs);
	if ((d = opendir(root)) == NULL)
		return maildir_errno(errno);
	while ((de = readdir(d)) != NULL) {
		/* every folder counts, Trash too: APPEND and COPY add to it
		 * like to any other folder, so a recount must agree */
		if (de->d_name[0] != '.' || de->d_name[1] == '\0' ||
		    de->d_name[1] == '.' ||
		    maildir_path(path, sizeof(path), root, de->d_name,
				 NULL) < 0)
			continue;
		maildir_quota_folder_usage(path, bytes, msgs);
	}
	closedir(d);
	int n = snprintf(text, sizeof(text), "%s\n%llu %llu\n", rule,
			 (unsigned long long)*bytes,
			 (unsigned long long)*msgs);
	return maildir_write_atomic(root, MAILDIR_QUOTA_FILE, text,
				    (size_t)n);
}

/* quota_read: rule text, limits and usage; recalculates when needed.
 * Returns 0 (no quota: limits 0) or -ERR_IO. */
static int
quota_read(const char *root, uint64_t *bl, uint64_t *ml, uint64_t *bu,
	   uint64_t *mu)
{
	char path[MAILDIR_PATH_MAX], *data, *line, *save = NULL;
	char rule[128];
	struct stat st;
	size_t len;
	int r;

	*bl = *ml = *bu = *mu = 0;
	maildir_path(path, sizeof(path), root, MAILDIR_QUOTA_FILE, NULL);
	if ((r = maildir_read_file(path, &data, &len, 1024 * 1024)) < 0)
		return r == -ERR_NOTFOUND ? 0 : r;
	line = strtok_r(data, "\n", &save);
	if (line == NULL || maildir_quota_parse_rule(line, bl, ml) < 0) {
		free(data);
		return 0;
	}
	str_copy(rule, line, sizeof(rule));
	int64_t b = 0, m = 0;
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		long long x, y;
		if (sscanf(line, "%lld %lld", &x, &y) == 2) {
			b += x;
			m += y;
		}
	}
	free(data);
	bool over = (*bl != 0 && b > (int64_t)*bl) ||
		    (*ml != 0 && m > (int64_t)*ml);
	if (len > QUOTA_FILE_MAX || b < 0 || m < 0 ||
	    (over && stat(path, &st) == 0 && time(NULL) - st.st_mtime > 900))
		return recalc(root, rule, bu, mu);
	*bu = (uint64_t)b;
	*mu = (uint64_t)m;
	return 0;
}

int
maildir_quota_set_rule(const char *root, const char *rule)
{
	uint64_t b, m, bu, mu;
	char path[MAILDIR_PATH_MAX], *data;
	size_t len;

	if (rule == NULL || rule[0] == '\0')
		return 0;
	if (maildir_quota_parse_rule(rule, &b, &m) < 0)
		return -ERR_INVAL;
	maildir_path(path, sizeof(path), root, MAILDIR_QUOTA_FILE, NULL);
	if (maildir_read_file(path, &data, &len, 1024 * 1024) == 0) {
		size_t rl = strlen(rule);
		bool same = len > rl && memcmp(data, rule, rl) == 0 &&
			    data[rl] == '\n';
		free(data);
		if (same)
			return 0;
	}
	return recalc(root, rule, &bu, &mu);
}

int
maildir_quota_check(const char *root, uint64_t bytes, uint64_t msgs)
{
	uint64_t bl, ml, bu, mu;
	int r = quota_read(root, &bl, &ml, &bu, &mu);

	if (r < 0)
		return r;
	if ((bl != 0 && bu + bytes > bl) || (ml != 0 && mu + msgs > ml))
		return -ERR_QUOTA;
	return 0;
}

void
maildir_quota_add(const char *root, int64_t bytes, int64_t msgs)
{
	char path[MAILDIR_PATH_MAX], line[64];
	int fd, n;

	maildir_path(path, sizeof(path), root, MAILDIR_QUOTA_FILE, NULL);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return;		/* no quota file: no quota */
	n = snprintf(line, sizeof(line), "%lld %lld\n", (long long)bytes,
		     (long long)msgs);
	if (write(fd, line, (size_t)n) != n) {
		/* a lost line is corrected by the next recalculation */
	}
	close(fd);
}

int
maildir_quota_recalc(struct store_user *u)
{
	struct maildir_user *mu = (struct maildir_user *)u;
	char path[MAILDIR_PATH_MAX], rule[128], *data;
	uint64_t bl, ml, bu, m;
	size_t len;
	int r;

	maildir_path(path, sizeof(path), mu->root, MAILDIR_QUOTA_FILE, NULL);
	if ((r = maildir_read_file(path, &data, &len, 1024 * 1024)) < 0)
		return r == -ERR_NOTFOUND ? 0 : r;	/* no quota */
	size_t rl = strcspn(data, "\n");
	str_copy(rule, data, rl + 1 < sizeof(rule) ? rl + 1 : sizeof(rule));
	free(data);
	if (maildir_quota_parse_rule(rule, &bl, &ml) < 0)
		return 0;	/* not a rule: no quota, as quota_read says */
	return recalc(mu->root, rule, &bu, &m);
}

int
maildir_quota_get(struct store_user *u, uint64_t *bytes_used,
		  uint64_t *bytes_limit, uint64_t *msgs_used,
		  uint64_t *msgs_limit)
{
	struct maildir_user *mu = (struct maildir_user *)u;
	uint64_t bl, ml, bu, m;
	int r = quota_read(mu->root, &bl, &ml, &bu, &m);

	if (r < 0)
		return r;
	if (bytes_used != NULL)
		*bytes_used = bu;
	if (bytes_limit != NULL)
		*bytes_limit = bl;
	if (msgs_used != NULL)
		*msgs_used = m;
	if (msgs_limit != NULL)
		*msgs_limit = ml;
	return 0;
}
