/* Maildock - SPDX-License-Identifier: MIT
 *
 * A compact binary form of a parsed message (part tree, Content-* data,
 * envelopes, sizes) for the per-folder cache, so ENVELOPE, BODY and
 * BODYSTRUCTURE need no message file on a later FETCH. The reader checks
 * every length against the buffer: a damaged cache entry is refused, never
 * trusted.
 */
#include <string.h>
#include "core/arena.h"
#include "core/error.h"
#include "storage/mime/mime-private.h"
#include "core/compat.h"

#define SER_MAGIC "MDM"
#define SER_VERSION 1
#define NIL_LEN UINT32_MAX

static void
put_u32(struct sbuf *b, uint32_t v)
{
	unsigned char x[4] = { v >> 24, v >> 16, v >> 8, v };

	sbuf_append(b, x, 4);
}

static void
put_u64(struct sbuf *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

static void
put_str(struct sbuf *b, const char *p, size_t len)
{
	if (p == NULL || len >= NIL_LEN) {
		put_u32(b, NIL_LEN);
		return;
	}
	put_u32(b, (uint32_t)len);
	sbuf_append(b, p, len);
}

static void
put_cstr(struct sbuf *b, const char *s)
{
	put_str(b, s, s == NULL ? 0 : strlen(s));
}

static void
put_view(struct sbuf *b, struct sview v)
{
	put_str(b, v.p, v.len);
}

static void
put_params(struct sbuf *b, const struct mime_param *p, unsigned int n)
{
	unsigned int i;

	put_u32(b, n);
	for (i = 0; i < n; i++) {
		put_cstr(b, p[i].name);
		put_cstr(b, p[i].value);
	}
}

static void
put_addrs(struct sbuf *b, const struct mime_addr *a)
{
	const struct mime_addr *x;
	uint32_t n = 0;

	for (x = a; x != NULL; x = x->next)
		n++;
	put_u32(b, n);
	for (x = a; x != NULL; x = x->next) {
		put_cstr(b, x->name);
		put_cstr(b, x->route);
		put_cstr(b, x->mailbox);
		put_cstr(b, x->domain);
	}
}

static void
put_envelope(struct sbuf *b, const struct mime_envelope *e)
{
	put_view(b, e->date);
	put_view(b, e->subject);
	put_addrs(b, e->from);
	put_addrs(b, e->sender);
	put_addrs(b, e->reply_to);
	put_addrs(b, e->to);
	put_addrs(b, e->cc);
	put_addrs(b, e->bcc);
	put_view(b, e->in_reply_to);
	put_view(b, e->message_id);
}

static void
put_part(struct sbuf *b, const struct mime_part *p)
{
	const struct mime_part *c;
	unsigned int i, n = 0;

	for (c = p->children; c != NULL; c = c->next)
		n++;
	put_u32(b, p->flags);
	put_u32(b, n);
	put_u64(b, p->offset);
	put_u64(b, p->header.raw);
	put_u64(b, p->header.crlf);
	put_u64(b, p->header.lines);
	put_u64(b, p->body.raw);
	put_u64(b, p->body.crlf);
	put_u64(b, p->body.lines);
	put_view(b, p->type);
	put_view(b, p->subtype);
	put_params(b, p->params, p->nparams);
	put_view(b, p->id);
	put_view(b, p->description);
	put_view(b, p->encoding);
	put_view(b, p->md5);
	put_view(b, p->location);
	put_view(b, p->disposition);
	put_params(b, p->disp_params, p->ndisp_params);
	put_u32(b, p->nlanguage);
	for (i = 0; i < p->nlanguage; i++)
		put_cstr(b, p->language[i]);
	put_u32(b, p->envelope != NULL);
	if (p->envelope != NULL)
		put_envelope(b, p->envelope);
	for (c = p->children; c != NULL; c = c->next)
		put_part(b, c);
}

int
mime_serialize(const struct mime_message *m, struct sbuf *out)
{
	sbuf_append(out, SER_MAGIC, 3);
	sbuf_appendc(out, (char)SER_VERSION);
	put_u64(out, m->size);
	put_u64(out, m->size_crlf);
	put_u32(out, m->nparts);
	put_part(out, m->root);
	return sbuf_failed(out) ? -ERR_LIMIT : 0;
}

struct reader {
	struct arena *a;
	const unsigned char *p, *end;
	unsigned int parts, max_parts;
	uint64_t msg_size;
	int error;
};

static uint32_t
get_u32(struct reader *r)
{
	uint32_t v;

	if (r->error != 0 || r->end - r->p < 4) {
		r->error = -ERR_CORRUPT;
		return 0;
	}
	v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	return v;
}

static uint64_t
get_u64(struct reader *r)
{
	uint64_t hi = get_u32(r);

	return hi << 32 | get_u32(r);
}

static struct sview
get_view(struct reader *r)
{
	struct sview v = { NULL, 0 };
	uint32_t len = get_u32(r);

	if (r->error != 0 || len == NIL_LEN)
		return v;
	if ((size_t)(r->end - r->p) < len) {
		r->error = -ERR_CORRUPT;
		return v;
	}
	v.p = mime_strndup(r->a, r->p, len);
	v.len = len;
	if (v.p == NULL)
		r->error = -ERR_LIMIT;
	r->p += len;
	return v;
}

static const char *
get_cstr(struct reader *r)
{
	return get_view(r).p;
}

/* A count of items of at least min_size bytes each that can still fit. */
static uint32_t
get_count(struct reader *r, size_t min_size)
{
	uint32_t n = get_u32(r);

	if (r->error == 0 && n > (size_t)(r->end - r->p) / min_size)
		r->error = -ERR_CORRUPT;
	return r->error == 0 ? n : 0;
}

static struct mime_param *
get_params(struct reader *r, unsigned int *n_r)
{
	struct mime_param *p = NULL;
	uint32_t i, n = get_count(r, 8);

	*n_r = 0;
	if (n == 0)
		return NULL;
	if ((p = arena_zalloc(r->a, sizeof(*p) * n)) == NULL) {
		r->error = -ERR_LIMIT;
		return NULL;
	}
	for (i = 0; i < n && r->error == 0; i++) {
		p[i].name = get_cstr(r);
		p[i].value = get_cstr(r);
		if (r->error == 0 && (p[i].name == NULL || p[i].value == NULL))
			r->error = -ERR_CORRUPT;
	}
	*n_r = n;
	return p;
}

static struct mime_addr *
get_addrs(struct reader *r)
{
	struct mime_addr *first = NULL, **tail = &first, *a;
	uint32_t i, n = get_count(r, 16);

	for (i = 0; i < n && r->error == 0; i++) {
		if ((a = arena_zalloc(r->a, sizeof(*a))) == NULL) {
			r->error = -ERR_LIMIT;
			break;
		}
		a->name = get_cstr(r);
		a->route = get_cstr(r);
		a->mailbox = get_cstr(r);
		a->domain = get_cstr(r);
		*tail = a;
		tail = &a->next;
	}
	return first;
}

static struct mime_envelope *
get_envelope(struct reader *r)
{
	struct mime_envelope *e = arena_zalloc(r->a, sizeof(*e));

	if (e == NULL) {
		r->error = -ERR_LIMIT;
		return NULL;
	}
	e->date = get_view(r);
	e->subject = get_view(r);
	e->from = get_addrs(r);
	e->sender = get_addrs(r);
	e->reply_to = get_addrs(r);
	e->to = get_addrs(r);
	e->cc = get_addrs(r);
	e->bcc = get_addrs(r);
	e->in_reply_to = get_view(r);
	e->message_id = get_view(r);
	return e;
}

/* Sizes, checked so that the part lies inside the message (and inside its
 * parent): section access then stays within the attached file. */
static void
get_sizes(struct reader *r, struct mime_part *p, uint64_t msg_size)
{
	uint64_t lo = 0, hi = msg_size;

	p->offset = get_u64(r);
	p->header.raw = get_u64(r);
	p->header.crlf = get_u64(r);
	p->header.lines = get_u64(r);
	p->body.raw = get_u64(r);
	p->body.crlf = get_u64(r);
	p->body.lines = get_u64(r);
	if (p->parent != NULL) {
		lo = p->parent->offset + p->parent->header.raw;
		hi = lo + p->parent->body.raw;
	}
	if (r->error == 0 &&
	    (p->offset < lo || p->offset > hi ||
	     p->header.raw > hi - p->offset ||
	     p->body.raw > hi - p->offset - p->header.raw))
		r->error = -ERR_CORRUPT;
}

static struct mime_part *
get_part(struct reader *r, struct mime_part *parent)
{
	struct mime_part *p, **tail;
	uint32_t i, nchildren;

	if (++r->parts > r->max_parts ||
	    (parent != NULL && parent->depth + 1 >= MIME_MAX_DEPTH)) {
		r->error = -ERR_CORRUPT;
		return NULL;
	}
	if ((p = arena_zalloc(r->a, sizeof(*p))) == NULL) {
		r->error = -ERR_LIMIT;
		return NULL;
	}
	p->parent = parent;
	p->depth = parent == NULL ? 0 : parent->depth + 1;
	p->flags = get_u32(r);
	nchildren = get_count(r, 4);
	get_sizes(r, p, r->msg_size);
	p->type = get_view(r);
	p->subtype = get_view(r);
	p->params = get_params(r, &p->nparams);
	p->id = get_view(r);
	p->description = get_view(r);
	p->encoding = get_view(r);
	p->md5 = get_view(r);
	p->location = get_view(r);
	p->disposition = get_view(r);
	p->disp_params = get_params(r, &p->ndisp_params);
	p->nlanguage = get_count(r, 4);
	if (p->nlanguage > 0 && r->error == 0) {
		p->language = arena_zalloc(r->a, sizeof(char *) * p->nlanguage);
		if (p->language == NULL)
			r->error = -ERR_LIMIT;
		for (i = 0; i < p->nlanguage && r->error == 0; i++)
			if ((p->language[i] = get_cstr(r)) == NULL)
				r->error = -ERR_CORRUPT;
	}
	if (get_u32(r) != 0 && r->error == 0)
		p->envelope = get_envelope(r);
	for (i = 0, tail = &p->children; i < nchildren && r->error == 0; i++) {
		*tail = get_part(r, p);
		if (*tail != NULL)
			tail = &(*tail)->next;
	}
	return p;
}

int
mime_deserialize(struct arena *a, const void *buf, size_t len,
		 struct mime_message **msg_r)
{
	struct reader r = { a, buf, (const unsigned char *)buf + len, 0, 0, 0,
			    0 };
	struct mime_message *m;

	*msg_r = NULL;
	if (len < 4 || memcmp(buf, SER_MAGIC, 3) != 0 || r.p[3] != SER_VERSION)
		return -ERR_CORRUPT;
	r.p += 4;
	if ((m = arena_zalloc(a, sizeof(*m))) == NULL)
		return -ERR_LIMIT;
	m->size = (size_t)get_u64(&r);
	m->size_crlf = get_u64(&r);
	m->nparts = get_u32(&r);
	r.max_parts = m->nparts;
	r.msg_size = m->size;
	if (r.error == 0 && (m->nparts == 0 || m->nparts > MIME_MAX_PARTS + 1))
		r.error = -ERR_CORRUPT;
	if (r.error == 0)
		m->root = get_part(&r, NULL);
	if (r.error == 0 && (r.p != r.end || r.parts != m->nparts ||
			     m->root->offset != 0 ||
			     m->root->header.raw + m->root->body.raw != m->size))
		r.error = -ERR_CORRUPT;
	if (r.error != 0)
		return r.error;
	*msg_r = m;
	return 0;
}

int
mime_attach(struct mime_message *m, const void *data, size_t size)
{
	if (size != m->size)
		return -ERR_CORRUPT;
	m->data = data;
	return 0;
}
