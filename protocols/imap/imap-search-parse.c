/* Maildock - SPDX-License-Identifier: MIT
 *
 * The SEARCH key grammar of RFC 3501 section 6.4.4 and 9 ("search-key")
 * into a program tree. Nesting (OR, NOT, lists) is bounded by depth, so a
 * client's "OR OR OR ..." chain is refused with BAD, not a stack overflow.
 */
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "protocols/imap/imap-search.h"
#include "core/compat.h"

struct parser {
	struct arena *arena;
	const struct imap_search_arg *args;
	size_t count, pos;
	unsigned keys;
	const char *error;
};

enum kw_kind {
	KW_FLAG,	/* mask, value */
	KW_DATE,	/* date argument */
	KW_SIZE,	/* number argument */
	KW_STRING,	/* astring argument, header field given */
	KW_HEADER,	/* field-name and string */
	KW_KEYWORD,	/* flag-keyword */
	KW_OBJECTID,	/* objectid (RFC 8474 6) */
	KW_NOT,
	KW_OR,
	KW_UID,
	KW_MODSEQ,
	KW_ALL,
};

struct keyword {
	const char *name;
	enum kw_kind kind;
	enum imap_search_type type;
	unsigned mask, value;
	const char *field;
	bool negate;
};

/* keyword, argument kind, key type; FLAG_KEY: flags mask and value;
 * STRING_KEY: the header field (NULL for BODY/TEXT) */
#define F(x) IMAP_SEARCH_F_##x
#define KEY(n, kind, type) { n, kind, IMAP_SEARCH_##type, 0, 0, NULL, false }
#define FLAG_KEY(n, mask, value) \
	{ n, KW_FLAG, IMAP_SEARCH_FLAGS, mask, value, NULL, false }
