/* Maildock - SPDX-License-Identifier: MIT
 *
 * Benchmark of the Maildir++ storage on one large folder (default 100,000
 * messages): the first open (scan, numbering, UID list written), a second
 * open in a fresh process (UID list read, cur/ listed: UIDs, flags and
 * sizes of every message), a sync with no change, and a flag change.
 * Usage: bench/storage-open [-n COUNT] [DIR]   (DIR is created; kept)
 * Results go to doc/PERFORMANCE.md by hand ("Storage" section).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>
#include <sys/resource.h>
#include "storage/store.h"
#include "storage/mime/mime.h"
#include "core/arena.h"

static double
cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
	       ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
populate(const char *dir, unsigned n)
{
	static const char body[] =
		"From: Alice <alice@example.org>\nTo: bob@example.org\n"
		"Subject: benchmark message\nDate: Sun, 29 Nov 2026 10:00:00"
		" +0000\nMessage-ID: <x@example.org>\n\nHello.\n";
	char path[4096];
	size_t len = strlen(body);
	unsigned lfs = 7;

	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path),
			 "%s/cur/%u.M%uP1.bench,S=%zu,W=%zu:2,%s", dir,
			 1700000000 + i, i, len, len + lfs,
			 i % 3 == 0 ? "S" : i % 3 == 1 ? "FS" : "");
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, body, len) != (ssize_t)len) {
			perror(path);
			exit(1);
		}
		close(fd);
	}
}

static void
age_cur(const char *dir)
{
	char path[4096];
	struct timespec ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 60;
	ts[1] = ts[0];
	snprintf(path, sizeof(path), "%s/cur", dir);
	utimensat(AT_FDCWD, path, ts, 0);
}

/* rename_one: another program sets \Deleted on one message. */
static void
rename_one(const char *dir)
{
	char path[4096], from[4400], to[4500];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/cur", dir);
	if ((d = opendir(path)) == NULL)
		exit(1);
	while ((de = readdir(d)) != NULL && de->d_name[0] == '.')
		;
	if (de == NULL)
		exit(1);
	snprintf(from, sizeof(from), "%s/%s", path, de->d_name);
	snprintf(to, sizeof(to), "%sT", from);
	closedir(d);
	if (rename(from, to) < 0)
		perror(from);
}

/* open_all: open the user and INBOX, read every message's UID, flags and
 * size; returns the elapsed milliseconds. */
static double open_cpu;

static double
open_all(const char *dir, unsigned expect)
{
	double c0 = cpu_ms();
	struct store_user *u;
	struct store_mailbox *mb;
	const char *err;
	uint64_t sum = 0;
	double t0 = now_ms();

	if (store_user_open(dir, NULL, &u, &err) < 0 ||
	    store_mailbox_open(u, "INBOX", false, &mb) < 0) {
		fprintf(stderr, "open failed\n");
		exit(1);
	}
	uint32_t count = store_mailbox_count(mb);
	for (uint32_t s = 1; s <= count; s++) {
		const struct store_msg *m = store_msg_get(mb, s);
		uint64_t size;
		store_msg_size(mb, s, &size);
		sum += m->uid + m->flags + size;
	}
	double t = now_ms() - t0;
	open_cpu = cpu_ms() - c0;
	if (count != expect) {
		fprintf(stderr, "count %u != %u\n", count, expect);
		exit(1);
	}
	if (sum == 0)
		exit(1);
	store_user_close(&u);
	return t;
}

/* in_child: run open_all in a fresh process (no shared folder object in
 * memory), so the figure is a real second open. */
static double
in_child(const char *dir, unsigned n)
{
	int fds[2];
	double t = 0;

	if (pipe(fds) < 0)
		exit(1);
	if (fork() == 0) {
		double both[2];
		both[0] = open_all(dir, n);
		both[1] = open_cpu;
		if (write(fds[1], both, sizeof(both)) != sizeof(both))
			_exit(1);
		_exit(0);
	}
	double both[2];
	if (read(fds[0], both, sizeof(both)) != sizeof(both))
		exit(1);
	t = both[0];
	open_cpu = both[1];
	wait(NULL);
	close(fds[0]);
	close(fds[1]);
	return t;
}

/* envelopes: ENVELOPE of every message through store_msg_parsed without
 * the message bytes (from the cache when filled); wall ms, CPU in
 * open_cpu. */
