/* Maildock - SPDX-License-Identifier: MIT
 *
 * Change notification for IDLE: one inotify instance per process (not per
 * session: fs.inotify.max_user_instances is 128 by default), one pair of
 * watches (new/ and cur/) per watched folder, shared by every view that
 * watches it, and one small thread that reads the events and calls the
 * watchers of the folder they name. Changes made by this process reach
 * the watchers directly through maildir_folder_changed.
 */
#include <errno.h>
#include <unistd.h>
#ifdef HAVE_SYS_INOTIFY_H
#include <sys/inotify.h>
#endif
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-sync.h"
#include "core/error.h"
#include "core/log.h"
#include "core/compat.h"

#define WATCH_BUCKETS 4096	/* wd hash; chains stay short at 10^4 */
#define WATCH_THREAD_STACK (64u * 1024)

/* watch_lock orders after every f->lock (maildir_folder_changed holds one)
 * and before whatever lock the watchers' callbacks take. */
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct maildir_wd *buckets[WATCH_BUCKETS];
static int ino_fd = -1;
static pid_t ino_pid;		/* a forked child starts its own */
static uint64_t batch;		/* read() batches, to notify a folder once */

static struct maildir_wd **
bucket(int wd)
{
	return &buckets[(unsigned)wd % WATCH_BUCKETS];
}

static void
notify_locked(struct maildir_folder *f)
{
	for (struct maildir_watcher *w = f->watchers; w != NULL; w = w->next)
		w->fn(w->ctx);
}

#ifdef HAVE_SYS_INOTIFY_H
/* a delivery renames tmp/ -> new/; flag changes rename within cur/;
 * IN_DELETE_SELF/IN_MOVE_SELF: DELETE or RENAME of the folder */
#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
		    IN_DELETE_SELF | IN_MOVE_SELF)

static void
notify_wd(int wd, bool gone)
{
	struct maildir_wd **pp = bucket(wd), *e;

	while ((e = *pp) != NULL) {
		if (e->wd != wd) {
			pp = &e->next;
			continue;
		}
		if (e->f->watch_batch != batch) {
			e->f->watch_batch = batch;
			notify_locked(e->f);
		}
		if (gone) {
			/* the kernel dropped it (directory removed) */
			e->wd = -1;
			*pp = e->next;
		} else {
			pp = &e->next;
		}
	}
}

static void
notify_all_locked(void)
{
	for (size_t i = 0; i < WATCH_BUCKETS; i++)
		for (struct maildir_wd *e = buckets[i]; e != NULL; e = e->next)
			if (e->f->watch_batch != batch) {
				e->f->watch_batch = batch;
				notify_locked(e->f);
			}
}

static void *
reader(void *arg)
{
	/* one reader per process: the buffer need not be on its stack */
	static char buf[65536]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	int fd = (int)(intptr_t)arg;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			log_error("maildir", "inotify read failed; IDLE "
				  "falls back to periodic checks");
			return NULL;
		}
		pthread_mutex_lock(&watch_lock);
		batch++;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;
			if ((ev->mask & IN_Q_OVERFLOW) != 0)
				notify_all_locked();
			else
				notify_wd(ev->wd, (ev->mask & IN_IGNORED) != 0);
			p += sizeof(*ev) + ev->len;
		}
		pthread_mutex_unlock(&watch_lock);
	}
}

/* start_locked: the process's inotify instance and its reader; false when
 * inotify is unavailable (then watchers see only this process's changes) */
static bool
start_locked(void)
{
	pthread_attr_t attr;
	pthread_t t;
	char ebuf[128];
	int fd;

	if (ino_pid == getpid())
		return ino_fd >= 0;
	/* a child forked from a process that watched: its table is stale */
	memset(buckets, 0, sizeof(buckets));
	ino_pid = getpid();
	ino_fd = -1;
	if ((fd = inotify_init1(IN_CLOEXEC)) < 0) {
		log_warn("maildir", "inotify_init1: %s; IDLE sees deliveries "
			 "by other programs only at its periodic checks",
			 errno_str(errno, ebuf, sizeof(ebuf)));
		return false;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, WATCH_THREAD_STACK);
	if (pthread_create(&t, &attr, reader, (void *)(intptr_t)fd) != 0) {
		log_warn("maildir", "cannot start the inotify thread");
		close(fd);
		fd = -1;
	}
	pthread_attr_destroy(&attr);
	ino_fd = fd;
	return fd >= 0;
}

static void
add_wd(struct maildir_folder *f, struct maildir_wd *e, const char *sub)
{
	char path[MAILDIR_PATH_MAX], ebuf[128];

	e->f = f;
	e->wd = -1;
	if (maildir_path(path, sizeof(path), f->dir, sub, NULL) < 0)
		return;
	if ((e->wd = inotify_add_watch(ino_fd, path, WATCH_MASK)) < 0) {
		/* fs.inotify.max_user_watches, or the folder is gone */
		log_warn("maildir", "inotify_add_watch %s: %s", path,
			 errno_str(errno, ebuf, sizeof(ebuf)));
		e->wd = -1;
		return;
	}
	e->next = *bucket(e->wd);
	*bucket(e->wd) = e;
}

static void
del_wd(struct maildir_wd *e)
{
	struct maildir_wd **pp;
	bool shared = false;

	if (e->wd < 0)
		return;
	for (pp = bucket(e->wd); *pp != NULL;) {
		if (*pp == e)
			*pp = e->next;
		else {
			/* the same directory under another folder object
			 * (renamed): the kernel gave both the same wd */
			shared |= (*pp)->wd == e->wd;
			pp = &(*pp)->next;
		}
	}
	if (!shared && ino_pid == getpid())
		inotify_rm_watch(ino_fd, e->wd);
	e->wd = -1;
}
#endif

int
maildir_watch_add(struct maildir_folder *f, struct maildir_watcher *w)
{
	bool kernel = false;

	pthread_mutex_lock(&watch_lock);
	w->next = f->watchers;
	f->watchers = w;
#ifdef HAVE_SYS_INOTIFY_H
	if (start_locked()) {
		if (w->next == NULL) {
			add_wd(f, &f->wd[0], "new");
			add_wd(f, &f->wd[1], "cur");
		}
		kernel = f->wd[0].wd >= 0 && f->wd[1].wd >= 0;
	}
#endif
	pthread_mutex_unlock(&watch_lock);
	return kernel && !f->nfs ? 1 : 0;
}

void
maildir_watch_del(struct maildir_folder *f, struct maildir_watcher *w)
{
	struct maildir_watcher **pp;

	pthread_mutex_lock(&watch_lock);
	for (pp = &f->watchers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
#ifdef HAVE_SYS_INOTIFY_H
	if (f->watchers == NULL) {
		del_wd(&f->wd[0]);
		del_wd(&f->wd[1]);
	}
#endif
	pthread_mutex_unlock(&watch_lock);
}

void
maildir_watch_notify(struct maildir_folder *f)
{
	pthread_mutex_lock(&watch_lock);
	notify_locked(f);
	pthread_mutex_unlock(&watch_lock);
}
