/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for storage/mime/mime-cache: hits and stale entries, sharing
 * one file between handles (processes), torn and damaged records, atomic
 * compaction that other handles follow, many entries, several threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/mime/mime-cache.h"
#include "protocols/imap/imap-bodystructure.h"

static const char msg1[] = "From: a@example.org\nSubject: one\n\nbody\n";
static const char msg2[] = "Content-Type: multipart/mixed; boundary=b\n\n"
	"--b\nContent-Type: text/html\n\n<p>x</p>\n--b--\n";

struct fx {
	char dir[64], path[128];
	struct arena *a;
	struct mime_message *m1, *m2;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test-mime-cache.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/cache", f->dir);
	f->a = arena_new(0);
	assert_int_equal(mime_parse(f->a, msg1, strlen(msg1), &f->m1), 0);
	assert_int_equal(mime_parse(f->a, msg2, strlen(msg2), &f->m2), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	arena_free(&f->a);
	free(f);
	return 0;
}

static const char *
structure(struct arena *a, const struct mime_message *m)
{
	struct sbuf b;

	sbuf_init(&b, a, 0);
	imap_bodystructure_write(&b, m->root, true);
	return b.data;
}

static void
test_mime_cache_hit_and_stale(void **state)
{
	struct fx *f = *state;
	struct mime_cache *c, *c2;
	struct mime_message *m;

	assert_int_equal(mime_cache_open(f->path, &c), 0);
	assert_int_equal(mime_cache_get(c, f->a, "k1", f->m1->size, 10, 0, &m),
			 0);
	assert_int_equal(mime_cache_put(c, "k1", f->m1->size, 10, 5, f->m1), 0);
	assert_int_equal(mime_cache_put(c, "k2", f->m2->size, 20, 0, f->m2), 0);
	assert_int_equal(mime_cache_get(c, f->a, "k1", f->m1->size, 10, 5, &m),
			 1);
	assert_string_equal(structure(f->a, m), structure(f->a, f->m1));
	assert_string_equal(m->root->envelope->subject.p, "one");
	/* size or mtime changed: the message file changed, not trusted */
	assert_int_equal(mime_cache_get(c, f->a, "k1", f->m1->size + 1, 10, 5,
					&m), 0);
	assert_int_equal(mime_cache_get(c, f->a, "k1", f->m1->size, 11, 5, &m),
			 0);
	assert_int_equal(mime_cache_put(c, "", 1, 1, 1, f->m1), -ERR_INVAL);
	/* persistent, and a second handle (another process) sees it */
	assert_int_equal(mime_cache_open(f->path, &c2), 0);
	assert_int_equal(mime_cache_count(c2), 2);
	assert_int_equal(mime_cache_get(c2, f->a, "k2", f->m2->size, 20, 0,
					&m), 1);
	assert_string_equal(structure(f->a, m), structure(f->a, f->m2));
	/* an append by c2 is seen by c on its next miss; the newest wins */
	assert_int_equal(mime_cache_put(c2, "k1", f->m2->size, 30, 0, f->m2),
			 0);
	assert_int_equal(mime_cache_get(c, f->a, "k1", f->m2->size, 30, 0, &m),
			 1);
	assert_string_equal(structure(f->a, m), structure(f->a, f->m2));
	mime_cache_close(&c);
	mime_cache_close(&c2);
	assert_null(c);
}

static void
append_raw(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static void
test_mime_cache_damage(void **state)
{
	struct fx *f = *state;
	struct mime_cache *c;
	struct mime_message *m;
	char junk[100];

	assert_int_equal(mime_cache_open(f->path, &c), 0);
	assert_int_equal(mime_cache_put(c, "k1", f->m1->size, 1, 0, f->m1), 0);
	mime_cache_close(&c);
	/* a torn record (crash mid-append), then garbage */
	memset(junk, 0xff, sizeof(junk));
	append_raw(f->path, "\0\0\1\0abc", 7);
	append_raw(f->path, junk, sizeof(junk));
	assert_int_equal(mime_cache_open(f->path, &c), 0);
	assert_int_equal(mime_cache_get(c, f->a, "k1", f->m1->size, 1, 0, &m),
			 1);
	assert_int_equal(mime_cache_put(c, "k2", f->m2->size, 2, 0, f->m2), 0);
	assert_int_equal(mime_cache_get(c, f->a, "k2", f->m2->size, 2, 0, &m),
			 1);
	mime_cache_close(&c);
	/* a flipped byte inside a record: that entry is a miss, not trusted */
	{
		int fd = open(f->path, O_RDWR);
		unsigned char x;
		off_t at = 8 + 4 + 8 + 2 + 2 + 20 + 30;

		assert_true(fd >= 0);
		assert_int_equal(pread(fd, &x, 1, at), 1);
		x ^= 0x20;
		assert_int_equal(pwrite(fd, &x, 1, at), 1);
		close(fd);
	}
	assert_int_equal(mime_cache_open(f->path, &c), 0);
	assert_int_equal(mime_cache_get(c, f->a, "k1", f->m1->size, 1, 0, &m),
			 0);
	assert_int_equal(mime_cache_get(c, f->a, "k2", f->m2->size, 2, 0, &m),
			 1);
	assert_int_equal(mime_cache_compact(c, NULL, NULL), 0);
	assert_int_equal(mime_cache_count(c), 1);
	mime_cache_close(&c);
	/* a foreign file is replaced by an empty cache */
	unlink(f->path);
	{
		int fd = open(f->path, O_WRONLY | O_CREAT, 0600);

		assert_int_equal(write(fd, "not a cache file", 16), 16);
		close(fd);
	}
	assert_int_equal(mime_cache_open(f->path, &c), 0);
	assert_int_equal(mime_cache_count(c), 0);
	assert_int_equal(mime_cache_put(c, "k3", f->m1->size, 3, 0, f->m1), 0);
	assert_int_equal(mime_cache_get(c, f->a, "k3", f->m1->size, 3, 0, &m),
			 1);
	mime_cache_close(&c);
}

static bool
keep_odd(void *ctx, const char *key)
{
	(void)ctx;
	return (atoi(key + 1) & 1) != 0;
}

static void
test_mime_cache_compact_and_many(void **state)
{
	struct fx *f = *state;
	struct mime_cache *c, *other;
	struct mime_message *m;
	char key[32];
	int i, hits = 0;

	assert_int_equal(mime_cache_open(f->path, &c), 0);
	assert_int_equal(mime_cache_open(f->path, &other), 0);
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(mime_cache_put(c, key, f->m1->size, i, 0,
						f->m1), 0);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		hits += mime_cache_get(c, f->a, key, f->m1->size, i, 0, &m);
	}
	assert_int_equal(hits, 5000);
	assert_int_equal(mime_cache_compact(c, keep_odd, NULL), 0);
	assert_int_equal(mime_cache_count(c), 2500);
	/* the other handle follows the rename to the compacted file */
	assert_int_equal(mime_cache_get(other, f->a, "k7", f->m1->size, 7, 0,
					&m), 1);
	assert_int_equal(mime_cache_get(other, f->a, "k8", f->m1->size, 8, 0,
					&m), 0);
	assert_int_equal(mime_cache_count(other), 2500);
	mime_cache_close(&c);
	mime_cache_close(&other);
}

struct worker {
	struct mime_cache *c;
	const struct mime_message *m;
	int id, hits;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct arena *a = arena_new(0);
	struct mime_message *m;
	char key[32];
	int i;

