/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests of SORT and THREAD (RFC 5256): base subject extraction,
 * date-time parsing, sort programs and orders, both threading algorithms
 * (B35), and a reply chain long enough to catch any recursion.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "protocols/imap/imap-search.h"
#include "protocols/imap/imap-sort.h"
#include "core/compat.h"

static void
test_imap_sort_base_subject(void **state)
{
	static const struct {
		const char *in, *out;
		bool reply;
	} cases[] = {
		{ "hello", "hello", false },
		{ "Re: hello", "hello", true },
		{ "RE: re: Fwd: hello", "hello", true },
		{ "Re[2]: hello", "hello", true },
		{ "[list] Re: hello", "hello", true },
		{ "[list] hello", "hello", false },
		{ "[list]", "[list]", false },
		{ "hello (fwd)", "hello", true },
		{ "hello (FWD)  (fwd) ", "hello", true },
		{ "[Fwd: hello]", "hello", true },
		{ "[fwd: Re: [x] hello (fwd)]", "hello", true },
		{ "  lots \t of\r\n  space  ", "lots of space", false },
		{ "Re:", "", true },
		{ "", "", false },
		{ "Fw: a", "a", true },
		{ "Fwd:a", "a", true },
		{ "Ref: a", "Ref: a", false },
		{ "Grüße", "Grüße", false },
		{ "[a][b] Re: [c] Fwd: x", "x", true },
	};
	struct arena *a = arena_new(0);
	size_t i;
	bool reply;

	for (i = 0; i < N_ELEMENTS(cases); i++) {
		const char *s = imap_sort_base_subject(a, cases[i].in,
			strlen(cases[i].in), &reply);

		if (strcmp(s, cases[i].out) != 0 || reply != cases[i].reply)
			fail_msg("\"%s\" -> \"%s\" (%d), want \"%s\" (%d)",
				 cases[i].in, s, reply, cases[i].out,
				 cases[i].reply);
	}
	arena_free(&a);
}

static void
test_imap_sort_date_parse(void **state)
{
	int64_t t;

	assert_int_equal(imap_sort_date_parse(
		"Mon, 01 Jan 2024 10:00:00 +0000", 31, &t), 0);
	assert_int_equal(t, 1704103200);
	assert_int_equal(imap_sort_date_parse(
		"Mon, 01 Jan 2024 10:00:00 +0130", 31, &t), 0);
	assert_int_equal(t, 1704103200 - 5400);
	assert_int_equal(imap_sort_date_parse("1 Jan 2024 05:00 EST", 20, &t),
			 0);
	assert_int_equal(t, 1704103200);
	assert_int_equal(imap_sort_date_parse("1 Jan 2024 00:00", 16, &t), 0);
	assert_int_equal(t, 1704067200);
	assert_int_equal(imap_sort_date_parse("yesterday", 9, &t), -ERR_SYNTAX);
}

static struct imap_search_arg
atom(const char *s)
{
	struct imap_search_arg a = { IMAP_SEARCH_ARG_ATOM, s, strlen(s),
				     NULL, 0 };
	return a;
}

static void
test_imap_sort_program(void **state)
{
	struct imap_search_arg keys[3], list = { IMAP_SEARCH_ARG_LIST, NULL, 0,
						 keys, 0 };
	struct imap_sort_program p;
	const char *err;

	keys[0] = atom("REVERSE");
	keys[1] = atom("date");
	keys[2] = atom("SUBJECT");
	list.count = 3;
	assert_int_equal(imap_sort_program_parse(&list, &p, &err), 0);
	assert_int_equal(p.count, 2);
	assert_true(p.reverse[0]);
	assert_false(p.reverse[1]);
	keys[2].type = IMAP_SEARCH_ARG_STRING;	/* ("SUBJECT"): B35 */
	assert_int_equal(imap_sort_program_parse(&list, &p, &err), -ERR_SYNTAX);
	keys[0] = atom("SUBJECT");
	keys[1] = atom("REVERSE");
	list.count = 2;
	assert_int_equal(imap_sort_program_parse(&list, &p, &err), -ERR_SYNTAX);
	keys[1] = atom("FOO");
	assert_int_equal(imap_sort_program_parse(&list, &p, &err), -ERR_SYNTAX);
	list.count = 0;
	assert_int_equal(imap_sort_program_parse(&list, &p, &err), -ERR_SYNTAX);
}

