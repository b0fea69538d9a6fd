/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests of the SEARCH program: key parser (RFC 3501 6.4.4), limits,
 * case folding and substring matching, date semantics (B23), and
 * evaluation against a fake message.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>
#include "core/arena.h"
#include "core/error.h"
#include "protocols/imap/imap-search.h"
#include "core/compat.h"

/* ---- a tiny tokenizer: atoms, "quoted" strings and (lists) ----
 * Every list gets its own heap array; all of them are freed together. */


static void **allocs;
static size_t nallocs;

static void *
tok_alloc(size_t n)
{
	void *p = xcalloc(1, n);

	allocs = xrealloc(allocs, (nallocs + 1) * sizeof(*allocs));
	allocs[nallocs++] = p;
	return p;
}

static void
tok_free(void)
{
	while (nallocs > 0)
		free(allocs[--nallocs]);
}

static struct imap_search_arg *
tok_list(const char **sp, size_t *count_r)
{
	const char *s = *sp;
	size_t n = 0, cap = 8;
	struct imap_search_arg *out = xcalloc(cap, sizeof(*out));

	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == '\0' || *s == ')')
			break;
		if (n == cap) {
			cap *= 2;
			out = xrealloc(out, cap * sizeof(*out));
		}
		memset(&out[n], 0, sizeof(out[n]));
		if (*s == '(') {
			s++;
			out[n].type = IMAP_SEARCH_ARG_LIST;
			out[n].list = tok_list(&s, &out[n].count);
			assert_int_equal(*s, ')');
			s++;
		} else if (*s == '"') {
			const char *e = strchr(s + 1, '"');

			assert_non_null(e);
			out[n].type = IMAP_SEARCH_ARG_STRING;
			out[n].str = s + 1;
			out[n].len = (size_t)(e - s - 1);
			s = e + 1;
		} else {
			const char *b = s;

			while (*s != '\0' && *s != ' ' && *s != '(' &&
			       *s != ')')
				s++;
			out[n].type = IMAP_SEARCH_ARG_ATOM;
			out[n].str = b;
			out[n].len = (size_t)(s - b);
		}
		n++;
	}
	*sp = s;
	*count_r = n;
	/* keep the array reachable for tok_free */
	{
		struct imap_search_arg *kept = tok_alloc((n ? n : 1) *
							 sizeof(*out));

		memcpy(kept, out, n * sizeof(*out));
		free(out);
		return kept;
	}
}

/* parse the command-argument text into a program */
static int
parse(struct arena *a, const char *text, const char *charset,
      struct imap_search_key **prog_r, const char **error_r)
{
	struct imap_search_arg *top;
	size_t n;

	top = tok_list(&text, &n);
	return imap_search_parse(a, top, n, charset, prog_r, error_r);
}

/* ---- a fake message ---- */

struct fake {
	const char *headers[8][2];	/* name, decoded value */
	const char *body[4];		/* decoded parts */
};

static int
fake_header(void *ctx, const char *name, imap_search_chunk_fn *fn, void *fctx)
{
	struct fake *f = ctx;
	size_t i;

	for (i = 0; i < 8 && f->headers[i][0] != NULL; i++) {
		if (strcasecmp(f->headers[i][0], name) != 0)
			continue;
		if (fn(fctx, f->headers[i][1], strlen(f->headers[i][1])) ||
		    fn(fctx, NULL, 0))
			return 0;
	}
	return 0;
}

static int
fake_body(void *ctx, unsigned flags, imap_search_chunk_fn *fn, void *fctx)
{
	struct fake *f = ctx;
	size_t i, j, len;

	for (i = 0; i < 4 && f->body[i] != NULL; i++) {
		len = strlen(f->body[i]);
		/* one byte at a time: matches must survive any chunking */
		for (j = 0; j < len; j++)
			if (fn(fctx, f->body[i] + j, 1))
				return 0;
		if (fn(fctx, NULL, 0))
			return 0;
	}
	return 0;
}

