/* Maildock - SPDX-License-Identifier: MIT
 *
 * Sequence sets: parsing, "*", reversed ranges, merging, strictness for
 * message numbers, bounds, and the compact COPYUID form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "protocols/imap/imap-seqset.h"

static int
setup(void **state)
{
	*state = arena_new(4 * 1024 * 1024);
	return 0;
}

static int
teardown(void **state)
{
	struct arena *a = *state;
	arena_free(&a);
	return 0;
}

static void
test_imap_seqset_parse(void **state)
{
	struct imap_seqset set;

	assert_int_equal(imap_seqset_parse(*state, "1:3,7,*,9:*", &set), 0);
	assert_int_equal(set.count, 4);
	assert_int_equal(set.ranges[0].lo, 1);
	assert_int_equal(set.ranges[0].hi, 3);
	assert_int_equal(set.ranges[2].lo, IMAP_SEQ_STAR);
	assert_int_equal(set.ranges[3].hi, IMAP_SEQ_STAR);
	assert_int_equal(imap_seqset_parse(*state, "4294967295", &set), 0);
	assert_int_equal(set.ranges[0].lo, 4294967295u);
}

static void
test_imap_seqset_bad(void **state)
{
	struct imap_seqset set;
	const char *bad[] = { "", "0", "1:0", "01", "1,", ",1", "1::2", "a",
			      "1:2:3", "4294967296", "99999999999999", "-1",
			      "1 2", "**", NULL };

	for (unsigned i = 0; bad[i] != NULL; i++)
		assert_int_equal(imap_seqset_parse(*state, bad[i], &set),
				 -ERR_SYNTAX);
}

static void
test_imap_seqset_resolve(void **state)
{
	struct imap_seqset set;

	assert_int_equal(imap_seqset_parse(*state, "5:2,*,3,9:8", &set), 0);
	assert_int_equal(imap_seqset_resolve(&set, 10, true), 0);
	assert_int_equal(set.count, 2);
	assert_int_equal(set.ranges[0].lo, 2);
	assert_int_equal(set.ranges[0].hi, 5);
	assert_int_equal(set.ranges[1].lo, 8);
	assert_int_equal(set.ranges[1].hi, 10);
	assert_true(imap_seqset_contains(&set, 4));
	assert_false(imap_seqset_contains(&set, 6));
	assert_true(imap_seqset_contains(&set, 10));
	assert_false(imap_seqset_contains(&set, 11));

	/* "*:5" with star below 5: reversed range */
	assert_int_equal(imap_seqset_parse(*state, "*:5", &set), 0);
	assert_int_equal(imap_seqset_resolve(&set, 3, false), 0);
	assert_int_equal(set.ranges[0].lo, 3);
	assert_int_equal(set.ranges[0].hi, 5);
}

static void
test_imap_seqset_strict(void **state)
{
	struct imap_seqset set;

	assert_int_equal(imap_seqset_parse(*state, "1:4", &set), 0);
	assert_int_equal(imap_seqset_resolve(&set, 3, true), -ERR_INVAL);
	/* B25: "*" alone on an empty mailbox names nothing */
	assert_int_equal(imap_seqset_parse(*state, "*", &set), 0);
	assert_int_equal(imap_seqset_resolve(&set, 0, true), 0);
	assert_int_equal(set.count, 0);
	/* UID 1:* on an empty mailbox: the UID 1 range, matching nothing */
	assert_int_equal(imap_seqset_parse(*state, "1:*", &set), 0);
	assert_int_equal(imap_seqset_resolve(&set, 0, false), 0);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.ranges[0].lo, 1);
	assert_int_equal(set.ranges[0].hi, 1);
}

static void
test_imap_seqset_limit(void **state)
{
	struct imap_seqset set;
	struct sbuf b;

	sbuf_init(&b, *state, 0);
	for (unsigned i = 0; i <= IMAP_SEQSET_MAX_RANGES; i++)
		sbuf_appendf(&b, "%s%u", i ? "," : "", i + 1);
	assert_int_equal(imap_seqset_parse(*state, b.data, &set), -ERR_LIMIT);
	sbuf_truncate(&b, (size_t)(strrchr(b.data, ',') - b.data));
	assert_int_equal(imap_seqset_parse(*state, b.data, &set), 0);
	assert_int_equal(imap_seqset_resolve(&set, 100000, true), 0);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.ranges[0].hi, IMAP_SEQSET_MAX_RANGES);
}

static void
test_imap_seqset_append_uids(void **state)
{
	struct sbuf b;
	const uint32_t uids[] = { 1, 2, 3, 7, 9, 10, 5, 4294967295u };

	sbuf_init(&b, *state, 0);
	imap_seqset_append_uids(&b, uids, N_ELEMENTS(uids));
	assert_string_equal(b.data, "1:3,7,9:10,5,4294967295");
	sbuf_reset(&b);
	imap_seqset_append_uids(&b, uids, 1);
	assert_string_equal(b.data, "1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_imap_seqset_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_seqset_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_seqset_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_seqset_strict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_seqset_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_seqset_append_uids, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
