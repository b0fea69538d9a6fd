/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for core/arena: alignment, the cap, cleanups, reset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/arena.h"

static void
test_arena_alloc_aligned(void **state)
{
	struct arena *a = arena_new(0);
	for (size_t i = 1; i < 100; i++) {
		void *p = arena_alloc(a, i);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, 0xab, i);
	}
	void *big = arena_alloc(a, 100000);
	assert_non_null(big);
	memset(big, 1, 100000);
	arena_free(&a);
	assert_null(a);
}

static void
test_arena_cap_refuses(void **state)
{
	struct arena *a = arena_new(1024);
	assert_non_null(arena_alloc(a, 1000));
	assert_false(arena_failed(a));
	assert_null(arena_alloc(a, 100));
	assert_true(arena_failed(a));
	assert_null(arena_alloc(a, SIZE_MAX - 4));
	arena_reset(a);
	assert_false(arena_failed(a));
	assert_int_equal(arena_used(a), 0);
	assert_non_null(arena_alloc(a, 1000));
	arena_free(&a);
}

static int cleaned[3], order;

static void
cleanup(void *ctx)
{
	cleaned[(intptr_t)ctx] = ++order;
}

static void
test_arena_cleanups_run_in_reverse(void **state)
{
	struct arena *a = arena_new(0);
	for (intptr_t i = 0; i < 3; i++)
		assert_int_equal(arena_on_reset(a, cleanup, (void *)i), 0);
	arena_reset(a);
	assert_int_equal(cleaned[2], 1);
	assert_int_equal(cleaned[1], 2);
	assert_int_equal(cleaned[0], 3);
	arena_free(&a);
}

static void
test_arena_strings(void **state)
{
	struct arena *a = arena_new_wiped(0);
	assert_string_equal(arena_strdup(a, "abc"), "abc");
	assert_string_equal(arena_strndup(a, "abcdef", 3), "abc");
	assert_string_equal(arena_printf(a, "%d-%s", 42, "x"), "42-x");
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena_alloc_aligned),
		cmocka_unit_test(test_arena_cap_refuses),
		cmocka_unit_test(test_arena_cleanups_run_in_reverse),
		cmocka_unit_test(test_arena_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
