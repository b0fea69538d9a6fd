/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for the full-text index's SQLite side (storage/fts): the
 * UTF-8 rules that keep every needle a substring, candidates as a superset
 * of substring matches, folders and UIDVALIDITY, and a damaged or
 * other-version file started anew.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "storage/fts/fts-index.h"
#include "storage/fts/fts-text.h"
#include "core/error.h"

static char dir[] = "/tmp/test-fts-index.XXXXXX";
static char path[256];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/fts.sqlite", dir);
	return 0;
}

static int
teardown(void **state)
{
	char p[300];

	(void)state;
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	rmdir(dir);
	return 0;
}

static struct fts_index *
open_ok(const char *tag)
{
	struct fts_index *idx;
	const char *error;

	assert_true(fts_index_open(path, tag, &idx, &error) >= 0);
	return idx;
}

static void
add(struct fts_index *idx, int64_t folder, uint32_t uid, const char *text)
{
	assert_int_equal(fts_index_begin(idx), 0);
	assert_int_equal(fts_index_add(idx, folder, uid, text, strlen(text),
				       true), 0);
	assert_int_equal(fts_index_commit(idx), 0);
}

/* the UIDs a query finds, as "1 2 3" */
static const char *
query(struct fts_index *idx, int64_t folder, const char *needle)
{
	static char out[256];
	uint32_t *uids;
	size_t n, i, len = 0;

	assert_int_equal(fts_index_query(idx, folder, needle, strlen(needle),
					 &uids, &n), 0);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%u",
					i ? " " : "", uids[i]);
	free(uids);
	return out;
}

static void
test_fts_text_needle_rules(void **state)
{
	char s[] = "ab\xff\x00" "c\xc3\xa9t\xe2\x82";

	(void)state;
	assert_true(fts_text_needle_ok("abc", 3));
	assert_true(fts_text_needle_ok("\xc3\xa9t\xc3\xa9", 5));
	assert_false(fts_text_needle_ok("ab", 2));
	assert_false(fts_text_needle_ok("\xc3\xa9t", 3));	/* 2 chars */
	assert_false(fts_text_needle_ok("ab\xff", 3));
	assert_false(fts_text_needle_ok("a\0b", 3));
	/* bad bytes and NUL become spaces, "cét" stays, a cut tail goes */
	fts_text_sanitize(s, sizeof(s) - 1);
	assert_memory_equal(s, "ab  c\xc3\xa9t  ", sizeof(s) - 1);
}

static void
test_fts_index_candidates_superset(void **state)
{
	struct fts_index *idx = open_ok("t1");
	int64_t f, g;

	(void)state;
	assert_int_equal(fts_index_folder(idx, "F1", 7, &f), 0);
	assert_int_equal(fts_index_folder(idx, "F2", 7, &g), 0);
	assert_true(f != g);
	add(idx, f, 1, "hello wonderful world\n");
	add(idx, f, 2, "wonder ful hello\n");
	add(idx, f, 3, "caf\xc3\xa9 cr\xc3\xa8me \"quoted\"\n");
	add(idx, g, 1, "wonderful too\n");
	assert_string_equal(query(idx, f, "wonderful"), "1");
	assert_string_equal(query(idx, f, "hello"), "1 2");
	assert_string_equal(query(idx, f, "lo w"), "1");
	assert_string_equal(query(idx, f, "\xc3\xa9 cr"), "3");
	assert_string_equal(query(idx, f, "\"quo"), "3");
	assert_string_equal(query(idx, f, "nothing"), "");
	assert_string_equal(query(idx, g, "wonderful"), "1");
	/* a second add of the same UID keeps the first */
	add(idx, f, 1, "other text\n");
	assert_string_equal(query(idx, f, "wonderful"), "1");
	assert_int_equal(fts_index_remove(idx, f, 1), 0);
	assert_string_equal(query(idx, f, "wonderful"), "");
	/* a new UIDVALIDITY drops the folder's entries */
	assert_int_equal(fts_index_folder(idx, "F1", 8, &f), 0);
	assert_string_equal(query(idx, f, "hello"), "");
	assert_string_equal(query(idx, g, "wonderful"), "1");
	assert_int_equal(fts_index_drop(idx, "F2"), 0);
	assert_string_equal(query(idx, g, "wonderful"), "");
	fts_index_close(&idx);
	assert_null(idx);
}

static void
test_fts_index_damaged_or_other_tag_starts_anew(void **state)
{
	struct fts_index *idx = open_ok("t1");
	const char *error;
	uint64_t n, full;
	int64_t f;
	FILE *fp;

	(void)state;
	assert_int_equal(fts_index_folder(idx, "F1", 1, &f), 0);
	add(idx, f, 5, "some text here\n");
	fts_index_close(&idx);
	/* another tag: rebuilt */
	assert_int_equal(fts_index_open(path, "t2", &idx, &error), 1);
	assert_int_equal(fts_index_count(idx, NULL, &n, &full), 0);
	assert_int_equal(n, 0);
	fts_index_close(&idx);
	/* garbage: rebuilt */
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 8192; i++)
		fputc((i * 7919) & 0xff, fp);
	fclose(fp);
	assert_int_equal(fts_index_open(path, "t2", &idx, &error), 1);
	assert_int_equal(fts_index_count(idx, NULL, &n, &full), 0);
	assert_int_equal(n, 0);
	fts_index_close(&idx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fts_text_needle_rules),
		cmocka_unit_test(test_fts_index_candidates_superset),
		cmocka_unit_test(test_fts_index_damaged_or_other_tag_starts_anew),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
