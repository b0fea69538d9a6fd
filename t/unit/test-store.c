/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for storage/store.h over the Maildir++ backend: views, \Recent,
 * sync between sessions, flags and keywords, expunge, APPEND crash safety.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <sys/wait.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <cmocka.h>
#include "t/unit/storetest.h"
#include "storage/maildir/maildir.h"
#include "storage/mime/mime.h"
#include "core/arena.h"
#include "core/error.h"

static const char msg1[] = "From: a@example.org\nSubject: one\n\nbody\n";
static const char msg2[] = "From: b@example.org\r\nSubject: two\r\n\r\nx\r\n";

struct events {
	uint32_t expunged[16], expunged_uid[16], nexp;
	uint32_t exists;
	uint32_t changed[16], nchg;
};

static void
on_expunged(void *ctx, uint32_t seq, uint32_t uid)
{
	struct events *e = ctx;
	e->expunged_uid[e->nexp] = uid;
	e->expunged[e->nexp++] = seq;
}

static void
on_exists(void *ctx, uint32_t count)
{
	((struct events *)ctx)->exists = count;
}

static void
on_changed(void *ctx, uint32_t seq)
{
	struct events *e = ctx;
	e->changed[e->nchg++] = seq;
}

static const struct store_sync_cb cbs = {
	.expunged = on_expunged, .exists = on_exists,
	.flags_changed = on_changed,
};

/* watch_fd: an eventfd that the view's watch callback writes to, as IDLE
 * would be woken */
static void
on_watch(void *ctx)
{
	uint64_t one = 1;

	assert_int_equal(write(*(int *)ctx, &one, sizeof(one)), 8);
}

static int *
watch_fd(struct store_mailbox *mb)
{
	int *fd = malloc(sizeof(*fd));

	*fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(*fd >= 0);
	assert_int_equal(store_mailbox_watch(mb, on_watch, fd), 1);
	return fd;
}

static int
setup(void **state)
{
	*state = tmp_maildir();
	return 0;
}

static int
teardown(void **state)
{
	char *p = *state, *slash = strrchr(p, '/');
	*slash = '\0';
	rm_rf(p);
	free(p);
	return 0;
}

static struct store_user *
user(void **state)
{
	struct store_user *u;
	const char *err;
	assert_int_equal(store_user_open(*state, NULL, &u, &err), 0);
	return u;
}

static void
test_store_user_open_creates_maildir(void **state)
{
	struct store_user *u = user(state);
	const char *err;
	struct store_user *bad;

	assert_int_equal(count_files(*state, "cur"), 0);
	assert_int_equal(count_files(*state, "new"), 0);
	assert_int_equal(count_files(*state, "tmp"), 0);
	assert_int_equal(store_user_open("relative/path", NULL, &bad, &err),
			 -ERR_INVAL);
	assert_int_equal(store_user_open(*state, "12Q", &bad, &err),
			 -ERR_INVAL);
	store_user_close(&u);
	assert_null(u);
}

static void
test_store_append_then_open(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	uint32_t uid1, uid2;
	uint64_t size;
	time_t date;

	assert_int_equal(append_text(u, "INBOX", msg1, STORE_FLAG_SEEN,
				     &uid1), 0);
	assert_int_equal(append_text(u, "inbox", msg2, 0, &uid2), 0);
	assert_int_equal(uid1, 1);
	assert_int_equal(uid2, 2);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_mailbox_count(mb), 2);
	assert_int_equal(store_mailbox_uidnext(mb), 3);
	assert_true(store_mailbox_uidvalidity(mb) > 0);
	const struct store_msg *m = store_msg_get(mb, 1);
	assert_int_equal(m->uid, 1);
	assert_true(m->flags & STORE_FLAG_SEEN);
	assert_int_equal(store_mailbox_first_unseen(mb), 2);
	/* RFC822.SIZE counts CRLF: msg1 has 4 bare LFs */
	assert_int_equal(store_msg_size(mb, 1, &size), 0);
	assert_int_equal(size, strlen(msg1) + 4);
	assert_int_equal(store_msg_size(mb, 2, &size), 0);
	assert_int_equal(size, strlen(msg2));
	assert_int_equal(store_msg_internal_date(mb, 1, &date), 0);
	assert_true(date > 0);
	assert_null(store_msg_get(mb, 3));
	assert_int_equal(store_msg_seq_by_uid(mb, 2), 2);
	assert_int_equal(store_msg_seq_by_uid(mb, 9), 0);
	int fd;
	assert_int_equal(store_msg_open(mb, 2, &fd), 0);
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, (ssize_t)strlen(msg2));
	store_mailbox_close(&mb);
	assert_int_equal(store_append_begin(u, "Nope", 0, NULL, 0, 0, 0,
					    &(struct store_append *){0}),
			 -ERR_NOTFOUND);
	store_user_close(&u);
}

