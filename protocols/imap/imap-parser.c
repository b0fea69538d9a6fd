/* Maildock - SPDX-License-Identifier: MIT
 *
 * Incremental IMAP command tokenizer: tag, command name, then a tree of
 * atoms, quoted strings, literals and parenthesized lists. Strings are
 * copied into the command arena; the parser itself only keeps a bounded
 * token buffer and a stack of open lists. Literals (RFC 3501 4.3, LITERAL+,
 * literal8) are read in imap-parser-literal.c.
 */
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "protocols/imap/imap-parser-private.h"
#include "core/compat.h"

struct imap_parser *
imap_parser_new(struct arena *arena, const struct imap_parser_limits *limits)
{
	struct imap_parser *p = xcalloc(1, sizeof(*p));

	imap_parser_set_limits(p, limits);
	imap_parser_reset(p, arena);
	return p;
}

void
imap_parser_free(struct imap_parser **p)
{
	if (*p == NULL)
		return;
	free((*p)->tok);
	free(*p);
	*p = NULL;
}

void
imap_parser_set_limits(struct imap_parser *p,
		       const struct imap_parser_limits *limits)
{
	p->lim = *limits;
	if (p->lim.depth_max > IMAP_PARSER_DEPTH_CAP)
		p->lim.depth_max = IMAP_PARSER_DEPTH_CAP;
	if (p->lim.tag_max == 0)
		p->lim.tag_max = 64;
}

void
imap_parser_reset(struct imap_parser *p, struct arena *arena)
{
	p->arena = arena;
	p->state = ST_TAG;
	p->error = "";
	p->tag = p->name = NULL;
	p->tok_len = 0;
	p->in_bracket = false;
	p->line_len = p->cmd_len = 0;
	p->depth = 0;
	memset(p->frames, 0, sizeof(p->frames));
}

int
imap_parser_fail(struct imap_parser *p, int err, const char *why)
{
	p->state = ST_ERROR;
	p->error = why;
	return err;
}

static bool
tok_add(struct imap_parser *p, char c)
{
	if (p->tok_len + 1 >= p->tok_cap) {
		size_t n = p->tok_cap ? p->tok_cap * 2 : 64;
		if (n > p->lim.line_max + 2)
			n = p->lim.line_max + 2;
		if (p->tok_len + 1 >= n)
			return false;
		p->tok = xrealloc(p->tok, n);
		p->tok_cap = n;
	}
	p->tok[p->tok_len++] = c;
	return true;
}

struct imap_arg *
imap_parser_add_arg(struct imap_parser *p, enum imap_arg_type type)
{
	struct frame *f = &p->frames[p->depth];

	if (f->count == f->alloc) {
		unsigned n = f->alloc ? f->alloc * 2 : 8;
		size_t bytes;
		struct imap_arg *items;

		if (n < f->alloc || !size_mul_r(n, sizeof(*items), &bytes))
			return NULL;
		items = arena_alloc(p->arena, bytes);
		if (items == NULL)
			return NULL;
		if (f->count > 0)
			memcpy(items, f->items, f->count * sizeof(*items));
		f->items = items;
		f->alloc = n;
	}
	struct imap_arg *a = &f->items[f->count++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	return a;
}

static int
finish_string(struct imap_parser *p, enum imap_arg_type type)
{
	char *s = arena_strndup(p->arena, p->tok ? p->tok : "", p->tok_len);
	struct imap_arg *a;

	if (s == NULL)
		return imap_parser_fail(p, -ERR_NOMEM, "out of memory");
	if (type == IMAP_ARG_ATOM && p->tok_len == 3 &&
	    strncasecmp(s, "NIL", 3) == 0)
		type = IMAP_ARG_NIL;
	a = imap_parser_add_arg(p, type);
	if (a == NULL)
		return imap_parser_fail(p, -ERR_NOMEM, "out of memory");
	a->str = s;
	a->len = p->tok_len;
	p->tok_len = 0;
	p->state = ST_AFTER_TOKEN;
	return 0;
}

static int
open_list(struct imap_parser *p)
{
	struct imap_arg *a;

	if (p->depth >= p->lim.depth_max)
		return imap_parser_fail(p, -ERR_LIMIT,
					"lists nested too deeply");
	a = imap_parser_add_arg(p, IMAP_ARG_LIST);
	if (a == NULL)
		return imap_parser_fail(p, -ERR_NOMEM, "out of memory");
	p->depth++;
	memset(&p->frames[p->depth], 0, sizeof(p->frames[0]));
	p->state = ST_ARG_START;
	return 0;
}

static int
close_list(struct imap_parser *p)
{
	struct frame *f = &p->frames[p->depth];
	struct frame *up;

	if (p->depth == 0)
		return imap_parser_fail(p, -ERR_SYNTAX, "unexpected ')'");
	up = &p->frames[p->depth - 1];
	up->items[up->count - 1].list = f->items;
	up->items[up->count - 1].count = f->count;
	p->depth--;
	p->state = ST_AFTER_TOKEN;
	return 0;
}

/* atom characters of the tokenizer: ATOM-CHAR plus the list wildcards,
 * resp-specials and '\' (flags), as every server's lexer accepts them */
static bool
is_atom_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return c != '(' && c != ')' && c != '{' && c != '"';
}

