/* Maildock - SPDX-License-Identifier: MIT
 *
 * POP3 command-line parser. One sorted table of keywords and the argument
 * shape each takes; numbers are checked for overflow before every *10.
 * No allocation, no I/O: the result points into the caller's line.
 */
#include "core/error.h"
#include "protocols/pop3/pop3-parser.h"
#include "core/compat.h"

enum arg_shape {
	ARGS_NONE,	/* STAT, NOOP, RSET, QUIT, CAPA, STLS */
	ARGS_OPT_MSG,	/* LIST [msg], UIDL [msg] */
	ARGS_MSG,	/* RETR msg, DELE msg */
	ARGS_TOP,	/* TOP msg n */
	ARGS_REST,	/* USER name, PASS secret: the rest of the line */
	ARGS_AUTH,	/* AUTH [mechanism [initial-response]] */
};

struct keyword {
	const char *name;
	enum pop3_cmd_id id;
	enum arg_shape shape;
};

/* sorted by name */
static const struct keyword keywords[] = {
	{ "AUTH", POP3_CMD_AUTH, ARGS_AUTH },
	{ "CAPA", POP3_CMD_CAPA, ARGS_NONE },
	{ "DELE", POP3_CMD_DELE, ARGS_MSG },
	{ "LIST", POP3_CMD_LIST, ARGS_OPT_MSG },
	{ "NOOP", POP3_CMD_NOOP, ARGS_NONE },
	{ "PASS", POP3_CMD_PASS, ARGS_REST },
	{ "QUIT", POP3_CMD_QUIT, ARGS_NONE },
	{ "RETR", POP3_CMD_RETR, ARGS_MSG },
	{ "RSET", POP3_CMD_RSET, ARGS_NONE },
	{ "STAT", POP3_CMD_STAT, ARGS_NONE },
	{ "STLS", POP3_CMD_STLS, ARGS_NONE },
	{ "TOP", POP3_CMD_TOP, ARGS_TOP },
	{ "UIDL", POP3_CMD_UIDL, ARGS_OPT_MSG },
	{ "USER", POP3_CMD_USER, ARGS_REST },
};

_Static_assert(N_ELEMENTS(keywords) == POP3_CMD_COUNT,
	       "one keyword per command id");

/* Compare the upper-cased word w[0..n) with an upper-case keyword. */
static int
kwcmp(const char *w, size_t n, const char *kw)
{
	size_t i;
	for (i = 0; i < n && kw[i] != '\0'; i++) {
		unsigned char c = (unsigned char)w[i];
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		if (c != (unsigned char)kw[i])
			return c < (unsigned char)kw[i] ? -1 : 1;
	}
	if (i < n)
		return 1;
	return kw[i] == '\0' ? 0 : -1;
}

static const struct keyword *
find_keyword(const char *w, size_t n)
{
	size_t lo = 0, hi = N_ELEMENTS(keywords);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = kwcmp(w, n, keywords[mid].name);
		if (r == 0)
			return &keywords[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Split the arguments after the keyword into space-separated words. */
static size_t
split_words(const char *p, const char *end, struct sview *w, size_t max)
{
	size_t n = 0;
	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		const char *s = p;
		while (p < end && *p != ' ')
			p++;
		if (n == max)
			return max + 1;
		w[n++] = (struct sview){ s, (size_t)(p - s) };
	}
	return n;
}

static int
parse_u32(struct sview w, uint32_t *r)
{
	uint32_t v = 0;
	if (w.len == 0 || w.len > POP3_PARSER_MAX_ARG)
		return -ERR_SYNTAX;
	for (size_t i = 0; i < w.len; i++) {
		unsigned d = (unsigned char)w.p[i] - (unsigned)'0';
		if (d > 9)
			return -ERR_SYNTAX;
		if (v > (UINT32_MAX - d) / 10)
			return -ERR_SYNTAX;
		v = v * 10 + d;
	}
	*r = v;
	return 0;
}

static int
parse_msgs(struct pop3_cmd *cmd, const struct sview *w, size_t n,
	   const char **error_r)
{
	for (size_t i = 0; i < n; i++) {
		if (parse_u32(w[i], &cmd->num[i]) < 0) {
			*error_r = "Invalid number";
			return -ERR_SYNTAX;
		}
	}
	if (n > 0 && cmd->num[0] == 0) {
		*error_r = "Invalid message number";
		return -ERR_SYNTAX;
	}
	cmd->nnums = (unsigned)n;
	return 0;
}

static bool
is_base64ish(struct sview w)
{
	if (w.len == 1 && w.p[0] == '=')
		return true;	/* RFC 5034 sec. 4: an empty initial response */
	for (size_t i = 0; i < w.len; i++) {
		unsigned char c = (unsigned char)w.p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		      c == '='))
			return false;
	}
	return true;
}