static void
test_store_recent_to_one_session(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *a, *b, *ro;

	put_file(*state, "new", "1000.M1P1.test", msg1);
	assert_int_equal(store_mailbox_open(u, "INBOX", true, &ro), 0);
	assert_int_equal(store_mailbox_recent_count(ro), 0);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &a), 0);
	assert_int_equal(store_mailbox_recent_count(a), 1);
	assert_true(store_msg_get(a, 1)->flags & STORE_FLAG_RECENT);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &b), 0);
	assert_int_equal(store_mailbox_recent_count(b), 0);
	/* moved to cur/ like Courier does */
	assert_int_equal(count_files(*state, "new"), 0);
	put_file(*state, "new", "1001.M1P1.test", msg2);
	struct events e = { 0 };
	assert_int_equal(store_mailbox_sync(b, &cbs, &e), 0);
	assert_int_equal(e.exists, 2);
	assert_int_equal(store_mailbox_recent_count(b), 1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(store_mailbox_sync(a, &cbs, &e), 0);
	assert_int_equal(e.exists, 2);
	assert_int_equal(store_mailbox_recent_count(a), 1);
	store_user_close(&u);	/* closes the views too */
	/* a new process-wide session: nothing recent any more */
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &a), 0);
	assert_int_equal(store_mailbox_recent_count(a), 0);
	store_user_close(&u);
}

static void
test_store_sync_between_sessions(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *a, *b;
	struct events e = { 0 };

	for (int i = 0; i < 4; i++)
		assert_int_equal(append_text(u, "INBOX", msg1, 0, NULL), 0);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &a), 0);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &b), 0);
	int *wfd = watch_fd(b), fd = *wfd;
	assert_int_equal(store_msg_set_flags(a, 2, STORE_FLAGS_ADD,
					     STORE_FLAG_DELETED, NULL, 0), 0);
	assert_int_equal(store_msg_set_flags(a, 4, STORE_FLAGS_ADD,
					     STORE_FLAG_DELETED, NULL, 0), 0);
	assert_int_equal(store_msg_set_flags(a, 1, STORE_FLAGS_ADD,
					     STORE_FLAG_FLAGGED, NULL, 0), 0);
	struct events ea = { 0 };
	assert_int_equal(store_mailbox_expunge(a, NULL, 0, on_expunged, &ea),
			 0);
	assert_int_equal(ea.nexp, 2);
	assert_int_equal(ea.expunged[0], 4);
	assert_int_equal(ea.expunged[1], 2);
	assert_int_equal(ea.expunged_uid[0], 4);	/* for VANISHED */
	assert_int_equal(ea.expunged_uid[1], 2);
	assert_int_equal(store_mailbox_count(a), 2);
	/* b's numbering is unchanged until it syncs */
	assert_int_equal(store_mailbox_count(b), 4);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 1000), 1);	/* IDLE wakes up */
	assert_int_equal(store_mailbox_sync(b, &cbs, &e), 0);
	assert_int_equal(e.nexp, 2);
	assert_int_equal(e.expunged[0], 4);
	assert_int_equal(e.expunged[1], 2);
	assert_int_equal(e.expunged_uid[1], 2);
	assert_int_equal(e.nchg, 1);
	assert_int_equal(e.changed[0], 1);
	assert_int_equal(store_mailbox_count(b), 2);
	assert_true(store_msg_get(b, 1)->flags & STORE_FLAG_FLAGGED);
	assert_int_equal(store_msg_get(b, 2)->uid, 3);
	/* a second sync reports nothing */
	memset(&e, 0, sizeof(e));
	assert_int_equal(store_mailbox_sync(b, &cbs, &e), 0);
	assert_int_equal(e.nexp + e.nchg + e.exists, 0);
	store_user_close(&u);
	close(fd);
	free(wfd);
}

