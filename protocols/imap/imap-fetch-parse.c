/* Maildock - SPDX-License-Identifier: MIT
 *
 * Parsing of FETCH items (RFC 3501 6.4.5 and the "fetch-att" / "section"
 * rules of section 9). The command parser hands "BODY[...]<...>" over as
 * one atom (brackets may hold spaces and parentheses), so the section and
 * partial grammar is read here, byte by byte, with every number bounded.
 */
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "protocols/imap/imap.h"
#include "protocols/imap/imap-fetch.h"
#include "core/compat.h"

struct cursor {
	const char *p, *end;
};

struct simple_item {
	const char *name;
	unsigned bits;
};

static const struct simple_item simple_items[] = {
	{ "FLAGS", IMAP_FETCH_FLAGS },
	{ "INTERNALDATE", IMAP_FETCH_INTERNALDATE },
	{ "RFC822.SIZE", IMAP_FETCH_RFC822_SIZE },
	{ "ENVELOPE", IMAP_FETCH_ENVELOPE },
	{ "BODY", IMAP_FETCH_BODY },
	{ "BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE },
	{ "UID", IMAP_FETCH_UID },
	{ "SAVEDATE", IMAP_FETCH_SAVEDATE },
	{ "PREVIEW", IMAP_FETCH_PREVIEW },
	{ "EMAILID", IMAP_FETCH_EMAILID },
	{ "THREADID", IMAP_FETCH_THREADID },
	{ "MODSEQ", IMAP_FETCH_MODSEQ },
};

static const struct simple_item macros[] = {
	{ "ALL", IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
		 IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_ENVELOPE },
	{ "FAST", IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
		  IMAP_FETCH_RFC822_SIZE },
	{ "FULL", IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
		  IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_ENVELOPE |
		  IMAP_FETCH_BODY },
};

static bool
eat(struct cursor *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || strncasecmp(c->p, word, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* a number of at most 32 bits; false if none or too big */
static bool
number(struct cursor *c, uint32_t *v_r)
{
	uint64_t v = 0;
	const char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		v = v * 10 + (uint64_t)(*c->p - '0');
		if (v > UINT32_MAX)
			return false;
		c->p++;
	}
	*v_r = (uint32_t)v;
	return c->p > start;
}

/* one header name of a HEADER.FIELDS list: astring (atom or quoted) */
static int
field_name(struct arena *a, struct cursor *c, const char **name_r)
{
	struct sbuf b;

	sbuf_init(&b, a, 1000);
	if (c->p < c->end && *c->p == '"') {
		for (c->p++; c->p < c->end && *c->p != '"'; c->p++) {
			if (*c->p == '\\' && c->p + 1 < c->end)
				c->p++;
			sbuf_appendc(&b, *c->p);
		}
		if (c->p >= c->end)
			return -ERR_SYNTAX;
		c->p++;
	} else {
		while (c->p < c->end && *c->p != ' ' && *c->p != ')' &&
		       *c->p != '(' && *c->p != ']' && *c->p != '"' &&
		       *c->p != ':' && (unsigned char)*c->p > 0x20)
			sbuf_appendc(&b, *c->p++);
	}
	if (b.len == 0 || sbuf_failed(&b))
		return -ERR_SYNTAX;
	*name_r = b.data;
	return 0;
}

static int
field_list(struct arena *a, struct cursor *c, struct mime_section *sec)
{
	const char **names;
	size_t n = 0;
	int ret;

	if (!eat(c, " ("))
		return -ERR_SYNTAX;
	names = arena_alloc(a, IMAP_FETCH_MAX_FIELDS * sizeof(*names));
	if (names == NULL)
		return -ERR_LIMIT;
	for (;;) {
		if (n == IMAP_FETCH_MAX_FIELDS)
			return -ERR_LIMIT;
		if ((ret = field_name(a, c, &names[n++])) < 0)
			return ret;
		if (eat(c, ")"))
			break;
		if (!eat(c, " "))
			return -ERR_SYNTAX;
	}
	sec->fields = names;
	sec->nfields = n;
	return 0;
}

/* section-msgtext / "MIME" after the part numbers (or at the start) */
static int
section_text(struct arena *a, struct cursor *c, struct mime_section *sec)
{
	if (eat(c, "HEADER.FIELDS.NOT")) {
		sec->kind = MIME_SECTION_HEADER_FIELDS_NOT;
		return field_list(a, c, sec);
	}
	if (eat(c, "HEADER.FIELDS")) {
		sec->kind = MIME_SECTION_HEADER_FIELDS;
		return field_list(a, c, sec);
	}
	if (eat(c, "HEADER")) {
		sec->kind = MIME_SECTION_HEADER;
		return 0;
	}
	if (eat(c, "TEXT")) {
		sec->kind = MIME_SECTION_TEXT;
		return 0;
	}
	if (sec->n > 0 && eat(c, "MIME")) {
		sec->kind = MIME_SECTION_MIME;
		return 0;
	}
	return -ERR_SYNTAX;
}

static int
section_spec(struct arena *a, struct cursor *c, struct mime_section *sec)
{
	unsigned *nums;
	uint32_t v;

	sec->kind = MIME_SECTION_FULL;
	if (c->p < c->end && *c->p == ']')
		return 0;
	if (c->p < c->end && (*c->p < '0' || *c->p > '9'))
		return section_text(a, c, sec);
	nums = arena_alloc(a, IMAP_FETCH_MAX_PART_DEPTH * sizeof(*nums));
	if (nums == NULL)
		return -ERR_LIMIT;
	sec->nums = nums;
	for (;;) {
		if (!number(c, &v) || v == 0)
			return -ERR_SYNTAX;
		if (sec->n == IMAP_FETCH_MAX_PART_DEPTH)
			return -ERR_LIMIT;
		nums[sec->n++] = v;
		if (c->p < c->end && *c->p == ']')
			return 0;
		if (!eat(c, "."))
			return -ERR_SYNTAX;
		if (c->p < c->end && (*c->p < '0' || *c->p > '9'))
			return section_text(a, c, sec);
	}
}

static int
partial(struct cursor *c, struct imap_fetch_section *s)
{
	uint32_t start, len;

	if (c->p == c->end)
		return 0;
	if (!eat(c, "<") || !number(c, &start) || !eat(c, ".") ||
	    !number(c, &len) || !eat(c, ">") || c->p != c->end)
		return -ERR_SYNTAX;
	if (len == 0)
		return -ERR_SYNTAX;	/* nz-number (B20) */
	s->partial = true;
	s->start = start;
	s->len = len;
	return 0;
}

static char *
section_name(struct arena *a, const char *prefix,
	     const struct mime_section *sec)
{
	static const char *const kinds[] = {
		[MIME_SECTION_FULL] = "",
		[MIME_SECTION_HEADER] = "HEADER",
		[MIME_SECTION_HEADER_FIELDS] = "HEADER.FIELDS",
		[MIME_SECTION_HEADER_FIELDS_NOT] = "HEADER.FIELDS.NOT",
		[MIME_SECTION_TEXT] = "TEXT",
		[MIME_SECTION_MIME] = "MIME",
	};
	struct sbuf b;
	size_t i;

	sbuf_init(&b, a, 64 * 1024);
	sbuf_appends(&b, prefix);
	sbuf_appendc(&b, '[');
	for (i = 0; i < sec->n; i++)
		sbuf_appendf(&b, i > 0 ? ".%u" : "%u", sec->nums[i]);
	if (sec->n > 0 && sec->kind != MIME_SECTION_FULL)
		sbuf_appendc(&b, '.');
	sbuf_appends(&b, kinds[sec->kind]);
	if (sec->nfields > 0) {
		sbuf_appends(&b, " (");
		for (i = 0; i < sec->nfields; i++) {
			if (i > 0)
				sbuf_appendc(&b, ' ');
			imap_reply_append_astring(&b, sec->fields[i],
						  strlen(sec->fields[i]));
		}
		sbuf_appendc(&b, ')');
	}
	sbuf_appendc(&b, ']');
	return sbuf_failed(&b) ? NULL : b.data;
}

static int
body_section(struct arena *a, const char *s, size_t len, bool peek,
	     struct imap_fetch_section *sec)
{
	struct cursor c = { s, s + len };
	int ret;

	memset(sec, 0, sizeof(*sec));
	sec->peek = peek;
	if ((ret = section_spec(a, &c, &sec->sec)) < 0)
		return ret;
	if (!eat(&c, "]"))
		return -ERR_SYNTAX;
	if ((ret = partial(&c, sec)) < 0)
		return ret;
	sec->name = section_name(a, "BODY", &sec->sec);
	return sec->name == NULL ? -ERR_LIMIT : 0;
}

static struct imap_fetch_section *new_section(struct arena *a,
					       struct imap_fetch_items *it);

/* BINARY[n]<partial>, BINARY.PEEK[n]<partial>, BINARY.SIZE[n] (RFC 3516
 * 4.2): section-binary is part numbers only, and BINARY.SIZE takes no
 * partial */
static int
binary_item(struct arena *a, const char *s, size_t len,
	    struct imap_fetch_items *it)
{
	static const struct {
		const char *prefix;
		bool peek;
		enum imap_fetch_binary kind;
	} kinds[] = {
		{ "BINARY[", false, IMAP_FETCH_BINARY_DATA },
		{ "BINARY.PEEK[", true, IMAP_FETCH_BINARY_DATA },
		{ "BINARY.SIZE[", true, IMAP_FETCH_BINARY_SIZE },
	};
	struct imap_fetch_section *sec;
	struct cursor c;
	size_t i, n;
	int ret;

	for (i = 0; i < N_ELEMENTS(kinds); i++)
		if (strncasecmp(s, kinds[i].prefix,
				n = strlen(kinds[i].prefix)) == 0)
			break;
	if (i == N_ELEMENTS(kinds))
		return -ERR_SYNTAX;
	if ((sec = new_section(a, it)) == NULL)
		return -ERR_LIMIT;
	memset(sec, 0, sizeof(*sec));
	sec->peek = kinds[i].peek;
	sec->binary = kinds[i].kind;
	c.p = s + n;
	c.end = s + len;
	if ((ret = section_spec(a, &c, &sec->sec)) < 0)
		return ret;
	if (sec->sec.kind != MIME_SECTION_FULL || !eat(&c, "]"))
		return -ERR_SYNTAX;
	if (sec->binary == IMAP_FETCH_BINARY_SIZE ? c.p != c.end :
	    (ret = partial(&c, sec)) < 0)
		return -ERR_SYNTAX;
	sec->name = section_name(a, sec->binary == IMAP_FETCH_BINARY_SIZE ?
				 "BINARY.SIZE" : "BINARY", &sec->sec);
	return sec->name == NULL ? -ERR_LIMIT : 0;
}

static struct imap_fetch_section *
new_section(struct arena *a, struct imap_fetch_items *it)
{
	if (it->nsections == IMAP_FETCH_MAX_SECTIONS)
		return NULL;
	if (it->sections == NULL) {
		it->sections = arena_alloc(a, IMAP_FETCH_MAX_SECTIONS *
					   sizeof(*it->sections));
		if (it->sections == NULL)
			return NULL;
	}
	return &it->sections[it->nsections++];
}

/* RFC822, RFC822.HEADER, RFC822.TEXT: sections under their own names */
static int
rfc822_item(struct arena *a, const char *s, struct imap_fetch_items *it)
{
	struct imap_fetch_section *sec;
	enum mime_section_kind kind;
	bool peek = false;

	if (strcasecmp(s, "RFC822") == 0)
		kind = MIME_SECTION_FULL;
	else if (strcasecmp(s, "RFC822.HEADER") == 0)
		kind = MIME_SECTION_HEADER, peek = true;
	else if (strcasecmp(s, "RFC822.TEXT") == 0)
		kind = MIME_SECTION_TEXT;
	else
		return -ERR_SYNTAX;
	if ((sec = new_section(a, it)) == NULL)
		return -ERR_LIMIT;
	memset(sec, 0, sizeof(*sec));
	sec->peek = peek;
	sec->sec.kind = kind;
	sec->name = kind == MIME_SECTION_FULL ? "RFC822" :
		    kind == MIME_SECTION_HEADER ? "RFC822.HEADER" :
		    "RFC822.TEXT";
	return 0;
}

static int
one_item(struct arena *a, const struct imap_arg *arg,
	 struct imap_fetch_items *it)
{
	struct imap_fetch_section *sec;
	const char *s;
	size_t i;
	int ret;

	if (arg->type != IMAP_ARG_ATOM)
		return -ERR_SYNTAX;
	s = arg->str;
	for (i = 0; i < N_ELEMENTS(simple_items); i++) {
		if (strcasecmp(s, simple_items[i].name) == 0) {
			it->items |= simple_items[i].bits;
			return 0;
		}
	}
	if (strncasecmp(s, "RFC822", 6) == 0)
		return rfc822_item(a, s, it);
	if (strncasecmp(s, "BINARY", 6) == 0)
		return binary_item(a, s, arg->len, it);
	if (strncasecmp(s, "BODY[", 5) == 0 ||
	    strncasecmp(s, "BODY.PEEK[", 10) == 0) {
		bool peek = s[4] == '.';
		size_t skip = peek ? 10 : 5;

		if ((sec = new_section(a, it)) == NULL)
			return -ERR_LIMIT;
		ret = body_section(a, s + skip, arg->len - skip, peek, sec);
		return ret;
	}
	return -ERR_SYNTAX;
}

/* preview_modifiers: RFC 8970 5: "PREVIEW (LAZY)". A preview is made at
 * once anyway, so LAZY changes nothing (3.2 allows that). */
static int
preview_modifiers(const struct imap_arg *mods)
{
	const struct imap_arg *l;
	unsigned n;

	if (!imap_arg_list(mods, &l, &n) || n == 0)
		return -ERR_SYNTAX;
	for (unsigned i = 0; i < n; i++)
		if (!imap_arg_atom_eq(&l[i], "LAZY"))
			return -ERR_SYNTAX;
	return 0;
}

/* ENVELOPE, [HEADER], [HEADER.FIELDS...] and RFC822.HEADER of the
 * message itself need no parse of its body (a client listing a folder) */
static bool
header_only(const struct imap_fetch_items *it)
{
	size_t i;

	if (it->items & (IMAP_FETCH_BODY | IMAP_FETCH_BODYSTRUCTURE |
			 IMAP_FETCH_PREVIEW))
		return false;
	for (i = 0; i < it->nsections; i++) {
		const struct mime_section *s = &it->sections[i].sec;

		if (s->n > 0 || (s->kind != MIME_SECTION_HEADER &&
				 s->kind != MIME_SECTION_HEADER_FIELDS &&
				 s->kind != MIME_SECTION_HEADER_FIELDS_NOT))
			return false;
	}
	return true;
}

int
imap_fetch_parse(struct arena *arena, const struct imap_arg *arg, bool uid,
		 struct imap_fetch_items *items_r, const char **error_r)
{
	const struct imap_arg *list;
	unsigned count, i;
	int ret = 0;

	memset(items_r, 0, sizeof(*items_r));
	*error_r = "Invalid FETCH item";
	if (arg->type == IMAP_ARG_ATOM) {
		for (i = 0; i < N_ELEMENTS(macros); i++) {
			if (strcasecmp(arg->str, macros[i].name) == 0) {
				items_r->items = macros[i].bits;
				break;
			}
		}
		if (i == N_ELEMENTS(macros))
			ret = one_item(arena, arg, items_r);
	} else if (imap_arg_list(arg, &list, &count) && count > 0) {
		for (i = 0; i < count && ret == 0; i++) {
			ret = one_item(arena, &list[i], items_r);
			if (ret == 0 && i + 1 < count &&
			    list[i + 1].type == IMAP_ARG_LIST &&
			    imap_arg_atom_eq(&list[i], "PREVIEW"))
				ret = preview_modifiers(&list[++i]);
		}
	} else {
		ret = -ERR_SYNTAX;
	}
	if (ret == -ERR_LIMIT)
		*error_r = "Too many FETCH items";
	if (ret < 0)
		return ret;
	if (uid)
		items_r->items |= IMAP_FETCH_UID;
	for (i = 0; i < items_r->nsections; i++)
		if (!items_r->sections[i].peek)
			items_r->sets_seen = true;
	items_r->needs_file = items_r->nsections > 0 ||
		(items_r->items & (IMAP_FETCH_ENVELOPE | IMAP_FETCH_BODY |
				   IMAP_FETCH_BODYSTRUCTURE |
				   IMAP_FETCH_PREVIEW)) != 0;
	items_r->needs_text = (items_r->items & IMAP_FETCH_PREVIEW) != 0;
	items_r->header_only = header_only(items_r);
	*error_r = NULL;
	return 0;
}
