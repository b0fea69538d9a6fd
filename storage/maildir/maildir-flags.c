/* Maildock - SPDX-License-Identifier: MIT
 *
 * Maildir file names: the base name (up to ':'), the ":2,<letters>" info
 * holding the flags (D F P R S T, kept sorted; other letters such as
 * Dovecot's keyword letters a-z are preserved), and the ",S=" / ",W="
 * size fields.
 */
#include "storage/maildir/maildir.h"
#include "core/error.h"
#include "core/compat.h"

static const struct {
	char letter;
	unsigned flag;
} letters[] = {
	{ 'D', STORE_FLAG_DRAFT },
	{ 'F', STORE_FLAG_FLAGGED },
	{ 'R', STORE_FLAG_ANSWERED },
	{ 'S', STORE_FLAG_SEEN },
	{ 'T', STORE_FLAG_DELETED },
};

size_t
maildir_base_len(const char *filename)
{
	const char *p = strchr(filename, ':');

	return p != NULL ? (size_t)(p - filename) : strlen(filename);
}

static const char *
info_flags(const char *filename)
{
	const char *p = strchr(filename, ':');

	if (p == NULL || p[1] != '2' || p[2] != ',')
		return NULL;
	return p + 3;
}

unsigned
maildir_flags_parse(const char *filename)
{
	const char *p = info_flags(filename);
	unsigned flags = 0;
	size_t i;

	if (p == NULL)
		return 0;
	/* Dovecot may append ",extra" after the letters */
	for (; *p != '\0' && *p != ','; p++)
		for (i = 0; i < N_ELEMENTS(letters); i++)
			if (*p == letters[i].letter)
				flags |= letters[i].flag;
	return flags;
}

bool
maildir_size_parse(const char *filename, char key, uint64_t *r)
{
	size_t blen = maildir_base_len(filename), i;

	for (i = 0; i + 3 < blen; i++) {
		if (filename[i] != ',' || filename[i + 1] != key ||
		    filename[i + 2] != '=')
			continue;
		uint64_t v = 0;
		size_t k = i + 3, digits = 0;
		for (; k < blen && filename[k] >= '0' && filename[k] <= '9';
		     k++, digits++) {
			if (v > (UINT64_MAX - 9) / 10)
				return false;
			v = v * 10 + (uint64_t)(filename[k] - '0');
		}
		if (digits > 0 && (k == blen || filename[k] == ',')) {
			*r = v;
			return true;
		}
	}
	return false;
}

static bool
managed(char c)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(letters); i++)
		if (letters[i].letter == c)
			return true;
	return false;
}

int
maildir_flags_name(const char *filename, unsigned flags, char *buf,
		   size_t size)
{
	size_t blen = maildir_base_len(filename), n = 0, i, j;
	const char *old = info_flags(filename), *extra = "";
	char set[64];

	if (old != NULL) {
		for (; *old != '\0' && *old != ','; old++)
			if (!managed(*old) && n < sizeof(set) - 8 &&
			    memchr(set, *old, n) == NULL)
				set[n++] = *old;
		extra = old;
	}
	for (i = 0; i < N_ELEMENTS(letters); i++)
		if ((flags & letters[i].flag) != 0)
			set[n++] = letters[i].letter;
	for (i = 1; i < n; i++)		/* insertion sort: ASCII order */
		for (j = i; j > 0 && set[j - 1] > set[j]; j--) {
			char t = set[j];
			set[j] = set[j - 1];
			set[j - 1] = t;
		}
	int r = snprintf(buf, size, "%.*s:2,%.*s%s", (int)blen, filename,
			 (int)n, set, extra);
	if (r < 0 || (size_t)r >= size)
		return -ERR_LIMIT;
	return 0;
}

bool
maildir_filename_ok(const char *filename)
{
	size_t len = strlen(filename);

	return filename[0] != '.' && len > 0 && len < 256 &&
	       strchr(filename, '/') == NULL &&
	       strchr(filename, '\n') == NULL && strchr(filename, ' ') == NULL;
}
