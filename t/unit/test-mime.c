/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for storage/mime and the IMAP ENVELOPE/BODYSTRUCTURE writers:
 * field bugs B17 (BODYSTRUCTURE grammar on unusual MIME), B18 (n.MIME /
 * n.HEADER on message/rfc822 parts), B20 (partial fetch), B21 (RFC822.SIZE
 * equals the octets served), malformed input that must neither crash nor
 * loop, and the SEARCH decoders.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/mime/mime.h"
#include "protocols/imap/imap-envelope.h"
#include "protocols/imap/imap-bodystructure.h"

#define F1 \
	"From: Alice <alice@example.org>\r\n" \
	"To: Bob <bob@example.org>\r\n" \
	"Subject: hello\r\n" \
	"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n" \
	"Message-ID: <f1@example.org>\r\n" \
	"\r\n" \
	"line one\r\n" \
	"line two\r\n"

#define F2_HEAD \
	"From: Alice <alice@example.org>\r\n" \
	"Subject: fwd\r\n" \
	"MIME-Version: 1.0\r\n" \
	"Content-Type: multipart/mixed; boundary=\"outer\"\r\n" \
	"\r\n" \
	"--outer\r\n"

#define F2_INNER \
	"From: carol@example.org\r\n" \
	"Subject: inner\r\n" \
	"MIME-Version: 1.0\r\n" \
	"Content-Type: multipart/alternative; boundary=\"inner\"\r\n" \
	"\r\n"

#define F2_TAIL(html_type) \
	"--outer\r\n" \
	"Content-Type: message/rfc822\r\n" \
	"Content-Disposition: attachment\r\n" \
	"\r\n" \
	F2_INNER \
	"--inner\r\n" \
	"Content-Type: text/plain\r\n" \
	"\r\n" \
	"plain body\r\n" \
	"--inner\r\n" \
	"Content-Type: " html_type "\r\n" \
	"\r\n" \
	"<p>html body</p>\r\n" \
	"--inner--\r\n" \
	"--outer\r\n" \
	"Content-Type: application/pdf; name=\"a.pdf\"\r\n" \
	"Content-Transfer-Encoding: base64\r\n" \
	"Content-Disposition: attachment; filename=\"a.pdf\"\r\n" \
	"\r\n" \
	"JVBERi0xLjQK\r\n" \
	"--outer--\r\n"

#define F2 F2_HEAD \
	"Content-Type: text/plain; charset=us-ascii\r\n" \
	"\r\n" \
	"see attached\r\n" \
	F2_TAIL("text/html")

