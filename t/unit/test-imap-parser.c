/* Maildock - SPDX-License-Identifier: MIT
 *
 * The IMAP command parser: tags, atoms, quoted strings, literals (sync and
 * LITERAL+), lists, limits, and the same results whether the input comes
 * at once or byte by byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "core/arena.h"
#include "core/error.h"
#include "protocols/imap/imap-parser.h"

struct fixture {
	struct arena *arena;
	struct imap_parser *p;
	unsigned literals;	/* announcements seen */
	uint64_t last_size;
	bool last_sync;
};

static const struct imap_parser_limits limits = {
	.line_max = 200, .tag_max = 16, .literal_max = 100,
	.command_max = 1000, .depth_max = 4,
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->arena = arena_new(1024 * 1024);
	f->p = imap_parser_new(f->arena, &limits);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	imap_parser_free(&f->p);
	arena_free(&f->arena);
	free(f);
	return 0;
}

/* run: feed s in chunks of step bytes (0: all at once), continuing after
 * every literal announcement as the session would */
static int
run(struct fixture *f, const char *s, size_t len, size_t step)
{
	size_t off = 0;

	imap_parser_reset(f->p, f->arena);
	f->literals = 0;
	for (;;) {
		size_t n = len - off, used;
		if (step != 0 && n > step)
			n = step;
		int r = imap_parser_feed(f->p, s + off, n, &used);
		off += used;
		if (r == IMAP_PARSE_LITERAL) {
			bool top;
			unsigned argc;
			imap_parser_literal(f->p, &f->last_size, &f->last_sync,
					    &top, &argc);
			f->literals++;
			continue;
		}
		if (r != IMAP_PARSE_MORE)
			return r;
		if (off == len)
			return IMAP_PARSE_MORE;
	}
}

static int
run_all(struct fixture *f, const char *s)
{
	return run(f, s, strlen(s), 0);
}

static void
test_imap_parser_simple(void **state)
{
	struct fixture *f = *state;
	unsigned argc;

	assert_int_equal(run_all(f, "a1 noop\r\n"), IMAP_PARSE_DONE);
	assert_string_equal(imap_parser_tag(f->p), "a1");
	assert_string_equal(imap_parser_name(f->p), "NOOP");
	imap_parser_args(f->p, &argc);
	assert_int_equal(argc, 0);
}

static void
test_imap_parser_args(void **state)
{
	struct fixture *f = *state;
	const struct imap_arg *a, *l;
	unsigned argc, n;
	const char *s;

	assert_int_equal(run_all(f, "t LOGIN \"a\\\\b\\\"c d\" nil "
				 "(\\Seen (x y) \"\") 1:*,3\r\n"),
			 IMAP_PARSE_DONE);
	a = imap_parser_args(f->p, &argc);
	assert_int_equal(argc, 4);
	assert_true(imap_arg_string(&a[0], &s));
	assert_string_equal(s, "a\\b\"c d");
	assert_int_equal(a[1].type, IMAP_ARG_NIL);
	assert_true(imap_arg_astring(&a[1], &s));
	assert_true(imap_arg_nstring(&a[1], &s));
	assert_null(s);
	assert_true(imap_arg_list(&a[2], &l, &n));
	assert_int_equal(n, 3);
	assert_true(imap_arg_atom_eq(&l[0], "\\seen"));
	assert_int_equal(l[1].type, IMAP_ARG_LIST);
	assert_int_equal(l[1].count, 2);
	assert_string_equal(l[1].list[1].str, "y");
	assert_int_equal(l[2].type, IMAP_ARG_QUOTED);
	assert_int_equal(l[2].len, 0);
	assert_true(imap_arg_atom(&a[3], &s));
	assert_string_equal(s, "1:*,3");
}

static void
test_imap_parser_fetch_section(void **state)
{
	struct fixture *f = *state;
	const struct imap_arg *a;
	unsigned argc;

	assert_int_equal(run_all(f, "a FETCH 1 (UID BODY.PEEK[HEADER.FIELDS "
				 "(From \"To\")]<0.10> FLAGS)\r\n"),
			 IMAP_PARSE_DONE);
	a = imap_parser_args(f->p, &argc);
	assert_int_equal(argc, 2);
	assert_int_equal(a[1].count, 3);
	assert_string_equal(a[1].list[1].str,
			    "BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.10>");
	assert_int_equal(run_all(f, "a FETCH 1 BODY[]\r\n"), IMAP_PARSE_DONE);
}

