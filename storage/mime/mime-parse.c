/* Maildock - SPDX-License-Identifier: MIT
 *
 * The MIME structure parser: walks the raw message once, building the part
 * tree with raw and CRLF sizes, following the boundary rules of RFC 2046
 * 5.1.1 the way Dovecot 2.3's message-parser applies them (the newline
 * before a boundary line belongs to the boundary; the innermost and then
 * longest matching boundary wins; unterminated parts end at the end of the
 * data). Nesting and part counts are capped, so any input ends in linear time.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "core/arena.h"
#include "core/error.h"
#include "storage/mime/mime-private.h"
#include "core/compat.h"

/* RFC 2046 5.1.1 allows 70 characters; longer boundaries are compared
 * on their first 80 only (Dovecot's BOUNDARY_STRING_MAX_LEN). */
#define MIME_BOUNDARY_MAX 80

struct boundary {
	struct boundary *next;
	struct mime_part *part;
	const char *str;
	size_t len;
	bool epilogue;
};

struct parse_ctx {
	struct arena *a;
	const unsigned char *d;
	size_t size, pos;
	struct mime_message *msg;
	struct mime_part *part;
	struct boundary *boundaries;
	const char *last_boundary;	/* of the header being parsed */
	struct mime_env_tails env_tails;	/* of the header being parsed */
	/* last child of the part at each depth of the current path, so
	 * appending a part costs O(1) even with 10,000 siblings */
	struct mime_part *tail[MIME_MAX_DEPTH + 1];
	unsigned int total;
	int error;
};

static void
size_add(struct mime_size *dst, const struct mime_size *src)
{
	dst->raw += src->raw;
	dst->crlf += src->crlf;
	dst->lines += src->lines;
}