static const char *const no_refs[1] = { NULL };

static struct imap_sort_rec
rec(uint32_t seq, const char *subj, bool reply, int64_t date,
    const char *mid, const char *const *refs, unsigned nrefs)
{
	struct imap_sort_rec r = {
		.seq = seq, .uid = seq * 10, .arrival = date, .date = date,
		.size = 100 - seq, .subject = subj, .is_reply = reply,
		.from = "", .to = "", .cc = "", .dfrom = "", .dto = "",
		.message_id = mid, .refs = refs, .nrefs = nrefs,
	};
	return r;
}

/* the F8 set of B35 */
static void
f8(struct imap_sort_rec *r)
{
	static const char *const irt[1] = { "a@example.org" };

	r[0] = rec(1, "b", false, 1704067200, "b@example.org", no_refs, 0);
	r[1] = rec(2, "a", true, 1704240000, "re-a@example.org", irt, 1);
	r[2] = rec(3, "a", false, 1704153600, "a@example.org", no_refs, 0);
}

static void
test_imap_sort_records_b35(void **state)
{
	struct imap_search_arg keys[2], list = { IMAP_SEARCH_ARG_LIST, NULL, 0,
						 keys, 1 };
	struct imap_sort_program p;
	struct imap_sort_rec r[3];
	const char *err;

	f8(r);
	keys[0] = atom("SUBJECT");
	assert_int_equal(imap_sort_program_parse(&list, &p, &err), 0);
	imap_sort_records(r, 3, &p);
	assert_int_equal(r[0].seq, 2);
	assert_int_equal(r[1].seq, 3);
	assert_int_equal(r[2].seq, 1);
	f8(r);
	keys[0] = atom("REVERSE");
	keys[1] = atom("DATE");
	list.count = 2;
	assert_int_equal(imap_sort_program_parse(&list, &p, &err), 0);
	imap_sort_records(r, 3, &p);
	assert_int_equal(r[0].uid, 20);
	assert_int_equal(r[1].uid, 30);
	assert_int_equal(r[2].uid, 10);
}

static char *
thread(struct arena *a, const struct imap_sort_rec *r, size_t n,
       enum imap_thread_alg alg)
{
	struct sbuf b;

	sbuf_init(&b, a, 0);
	assert_int_equal(imap_thread_build(a, r, n, alg, false, &b), 0);
	return b.data;
}

static void
test_imap_thread_b35(void **state)
{
	struct arena *a = arena_new(0);
	struct imap_sort_rec r[3];

	f8(r);
	assert_string_equal(thread(a, r, 3, IMAP_THREAD_REFERENCES),
			    "(1)(3 2)");
	assert_string_equal(thread(a, r, 3, IMAP_THREAD_ORDEREDSUBJECT),
			    "(1)(3 2)");
	assert_string_equal(thread(a, r, 0, IMAP_THREAD_REFERENCES), "");
	arena_free(&a);
}

