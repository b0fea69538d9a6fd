/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for Maildir file-name flags and sizes, modified UTF-7 and
 * folder-name validation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "storage/maildir/maildir.h"
#include "core/error.h"

static void
test_maildir_flags_parse(void **state)
{
	(void)state;
	assert_int_equal(maildir_flags_parse("123.M1P2.host"), 0);
	assert_int_equal(maildir_flags_parse("123.host:2,"), 0);
	assert_int_equal(maildir_flags_parse("123.host:2,DFRST"),
			 STORE_FLAG_DRAFT | STORE_FLAG_FLAGGED |
			 STORE_FLAG_ANSWERED | STORE_FLAG_SEEN |
			 STORE_FLAG_DELETED);
	assert_int_equal(maildir_flags_parse("123.host:2,Sa"),
			 STORE_FLAG_SEEN);
	assert_int_equal(maildir_flags_parse("123.host:1,S"), 0);
	assert_int_equal(maildir_base_len("123.host:2,S"), 8);
	assert_int_equal(maildir_base_len("123.host"), 8);
}

static void
test_maildir_flags_name_sorted_and_preserving(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(maildir_flags_name("1.h", STORE_FLAG_SEEN |
					    STORE_FLAG_DRAFT, buf,
					    sizeof(buf)), 0);
	assert_string_equal(buf, "1.h:2,DS");
	/* P (passed) and Dovecot keyword letters stay; RECENT never stored */
	assert_int_equal(maildir_flags_name("1.h,S=5:2,PSab",
					    STORE_FLAG_FLAGGED |
					    STORE_FLAG_RECENT, buf,
					    sizeof(buf)), 0);
	assert_string_equal(buf, "1.h,S=5:2,FPab");
	assert_int_equal(maildir_flags_name("1.h:2,S", 0, buf, 5), -ERR_LIMIT);
}

static void
test_maildir_flags_sizes(void **state)
{
	uint64_t v;

	(void)state;
	assert_true(maildir_size_parse("1.M2.h,S=1234,W=1260:2,S", 'S', &v));
	assert_int_equal(v, 1234);
	assert_true(maildir_size_parse("1.M2.h,S=1234,W=1260:2,S", 'W', &v));
	assert_int_equal(v, 1260);
	assert_false(maildir_size_parse("1.M2.h:2,S", 'S', &v));
	assert_false(maildir_size_parse("1.M2.h,S=:2,S", 'S', &v));
	assert_false(maildir_size_parse("1.M2.h,S=12x", 'S', &v));
	/* the info part is not the base name */
	assert_false(maildir_size_parse("1.M2.h:2,S,S=5", 'S', &v));
}

static void
test_maildir_mutf7_vectors(void **state)
{
	static const struct {
		const char *utf8, *mutf7;
	} v[] = {
		{ "INBOX", "INBOX" },
		{ "Entw\xc3\xbcrfe", "Entw&APw-rfe" },
		{ "a&b", "a&-b" },
		{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "&ZeVnLIqe-" },
		{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c"
		  "\xac\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
		{ "\xf0\x9f\x98\x80", "&2D3eAA-" },
	};
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(store_mutf7_encode(v[i].utf8,
						    strlen(v[i].utf8), buf,
						    sizeof(buf)),
				 (int)strlen(v[i].mutf7));
		assert_string_equal(buf, v[i].mutf7);
		assert_int_equal(store_mutf7_decode(v[i].mutf7,
						    strlen(v[i].mutf7), buf,
						    sizeof(buf)),
				 (int)strlen(v[i].utf8));
		assert_string_equal(buf, v[i].utf8);
	}
}

