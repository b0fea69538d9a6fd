/* Maildock - SPDX-License-Identifier: MIT
 *
 * The IMAP command table: every command is found by the binary search
 * (so the table is sorted), with the central checks each row declares.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "protocols/imap/imap-commands.h"

static const char *const names[] = {
	"APPEND", "AUTHENTICATE", "CANCELUPDATE", "CAPABILITY", "CHECK",
	"CLOSE", "COPY",
	"CREATE", "DELETE", "DELETEACL", "ENABLE", "EXAMINE", "EXPUNGE",
	"FETCH", "GETACL", "GETQUOTA", "GETQUOTAROOT", "ID", "IDLE", "LIST",
	"LISTRIGHTS", "LOGIN", "LOGOUT", "LSUB", "MOVE", "MYRIGHTS",
	"NAMESPACE", "NOOP", "RENAME", "SEARCH", "SELECT", "SETACL",
	"SETQUOTA", "SORT", "STARTTLS", "STATUS", "STORE", "SUBSCRIBE",
	"THREAD", "UNSELECT", "UNSUBSCRIBE",
};

static void
test_imap_commands_find_all(void **state)
{
	for (size_t i = 0; i < N_ELEMENTS(names); i++) {
		const struct imap_command *c = imap_command_find(names[i]);
		assert_non_null(c);
		assert_string_equal(c->name, names[i]);
		assert_non_null(c->fn);
		assert_true(c->min_args <= c->max_args);
	}
	assert_null(imap_command_find("UID"));
	assert_null(imap_command_find("login"));
	assert_null(imap_command_find(""));
	assert_null(imap_command_find("ZZZ"));
}

static void
test_imap_commands_rows(void **state)
{
	const struct imap_command *c;

	c = imap_command_find("LOGIN");
	assert_int_equal(c->states, IMAP_ST_NOAUTH);
	assert_true(c->flags & IMAP_CMDF_PLAINTEXT);
	for (const char *const *n = (const char *const[]){ "FETCH", "STORE",
	     "SEARCH", "SORT", "THREAD", NULL }; *n != NULL; n++) {
		c = imap_command_find(*n);
		/* no EXPUNGE during them (RFC 3501 7.4.1), UID prefix */
		assert_true(c->flags & IMAP_CMDF_NO_SYNC);
		assert_true(c->flags & IMAP_CMDF_UID);
		assert_int_equal(c->states, IMAP_ST_SELECTED);
	}
	assert_true(imap_command_find("COPY")->flags & IMAP_CMDF_UID);
	assert_true(imap_command_find("EXPUNGE")->flags & IMAP_CMDF_UID);
	assert_false(imap_command_find("SELECT")->flags & IMAP_CMDF_UID);
	assert_true(imap_command_find("APPEND")->flags & IMAP_CMDF_STREAM);
	assert_true(imap_command_find("CAPABILITY")->states & IMAP_ST_NOAUTH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap_commands_find_all),
		cmocka_unit_test(test_imap_commands_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