static void
test_store_watch_sees_other_process_delivery(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	struct events e = { 0 };
	uint64_t n;

	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	int *wfd = watch_fd(mb), fd = *wfd;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 0), 0);		/* quiet */
	pid_t pid = fork();
	if (pid == 0) {		/* an MTA: tmp/ then rename into new/ */
		char a[4096], b[4096];
		snprintf(a, sizeof(a), "%s/tmp/3000.M1P1.mta", (char *)*state);
		snprintf(b, sizeof(b), "%s/new/3000.M1P1.mta", (char *)*state);
		FILE *fp = fopen(a, "w");
		fputs(msg1, fp);
		fclose(fp);
		_exit(rename(a, b) == 0 ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	assert_int_equal(poll(&pfd, 1, 2000), 1);	/* IDLE wakes up */
	assert_int_equal(store_mailbox_sync(mb, &cbs, &e), 0);
	assert_int_equal(e.exists, 1);
	assert_int_equal(store_mailbox_recent_count(mb), 1);
	/* moving the file into cur/ wakes it once more; then it is quiet */
	usleep(100000);
	assert_int_equal(read(fd, &n, sizeof(n)), 8);
	memset(&e, 0, sizeof(e));
	assert_int_equal(store_mailbox_sync(mb, &cbs, &e), 0);
	assert_int_equal(e.exists + e.nexp + e.nchg, 0);
	assert_int_equal(poll(&pfd, 1, 100), 0);
	/* after unwatch, nothing is called */
	store_mailbox_unwatch(mb);
	put_file(*state, "new", "3001.M1P1.mta", msg1);
	assert_int_equal(poll(&pfd, 1, 200), 0);
	store_user_close(&u);
	close(fd);
	free(wfd);
}

#define MANY_FOLDERS 300	/* > fs.inotify.max_user_instances (128) */

static void
on_watch_count(void *ctx)
{
	atomic_fetch_add((atomic_uint *)ctx, 1);
}

static void
test_store_watch_scales_past_inotify_instances(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox **mb = calloc(MANY_FOLDERS, sizeof(*mb));
	atomic_uint *woken = calloc(MANY_FOLDERS, sizeof(*woken));
	char name[32], dir[4096];
	int left = MANY_FOLDERS;

	for (int i = 0; i < MANY_FOLDERS; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(store_folder_create(u, name), 0);
		assert_int_equal(store_mailbox_open(u, name, false, &mb[i]), 0);
		assert_int_equal(store_mailbox_watch(mb[i], on_watch_count,
						     &woken[i]), 1);
	}
	for (int i = 0; i < MANY_FOLDERS; i++) {
		snprintf(dir, sizeof(dir), "%s/.f%d", (char *)*state, i);
		put_file(dir, "new", "3000.M1P1.mta", msg1);
	}
	for (int t = 0; t < 500 && left > 0; t++) {
		usleep(10000);
		left = 0;
		for (int i = 0; i < MANY_FOLDERS; i++)
			left += atomic_load(&woken[i]) == 0;
	}
	assert_int_equal(left, 0);	/* each folder's watcher was called */
	for (int i = 0; i < MANY_FOLDERS; i++)
		store_mailbox_close(&mb[i]);
	store_user_close(&u);
	free(mb);
	free(woken);
}

static void
test_store_flags_persist_in_file_name(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	char path[4096];

	assert_int_equal(append_text(u, "INBOX", msg1, 0, NULL), 0);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_msg_set_flags(mb, 1, STORE_FLAGS_SET,
					     STORE_FLAG_SEEN |
					     STORE_FLAG_ANSWERED |
					     STORE_FLAG_RECENT, NULL, 0), 0);
	assert_int_equal(store_msg_path(mb, 1, path, sizeof(path)), 0);
	assert_non_null(strstr(path, ":2,RS"));
	store_mailbox_close(&mb);
	assert_int_equal(store_mailbox_open(u, "INBOX", true, &mb), 0);
	assert_int_equal(store_msg_get(mb, 1)->flags,
			 STORE_FLAG_SEEN | STORE_FLAG_ANSWERED);
	assert_int_equal(store_msg_set_flags(mb, 1, STORE_FLAGS_ADD,
					     STORE_FLAG_SEEN, NULL, 0),
			 -ERR_PERM);
	store_user_close(&u);
}

