/* Maildock - SPDX-License-Identifier: MIT
 *
 * BODY[section]<partial> support (RFC 3501 6.4.5): finding a part by its
 * number, locating a section's bytes, HEADER.FIELDS filtering, and writing
 * a byte range of the file in CRLF form with a partial range applied, in
 * chunks, so FETCH never holds a large body in memory.
 */
#include <string.h>
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "storage/mime/mime-private.h"
#include "core/compat.h"

#define WRITE_CHUNK 8192

const struct mime_part *
mime_part_find(const struct mime_message *m, const unsigned int *nums,
	       size_t n)
{
	const struct mime_part *part = m->root;
	size_t i;

	for (i = 0; i < n && part != NULL; i++) {
		unsigned int num = nums[i];
		bool more = i + 1 < n;

		if (num == 0)
			return NULL;
		if ((part->flags & MIME_PART_MULTIPART) != 0) {
			part = part->children;
			for (; num > 1 && part != NULL; num--)
				part = part->next;
		} else if (num != 1) {
			part = NULL;
		} else if (more && (part->flags & MIME_PART_RFC822) == 0) {
			part = NULL;
		}
		if (part != NULL && more && (part->flags & MIME_PART_RFC822))
			part = part->children;
	}
	return part;
}

uint64_t
mime_partial_len(uint64_t total, uint64_t start, uint64_t len)
{
	if (start >= total)
		return 0;
	return total - start < len ? total - start : len;
}

static bool
field_listed(const struct mime_section *s, struct sview name)
{
	size_t i;

	for (i = 0; i < s->nfields; i++) {
		if (sview_eq_ci(name, s->fields[i]))
			return true;
	}
	return false;
}

/* Append [p, e) to b in CRLF form. */
static void
append_crlf(struct sbuf *b, const unsigned char *d, size_t p, size_t e)
{
	size_t i, from = p;

	for (i = p; i < e; i++) {
		if (d[i] != '\n' || (i > 0 && d[i - 1] == '\r'))
			continue;
		sbuf_append(b, d + from, i - from);
		sbuf_append(b, "\r\n", 2);
		from = i + 1;
	}
	sbuf_append(b, d + from, e - from);
}

static int
filter_header(struct arena *a, const struct mime_message *m,
	      const struct mime_part *part, const struct mime_section *s,
	      struct mime_extract *ex)
{
	bool want_match = s->kind == MIME_SECTION_HEADER_FIELDS;
	size_t pos = part->offset, end = part->offset + part->header.raw;
	struct mime_hdr h;
	struct sbuf b;
	int ret;

	sbuf_init(&b, a, 0);
	while ((ret = mime_hdr_next(m->data, pos, end, &h)) > 0) {
		struct sview name = { (const char *)m->data + h.start,
				      h.name_end - h.start };

		if (h.colon && field_listed(s, name) == want_match)
			append_crlf(&b, m->data, h.start, h.end);
		pos = h.end;
	}
	/* the blank line ends the section even when the message had none
	 * (Dovecot's header filter adds it) */
	(void)ret;
	sbuf_append(&b, "\r\n", 2);
	if (sbuf_failed(&b))
		return -ERR_LIMIT;
	ex->filtered.p = b.data;
	ex->filtered.len = b.len;
	ex->crlf_len = b.len;
	return 0;
}

/* empty_multipart: the multipart without parts that holds part nums
 * (its number 1) when there is one: BODYSTRUCTURE lists such a multipart
 * with one empty text/plain part, as Dovecot does, and that part must be
 * fetchable, as an empty string (RFC 3501 6.4.5, 7.4.2) */
static const struct mime_part *
empty_multipart(const struct mime_message *m, const unsigned int *nums,
		size_t n)
{
	const struct mime_part *p;

	if (n == 0 || nums[n - 1] != 1)
		return NULL;
	p = n == 1 ? m->root : mime_part_find(m, nums, n - 1);
	if (p != NULL && n > 1 && (p->flags & MIME_PART_RFC822) != 0)
		p = p->children;
	if (p == NULL || (p->flags & MIME_PART_MULTIPART) == 0 ||
	    p->children != NULL)
		return NULL;
	return p;
}

