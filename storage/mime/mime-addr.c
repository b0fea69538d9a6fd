/* Maildock - SPDX-License-Identifier: MIT
 *
 * Address lists (RFC 5322 3.4, obsolete forms of 4.4) into the IMAP
 * ENVELOPE address form. Broken input is read the way Dovecot 2.3 reads it
 * (missing parts become MISSING_MAILBOX / MISSING_DOMAIN, a bad angle
 * address gets the domain SYNTAX_ERROR) so our ENVELOPE matches Dovecot's.
 */
#include <string.h>
#include "core/arena.h"
#include "core/error.h"
#include "storage/mime/mime-private.h"
#include "core/compat.h"

/* More addresses than this in one header are ignored (bounds memory). */
#define MAX_ADDRS 10000

struct addr_ctx {
	struct arena *a;
	struct mime_tok t;
	struct mime_addr *first, *last, cur;
	struct sbuf str, comment;
	unsigned int count;
	bool failed;
};

static const char *
dup_str(struct addr_ctx *c, struct sbuf *b)
{
	const char *s = mime_strndup(c->a, b->data, strlen(b->data));

	if (s == NULL)
		c->failed = true;
	return s;
}

static void
add_address(struct addr_ctx *c)
{
	struct mime_addr *addr;

	if (c->count >= MAX_ADDRS) {
		memset(&c->cur, 0, sizeof(c->cur));
		return;
	}
	addr = arena_alloc(c->a, sizeof(*addr));
	if (addr == NULL) {
		c->failed = true;
		return;
	}
	*addr = c->cur;
	addr->next = NULL;
	memset(&c->cur, 0, sizeof(c->cur));
	if (c->first == NULL)
		c->first = addr;
	else
		c->last->next = addr;
	c->last = addr;
	c->count++;
}

static int
parse_local_part(struct addr_ctx *c)
{
	int ret;

	sbuf_reset(&c->str);
	if (*c->t.p == '"')
		ret = mime_tok_quoted(&c->t, &c->str);
	else
		ret = mime_tok_dot_atom(&c->t, &c->str);
	if (ret < 0)
		return -1;
	c->cur.mailbox = dup_str(c, &c->str);
	return ret;
}

static int
parse_domain(struct addr_ctx *c)
{
	int ret;

	sbuf_reset(&c->str);
	if ((ret = mime_tok_domain(&c->t, &c->str)) < 0)
		return -1;
	c->cur.domain = dup_str(c, &c->str);
	return ret;
}

static int
parse_domain_list(struct addr_ctx *c)
{
	int ret;

	/* obs-domain-list = "@" domain *(*(CFWS / ",") [CFWS] "@" domain) */
	sbuf_reset(&c->str);
	for (;;) {
		if (c->t.p >= c->t.end)
			return 0;
		if (*c->t.p != '@')
			break;
		if (c->str.len > 0)
			sbuf_appendc(&c->str, ',');
		sbuf_appendc(&c->str, '@');
		if ((ret = mime_tok_domain(&c->t, &c->str)) <= 0)
			return ret;
		while (mime_tok_skip_lwsp(&c->t) > 0 && *c->t.p == ',')
			c->t.p++;
	}
	c->cur.route = dup_str(c, &c->str);
	return 1;
}

static int
parse_angle_addr(struct addr_ctx *c)
{
	int ret;

	c->t.p++;	/* '<' */
	if ((ret = mime_tok_skip_lwsp(&c->t)) <= 0)
		return ret;
	if (*c->t.p == '>') {
		/* "<>": the null address, left to add_fixed_address */
		c->t.p++;
		return mime_tok_skip_lwsp(&c->t);
	}
	if (*c->t.p == '@') {
		if (parse_domain_list(c) <= 0 || *c->t.p != ':') {
			c->cur.route = "INVALID_ROUTE";
			return -1;
		}
		c->t.p++;
		if ((ret = mime_tok_skip_lwsp(&c->t)) <= 0)
			return ret;
	}
	if ((ret = parse_local_part(c)) <= 0)
		return ret;
	if (*c->t.p == '@') {
		if ((ret = parse_domain(c)) <= 0)
			return ret;
	}
	if (*c->t.p != '>')
		return -1;
	c->t.p++;
	return mime_tok_skip_lwsp(&c->t);
}

