/* Maildock - SPDX-License-Identifier: MIT
 *
 * Special-use attributes of a folder (RFC 6154 section 3): the file
 * "maildock-specialuse" in the folder's directory (storage/store-specialuse.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-tree.h"
#include "storage/store-specialuse.h"
#include "core/error.h"
#include "core/compat.h"

#define MU(u) ((struct maildir_user *)(u))
#define SU_FILE "maildock-specialuse"

/* folder_dir: the directory of folder name (never INBOX) */
static int
folder_dir(struct store_user *u, const char *name, char *dir, size_t size)
{
	if (maildir_name_check(name) < 0 || maildir_name_is_inbox(name))
		return -ERR_INVAL;
	return maildir_name_to_dir(MU(u)->root, name, dir, size);
}

int
maildir_specialuse_get(struct store_user *u, const char *name, char *buf,
		       size_t size)
{
	char dir[MAILDIR_PATH_MAX], path[MAILDIR_PATH_MAX];
	char *data, *line, *next;
	size_t len, out = 0;
	int r;

	if (size == 0)
		return -ERR_LIMIT;
	buf[0] = '\0';
	if (folder_dir(u, name, dir, sizeof(dir)) < 0 ||
	    maildir_path(path, sizeof(path), dir, SU_FILE, NULL) < 0)
		return 0;
	r = maildir_read_file(path, &data, &len, STORE_SPECIALUSE_MAX);
	if (r == -ERR_NOTFOUND || r == -ERR_LIMIT)
		return 0;	/* none, or not ours (damaged): ignored */
	if (r < 0)
		return r;
	for (line = data; *line != '\0'; line = next) {
		size_t n = strcspn(line, "\n");
		next = line + n + (line[n] != '\0');
		line[n] = '\0';
		if (n == 0 || line[strcspn(line, " \t\r")] != '\0')
			continue;
		if (out + (out > 0) + n + 1 > size) {
			free(data);
			return -ERR_LIMIT;
		}
		if (out > 0)
			buf[out++] = ' ';
		memcpy(buf + out, line, n + 1);
		out += n;
	}
	free(data);
	return 0;
}

int
maildir_specialuse_set(struct store_user *u, const char *name,
		       const char *uses)
{
	char dir[MAILDIR_PATH_MAX], path[MAILDIR_PATH_MAX];
	char text[STORE_SPECIALUSE_MAX + 2];
	struct stat st;
	size_t len = strlen(uses);
	int r;

	if (len > STORE_SPECIALUSE_MAX)
		return -ERR_INVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)uses[i] < ' ' || uses[i] == 0x7f)
			return -ERR_INVAL;
	if ((r = folder_dir(u, name, dir, sizeof(dir))) < 0)
		return r;
	if (stat(dir, &st) < 0)
		return errno == ENOENT ? -ERR_NOTFOUND : maildir_errno(errno);
	if (len == 0) {
		if (maildir_path(path, sizeof(path), dir, SU_FILE, NULL) < 0)
			return -ERR_LIMIT;
		if (unlink(path) < 0 && errno != ENOENT)
			return maildir_errno(errno);
		return 0;
	}
	/* one attribute per line */
	for (size_t i = 0; i < len; i++)
		text[i] = uses[i] == ' ' ? '\n' : uses[i];
	text[len++] = '\n';
	return maildir_write_atomic(dir, SU_FILE, text, len);
}
