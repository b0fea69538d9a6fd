/* Maildock - SPDX-License-Identifier: MIT
 *
 * Small file-system helpers of the Maildir backend: paths, atomic writes
 * (temp file + fsync + rename + fsync of the directory), unique names,
 * NFS-safe lock files with a stale rule, change stamps.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "core/error.h"
#include "core/compat.h"

struct maildir_settings maildir_settings = {
	.lock_timeout = 10,
	.lock_stale = 120,
	.pop3_lock_stale = 1800,
	.fsync = true,
	.compat = MAILDIR_COMPAT_AUTO,
};

int
maildir_errno(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return -ERR_NOTFOUND;
	case EEXIST:
	case ENOTEMPTY:
		return -ERR_EXISTS;
	case EACCES:
	case EPERM:
	case EROFS:
		return -ERR_PERM;
	case ENOSPC:
		return -ERR_NOSPACE;
	case EDQUOT:
		return -ERR_QUOTA;
	case ENAMETOOLONG:
		return -ERR_LIMIT;
	case ENOMEM:
		return -ERR_NOMEM;
	default:
		return -ERR_IO;
	}
}

void
maildir_set_error(struct store_user *u, const char *what, int err)
{
	char buf[128];

	if (u == NULL)
		return;
	snprintf(u->error, sizeof(u->error), "%s: %s", what,
		 errno_str(err, buf, sizeof(buf)));
}

/* append: copy s (len bytes) at *o; false when it does not fit. */
static bool
append(char *buf, size_t size, size_t *o, const char *s, size_t len)
{
	if (len >= size - *o)
		return false;
	memcpy(buf + *o, s, len);
	*o += len;
	return true;
}

int
maildir_path(char *buf, size_t size, const char *a, const char *b,
	     const char *c)
{
	size_t o = 0;

	/* called per message by FETCH and SEARCH: no printf machinery */
	if (size == 0 || !append(buf, size, &o, a, strlen(a)) ||
	    (b != NULL && (!append(buf, size, &o, "/", 1) ||
			   !append(buf, size, &o, b, strlen(b)))) ||
	    (c != NULL && (!append(buf, size, &o, "/", 1) ||
			   !append(buf, size, &o, c, strlen(c))))) {
		if (size > 0)
			buf[0] = '\0';
		return -ERR_LIMIT;
	}
	buf[o] = '\0';
	return 0;
}

int
maildir_fsync_dir(const char *dir)
{
	int fd, r = 0;

	if (!maildir_settings.fsync)
		return 0;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return maildir_errno(errno);
	if (fsync(fd) < 0 && errno != EINVAL)
		r = maildir_errno(errno);
	close(fd);
	return r;
}

int
maildir_msg_file_open(const char *path, int *fd_r)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return errno == ELOOP ? -ERR_NOTFOUND : maildir_errno(errno);
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return maildir_errno(e);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -ERR_NOTFOUND;
	}
	*fd_r = fd;
	return 0;
}

bool
maildir_folder_is_link(const char *dir)
{
	static const char *const sub[] = { NULL, "cur", "new" };
	char path[MAILDIR_PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < N_ELEMENTS(sub); i++)
		if (maildir_path(path, sizeof(path), dir, sub[i], NULL) < 0 ||
		    (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)))
			return true;
	return false;
}

int
maildir_folder_served(const char *root, const char *dir)
{
	if (maildir_settings.follow_symlinks || strcmp(root, dir) == 0 ||
	    !maildir_folder_is_link(dir))
		return 0;
	return -ERR_NOTFOUND;
}

int
maildir_mkdir_maildir(const char *dir, bool folder)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	char path[MAILDIR_PATH_MAX];
	size_t i;
	int r, fd;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return maildir_errno(errno);
	for (i = 0; i < N_ELEMENTS(sub); i++) {
		if ((r = maildir_path(path, sizeof(path), dir, sub[i],
				      NULL)) < 0)
			return r;
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return maildir_errno(errno);
	}
	if (folder) {
		if ((r = maildir_path(path, sizeof(path), dir,
				      MAILDIR_FOLDER_MARKER, NULL)) < 0)
			return r;
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return maildir_errno(errno);
		close(fd);
	}
	return 0;
}

void
maildir_unique(char *buf, size_t size)
{
	static atomic_uint counter;
	struct timeval tv;
	char host[64];

	gettimeofday(&tv, NULL);
	if (gethostname(host, sizeof(host)) < 0)
		str_copy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	/* '/' and ':' are not allowed in a Maildir name (Maildir spec) */
	for (char *p = host; *p != '\0'; p++)
		if (*p == '/' || *p == ':' || *p == ',')
			*p = '_';
	snprintf(buf, size, "%lld.M%06ldP%ldQ%u.%s", (long long)tv.tv_sec,
		 (long)tv.tv_usec, (long)getpid(),
		 atomic_fetch_add(&counter, 1) + 1, host);
}

int
maildir_write_atomic(const char *dir, const char *name, const char *data,
		     size_t len)
{
	char tmp[MAILDIR_PATH_MAX], dst[MAILDIR_PATH_MAX], uniq[128];
	int fd, r = 0;

	maildir_unique(uniq, sizeof(uniq));
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%s", dir, name, uniq) >=
	    (int)sizeof(tmp) || maildir_path(dst, sizeof(dst), dir, name,
					     NULL) < 0)
		return -ERR_LIMIT;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return maildir_errno(errno);
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = maildir_errno(errno);
			break;
		}
		data += w;
		len -= (size_t)w;
	}
	if (r == 0 && maildir_settings.fsync && fsync(fd) < 0)
		r = maildir_errno(errno);
	if (close(fd) < 0 && r == 0)
		r = maildir_errno(errno);
	if (r == 0 && rename(tmp, dst) < 0)
		r = maildir_errno(errno);
	if (r < 0)
		unlink(tmp);
	else
		r = maildir_fsync_dir(dir);
	return r;
}

