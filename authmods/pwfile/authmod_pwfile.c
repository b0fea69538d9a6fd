/* Maildock - SPDX-License-Identifier: MIT
 *
 * pwfile: virtual users from Dovecot-style passwd-files. auth.pwfile.path
 * lists one or more files, tried in order; each may hold %d (domain), %n
 * (local part) or %u (user), giving one file per domain.
 * Each file is parsed once and kept; a stat() per lookup notices a changed
 * file (inode, size or mtime) and re-reads it without a restart. If the
 * new version cannot be read the old one stays in use.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "authmods/authmod.h"
#include "authmods/pwfile/pwfile-parse.h"

#define PWFILE_PATH_MAX 4096
#define PWFILE_FILES_MAX 4096
#define PWFILE_TEMPLATES_MAX 8
#ifdef SYSCONFDIR
#define PWFILE_DEFAULT_PATH SYSCONFDIR "/maildock/users"
#else
#define PWFILE_DEFAULT_PATH "/etc/maildock/users"
#endif

struct pwfile_file {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct pwfile_db db;
	struct pwfile_file *next;
};

struct pwfile_state {
	const struct authmod_host *host;
	char *paths[PWFILE_TEMPLATES_MAX];	/* templates, tried in order */
	unsigned npaths;
	pthread_rwlock_t lock;
	struct pwfile_file *files;
	unsigned nfiles;
};

static const char *const pwfile_keys[] = { "path", NULL };

