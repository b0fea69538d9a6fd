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

int
maildir_name_to_dir(const char *root, const char *name, char *buf,
		    size_t size)
{
	char enc[256];
	int r;

	if (maildir_name_is_inbox(name))
		return maildir_path(buf, size, root, NULL, NULL);
	if ((r = maildir_name_check(name)) < 0)
		return r;
	r = store_mutf7_encode(name, strlen(name), enc + 1, sizeof(enc) - 1);
	if (r < 0)
		return -ERR_INVAL;
	enc[0] = '.';
	return maildir_path(buf, size, root, enc, NULL);
}

int
maildir_name_from_disk(const char *dirent, char *buf, size_t size)
{
	int r;

	if (dirent[0] != '.' || dirent[1] == '\0' || dirent[1] == '.')
		return -ERR_INVAL;
	r = store_mutf7_decode(dirent + 1, strlen(dirent + 1), buf, size);
	if (r < 0)
		return r;
	if (maildir_name_check(buf) < 0 || maildir_name_is_inbox(buf))
		return -ERR_INVAL;
	return 0;
}