struct fixture {
	struct arena *a;
	struct mime_message *m;
	struct sbuf out;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->a = arena_new(256u << 20);
	sbuf_init(&f->out, NULL, 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	sbuf_free(&f->out);
	arena_free(&f->a);
	free(f);
	return 0;
}

static struct mime_message *
parse(struct fixture *f, const char *data, size_t len)
{
	assert_int_equal(mime_parse(f->a, data, len, &f->m), 0);
	assert_non_null(f->m);
	return f->m;
}

static int
out_fn(void *ctx, const void *p, size_t n)
{
	sbuf_append(ctx, p, n);
	return 0;
}

/* BODY[section]<start.len> of the parsed message, as FETCH sends it;
 * returns the text (also checks the announced size equals what is sent). */
static const char *
fetch(struct fixture *f, const char *spec_nums, enum mime_section_kind kind,
      uint64_t start, uint64_t len)
{
	unsigned int nums[16];
	size_t n = 0;
	const char *p = spec_nums;
	struct mime_section s = { nums, 0, kind, NULL, 0 };
	struct mime_extract ex;
	int64_t wrote;

	while (p != NULL && *p != '\0') {
		nums[n++] = (unsigned int)strtoul(p, (char **)&p, 10);
		if (*p == '.')
			p++;
	}
	s.n = n;
	sbuf_reset(&f->out);
	if (mime_section_locate(f->a, f->m, &s, &ex) != 0)
		return NULL;
	wrote = mime_extract_write(f->m, &ex, start, len, out_fn, &f->out);
	assert_true(wrote >= 0);
	assert_int_equal((uint64_t)wrote,
			 mime_partial_len(ex.crlf_len, start, len));
	assert_int_equal(f->out.len, (size_t)wrote);
	return f->out.data;
}

static const char *
bodystructure(struct fixture *f, bool extended)
{
	sbuf_reset(&f->out);
	imap_bodystructure_write(&f->out, f->m->root, extended);
	return f->out.data;
}

/* B21: RFC822.SIZE is the CRLF size and BODY[] sends exactly that. */
static void
test_mime_size_is_octets_served(void **state)
{
	static const char f7[] = "Subject: lf\nFrom: alice@example.org\n\nbody\n";
	struct fixture *f = *state;

	parse(f, F1, strlen(F1));
	assert_int_equal(f->m->size_crlf, 167);
	assert_string_equal(fetch(f, "", MIME_SECTION_FULL, 0, UINT64_MAX), F1);
	parse(f, f7, strlen(f7));
	assert_int_equal(strlen(f7), 42);
	assert_int_equal(f->m->size_crlf, 46);
	assert_string_equal(fetch(f, "", MIME_SECTION_FULL, 0, UINT64_MAX),
	    "Subject: lf\r\nFrom: alice@example.org\r\n\r\nbody\r\n");
	assert_int_equal(f->m->root->header.crlf, 40);
	assert_int_equal(f->m->root->body.crlf, 6);
}

/* B20: partial ranges past the end give what exists, or nothing. */
static void
test_mime_partial_fetch(void **state)
{
	struct fixture *f = *state;
	struct sbuf all;
	uint64_t off;

	parse(f, F1, strlen(F1));
	assert_string_equal(fetch(f, "", MIME_SECTION_FULL, 0, 100),
			    "From: Alice <alice@example.org>\r\n"
			    "To: Bob <bob@example.org>\r\n"
			    "Subject: hello\r\n"
			    "Date: Mon, 01 Jan 2024 1");
	assert_string_equal(fetch(f, "", MIME_SECTION_FULL, 160, 100000),
			    "e two\r\n");
	assert_string_equal(fetch(f, "", MIME_SECTION_TEXT, 25, 10), "");
	assert_string_equal(fetch(f, "1", MIME_SECTION_FULL, 393216, 393216),
			    "");
	assert_int_equal(mime_partial_len(167, 167, 10), 0);
	assert_int_equal(mime_partial_len(167, 0, 0), 0);
	sbuf_init(&all, NULL, 0);
	for (off = 0;; off += 64) {
		const char *chunk = fetch(f, "", MIME_SECTION_FULL, off, 64);

		if (*chunk == '\0')
			break;
		sbuf_appends(&all, chunk);
	}
	assert_string_equal(all.data, F1);
	sbuf_free(&all);
}

/* A partial range that starts between the CR and LF of a converted line
 * end sends the LF only; the octets still add up. */
static void
test_mime_partial_splits_crlf(void **state)
{
	static const char lf[] = "A: b\n\nx\ny\n";
	struct fixture *f = *state;

	parse(f, lf, strlen(lf));
	assert_string_equal(fetch(f, "", MIME_SECTION_FULL, 5, 3), "\n\r\n");
	assert_string_equal(fetch(f, "", MIME_SECTION_TEXT, 1, 100), "\r\ny\r\n");
}

/* Every partial range of a message with LF, CRLF, lone CR and NUL runs is
 * the same slice of the full CRLF form. */
static void
test_mime_partial_slices(void **state)
{
	static const char msg[] = "A: b\r\nC: \0d\n\nx\0\0\0y\r\n\nz\rw\n\0";
	static const uint64_t lens[] = { 1, 2, 3, 7, 100, UINT64_MAX };
	struct fixture *f = *state;
	char full[128];
	size_t flen, i, k;

	parse(f, msg, sizeof(msg) - 1);
	fetch(f, "", MIME_SECTION_FULL, 0, UINT64_MAX);
	flen = f->out.len;
	assert_int_equal(flen, f->m->size_crlf);
	assert_true(flen < sizeof(full));
	memcpy(full, f->out.data, flen);
	assert_null(memchr(full, '\0', flen));
	for (i = 0; i <= flen + 2; i++) {
		for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			size_t want = i >= flen ? 0 :
			    (lens[k] < flen - i ? lens[k] : flen - i);

			fetch(f, "", MIME_SECTION_FULL, i, lens[k]);
			assert_int_equal(f->out.len, want);
			assert_memory_equal(f->out.data, full + i, want);
		}
	}
}