static void plog(void *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
plog(void *ctx, int level, const char *fmt, ...)
{
	const struct authmod_host *host = ctx;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	host->log(level, "%s", line);
}

/* Expand the path template; -1 when the user name cannot fill it safely. */
static int
expand_path(const char *tmpl, const char *user, char *out, size_t size)
{
	const char *at = strrchr(user, '@');
	size_t o = 0;

	for (const char *p = tmpl; *p; p++) {
		const char *v = NULL;
		size_t vlen = 0;
		if (*p != '%' || p[1] == '\0') {
			v = p;
			vlen = 1;
		} else {
			p++;
			if (*p == 'u') {
				v = user;
				vlen = strlen(user);
			} else if (*p == 'n') {
				v = user;
				vlen = at ? (size_t)(at - user) : strlen(user);
			} else if (*p == 'd') {
				if (at == NULL)
					return -1;
				v = at + 1;
				vlen = strlen(v);
			} else {
				v = p;	/* "%%" and unknown: literal */
				vlen = 1;
			}
			if (*p != '%' && (vlen == 0 || v[0] == '.' ||
					  memchr(v, '/', vlen) != NULL))
				return -1;
		}
		if (vlen >= size - o)
			return -1;
		memcpy(out + o, v, vlen);
		o += vlen;
	}
	out[o] = '\0';
	return 0;
}

static bool
same_file(const struct pwfile_file *f, const struct stat *st)
{
	return f->dev == st->st_dev && f->ino == st->st_ino &&
	       f->size == st->st_size &&
	       f->mtime.tv_sec == st->st_mtim.tv_sec &&
	       f->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static int
reload(struct pwfile_state *s, struct pwfile_file *f, const struct stat *st)
{
	struct pwfile_db db;
	FILE *fp = fopen(f->path, "re");
	if (fp == NULL) {
		s->host->log(AUTHMOD_LOG_ERROR, "%s: cannot open: %s",
			     f->path, strerror(errno));
		return -1;
	}
	int r = pwfile_parse(fp, f->path, &db, plog, (void *)s->host);
	fclose(fp);
	if (r < 0) {
		s->host->log(AUTHMOD_LOG_ERROR, "%s: read error", f->path);
		return -1;
	}
	pwfile_db_free(&f->db);
	f->db = db;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = st->st_size;
	f->mtime = st->st_mtim;
	s->host->log(AUTHMOD_LOG_INFO, "%s: %zu users, %u lines skipped",
		     f->path, db.count, db.malformed);
	return 0;
}

static struct pwfile_file *
file_get(struct pwfile_state *s, const char *path)
{
	for (struct pwfile_file *f = s->files; f; f = f->next)
		if (strcmp(f->path, path) == 0)
			return f;
	if (s->nfiles >= PWFILE_FILES_MAX)
		return NULL;
	struct pwfile_file *f = calloc(1, sizeof(*f));
	if (f == NULL || (f->path = strdup(path)) == NULL) {
		free(f);
		return NULL;
	}
	f->next = s->files;
	s->files = f;
	s->nfiles++;
	return f;
}

/* Make sure the db of path is current: under the read lock when it is
 * (the common case), re-read under the write lock when it changed.
 * Returns with the read lock held and *f_r set, or an AUTHMOD_ error
 * without the lock. */
static int
file_current(struct pwfile_state *s, const char *path, const struct stat *st,
	     struct pwfile_file **f_r)
{
	struct pwfile_file *f;

	pthread_rwlock_rdlock(&s->lock);
	for (f = s->files; f != NULL; f = f->next)
		if (strcmp(f->path, path) == 0 && same_file(f, st))
			break;
	if (f != NULL) {
		*f_r = f;
		return AUTHMOD_OK;
	}
	pthread_rwlock_unlock(&s->lock);
	pthread_rwlock_wrlock(&s->lock);
	f = file_get(s, path);
	if (f != NULL && !same_file(f, st) && reload(s, f, st) < 0 &&
	    f->db.entries == NULL)
		f = NULL;
	pthread_rwlock_unlock(&s->lock);
	if (f == NULL)
		return AUTHMOD_TEMPFAIL;
	/* another thread may reload in between: it only swaps f->db, which
	 * is read under the read lock below */
	pthread_rwlock_rdlock(&s->lock);
	*f_r = f;
	return AUTHMOD_OK;
}

/* Find user and copy it into u. The slow password hash runs outside the
 * lock on a copy of the stored hash. */
static int
find_in(struct pwfile_state *s, const char *tmpl, const char *user,
	const char *password, struct authmod_user *u)
{
	char path[PWFILE_PATH_MAX];
	char *stored = NULL;
	struct pwfile_file *f;
	struct stat st;
	unsigned lineno = 0;
	int ret;

	if (expand_path(tmpl, user, path, sizeof(path)) < 0)
		return AUTHMOD_NOUSER;
	if (stat(path, &st) < 0) {
		/* a per-domain file that does not exist: not our user */
		if (errno == ENOENT && strchr(tmpl, '%') != NULL)
			return AUTHMOD_NOUSER;
		s->host->log(AUTHMOD_LOG_ERROR, "%s: %s", path,
			     strerror(errno));
		return AUTHMOD_TEMPFAIL;
	}
	ret = file_current(s, path, &st, &f);
	if (ret != AUTHMOD_OK)
		return ret;
	const struct pwfile_entry *e = pwfile_find(&f->db, user);
	if (e == NULL)
		ret = AUTHMOD_NOUSER;
	else if (e->nologin)
		ret = AUTHMOD_DISABLED;
	else if (pwfile_fill(e, u) < 0)
		ret = AUTHMOD_ERROR;
	else if (password != NULL && (stored = strdup(e->password)) == NULL)
		ret = AUTHMOD_ERROR;
	if (e != NULL)
		lineno = e->lineno;
	pthread_rwlock_unlock(&s->lock);
	if (ret != AUTHMOD_OK || password == NULL)
		return ret;
	ret = s->host->password_verify(password, stored);
	if (ret == AUTHMOD_ERROR)
		s->host->log(AUTHMOD_LOG_ERROR, "%s:%u: unknown password "
			     "scheme or malformed hash", path, lineno);
	explicit_bzero(stored, strlen(stored));
	free(stored);
	return ret;
}

/* each file in turn: a user not in one may be in the next; a file that
 * cannot be read makes "not found" a temporary failure */
static int
find_user(struct pwfile_state *s, const char *user, const char *password,
	  struct authmod_user *u)
{
	bool tempfail = false;
	for (unsigned i = 0; i < s->npaths; i++) {
		int r = find_in(s, s->paths[i], user, password, u);
		if (r == AUTHMOD_TEMPFAIL)
			tempfail = true;
		else if (r != AUTHMOD_NOUSER)
			return r;
	}
	return tempfail ? AUTHMOD_TEMPFAIL : AUTHMOD_NOUSER;
}

static int
split_paths(struct pwfile_state *s, const char *list, const char **error_r)
{
	for (const char *p = list + strspn(list, " \t"); *p != '\0';) {
		size_t n = strcspn(p, " \t");
		if (s->npaths == PWFILE_TEMPLATES_MAX) {
			*error_r = "auth.pwfile.path: at most 8 files";
			return -1;
		}
		if (n >= PWFILE_PATH_MAX / 2 || p[0] != '/') {
			*error_r = "auth.pwfile.path: each file must be an "
				   "absolute path (shorter than 2048 bytes)";
			return -1;
		}
		if ((s->paths[s->npaths++] = strndup(p, n)) == NULL) {
			*error_r = "out of memory";
			return -1;
		}
		p += n;
		p += strspn(p, " \t");
	}
	if (s->npaths == 0) {
		*error_r = "auth.pwfile.path is empty";
		return -1;
	}
	return 0;
}

static void pwfile_deinit(void *state);

static int
pwfile_init(const struct authmod_host *host, const void *conf,
	    void **state_r, const char **error_r)
{
	const char *path = host->setting(conf, "path");
	if (path == NULL)
		path = PWFILE_DEFAULT_PATH;
	struct pwfile_state *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	s->host = host;
	pthread_rwlock_init(&s->lock, NULL);
	if (split_paths(s, path, error_r) < 0) {
		pwfile_deinit(s);
		return -1;
	}
	*state_r = s;
	return 0;
}

static int
pwfile_verify(void *state, const char *user, const char *password,
	      struct authmod_user *u_r)
{
	return find_user(state, user, password, u_r);
}

static int
pwfile_lookup(void *state, const char *user, struct authmod_user *u_r)
{
	return find_user(state, user, NULL, u_r);
}

static void
pwfile_deinit(void *state)
{
	struct pwfile_state *s = state;
	struct pwfile_file *f, *next;

	for (f = s->files; f != NULL; f = next) {
		next = f->next;
		pwfile_db_free(&f->db);
		free(f->path);
		free(f);
	}
	pthread_rwlock_destroy(&s->lock);
	for (unsigned i = 0; i < s->npaths; i++)
		free(s->paths[i]);
	free(s);
}

AUTHMOD_EXPORT const struct authmod AUTHMOD_ENTRY = {
	.abi = AUTHMOD_ABI,
	.struct_size = sizeof(struct authmod),
	.name = "pwfile",
	.flags = AUTHMOD_THREADSAFE,
	.keys = pwfile_keys,
	.init = pwfile_init,
	.verify = pwfile_verify,
	.lookup = pwfile_lookup,
	.deinit = pwfile_deinit,
};