/* Add the bytes [from, to) to the current part's body. */
static void
body_add(struct parse_ctx *c, size_t from, size_t to)
{
	struct mime_part *part = c->part;
	const unsigned char *p = c->d + from, *end = c->d + to, *lf;

	if (to <= from)
		return;
	if (memchr(p, '\0', to - from) != NULL)
		part->flags |= MIME_PART_HAS_NULS;
	part->body.raw += to - from;
	part->body.crlf += to - from;
	while ((lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		part->body.lines++;
		if (lf == c->d || lf[-1] != '\r')
			part->body.crlf++;
		p = lf + 1;
	}
}

static struct mime_part *
part_append(struct parse_ctx *c)
{
	struct mime_part *parent = c->part, *part;

	part = arena_zalloc(c->a, sizeof(*part));
	if (part == NULL) {
		c->error = -ERR_LIMIT;
		return NULL;
	}
	part->parent = parent;
	part->depth = parent->depth + 1;
	part->offset = parent->offset + parent->header.raw + parent->body.raw;
	if (parent->children == NULL)
		parent->children = part;
	else
		c->tail[parent->depth]->next = part;
	c->tail[parent->depth] = part;
	c->part = part;
	c->total++;
	c->msg->nparts++;
	return part;
}

/* Leave the current part: its sizes go into its parent's body. */
static void
part_finish(struct parse_ctx *c)
{
	struct mime_part *part = c->part;

	size_add(&part->parent->body, &part->body);
	size_add(&part->parent->body, &part->header);
	c->part = part->parent;
}

static bool
too_deep(const struct parse_ctx *c)
{
	return c->part->depth + 1 >= MIME_MAX_DEPTH;
}

/* The boundary that the line at pos opens, or NULL. */
static struct boundary *
boundary_at(struct parse_ctx *c, size_t pos)
{
	struct boundary *b, *best = NULL;
	const unsigned char *p = c->d + pos + 2;
	size_t left;

	if (c->boundaries == NULL || c->total >= MIME_MAX_PARTS)
		return NULL;
	if (c->size - pos < 2 || c->d[pos] != '-' || c->d[pos + 1] != '-')
		return NULL;
	left = c->size - pos - 2;
	for (b = c->boundaries; b != NULL; b = b->next) {
		if (b->len <= left && memcmp(b->str, p, b->len) == 0 &&
		    (best == NULL || best->len < b->len))
			best = b;
	}
	if (best != NULL)
		best->epilogue = left >= best->len + 2 &&
		    memcmp(p + best->len, "--", 2) == 0;
	return best;
}

static void
push_boundary(struct parse_ctx *c)
{
	struct boundary *b = arena_alloc(c->a, sizeof(*b));

	if (b == NULL) {
		c->error = -ERR_LIMIT;
		return;
	}
	b->part = c->part;
	b->str = c->last_boundary;
	b->len = strlen(b->str);
	b->epilogue = false;
	b->next = c->boundaries;
	c->boundaries = b;
	c->last_boundary = NULL;
}

/* The first Content-Type of a part sets the structural flags. */
static void
structure_type(struct parse_ctx *c, struct sview v)
{
	struct mime_part *part = c->part;
	struct mime_param *params;
	unsigned int n, i;
	struct mime_tok t;
	struct sbuf str;
	int ret;

	sbuf_init(&str, c->a, 0);
	mime_tok_init(&t, v.p, v.len, NULL);
	mime_tok_skip_lwsp(&t);
	ret = mime_tok_content_type(&t, &str);
	if (strcasecmp(str.data, "message/rfc822") == 0)
		part->flags |= MIME_PART_RFC822;
	else if (strncasecmp(str.data, "text", 4) == 0 &&
		 (str.len == 4 || str.data[4] == '/'))
		part->flags |= MIME_PART_TEXT;
	else if (strncasecmp(str.data, "multipart/", 10) == 0) {
		part->flags |= MIME_PART_MULTIPART;
		if (strcasecmp(str.data + 10, "digest") == 0)
			part->flags |= MIME_PART_DIGEST;
	}
	if (ret < 0 || (part->flags & MIME_PART_MULTIPART) == 0 ||
	    c->last_boundary != NULL)
		return;
	if (mime_tok_params(c->a, &t, &params, &n) < 0) {
		c->error = -ERR_LIMIT;
		return;
	}
	for (i = 0; i < n; i++) {
		if (strcasecmp(params[i].name, "boundary") == 0) {
			/* over-long boundaries are cut, as Dovecot does */
			c->last_boundary = params[i].value;
			if (strlen(c->last_boundary) > MIME_BOUNDARY_MAX)
				c->last_boundary = mime_strndup(c->a,
				    c->last_boundary, MIME_BOUNDARY_MAX);
			if (c->last_boundary == NULL)
				c->error = -ERR_LIMIT;
			break;
		}
	}
}

static bool
envelope_name(struct sview name)
{
	static const char *const names[] = {
		"Date", "Subject", "From", "Sender", "Reply-To", "To", "Cc",
		"Bcc", "In-Reply-To", "Message-ID"
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(names); i++) {
		if (sview_eq_ci(name, names[i]))
			return true;
	}
	return false;
}

static void
header_field(struct parse_ctx *c, const struct mime_hdr *h, bool *seen_ct)
{
	struct mime_part *part = c->part;
	struct sview name = { (const char *)c->d + h->start,
			      h->name_end - h->start };
	bool content = name.len >= 8 &&
	    strncasecmp(name.p, "Content-", 8) == 0;
	bool env = part->envelope != NULL && envelope_name(name);
	struct sview v;
	int ret = 0;

	if (!content && !env && !sview_eq_ci(name, "MIME-Version"))
		return;
	if (mime_hdr_value(c->a, c->d, h, &v) < 0) {
		c->error = -ERR_LIMIT;
		return;
	}
	if (sview_eq_ci(name, "MIME-Version"))
		part->flags |= MIME_PART_IS_MIME;
	if (content) {
		struct sview sub = { name.p + 8, name.len - 8 };

		if (sview_eq_ci(name, "Content-Type")) {
			part->flags |= MIME_PART_IS_MIME;
			if (!*seen_ct) {
				*seen_ct = true;
				structure_type(c, v);
			}
		}
		ret = mime_content_field(c->a, part, sub, v);
	}
	if (ret == 0 && env)
		ret = mime_envelope_field(c->a, part->envelope,
					  &c->env_tails, name, v);
	if (ret < 0)
		c->error = ret;
}

/* Forget Content-* data of a non-MIME part (RFC 2045 4). */
static void
clear_content(struct mime_part *part)
{
	part->type = part->subtype = (struct sview){ NULL, 0 };
	part->params = part->disp_params = NULL;
	part->nparams = part->ndisp_params = 0;
	part->id = part->description = part->encoding = part->md5 =
	    part->location = part->disposition = (struct sview){ NULL, 0 };
	part->language = NULL;
	part->nlanguage = 0;
}

/* The newline (nl bytes) that ends part's header goes to its parent's
 * body: it belongs to the boundary line that follows (RFC 2046 5.1.1). */
static void
move_newline(struct mime_part *part, unsigned int nl)
{
	if (nl == 0 || part->parent == NULL)
		return;
	part->header.lines--;
	part->header.raw -= nl;
	part->header.crlf -= 2;
	part->parent->body.lines++;
	part->parent->body.raw += nl;
	part->parent->body.crlf += 2;
}

/* Parse the header block of c->part at c->pos and settle its flags. */
static void
parse_header(struct parse_ctx *c)
{
	struct mime_part *part = c->part;
	struct mime_hdr h;
	unsigned int prev_nl = 0;
	bool seen_ct = false, multipart = false;
	struct boundary *b;
	int ret;

	if (part->parent == NULL ||
	    (part->parent->flags & MIME_PART_RFC822) != 0) {
		part->envelope = arena_zalloc(c->a, sizeof(*part->envelope));
		if (part->envelope == NULL) {
			c->error = -ERR_LIMIT;
			return;
		}
	}
	c->last_boundary = NULL;
	memset(&c->env_tails, 0, sizeof(c->env_tails));
	while (c->error == 0 && c->pos < c->size) {
		b = boundary_at(c, c->pos);
		if (b != NULL && b->part != part) {
			/* a boundary ends the header; the newline before it
			 * belongs to the boundary */
			move_newline(part, prev_nl);
			break;
		}
		ret = mime_hdr_next(c->d, c->pos, c->size, &h);
		if (ret == 0 && c->last_boundary != NULL &&
		    (part->flags & MIME_PART_IS_MIME) != 0) {
			if (!too_deep(c)) {
				push_boundary(c);
				multipart = true;
			} else {
				part->flags &= ~MIME_PART_MULTIPART;
			}
		}
		part->header.raw += h.end - h.start;
		part->header.crlf += h.crlf;
		part->header.lines += h.lines;
		c->pos = h.end;
		if (ret == 0) {
			/* a boundary right after the blank line takes the
			 * blank line's newline too (as in Dovecot) */
			b = boundary_at(c, c->pos);
			if (b != NULL && b->part != part)
				move_newline(part, h.last_nl);
			break;
		}
		if (ret < 0)
			break;
		if (h.nul)
			part->flags |= MIME_PART_HAS_NULS;
		prev_nl = h.last_nl;
		header_field(c, &h, &seen_ct);
	}
	if ((part->flags & MIME_PART_IS_MIME) == 0) {
		part->flags &= MIME_PART_HAS_NULS;
		clear_content(part);
	}
	c->last_boundary = NULL;
	if (!seen_ct || (part->flags & MIME_PART_IS_MIME) == 0) {
		if (part->parent != NULL &&
		    (part->parent->flags & MIME_PART_DIGEST) != 0)
			part->flags |= MIME_PART_RFC822;
		else
			part->flags |= MIME_PART_TEXT;
	}
	if (!multipart && (part->flags & MIME_PART_RFC822) != 0 &&
	    (too_deep(c) || c->total >= MIME_MAX_PARTS))
		part->flags &= ~MIME_PART_RFC822;
}

enum after { AFTER_END, AFTER_NEW_PART, AFTER_EPILOGUE };

/* After a boundary line: a new part, the epilogue, or the end. */
static enum after
after_boundary(struct parse_ctx *c, struct boundary *b, bool first_line)
{
	const unsigned char *lf;
	size_t nl = 0, line;

	while (c->part != b->part)
		part_finish(c);
	c->boundaries = b->epilogue ? b->next : b;
	if (!first_line)
		nl = c->d[c->pos] == '\r' ? 2 : 1;
	line = nl + 2 + b->len + (b->epilogue ? 2 : 0);
	body_add(c, c->pos, c->pos + line);
	c->pos += line;
	lf = memchr(c->d + c->pos, '\n', c->size - c->pos);
	if (lf == NULL) {
		body_add(c, c->pos, c->size);
		c->pos = c->size;
		return AFTER_END;
	}
	body_add(c, c->pos, (size_t)(lf - c->d) + 1);
	c->pos = (size_t)(lf - c->d) + 1;
	if (c->boundaries != NULL && c->boundaries->part == c->part) {
		struct mime_part *part = part_append(c);

		if (part == NULL)
			return AFTER_END;
		part->flags |= MIME_PART_IS_MIME;
		return AFTER_NEW_PART;
	}
	return AFTER_EPILOGUE;
}

/* Read body bytes of c->part up to the next boundary line. Returns the
 * boundary (c->pos at the newline before it, or at the line when
 * *first_line_r) or NULL at the end of the data. */
static struct boundary *
body_to_boundary(struct parse_ctx *c, bool *first_line_r)
{
	const unsigned char *lf;
	struct boundary *b;
	size_t start = c->pos, p = c->pos, bstart;

	*first_line_r = false;
	if ((b = boundary_at(c, p)) != NULL) {
		*first_line_r = true;
		return b;
	}
	while ((lf = memchr(c->d + p, '\n', c->size - p)) != NULL) {
		size_t k = (size_t)(lf - c->d);

		p = k + 1;
		if ((b = boundary_at(c, p)) == NULL)
			continue;
		bstart = k;
		if (k > start && c->d[k - 1] == '\r')
			bstart--;
		body_add(c, start, bstart);
		c->pos = bstart;
		return b;
	}
	body_add(c, start, c->size);
	c->pos = c->size;
	return NULL;
}

static void
parse_all(struct parse_ctx *c)
{
	struct boundary *b;
	bool first_line, header = true;
	enum after next;

	while (c->error == 0) {
		if (header) {
			parse_header(c);
			header = false;
			if ((c->part->flags & MIME_PART_RFC822) != 0 &&
			    c->error == 0) {
				if (part_append(c) == NULL)
					break;
				header = true;
				continue;
			}
		}
		if (c->boundaries == NULL) {
			body_add(c, c->pos, c->size);
			c->pos = c->size;
			break;
		}
		if ((b = body_to_boundary(c, &first_line)) == NULL)
			break;
		next = after_boundary(c, b, first_line);
		if (next == AFTER_END)
			break;
		header = next == AFTER_NEW_PART;
	}
	while (c->part->parent != NULL)
		part_finish(c);
}

int
mime_parse(struct arena *a, const void *data, size_t size,
	   struct mime_message **msg_r)
{
	struct parse_ctx c;
	struct mime_message *m;

	*msg_r = NULL;
	m = arena_zalloc(a, sizeof(*m));
	if (m == NULL)
		return -ERR_LIMIT;
	/* never NULL: NULL marks an unattached deserialized message */
	m->data = data != NULL ? data : (const void *)"";
	m->size = size;
	m->root = arena_zalloc(a, sizeof(*m->root));
	if (m->root == NULL)
		return -ERR_LIMIT;
	m->nparts = 1;
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.d = m->data;
	c.size = size;
	c.msg = m;
	c.part = m->root;
	parse_all(&c);
	if (c.error != 0 || arena_failed(a))
		return -ERR_LIMIT;
	m->size_crlf = m->root->header.crlf + m->root->body.crlf;
	*msg_r = m;
	return 0;
}

struct map_cleanup {
	void *p;
	size_t len;
};

static void
unmap(void *ctx)
{
	struct map_cleanup *mc = ctx;

	munmap(mc->p, mc->len);
}

int
mime_map_fd(struct arena *a, int fd, const void **data_r, size_t *size_r)
{
	struct map_cleanup *mc;
	struct stat st;
	void *p;

	*data_r = "";
	*size_r = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -ERR_IO;
	if (st.st_size == 0)
		return 0;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return -ERR_IO;
	mc = arena_alloc(a, sizeof(*mc));
	if (mc == NULL || arena_on_reset(a, unmap, mc) < 0) {
		munmap(p, (size_t)st.st_size);
		return -ERR_LIMIT;
	}
	mc->p = p;
	mc->len = (size_t)st.st_size;
	*data_r = p;
	*size_r = mc->len;
	return 0;
}

int
mime_parse_fd(struct arena *a, int fd, struct mime_message **msg_r)
{
	const void *p;
	size_t len;
	int ret;

	*msg_r = NULL;
	if ((ret = mime_map_fd(a, fd, &p, &len)) < 0)
		return ret;
	return mime_parse(a, p, len, msg_r);
}
