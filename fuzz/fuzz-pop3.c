/* Maildock - SPDX-License-Identifier: MIT
 *
 * libFuzzer target for the POP3 command parser and the RETR/TOP output
 * filter. Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *   fuzz/fuzz-pop3.c protocols/pop3/pop3-parser.c protocols/pop3/pop3-dotstuff.c
 * Checks: views stay inside the input; the filter's output is CRLF-only
 * lines, never a lone "." line before the end, never over its bound.
 */
#include <assert.h>
#include "core/error.h"
#include "protocols/pop3/pop3-dotstuff.h"
#include "protocols/pop3/pop3-parser.h"
#include "core/compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_view(struct sview v, const char *base, size_t size)
{
	if (v.len == 0)
		return;
	assert(v.p >= base && v.p + v.len <= base + size);
}

static void
fuzz_parser(const char *line, size_t size)
{
	struct pop3_cmd cmd;
	const char *why;
	int r = pop3_parser_parse(line, size, &cmd, &why);

	assert(why != NULL);
	if (r < 0) {
		assert(r == -ERR_SYNTAX || r == -ERR_NOTFOUND);
		return;
	}
	assert(cmd.id < POP3_CMD_COUNT && cmd.nnums <= 2);
	check_view(cmd.arg, line, size);
	check_view(cmd.arg2, line, size);
}

/* The body of the reply must parse back: CRLF lines, stuffed dots, one
 * terminating ".". */
static void
check_wire(const char *out, size_t n)
{
	bool bol = true;
	size_t lines_dot_alone = 0;

	assert(n >= 3 && memcmp(out + n - 3, ".\r\n", 3) == 0);
	for (size_t i = 0; i < n; i++) {
		if (out[i] == '\n')
			assert(i > 0 && out[i - 1] == '\r');
		if (bol && out[i] == '.' && i + 2 < n && out[i + 1] == '\r' &&
		    out[i + 2] == '\n')
			lines_dot_alone++;
		bol = out[i] == '\n';
	}
	assert(lines_dot_alone == 1);
}

static void
fuzz_dotstuff(const uint8_t *data, size_t size)
{
	static char out[2 * 65536 + POP3_DOTSTUFF_FINISH_MAX];
	struct pop3_dotstuff d;
	size_t o = 0, step;

	if (size < 2 || size > 65536)
		return;
	/* first byte: TOP or not and its line count; second: chunk size */
	pop3_dotstuff_init(&d, data[0] & 1, data[0] >> 1);
	step = (size_t)data[1] + 1;
	data += 2;
	size -= 2;
	for (size_t i = 0; i < size; i += step) {
		size_t k = size - i < step ? size - i : step;
		size_t w = pop3_dotstuff_feed(&d, (const char *)data + i, k,
					      out + o);
		assert(w <= k * POP3_DOTSTUFF_EXPANSION);
		o += w;
	}
	o += pop3_dotstuff_finish(&d, out + o);
	check_wire(out, o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t len = nl != NULL ? (size_t)(nl - (const char *)data) : size;
	char *line = malloc(len ? len : 1);

	/* an exact-size copy, so ASan sees any read past the line */
	memcpy(line, data, len);
	fuzz_parser(line, len);
	free(line);
	fuzz_dotstuff(data, size);
	return 0;
}
