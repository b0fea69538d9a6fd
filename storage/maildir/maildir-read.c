/* Maildock - SPDX-License-Identifier: MIT
 *
 * Reading a message file's bytes into an arena, with the one size policy
 * every reader shares (SEARCH, SORT, THREAD, FETCH, the parsed-message
 * cache): a small file is read whole, a large one mapped, and a header
 * alone is looked for in the first part of a large file.
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-cache.h"
#include "storage/mime/mime.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/compat.h"

/* Files up to this size are read into the arena; bigger ones are mapped.
 * For the many small messages of a SEARCH, one read() costs far less than
 * mmap + page faults + munmap (and its TLB flush in a threaded process). */
#define READ_WHOLE_MAX (256u * 1024)

static int
read_upto(int fd, char *buf, size_t size, size_t *got_r)
{
	size_t got = 0;
	ssize_t n;

	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -ERR_IO;
		if (n == 0)
			break;	/* it shrank: take what is there */
		got += (size_t)n;
	}
	*got_r = got;
	return 0;
}

int
maildir_read_fd(struct arena *a, int fd, size_t prefix_max,
		const void **data_r, size_t *len_r, bool *whole_r)
{
	struct stat st;
	size_t size;
	char *buf;
	int ret;

	*whole_r = true;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -ERR_IO;
	if ((uint64_t)st.st_size > READ_WHOLE_MAX) {
		if (prefix_max == 0)
			return mime_map_fd(a, fd, data_r, len_r);
		*whole_r = false;
		size = prefix_max;
	} else
		size = (size_t)st.st_size;
	if ((buf = arena_alloc(a, size ? size : 1)) == NULL)
		return -ERR_LIMIT;
	if ((ret = read_upto(fd, buf, size, len_r)) < 0)
		return ret;
	*data_r = buf;
	return 0;
}

int
maildir_msg_read(struct store_mailbox *mb, uint32_t seq, struct arena *a,
		 size_t prefix_max, const void **data_r, size_t *len_r,
		 bool *whole_r)
{
	int fd, ret;

	if ((ret = maildir_msg_open(mb, seq, &fd)) < 0)
		return ret;
	ret = maildir_read_fd(a, fd, prefix_max, data_r, len_r, whole_r);
	close(fd);
	return ret;
}