static void
test_maildir_mutf7_rejects_noncanonical(void **state)
{
	static const char *const bad[] = {
		"&AGE-",	/* 'a' encoded: printable ASCII */
		"&ZeVnLIqe",	/* no closing '-' */
		"&-&",		/* dangling shift */
		"&ZeV-",	/* leftover bits */
		"&ZeVnLIqe-&U,BTFw-",	/* two adjacent runs */
		"&2D0-",	/* lone high surrogate */
		"a\x80",	/* raw 8-bit */
		"Foo&AAA-bar",	/* U+0000 would cut the name short */
		"&AAE-",	/* control character is fine to encode... */
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i + 1 < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(store_mutf7_decode(bad[i], strlen(bad[i]), buf,
					       sizeof(buf)) < 0);
	/* encoder: invalid UTF-8 and too small buffers */
	assert_int_equal(store_mutf7_encode("\xc3", 1, buf, sizeof(buf)),
			 -ERR_INVAL);
	assert_int_equal(store_mutf7_encode("\xed\xa0\x80", 3, buf,
					    sizeof(buf)), -ERR_INVAL);
	assert_int_equal(store_mutf7_encode("abcdef", 6, buf, 4), -ERR_LIMIT);
}

static void
test_maildir_mutf7_long_run_round_trip(void **state)
{
	/* 300 CJK characters: one encoded run of 300 UTF-16 units */
	static char utf8[300 * 3 + 1], enc[2048], dec[2048];

	(void)state;
	for (int i = 0; i < 300; i++)
		memcpy(utf8 + i * 3, "\xe6\x97\xa5", 3);
	int n = store_mutf7_encode(utf8, strlen(utf8), enc, sizeof(enc));
	assert_true(n > 0);
	assert_int_equal(enc[0], '&');
	assert_null(strchr(enc + 1, '&'));	/* one run, canonical */
	assert_int_equal(store_mutf7_decode(enc, (size_t)n, dec, sizeof(dec)),
			 (int)strlen(utf8));
	assert_string_equal(dec, utf8);
}

static void
test_maildir_name_check(void **state)
{
	char buf[512];

	(void)state;
	assert_int_equal(maildir_name_check("Work"), 0);
	assert_int_equal(maildir_name_check("Work.2024.Q1"), 0);
	assert_int_equal(maildir_name_check("Entw\xc3\xbcrfe"), 0);
	assert_int_equal(maildir_name_check(""), -ERR_INVAL);
	assert_int_equal(maildir_name_check("a/b"), -ERR_INVAL);
	assert_int_equal(maildir_name_check(".."), -ERR_INVAL);
	assert_int_equal(maildir_name_check("a..b"), -ERR_INVAL);
	assert_int_equal(maildir_name_check(".hidden"), -ERR_INVAL);
	assert_int_equal(maildir_name_check("a."), -ERR_INVAL);
	assert_int_equal(maildir_name_check("a\tb"), -ERR_INVAL);
	assert_int_equal(maildir_name_check("a\x7f"), -ERR_INVAL);
	assert_int_equal(maildir_name_check("bad\xff"), -ERR_INVAL);
	assert_true(maildir_name_is_inbox("iNbOx"));
	assert_int_equal(maildir_name_to_dir("/m", "inbox", buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "/m");
	assert_int_equal(maildir_name_to_dir("/m", "Entw\xc3\xbcrfe.A", buf,
					     sizeof(buf)), 0);
	assert_string_equal(buf, "/m/.Entw&APw-rfe.A");
	assert_int_equal(maildir_name_from_disk(".Entw&APw-rfe.A", buf,
						sizeof(buf)), 0);
	assert_string_equal(buf, "Entw\xc3\xbcrfe.A");
	assert_true(maildir_name_from_disk("..deleted.x", buf,
					   sizeof(buf)) < 0);
	/* Courier-IMAP 5 spells names in UTF-8; a bare '&' stays as it is */
	assert_int_equal(maildir_name_from_disk(".Gel\xc3\xb6scht", buf,
						sizeof(buf)), 0);
	assert_string_equal(buf, "Gel\xc3\xb6scht");
	assert_int_equal(maildir_name_from_disk(".A&B", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "A&B");
	assert_true(maildir_name_from_disk(".bad\xff", buf, sizeof(buf)) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maildir_flags_parse),
		cmocka_unit_test(test_maildir_flags_name_sorted_and_preserving),
		cmocka_unit_test(test_maildir_flags_sizes),
		cmocka_unit_test(test_maildir_mutf7_vectors),
		cmocka_unit_test(test_maildir_mutf7_rejects_noncanonical),
		cmocka_unit_test(test_maildir_mutf7_long_run_round_trip),
		cmocka_unit_test(test_maildir_name_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
