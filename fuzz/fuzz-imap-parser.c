/* Maildock - SPDX-License-Identifier: MIT
 *
 * libFuzzer target for the IMAP command parser: arbitrary bytes are fed in
 * chunks whose sizes come from the input, accepting every literal as the
 * session would, so every state and limit is reached. Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -include config.h \
 *     fuzz/fuzz-imap-parser.c protocols/imap/imap-parser.c \
 *     protocols/imap/imap-arg.c \
 *     protocols/imap/imap-seqset.c core/arena.c core/sbuf.c core/compat.c \
 *     core/error.c -o fuzz-imap-parser
 */
#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/error.h"
#include "protocols/imap/imap-parser.h"
#include "protocols/imap/imap-seqset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(struct arena *a, const struct imap_arg *args, unsigned n, unsigned depth)
{
	struct imap_seqset set;
	const char *s;

	for (unsigned i = 0; i < n; i++) {
		if (args[i].type == IMAP_ARG_LIST) {
			walk(a, args[i].list, args[i].count, depth + 1);
		} else if (imap_arg_atom(&args[i], &s) &&
			   imap_seqset_parse(a, s, &set) == 0) {
			(void)imap_seqset_resolve(&set, 1000, depth & 1);
			(void)imap_seqset_contains(&set, 7);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct imap_parser_limits lim = {
		.line_max = 4096, .tag_max = 64, .literal_max = 4096,
		.command_max = 65536, .depth_max = 16,
	};
	struct arena *a = arena_new(1024 * 1024);
	struct imap_parser *p = imap_parser_new(a, &lim);
	size_t off = 0;
	unsigned step = size > 0 ? data[0] % 17 + 1 : 1;

	/* the high bit of the first byte: UTF8=ACCEPT mode */
	imap_parser_set_utf8(p, size > 0 && (data[0] & 0x80) != 0);
	while (off < size) {
		size_t n = size - off < step ? size - off : step, used;
		int r = imap_parser_feed(p, data + off, n, &used);
		off += used;
		if (r == IMAP_PARSE_LITERAL) {
			uint64_t lsize;
			bool sync, top;
			unsigned argc;
			imap_parser_literal(p, &lsize, &sync, &top, &argc);
			if (lsize > 100000 && top)
				imap_parser_literal_skip(p);
			continue;
		}
		if (r == IMAP_PARSE_DONE) {
			unsigned argc;
			const struct imap_arg *args = imap_parser_args(p, &argc);
			walk(a, args, argc, 0);
		}
		if (r != IMAP_PARSE_MORE) {
			arena_reset(a);
			imap_parser_reset(p, a);
			(void)imap_parser_literal8(p);
			if (r < 0 && used == 0)
				off++;
		}
	}
	imap_parser_free(&p);
	arena_free(&a);
	return 0;
}