static int
fake_text(void *ctx, unsigned flags, imap_search_chunk_fn *fn, void *fctx)
{
	struct fake *f = ctx;
	size_t i;

	for (i = 0; i < 8 && f->headers[i][0] != NULL; i++) {
		if (fn(fctx, f->headers[i][0], strlen(f->headers[i][0])) ||
		    fn(fctx, ": ", 2) ||
		    fn(fctx, f->headers[i][1], strlen(f->headers[i][1])) ||
		    fn(fctx, "\r\n", 2))
			return 0;
	}
	if (fn(fctx, NULL, 0))
		return 0;
	return fake_body(ctx, flags, fn, fctx);
}

static const struct imap_search_msg_ops fake_ops = {
	fake_header, fake_body, fake_text
};

static struct fake f6 = {
	.headers = {
		{ "From", "Alice <alice@example.org>" },
		{ "To", "Bob Müller <bob@example.org>" },
		{ "Subject", "Grüße aus Köln" },
		{ "Date", "Mon, 01 Jan 2024 23:30:00 -0800" },
		{ "X-Greek", "ΣΟΦΙΑ και письмо" },
	},
	.body = { "Viele Grüße", "second part with a long word" },
};

static struct imap_search_msg
msg_new(uint32_t seq, uint32_t uid, unsigned flags, time_t idate,
	uint64_t size)
{
	static const char *const kws[] = { "$Forwarded", "Work" };
	struct imap_search_msg m = {
		.seq = seq, .uid = uid, .max_seq = 10, .max_uid = 100,
		.flags = flags, .keywords = kws, .keyword_count = 2,
		.internal_date = idate, .size = size, .ops = &fake_ops,
		.ctx = &f6,
	};
	return m;
}

static int
match(const char *text, const struct imap_search_msg *m)
{
	struct arena *a = arena_new(0);
	struct imap_search_key *prog;
	const char *err;
	int ret;

	ret = parse(a, text, NULL, &prog, &err);
	assert_int_equal(ret, 0);
	ret = imap_search_match(prog, m);
	arena_free(&a);
	return ret;
}

static int
parse_err(const char *text, const char *charset)
{
	struct arena *a = arena_new(0);
	struct imap_search_key *prog;
	const char *err = NULL;
	int ret = parse(a, text, charset, &prog, &err);

	if (ret < 0)
		assert_non_null(err);
	arena_free(&a);
	return ret;
}

/* ---- tests ---- */

static void
test_imap_search_parse_every_key(void **state)
{
	static const char *const ok[] = {
		"ALL", "ANSWERED", "BCC x", "BEFORE 1-Feb-1994", "BODY x",
		"CC x", "DELETED", "DRAFT", "FLAGGED", "FROM \"a b\"",
		"HEADER X-Foo bar", "HEADER \"Message-ID\" \"\"",
		"KEYWORD $Forwarded", "LARGER 100", "NEW", "NOT SEEN",
		"OLD", "ON 01-Feb-1994", "OR SEEN FLAGGED", "RECENT", "SEEN",
		"SENTBEFORE 1-Jan-2000", "SENTON \"17-Nov-2009\"",
		"SENTSINCE 1-jan-2009", "SINCE 29-Feb-2024", "SMALLER 5",
		"SUBJECT hello", "TEXT x", "TO x", "UID 1:*,5",
		"UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED",
		"UNKEYWORD Work", "UNSEEN", "1,5,9:12,*", "*:3",
		"(SEEN FLAGGED)", "((SEEN) (NOT (FLAGGED)))", "all",
		"CHARSET UTF-8 SUBJECT x", "CHARSET us-ascii ALL",
		"OR (SMALLER 300) (LARGER 1000000)",
		"SUBJECT PATCH NOT HEADER List-Id \"\"",
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(ok); i++) {
		int ret = parse_err(ok[i], NULL);

		if (ret != 0)
			fail_msg("\"%s\" gave %d", ok[i], ret);
	}
}

static void
test_imap_search_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "FOO", "SUBJECT", "LARGER", "LARGER -1", "LARGER x",
		"LARGER 99999999999999999999999", "BEFORE 1994-02-01",
		"BEFORE 32-Jan-1994", "BEFORE 29-Feb-2023", "BEFORE 1-Jax-2000",
		"BEFORE 1-Jan-94", "OR SEEN", "NOT", "()", "0", "1:0x",
		"1,,2", "UID", "UID ALL", "\"ALL\"", "KEYWORD", "HEADER X",
		"CHARSET", "4294967296", "1:", "CHARSET (x) ALL",
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(bad); i++) {
		int ret = parse_err(bad[i], NULL);

		if (ret != -ERR_SYNTAX)
			fail_msg("\"%s\" gave %d, not -ERR_SYNTAX", bad[i],
				 ret);
	}
}