static void
test_imap_parser_literal_sync(void **state)
{
	struct fixture *f = *state;
	const struct imap_arg *a;
	unsigned argc;
	const char *in = "a1 LOGIN {5}\r\nal\0ce {8}\r\nsecret-1\r\n";

	assert_int_equal(run(f, in, 36, 0), IMAP_PARSE_DONE);
	assert_int_equal(f->literals, 2);
	assert_true(f->last_sync);
	a = imap_parser_args(f->p, &argc);
	assert_int_equal(argc, 2);
	assert_int_equal(a[0].type, IMAP_ARG_LITERAL);
	assert_int_equal(a[0].len, 5);
	assert_true(a[0].has_nul);
	assert_false(imap_arg_string(&a[0], &in));
	assert_string_equal(a[1].str, "secret-1");
}

static void
test_imap_parser_literal_plus(void **state)
{
	struct fixture *f = *state;
	const struct imap_arg *a;
	unsigned argc;

	/* B01: the new Outlook's one-write LOGIN */
	assert_int_equal(run_all(f, "a1 LOGIN {17+}\r\nalice@example.org "
				 "{8+}\r\nsecret-1\r\n"), IMAP_PARSE_DONE);
	assert_int_equal(f->literals, 2);
	assert_false(f->last_sync);
	a = imap_parser_args(f->p, &argc);
	assert_string_equal(a[0].str, "alice@example.org");
	assert_int_equal(run_all(f, "a3 LOGIN {+5}\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a3 LOGIN {5++}\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a3 LOGIN {}\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a3 LOGIN {5} \r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a3 LOGIN {-1}\r\n"), -ERR_SYNTAX);
}

static void
test_imap_parser_literal_empty(void **state)
{
	struct fixture *f = *state;
	const struct imap_arg *a;
	unsigned argc;

	assert_int_equal(run_all(f, "a SELECT {0}\r\n\r\n"), IMAP_PARSE_DONE);
	a = imap_parser_args(f->p, &argc);
	assert_int_equal(argc, 1);
	assert_int_equal(a[0].type, IMAP_ARG_LITERAL);
	assert_int_equal(a[0].len, 0);
}

static void
test_imap_parser_literal_limits(void **state)
{
	struct fixture *f = *state;

	/* B40: above 32 bits is refused while reading the digits */
	assert_int_equal(run_all(f, "a1 LOGIN {99999999999}\r\n"), -ERR_LIMIT);
	assert_int_equal(run_all(f, "a1 LOGIN {4294967296}\r\n"), -ERR_LIMIT);
	/* a 32-bit size is announced; the caller decides; data over the
	 * parser's own limit is refused */
	assert_int_equal(run_all(f, "a1 LOGIN {4294967295}\r\n"),
			 IMAP_PARSE_MORE);
	assert_int_equal(f->last_size, 4294967295u);
	assert_int_equal(run_all(f, "a1 LOGIN {4294967295}\r\nx"), -ERR_LIMIT);
	assert_int_equal(run_all(f, "a1 LOGIN {101}\r\nx"), -ERR_LIMIT);
}

static void
test_imap_parser_literal_skip(void **state)
{
	struct fixture *f = *state;
	const struct imap_arg *a;
	unsigned argc;
	size_t used;
	uint64_t size;
	bool sync, top;
	const char *l1 = "a APPEND INBOX (\\Seen) {3000000}\r\n";

	imap_parser_reset(f->p, f->arena);
	assert_int_equal(imap_parser_feed(f->p, l1, strlen(l1), &used),
			 IMAP_PARSE_LITERAL);
	assert_int_equal(used, strlen(l1));
	imap_parser_literal(f->p, &size, &sync, &top, &argc);
	assert_int_equal(size, 3000000);
	assert_true(sync);
	assert_true(top);
	assert_int_equal(argc, 2);
	imap_parser_literal_skip(f->p);
	assert_int_equal(imap_parser_feed(f->p, "\r\n", 2, &used),
			 IMAP_PARSE_DONE);
	a = imap_parser_args(f->p, &argc);
	assert_int_equal(argc, 3);
	assert_int_equal(a[2].type, IMAP_ARG_LITERAL_SIZE);
	assert_int_equal(a[2].literal_size, 3000000);
}

static void
test_imap_parser_syntax_errors(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run_all(f, "\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a1\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a+1 NOOP\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a1 X (a\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a1 X a)\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a1 X \"a\\b\"\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a1 X \"ab\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a1 X a\"b\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a1 X \"\xc3\xbc\"\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a1 X \xc3\xbc\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a1 X a\rb\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a1 X\n"), -ERR_SYNTAX);
	/* after an error nothing more is accepted until reset */
	size_t used;
	assert_int_equal(imap_parser_feed(f->p, "a", 1, &used), -ERR_SYNTAX);
	assert_string_not_equal(imap_parser_error(f->p), "");
}