static int
parse_name_addr(struct addr_ctx *c)
{
	sbuf_reset(&c->str);
	if (mime_tok_phrase(&c->t, &c->str) <= 0 || *c->t.p != '<')
		return -1;
	c->cur.name = c->str.len == 0 ? NULL : dup_str(c, &c->str);
	if (parse_angle_addr(c) < 0)
		c->cur.domain = "SYNTAX_ERROR";
	return c->t.p < c->t.end;
}

static int
parse_addr_spec(struct addr_ctx *c)
{
	bool domain_tried = false;
	int ret, ret2;

	sbuf_reset(&c->comment);
	ret = parse_local_part(c);
	if (ret != 0 && c->t.p < c->t.end && *c->t.p == '@') {
		domain_tried = true;
		ret2 = parse_domain(c);
		if (ret2 <= 0)
			ret = ret2;
	}
	if (c->comment.len > 0) {
		c->cur.name = dup_str(c, &c->comment);
	} else if (!domain_tried) {
		/* "user" alone is a mailbox, but "some words" without an
		 * address are a display name */
		size_t orig;

		sbuf_appendc(&c->str, ' ');
		orig = c->str.len;
		if (c->t.p < c->t.end)
			(void)mime_tok_phrase(&c->t, &c->str);
		if (c->str.len != orig) {
			c->cur.mailbox = NULL;
			c->cur.name = dup_str(c, &c->str);
		}
		ret = -1;
	}
	return ret;
}

static void
add_fixed_address(struct addr_ctx *c)
{
	if (c->cur.mailbox == NULL)
		c->cur.mailbox = "MISSING_MAILBOX";
	if (c->cur.domain == NULL)
		c->cur.domain = "MISSING_DOMAIN";
	add_address(c);
}

static int
parse_mailbox(struct addr_ctx *c)
{
	const unsigned char *start = c->t.p;
	int ret;

	if ((ret = parse_name_addr(c)) < 0) {
		c->t.p = start;
		memset(&c->cur, 0, sizeof(c->cur));
		ret = parse_addr_spec(c);
	}
	add_fixed_address(c);
	return ret;
}

static int
parse_group(struct addr_ctx *c)
{
	int ret;

	sbuf_reset(&c->str);
	if (mime_tok_phrase(&c->t, &c->str) <= 0 || *c->t.p != ':')
		return -1;
	/* from here on it is a group, even when broken */
	c->t.p++;
	ret = mime_tok_skip_lwsp(&c->t);
	c->cur.mailbox = dup_str(c, &c->str);
	add_address(c);
	if (ret > 0 && *c->t.p != ';') {
		for (;;) {
			if (parse_mailbox(c) <= 0) {
				ret = -1;
				break;
			}
			if (*c->t.p != ',')
				break;
			c->t.p++;
			if (mime_tok_skip_lwsp(&c->t) <= 0) {
				ret = -1;
				break;
			}
		}
	}
	if (ret >= 0) {
		if (c->t.p >= c->t.end || *c->t.p != ';') {
			ret = -1;
		} else {
			c->t.p++;
			ret = mime_tok_skip_lwsp(&c->t);
		}
	}
	add_address(c);
	return ret == 0 ? 0 : 1;
}

static int
parse_address(struct addr_ctx *c)
{
	const unsigned char *start = c->t.p;
	int ret;

	if ((ret = parse_group(c)) < 0) {
		c->t.p = start;
		memset(&c->cur, 0, sizeof(c->cur));
		ret = parse_mailbox(c);
	}
	return ret;
}

int
mime_addr_parse(struct arena *a, const void *p, size_t len,
		struct mime_addr **list_r)
{
	struct addr_ctx c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.a = a;
	sbuf_init(&c.str, a, 0);
	sbuf_init(&c.comment, a, 0);
	mime_tok_init(&c.t, p, len, &c.comment);
	*list_r = NULL;
	if (mime_tok_skip_lwsp(&c.t) <= 0)
		return 0;
	while (!c.failed && c.count < MAX_ADDRS) {
		if ((ret = parse_address(&c)) == 0)
			break;
		if (c.t.p >= c.t.end || *c.t.p != ',')
			break;
		c.t.p++;
		if ((ret = mime_tok_skip_lwsp(&c.t)) <= 0) {
			if (ret < 0)
				add_fixed_address(&c);
			break;
		}
	}
	if (c.failed || sbuf_failed(&c.str) || sbuf_failed(&c.comment))
		return -ERR_LIMIT;
	*list_r = c.first;
	return 0;
}
