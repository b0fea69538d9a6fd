/* Maildock - SPDX-License-Identifier: MIT
 *
 * IMAP response encoders: strings as atom, quoted string or literal as
 * their bytes require (B04), NIL, mailbox names in modified UTF-7 (B05),
 * flag lists and INTERNALDATE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/store.h"
#include "protocols/imap/imap-reply.h"

static int
setup(void **state)
{
	*state = arena_new(1024 * 1024);
	return 0;
}

static int
teardown(void **state)
{
	struct arena *a = *state;
	arena_free(&a);
	return 0;
}

static const char *
enc(struct arena *a, void (*fn)(struct sbuf *, const char *, size_t),
    const char *s, size_t n)
{
	struct sbuf b;

	sbuf_init(&b, a, 0);
	fn(&b, s, n);
	return b.data;
}

static void
test_imap_reply_string(void **state)
{
	assert_string_equal(enc(*state, imap_reply_append_string, "abc", 3),
			    "\"abc\"");
	assert_string_equal(enc(*state, imap_reply_append_string,
				"quote\"name", 10), "\"quote\\\"name\"");
	assert_string_equal(enc(*state, imap_reply_append_string, "a\\b", 3),
			    "\"a\\\\b\"");
	/* CR/LF and 8-bit cannot be quoted: a literal */
	assert_string_equal(enc(*state, imap_reply_append_string, "a\r\nb", 4),
			    "{4}\r\na\r\nb");
	assert_string_equal(enc(*state, imap_reply_append_string,
				"\xc3\xbc", 2), "{2}\r\n\xc3\xbc");
	assert_string_equal(enc(*state, imap_reply_append_string, "", 0),
			    "\"\"");
}

static void
test_imap_reply_astring(void **state)
{
	assert_string_equal(enc(*state, imap_reply_append_astring, "INBOX", 5),
			    "INBOX");
	assert_string_equal(enc(*state, imap_reply_append_astring, "nil", 3),
			    "\"nil\"");
	assert_string_equal(enc(*state, imap_reply_append_astring, "a b", 3),
			    "\"a b\"");
	assert_string_equal(enc(*state, imap_reply_append_astring, "a]", 2),
			    "\"a]\"");
	assert_string_equal(enc(*state, imap_reply_append_astring, "", 0),
			    "\"\"");
	assert_string_equal(enc(*state, imap_reply_append_nstring, NULL, 0),
			    "NIL");
}

static void
test_imap_reply_mailbox(void **state)
{
	struct sbuf b;

	sbuf_init(&b, *state, 0);
	assert_int_equal(imap_reply_append_mailbox(&b, "Entw\xc3\xbcrfe", false), 0);
	assert_string_equal(b.data, "\"Entw&APw-rfe\"");
	sbuf_reset(&b);
	assert_int_equal(imap_reply_append_mailbox(&b, "Tom & Jerry", false), 0);
	assert_string_equal(b.data, "\"Tom &- Jerry\"");
	sbuf_reset(&b);
	assert_int_equal(imap_reply_append_mailbox(&b, "q\"n", false), 0);
	assert_string_equal(b.data, "\"q\\\"n\"");
	sbuf_reset(&b);
	assert_int_equal(imap_reply_append_mailbox(&b, "bad\xff", false), -ERR_INVAL);
	/* after ENABLE UTF8=ACCEPT: UTF-8 in a quoted string (RFC 6855 3) */
	sbuf_reset(&b);
	assert_int_equal(imap_reply_append_mailbox(&b, "Entw\xc3\xbcrfe & \"x\"",
						   true), 0);
	assert_string_equal(b.data, "\"Entw\xc3\xbcrfe & \\\"x\\\"\"");
}

static void
test_imap_reply_flags(void **state)
{
	struct sbuf b;

	sbuf_init(&b, *state, 0);
	imap_reply_append_flag_mask(&b, 0);
	assert_string_equal(b.data, "");
	imap_reply_append_flag_mask(&b, STORE_FLAG_SEEN | STORE_FLAG_RECENT |
				    STORE_FLAG_ANSWERED);
	assert_string_equal(b.data, "\\Answered \\Seen \\Recent");
}

static void
test_imap_reply_date(void **state)
{
	struct sbuf b;

	setenv("TZ", "UTC0", 1);
	tzset();
	sbuf_init(&b, *state, 0);
	imap_reply_append_date(&b, 1500377610);	/* 18-Jul-2017 11:33:30 UTC */
	assert_string_equal(b.data, "\"18-Jul-2017 11:33:30 +0000\"");
	sbuf_reset(&b);
	setenv("TZ", "IST-5:30", 1);	/* POSIX form: no tzdata needed */
	tzset();
	imap_reply_append_date(&b, 0);
	assert_string_equal(b.data, "\"01-Jan-1970 05:30:00 +0530\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_imap_reply_string, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_reply_astring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_reply_mailbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_reply_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap_reply_date, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
