/* Maildock - SPDX-License-Identifier: MIT
 *
 * Folder names: validation of UTF-8 names before they reach the file
 * system, and the mapping to Maildir++ directories (".A.B" in modified
 * UTF-7, as Courier-IMAP stores them).
 */
#include <strings.h>
#include "storage/maildir/maildir.h"
#include "core/error.h"
#include "core/compat.h"

bool
maildir_name_is_inbox(const char *name)
{
	return strcasecmp(name, "INBOX") == 0;
}

int
maildir_name_check(const char *name)
{
	size_t len = strlen(name), i;
	char tmp[STORE_NAME_MAXLEN * 3];

	if (len == 0 || len > STORE_NAME_MAXLEN)
		return -ERR_INVAL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
			return -ERR_INVAL;
		/* empty component: leading/trailing '.', "..", ".x" */
		if (c == '.' && (i == 0 || i == len - 1 || name[i + 1] == '.'))
			return -ERR_INVAL;
	}
	/* valid UTF-8 (the encoder checks it) and a file-name-sized result */
	int r = store_mutf7_encode(name, len, tmp, sizeof(tmp));
	if (r < 0 || r > 250)
		return -ERR_INVAL;
	return 0;
}

/* encode: the on-disk spelling of name: modified UTF-7 (Courier-IMAP 4,
 * Dovecot) or UTF-8 as is (Courier-IMAP 5). */
static int
encode(const char *name, bool utf8, char *out, size_t size)
{
	size_t len = strlen(name);

	if (utf8) {
		if (len + 1 > size)
			return -ERR_LIMIT;
		memcpy(out, name, len + 1);
		return (int)len;
	}
	return store_mutf7_encode(name, len, out, size);
}

int
maildir_name_encode(const char *name, char *out, size_t size)
{
	return encode(name, maildir_settings.utf8_names, out, size);
}

int
maildir_name_to_dir(const char *root, const char *name, char *buf,
		    size_t size)
{
	char enc[512];
	struct stat st;
	int r;

	if (maildir_name_is_inbox(name))
		return maildir_path(buf, size, root, NULL, NULL);
	if ((r = maildir_name_check(name)) < 0)
		return r;
	enc[0] = '.';
	if (encode(name, maildir_settings.utf8_names, enc + 1,
		   sizeof(enc) - 1) < 0)
		return -ERR_INVAL;
	if ((r = maildir_path(buf, size, root, enc, NULL)) < 0)
		return r;
	if (stat(buf, &st) == 0)
		return 0;
	/* a folder the other spelling made (Courier 4 vs 5) is the same */
	char alt[512], altpath[MAILDIR_PATH_MAX];
	alt[0] = '.';
	if (encode(name, !maildir_settings.utf8_names, alt + 1,
		   sizeof(alt) - 1) >= 0 && strcmp(alt, enc) != 0 &&
	    maildir_path(altpath, sizeof(altpath), root, alt, NULL) == 0 &&
	    stat(altpath, &st) == 0)
		return maildir_path(buf, size, root, alt, NULL);
	return 0;
}

int
maildir_name_decode(const char *disk, char *buf, size_t size)
{
	size_t len = strlen(disk);
	bool eight = false;

	for (size_t i = 0; i < len; i++)
		eight |= (unsigned char)disk[i] >= 0x80;
	/* 8-bit: Courier-IMAP 5's UTF-8; else modified UTF-7, and a name
	 * that is not valid modified UTF-7 (a bare '&') is taken as is */
	if (eight || store_mutf7_decode(disk, len, buf, size) < 0) {
		if (len + 1 > size)
			return -ERR_LIMIT;
		memcpy(buf, disk, len + 1);
	}
	return maildir_name_check(buf) < 0 ? -ERR_INVAL : 0;
}

int
maildir_name_from_disk(const char *dirent, char *buf, size_t size)
{
	if (dirent[0] != '.' || dirent[1] == '\0' || dirent[1] == '.')
		return -ERR_INVAL;
	if (maildir_name_decode(dirent + 1, buf, size) < 0 ||
	    maildir_name_is_inbox(buf))
		return -ERR_INVAL;
	return 0;
}