static void
test_imap_search_parse_charset(void **state)
{
	assert_int_equal(parse_err("CHARSET X-UNKNOWN SUBJECT x", NULL),
			 -ERR_INVAL);
	assert_int_equal(parse_err("CHARSET ISO-8859-1 ALL", NULL), -ERR_INVAL);
	assert_int_equal(parse_err("CHARSET \"utf-8\" ALL", NULL), 0);
	assert_int_equal(parse_err("ALL", "UTF-8"), 0);
	assert_int_equal(parse_err("ALL", "KOI8-R"), -ERR_INVAL);
	/* with a charset given by SORT, CHARSET is not a key */
	assert_int_equal(parse_err("CHARSET UTF-8 ALL", "UTF-8"), -ERR_SYNTAX);
}

static char *
repeat(const char *unit, size_t n, const char *tail)
{
	size_t ul = strlen(unit), tl = strlen(tail), i;
	char *s = xmalloc(ul * n + tl + 1);

	for (i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	memcpy(s + n * ul, tail, tl + 1);
	return s;
}

static void
test_imap_search_parse_depth_limit(void **state)
{
	char *s;

	/* 10,000 nested ORs: a clean error, not a stack overflow */
	s = repeat("OR ", 10000, "SEEN FLAGGED");
	assert_int_equal(parse_err(s, NULL), -ERR_LIMIT);
	free(s);
	s = repeat("NOT ", 10000, "SEEN");
	assert_int_equal(parse_err(s, NULL), -ERR_LIMIT);
	free(s);
	/* nesting within the bound is fine */
	s = repeat("OR SEEN ", IMAP_SEARCH_MAX_DEPTH - 1, "SEEN");
	assert_int_equal(parse_err(s, NULL), 0);
	free(s);
	/* deeply nested lists */
	{
		char *open = repeat("(", 1000, "SEEN");
		char *all = repeat(")", 1000, "");
		char *q = xmalloc(strlen(open) + strlen(all) + 1);

		memcpy(q, open, strlen(open));
		memcpy(q + strlen(open), all, strlen(all) + 1);
		assert_int_equal(parse_err(q, NULL), -ERR_LIMIT);
		free(open);
		free(all);
		free(q);
	}
	/* too many keys side by side */
	s = repeat("SEEN ", IMAP_SEARCH_MAX_KEYS + 1, "");
	assert_int_equal(parse_err(s, NULL), -ERR_LIMIT);
	free(s);
}

static void
test_imap_search_fold(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Hello WORLD", "hello world" },
		{ "KÖLN Grüße ÀÉÎÕÜ", "köln grüße àéîõü" },
		{ "ΣΟΦΙΑ Άλφα ς", "σοφια άλφα σ" },
		{ "ПИСЬМО Ёж", "письмо ёж" },
		{ "ŁÓDŹ ŒUVRE Ÿ", "łódź œuvre ÿ" },
		{ "\xff\xfe ABC", "\xff\xfe abc" },	/* invalid bytes kept */
		{ "日本語", "日本語" },
		{ "\xe2\x84\xaa", "k" },		/* KELVIN SIGN */
	};
	char out[128];
	size_t i, n;

	for (i = 0; i < N_ELEMENTS(cases); i++) {
		n = imap_search_fold(cases[i].in, strlen(cases[i].in), out,
				     false, NULL);
		out[n] = '\0';
		assert_string_equal(out, cases[i].out);
	}
	/* a split sequence waits for the next chunk */
	n = imap_search_fold("ab\xc3", 3, out, true, &i);
	assert_int_equal(n, 2);
	assert_int_equal(i, 2);
}

static void
test_imap_search_substr_chunked(void **state)
{
	struct arena *a = arena_new(0);
	struct imap_search_substr m;
	const char *hay = "xxÜBERmäßig yy";
	size_t i;

	assert_int_equal(imap_search_substr_init(&m, a, "übermäßig", 11), 0);
	for (i = 0; i < strlen(hay) && !m.found; i++)
		imap_search_substr_feed(&m, hay + i, 1);
	assert_true(m.found);
	/* a text boundary resets the carry */
	assert_int_equal(imap_search_substr_init(&m, a, "ab", 2), 0);
	imap_search_substr_feed(&m, "xa", 2);
	imap_search_substr_feed(&m, NULL, 0);
	assert_int_equal(imap_search_substr_feed(&m, "bx", 2), 0);
	arena_free(&a);
}

