/* Maildock - SPDX-License-Identifier: MIT
 *
 * Corpus dump for the golden comparison (t/corpus.sh): reads message file
 * names from stdin, one a line, parses each with storage/mime and prints
 * what our FETCH would answer (RFC822.SIZE, ENVELOPE, BODYSTRUCTURE, BODY,
 * and the BODY[section] bytes the golden files record) as length-prefixed
 * records that t/corpus/corpus.py compares with Dovecot's answers.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "core/arena.h"
#include "core/sbuf.h"
#include "storage/mime/mime.h"
#include "protocols/imap/imap-envelope.h"
#include "protocols/imap/imap-bodystructure.h"
#include "core/compat.h"

#define MAX_PARTS 20
#define MAX_NUMS 128

struct partnum {
	unsigned int nums[MAX_NUMS];
	size_t n;
};

struct enum_ctx {
	struct partnum list[MAX_PARTS];
	size_t count;
};

static void visit(struct enum_ctx *e, const struct mime_part *part,
		  struct partnum *num);
static void visit_empty(struct enum_ctx *e, struct partnum *num);

static void
visit_children(struct enum_ctx *e, const struct mime_part *part,
	       struct partnum *num)
{
	const struct mime_part *c;
	unsigned int i = 1;

	if (num->n >= MAX_NUMS)
		return;
	if (part->children == NULL)
		visit_empty(e, num);
	for (c = part->children; c != NULL && e->count < MAX_PARTS; c = c->next) {
		num->nums[num->n++] = i++;
		visit(e, c, num);
		num->n--;
	}
}

/* Part numbers as the golden generator lists them: depth first, a
 * message/rfc822 body numbered inside its part. */
static void
visit(struct enum_ctx *e, const struct mime_part *part, struct partnum *num)
{
	if (e->count >= MAX_PARTS)
		return;
	e->list[e->count++] = *num;
	if ((part->flags & MIME_PART_RFC822) != 0 && part->children != NULL) {
		const struct mime_part *msg = part->children;

		if ((msg->flags & MIME_PART_MULTIPART) != 0) {
			visit_children(e, msg, num);
		} else if (num->n < MAX_NUMS) {
			num->nums[num->n++] = 1;
			visit(e, msg, num);
			num->n--;
		}
	} else if ((part->flags & MIME_PART_MULTIPART) != 0) {
		visit_children(e, part, num);
	}
}

/* A multipart without parts is reported with one empty text/plain part
 * (imap-bodystructure.c), which the golden generator numbers too. */
static void
visit_empty(struct enum_ctx *e, struct partnum *num)
{
	if (e->count < MAX_PARTS && num->n < MAX_NUMS) {
		num->nums[num->n++] = 1;
		e->list[e->count++] = *num;
		num->n--;
	}
}

static int
out_fn(void *ctx, const void *p, size_t n)
{
	struct sbuf *b = ctx;

	sbuf_append(b, p, n);
	return 0;
}

static void
record(const char *tag, const char *spec, const char *p, size_t len)
{
	printf("%s %s %zu\n", tag, spec, len);
	fwrite(p, 1, len, stdout);
	putchar('\n');
}

static void
section(struct arena *a, const struct mime_message *m, const char *spec,
	const struct mime_section *s, uint64_t start, uint64_t len)
{
	struct mime_extract ex;
	struct sbuf b;

	sbuf_init(&b, NULL, 0);
	if (mime_section_locate(a, m, s, &ex) == 0)
		(void)mime_extract_write(m, &ex, start, len, out_fn, &b);
	record("X", spec, b.data, b.len);
	sbuf_free(&b);
}

static void
numstr(char *buf, size_t size, const struct partnum *pn, const char *suffix)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < pn->n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%u",
					i > 0 ? "." : "", pn->nums[i]);
	if (off < size)
		snprintf(buf + off, size - off, "%s", suffix);
}