static bool
is_tag_char(unsigned char c)
{
	return is_atom_char(c) && c != '+' && c != '%' && c != '*' &&
	       c != '\\';
}

static int
end_of_line(struct imap_parser *p, unsigned char c)
{
	if (c != '\r')
		return imap_parser_fail(p, -ERR_SYNTAX, "unexpected character");
	p->state = ST_LF;
	return 0;
}

static int
step_token_end(struct imap_parser *p, unsigned char c)
{
	switch (c) {
	case ' ':
		p->state = ST_ARG_START;
		return 0;
	case ')':
		return close_list(p);
	default:
		return end_of_line(p, c);
	}
}

static int
step_arg_start(struct imap_parser *p, unsigned char c)
{
	switch (c) {
	case '(':
		return open_list(p);
	case ')':
		return close_list(p);
	case '"':
		p->tok_len = 0;
		p->state = ST_QUOTED;
		return 0;
	case '~':
		p->state = ST_LIT8;
		return 0;
	case '{':
		return imap_parser_start_literal(p, false);
	case '\r':
		if (p->depth > 0)
			return imap_parser_fail(p, -ERR_SYNTAX,
						"unclosed list");
		p->state = ST_LF;
		return 0;
	default:
		if (!is_atom_char(c))
			return imap_parser_fail(p, -ERR_SYNTAX, c >= 0x80 ?
						"8-bit data outside a literal" :
						"unexpected character");
		p->tok_len = 0;
		p->in_bracket = false;
		p->state = ST_ATOM;
		if (c == '[')
			p->in_bracket = p->bracket_plain = true;
		if (!tok_add(p, (char)c))
			return imap_parser_fail(p, -ERR_LIMIT,
						"token too long");
		return 0;
	}
}

static int
step_atom(struct imap_parser *p, unsigned char c)
{
	int r;

	if (p->in_bracket && c == '\r' && p->bracket_plain) {
		/* '[' is an ATOM-CHAR (RFC 3501 9): "foo[}" is an atom */
		r = finish_string(p, IMAP_ARG_ATOM);
		return r < 0 ? r : step_token_end(p, c);
	}
	if (p->in_bracket) {
		if (c < 0x20 || c >= 0x7f)
			return imap_parser_fail(p, -ERR_SYNTAX,
						"bad character in [...]");
		if (c == ']')
			p->in_bracket = false;
		else if (!is_atom_char(c))
			p->bracket_plain = false;
	} else if (c == '[') {
		p->in_bracket = p->bracket_plain = true;
	} else if (!is_atom_char(c)) {
		if (c == '(' || c == '"' || c == '{')
			return imap_parser_fail(p, -ERR_SYNTAX,
						"unexpected character");
		if (c >= 0x80)
			return imap_parser_fail(p, -ERR_SYNTAX,
						"8-bit data outside a literal");
		r = finish_string(p, IMAP_ARG_ATOM);
		return r < 0 ? r : step_token_end(p, c);
	}
	if (!tok_add(p, (char)c))
		return imap_parser_fail(p, -ERR_LIMIT, "token too long");
	return 0;
}

static int
step_quoted(struct imap_parser *p, unsigned char c)
{
	if (p->state == ST_QUOTED_ESC) {
		if (c != '"' && c != '\\')
			return imap_parser_fail(p, -ERR_SYNTAX,
						"bad escape in quoted string");
		p->state = ST_QUOTED;
	} else if (c == '\\') {
		p->state = ST_QUOTED_ESC;
		return 0;
	} else if (c == '"') {
		if (p->utf8 && !imap_arg_utf8_valid(p->tok, p->tok_len))
			return imap_parser_fail(p, -ERR_SYNTAX,
						"invalid UTF-8");
		return finish_string(p, IMAP_ARG_QUOTED);
	} else if (c == 0 || c == '\r' || c == '\n') {
		return imap_parser_fail(p, -ERR_SYNTAX,
					"CR, LF or NUL in quoted string");
	} else if (c >= 0x80 && !p->utf8) {
		return imap_parser_fail(p, -ERR_SYNTAX,
					"8-bit data outside a literal");
	}
	if (!tok_add(p, (char)c))
		return imap_parser_fail(p, -ERR_LIMIT, "token too long");
	return 0;
}

