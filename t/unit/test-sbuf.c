/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for core/sbuf: the hard maximum is sticky, never a truncation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/arena.h"
#include "core/sbuf.h"

static void
test_sbuf_append_and_format(void **state)
{
	struct sbuf b;
	sbuf_init(&b, NULL, 0);
	assert_string_equal(b.data, "");
	sbuf_appends(&b, "* ");
	sbuf_appendf(&b, "%u EXISTS", 17u);
	sbuf_appendc(&b, '!');
	assert_string_equal(b.data, "* 17 EXISTS!");
	assert_int_equal(b.len, 12);
	for (int i = 0; i < 10000; i++)
		sbuf_appendc(&b, 'x');
	assert_int_equal(b.len, 10012);
	sbuf_free(&b);
}

static void
test_sbuf_max_is_sticky(void **state)
{
	struct sbuf b;
	sbuf_init(&b, NULL, 8);
	sbuf_appends(&b, "12345");
	sbuf_appends(&b, "6789");
	assert_true(sbuf_failed(&b));
	assert_string_equal(b.data, "12345");
	sbuf_appends(&b, "6");
	assert_string_equal(b.data, "12345");
	sbuf_reset(&b);
	assert_false(sbuf_failed(&b));
	sbuf_appendf(&b, "%s", "123456789");
	assert_true(sbuf_failed(&b));
	assert_int_equal(b.len, 0);
	sbuf_free(&b);
}

static void
test_sbuf_arena_backed(void **state)
{
	struct arena *a = arena_new(256);
	struct sbuf b;
	sbuf_init(&b, a, 0);
	for (int i = 0; i < 1000; i++)
		sbuf_appendc(&b, 'y');
	assert_true(sbuf_failed(&b));	/* the arena's cap, not a crash */
	arena_free(&a);
}

static void
test_sbuf_format_fits_or_grows(void **state)
{
	struct sbuf b;
	sbuf_init(&b, NULL, 0);
	sbuf_appends(&b, "x");			/* cap 64 now */
	sbuf_appendf(&b, "%s", "short");	/* formatted in place */
	assert_string_equal(b.data, "xshort");
	char big[300];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sbuf_appendf(&b, "<%s>", big);		/* does not fit: grows */
	assert_int_equal(b.len, 6 + 2 + 299);
	assert_int_equal(b.data[b.len - 1], '>');
	assert_int_equal(b.data[b.len], '\0');
	sbuf_free(&b);

	sbuf_init(&b, NULL, 10);
	sbuf_appends(&b, "12345");
	sbuf_appendf(&b, "%d", 123456);		/* fits the room, not max */
	assert_true(sbuf_failed(&b));
	assert_string_equal(b.data, "12345");
	sbuf_free(&b);
}

static void
test_sbuf_append_u64(void **state)
{
	struct sbuf b;
	sbuf_init(&b, NULL, 0);
	sbuf_append_u64(&b, 0);
	sbuf_appendc(&b, ' ');
	sbuf_append_u64(&b, 18446744073709551615ULL);
	assert_string_equal(b.data, "0 18446744073709551615");
	sbuf_free(&b);
}

static void
test_sview_compare(void **state)
{
	assert_true(sview_eq_ci(SVIEW_LIT("InBoX"), "INBOX"));
	assert_false(sview_eq_ci(SVIEW_LIT("INBOX2"), "INBOX"));
	assert_true(sview_eq(sview_from_cstr("a"), SVIEW_LIT("a")));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sbuf_append_and_format),
		cmocka_unit_test(test_sbuf_max_is_sticky),
		cmocka_unit_test(test_sbuf_arena_backed),
		cmocka_unit_test(test_sbuf_format_fits_or_grows),
		cmocka_unit_test(test_sbuf_append_u64),
		cmocka_unit_test(test_sview_compare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