static void
dump_sections(struct arena *a, const struct mime_message *m)
{
	static const char *const fields[] = {
		"FROM", "TO", "CC", "SUBJECT", "DATE", "MESSAGE-ID"
	};
	struct mime_section s;
	struct enum_ctx e;
	struct partnum root;
	char spec[1024];
	size_t i;

	memset(&s, 0, sizeof(s));
	s.kind = MIME_SECTION_HEADER;
	section(a, m, "HEADER", &s, 0, UINT64_MAX);
	s.kind = MIME_SECTION_TEXT;
	section(a, m, "TEXT", &s, 0, UINT64_MAX);
	s.kind = MIME_SECTION_HEADER_FIELDS;
	s.fields = fields;
	s.nfields = N_ELEMENTS(fields);
	section(a, m, "HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID)",
		&s, 0, UINT64_MAX);
	s.kind = MIME_SECTION_FULL;
	s.nfields = 0;
	section(a, m, "]<0.100>", &s, 0, 100);

	memset(&e, 0, sizeof(e));
	memset(&root, 0, sizeof(root));
	if ((m->root->flags & MIME_PART_MULTIPART) != 0) {
		visit_children(&e, m->root, &root);
	} else {
		root.nums[root.n++] = 1;
		visit(&e, m->root, &root);
	}
	for (i = 0; i < e.count; i++) {
		s.nums = e.list[i].nums;
		s.n = e.list[i].n;
		s.kind = MIME_SECTION_FULL;
		numstr(spec, sizeof(spec), &e.list[i], "");
		section(a, m, spec, &s, 0, UINT64_MAX);
		s.kind = MIME_SECTION_MIME;
		numstr(spec, sizeof(spec), &e.list[i], ".MIME");
		section(a, m, spec, &s, 0, UINT64_MAX);
	}
}

/* SEARCH input: decoded header values and the decoded text of each part */
static void
dump_search(struct arena *a, const struct mime_message *m,
	    const struct mime_part *part)
{
	struct mime_header_iter it;
	struct sview name, value, dec;
	const struct mime_part *c;
	char tag[160];

	if (part == m->root) {
		mime_header_iter_init(&it, m, part);
		while (mime_header_iter_next(&it, &name, &value)) {
			if (name.len >= 100 ||
			    mime_decode_words(a, value, &dec) < 0)
				continue;
			snprintf(tag, sizeof(tag), "%.*s", (int)name.len,
				 name.p);
			if (strchr(tag, ' ') == NULL && tag[0] != '\0')
				record("H", tag, dec.p, dec.len);
		}
	}
	if (part->children == NULL && mime_part_text(a, m, part, &dec) == 0)
		record("T", "-", dec.p, dec.len);
	for (c = part->children; c != NULL; c = c->next)
		dump_search(a, m, c);
}

/* Answer from the cache form: serialize, read back, attach the file, so
 * the comparison covers mime_serialize/mime_deserialize too. */
static int
round_trip(struct arena *a, struct mime_message **m)
{
	struct mime_message *copy;
	struct sbuf b;
	int ret;

	sbuf_init(&b, a, 0);
	if ((ret = mime_serialize(*m, &b)) < 0 ||
	    (ret = mime_deserialize(a, b.data, b.len, &copy)) < 0 ||
	    (ret = mime_attach(copy, (*m)->data, (*m)->size)) < 0)
		return ret;
	*m = copy;
	return 0;
}

static void
dump(const char *path)
{
	struct arena *a = arena_new(0);
	struct mime_message *m;
	struct sbuf b;
	int fd;

	printf("M %s\n", path);
	fd = open(path, O_RDONLY);
	if (fd < 0 || mime_parse_fd(a, fd, &m) < 0) {
		printf("ERROR\n");
		if (fd >= 0)
			close(fd);
		arena_free(&a);
		return;
	}
	close(fd);
	if (round_trip(a, &m) < 0) {
		printf("ERROR\n");
		arena_free(&a);
		return;
	}
	printf("S %llu\n", (unsigned long long)m->size_crlf);
	sbuf_init(&b, NULL, 0);
	imap_envelope_write(&b, m->root->envelope);
	record("E", "-", b.data, b.len);
	sbuf_reset(&b);
	imap_bodystructure_write(&b, m->root, true);
	record("B", "-", b.data, b.len);
	sbuf_reset(&b);
	imap_bodystructure_write(&b, m->root, false);
	record("b", "-", b.data, b.len);
	sbuf_free(&b);
	dump_sections(a, m);
	dump_search(a, m, m->root);
	printf("END\n");
	arena_free(&a);
}

int
main(void)
{
	char line[4096];

	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '\0')
			dump(line);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