int
maildir_read_file(const char *path, char **data_r, size_t *len_r,
		  size_t max)
{
	struct stat st;
	char *p;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return maildir_errno(errno);
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size > max) {
		int e = errno;
		close(fd);
		return e != 0 ? maildir_errno(e) : -ERR_LIMIT;
	}
	p = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, p + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	p[got] = '\0';
	*data_r = p;
	*len_r = got;
	return 0;
}

/* lock_stale: the lock file at path is old, names a dead local pid, or
 * has no readable owner and is a few seconds old (a writer of an older
 * version killed between create and write). */
static bool
lock_stale(const char *path, unsigned stale)
{
	struct stat st;
	char buf[128], host[64], *data;
	size_t len;
	long pid;

	if (stat(path, &st) < 0)
		return false;
	time_t age = time(NULL) - st.st_mtime;
	if (age > (time_t)stale)
		return true;
	if (maildir_read_file(path, &data, &len, 256) < 0)
		return false;
	bool dead = false;
	/* "pid host" (ours) or "pid:host" (Courier's and Dovecot's) */
	if (sscanf(data, "%ld%*1[ :]%63s", &pid, buf) != 2)
		dead = age > 5;
	else if (gethostname(host, sizeof(host)) == 0 &&
		 strncmp(buf, host, sizeof(host)) == 0 && pid > 0 &&
		 kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		dead = true;
	free(data);
	return dead;
}

/* lock_link: create path as a hard link to tmp (which already holds the
 * owner), so the lock file never exists without its contents; NFS-safe
 * (a lost reply to a successful link shows in the link count). */
static int
lock_link(const char *tmp, const char *path)
{
	struct stat st;

	if (link(tmp, path) == 0)
		return 0;
	int e = errno;
	if (stat(tmp, &st) == 0 && st.st_nlink == 2)
		return 0;
	return e == EEXIST ? 1 : maildir_errno(e);
}

static int
lock_take(const char *path, unsigned timeout, unsigned stale, char sep)
{
	struct timespec start, now, pause = { 0, 5 * 1000 * 1000 };
	char buf[128], host[64], tmp[MAILDIR_PATH_MAX + 128], uniq[128];
	int r;

	if (gethostname(host, sizeof(host)) < 0)
		str_copy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	maildir_unique(uniq, sizeof(uniq));
	/* the owner file is made in the folder's tmp/ (cleaned after 36 h if
	 * a crash leaves it), else next to the lock */
	const char *slash = strrchr(path, '/');
	int dl = slash != NULL ? (int)(slash - path) : 0;
	if (snprintf(tmp, sizeof(tmp), "%.*s/tmp/lock.%s", dl, path, uniq) >=
	    (int)sizeof(tmp))
		return -ERR_LIMIT;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT) {
		if (snprintf(tmp, sizeof(tmp), "%s.%s", path, uniq) >=
		    (int)sizeof(tmp))
			return -ERR_LIMIT;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return maildir_errno(errno);
	int n = sep == ' ' ?
		snprintf(buf, sizeof(buf), "%ld %s\n", (long)getpid(), host) :
		snprintf(buf, sizeof(buf), "%ld%c%s", (long)getpid(), sep, host);
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		unlink(tmp);
		return -ERR_IO;
	}
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if ((r = lock_link(tmp, path)) <= 0)
			break;
		if (lock_stale(path, stale)) {
			unlink(path);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)timeout) {
			r = -ERR_TIMEOUT;
			break;
		}
		nanosleep(&pause, NULL);
	}
	unlink(tmp);
	return r;
}

int
maildir_lockfile_take(const char *path, unsigned timeout, unsigned stale)
{
	return lock_take(path, timeout, stale, ' ');
}

int
maildir_dotlock_take(const char *path, unsigned timeout, unsigned stale)
{
	return lock_take(path, timeout, stale, ':');
}

void
maildir_lockfile_release(const char *path)
{
	unlink(path);
}

void
maildir_stamp_get(const char *path, struct maildir_stamp *st)
{
	struct stat s;

	memset(st, 0, sizeof(*st));
	if (stat(path, &s) < 0)
		return;
	st->dev = s.st_dev;
	st->ino = s.st_ino;
	st->size = s.st_size;
	st->mtime = s.st_mtim;
}

bool
maildir_stamp_eq(const struct maildir_stamp *a, const struct maildir_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

uint32_t
maildir_uidvalidity_new(const char *root)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	char path[MAILDIR_PATH_MAX], *data, text[32];
	uint32_t v = (uint32_t)time(NULL), last = 0;
	size_t len;

	/* never hand out one value twice in a Maildir, even for a folder
	 * deleted and created again within a second (RFC 3501 2.3.1.1) */
	pthread_mutex_lock(&lock);
	if (maildir_path(path, sizeof(path), root, "maildock-uidvalidity",
			 NULL) == 0 &&
	    maildir_read_file(path, &data, &len, 64) == 0) {
		last = (uint32_t)strtoul(data, NULL, 16);
		free(data);
	}
	if (v <= last)
		v = last + 1;
	if (v == 0)
		v = 1;
	int n = snprintf(text, sizeof(text), "%08x\n", v);
	maildir_write_atomic(root, "maildock-uidvalidity", text, (size_t)n);
	pthread_mutex_unlock(&lock);
	return v;
}
