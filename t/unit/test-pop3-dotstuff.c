/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests of the RETR/TOP output filter (protocols/pop3/pop3-dotstuff.c):
 * CRLF conversion, dot-stuffing, TOP line counts, and chunk boundaries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "protocols/pop3/pop3-dotstuff.h"
#include "core/compat.h"

/* Run msg through the filter in chunks of step bytes; return the output
 * (static buffer). */
static const char *
run(const char *msg, bool top, uint64_t lines, size_t step)
{
	static char out[8192];
	struct pop3_dotstuff d;
	size_t n = strlen(msg), o = 0;

	pop3_dotstuff_init(&d, top, lines);
	for (size_t i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;
		assert_true(o + k * POP3_DOTSTUFF_EXPANSION < sizeof(out));
		o += pop3_dotstuff_feed(&d, msg + i, k, out + o);
	}
	o += pop3_dotstuff_finish(&d, out + o);
	out[o] = '\0';
	return out;
}

static void
check_all_steps(const char *msg, bool top, uint64_t lines, const char *want)
{
	for (size_t step = 1; step <= strlen(msg) + 1; step++)
		assert_string_equal(run(msg, top, lines, step), want);
}

#define F5 "From: alice@example.org\r\nSubject: dots\r\n\r\nfirst\r\n.\r\n.dot\r\nlast\r\n"
#define F5_WIRE "From: alice@example.org\r\nSubject: dots\r\n\r\nfirst\r\n..\r\n..dot\r\nlast\r\n.\r\n"

static void
test_pop3_dotstuff_f5(void **state)
{
	assert_int_equal(strlen(F5), 64);
	check_all_steps(F5, false, 0, F5_WIRE);
}

static void
test_pop3_dotstuff_f5_lf(void **state)
{
	check_all_steps("From: alice@example.org\nSubject: dots\n\nfirst\n.\n"
			".dot\nlast\n", false, 0, F5_WIRE);
}

static void
test_pop3_dotstuff_crlf_kept(void **state)
{
	check_all_steps("a\r\nb\r\n", false, 0, "a\r\nb\r\n.\r\n");
	/* a bare CR is data, not a line end */
	check_all_steps("a\rb\n", false, 0, "a\rb\r\n.\r\n");
	/* a dot after a bare CR is not at a line start */
	check_all_steps("a\r.b\n", false, 0, "a\r.b\r\n.\r\n");
}

static void
test_pop3_dotstuff_no_final_newline(void **state)
{
	check_all_steps("a\nb", false, 0, "a\r\nb\r\n.\r\n");
	check_all_steps("a\r", false, 0, "a\r\n.\r\n");
	check_all_steps(".", false, 0, "..\r\n.\r\n");
	assert_string_equal(run("", false, 0, 1), ".\r\n");
}

#define F1 "From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n" \
	"Subject: hello\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n" \
	"Message-ID: <f1@example.org>\r\n\r\nline one\r\nline two\r\n"
#define F1_HDR "From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n" \
	"Subject: hello\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n" \
	"Message-ID: <f1@example.org>\r\n\r\n"

/* B41: TOP n 0 is the header and the blank line only */
static void
test_pop3_dotstuff_top(void **state)
{
	assert_int_equal(strlen(F1), 167);
	check_all_steps(F1, true, 0, F1_HDR ".\r\n");
	check_all_steps(F1, true, 1, F1_HDR "line one\r\n.\r\n");
	check_all_steps(F1, true, 2, F1 ".\r\n");
	check_all_steps(F1, true, 99, F1 ".\r\n");
	/* LF message, dots in the counted lines */
	check_all_steps("S: x\n\n.a\n.b\nc\n", true, 2,
			"S: x\r\n\r\n..a\r\n..b\r\n.\r\n");
	/* no blank line: all header */
	check_all_steps("A: 1\nB: 2\n", true, 0, "A: 1\r\nB: 2\r\n.\r\n");
	/* an empty body line counts as a line */
	check_all_steps("A: 1\n\n\nx\n", true, 1, "A: 1\r\n\r\n\r\n.\r\n");
}

static void
test_pop3_dotstuff_done_stops_input(void **state)
{
	struct pop3_dotstuff d;
	char out[64];

	pop3_dotstuff_init(&d, true, 0);
	assert_false(pop3_dotstuff_done(&d));
	assert_int_equal(pop3_dotstuff_feed(&d, "A: 1\n\nbody\n", 11, out), 8);
	assert_true(pop3_dotstuff_done(&d));
	assert_int_equal(pop3_dotstuff_feed(&d, "more\n", 5, out), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pop3_dotstuff_f5),
		cmocka_unit_test(test_pop3_dotstuff_f5_lf),
		cmocka_unit_test(test_pop3_dotstuff_crlf_kept),
		cmocka_unit_test(test_pop3_dotstuff_no_final_newline),
		cmocka_unit_test(test_pop3_dotstuff_top),
		cmocka_unit_test(test_pop3_dotstuff_done_stops_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
