/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests of the FETCH item parser (RFC 3501 6.4.5, section 9
 * "fetch-att"): macros, simple items, BODY[section]<partial> forms, the
 * response names, and the refusals (B20's <0.0>).
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/arena.h"
#include "core/error.h"
#include "protocols/imap/imap-parser.h"
#include "protocols/imap/imap-fetch.h"
#include "core/compat.h"

static const struct imap_parser_limits limits = {
	.line_max = 65536, .tag_max = 64, .literal_max = 65536,
	.command_max = 65536, .depth_max = 16,
};

/* parse "a FETCH 1 <items>" and hand <items> to imap_fetch_parse */
static int
parse(struct arena *a, const char *items, bool uid,
      struct imap_fetch_items *it)
{
	struct imap_parser *p = imap_parser_new(a, &limits);
	char *line = arena_printf(a, "a FETCH 1 %s\r\n", items);
	const struct imap_arg *args;
	const char *err;
	unsigned argc;
	size_t used;
	int ret;

	ret = imap_parser_feed(p, line, strlen(line), &used);
	if (ret != IMAP_PARSE_DONE) {
		imap_parser_free(&p);
		return -1000;	/* not even a command */
	}
	args = imap_parser_args(p, &argc);
	assert_int_equal(argc, 2);
	ret = imap_fetch_parse(a, &args[1], uid, it, &err);
	if (ret < 0)
		assert_non_null(err);
	imap_parser_free(&p);
	return ret;
}

static void
test_imap_fetch_parse_macros_and_items(void **state)
{
	struct arena *a = arena_new(0);
	struct imap_fetch_items it;

	assert_int_equal(parse(a, "ALL", false, &it), 0);
	assert_int_equal(it.items, IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
			 IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_ENVELOPE);
	assert_true(it.needs_file);
	assert_int_equal(parse(a, "fast", false, &it), 0);
	assert_false(it.needs_file);
	assert_int_equal(parse(a, "FULL", true, &it), 0);
	assert_true(it.items & IMAP_FETCH_BODY);
	assert_true(it.items & IMAP_FETCH_UID);	/* UID FETCH adds UID */
	assert_int_equal(parse(a, "(FLAGS UID RFC822.SIZE)", false, &it), 0);
	assert_false(it.needs_file);
	assert_int_equal(it.nsections, 0);
	assert_int_equal(parse(a, "(BODYSTRUCTURE envelope)", false, &it), 0);
	assert_true(it.needs_file);
	assert_int_equal(parse(a, "(RFC822 RFC822.HEADER RFC822.TEXT)", false,
			       &it), 0);
	assert_int_equal(it.nsections, 3);
	assert_string_equal(it.sections[0].name, "RFC822");
	assert_false(it.sections[0].peek);
	assert_true(it.sections[1].peek);	/* RFC822.HEADER is a PEEK */
	assert_int_equal(it.sections[2].sec.kind, MIME_SECTION_TEXT);
	assert_true(it.sets_seen);
	arena_free(&a);
}

static void
test_imap_fetch_parse_sections(void **state)
{
	static const struct {
		const char *in, *name;
		enum mime_section_kind kind;
		size_t nums, nfields;
		bool peek, partial;
		uint64_t start, len;
	} cases[] = {
		{ "BODY[]", "BODY[]", MIME_SECTION_FULL, 0, 0, false, false,
		  0, 0 },
		{ "BODY.PEEK[]<0.100>", "BODY[]", MIME_SECTION_FULL, 0, 0, true,
		  true, 0, 100 },
		{ "body.peek[header]", "BODY[HEADER]", MIME_SECTION_HEADER,
		  0, 0, true, false, 0, 0 },
		{ "BODY[TEXT]<25.10>", "BODY[TEXT]", MIME_SECTION_TEXT, 0, 0,
		  false, true, 25, 10 },
		{ "BODY[2.MIME]", "BODY[2.MIME]", MIME_SECTION_MIME, 1, 0,
		  false, false, 0, 0 },
		{ "BODY[1.2.3]", "BODY[1.2.3]", MIME_SECTION_FULL, 3, 0, false,
		  false, 0, 0 },
		{ "BODY[2.HEADER]", "BODY[2.HEADER]", MIME_SECTION_HEADER, 1, 0,
		  false, false, 0, 0 },
		{ "BODY[HEADER.FIELDS (From \"X-A\")]",
		  "BODY[HEADER.FIELDS (From X-A)]", MIME_SECTION_HEADER_FIELDS,
		  0, 2, false, false, 0, 0 },
		{ "BODY.PEEK[3.HEADER.FIELDS.NOT (SUBJECT)]<4294967295.1>",
		  "BODY[3.HEADER.FIELDS.NOT (SUBJECT)]",
		  MIME_SECTION_HEADER_FIELDS_NOT, 1, 1, true, true,
		  4294967295u, 1 },
	};
	struct arena *a = arena_new(0);
	struct imap_fetch_items it;
	size_t i;

	for (i = 0; i < N_ELEMENTS(cases); i++) {
		const struct imap_fetch_section *s;

		if (parse(a, cases[i].in, false, &it) != 0)
			fail_msg("\"%s\" refused", cases[i].in);
		assert_int_equal(it.nsections, 1);
		s = &it.sections[0];
		assert_string_equal(s->name, cases[i].name);
		assert_int_equal(s->sec.kind, cases[i].kind);
		assert_int_equal(s->sec.n, cases[i].nums);
		assert_int_equal(s->sec.nfields, cases[i].nfields);
		assert_int_equal(s->peek, cases[i].peek);
		assert_int_equal(s->partial, cases[i].partial);
		assert_int_equal(s->start, cases[i].start);
		assert_int_equal(s->len, cases[i].len);
	}
	arena_free(&a);
}

static void
test_imap_fetch_parse_refusals(void **state)
{
	static const char *const bad[] = {
		"FOO", "(FLAGS FOO)", "BODY.PEEK", "BODY[", "BODY[0]",
		"BODY[1.]", "BODY[MIME]", "BODY[1.0]", "BODY[TEXT.1]",
		"BODY[HEADER.FIELDS]", "BODY[HEADER.FIELDS ()]",
		"BODY[HEADER.FIELDS (A]", "BODY[]<0.0>", "BODY[]<1>",
		"BODY[]<1.2>x", "BODY[]<-1.2>", "BODY[]<4294967296.1>",
		"BODY[HEADERX]", "BODY[1.TEXTX]", "()", "(ALL)",
		"\"FLAGS\"", "BODY[]x",
	};
	struct arena *a = arena_new(0);
	struct imap_fetch_items it;
	size_t i;
	int ret;

	for (i = 0; i < N_ELEMENTS(bad); i++) {
		ret = parse(a, bad[i], false, &it);
		if (ret != -ERR_SYNTAX && ret != -1000)
			fail_msg("\"%s\" gave %d", bad[i], ret);
	}
	arena_free(&a);
}

static void
test_imap_fetch_parse_limits(void **state)
{
	struct arena *a = arena_new(0);
	struct imap_fetch_items it;
	char buf[4096];
	size_t i, o = 0;

	/* more sections than IMAP_FETCH_MAX_SECTIONS */
	buf[o++] = '(';
	for (i = 0; i <= IMAP_FETCH_MAX_SECTIONS; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "BODY[%zu] ",
				      i + 1);
	buf[o - 1] = ')';
	buf[o] = '\0';
	assert_int_equal(parse(a, buf, false, &it), -ERR_LIMIT);
	/* part numbers nested deeper than any message can be */
	o = (size_t)snprintf(buf, sizeof(buf), "BODY[1");
	for (i = 0; i < IMAP_FETCH_MAX_PART_DEPTH; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, ".1");
	snprintf(buf + o, sizeof(buf) - o, "]");
	assert_int_equal(parse(a, buf, false, &it), -ERR_LIMIT);
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap_fetch_parse_macros_and_items),
		cmocka_unit_test(test_imap_fetch_parse_sections),
		cmocka_unit_test(test_imap_fetch_parse_refusals),
		cmocka_unit_test(test_imap_fetch_parse_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