static void
test_imap_search_date_parse(void **state)
{
	int32_t d;

	assert_int_equal(imap_search_date_parse("1-Jan-1970", 10, &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(imap_search_date_parse("02-Jul-2014", 11, &d), 0);
	assert_int_equal(d, imap_search_days_from_civil(2014, 7, 2));
	assert_int_equal(imap_search_date_parse("2-jul-2014", 10, &d), 0);
	assert_int_equal(d, imap_search_days_from_civil(2014, 7, 2));
	assert_int_equal(imap_search_date_parse("2-Jul-201", 9, &d),
			 -ERR_SYNTAX);
	assert_int_equal(imap_search_date_parse("002-Jul-2014", 12, &d),
			 -ERR_SYNTAX);
	assert_int_equal(imap_search_date_rfc5322(
		"Mon, 01 Jan 2024 23:30:00 -0800", 31, &d), 0);
	assert_int_equal(d, imap_search_days_from_civil(2024, 1, 1));
	assert_int_equal(imap_search_date_rfc5322("1 Feb 99 10:00 GMT", 18,
						  &d), 0);
	assert_int_equal(d, imap_search_days_from_civil(1999, 2, 1));
	assert_int_equal(imap_search_date_rfc5322(
		" (c) Tue, 3 Mar 104 1:02:03 EST (x)", 35, &d), 0);
	assert_int_equal(d, imap_search_days_from_civil(2004, 3, 3));
	/* what Dovecot refuses too: no comma, bad time, glued zone */
	static const char *const bad[] = {
		"Wed 29 May 2019 06:09:22 PM EDT", "01 Jan 2001 00:01+0000",
		"Wed, 15 Dec 2010 59:10 -0500", "Tue, 7 Apr 2026 10:00:t",
		"Tue, 17 Jul 2012 22:23:35.882 0000", "Mon, 01 Jan 2024",
	};
	for (size_t i = 0; i < N_ELEMENTS(bad); i++)
		if (imap_search_date_rfc5322(bad[i], strlen(bad[i]), &d) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
	assert_int_equal(imap_search_date_rfc5322("garbage", 7, &d),
			 -ERR_SYNTAX);
}

/* B23: BEFORE/ON/SINCE on the internal date, server zone UTC */
static void
test_imap_search_day_boundaries(void **state)
{
	const time_t t1 = 1404216000;	/* 01-Jul-2014 12:00:00 +0000 */
	const time_t t2 = 1404259200;	/* 02-Jul-2014 00:00:00 +0000 */
	const time_t t3 = 1404302400;	/* 02-Jul-2014 12:00:00 +0000 */
	const time_t t4 = 1404388800;	/* 03-Jul-2014 12:00:00 +0000 */
	const time_t ts[4] = { t1, t2, t3, t4 };
	static const struct {
		const char *q;
		int expect[4];
	} cases[] = {
		{ "BEFORE 2-Jul-2014", { 1, 0, 0, 0 } },
		{ "ON 02-Jul-2014", { 0, 1, 1, 0 } },
		{ "SINCE \"2-Jul-2014\"", { 0, 1, 1, 1 } },
		{ "SENTON 1-Jan-2024", { 1, 1, 1, 1 } },
		{ "SENTBEFORE 2-Jan-2024", { 1, 1, 1, 1 } },
		{ "SENTBEFORE 1-Jan-2024", { 0, 0, 0, 0 } },
		{ "SENTSINCE 1-Jan-2024", { 1, 1, 1, 1 } },
		{ "SENTSINCE 2-Jan-2024", { 0, 0, 0, 0 } },
	};
	size_t i, j;

	setenv("TZ", "UTC", 1);
	tzset();
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		for (j = 0; j < 4; j++) {
			struct imap_search_msg m = msg_new((uint32_t)j + 1,
				(uint32_t)j + 1, 0, ts[j], 167);

			if (match(cases[i].q, &m) != cases[i].expect[j])
				fail_msg("%s on message %zu", cases[i].q,
					 j + 1);
		}
	}
}

static void
test_imap_search_match_keys(void **state)
{
	struct imap_search_msg m = msg_new(3, 42,
		IMAP_SEARCH_F_SEEN | IMAP_SEARCH_F_RECENT, 1404216000, 2500);
	static const struct {
		const char *q;
		int expect;
	} cases[] = {
		{ "ALL", 1 }, { "SEEN", 1 }, { "UNSEEN", 0 }, { "NEW", 0 },
		{ "OLD", 0 }, { "RECENT", 1 }, { "ANSWERED", 0 },
		{ "UNANSWERED", 1 }, { "KEYWORD $forwarded", 1 },
		{ "KEYWORD Junk", 0 }, { "UNKEYWORD Work", 0 },
		{ "UNKEYWORD Junk", 1 }, { "KEYWORD \\Seen", 1 },
		{ "LARGER 2000 SMALLER 3000", 1 }, { "LARGER 2500", 0 },
		{ "SMALLER 2500", 0 }, { "3", 1 }, { "1:2,4:*", 0 },
		{ "*:3", 1 }, { "*", 0 }, { "UID 42", 1 }, { "UID 43:*", 0 },
		{ "UID 1:41", 0 }, { "UID *:40", 1 }, { "FROM alice", 1 },
		{ "FROM ALICE@EXAMPLE", 1 }, { "TO müller", 1 },
		{ "TO MÜLLER", 1 }, { "CC x", 0 }, { "CC \"\"", 0 },
		{ "SUBJECT \"\"", 1 }, { "SUBJECT KÖLN", 1 },
		{ "SUBJECT grüsse", 0 }, { "HEADER x-greek σοφια", 1 },
		{ "HEADER X-Greek ПИСЬМО", 1 }, { "HEADER X-None \"\"", 0 },
		{ "BODY grüße", 1 }, { "BODY \"LONG WORD\"", 1 },
		{ "BODY alice", 0 }, { "BODY \"grüße second\"", 0 },
		{ "TEXT alice", 1 }, { "TEXT \"long word\"", 1 },
		{ "TEXT \"\"", 1 }, { "NOT BODY nothing", 1 },
		{ "OR FROM nobody TO bob", 1 },
		{ "OR FROM nobody TO nobody", 0 },
		{ "(SEEN (RECENT NOT FLAGGED))", 1 },
		{ "SEEN NOT (RECENT FLAGGED)", 1 },
		{ "NOT (SEEN RECENT)", 0 },
		{ "SUBJECT Köln BODY missing", 0 },
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(cases); i++) {
		if (match(cases[i].q, &m) != cases[i].expect)
			fail_msg("\"%s\" should give %d", cases[i].q,
				 cases[i].expect);
	}
}

/* cheap keys are evaluated first: a body key after a failing flag key
 * never touches the message text */
static int
fail_body(void *ctx, unsigned flags, imap_search_chunk_fn *fn, void *fctx)
{
	fail_msg("body read although a cheap key failed");
	return 0;
}

static void
test_imap_search_cheap_first(void **state)
{
	static const struct imap_search_msg_ops ops = {
		fake_header, fail_body, fail_body
	};
	struct imap_search_msg m = msg_new(1, 1, 0, 0, 10);

	m.ops = &ops;
	assert_int_equal(match("BODY x SEEN", &m), 0);
	assert_int_equal(match("TEXT x LARGER 100", &m), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap_search_parse_every_key),
		cmocka_unit_test(test_imap_search_parse_errors),
		cmocka_unit_test(test_imap_search_parse_charset),
		cmocka_unit_test(test_imap_search_parse_depth_limit),
		cmocka_unit_test(test_imap_search_fold),
		cmocka_unit_test(test_imap_search_substr_chunked),
		cmocka_unit_test(test_imap_search_date_parse),
		cmocka_unit_test(test_imap_search_day_boundaries),
		cmocka_unit_test(test_imap_search_match_keys),
		cmocka_unit_test(test_imap_search_cheap_first),
	};
	int ret;

	ret = cmocka_run_group_tests(tests, NULL, NULL);
	tok_free();
	free(allocs);
	return ret;
}