	for (i = 0; i < 500; i++) {
		snprintf(key, sizeof(key), "t%d-%d", w->id, i);
		if (mime_cache_put(w->c, key, w->m->size, i, 0, w->m) != 0)
			break;
		w->hits += mime_cache_get(w->c, a, key, w->m->size, i, 0,
					  &m) == 1;
		arena_reset(a);
	}
	arena_free(&a);
	return NULL;
}

static void
test_mime_cache_threads(void **state)
{
	struct fx *f = *state;
	struct worker w[4];
	pthread_t t[4];
	struct mime_cache *c;
	int i;

	assert_int_equal(mime_cache_open(f->path, &c), 0);
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ c, f->m2, i, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].hits, 500);
	}
	assert_int_equal(mime_cache_count(c), 2000);
	mime_cache_close(&c);
}

/* Random bytes after a valid file header never crash open, get or
 * compact (the record reader checks every length). */
static void
test_mime_cache_random_files(void **state)
{
	struct fx *f = *state;
	struct mime_cache *c;
	struct mime_message *m;
	unsigned char buf[2048];
	int round, fd;
	size_t i, n;

	srand(12345);
	for (round = 0; round < 300; round++) {
		n = (size_t)(rand() % (int)sizeof(buf));
		memcpy(buf, "MDMCACH1", 8);
		for (i = 8; i < n; i++)
			buf[i] = (unsigned char)(rand() % 4 == 0 ? 0 : rand());
		if (n > 12 && round % 2 == 0) {
			/* a plausible record length */
			buf[8] = buf[9] = 0;
			buf[10] = (unsigned char)((n - 12) >> 8);
			buf[11] = (unsigned char)(n - 12);
		}
		unlink(f->path);
		fd = open(f->path, O_WRONLY | O_CREAT, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, buf, n < 8 ? 8 : n),
				 (ssize_t)(n < 8 ? 8 : n));
		close(fd);
		assert_int_equal(mime_cache_open(f->path, &c), 0);
		(void)mime_cache_get(c, f->a, "k", 1, 1, 1, &m);
		assert_int_equal(mime_cache_compact(c, NULL, NULL), 0);
		mime_cache_close(&c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mime_cache_hit_and_stale,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_cache_damage,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_mime_cache_compact_and_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_cache_threads,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_cache_random_files,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