static int
step_head(struct imap_parser *p, unsigned char c)
{
	if (p->state == ST_TAG) {
		if (c == ' ' && p->tok_len > 0) {
			p->tag = arena_strndup(p->arena, p->tok, p->tok_len);
			if (p->tag == NULL)
				return imap_parser_fail(p, -ERR_NOMEM,
							"out of memory");
			p->tok_len = 0;
			p->state = ST_NAME;
			return 0;
		}
		if (!is_tag_char(c))
			return imap_parser_fail(p, -ERR_SYNTAX,
			    p->tok_len == 0 ?
			    "missing tag" : "bad tag or missing command");
		if (p->tok_len >= p->lim.tag_max)
			return imap_parser_fail(p, -ERR_SYNTAX, "tag too long");
		tok_add(p, (char)c);
		return 0;
	}
	/* ST_NAME */
	if ((c == ' ' || c == '\r') && p->tok_len > 0) {
		for (size_t i = 0; i < p->tok_len; i++)
			if (p->tok[i] >= 'a' && p->tok[i] <= 'z')
				p->tok[i] = (char)(p->tok[i] - 'a' + 'A');
		p->name = arena_strndup(p->arena, p->tok, p->tok_len);
		if (p->name == NULL)
			return imap_parser_fail(p, -ERR_NOMEM, "out of memory");
		p->tok_len = 0;
		p->state = c == ' ' ? ST_ARG_START : ST_LF;
		return 0;
	}
	if (!is_atom_char(c) || c == '[' || p->tok_len >= 64)
		return imap_parser_fail(p, -ERR_SYNTAX,
					"missing or bad command name");
	tok_add(p, (char)c);
	return 0;
}

static int
step(struct imap_parser *p, unsigned char c)
{
	switch (p->state) {
	case ST_TAG:
	case ST_NAME:
		return step_head(p, c);
	case ST_AFTER_TOKEN:
		return step_token_end(p, c);
	case ST_ARG_START:
		return step_arg_start(p, c);
	case ST_ATOM:
		return step_atom(p, c);
	case ST_QUOTED:
	case ST_QUOTED_ESC:
		return step_quoted(p, c);
	case ST_LIT8:
		if (c == '{')
			return imap_parser_start_literal(p, true);
		/* '~' is an ATOM-CHAR: only "~{" starts a literal8 (RFC
		 * 3516 4.1); "~foo" is an atom (LIST "" ~foo) */
		p->tok_len = 0;
		p->in_bracket = false;
		p->state = ST_ATOM;
		tok_add(p, '~');
		return step_atom(p, c);
	case ST_LIT_NUM:
	case ST_LIT_CLOSE:
	case ST_LIT_CR:
	case ST_LIT_LF:
		return imap_parser_step_literal_head(p, c);
	case ST_LF:
		if (c != '\n')
			return imap_parser_fail(p, -ERR_SYNTAX,
						"CR without LF");
		if (p->depth > 0)
			return imap_parser_fail(p, -ERR_SYNTAX,
						"unclosed list");
		p->state = ST_DONE;
		return IMAP_PARSE_DONE;
	default:
		return imap_parser_fail(p, -ERR_SYNTAX, "parser misuse");
	}
}

int
imap_parser_feed(struct imap_parser *p, const void *data, size_t len,
		 size_t *used_r)
{
	const unsigned char *d = data;
	size_t i = 0;
	int r = IMAP_PARSE_MORE;

	*used_r = 0;
	if (p->state == ST_ERROR)
		return -ERR_SYNTAX;
	if (p->state == ST_DONE)
		return IMAP_PARSE_DONE;
	while (i < len || (p->state == ST_LIT_DATA &&
			   p->lit_got == p->lit_size)) {
		if (p->state == ST_LIT_DATA) {
			size_t n = 0;
			r = imap_parser_literal_data(p, d + i, len - i, &n);
			i += n;
			if (r < 0)
				break;
			continue;
		}
		if (++p->line_len > p->lim.line_max) {
			r = imap_parser_fail(p, -ERR_LIMIT, "line too long");
			break;
		}
		if (++p->cmd_len > p->lim.command_max) {
			r = imap_parser_fail(p, -ERR_LIMIT, "command too long");
			break;
		}
		r = step(p, d[i++]);
		if (r != 0)
			break;
	}
	*used_r = i;
	return r;
}

void
imap_parser_set_utf8(struct imap_parser *p, bool utf8)
{
	p->utf8 = utf8;
}

unsigned
imap_parser_depth(const struct imap_parser *p, unsigned *count_r)
{
	*count_r = p->frames[p->depth].count;
	return p->depth;
}

const char *
imap_parser_tag(const struct imap_parser *p)
{
	return p->tag;
}

const char *
imap_parser_name(const struct imap_parser *p)
{
	return p->name;
}

const struct imap_arg *
imap_parser_args(const struct imap_parser *p, unsigned *count_r)
{
	*count_r = p->frames[0].count;
	return p->frames[0].items;
}

const char *
imap_parser_error(const struct imap_parser *p)
{
	return p->error;
}