int
mime_section_locate(struct arena *a, const struct mime_message *m,
		    const struct mime_section *s, struct mime_extract *ex_r)
{
	const struct mime_part *part;

	memset(ex_r, 0, sizeof(*ex_r));
	if ((s->n == 0 && s->kind == MIME_SECTION_MIME) || m->data == NULL)
		return -ERR_INVAL;	/* no part number / not attached */
	part = mime_part_find(m, s->nums, s->n);
	if (part == NULL && (s->kind == MIME_SECTION_FULL ||
			     s->kind == MIME_SECTION_MIME) &&
	    (part = empty_multipart(m, s->nums, s->n)) != NULL) {
		ex_r->offset = part->offset + part->header.raw +
			       part->body.raw;
		return 0;	/* zero length */
	}
	if (part == NULL)
		return -ERR_NOTFOUND;
	if (s->n == 0 && s->kind == MIME_SECTION_FULL) {
		ex_r->offset = 0;
		ex_r->raw_len = m->size;
		ex_r->crlf_len = m->size_crlf;
		return 0;
	}
	if (s->n > 0 && s->kind != MIME_SECTION_FULL &&
	    s->kind != MIME_SECTION_MIME) {
		/* HEADER, TEXT, HEADER.FIELDS of part n: its message */
		if ((part->flags & MIME_PART_RFC822) == 0 ||
		    part->children == NULL)
			return -ERR_NOTFOUND;
		part = part->children;
	}
	switch (s->kind) {
	case MIME_SECTION_MIME:
	case MIME_SECTION_HEADER:
		ex_r->offset = part->offset;
		ex_r->raw_len = part->header.raw;
		ex_r->crlf_len = part->header.crlf;
		return 0;
	case MIME_SECTION_FULL:
	case MIME_SECTION_TEXT:
		ex_r->offset = part->offset + part->header.raw;
		ex_r->raw_len = part->body.raw;
		ex_r->crlf_len = part->body.crlf;
		return 0;
	case MIME_SECTION_HEADER_FIELDS:
	case MIME_SECTION_HEADER_FIELDS_NOT:
		return filter_header(a, m, part, s, ex_r);
	}
	return -ERR_INVAL;
}

struct out {
	unsigned char buf[WRITE_CHUNK];
	size_t n;
	uint64_t skip, left, written;
	mime_write_fn *fn;
	void *ctx;
	int error;
};

static void
flush(struct out *o)
{
	int ret;

	if (o->n == 0 || o->error != 0)
		return;
	if ((ret = o->fn(o->ctx, o->buf, o->n)) < 0)
		o->error = ret;
	o->written += o->n;
	o->n = 0;
}

/* Queue n bytes at p, after skipping and up to the length left. */
static void
put_run(struct out *o, const unsigned char *p, size_t n)
{
	size_t k;

	if (o->skip > 0) {
		k = o->skip < n ? (size_t)o->skip : n;
		o->skip -= k;
		p += k;
		n -= k;
	}
	if (n > o->left)
		n = (size_t)o->left;
	o->left -= n;
	while (n > 0 && o->error == 0) {
		k = sizeof(o->buf) - o->n;
		if (k > n)
			k = n;
		memcpy(o->buf + o->n, p, k);
		o->n += k;
		p += k;
		n -= k;
		if (o->n == sizeof(o->buf))
			flush(o);
	}
}

int64_t
mime_write_range(const unsigned char *data, uint64_t offset,
		 uint64_t raw_len, uint64_t start, uint64_t len,
		 bool nul_to_80, mime_write_fn *fn, void *ctx)
{
	static const unsigned char crlf[] = "\r\n";
	unsigned char x80[256];
	const unsigned char *p = data + offset, *end = p + raw_len, *nul;
	const unsigned char *lf = NULL;
	struct out o;

	memset(x80, 0x80, sizeof(x80));
	o.n = 0;
	o.skip = start;
	o.left = len;
	o.written = 0;
	o.fn = fn;
	o.ctx = ctx;
	o.error = 0;
	while (p < end && o.left > 0 && o.error == 0) {
		/* the LF search is kept across NULs on one line, so a line
		 * of NULs stays linear */
		if (lf == NULL || lf < p) {
			lf = memchr(p, '\n', (size_t)(end - p));
			if (lf == NULL)
				lf = end;
		}
		nul = nul_to_80 ? memchr(p, '\0', (size_t)(lf - p)) : NULL;
		if (nul != NULL) {
			put_run(&o, p, (size_t)(nul - p));
			for (p = nul; p < lf && *p == '\0';) {
				size_t k = 0;

				while (k < sizeof(x80) && p + k < lf &&
				       p[k] == '\0')
					k++;
				put_run(&o, x80, k);
				p += k;
			}
			continue;
		}
		put_run(&o, p, (size_t)(lf - p));
		if (lf == end)
			break;
		/* a bare LF becomes CRLF (RFC 3501 2.3.4 sizes) */
		if (lf == data || lf[-1] != '\r')
			put_run(&o, crlf, 2);
		else
			put_run(&o, crlf + 1, 1);
		p = lf + 1;
	}
	flush(&o);
	if (o.error != 0)
		return o.error;
	return (int64_t)o.written;
}

int64_t
mime_extract_write(const struct mime_message *m,
		   const struct mime_extract *ex, uint64_t start,
		   uint64_t len, mime_write_fn *fn, void *ctx)
{
	if (ex->filtered.p != NULL) {
		return mime_write_range((const unsigned char *)ex->filtered.p,
		    0, ex->filtered.len, start, len, true, fn, ctx);
	}
	return mime_write_range(m->data, ex->offset, ex->raw_len, start, len,
				true, fn, ctx);
}
