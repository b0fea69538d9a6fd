/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests of the POP3 command parser (protocols/pop3/pop3-parser.c):
 * keywords, argument shapes, number limits, and hostile input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "core/error.h"
#include "protocols/pop3/pop3-parser.h"
#include "core/compat.h"

static int
parse(const char *line, struct pop3_cmd *cmd)
{
	const char *why;
	int r = pop3_parser_parse(line, strlen(line), cmd, &why);
	assert_non_null(why);
	if (r < 0)
		assert_true(why[0] != '\0');
	return r;
}

static void
test_pop3_parser_keywords_case_insensitive(void **state)
{
	struct pop3_cmd cmd;
	assert_int_equal(parse("stat", &cmd), 0);
	assert_int_equal(cmd.id, POP3_CMD_STAT);
	assert_int_equal(parse("QuIt", &cmd), 0);
	assert_int_equal(cmd.id, POP3_CMD_QUIT);
	assert_string_equal(cmd.keyword, "QUIT");
	assert_int_equal(parse("top 1 0", &cmd), 0);
	assert_int_equal(cmd.id, POP3_CMD_TOP);
	assert_int_equal(parse("capa", &cmd), 0);
	assert_int_equal(cmd.id, POP3_CMD_CAPA);
	assert_int_equal(parse("STLS", &cmd), 0);
	assert_int_equal(parse("NOOP", &cmd), 0);
	assert_int_equal(parse("RSET", &cmd), 0);
}

static void
test_pop3_parser_unknown(void **state)
{
	struct pop3_cmd cmd;
	assert_int_equal(parse("", &cmd), -ERR_NOTFOUND);
	assert_int_equal(parse("XYZZY", &cmd), -ERR_NOTFOUND);
	assert_int_equal(parse("STA", &cmd), -ERR_NOTFOUND);
	assert_int_equal(parse("STATS", &cmd), -ERR_NOTFOUND);
	assert_int_equal(parse(" STAT", &cmd), -ERR_NOTFOUND);
	assert_int_equal(parse("APOP alice 0123456789abcdef", &cmd),
			 -ERR_NOTFOUND);
}

static void
test_pop3_parser_no_args(void **state)
{
	struct pop3_cmd cmd;
	assert_int_equal(parse("STAT 1", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("QUIT now", &cmd), -ERR_SYNTAX);
	/* trailing blanks are tolerated */
	assert_int_equal(parse("STAT ", &cmd), 0);
	assert_int_equal(parse("NOOP   ", &cmd), 0);
}

static void
test_pop3_parser_msg_numbers(void **state)
{
	struct pop3_cmd cmd;
	assert_int_equal(parse("LIST", &cmd), 0);
	assert_int_equal(cmd.nnums, 0);
	assert_int_equal(parse("LIST 2", &cmd), 0);
	assert_int_equal(cmd.nnums, 1);
	assert_int_equal(cmd.num[0], 2);
	assert_int_equal(parse("UIDL 4294967295", &cmd), 0);
	assert_int_equal(cmd.num[0], 4294967295u);
	assert_int_equal(parse("UIDL 4294967296", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("LIST 99999999999999999999", &cmd),
			 -ERR_SYNTAX);
	assert_int_equal(parse("LIST 0", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("LIST -1", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("LIST +1", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("LIST 1x", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("LIST 1 2", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("RETR", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("RETR 1", &cmd), 0);
	assert_int_equal(parse("DELE 7", &cmd), 0);
	assert_int_equal(cmd.num[0], 7);
	assert_int_equal(parse("DELE 1 2", &cmd), -ERR_SYNTAX);
}

/* B41: TOP n 0 is valid, missing or negative line counts are not */
static void
test_pop3_parser_top(void **state)
{
	struct pop3_cmd cmd;
	assert_int_equal(parse("TOP 1 0", &cmd), 0);
	assert_int_equal(cmd.nnums, 2);
	assert_int_equal(cmd.num[0], 1);
	assert_int_equal(cmd.num[1], 0);
	assert_int_equal(parse("TOP 3 4294967295", &cmd), 0);
	assert_int_equal(cmd.num[1], 4294967295u);
	assert_int_equal(parse("TOP", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("TOP 1", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("TOP 1 -1", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("TOP 0 1", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("TOP 1 1 1", &cmd), -ERR_SYNTAX);
}

static void
test_pop3_parser_user_pass(void **state)
{
	struct pop3_cmd cmd;
	assert_int_equal(parse("USER alice@example.org", &cmd), 0);
	assert_int_equal(cmd.id, POP3_CMD_USER);
	assert_int_equal(cmd.arg.len, strlen("alice@example.org"));
	assert_memory_equal(cmd.arg.p, "alice@example.org", cmd.arg.len);
	assert_int_equal(parse("USER alice  ", &cmd), 0);
	assert_int_equal(cmd.arg.len, 5);
	/* a password keeps its blanks */
	assert_int_equal(parse("PASS  a b ", &cmd), 0);
	assert_int_equal(cmd.arg.len, 5);
	assert_memory_equal(cmd.arg.p, " a b ", 5);
	assert_int_equal(parse("PASS a\\b\"c d", &cmd), 0);
	assert_int_equal(cmd.arg.len, 7);
	assert_int_equal(parse("USER", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("USER ", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("USER   ", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("PASS", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("PASS ", &cmd), -ERR_SYNTAX);
}

static void
test_pop3_parser_auth(void **state)
{
	struct pop3_cmd cmd;
	assert_int_equal(parse("AUTH", &cmd), 0);
	assert_int_equal(cmd.arg.len, 0);
	assert_int_equal(parse("AUTH PLAIN", &cmd), 0);
	assert_int_equal(cmd.arg.len, 5);
	assert_int_equal(cmd.arg2.len, 0);
	assert_int_equal(parse("AUTH PLAIN AGFsaWNlAHNlY3JldA==", &cmd), 0);
	assert_int_equal(cmd.arg2.len, strlen("AGFsaWNlAHNlY3JldA=="));
	assert_int_equal(parse("AUTH PLAIN =", &cmd), 0);
	assert_int_equal(cmd.arg2.len, 1);
	assert_int_equal(parse("AUTH PLAIN a b", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("AUTH PLAIN a*b", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("AUTH "
			       "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
			       &cmd), -ERR_SYNTAX);
}

static void
test_pop3_parser_hostile_bytes(void **state)
{
	struct pop3_cmd cmd;
	const char *why;
	assert_int_equal(pop3_parser_parse("STAT\0", 5, &cmd, &why),
			 -ERR_SYNTAX);
	assert_int_equal(pop3_parser_parse("PASS a\0b", 8, &cmd, &why),
			 -ERR_SYNTAX);
	assert_int_equal(parse("LIST \x01", &cmd), -ERR_SYNTAX);
	assert_int_equal(parse("LIST \xff", &cmd), -ERR_SYNTAX);
	/* a tab is not a separator */
	assert_int_equal(parse("LIST\t1", &cmd), -ERR_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pop3_parser_keywords_case_insensitive),
		cmocka_unit_test(test_pop3_parser_unknown),
		cmocka_unit_test(test_pop3_parser_no_args),
		cmocka_unit_test(test_pop3_parser_msg_numbers),
		cmocka_unit_test(test_pop3_parser_top),
		cmocka_unit_test(test_pop3_parser_user_pass),
		cmocka_unit_test(test_pop3_parser_auth),
		cmocka_unit_test(test_pop3_parser_hostile_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
