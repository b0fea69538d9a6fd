/* Maildock - SPDX-License-Identifier: MIT
 *
 * libFuzzer target for SEARCH, FETCH item and SORT/THREAD argument
 * handling: the input's first line is parsed by the IMAP command parser
 * (as "tag CMD args"); its arguments go through the SEARCH parser, the
 * FETCH item parser and the SORT criteria parser; a parsed program is
 * evaluated on a fake message whose header values and body are the rest
 * of the input, and the rest is also run through base-subject extraction,
 * date parsing and threading. Build: see fuzz/local.mk (make fuzz).
 */
#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "protocols/imap/imap-parser.h"
#include "protocols/imap/imap-fetch.h"
#include "protocols/imap/imap-search.h"
#include "protocols/imap/imap-search-cmd.h"
#include "protocols/imap/imap-sort.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fake {
	const char *text;
	size_t len;
};

static int
fake_header(void *ctx, const char *name, imap_search_chunk_fn *fn, void *fctx)
{
	struct fake *f = ctx;
	size_t half = f->len / 2;

	if (fn(fctx, f->text, half) || fn(fctx, NULL, 0))
		return 0;
	return 0;
}

static int
fake_body(void *ctx, unsigned flags, imap_search_chunk_fn *fn, void *fctx)
{
	struct fake *f = ctx;
	size_t i, step = f->len % 7 + 1;

	for (i = f->len / 2; i < f->len; i += step) {
		size_t n = f->len - i < step ? f->len - i : step;

		if (fn(fctx, f->text + i, n))
			return 0;
	}
	fn(fctx, NULL, 0);
	return 0;
}

static const struct imap_search_msg_ops fake_ops = {
	fake_header, fake_body, fake_body
};

static void
run_args(struct arena *a, const struct imap_arg *args, unsigned argc,
	 const char *rest, size_t rest_len)
{
	struct imap_search_arg *sargs;
	struct imap_search_key *prog;
	struct imap_fetch_items items;
	struct imap_sort_program sp;
	struct fake f = { rest, rest_len };
	const char *err;
	unsigned i;

	if (imap_search_cmd_convert(a, args, argc, &sargs) < 0)
		return;
	if (imap_search_parse(a, sargs, argc, NULL, &prog, &err) == 0) {
		struct imap_search_msg m = {
			.seq = 3, .uid = 7, .max_seq = 9, .max_uid = 20,
			.flags = (unsigned)rest_len & 0x3f,
			.internal_date = (time_t)rest_len * 86400,
			.size = rest_len, .ops = &fake_ops, .ctx = &f,
		};
		(void)imap_search_match(prog, &m);
	}
	for (i = 0; i < argc; i++) {
		(void)imap_fetch_parse(a, &args[i], i & 1, &items, &err);
		if (sargs[i].type == IMAP_SEARCH_ARG_LIST)
			(void)imap_sort_program_parse(&sargs[i], &sp, &err);
	}
}

/* the rest of the input as subjects, dates and references of records */
static void
run_text(struct arena *a, const char *s, size_t len)
{
	struct imap_sort_rec recs[8];
	const char *refs[8];
	struct sbuf b;
	int64_t t;
	size_t i, n = 0;
	bool reply;

	memset(recs, 0, sizeof(recs));
	for (i = 0; i < 8; i++) {
		size_t from = len * i / 8, to = len * (i + 1) / 8;
		const char *subj = imap_sort_base_subject(a, s + from,
							  to - from, &reply);
		char *id;

		if (subj == NULL)
			return;
		id = arena_strndup(a, s + from, (to - from) % 5);
		refs[i] = id;
		recs[n].seq = recs[n].uid = (uint32_t)n + 1;
		if (imap_sort_date_parse(s + from, to - from, &t) == 0)
			recs[n].date = t;
		recs[n].subject = imap_sort_key(a, subj, strlen(subj));
		recs[n].is_reply = reply;
		recs[n].from = recs[n].to = recs[n].cc = "";
		recs[n].dfrom = recs[n].dto = "";
		recs[n].message_id = id != NULL ? id : "";
		recs[n].refs = refs;
		recs[n].nrefs = (unsigned)i;
		if (recs[n].subject == NULL)
			return;
		n++;
	}
	sbuf_init(&b, a, 0);
	(void)imap_thread_build(a, recs, n, IMAP_THREAD_REFERENCES, false, &b);
	sbuf_init(&b, a, 0);
	(void)imap_thread_build(a, recs, n, IMAP_THREAD_ORDEREDSUBJECT, true,
				&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct imap_parser_limits lim = {
		.line_max = 8192, .tag_max = 64, .literal_max = 8192,
		.command_max = 65536, .depth_max = 16,
	};
	struct arena *a = arena_new(4 * 1024 * 1024);
	struct imap_parser *p = imap_parser_new(a, &lim);
	const uint8_t *nl = memchr(data, '\n', size);
	size_t line = nl != NULL ? (size_t)(nl - data) + 1 : size, used;
	const char *rest = (const char *)data + line;
	size_t rest_len = size - line;
	int r;

	r = imap_parser_feed(p, data, line, &used);
	if (r == IMAP_PARSE_DONE) {
		unsigned argc;
		const struct imap_arg *args = imap_parser_args(p, &argc);

		run_args(a, args, argc, rest, rest_len);
	}
	run_text(a, rest, rest_len);
	imap_parser_free(&p);
	arena_free(&a);
	return 0;
}