static void
test_store_keywords_courier_layout(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	const char *kw[] = { "$Junk", "Work" };
	char path[4096];
	unsigned n;

	assert_int_equal(append_text(u, "INBOX", msg1, 0, NULL), 0);
	assert_int_equal(append_text(u, "INBOX", msg2, 0, NULL), 0);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_msg_set_flags(mb, 1, STORE_FLAGS_ADD, 0, kw,
					     2), 0);
	const char *bad[] = { "a b" };
	assert_int_equal(store_msg_set_flags(mb, 1, STORE_FLAGS_ADD, 0, bad,
					     1), -ERR_INVAL);
	const char *const *names = store_mailbox_keywords(mb, &n);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "$Junk");
	assert_int_equal(store_msg_get(mb, 1)->keyword_count, 2);
	store_user_close(&u);
	/* Courier's maildir_kwSave layout: courierimapkeywords/<base name> */
	snprintf(path, sizeof(path), "%s/courierimapkeywords", (char *)*state);
	DIR *d = opendir(path);
	struct dirent *de;
	int updates = 0;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ":list") == 0) {
			/* every name the folder knows, for other processes
			 * (Courier's list: names, a blank line, entries) */
			char f[8192];
			snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
			assert_memory_equal(get_file(f), "$Junk\nWork\n\n", 12);
		} else if (de->d_name[0] != '.') {
			char f[8192];
			snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
			assert_null(strchr(de->d_name, ':'));
			assert_string_equal(get_file(f), "$Junk\nWork\n");
			updates++;
		}
	closedir(d);
	assert_int_equal(updates, 1);
	/* reopen: keywords survive */
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_msg_get(mb, 1)->keyword_count, 2);
	assert_int_equal(store_msg_get(mb, 2)->keyword_count, 0);
	assert_int_equal(store_msg_set_flags(mb, 1, STORE_FLAGS_REMOVE, 0,
					     kw, 1), 0);
	store_mailbox_close(&mb);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	const struct store_msg *m = store_msg_get(mb, 1);
	assert_int_equal(m->keyword_count, 1);
	names = store_mailbox_keywords(mb, &n);
	assert_string_equal(names[m->keywords[0]], "Work");
	store_user_close(&u);
}

static void
test_store_keywords_read_courier_list(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	char dir[4096];
	unsigned n;

	/* a Maildir Courier-IMAP served: :list plus a newer update file */
	put_file(*state, "cur", "1000.M1P1.host:2,S", msg1);
	put_file(*state, "cur", "1001.M1P1.host:2,", msg2);
	snprintf(dir, sizeof(dir), "%s/courierimapkeywords", (char *)*state);
	mkdir(dir, 0700);
	put_file(dir, NULL, ":list",
		 "Alpha\nBeta\n\n1000.M1P1.host:0 1\n1001.M1P1.host:1\n");
	put_file(dir, NULL, ".7.1001.M1P1.host", "Gamma\n");
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	const char *const *names = store_mailbox_keywords(mb, &n);
	const struct store_msg *m1 = store_msg_get(mb, 1);
	const struct store_msg *m2 = store_msg_get(mb, 2);
	assert_int_equal(m1->keyword_count, 2);
	assert_int_equal(m2->keyword_count, 1);
	assert_string_equal(names[m2->keywords[0]], "Gamma");
	store_user_close(&u);
}

static void
test_store_keywords_forgotten_when_folder_replaced(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *a, *b;
	const char *kw[] = { "$Label1" };
	unsigned n;

	assert_int_equal(append_text(u, "INBOX", msg1, 0, NULL), 0);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &a), 0);
	assert_int_equal(store_msg_set_flags(a, 1, STORE_FLAGS_ADD, 0, kw, 1),
			 0);
	/* the Maildir is wiped and made again while a session holds it */
	rm_rf(*state);
	struct store_user *u2 = user(state);
	put_file(*state, "new", "2000.M1P1.host", msg2);
	assert_int_equal(store_mailbox_open(u2, "INBOX", false, &b), 0);
	assert_int_equal(store_mailbox_count(b), 1);
	store_mailbox_keywords(b, &n);
	assert_int_equal(n, 0);
	assert_int_equal(store_msg_get(b, 1)->keyword_count, 0);
	store_user_close(&u2);
	store_user_close(&u);
}