static void
test_imap_parser_limits(void **state)
{
	struct fixture *f = *state;
	char line[400];

	assert_int_equal(run_all(f, "a X ((((x))))\r\n"), IMAP_PARSE_DONE);
	assert_int_equal(run_all(f, "a X (((((x)))))\r\n"), -ERR_LIMIT);
	memset(line, 'x', sizeof(line));
	memcpy(line, "a X ", 4);
	memcpy(line + sizeof(line) - 3, "\r\n", 3);
	assert_int_equal(run_all(f, line), -ERR_LIMIT);
	assert_int_equal(run_all(f, "12345678901234567 NOOP\r\n"),
			 -ERR_SYNTAX);
}

static void
test_imap_parser_bytewise(void **state)
{
	struct fixture *f = *state;
	const char *in = "tag UID fetch 1:* (FLAGS BODY[TEXT]<0.5>) "
			 "{3}\r\nabc \"q\\\"\" {0+}\r\n\r\n";
	const struct imap_arg *a;
	unsigned argc;

	assert_int_equal(run(f, in, strlen(in), 1), IMAP_PARSE_DONE);
	a = imap_parser_args(f->p, &argc);
	assert_int_equal(argc, 6);
	assert_string_equal(imap_parser_name(f->p), "UID");
	assert_string_equal(a[0].str, "fetch");
	assert_string_equal(a[2].list[1].str, "BODY[TEXT]<0.5>");
	assert_string_equal(a[3].str, "abc");
	assert_string_equal(a[4].str, "q\"");
	assert_int_equal(a[5].len, 0);
}

static void
test_imap_parser_utf8_literal8(void **state)
{
	struct fixture *f = *state;
	const struct imap_arg *a;
	unsigned argc, depth, count;
	size_t used;
	const char *l1 = "a APPEND INBOX UTF8 (~{4}\r\n";

	/* 8-bit in a quoted string only after ENABLE UTF8=ACCEPT */
	assert_int_equal(run_all(f, "a CREATE \"\xc3\xbc\"\r\n"), -ERR_SYNTAX);
	imap_parser_set_utf8(f->p, true);
	assert_int_equal(run_all(f, "a CREATE \"\xc3\xbc\"\r\n"),
			 IMAP_PARSE_DONE);
	assert_int_equal(run_all(f, "a CREATE \"\xc3\"\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a CREATE \"\xed\xa0\x80\"\r\n"),
			 -ERR_SYNTAX);			/* a surrogate */
	assert_int_equal(run_all(f, "a CREATE \xc3\xbc\r\n"), -ERR_SYNTAX);
	imap_parser_set_utf8(f->p, false);
	/* literal8 inside APPEND's UTF8 list */
	imap_parser_reset(f->p, f->arena);
	assert_int_equal(imap_parser_feed(f->p, l1, strlen(l1), &used),
			 IMAP_PARSE_LITERAL);
	assert_true(imap_parser_literal8(f->p));
	depth = imap_parser_depth(f->p, &count);
	assert_int_equal(depth, 1);
	assert_int_equal(count, 0);
	imap_parser_literal_skip(f->p);
	assert_int_equal(imap_parser_feed(f->p, ")\r\n", 3, &used),
			 IMAP_PARSE_DONE);
	a = imap_parser_args(f->p, &argc);
	assert_int_equal(argc, 3);
	assert_int_equal(a[2].count, 1);
	assert_int_equal(a[2].list[0].type, IMAP_ARG_LITERAL_SIZE);
	assert_true(a[2].list[0].literal8);
	/* '~' is an ATOM-CHAR unless "{" follows (RFC 3516 4.1) */
	assert_int_equal(run_all(f, "a X ~x ~\r\n"), IMAP_PARSE_DONE);
	a = imap_parser_args(f->p, &argc);
	assert_int_equal(argc, 2);
	assert_int_equal(a[0].type, IMAP_ARG_ATOM);
	assert_string_equal(a[0].str, "~x");
	assert_string_equal(a[1].str, "~");
	assert_int_equal(run_all(f, "a X ~(\r\n"), -ERR_SYNTAX);
	assert_int_equal(run_all(f, "a X ~{2}\r\nab\r\n"), IMAP_PARSE_DONE);
}

static void
test_imap_parser_pipelined(void **state)
{
	struct fixture *f = *state;
	const char *in = "a NOOP\r\nb NOOP\r\n";
	size_t used;

	imap_parser_reset(f->p, f->arena);
	assert_int_equal(imap_parser_feed(f->p, in, strlen(in), &used),
			 IMAP_PARSE_DONE);
	assert_int_equal(used, 8);
	imap_parser_reset(f->p, f->arena);
	assert_int_equal(imap_parser_feed(f->p, in + 8, 8, &used),
			 IMAP_PARSE_DONE);
	assert_string_equal(imap_parser_tag(f->p), "b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_imap_parser_simple, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_parser_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_parser_fetch_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_parser_literal_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_parser_literal_plus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_parser_literal_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_parser_literal_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_parser_literal_skip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_parser_syntax_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_parser_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_parser_bytewise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_parser_utf8_literal8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_parser_pipelined, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