/* B18: MIME headers, HEADER and TEXT of message/rfc822 parts. */
static void
test_mime_rfc822_sections(void **state)
{
	struct fixture *f = *state;

	parse(f, F2, strlen(F2));
	assert_string_equal(fetch(f, "2", MIME_SECTION_MIME, 0, UINT64_MAX),
			    "Content-Type: message/rfc822\r\n"
			    "Content-Disposition: attachment\r\n\r\n");
	assert_string_equal(fetch(f, "2", MIME_SECTION_HEADER, 0, UINT64_MAX),
			    F2_INNER);
	assert_string_equal(fetch(f, "2.1", MIME_SECTION_FULL, 0, UINT64_MAX),
			    "plain body");
	assert_string_equal(fetch(f, "2.2", MIME_SECTION_MIME, 0, UINT64_MAX),
			    "Content-Type: text/html\r\n\r\n");
	assert_string_equal(fetch(f, "3", MIME_SECTION_FULL, 0, 4), "JVBE");
	assert_string_equal(fetch(f, "1", MIME_SECTION_MIME, 0, UINT64_MAX),
			    "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
	/* HEADER/TEXT only apply to message/rfc822 parts (RFC 3501 6.4.5) */
	assert_null(fetch(f, "1", MIME_SECTION_HEADER, 0, UINT64_MAX));
	assert_null(fetch(f, "4", MIME_SECTION_FULL, 0, UINT64_MAX));
	assert_null(fetch(f, "2.3", MIME_SECTION_FULL, 0, UINT64_MAX));
	assert_non_null(strstr(fetch(f, "2", MIME_SECTION_TEXT, 0, UINT64_MAX),
				"--inner--"));
	/* a non-multipart message has exactly one part: itself */
	parse(f, F1, strlen(F1));
	assert_string_equal(fetch(f, "1", MIME_SECTION_FULL, 0, UINT64_MAX),
			    "line one\r\nline two\r\n");
	assert_null(fetch(f, "2", MIME_SECTION_FULL, 0, UINT64_MAX));
	assert_null(fetch(f, "1.1", MIME_SECTION_FULL, 0, UINT64_MAX));
}

static void
test_mime_header_fields(void **state)
{
	static const char *const want[] = { "subject", "X-NONE" };
	struct mime_section s = { NULL, 0, MIME_SECTION_HEADER_FIELDS, want, 2 };
	struct fixture *f = *state;
	struct mime_extract ex;

	parse(f, "Subject: a\n b\nFrom: x\nsubject : c\n\nbody\n", 41);
	assert_int_equal(mime_section_locate(f->a, f->m, &s, &ex), 0);
	assert_int_equal(ex.filtered.len, ex.crlf_len);
	assert_string_equal(ex.filtered.p,
			    "Subject: a\r\n b\r\nsubject : c\r\n\r\n");
	s.kind = MIME_SECTION_HEADER_FIELDS_NOT;
	assert_int_equal(mime_section_locate(f->a, f->m, &s, &ex), 0);
	assert_string_equal(ex.filtered.p, "From: x\r\n\r\n");
}

/* B17: every structure follows the RFC 3501 grammar; defaults apply. */
static void
test_mime_bodystructure_defaults(void **state)
{
	static const char f4[] = "From: a@example.org\r\nTo: b@example.org\r\n"
	    "Subject: nomime\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\n"
	    "hello\r\nworld\r\n";
	static const char f3[] = "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed\r\n\r\nsome\r\ntext\r\n";
	static const char f2b[] = F2_HEAD "Content-Type: text/plain\r\n\r\n"
	    "see attached\r\n" F2_TAIL("text/html; charset=");
	struct fixture *f = *state;
	const char *bs;

	parse(f, f4, strlen(f4));
	assert_string_equal(bodystructure(f, true),
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "14 2 NIL NIL NIL NIL)");
	parse(f, f3, strlen(f3));
	assert_string_equal(bodystructure(f, true),
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "0 0 NIL NIL NIL NIL) \"mixed\" NIL NIL NIL NIL)");
	assert_string_equal(bodystructure(f, false),
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "0 0) \"mixed\")");
	/* part 1 is the empty placeholder: FETCH sends "" (size 0 above) */
	assert_string_equal(fetch(f, "1", MIME_SECTION_FULL, 0, UINT64_MAX),
			    "");
	assert_string_equal(fetch(f, "1", MIME_SECTION_MIME, 0, UINT64_MAX),
			    "");
	assert_null(fetch(f, "2", MIME_SECTION_FULL, 0, UINT64_MAX));
	parse(f, f2b, strlen(f2b));
	bs = bodystructure(f, true);
	assert_non_null(strstr(bs, "(\"text\" \"plain\" (\"charset\" "
			       "\"us-ascii\") NIL NIL \"7bit\" 12 0 "));
	assert_non_null(strstr(bs, "(\"text\" \"html\" (\"charset\" \"\") "
			       "NIL NIL \"7bit\" 16 0 "));
	assert_null(strstr(bs, "NIL NIL NIL 12"));
}

/* RFC 2046 5.1.5: in multipart/digest a part without Content-Type is
 * message/rfc822; extension data come back in BODYSTRUCTURE order. */
static void
test_mime_digest_and_extensions(void **state)
{
	static const char msg[] = "MIME-Version: 1.0\n"
	    "Content-Type: multipart/digest; boundary=d\n\n"
	    "--d\n\nSubject: inner\n\nhi\n"
	    "--d\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-ID: <id@x>\nContent-Description: desc\n"
	    "Content-MD5: Q2hlY2s=\n"
	    "Content-Disposition: inline; filename*0=\"a\"; filename*1=\"b\"\n"
	    "Content-Language: en, de\nContent-Location: http://x/y\n\nok\n"
	    "--d--\n";
	struct fixture *f = *state;

	parse(f, msg, strlen(msg));
	assert_string_equal(bodystructure(f, true),
	    "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 20 "
	    "(NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL) "
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
	    "\"7bit\" 2 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL)"
	    "(\"text\" \"plain\" (\"charset\" \"utf-8\") \"<id@x>\" "
	    "\"desc\" \"7bit\" 2 0 \"Q2hlY2s=\" "
	    "(\"inline\" (\"filename\" \"ab\")) (\"en\" \"de\") "
	    "\"http://x/y\") \"digest\" (\"boundary\" \"d\") NIL NIL NIL)");
	assert_string_equal(fetch(f, "1.1", MIME_SECTION_FULL, 0, UINT64_MAX),
			    "hi");
	assert_string_equal(fetch(f, "1", MIME_SECTION_HEADER, 0, UINT64_MAX),
			    "Subject: inner\r\n\r\n");
}

static void
test_mime_envelope(void **state)
{
	static const char msg[] =
	    "Date: Mon, 01 Jan 2024\r\n 10:00:00 +0000\r\n"
	    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\t  x \r\n"
	    "From: \"Doe, J.\" <@relay.example:j@example.org>\r\n"
	    "To: undisclosed-recipients:;\r\n"
	    "Cc: Team: a@x.org, B <b@y.org>;, c@z.org\r\n"
	    "Cc: <>\r\n"
	    "\r\n";
	struct fixture *f = *state;

	parse(f, msg, strlen(msg));
	sbuf_reset(&f->out);
	imap_envelope_write(&f->out, f->m->root->envelope);
	assert_string_equal(f->out.data,
	    "(\"Mon, 01 Jan 2024 10:00:00 +0000\" "
	    "{29}\r\n=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= x "
	    "((\"Doe, J.\" \"@relay.example\" \"j\" \"example.org\")) "
	    "((\"Doe, J.\" \"@relay.example\" \"j\" \"example.org\")) "
	    "((\"Doe, J.\" \"@relay.example\" \"j\" \"example.org\")) "
	    "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
	    "((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"x.org\")"
	    "(\"B\" NIL \"b\" \"y.org\")(NIL NIL NIL NIL)"
	    "(NIL NIL \"c\" \"z.org\")"
	    "(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) "
	    "NIL NIL NIL)");
}

/* NUL bytes are counted, flagged and sent as 0x80 (no NUL in literals). */
static void
test_mime_nul_bytes(void **state)
{
	static const char msg[] = "Subject: a\0b\n\nx\0y\n";
	struct fixture *f = *state;
	const char *body;

	parse(f, msg, sizeof(msg) - 1);
	assert_true(f->m->root->flags & MIME_PART_HAS_NULS);
	assert_int_equal(f->m->size_crlf, sizeof(msg) - 1 + 3);
	body = fetch(f, "", MIME_SECTION_TEXT, 0, UINT64_MAX);
	assert_memory_equal(body, "x\x80y\r\n", 5);
	sbuf_reset(&f->out);
	imap_envelope_write(&f->out, f->m->root->envelope);
	assert_memory_equal(f->out.data, "(NIL {3}\r\na\x80" "b NIL", 14);
}

static void
test_mime_missing_boundaries(void **state)
{
	static const char nofinal[] = "Content-Type: multipart/mixed; "
	    "boundary=b\n\npre\n--b\nContent-Type: text/plain\n\none\n--b\n"
	    "\ntwo\n";
	static const char none[] = "Content-Type: multipart/mixed; "
	    "boundary=zz\n\nno boundary line at all\n";
	struct fixture *f = *state;
	const struct mime_part *p;

	parse(f, nofinal, strlen(nofinal));
	p = f->m->root->children;
	assert_non_null(p);
	assert_non_null(p->next);
	assert_null(p->next->next);
	assert_string_equal(fetch(f, "1", MIME_SECTION_FULL, 0, UINT64_MAX),
			    "one");
	assert_string_equal(fetch(f, "2", MIME_SECTION_FULL, 0, UINT64_MAX),
			    "two\r\n");
	assert_int_equal(f->m->size_crlf, strlen(nofinal) + 10);
	parse(f, none, strlen(none));
	assert_null(f->m->root->children);
	assert_non_null(strstr(bodystructure(f, true), "0 0 NIL NIL NIL NIL)"));
}

/* Seconds a linear-time case may take, even under valgrind or a
 * sanitizer; the quadratic behaviour these catch took minutes. */
#define SLOW_LIMIT 15.0

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 10,000 nested multiparts / message/rfc822 parts: capped, fast. */
static void
test_mime_deep_nesting(void **state)
{
	struct fixture *f = *state;
	struct sbuf msg;
	const struct mime_part *p;
	unsigned int i, depth = 0;
	double t0;

	sbuf_init(&msg, NULL, 0);
	for (i = 0; i < 10000; i++)
		sbuf_appendf(&msg, "Content-Type: multipart/mixed; "
			     "boundary=\"b%u\"\n\n--b%u\n", i, i);
	sbuf_appends(&msg, "\nleaf\n");
	t0 = now();
	parse(f, msg.data, msg.len);
	assert_true(now() - t0 < SLOW_LIMIT);
	for (p = f->m->root; p->children != NULL; p = p->children)
		depth++;
	assert_true(depth < MIME_MAX_DEPTH);
	assert_int_equal(f->m->size_crlf, msg.len + 3 * 10000 + 2);
	bodystructure(f, true);
	assert_false(f->out.failed);

	sbuf_reset(&msg);
	for (i = 0; i < 10000; i++)
		sbuf_appends(&msg, "Content-Type: message/rfc822\n\n");
	sbuf_appends(&msg, "Subject: end\n\nbody\n");
	t0 = now();
	parse(f, msg.data, msg.len);
	assert_true(now() - t0 < SLOW_LIMIT);
	bodystructure(f, true);
	assert_non_null(strstr(f->out.data, "\"application\" \"octet-stream\""));
	assert_true(f->m->nparts <= MIME_MAX_DEPTH);
	sbuf_free(&msg);
}

/* Repeated address fields are joined in linear time (was quadratic). */
static void
test_mime_many_address_fields(void **state)
{
	struct fixture *f = *state;
	const struct mime_addr *x;
	struct sbuf msg;
	unsigned int i, n = 0;
	double t0;

	sbuf_init(&msg, NULL, 0);
	for (i = 0; i < 50000; i++)
		sbuf_appendf(&msg, "To: u%u@example.org\n", i);
	sbuf_appends(&msg, "\nbody\n");
	t0 = now();
	parse(f, msg.data, msg.len);
	assert_true(now() - t0 < SLOW_LIMIT);
	for (x = f->m->root->envelope->to; x != NULL; x = x->next)
		n++;
	assert_int_equal(n, 50000);
	assert_string_equal(f->m->root->envelope->to->next->mailbox, "u1");
	sbuf_free(&msg);
}

static void
test_mime_huge_header_line(void **state)
{
	struct fixture *f = *state;
	size_t n = 2u << 20;
	char *msg = malloc(n + 64);
	struct sview v;

	memcpy(msg, "Subject: ", 9);
	memset(msg + 9, 'x', n);
	memcpy(msg + 9 + n, "\n\nbody\n", 7);
	parse(f, msg, n + 16);
	assert_int_equal(mime_header_get(f->a, f->m, f->m->root, "subject", &v),
			 1);
	assert_int_equal(v.len, n);
	assert_int_equal(f->m->root->body.raw, 5);
	free(msg);
}

static void
test_mime_degenerate_inputs(void **state)
{
	static const char *const inputs[] = {
		"", "\n", "\r\n", "\r", "no colon and no newline",
		"Content-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n----\n",
		"Content-Type: message/rfc822\n",
		"Content-Type: multipart/digest; boundary=d\n\n--d\n\n--d--\n",
		"A: b\r\r\n\r\nx\r\r\n",
		"Content-Type: text/plain; a*0=x; a*2=y; b*0*=utf-8''%41; "
		"b*1=c\n\n",
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		parse(f, inputs[i], strlen(inputs[i]));
		bodystructure(f, true);
		assert_false(f->out.failed);
		assert_non_null(fetch(f, "", MIME_SECTION_FULL, 0, UINT64_MAX));
		assert_int_equal(f->out.len, f->m->size_crlf);
	}
	assert_string_equal(bodystructure(f, true),
	    "(\"text\" \"plain\" (\"a*0\" \"x\" \"a*2\" \"y\" \"b*\" "
	    "\"utf-8''%41c\" \"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 "
	    "NIL NIL NIL NIL)");
}

static void
test_mime_decoders(void **state)
{
	struct fixture *f = *state;
	struct sview out;
	struct mime_message *m;
	static const char f6[] =
	    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "Viele Gr=C3=BC=C3=9Fe\r\n";
	static const char l1[] = "Content-Type: text/plain; charset=iso-8859-1"
	    "\nContent-Transfer-Encoding: base64\n\nR3L832U=\n";

	assert_int_equal(mime_decode_words(f->a, SVIEW_LIT(
	    "=?iso-8859-1?q?a=E9?= =?utf-8?b?w6k=?=\r\n b =?x-bad?Q?c?="),
	    &out), 0);
	assert_string_equal(out.p, "a\xc3\xa9\xc3\xa9 b c");
	assert_int_equal(mime_decode_qp(f->a, SVIEW_LIT("a=3Db=\r\nc=zz"),
					&out), 0);
	assert_string_equal(out.p, "a=bc=zz");
	assert_int_equal(mime_decode_base64(f->a, SVIEW_LIT("aGVs\nbG8="),
					    &out), 0);
	assert_string_equal(out.p, "hello");
	m = parse(f, f6, strlen(f6));
	assert_int_equal(mime_part_text(f->a, m, m->root, &out), 0);
	assert_string_equal(out.p, "Viele Gr\xc3\xbc\xc3\x9f" "e\r\n");
	assert_int_equal(mime_header_get(f->a, m, m->root, "SUBJECT", &out), 1);
	assert_int_equal(mime_decode_words(f->a, out, &out), 0);
	assert_string_equal(out.p, "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln");
	m = parse(f, l1, strlen(l1));
	assert_int_equal(mime_part_text(f->a, m, m->root, &out), 0);
	assert_string_equal(out.p, "Gr\xc3\xbc\xc3\x9f" "e");
}

/* SEARCH decoding reads text the way Dovecot searches it. */
static void
test_mime_search_text(void **state)
{
	static const char nomime[] = "Subject: x\n"
	    "Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ=\n";
	static const char unknown[] = "MIME-Version: 1.0\n"
	    "Content-Transfer-Encoding: chunked\n\n5\nhello\n";
	static const char html_cte[] = "MIME-Version: 1.0\n"
	    "Content-Transfer-Encoding: text/html\n\nhello\n";
	struct fixture *f = *state;
	struct sview out;
	struct mime_message *m;

	/* base64 applies without MIME-Version (decoders read the header) */
	m = parse(f, nomime, strlen(nomime));
	assert_int_equal(mime_part_text(f->a, m, m->root, &out), 0);
	assert_string_equal(out.p, "hello world");
	/* unknown transfer encodings are not searched */
	m = parse(f, unknown, strlen(unknown));
	assert_int_equal(mime_part_text(f->a, m, m->root, &out), 0);
	assert_int_equal(out.len, 0);
	m = parse(f, html_cte, strlen(html_cte));
	assert_int_equal(mime_part_text(f->a, m, m->root, &out), 0);
	assert_int_equal(out.len, 0);
	/* raw 8-bit that is not UTF-8 is not guessed as Latin-1 */
	assert_int_equal(mime_decode_words(f->a, SVIEW_LIT("Fr\xf6sche"),
					   &out), 0);
	assert_string_equal(out.p, "Fr\xef\xbf\xbdsche");
	/* many "=?" without "?=": linear (was quadratic: minutes per MB) */
	{
		struct sbuf h;
		double t0;
		int i;

		sbuf_init(&h, NULL, 0);
		for (i = 0; i < 100000; i++)
			sbuf_appends(&h, "=?a?Q?b");
		t0 = now();
		assert_int_equal(mime_decode_words(f->a,
		    (struct sview){ h.data, h.len }, &out), 0);
		assert_true(now() - t0 < SLOW_LIMIT);
		assert_int_equal(out.len, h.len);
		sbuf_free(&h);
	}
	/* a folded line's leading TAB reads as a space */
	assert_int_equal(mime_decode_words(f->a,
	    SVIEW_LIT("Remove unnecessary\r\n\tsemicolons"), &out), 0);
	assert_string_equal(out.p, "Remove unnecessary semicolons");
}

/* The cache form gives the same answers, and damaged bytes are refused
 * (every truncation and single-byte change), never trusted or crashed on. */
static void
test_mime_serialize(void **state)
{
	struct fixture *f = *state;
	struct mime_message *orig, *copy;
	struct sbuf ser, a1, a2;
	size_t i;

	orig = parse(f, F2, strlen(F2));
	sbuf_init(&ser, NULL, 0);
	sbuf_init(&a1, NULL, 0);
	sbuf_init(&a2, NULL, 0);
	assert_int_equal(mime_serialize(orig, &ser), 0);
	assert_int_equal(mime_deserialize(f->a, ser.data, ser.len, &copy), 0);
	imap_bodystructure_write(&a1, orig->root, true);
	imap_envelope_write(&a1, orig->root->envelope);
	imap_bodystructure_write(&a2, copy->root, true);
	imap_envelope_write(&a2, copy->root->envelope);
	assert_string_equal(a1.data, a2.data);
	assert_int_equal(copy->size_crlf, orig->size_crlf);
	assert_null(copy->data);
	f->m = copy;
	assert_null(fetch(f, "2.1", MIME_SECTION_FULL, 0, UINT64_MAX));
	{
		struct sview t;

		assert_int_equal(mime_part_text(f->a, copy, copy->root, &t),
				 -ERR_INVAL);
	}
	assert_int_equal(mime_attach(copy, F2, strlen(F2) - 1), -ERR_CORRUPT);
	assert_int_equal(mime_attach(copy, F2, strlen(F2)), 0);
	f->m = copy;
	assert_string_equal(fetch(f, "2.1", MIME_SECTION_FULL, 0, UINT64_MAX),
			    "plain body");
	for (i = 0; i < ser.len; i++) {
		struct mime_message *bad;
		int ret;

		assert_int_equal(mime_deserialize(f->a, ser.data, i, &bad),
				 -ERR_CORRUPT);
		ser.data[i] ^= 0x41;
		ret = mime_deserialize(f->a, ser.data, ser.len, &bad);
		assert_true(ret == 0 || ret == -ERR_CORRUPT);
		if (ret == 0) {
			sbuf_reset(&a2);
			imap_bodystructure_write(&a2, bad->root, true);
		}
		ser.data[i] ^= 0x41;
	}
	sbuf_free(&ser);
	sbuf_free(&a1);
	sbuf_free(&a2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mime_size_is_octets_served,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_partial_fetch,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_partial_splits_crlf,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_partial_slices,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_rfc822_sections,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_header_fields,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_bodystructure_defaults,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_digest_and_extensions,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_envelope,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_nul_bytes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_missing_boundaries,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_deep_nesting,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_many_address_fields,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_huge_header_line,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_degenerate_inputs,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_decoders,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_search_text,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mime_serialize,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
