/* Maildock - SPDX-License-Identifier: MIT
 *
 * libFuzzer target for the modified UTF-7 mailbox-name conversion
 * (storage/store.h: store_mutf7_encode/decode, RFC 3501 5.1.3). The input
 * is tried both ways, with a full-size and a small output buffer, and
 * checked for round trips: a name that decodes re-encodes to the same
 * bytes (the decoder accepts only the canonical spelling), and UTF-8 that
 * encodes decodes back to itself. Build and run: make fuzz.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "storage/store.h"
#include "storage/maildir/maildir.h"
#include "core/error.h"
#include "core/compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX 8192
#define ROOT "/nonexistent/maildock-fuzz/Maildir"

static void
check_folder_name(const uint8_t *data, size_t size)
{
	char name[1024], dir[4096], back[1024];

	if (size >= sizeof(name))
		return;
	memcpy(name, data, size);
	name[size] = '\0';		/* a C string, as the IMAP layer gives */
	if (maildir_name_check(name) < 0 || maildir_name_is_inbox(name))
		return;
	int r = maildir_name_to_dir(ROOT, name, dir, sizeof(dir));
	if (r < 0)
		return;
	/* one component right under the root, starting with one '.' */
	assert(strncmp(dir, ROOT "/.", sizeof(ROOT)) == 0);
	const char *leaf = dir + sizeof(ROOT);
	assert(leaf[0] == '.' && leaf[1] != '.' && leaf[1] != '\0');
	assert(strchr(leaf, '/') == NULL);
	assert(strstr(leaf, "..") == NULL);
	/* and back to the same name */
	assert(maildir_name_from_disk(leaf, back, sizeof(back)) == 0);
	assert(strcmp(back, name) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[OUT_MAX], back[OUT_MAX];
	const char *in = (const char *)data;
	int n, m;

	if (size > 2048)
		return 0;
	/* a small buffer must fail cleanly or produce a prefix-free result */
	size_t small = size > 0 ? data[0] % 16 : 0;
	n = store_mutf7_decode(in, size, out, small);
	assert(n == -ERR_INVAL || n == -ERR_LIMIT || (n >= 0 && (size_t)n < small));
	n = store_mutf7_encode(in, size, out, small);
	assert(n == -ERR_INVAL || n == -ERR_LIMIT || (n >= 0 && (size_t)n < small));

	n = store_mutf7_decode(in, size, out, sizeof(out));
	assert(n == -ERR_INVAL || n == -ERR_LIMIT || (n >= 0 && n < OUT_MAX));
	if (n >= 0) {
		assert(out[n] == '\0');
		m = store_mutf7_encode(out, (size_t)n, back, sizeof(back));
		/* canonical: decode then encode gives the input back (also
		 * for runs of over 256 UTF-16 units: t/regress/mutf7/long-run) */
		assert(m >= 0 && (size_t)m == size && memcmp(back, in, size) == 0);
	}
	n = store_mutf7_encode(in, size, out, sizeof(out));
	assert(n == -ERR_INVAL || n == -ERR_LIMIT || (n >= 0 && n < OUT_MAX));
	if (n >= 0) {
		assert(out[n] == '\0');
		for (int i = 0; i < n; i++)
			assert((unsigned char)out[i] >= 0x20 &&
			       (unsigned char)out[i] < 0x7f);
		m = store_mutf7_decode(out, (size_t)n, back, sizeof(back));
		/* the decoder refuses an encoded U+0000 ("Foo&AAA-bar" would
		 * be another spelling of "Foo"); callers never encode a NUL
		 * (names are C strings), so only NUL-free input round-trips */
		if (memchr(in, '\0', size) != NULL)
			assert(m >= 0 || m == -ERR_INVAL);
		else
			assert(m >= 0 && (size_t)m == size &&
			       memcmp(back, in, size) == 0);
	}
	check_folder_name(data, size);
	return 0;
}