/* dummies, branching, subject merging, loops, duplicate ids */
static void
test_imap_thread_references(void **state)
{
	static const char *const r_a[1] = { "a" };
	static const char *const r_ab[2] = { "a", "b" };
	static const char *const r_xa[2] = { "x", "a" };
	static const char *const r_missing[1] = { "missing" };
	static const char *const r_self[1] = { "self" };
	struct arena *a = arena_new(0);
	struct imap_sort_rec r[9];

	r[0] = rec(1, "one", false, 100, "a", no_refs, 0);
	r[1] = rec(2, "one", true, 200, "b", r_a, 1);
	r[2] = rec(3, "one", true, 300, "c", r_ab, 2);	/* child of 2 */
	r[3] = rec(4, "one", true, 150, "d", r_a, 1);	/* second child */
	r[4] = rec(5, "two", true, 50, "e", r_missing, 1);
	r[5] = rec(6, "two", true, 60, "f", r_missing, 1);
	r[6] = rec(7, "self", false, 70, "self", r_self, 1);	/* loop */
	r[7] = rec(8, "dup", false, 80, "a", no_refs, 0);	/* dup id */
	r[8] = rec(9, "loose", true, 400, "g", r_xa, 2);
	/* "missing" is a dummy with two children (5, 6) kept at the top;
	 * 8 has a duplicate id and stands alone; 9 hangs under 1 (its last
	 * reference "a"), "x" becomes a dummy parent of 1 and is pruned */
	assert_string_equal(thread(a, r, 9, IMAP_THREAD_REFERENCES),
			    "((5)(6))(7)(8)(1 (4)(2 3)(9))");
	/* subject merge: a reply with no references joins its thread */
	r[0] = rec(1, "topic", false, 100, "m1", no_refs, 0);
	r[1] = rec(2, "topic", true, 200, "m2", no_refs, 0);
	r[2] = rec(3, "other", false, 150, "m3", no_refs, 0);
	r[3] = rec(4, "topic", false, 300, "m4", no_refs, 0);
	assert_string_equal(thread(a, r, 4, IMAP_THREAD_REFERENCES),
			    "((1 2)(4))(3)");
	arena_free(&a);
}

/* THREAD=REFS: REFERENCES' links and pruning, no subject merging, threads
 * in the order of their latest message (Dovecot) */
static void
test_imap_thread_refs(void **state)
{
	static const char *const r_m1[1] = { "m1" };
	struct arena *a = arena_new(0);
	struct imap_sort_rec r[4];

	r[0] = rec(1, "topic", false, 100, "m1", no_refs, 0);
	r[1] = rec(2, "topic", true, 200, "m2", no_refs, 0);
	r[2] = rec(3, "other", false, 150, "m3", no_refs, 0);
	r[3] = rec(4, "topic", false, 300, "m4", no_refs, 0);
	assert_string_equal(thread(a, r, 4, IMAP_THREAD_REFS),
			    "(1)(3)(2)(4)");
	/* a late reply moves its thread last; the reply stays its child */
	r[1] = rec(2, "topic", true, 500, "m2", r_m1, 1);
	assert_string_equal(thread(a, r, 4, IMAP_THREAD_REFS),
			    "(3)(4)(1 2)");
	assert_string_equal(thread(a, r, 0, IMAP_THREAD_REFS), "");
	arena_free(&a);
}

static void
test_imap_thread_long_chain(void **state)
{
	enum { N = 200000 };
	struct arena *a = arena_new(0);
	struct imap_sort_rec *r = xcalloc(N, sizeof(*r));
	const char **refs = xcalloc(N, sizeof(*refs));
	char **ids = xcalloc(N, sizeof(*ids));
	char *out;
	size_t i;

	for (i = 0; i < N; i++) {
		ids[i] = arena_printf(a, "id%zu", i);
		refs[i] = ids[i];
	}
	for (i = 0; i < N; i++)
		r[i] = rec((uint32_t)i + 1, "chain", i > 0, (int64_t)i, ids[i],
			   i > 0 ? &refs[i - 1] : no_refs, i > 0);
	out = thread(a, r, N, IMAP_THREAD_REFERENCES);
	assert_true(strncmp(out, "(1 2 3 4 ", 9) == 0);
	assert_true(strcmp(out + strlen(out) - 8, " 200000)") == 0);
	/* every message answers a different one: a wide, deep tree */
	for (i = 0; i < N; i++)
		r[i] = rec((uint32_t)i + 1, "tree", i > 0, (int64_t)i, ids[i],
			   i > 0 ? &refs[(i - 1) / 2] : no_refs, i > 0);
	out = thread(a, r, N, IMAP_THREAD_REFERENCES);
	assert_true(strncmp(out, "(1 (2 (4 (8 ", 12) == 0);
	free(r);
	free(refs);
	free(ids);
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap_sort_base_subject),
		cmocka_unit_test(test_imap_sort_date_parse),
		cmocka_unit_test(test_imap_sort_program),
		cmocka_unit_test(test_imap_sort_records_b35),
		cmocka_unit_test(test_imap_thread_b35),
		cmocka_unit_test(test_imap_thread_references),
		cmocka_unit_test(test_imap_thread_refs),
		cmocka_unit_test(test_imap_thread_long_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
