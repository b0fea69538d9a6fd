/* Maildock - SPDX-License-Identifier: MIT
 *
 * libFuzzer target for the MIME parser and everything FETCH and SEARCH do
 * with its result: ENVELOPE/BODY/BODYSTRUCTURE formatting, every section
 * of every part with a partial range, header access and text decoding.
 * Checks that each section writes exactly the octets it announces. Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -include config.h \
 *     fuzz/fuzz-mime.c storage/mime/mime-*.c \
 *     protocols/imap/imap-envelope.c protocols/imap/imap-bodystructure.c \
 *     core/arena.c core/sbuf.c core/compat.c core/error.c -o fuzz-mime
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/arena.h"
#include "core/sbuf.h"
#include "storage/mime/mime.h"
#include "protocols/imap/imap-envelope.h"
#include "protocols/imap/imap-bodystructure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
count_fn(void *ctx, const void *p, size_t n)
{
	(void)p;
	*(uint64_t *)ctx += n;
	return 0;
}

static void
check_section(struct arena *a, const struct mime_message *m,
	      const struct mime_section *s, uint64_t start, uint64_t len)
{
	struct mime_extract ex;
	uint64_t got = 0;
	int64_t ret;

	if (mime_section_locate(a, m, s, &ex) < 0)
		return;
	ret = mime_extract_write(m, &ex, start, len, count_fn, &got);
	if (ret < 0 || (uint64_t)ret != got ||
	    got != mime_partial_len(ex.crlf_len, start, len))
		abort();
}

/* Structural invariants: every part lies inside its parent's body, siblings
 * follow each other, sizes in CRLF form are at least the raw sizes. */
static void
check_tree(const struct mime_part *p, uint64_t lo, uint64_t hi)
{
	const struct mime_part *c;
	uint64_t end = p->offset + p->header.raw + p->body.raw, pos;

	if (p->offset < lo || end > hi || p->header.crlf < p->header.raw ||
	    p->body.crlf < p->body.raw)
		abort();
	pos = p->offset + p->header.raw;
	for (c = p->children; c != NULL; c = c->next) {
		if (c->offset < pos || c->parent != p ||
		    c->depth != p->depth + 1)
			abort();
		check_tree(c, p->offset + p->header.raw, end);
		pos = c->offset + c->header.raw + c->body.raw;
	}
	if ((p->flags & MIME_PART_RFC822) != 0 &&
	    (p->children == NULL || p->children->next != NULL))
		abort();
}

static void
walk(struct arena *a, const struct mime_message *m,
     const struct mime_part *part, unsigned int *nums, size_t n)
{
	static const char *const fields[] = { "From", "Subject" };
	struct mime_section s = { nums, n, MIME_SECTION_FULL, fields, 2 };
	const struct mime_part *c;
	struct sview text;
	unsigned int i = 1;
	int k;

	for (k = MIME_SECTION_FULL; k <= MIME_SECTION_MIME; k++) {
		s.kind = (enum mime_section_kind)k;
		check_section(a, m, &s, 0, UINT64_MAX);
		check_section(a, m, &s, 3, 7);
	}
	(void)mime_part_text(a, m, part, &text);
	if (n >= 8)
		return;
	for (c = part->children; c != NULL && i < 6; c = c->next) {
		nums[n] = i++;
		walk(a, m, c, nums, n + 1);
	}
}

/* The cache form of a parsed message reads back to the same answers. */
static void
round_trip(struct arena *a, const struct mime_message *m)
{
	struct mime_message *copy;
	struct sbuf ser, x, y;

	sbuf_init(&ser, NULL, 0);
	sbuf_init(&x, NULL, 0);
	sbuf_init(&y, NULL, 0);
	if (mime_serialize(m, &ser) < 0 ||
	    mime_deserialize(a, ser.data, ser.len, &copy) < 0)
		abort();
	imap_bodystructure_write(&x, m->root, true);
	imap_envelope_write(&x, m->root->envelope);
	imap_bodystructure_write(&y, copy->root, true);
	imap_envelope_write(&y, copy->root->envelope);
	if (x.len != y.len || memcmp(x.data, y.data, x.len) != 0)
		abort();
	sbuf_free(&ser);
	sbuf_free(&x);
	sbuf_free(&y);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(64u << 20);
	struct mime_message *m;
	struct mime_header_iter it;
	struct sview name, value, dec;
	unsigned int nums[8];
	struct sbuf b;

	/* damaged cache bytes must be refused or read safely */
	if (mime_deserialize(a, data, size, &m) == 0) {
		sbuf_init(&b, NULL, 0);
		imap_bodystructure_write(&b, m->root, true);
		imap_envelope_write(&b, m->root->envelope);
		sbuf_free(&b);
	}
	if (mime_parse(a, data, size, &m) == 0) {
		sbuf_init(&b, NULL, 0);
		imap_envelope_write(&b, m->root->envelope);
		imap_bodystructure_write(&b, m->root, true);
		imap_bodystructure_write(&b, m->root, false);
		sbuf_free(&b);
		mime_header_iter_init(&it, m, m->root);
		while (mime_header_iter_next(&it, &name, &value))
			(void)mime_decode_words(a, value, &dec);
		check_tree(m->root, 0, size);
		if (m->root->header.raw + m->root->body.raw != size ||
		    m->size_crlf != m->root->header.crlf + m->root->body.crlf)
			abort();
		walk(a, m, m->root, nums, 0);
		round_trip(a, m);
	}
	arena_free(&a);
	return 0;
}
