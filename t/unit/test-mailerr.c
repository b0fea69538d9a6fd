/* Maildock - SPDX-License-Identifier: MIT
 *
 * The storage-error table: each error kind's IMAP response code (RFC
 * 5530) and POP3 code (RFC 2449, RFC 3206), and the bug row for a code
 * without one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "core/error.h"
#include "protocols/mailerr.h"

static void
test_mailerr_kinds(void **state)
{
	static const struct {
		int err;
		const char *imap, *pop3;
	} want[] = {
		{ -ERR_NOTFOUND, "NONEXISTENT", "SYS/TEMP" },
		{ -ERR_EXISTS, "ALREADYEXISTS", "SYS/TEMP" },
		{ -ERR_PERM, "CANNOT", "SYS/PERM" },
		{ -ERR_INVAL, "CANNOT", "SYS/PERM" },
		{ -ERR_QUOTA, "OVERQUOTA", "SYS/TEMP" },
		{ -ERR_NOSPACE, "OVERQUOTA", "SYS/TEMP" },
		{ -ERR_LIMIT, "LIMIT", "SYS/TEMP" },
		{ -ERR_NOMEM, "LIMIT", "SYS/TEMP" },
		{ -ERR_TEMP, "UNAVAILABLE", "SYS/TEMP" },
		{ -ERR_TIMEOUT, "UNAVAILABLE", "SYS/TEMP" },
		{ -ERR_BUSY, "UNAVAILABLE", "IN-USE" },
		{ -ERR_CORRUPT, "SERVERBUG", "SYS/PERM" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct mailerr *e = mailerr_get(want[i].err);
		assert_string_equal(e->imap_code, want[i].imap);
		assert_string_equal(e->pop3_code, want[i].pop3);
		assert_non_null(e->imap_text);
	}
}

static void
test_mailerr_unknown_is_bug(void **state)
{
	(void)state;
	assert_string_equal(mailerr_get(-ERR_IO)->imap_code, "SERVERBUG");
	assert_string_equal(mailerr_get(-ERR_MAX)->pop3_code, "SYS/TEMP");
	assert_string_equal(mailerr_get(0)->imap_text, "Internal error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mailerr_kinds),
		cmocka_unit_test(test_mailerr_unknown_is_bug),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
