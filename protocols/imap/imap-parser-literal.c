/* Maildock - SPDX-License-Identifier: MIT
 *
 * Literals of the IMAP command parser: "{n}" CRLF (RFC 3501 4.3), the
 * non-synchronizing "{n+}" (RFC 7888 LITERAL+) and "~{n}" (RFC 3516
 * literal8): the size announcement, the data read into the command arena
 * (bounded by literal_max and command_max), or skipped for a caller that
 * streams it (APPEND).
 */
#include "core/arena.h"
#include "core/error.h"
#include "protocols/imap/imap-parser-private.h"
#include "core/compat.h"

int
imap_parser_start_literal(struct imap_parser *p, bool lit8)
{
	p->lit_size = 0;
	p->lit_digits = false;
	p->lit_sync = true;
	p->lit8 = lit8;
	p->state = ST_LIT_NUM;
	return 0;
}

int
imap_parser_step_literal_head(struct imap_parser *p, unsigned char c)
{
	switch (p->state) {
	case ST_LIT_NUM:
		if (c >= '0' && c <= '9') {
			unsigned d = c - '0';
			/* overflow check before the multiplication */
			if (p->lit_size > (UINT32_MAX - d) / 10)
				return imap_parser_fail(p, -ERR_LIMIT,
				    "literal size above 32 bits");
			p->lit_size = p->lit_size * 10 + d;
			p->lit_digits = true;
			return 0;
		}
		if (!p->lit_digits)
			return imap_parser_fail(p, -ERR_SYNTAX,
						"bad literal size");
		if (c == '+') {
			p->lit_sync = false;
			p->state = ST_LIT_CLOSE;
			return 0;
		}
		/* FALLTHROUGH */
	case ST_LIT_CLOSE:
		if (c != '}')
			return imap_parser_fail(p, -ERR_SYNTAX,
						"bad literal size");
		p->state = ST_LIT_CR;
		return 0;
	case ST_LIT_CR:
		if (c != '\r')
			return imap_parser_fail(p, -ERR_SYNTAX,
						"literal must end the line");
		p->state = ST_LIT_LF;
		return 0;
	default:
		if (c != '\n')
			return imap_parser_fail(p, -ERR_SYNTAX,
						"CR without LF");
		p->state = ST_LIT_DATA;
		p->lit_got = 0;
		p->lit_data = NULL;
		p->lit_nul = false;
		return IMAP_PARSE_LITERAL;
	}
}

int
imap_parser_literal_data(struct imap_parser *p, const unsigned char *d,
			 size_t len, size_t *used_r)
{
	uint64_t want = p->lit_size - p->lit_got;
	size_t n = len < want ? len : (size_t)want;

	*used_r = 0;
	struct imap_arg *a;

	if (p->lit_data == NULL) {
		if (p->lit_size > p->lim.literal_max)
			return imap_parser_fail(p, -ERR_LIMIT,
						"literal too big");
		if (!size_add_r(p->cmd_len, (size_t)p->lit_size, &p->cmd_len) ||
		    p->cmd_len > p->lim.command_max)
			return imap_parser_fail(p, -ERR_LIMIT,
						"command too long");
		p->lit_data = arena_alloc(p->arena, (size_t)p->lit_size + 1);
		if (p->lit_data == NULL)
			return imap_parser_fail(p, -ERR_NOMEM, "out of memory");
	}
	if (n > 0) {
		memcpy(p->lit_data + p->lit_got, d, n);
		if (memchr(d, 0, n) != NULL)
			p->lit_nul = true;
	}
	p->lit_got += n;
	*used_r = n;
	if (p->lit_got < p->lit_size)
		return 0;
	p->lit_data[p->lit_size] = '\0';
	a = imap_parser_add_arg(p, IMAP_ARG_LITERAL);
	if (a == NULL)
		return imap_parser_fail(p, -ERR_NOMEM, "out of memory");
	a->str = p->lit_data;
	a->len = (size_t)p->lit_size;
	a->literal_size = p->lit_size;
	a->has_nul = p->lit_nul;
	a->literal8 = p->lit8;
	p->lit_data = NULL;
	p->line_len = 0;
	p->state = ST_AFTER_TOKEN;
	return 0;
}

void
imap_parser_literal(const struct imap_parser *p, uint64_t *size_r,
		    bool *sync_r, bool *top_level_r, unsigned *argc_r)
{
	*size_r = p->lit_size;
	*sync_r = p->lit_sync;
	*top_level_r = p->depth == 0;
	*argc_r = p->frames[0].count;
}

bool
imap_parser_literal_fits(const struct imap_parser *p)
{
	size_t total;

	return p->lit_size <= p->lim.literal_max &&
	       size_add_r(p->cmd_len, (size_t)p->lit_size, &total) &&
	       total <= p->lim.command_max;
}

void
imap_parser_literal_skip(struct imap_parser *p)
{
	struct imap_arg *a;

	if (p->state != ST_LIT_DATA || p->lit_got != 0) {
		imap_parser_fail(p, -ERR_SYNTAX, "parser misuse");
		return;
	}
	a = imap_parser_add_arg(p, IMAP_ARG_LITERAL_SIZE);
	if (a == NULL) {
		imap_parser_fail(p, -ERR_NOMEM, "out of memory");
		return;
	}
	a->str = "";
	a->literal_size = p->lit_size;
	a->literal8 = p->lit8;
	p->line_len = 0;
	p->state = ST_AFTER_TOKEN;
}

bool
imap_parser_literal8(const struct imap_parser *p)
{
	return p->lit8;
}