static void
test_store_expunged_file_is_not_an_error(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	char path[4096];
	int fd;

	assert_int_equal(append_text(u, "INBOX", msg1, 0, NULL), 0);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_msg_path(mb, 1, path, sizeof(path)), 0);
	unlink(path);		/* another process expunged it */
	assert_int_equal(store_msg_open(mb, 1, &fd), -ERR_NOTFOUND);
	assert_int_equal(store_msg_set_flags(mb, 1, STORE_FLAGS_ADD,
					     STORE_FLAG_SEEN, NULL, 0), 0);
	struct events e = { 0 };
	assert_int_equal(store_mailbox_sync(mb, &cbs, &e), 0);
	assert_int_equal(e.nexp, 1);
	assert_int_equal(store_mailbox_count(mb), 0);
	store_user_close(&u);
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
test_store_msg_parsed_from_cache(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	struct mime_message *m;
	struct arena *a = arena_new(1024 * 1024);
	char path[4096];

	assert_int_equal(append_text(u, "INBOX", msg1, 0, NULL), 0);
	assert_int_equal(append_text(u, "INBOX", msg2, 0, NULL), 0);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	/* first time: parsed from the file, cache written */
	assert_int_equal(store_msg_parsed(mb, 1, a, false, &m), 0);
	assert_non_null(m->data);
	assert_int_equal(m->size_crlf, strlen(msg1) + 4);
	assert_int_equal(store_msg_parsed(mb, 2, a, false, &m), 0);
	store_user_close(&u);
	snprintf(path, sizeof(path), "%s/maildock-cache", (char *)*state);
	assert_non_null(get_file(path));
	/* a new process-wide folder object answers from the cache: even
	 * with the file gone it still knows the envelope */
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	char file[4096];
	assert_int_equal(store_msg_path(mb, 1, file, sizeof(file)), 0);
	char *copy = strdup(get_file(file));
	unlink(file);
	assert_int_equal(store_msg_parsed(mb, 1, a, false, &m), 0);
	assert_null(m->data);
	assert_int_equal(m->root->envelope->subject.len, 3);
	assert_memory_equal(m->root->envelope->subject.p, "one", 3);
	/* with_bytes needs the file */
	assert_int_equal(store_msg_parsed(mb, 1, a, true, &m), -ERR_NOTFOUND);
	write_file(file, copy);
	store_user_close(&u);
	/* with_bytes and a cache hit: the cached tree with the file's own
	 * bytes attached (SEARCH reads text through it) */
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_msg_path(mb, 1, file, sizeof(file)), 0);
	assert_int_equal(store_msg_parsed(mb, 1, a, true, &m), 0);
	assert_non_null(m->data);
	assert_int_equal(m->size, strlen(copy));
	assert_memory_equal(m->data, copy, m->size);
	assert_memory_equal(m->root->envelope->subject.p, "one", 3);
	free(copy);
	/* the file no longer matches its cache entry (other size): it is
	 * parsed again, never answered from the stale tree */
	static const char other[] = "Subject: changed\n\nnew longer body\n";
	write_file(file, other);
	assert_int_equal(store_msg_parsed(mb, 1, a, true, &m), 0);
	assert_int_equal(m->size, strlen(other));
	assert_memory_equal(m->data, other, m->size);
	assert_memory_equal(m->root->envelope->subject.p, "changed", 7);
	store_user_close(&u);
	/* a damaged cache (torn tail, then a wrong version) is never fatal */
	FILE *fp = fopen(path, "a");
	fputs("Rgarbage", fp);
	fclose(fp);
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_msg_parsed(mb, 2, a, false, &m), 0);
	assert_memory_equal(m->root->envelope->subject.p, "two", 3);
	store_user_close(&u);
	write_file(path, "MDCACHE 999\nxx");
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_msg_parsed(mb, 2, a, false, &m), 0);
	assert_memory_equal(m->root->envelope->subject.p, "two", 3);
	store_user_close(&u);
	assert_memory_equal(get_file(path), "MDCACHE 1\n", 10);
	arena_free(&a);
}