static double
envelopes(const char *dir, unsigned expect)
{
	struct store_user *u;
	struct store_mailbox *mb;
	struct arena *a = arena_new(64 * 1024 * 1024);
	const char *err;
	double c0 = cpu_ms(), t0 = now_ms();
	size_t sum = 0;

	if (store_user_open(dir, NULL, &u, &err) < 0 ||
	    store_mailbox_open(u, "INBOX", true, &mb) < 0)
		exit(1);
	for (uint32_t s = 1; s <= store_mailbox_count(mb); s++) {
		struct mime_message *m;
		if (store_msg_parsed(mb, s, a, false, &m) < 0)
			exit(1);
		sum += m->root->envelope->subject.len;
		if (s % 1000 == 0)
			arena_reset(a);
	}
	double t = now_ms() - t0;
	open_cpu = cpu_ms() - c0;
	if (store_mailbox_count(mb) != expect || sum == 0)
		exit(1);
	store_user_close(&u);
	arena_free(&a);
	return t;
}

static double
envelopes_in_child(const char *dir, unsigned n)
{
	int fds[2];
	double both[2];

	if (pipe(fds) < 0)
		exit(1);
	if (fork() == 0) {
		both[0] = envelopes(dir, n);
		both[1] = open_cpu;
		if (write(fds[1], both, sizeof(both)) != sizeof(both))
			_exit(1);
		_exit(0);
	}
	if (read(fds[0], both, sizeof(both)) != sizeof(both))
		exit(1);
	wait(NULL);
	close(fds[0]);
	close(fds[1]);
	open_cpu = both[1];
	return both[0];
}

#define REPORT(what) do { \
	double w = in_child(dir, n); \
	printf("%-56s %8.1f ms wall %8.1f ms CPU\n", what, w, open_cpu); \
} while (0)

int
main(int argc, char **argv)
{
	unsigned n = 100000;
	const char *dir = "/tmp/maildock-bench/Maildir";
	int c;

	while ((c = getopt(argc, argv, "n:")) != -1)
		if (c == 'n')
			n = (unsigned)strtoul(optarg, NULL, 10);
	if (optind < argc)
		dir = argv[optind];
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s/cur' "
		 "'%s/new' '%s/tmp'", dir, dir, dir, dir);
	if (system(cmd) != 0)
		return 1;
	double t0 = now_ms();
	populate(dir, n);
	printf("populate %u messages: %.0f ms\n", n, now_ms() - t0);
	age_cur(dir);	/* as if delivered a while ago */
	REPORT("first open (scan + number + write UID list)");
	for (int i = 0; i < 5; i++)
		REPORT("second open, fresh process (UIDs, flags, sizes)");
	rename_one(dir);
	REPORT("open after another program changed cur/ (listing)");
	age_cur(dir);
	REPORT("open after that, cur/ settled (listing, list rewritten)");
	REPORT("and the next open");

	double w = envelopes_in_child(dir, n);
	printf("%-56s %8.1f ms wall %8.1f ms CPU\n",
	       "ENVELOPE of all, parsing the files (fills the cache)", w,
	       open_cpu);
	for (int i = 0; i < 3; i++) {
		w = envelopes_in_child(dir, n);
		printf("%-56s %8.1f ms wall %8.1f ms CPU\n",
		       "ENVELOPE of all from the cache, fresh process", w,
		       open_cpu);
	}

	struct store_user *u;
	struct store_mailbox *mb;
	const char *err;
	store_user_open(dir, NULL, &u, &err);
	store_mailbox_open(u, "INBOX", false, &mb);
	sleep(2);	/* let directory stamps settle */
	store_mailbox_sync(mb, NULL, NULL);
	t0 = now_ms();
	store_mailbox_sync(mb, NULL, NULL);
	printf("sync with no change: %.2f ms\n", now_ms() - t0);
	t0 = now_ms();
	for (uint32_t s = 1; s <= 1000; s++)
		store_msg_set_flags(mb, s, STORE_FLAGS_ADD, STORE_FLAG_ANSWERED,
				    NULL, 0);
	printf("STORE +FLAGS on 1000 messages: %.1f ms\n", now_ms() - t0);
	t0 = now_ms();
	store_mailbox_sync(mb, NULL, NULL);
	printf("sync after those changes (rescan of cur/): %.1f ms\n",
	       now_ms() - t0);
	struct store_append *a;
	t0 = now_ms();
	store_append_begin(u, "INBOX", 0, NULL, 0, 0, 0, &a);
	store_append_write(a, "Subject: x\n\nx\n", 14);
	store_append_finish(&a, NULL, NULL);
	printf("APPEND one message into the %u-message folder: %.1f ms\n", n,
	       now_ms() - t0);
	store_user_close(&u);
	return 0;
}
