/* Maildock - SPDX-License-Identifier: MIT
 *
 * A main() for the libFuzzer harnesses without libFuzzer: each file named
 * on the command line is read and passed once to LLVMFuzzerTestOneInput.
 * `make check` builds every fuzz/fuzz-*.c with it (as fuzz/replay-*) and
 * fuzz/replay.sh runs them over the seeds and the kept crash inputs
 * (t/regress/<name>/), so those inputs are regression tests in every
 * build - gcc, ASan+UBSan, TSan - not only in the clang fuzz tree.
 * Exit status: 0, or 1 when a file cannot be read (a crash aborts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_one(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (f == NULL) {
		perror(path);
		return 1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = xrealloc(buf, cap);
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		perror(path);
		free(buf);
		return 1;
	}
	/* an exact-size copy, so ASan sees reads past the end */
	uint8_t *data = xmalloc(len > 0 ? len : 1);
	memcpy(data, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	int ret = 0;

	for (int i = 1; i < argc; i++)
		ret |= replay_one(argv[i]);
	return ret;
}