static int crash_step;

static void
crash_hook(int step)
{
	if (step == crash_step)
		raise(SIGKILL);
}

static void
test_store_append_crash_leaves_no_partial(void **state)
{
	static char big[200000];

	memset(big, 'x', sizeof(big) - 2);
	memcpy(big, "Subject: big\n\n", 14);
	big[sizeof(big) - 2] = '\n';
	for (int step = 1; step <= 6; step++) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s%d", (char *)*state, step);
		struct store_user *u;
		const char *err;
		assert_int_equal(store_user_open(dir, NULL, &u, &err), 0);
		pid_t pid = fork();
		if (pid == 0) {
			crash_step = step;
			maildir_deliver_hook = crash_hook;
			struct store_append *a;
			if (store_append_begin(u, "INBOX", 0, NULL, 0, 0, 0,
					       &a) < 0)
				_exit(2);
			for (size_t off = 0; off < sizeof(big) - 1;
			     off += 50000) {
				size_t len = sizeof(big) - 1 - off;
				store_append_write(a, big + off,
						   len > 50000 ? 50000 : len);
			}
			store_append_finish(&a, NULL, NULL);
			_exit(0);
		}
		int st;
		waitpid(pid, &st, 0);
		struct store_mailbox *mb;
		assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb),
				 0);
		uint32_t count = store_mailbox_count(mb);
		/* killed before the link: nothing; after: the whole message */
		assert_int_equal(count, step <= 3 ? 0 : 1);
		if (count == 1) {
			uint64_t size;
			char path[4096];
			struct stat sb;
			assert_int_equal(store_msg_path(mb, 1, path,
							sizeof(path)), 0);
			assert_int_equal(stat(path, &sb), 0);
			assert_int_equal(sb.st_size, sizeof(big) - 1);
			assert_int_equal(store_msg_size(mb, 1, &size), 0);
			assert_int_equal(size, sizeof(big) - 1 + 3);
			assert_int_equal(store_msg_get(mb, 1)->uid, 1);
		}
		store_user_close(&u);
		rm_rf(dir);
	}
}

static void
test_store_append_abort_removes_tmp(void **state)
{
	struct store_user *u = user(state);
	struct store_append *a;

	assert_int_equal(store_append_begin(u, "INBOX", 0, NULL, 0, 0, 0, &a),
			 0);
	assert_int_equal(store_append_write(a, "x\n", 2), 0);
	assert_int_equal(count_files(*state, "tmp"), 1);
	store_append_abort(&a);
	/* a writer that died two days ago left a file: removed at open */
	char path[4096];
	struct timespec old[2] = { { time(NULL) - 48 * 3600, 0 },
				   { time(NULL) - 48 * 3600, 0 } };
	put_file(*state, "tmp", "1.M1P99999.dead", "partial");
	put_file(*state, "tmp", "2.M2P99999.fresh", "partial");
	snprintf(path, sizeof(path), "%s/tmp/1.M1P99999.dead", (char *)*state);
	utimensat(AT_FDCWD, path, old, 0);
	struct store_mailbox *mb;
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(count_files(*state, "tmp"), 1);
	assert_int_equal(access(path, F_OK), -1);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tmp/2.M2P99999.fresh", (char *)*state);
	unlink(path);
	assert_null(a);
	assert_int_equal(count_files(*state, "tmp"), 0);
	assert_int_equal(count_files(*state, "cur"), 0);
	store_user_close(&u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_store_user_open_creates_maildir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_append_then_open,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_recent_to_one_session, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_sync_between_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_watch_sees_other_process_delivery, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_store_watch_scales_past_inotify_instances, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_store_flags_persist_in_file_name, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_store_keywords_courier_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_keywords_read_courier_list, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_store_keywords_forgotten_when_folder_replaced,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_expunged_file_is_not_an_error, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_store_msg_parsed_from_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_append_crash_leaves_no_partial, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_store_append_abort_removes_tmp, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