static int
parse_args(const struct keyword *kw, const char *p, const char *end,
	   struct pop3_cmd *cmd, const char **error_r)
{
	struct sview w[2];
	size_t n;

	if (kw->shape == ARGS_REST) {
		/* The rest follows exactly one space: a password may start or
		 * end with blanks. A user name may not end with one. */
		if (p == end || end - p < 2) {
			*error_r = "Missing argument";
			return -ERR_SYNTAX;
		}
		cmd->arg = (struct sview){ p + 1, (size_t)(end - p - 1) };
		if (kw->id == POP3_CMD_USER)
			while (cmd->arg.len > 0 &&
			       cmd->arg.p[cmd->arg.len - 1] == ' ')
				cmd->arg.len--;
		if (cmd->arg.len == 0) {
			*error_r = "Missing argument";
			return -ERR_SYNTAX;
		}
		return 0;
	}
	n = split_words(p, end, w, 2);
	switch (kw->shape) {
	case ARGS_NONE:
		if (n == 0)
			return 0;
		break;
	case ARGS_OPT_MSG:
		if (n <= 1)
			return parse_msgs(cmd, w, n, error_r);
		break;
	case ARGS_MSG:
		if (n == 1)
			return parse_msgs(cmd, w, n, error_r);
		break;
	case ARGS_TOP:
		if (n == 2)
			return parse_msgs(cmd, w, n, error_r);
		break;
	case ARGS_AUTH:
		if (n > 2)
			break;
		if (n >= 1) {
			cmd->arg = w[0];
			if (w[0].len > POP3_PARSER_MAX_ARG)
				break;
		}
		if (n == 2) {
			cmd->arg2 = w[1];
			if (!is_base64ish(w[1]))
				break;
		}
		return 0;
	case ARGS_REST:
		break;
	}
	*error_r = n > 0 && kw->shape == ARGS_NONE ? "Too many arguments" :
		"Invalid arguments";
	return -ERR_SYNTAX;
}

int
pop3_parser_parse(const char *line, size_t len, struct pop3_cmd *cmd_r,
		  const char **error_r)
{
	const char *end = line + len, *p;
	const struct keyword *kw;

	memset(cmd_r, 0, sizeof(*cmd_r));
	*error_r = "";
	if (memchr(line, '\0', len) != NULL) {
		*error_r = "NUL in command";
		return -ERR_SYNTAX;
	}
	for (p = line; p < end && *p != ' '; p++)
		;
	kw = find_keyword(line, (size_t)(p - line));
	if (kw == NULL) {
		*error_r = "Unknown command";
		return -ERR_NOTFOUND;
	}
	cmd_r->id = kw->id;
	cmd_r->keyword = kw->name;
	if (kw->shape != ARGS_REST) {
		/* Only blanks and printable ASCII in non-secret arguments;
		 * trailing blanks are tolerated (some clients send them). */
		for (const char *q = p; q < end; q++) {
			unsigned char c = (unsigned char)*q;
			if (c < 0x20 || c >= 0x7f) {
				*error_r = "Invalid character in command";
				return -ERR_SYNTAX;
			}
		}
	}
	return parse_args(kw, p, end, cmd_r, error_r);
}