#define STRING_KEY(n, type, field) \
	{ n, KW_STRING, IMAP_SEARCH_##type, 0, 0, field, false }
static const struct keyword keywords[] = {
	KEY("ALL", KW_ALL, ALL),
	FLAG_KEY("ANSWERED", F(ANSWERED), F(ANSWERED)),
	STRING_KEY("BCC", HEADER, "Bcc"),
	KEY("BEFORE", KW_DATE, BEFORE),
	STRING_KEY("BODY", BODY, NULL),
	STRING_KEY("CC", HEADER, "Cc"),
	FLAG_KEY("DELETED", F(DELETED), F(DELETED)),
	FLAG_KEY("DRAFT", F(DRAFT), F(DRAFT)),
	KEY("EMAILID", KW_OBJECTID, EMAILID),
	FLAG_KEY("FLAGGED", F(FLAGGED), F(FLAGGED)),
	STRING_KEY("FROM", HEADER, "From"),
	KEY("HEADER", KW_HEADER, HEADER),
	KEY("KEYWORD", KW_KEYWORD, KEYWORD),
	KEY("LARGER", KW_SIZE, LARGER),
	KEY("MODSEQ", KW_MODSEQ, MODSEQ),
	FLAG_KEY("NEW", F(RECENT) | F(SEEN), F(RECENT)),
	KEY("NOT", KW_NOT, NOT),
	FLAG_KEY("OLD", F(RECENT), 0),
	KEY("OLDER", KW_SIZE, OLDER),	/* RFC 5032 WITHIN, in seconds */
	KEY("ON", KW_DATE, ON),
	KEY("OR", KW_OR, OR),
	FLAG_KEY("RECENT", F(RECENT), F(RECENT)),
	/* RFC 8514 4: every Maildir folder has save dates */
	KEY("SAVEDATESUPPORTED", KW_ALL, ALL),
	KEY("SAVEDBEFORE", KW_DATE, SAVEDBEFORE),
	KEY("SAVEDON", KW_DATE, SAVEDON),
	KEY("SAVEDSINCE", KW_DATE, SAVEDSINCE),
	FLAG_KEY("SEEN", F(SEEN), F(SEEN)),
	KEY("SENTBEFORE", KW_DATE, SENTBEFORE),
	KEY("SENTON", KW_DATE, SENTON),
	KEY("SENTSINCE", KW_DATE, SENTSINCE),
	KEY("SINCE", KW_DATE, SINCE),
	KEY("SMALLER", KW_SIZE, SMALLER),
	STRING_KEY("SUBJECT", HEADER, "Subject"),
	STRING_KEY("TEXT", TEXT, NULL),
	KEY("THREADID", KW_OBJECTID, THREADID),
	STRING_KEY("TO", HEADER, "To"),
	KEY("UID", KW_UID, UIDSET),
	FLAG_KEY("UNANSWERED", F(ANSWERED), 0),
	FLAG_KEY("UNDELETED", F(DELETED), 0),
	FLAG_KEY("UNDRAFT", F(DRAFT), 0),
	FLAG_KEY("UNFLAGGED", F(FLAGGED), 0),
	{ "UNKEYWORD", KW_KEYWORD, IMAP_SEARCH_KEYWORD, 0, 0, NULL, true },
	FLAG_KEY("UNSEEN", F(SEEN), 0),
	KEY("YOUNGER", KW_SIZE, YOUNGER),	/* RFC 5032 WITHIN */
};
#undef KEY
#undef FLAG_KEY
#undef STRING_KEY

static const struct {
	const char *name;
	unsigned flag;
} system_flags[] = {
	{ "\\Answered", F(ANSWERED) }, { "\\Flagged", F(FLAGGED) },
	{ "\\Deleted", F(DELETED) }, { "\\Seen", F(SEEN) },
	{ "\\Draft", F(DRAFT) }, { "\\Recent", F(RECENT) },
};
#undef F

static int parse_key(struct parser *p, unsigned depth,
		     struct imap_search_key **key_r);

bool
imap_search_charset_ok(const char *name, size_t len)
{
	return (len == 5 && strncasecmp(name, "UTF-8", 5) == 0) ||
	       (len == 4 && strncasecmp(name, "UTF8", 4) == 0) ||
	       (len == 8 && strncasecmp(name, "US-ASCII", 8) == 0);
}

static int
fail(struct parser *p, int err, const char *msg)
{
	if (p->error == NULL)
		p->error = msg;
	return err;
}

static struct imap_search_key *
new_key(struct parser *p, enum imap_search_type type)
{
	struct imap_search_key *k;

	if (++p->keys > IMAP_SEARCH_MAX_KEYS) {
		fail(p, -ERR_LIMIT, "Too many search keys");
		return NULL;
	}
	k = arena_zalloc(p->arena, sizeof(*k));
	if (k == NULL) {
		fail(p, -ERR_LIMIT, "Search program too large");
		return NULL;
	}
	k->type = type;
	return k;
}

static const struct imap_search_arg *
next_arg(struct parser *p)
{
	if (p->pos >= p->count)
		return NULL;
	return &p->args[p->pos++];
}

/* a string-ish argument: atom, quoted or literal */
static int
string_arg(struct parser *p, const struct imap_search_arg **a_r)
{
	const struct imap_search_arg *a = next_arg(p);

	if (a == NULL || a->type == IMAP_SEARCH_ARG_LIST)
		return fail(p, -ERR_SYNTAX, "Missing search key argument");
	*a_r = a;
	return 0;
}

static int
number_arg(struct parser *p, uint64_t *v_r)
{
	const struct imap_search_arg *a = next_arg(p);
	uint64_t v = 0;
	size_t i;

	if (a == NULL || a->type != IMAP_SEARCH_ARG_ATOM || a->len == 0 ||
	    a->len > 20)
		return fail(p, -ERR_SYNTAX, "Invalid size number");
	for (i = 0; i < a->len; i++) {
		unsigned d = (unsigned char)a->str[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return fail(p, -ERR_SYNTAX, "Invalid size number");
		v = v * 10 + d;
	}
	*v_r = v;
	return 0;
}

static int
needle_arg(struct parser *p, struct imap_search_key *k)
{
	const struct imap_search_arg *a;
	char *out;
	int ret;

	if ((ret = string_arg(p, &a)) < 0)
		return ret;
	out = arena_alloc(p->arena, a->len + 1);
	if (out == NULL)
		return fail(p, -ERR_LIMIT, "Search string too large");
	k->str_len = imap_search_fold(a->str, a->len, out, false, NULL);
	out[k->str_len] = '\0';
	k->str = out;
	return 0;
}

/* nz-number or "*" (0); false on anything else */
static bool
seq_number(const char *s, size_t len, uint32_t *v_r)
{
	uint32_t v = 0;
	size_t i;

	if (len == 1 && s[0] == '*') {
		*v_r = 0;
		return true;
	}
	if (len == 0 || len > 10 || s[0] == '0')
		return false;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT32_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*v_r = v;
	return true;
}

static bool
is_seqset(const struct imap_search_arg *a)
{
	char c;

	if (a->type != IMAP_SEARCH_ARG_ATOM || a->len == 0)
		return false;
	c = a->str[0];
	return (c >= '0' && c <= '9') || c == '*';
}

static int
seqset_parse(struct parser *p, const struct imap_search_arg *a,
	     struct imap_search_key *k)
{
	size_t i, start, n = 1;
	struct imap_search_range *r;

	if (a == NULL || !is_seqset(a))
		return fail(p, -ERR_SYNTAX, "Invalid sequence set");
	for (i = 0; i < a->len; i++)
		n += a->str[i] == ',';
	if (n > IMAP_SEARCH_MAX_RANGES)
		return fail(p, -ERR_LIMIT, "Sequence set too long");
	r = arena_alloc(p->arena, n * sizeof(*r));
	if (r == NULL)
		return fail(p, -ERR_LIMIT, "Sequence set too long");
	k->ranges = r;
	k->range_count = 0;
	for (start = 0; start <= a->len; start = i + 1) {
		const char *s = a->str + start, *colon;
		size_t len;

		for (i = start; i < a->len && a->str[i] != ','; i++)
			;
		len = i - start;
		colon = memchr(s, ':', len);
		r = &k->ranges[k->range_count++];
		if (colon == NULL) {
			if (!seq_number(s, len, &r->lo))
				return fail(p, -ERR_SYNTAX,
					    "Invalid sequence set");
			r->hi = r->lo;
		} else if (!seq_number(s, (size_t)(colon - s), &r->lo) ||
			   !seq_number(colon + 1, len - (size_t)(colon - s) - 1,
					&r->hi)) {
			return fail(p, -ERR_SYNTAX, "Invalid sequence set");
		}
	}
	return 0;
}

static const struct keyword *
keyword_find(const struct imap_search_arg *a)
{
	size_t lo = 0, hi = N_ELEMENTS(keywords);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *name = keywords[mid].name;
		size_t nlen = strlen(name);
		size_t min = a->len < nlen ? a->len : nlen;
		int c = strncasecmp(a->str, name, min);

		if (c == 0)
			c = a->len < nlen ? -1 : a->len > nlen;
		if (c == 0)
			return &keywords[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int
parse_keyword_flag(struct parser *p, const struct keyword *kw,
		   struct imap_search_key *k)
{
	const struct imap_search_arg *a = next_arg(p);
	size_t i;
	char *s;

	if (a == NULL || a->type != IMAP_SEARCH_ARG_ATOM || a->len == 0)
		return fail(p, -ERR_SYNTAX, "Invalid keyword");
	for (i = 0; i < N_ELEMENTS(system_flags); i++) {
		if (strlen(system_flags[i].name) == a->len &&
		    strncasecmp(system_flags[i].name, a->str, a->len) == 0) {
			k->type = IMAP_SEARCH_FLAGS;
			k->mask = system_flags[i].flag;
			k->value = kw->negate ? 0 : k->mask;
			return 0;
		}
	}
	s = arena_strndup(p->arena, a->str, a->len);
	if (s == NULL)
		return fail(p, -ERR_LIMIT, "Keyword too long");
	k->str = s;
	k->str_len = a->len;
	return 0;
}

static int
parse_header(struct parser *p, struct imap_search_key *k)
{
	const struct imap_search_arg *a;
	char *field;
	int ret;

	if ((ret = string_arg(p, &a)) < 0)
		return ret;
	field = arena_strndup(p->arena, a->str, a->len);
	if (field == NULL)
		return fail(p, -ERR_LIMIT, "Header name too long");
	if (memchr(a->str, '\0', a->len) != NULL || memchr(a->str, ':', a->len))
		return fail(p, -ERR_SYNTAX, "Invalid header field name");
	k->field = field;
	return needle_arg(p, k);
}

static int
parse_children(struct parser *p, struct imap_search_key *k, size_t n,
	       unsigned depth)
{
	size_t i;
	int ret;

	if (depth >= IMAP_SEARCH_MAX_DEPTH)
		return fail(p, -ERR_LIMIT, "Search program nested too deeply");
	k->children = arena_alloc(p->arena, n * sizeof(*k->children));
	if (k->children == NULL)
		return fail(p, -ERR_LIMIT, "Search program too large");
	k->count = n;
	for (i = 0; i < n; i++) {
		if ((ret = parse_key(p, depth + 1, &k->children[i])) < 0)
			return ret;
	}
	return 0;
}

static int
parse_list(struct parser *p, const struct imap_search_arg *a, unsigned depth,
	   struct imap_search_key **key_r)
{
	struct parser sub = *p;
	struct imap_search_key *k;
	size_t n = 0;
	int ret;

	if (depth >= IMAP_SEARCH_MAX_DEPTH)
		return fail(p, -ERR_LIMIT, "Search program nested too deeply");
	if (a->count == 0)
		return fail(p, -ERR_SYNTAX, "Empty search key list");
	if ((k = new_key(p, IMAP_SEARCH_AND)) == NULL)
		return -ERR_LIMIT;
	/* a list holds at most as many keys as elements */
	k->children = arena_alloc(p->arena, a->count * sizeof(*k->children));
	if (k->children == NULL)
		return fail(p, -ERR_LIMIT, "Search program too large");
	sub.args = a->list;
	sub.count = a->count;
	sub.pos = 0;
	sub.keys = p->keys;
	while (sub.pos < sub.count) {
		ret = parse_key(&sub, depth + 1, &k->children[n++]);
		if (ret < 0) {
			p->error = sub.error;
			return ret;
		}
	}
	p->keys = sub.keys;
	k->count = n;
	*key_r = k;
	return 0;
}

/* MODSEQ ["/flags/<flag>" priv|shared|all] <modseq> (RFC 7162 3.1.5):
 * a message has one modseq for all its flags here, so the entry is only
 * checked, then ignored, as the RFC asks of such a server */
static int
parse_modseq(struct parser *p, struct imap_search_key *k)
{
	const struct imap_search_arg *a = p->pos < p->count ?
					  &p->args[p->pos] : NULL;

	if (a != NULL && a->type == IMAP_SEARCH_ARG_STRING) {
		const struct imap_search_arg *t;
		p->pos++;
		t = next_arg(p);
		if (a->len <= 7 || strncasecmp(a->str, "/flags/", 7) != 0 ||
		    t == NULL || t->type != IMAP_SEARCH_ARG_ATOM ||
		    (strcasecmp(t->str, "priv") != 0 &&
		     strcasecmp(t->str, "shared") != 0 &&
		     strcasecmp(t->str, "all") != 0))
			return fail(p, -ERR_SYNTAX, "Invalid MODSEQ entry");
	}
	return number_arg(p, &k->size);
}

/* objectid = 1*255(ALPHA / DIGIT / "_" / "-") (RFC 8474 7) */
static int
parse_objectid(struct parser *p, struct imap_search_key *k)
{
	const struct imap_search_arg *a = next_arg(p);

	if (a == NULL || a->type == IMAP_SEARCH_ARG_LIST || a->len == 0 ||
	    a->len > 255)
		return fail(p, -ERR_SYNTAX, "Invalid object id");
	for (size_t i = 0; i < a->len; i++) {
		char c = a->str[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return fail(p, -ERR_SYNTAX, "Invalid object id");
	}
	if ((k->str = arena_strndup(p->arena, a->str, a->len)) == NULL)
		return fail(p, -ERR_LIMIT, "Object id too long");
	k->str_len = a->len;
	return 0;
}

static int
parse_args(struct parser *p, const struct keyword *kw,
	   struct imap_search_key *k, unsigned depth)
{
	const struct imap_search_arg *a;
	uint64_t v;
	int ret;

	switch (kw->kind) {
	case KW_ALL:
		return 0;
	case KW_FLAG:
		k->mask = kw->mask;
		k->value = kw->value;
		return 0;
	case KW_DATE:
		if ((ret = string_arg(p, &a)) < 0)
			return ret;
		if (imap_search_date_parse(a->str, a->len, &k->day) < 0)
			return fail(p, -ERR_SYNTAX, "Invalid search date");
		return 0;
	case KW_SIZE:
		if ((ret = number_arg(p, &v)) < 0)
			return ret;
		k->size = v;
		return 0;
	case KW_STRING:
		k->field = kw->field;
		return needle_arg(p, k);
	case KW_HEADER:
		return parse_header(p, k);
	case KW_KEYWORD:
		return parse_keyword_flag(p, kw, k);
	case KW_OBJECTID:
		return parse_objectid(p, k);
	case KW_NOT:
		return parse_children(p, k, 1, depth);
	case KW_OR:
		return parse_children(p, k, 2, depth);
	case KW_UID:
		return seqset_parse(p, next_arg(p), k);
	case KW_MODSEQ:
		return parse_modseq(p, k);
	}
	return fail(p, -ERR_SYNTAX, "Unknown search key");
}

static int
parse_key(struct parser *p, unsigned depth, struct imap_search_key **key_r)
{
	const struct imap_search_arg *a = next_arg(p);
	const struct keyword *kw;
	struct imap_search_key *k;
	int ret;

	if (a == NULL)
		return fail(p, -ERR_SYNTAX, "Missing search key");
	if (a->type == IMAP_SEARCH_ARG_LIST)
		return parse_list(p, a, depth, key_r);
	if (a->type != IMAP_SEARCH_ARG_ATOM)
		return fail(p, -ERR_SYNTAX, "Search key must be an atom");
	if (is_seqset(a)) {
		if ((k = new_key(p, IMAP_SEARCH_SEQSET)) == NULL)
			return -ERR_LIMIT;
		if ((ret = seqset_parse(p, a, k)) < 0)
			return ret;
		*key_r = k;
		return 0;
	}
	if ((kw = keyword_find(a)) == NULL)
		return fail(p, -ERR_SYNTAX, "Unknown search key");
	if ((k = new_key(p, kw->type)) == NULL)
		return -ERR_LIMIT;
	if ((ret = parse_args(p, kw, k, depth)) < 0)
		return ret;
	if (kw->kind == KW_KEYWORD && kw->negate &&
	    k->type == IMAP_SEARCH_KEYWORD) {
		/* UNKEYWORD x is NOT KEYWORD x */
		struct imap_search_key *not = new_key(p, IMAP_SEARCH_NOT);

		if (not == NULL)
			return -ERR_LIMIT;
		not->children = arena_alloc(p->arena, sizeof(*not->children));
		if (not->children == NULL)
			return fail(p, -ERR_LIMIT, "Search program too large");
		not->children[0] = k;
		not->count = 1;
		k = not;
	}
	*key_r = k;
	return 0;
}

static unsigned
key_cost(struct imap_search_key *k)
{
	unsigned c = 0;
	size_t i;

	switch (k->type) {
	case IMAP_SEARCH_AND:
	case IMAP_SEARCH_OR:
	case IMAP_SEARCH_NOT:
		for (i = 0; i < k->count; i++) {
			unsigned cc = key_cost(k->children[i]);

			c = cc > c ? cc : c;
		}
		break;
	case IMAP_SEARCH_HEADER:
	case IMAP_SEARCH_SENTBEFORE:
	case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE:
		c = 2;
		break;
	case IMAP_SEARCH_BODY:
	case IMAP_SEARCH_TEXT:
		c = 3;
		break;
	default:
		c = 0;
	}
	k->cost = c;
	return c;
}

/* cheap keys first in every AND (stable insertion sort; lists are short) */
static void
order_and(struct imap_search_key *k)
{
	size_t i, j;

	for (i = 0; i < k->count; i++)
		if (k->children[i]->type == IMAP_SEARCH_AND ||
		    k->children[i]->type == IMAP_SEARCH_OR ||
		    k->children[i]->type == IMAP_SEARCH_NOT)
			order_and(k->children[i]);
	if (k->type != IMAP_SEARCH_AND)
		return;
	for (i = 1; i < k->count; i++) {
		struct imap_search_key *x = k->children[i];

		for (j = i; j > 0 && k->children[j - 1]->cost > x->cost; j--)
			k->children[j] = k->children[j - 1];
		k->children[j] = x;
	}
}

int
imap_search_parse(struct arena *arena, const struct imap_search_arg *args,
		  size_t count, const char *charset,
		  struct imap_search_key **prog_r, const char **error_r)
{
	struct parser p = { .arena = arena, .args = args, .count = count };
	struct imap_search_key *root;
	size_t n = 0;
	int ret;

	*error_r = NULL;
	if (charset == NULL && count >= 2 &&
	    args[0].type == IMAP_SEARCH_ARG_ATOM && args[0].len == 7 &&
	    strncasecmp(args[0].str, "CHARSET", 7) == 0) {
		if (args[1].type == IMAP_SEARCH_ARG_LIST) {
			*error_r = "Invalid charset";
			return -ERR_SYNTAX;
		}
		if (!imap_search_charset_ok(args[1].str, args[1].len)) {
			*error_r = "Unsupported charset";
			return -ERR_INVAL;
		}
		p.pos = 2;
	} else if (charset != NULL &&
		   !imap_search_charset_ok(charset, strlen(charset))) {
		*error_r = "Unsupported charset";
		return -ERR_INVAL;
	}
	if (p.pos >= count) {
		*error_r = "Missing search key";
		return -ERR_SYNTAX;
	}
	if ((root = new_key(&p, IMAP_SEARCH_AND)) == NULL ||
	    (root->children = arena_alloc(arena, (count - p.pos) *
					  sizeof(*root->children))) == NULL) {
		*error_r = "Search program too large";
		return -ERR_LIMIT;
	}
	while (p.pos < count) {
		if ((ret = parse_key(&p, 0, &root->children[n++])) < 0) {
			*error_r = p.error != NULL ? p.error : "Invalid search";
			return ret;
		}
	}
	root->count = n;
	key_cost(root);
	order_and(root);
	*prog_r = root;
	return 0;
}
