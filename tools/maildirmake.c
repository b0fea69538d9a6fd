/* Maildock - SPDX-License-Identifier: MIT
 *
 * maildirmake: create a Maildir, a Maildir++ folder in one (-f), or set a
 * Maildir++ quota (-q), with the option names of Courier's maildirmake.
 * Folder names are UTF-8 and stored in modified UTF-7 as Maildock and
 * Courier-IMAP expect.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-quota.h"
#include "core/error.h"
#include "core/compat.h"

static const char usage_text[] =
	"usage: maildirmake DIR\n"
	"       maildirmake -f FOLDER DIR\n"
	"       maildirmake -q QUOTA DIR    (QUOTA e.g. 10000000S,1000C)\n";

static int
fail(const char *what, const char *path, int err)
{
	char buf[128];

	fprintf(stderr, "maildirmake: %s%s%s: %s\n", what, path ? " " : "",
		path ? path : "", errno_str(err, buf, sizeof(buf)));
	return 1;
}

static bool
is_maildir(const char *dir)
{
	char path[MAILDIR_PATH_MAX];
	struct stat st;

	return maildir_path(path, sizeof(path), dir, "cur", NULL) == 0 &&
	       stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
make_maildir(const char *dir)
{
	if (mkdir(dir, 0700) < 0)
		return fail("cannot create", dir, errno);
	if (maildir_mkdir_maildir(dir, false) < 0)
		return fail("cannot create the subdirectories of", dir, errno);
	return 0;
}

static int
make_folder(const char *dir, const char *folder)
{
	char path[MAILDIR_PATH_MAX];
	int r;

	if (!is_maildir(dir)) {
		fprintf(stderr, "maildirmake: %s is not a Maildir (no cur/)\n",
			dir);
		return 1;
	}
	if (maildir_name_is_inbox(folder) || maildir_name_check(folder) < 0) {
		fprintf(stderr, "maildirmake: invalid folder name \"%s\": "
			"no '/', control characters, empty or leading-dot "
			"components\n", folder);
		return 1;
	}
	if ((r = maildir_name_to_dir(dir, folder, path, sizeof(path))) < 0) {
		fprintf(stderr, "maildirmake: folder name too long\n");
		return 1;
	}
	if (mkdir(path, 0700) < 0)
		return fail("cannot create folder", path, errno);
	if (maildir_mkdir_maildir(path, true) < 0)
		return fail("cannot create the subdirectories of", path,
			    errno);
	return 0;
}

static int
set_quota(const char *dir, const char *rule)
{
	uint64_t b, m;
	int r;

	if (maildir_quota_parse_rule(rule, &b, &m) < 0 || rule[0] == '\0') {
		fprintf(stderr, "maildirmake: invalid quota \"%s\" (expected "
			"<bytes>S,<messages>C, e.g. 10000000S,1000C)\n", rule);
		return 1;
	}
	if (!is_maildir(dir)) {
		fprintf(stderr, "maildirmake: %s is not a Maildir (no cur/)\n",
			dir);
		return 1;
	}
	if ((r = maildir_quota_set_rule(dir, rule)) < 0) {
		fprintf(stderr, "maildirmake: cannot write %s/maildirsize: "
			"%s\n", dir, err_str(r));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *folder = NULL, *quota = NULL;
	int c;

	while ((c = getopt(argc, argv, "f:q:h")) != -1) {
		switch (c) {
		case 'f':
			folder = optarg;
			break;
		case 'q':
			quota = optarg;
			break;
		default:
			fputs(usage_text, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1 || (folder != NULL && quota != NULL)) {
		fputs(usage_text, stderr);
		return 2;
	}
	const char *dir = argv[optind];
	if (folder != NULL)
		return make_folder(dir, folder);
	if (quota != NULL)
		return set_quota(dir, quota);
	return make_maildir(dir);
}
